/* SPDX-License-Identifier: MIT */
/* test_chord_client.c - chord-node's put, get and state replies become the history's values
 * and op types: an unanswered put is info (it may be stored), anything else that did not
 * reach an owner fails; bad replies are refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "chord_client.h"

static struct client_result result;

static json_t *parse_ok(const char *verb, const char *line)
{
	json_t *v;

	memset(&result, 0, sizeof(result));
	cr_assert_eq(chord_client_parse_kv(line, verb, 7, &result), 1, "%s", line);
	cr_assert_eq(result.type, OP_OK, "%s", line);
	cr_assert_eq(result.value.kind, OP_VALUE_JSON);
	v = json_loads(result.value.json, 0, NULL);
	cr_assert(v, "not JSON: %s", result.value.json);
	return v;
}

static enum op_type parse_type(const char *verb, const char *line)
{
	memset(&result, 0, sizeof(result));
	cr_assert_eq(chord_client_parse_kv(line, verb, 7, &result), 1, "%s", line);
	return result.type;
}

Test(chord_client, an_ok_put_carries_its_version_and_owner)
{
	json_t *v = parse_ok("put", "put 7 ok 3 45138 n1 2");

	cr_expect_str_eq(json_string_value(json_object_get(v, "status")), "ok");
	cr_expect_eq(json_integer_value(json_object_get(v, "version")), 3);
	cr_expect_str_eq(json_string_value(json_object_get(v, "owner")), "n1");
	cr_expect_eq(json_integer_value(json_object_get(v, "owner_id")), 45138);
	cr_expect_eq(json_integer_value(json_object_get(v, "hops")), 2);
	cr_expect_null(json_object_get(v, "value"));
	json_decref(v);
}

Test(chord_client, a_get_reads_a_value_or_finds_nothing)
{
	json_t *v = parse_ok("get", "get 7 ok -12 4 51080 n2 1");

	cr_expect_eq(json_integer_value(json_object_get(v, "value")), -12);
	cr_expect_eq(json_integer_value(json_object_get(v, "version")), 4);
	json_decref(v);
	v = parse_ok("get", "get 7 not-found 0 51080 n2 0");
	cr_expect_str_eq(json_string_value(json_object_get(v, "status")), "not-found");
	cr_expect_null(json_object_get(v, "value"));
	json_decref(v);
}

Test(chord_client, an_unanswered_put_is_info_and_the_rest_fail)
{
	cr_expect_eq(parse_type("put", "put 7 unknown 0 45138 n1 1"), OP_INFO);
	cr_expect_eq(parse_type("get", "get 7 unknown 0 45138 n1 1"), OP_FAIL);
	cr_expect_eq(parse_type("put", "put 7 no-owner timeout 1"), OP_FAIL);
	cr_expect_str_eq(result.error, "no-owner: lookup timeout");
	cr_expect_eq(parse_type("put", "put 7 not-owner 0 45138 n1 1"), OP_FAIL);
	cr_expect_eq(parse_type("put", "put 7 full 0 45138 n1 1"), OP_FAIL);
	cr_expect_eq(parse_type("get", "get 7 error expected \"get TAG ID\""), OP_FAIL);
}

Test(chord_client, replies_to_other_requests_wait_and_bad_ones_are_refused)
{
	memset(&result, 0, sizeof(result));
	cr_expect_eq(chord_client_parse_kv("put 6 ok 3 45138 n1 2", "put", 7, &result), 0,
		     "an earlier put's late reply");
	cr_expect_eq(chord_client_parse_kv("lookup 6 ok 45138 n1 1 3,4", "put", 7, &result), 0,
		     "a lookup's late reply");
	cr_expect_eq(chord_client_parse_kv("put 7 ok 3", "put", 7, &result), -EBADMSG);
	cr_expect_eq(chord_client_parse_kv("get 7 ok x 1 2 n1 0", "get", 7, &result), -EBADMSG);
	cr_expect_eq(chord_client_parse_kv("hello", "get", 7, &result), -EBADMSG);
}

Test(chord_client, a_state_line_keeps_ids_only)
{
	static const char *const line = "{\"node\":\"n1\",\"id\":9,\"bits\":6,"
					"\"incarnation\":2,\"joined\":true,\"idle\":false,"
					"\"pred\":{\"id\":5,\"node\":\"n2\"},\"succ\":[{\"id\":"
					"12,\"node\":\"n3\"}],\"fingers\":[{\"id\":12,"
					"\"node\":\"n3\"},null]}";
	json_t *v;

	memset(&result, 0, sizeof(result));
	cr_assert_eq(chord_client_parse_state(line, &result), 0);
	v = json_loads(result.value.json, 0, NULL);
	cr_assert(v);
	cr_expect_eq(json_integer_value(json_object_get(v, "pred")), 5);
	cr_expect_eq(json_integer_value(json_array_get(json_object_get(v, "succ"), 0)), 12);
	cr_expect(json_is_null(json_array_get(json_object_get(v, "fingers"), 1)));
	json_decref(v);
	cr_expect_eq(chord_client_parse_state("{\"joined\":true}", &result), -EBADMSG);
}
