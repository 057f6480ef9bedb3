/* SPDX-License-Identifier: MIT */
/* test_textbuf.c - bounded appends: text that fits is kept whole, text that does not is cut. */
#include <criterion/criterion.h>
#include <string.h>

#include "textbuf.h"

Test(textbuf, appends_what_fits)
{
	char buf[32];
	struct textbuf t;

	textbuf_init(&t, buf, sizeof(buf));
	cr_assert_str_eq(buf, "");
	textbuf_put(&t, "{\"n\":%d", 42);
	textbuf_put(&t, ",\"s\":\"%s\"}", "ok");
	cr_assert_str_eq(buf, "{\"n\":42,\"s\":\"ok\"}");
	cr_assert_eq(t.used, strlen(buf));
	cr_assert_not(t.full);
}

Test(textbuf, cuts_at_the_end_and_says_so)
{
	char buf[8];
	struct textbuf t;

	memset(buf, 'x', sizeof(buf));
	textbuf_init(&t, buf, sizeof(buf));
	textbuf_put(&t, "abcd");
	textbuf_put(&t, "efghij");
	cr_assert(t.full);
	cr_assert_str_eq(buf, "abcdefg", "the NUL always fits");
	cr_assert_eq(t.used, 7);
	textbuf_put(&t, "more");
	cr_assert_str_eq(buf, "abcdefg", "a full text takes nothing more");
	cr_assert(t.full);
}

Test(textbuf, exactly_full_is_not_cut)
{
	char buf[5];
	struct textbuf t;

	textbuf_init(&t, buf, sizeof(buf));
	textbuf_put(&t, "%s", "abcd");
	cr_assert_not(t.full);
	cr_assert_str_eq(buf, "abcd");
	textbuf_put(&t, "%s", "");
	cr_assert_not(t.full, "appending nothing to a full buffer fits");
}
