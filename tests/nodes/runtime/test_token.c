/* SPDX-License-Identifier: MIT */
/* test_token.c - request lines split on single spaces; every malformed line is -EINVAL. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "token.h"

TestSuite(token);

enum { TOKENS_MAX = 4 };

static struct token tokens[TOKENS_MAX];

static int split(const char *line)
{
	memset(tokens, 0, sizeof(tokens));
	return token_split_line(line, strlen(line), tokens, TOKENS_MAX);
}

Test(token, words_are_views_into_the_line)
{
	const char *line = "write k -5 123\n";

	cr_assert_eq(token_split_line(line, strlen(line), tokens, TOKENS_MAX), 4);
	cr_assert(token_is(&tokens[0], "write"));
	cr_assert(token_is(&tokens[1], "k"));
	cr_assert_eq(tokens[2].p, line + 8, "a view, not a copy");
	cr_assert_eq(tokens[2].size, 2);
	cr_assert(token_is(&tokens[3], "123"), "the newline is not part of the last word");
}

Test(token, a_crlf_or_no_newline_at_all_is_the_same_line)
{
	cr_assert_eq(split("read k\r\n"), 2);
	cr_assert(token_is(&tokens[1], "k"));
	cr_assert_eq(split("read k"), 2);
	cr_assert(token_is(&tokens[1], "k"));
	cr_assert_eq(split("read\n"), 1);
}

Test(token, only_one_newline_and_one_carriage_return_are_dropped)
{
	cr_assert_eq(split("read k\n\n"), 2);
	cr_assert_eq(tokens[1].size, 2, "the first newline stays in the word");
	cr_assert_eq(split("read k\r\r\n"), 2);
	cr_assert_eq(tokens[1].size, 2);
	cr_assert_eq(split("read\tk\n"), 1, "a tab is not a separator");
}

Test(token, bad_spacing_and_empty_lines_are_refused)
{
	const char *bad[] = { "", "\n", "\r\n", " read k\n", "read k \n", "read  k\n",
			      "read k \r\n", " \n", "\r" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(split(bad[i]), -EINVAL, "'%s'", bad[i]);
}

Test(token, a_nul_byte_anywhere_is_refused)
{
	const char line[] = "read k\0x\n";

	cr_assert_eq(token_split_line(line, sizeof(line) - 1, tokens, TOKENS_MAX), -EINVAL);
	cr_assert_eq(token_split_line(line, 6, tokens, TOKENS_MAX), 2, "before the NUL it is fine");
}

Test(token, more_words_than_room_is_refused_and_nothing_is_written_past_it)
{
	struct token two[3] = { { NULL, 0 }, { NULL, 0 }, { "guard", 5 } };

	cr_assert_eq(split("a b c d\n"), 4);
	cr_assert_eq(split("a b c d e\n"), -EINVAL);
	cr_assert_eq(token_split_line("a b c", 5, two, 2), -EINVAL);
	cr_assert(token_is(&two[2], "guard"), "the slot past the room is untouched");
}

Test(token, token_is_compares_whole_words)
{
	struct token t = { "readx", 4 };

	cr_assert(token_is(&t, "read"));
	cr_assert_not(token_is(&t, "rea"));
	cr_assert_not(token_is(&t, "readx"));
	cr_assert_not(token_is(&t, ""));
}
