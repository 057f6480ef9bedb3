/* SPDX-License-Identifier: MIT */
/* test_request.c - request lines: what parses, every kind of bad line with its reason, and
 * the reply lines. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "lww.h"

TestSuite(lww_request);

static struct lww_request req;

static int parse(const char *line, size_t size, char *reason)
{
	struct errbuf eb = { "" };
	int err = lww_request_parse(line, size, &req, &eb);

	snprintf(reason, ERRBUF_BYTES_MAX, "%s", eb.msg);
	return err;
}

static void expect_ok(const char *line)
{
	char reason[ERRBUF_BYTES_MAX];

	cr_assert_eq(parse(line, strlen(line), reason), 0, "'%s': %s", line, reason);
}

static void expect_err(const char *line, size_t size, const char *want)
{
	char reason[ERRBUF_BYTES_MAX];

	cr_assert_eq(parse(line, size, reason), -EINVAL, "'%s' must be refused", line);
	cr_assert_str_eq(reason, want, "'%s'", line);
}

#define EXPECT_ERR(line, want) expect_err(line, strlen(line), want)

Test(lww_request, parses_reads_and_writes)
{
	expect_ok("read k0\n");
	cr_assert_eq(req.verb, LWW_VERB_READ);
	cr_assert_str_eq(req.key, "k0");
	cr_assert_eq(req.key_size, 2);
	expect_ok("write Key_-9 -17 0\r\n");
	cr_assert_eq(req.verb, LWW_VERB_WRITE);
	cr_assert_str_eq(req.key, "Key_-9");
	cr_assert_eq(req.value, -17);
	cr_assert_eq(req.after, 0);
	expect_ok("write k 9223372036854775807 9223372036854775807");
	cr_assert_eq(req.value, INT64_MAX);
	cr_assert_eq(req.after, (uint64_t)INT64_MAX);
	expect_ok("write k -9223372036854775808 1");
	cr_assert_eq(req.value, INT64_MIN);
	expect_ok("read abcdefghijklmnopqrstuvwxyz012345");
	cr_assert_eq(req.key_size, 32);
}

Test(lww_request, rejects_bad_syntax)
{
	EXPECT_ERR("", "bad syntax");
	EXPECT_ERR("\n", "bad syntax");
	EXPECT_ERR("read\n", "bad syntax");
	EXPECT_ERR("read  k\n", "bad syntax");
	EXPECT_ERR(" read k\n", "bad syntax");
	EXPECT_ERR("read k \n", "bad syntax");
	EXPECT_ERR("read k 5\n", "bad syntax");
	EXPECT_ERR("write k 5\n", "bad syntax");
	EXPECT_ERR("write k\n", "bad syntax");
	EXPECT_ERR("write k 5 0 0\n", "bad syntax");
	EXPECT_ERR("read\tk\n", "bad syntax");
	expect_err("read k\0x\n", 9, "bad syntax");
	EXPECT_ERR("read k\n\n", "bad key");
}

Test(lww_request, rejects_unknown_verbs)
{
	EXPECT_ERR("READ k\n", "unknown verb");
	EXPECT_ERR("get k\n", "unknown verb");
	EXPECT_ERR("add gcounter c 5\n", "unknown verb");
	EXPECT_ERR("writes k 1 0\n", "unknown verb");
}

Test(lww_request, rejects_bad_keys)
{
	EXPECT_ERR("read abcdefghijklmnopqrstuvwxyz0123456\n", "bad key");
	EXPECT_ERR("read k!\n", "bad key");
	EXPECT_ERR("read k.0\n", "bad key");
	EXPECT_ERR("write k/0 1 0\n", "bad key");
	EXPECT_ERR("read k\r\r\n", "bad key");
}

Test(lww_request, rejects_bad_values)
{
	EXPECT_ERR("write k 1x 0\n", "bad value");
	EXPECT_ERR("write k +1 0\n", "bad value");
	EXPECT_ERR("write k - 0\n", "bad value");
	EXPECT_ERR("write k -0 0\n", "bad value");
	EXPECT_ERR("write k 007 0\n", "bad value");
	EXPECT_ERR("write k 9223372036854775808 0\n", "bad value");
	EXPECT_ERR("write k -9223372036854775809 0\n", "bad value");
	EXPECT_ERR("write k 99999999999999999999999 0\n", "bad value");
}

Test(lww_request, rejects_bad_after_tokens)
{
	EXPECT_ERR("write k 1 -1\n", "bad after");
	EXPECT_ERR("write k 1 x\n", "bad after");
	EXPECT_ERR("write k 1 01\n", "bad after");
	EXPECT_ERR("write k 1 9223372036854775808\n", "bad after");
	EXPECT_ERR("write k 1 18446744073709551615\n", "bad after");
}

Test(lww_request, formats_the_three_reply_lines)
{
	char buf[LWW_REPLY_BYTES_MAX + 1];
	struct lww_reply r = { .verb = LWW_VERB_READ, .wall_ns = 42, .hlc = 7 };

	cr_assert_eq(lww_reply_format(&r, buf, sizeof(buf)), 14);
	cr_assert_str_eq(buf, "ok - 0 - 42 7\n", "never written");
	r.reg = (struct lww_register){ .value = -3, .ts = 99, .writer = 4 };
	lww_reply_format(&r, buf, sizeof(buf));
	cr_assert_str_eq(buf, "ok -3 99 4 42 7\n");
	r.verb = LWW_VERB_WRITE;
	lww_reply_format(&r, buf, sizeof(buf));
	cr_assert_str_eq(buf, "ok 99 4 42 7\n");
	r.error = "too many keys";
	lww_reply_format(&r, buf, sizeof(buf));
	cr_assert_str_eq(buf, "err too many keys\n");
}

Test(lww_request, the_longest_reply_fits_and_a_short_buffer_is_refused)
{
	char buf[LWW_REPLY_BYTES_MAX + 1];
	struct lww_reply r = { .verb = LWW_VERB_READ, .wall_ns = INT64_MIN, .hlc = UINT64_MAX };
	ssize_t n;

	r.reg = (struct lww_register){ .value = INT64_MIN, .ts = INT64_MAX, .writer = 31 };
	n = lww_reply_format(&r, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_leq(n, LWW_REPLY_BYTES_MAX);
	cr_assert_eq(lww_reply_format(&r, buf, 10), -EMSGSIZE);
}
