/* SPDX-License-Identifier: MIT */
/* test_nemesis_noop.c - the no-op nemesis answers every request and changes nothing. */
#include <criterion/criterion.h>

#include "nemesis.h"
#include "prng.h"

Test(nemesis_noop, echoes_the_request_arg_and_needs_no_setup)
{
	struct nemesis nem = { .ops = &nem_noop_ops };
	struct nem_request with_arg = { .f = "start-partition", .arg = "\"halves\"" };
	struct nem_request without = { .f = "stop-partition", .arg = NULL };
	struct nem_completion done;
	struct prng prng;

	prng_init(&prng, 1);
	cr_assert_str_eq(nem_noop_ops.name, "noop");
	cr_assert_eq(nem_noop_ops.fs, 0);
	cr_assert_eq(nem_setup(&nem, NULL, NULL), 0);
	cr_assert_eq(nem_invoke(&nem, &with_arg, &prng, &done, NULL), 0);
	cr_assert_str_eq(done.value, "\"halves\"");
	cr_assert_eq(nem_invoke(&nem, &without, &prng, &done, NULL), 0);
	cr_assert_str_eq(done.value, "null");
	cr_assert_eq(nem_teardown(&nem, NULL), 0);
}
