/* SPDX-License-Identifier: MIT */
/* test_lww_client.c - lww-node replies become the history's JSON values; bad ones are refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "lww_client.h"
#include "lww_gen.h"
#include "prng.h"

static struct client_result result;

static json_t *parse_ok(const char *f, int64_t written, const char *line, uint64_t *ts)
{
	json_t *v;

	memset(&result, 0, sizeof(result));
	cr_assert_eq(lww_client_parse_reply(f, written, line, 99, &result, ts), 0, "%s", line);
	cr_assert_eq(result.type, OP_OK);
	cr_assert(result.value_set);
	cr_assert_eq(result.value.kind, OP_VALUE_JSON);
	v = json_loads(result.value.json, 0, NULL);
	cr_assert(v, "not JSON: %s", result.value.json);
	return v;
}

Test(lww_client, a_read_reply_gives_value_timestamp_writer_and_clocks)
{
	uint64_t ts;
	json_t *v = parse_ok("read", 0, "ok 17 1700000000000065536 2 1700000000000123456 "
			     "1700000000000131072", &ts);
	json_t *clock = json_object_get(v, "clock");

	cr_expect_eq(ts, 1700000000000065536ull);
	cr_expect_eq(json_integer_value(json_object_get(v, "value")), 17);
	cr_expect_eq(json_integer_value(json_object_get(v, "ts")), 1700000000000065536ll);
	cr_expect_eq(json_integer_value(json_object_get(v, "writer")), 2);
	cr_expect_eq(json_integer_value(json_object_get(clock, "wall")), 1700000000000123456ll);
	cr_expect_eq(json_integer_value(json_object_get(clock, "hlc")), 1700000000000131072ll);
	cr_expect_eq(json_integer_value(json_object_get(clock, "host")), 99);
	json_decref(v);
}

Test(lww_client, an_empty_register_reads_as_null)
{
	uint64_t ts = 5;
	json_t *v = parse_ok("read", 0, "ok - 0 - 1700000000000000000 1700000000000000000", &ts);

	cr_expect_eq(ts, 0);
	cr_expect(json_is_null(json_object_get(v, "value")));
	cr_expect(json_is_null(json_object_get(v, "writer")));
	json_decref(v);
}

Test(lww_client, a_write_reply_records_the_written_value)
{
	uint64_t ts;
	json_t *v = parse_ok("write", 41, "ok 1700000000000065537 0 1700000000000000001 "
			     "1700000000000065537", &ts);

	cr_expect_eq(json_integer_value(json_object_get(v, "value")), 41);
	cr_expect_eq(json_integer_value(json_object_get(v, "writer")), 0);
	json_decref(v);
}

Test(lww_client, err_is_a_failure_with_its_text)
{
	uint64_t ts;

	cr_assert_eq(lww_client_parse_reply("write", 1, "err too many keys", 0, &result, &ts), 0);
	cr_expect_eq(result.type, OP_FAIL);
	cr_expect_str_eq(result.error, "too many keys");
}

Test(lww_client, malformed_replies_are_refused)
{
	static const char *const bad[] = {
		"", "ok", "ok ", "okay 1 2 3 4", "ok 1 2 3 4",           /* read needs 5 fields */
		"ok 1 2 3 4 5 6", "ok x 1 2 3 4", "ok 1 -2 3 4 5", "ok 1 2  3 4 5",
		"ok - 7 - 1 2",                                          /* empty but ts 7 */
		"ok 1 2 3 4 99999999999999999999",
	};
	uint64_t ts;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(lww_client_parse_reply("read", 0, bad[i], 0, &result, &ts), -EBADMSG,
			     "accepted \"%s\"", bad[i]);
	cr_expect_eq(lww_client_parse_reply("write", 1, "ok 1 2 3 4 5", 0, &result, &ts),
		     -EBADMSG, "a write reply has 4 fields");
}

Test(lww_client, the_generator_writes_each_value_once_and_uses_its_keys)
{
	struct lww_gen g;
	bool seen[2001] = { false };

	lww_gen_init(&g, 2);
	for (uint64_t k = 0; k < 2000; k++) {
		struct prng prng;
		struct gen_ctx ctx = { .op_number = k, .node_count = 5, .prng = &prng };
		struct gen_op out;

		prng_init(&prng, 7 + k);
		cr_assert_eq(gen_op(&g.base, &ctx, &out), GEN_OP);
		cr_assert(!strcmp(out.op.key, "k0") || !strcmp(out.op.key, "k1"), "%s", out.op.key);
		cr_assert_lt(out.node, 5);
		if (strcmp(out.op.f, "write") == 0) {
			cr_assert_eq(out.op.value.kind, OP_VALUE_INT);
			cr_assert(!seen[out.op.value.integer], "value written twice");
			seen[out.op.value.integer] = true;
		} else {
			cr_assert_str_eq(out.op.f, "read");
		}
	}
}
