/* SPDX-License-Identifier: MIT */
/* test_cli_parse.c - option numbers: the whole argument, in range, or -EINVAL. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>

#include "cli_parse.h"

Test(cli_parse, an_unsigned_number_in_range_is_taken_whole)
{
	uint64_t v = 0;

	cr_expect_eq(cli_parse_u64_in("16", 8, 256, &v), 0);
	cr_expect_eq(v, 16);
	cr_expect_eq(cli_parse_u64_in("0x100", 8, 256, &v), 0);
	cr_expect_eq(v, 256);
	cr_expect_eq(cli_parse_u64_in("18446744073709551615", 0, UINT64_MAX, &v), 0);
	cr_expect_eq(v, UINT64_MAX);
}

Test(cli_parse, out_of_range_negative_or_trailing_text_is_einval_and_leaves_out)
{
	static const char *const bad[] = { "7", "257", "-16", "16x", "", "x", " ",
					   "18446744073709551616" };
	uint64_t v = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(cli_parse_u64_in(bad[i], 8, 256, &v), -EINVAL, "'%s'", bad[i]);
		cr_expect_eq(v, 42, "'%s' wrote %llu", bad[i], (unsigned long long)v);
	}
}
