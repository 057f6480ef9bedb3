/* SPDX-License-Identifier: MIT */
/* test_reader.c - the streaming reader: good input, each kind of bad input, torn lines. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "hist.h"
#include "hist_test_files.h"

TestSuite(hist_reader, .fini = test_dir_remove);

static const char good[] =
	"{\"index\":0,\"time\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":5,"
	"\"node\":\"n1\",\"key\":\"k1\"}\n"
	"{\"index\":1,\"time\":10,\"process\":\"nemesis\",\"type\":\"invoke\","
	"\"f\":\"start-partition\",\"value\":{\"n1\": [\"n2\", \"n3\"]}}\n"
	"{\"index\":2,\"time\":20,\"process\":1,\"type\":\"invoke\",\"f\":\"read\","
	"\"value\":null}\n"
	"{\"index\":3,\"time\":20,\"process\":0,\"type\":\"ok\",\"f\":\"add\",\"value\":5,"
	"\"node\":\"n1\",\"key\":\"k1\"}\n"
	"{\"index\":4,\"time\":30,\"process\":\"nemesis\",\"type\":\"info\","
	"\"f\":\"start-partition\",\"value\":\"majority\"}\n"
	"{\"index\":5,\"time\":40,\"process\":1,\"type\":\"info\",\"f\":\"read\",\"value\":null,"
	"\"error\":\"timeout\"}\n"
	"{\"index\":6,\"time\":50,\"process\":\"nemesis\",\"type\":\"invoke\","
	"\"f\":\"stop-partition\",\"value\":null}\n"
	"{\"index\":7,\"time\":60,\"process\":3,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,"
	"\"final\":true}\n"
	"{\"index\":8,\"time\":70,\"process\":3,\"type\":\"ok\",\"f\":\"read\",\"value\":[1,5,-7],"
	"\"final\":true}\n"
	"{\"index\":9,\"time\":71,\"process\":0,\"type\":\"invoke\",\"f\":\"cas\","
	"\"value\":[1,2.5]}\n"
	"{\"process\":0,\"index\":10,\"time\":72,\"type\":\"fail\",\"f\":\"cas\",\"value\":[1,2.5],"
	"\"error\":\"mismatch\",\"final\":false}\n"
	"{\"index\":11,\"time\":73,\"process\":2,\"type\":\"invoke\",\"f\":\"read\",\"value\":[]}\n"
	"{\"index\":12,\"time\":73,\"process\":4,\"type\":\"invoke\",\"f\":\"w\",\"value\":true}\n"
	"{\"index\":13,\"time\":80,\"process\":\"nemesis\",\"type\":\"info\","
	"\"f\":\"stop-partition\",\"value\":\"x\\\"y\"}\n";

static int read_all(const char *path, struct op *ops, int ops_max, struct errbuf *eb,
		    char *warning, size_t warning_size)
{
	struct hist_reader *r;
	struct op op;
	int count = 0;
	int rc;

	cr_assert_eq(hist_reader_open(&r, path, eb), 0, "%s", eb->msg);
	while ((rc = hist_reader_next(r, &op, eb)) == 1) {
		cr_assert_eq(hist_reader_line(r), op.index + 1);
		if (ops) {
			cr_assert_lt(count, ops_max);
			ops[count] = op;        /* strings dangle after the next call; unused */
		}
		count++;
	}
	if (warning)
		snprintf(warning, warning_size, "%s",
			 hist_reader_warning(r) ? hist_reader_warning(r) : "");
	hist_reader_close(r);
	return rc < 0 ? rc : count;
}

static void next_ok(struct hist_reader *r, struct op *op)
{
	struct errbuf eb = { "" };

	cr_assert_eq(hist_reader_next(r, op, &eb), 1, "%s", eb.msg);
}

Test(hist_reader, reads_every_field_of_client_and_nemesis_ops)
{
	char path[TEST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	struct hist_reader *r;
	struct op op;

	test_write_text(path, "good.jsonl", good);
	cr_assert_eq(hist_reader_open(&r, path, &eb), 0, "%s", eb.msg);
	next_ok(r, &op);
	cr_expect_eq(op.index, 0);
	cr_expect_eq(op.time_ns, 0);
	cr_expect_eq(op.process, 0);
	cr_expect_eq(op.type, OP_INVOKE);
	cr_expect_str_eq(op.f, "add");
	cr_expect_eq(op.value.kind, OP_VALUE_INT);
	cr_expect_eq(op.value.integer, 5);
	cr_expect_str_eq(op_node(&op), "n1");
	cr_expect_str_eq(op.key, "k1");
	cr_expect_null(op_error(&op));
	cr_expect_not(op.final);

	next_ok(r, &op);
	cr_expect_eq(op.process, OP_PROCESS_NEMESIS);
	cr_expect_str_eq(op.f, "start-partition");
	cr_expect_eq(op.value.kind, OP_VALUE_JSON);
	cr_expect_str_eq(op.value.json, "{\"n1\":[\"n2\",\"n3\"]}");
	cr_expect_null(op_node(&op));

	next_ok(r, &op);
	cr_expect_eq(op.value.kind, OP_VALUE_NULL);
	cr_expect_eq(op.time_ns, 20);

	next_ok(r, &op);
	cr_expect_eq(op.type, OP_OK);

	next_ok(r, &op);
	cr_expect_eq(op.type, OP_INFO);
	cr_expect_str_eq(op.value.json, "\"majority\"");

	next_ok(r, &op);
	cr_expect_eq(op.type, OP_INFO);
	cr_expect_str_eq(op_error(&op), "timeout");

	next_ok(r, &op);
	cr_expect_eq(op.process, OP_PROCESS_NEMESIS, "nemesis invokes again after info");

	hist_reader_close(r);
}

Test(hist_reader, reads_final_flags_and_every_value_kind)
{
	char path[TEST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	struct hist_reader *r;
	struct op op;

	test_write_text(path, "good.jsonl", good);
	cr_assert_eq(hist_reader_open(&r, path, &eb), 0, "%s", eb.msg);
	for (int i = 0; i < 7; i++)
		next_ok(r, &op);
	next_ok(r, &op);
	cr_expect(op.final);

	next_ok(r, &op);
	cr_expect_eq(op.value.kind, OP_VALUE_INTS);
	cr_assert_eq(op.value.count, 3);
	cr_expect_eq(op.value.ints[0], 1);
	cr_expect_eq(op.value.ints[1], 5);
	cr_expect_eq(op.value.ints[2], -7);
	cr_expect(op.final);

	next_ok(r, &op);
	cr_expect_eq(op.value.kind, OP_VALUE_JSON, "mixed array is JSON");
	cr_expect_str_eq(op.value.json, "[1,2.5]");

	next_ok(r, &op);
	cr_expect_eq(op.index, 10, "key order in the line does not matter");
	cr_expect_eq(op.type, OP_FAIL);
	cr_expect_str_eq(op_error(&op), "mismatch");
	cr_expect_not(op.final);

	next_ok(r, &op);
	cr_expect_eq(op.value.kind, OP_VALUE_INTS);
	cr_expect_eq(op.value.count, 0);
	cr_expect_null(op.value.ints);

	next_ok(r, &op);
	cr_expect_str_eq(op.value.json, "true");

	next_ok(r, &op);
	cr_expect_str_eq(op.value.json, "\"x\\\"y\"");
	cr_expect_eq(hist_reader_line(r), 14);

	cr_expect_eq(hist_reader_next(r, &op, &eb), 0);
	cr_expect_eq(hist_reader_next(r, &op, &eb), 0, "end stays end");
	cr_expect_null(hist_reader_warning(r));
	hist_reader_close(r);
}

Test(hist_reader, reads_an_empty_file_as_no_ops)
{
	char path[TEST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	struct op ops[1];

	test_write_text(path, "empty.jsonl", "");
	cr_expect_eq(read_all(path, ops, 1, &eb, NULL, 0), 0);
}

/* A valid first line: process 0 invokes a read. */
#define LINE0                                                                             \
	"{\"index\":0,\"time\":5,\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
/* A line 2 (index 1) with the given fields after index. */
#define LINE1(rest) "{\"index\":1," rest "}\n"

/* Reads @text to its error; checks the code, "path:line:" and that @word names the rule. */
static void expect_bad(const char *text, int err, unsigned line, const char *word)
{
	char path[TEST_PATH_BYTES_MAX];
	char where[TEST_PATH_BYTES_MAX + 32];
	struct errbuf eb = { "" };

	test_write_text(path, "bad.jsonl", text);
	cr_expect_eq(read_all(path, NULL, 0, &eb, NULL, 0), err, "message: %s", eb.msg);
	snprintf(where, sizeof(where), "%s:%u: ", path, line);
	cr_expect_not_null(strstr(eb.msg, where), "\"%s\" lacks \"%s\"", eb.msg, where);
	cr_expect_not_null(strstr(eb.msg, word), "\"%s\" lacks \"%s\"", eb.msg, word);
}

Test(hist_reader, rejects_a_line_that_is_not_json)
{
	expect_bad(LINE0 "{\"index\":1,\"time\":\n" LINE0, -EBADMSG, 2, "JSON");
}

Test(hist_reader, rejects_a_line_that_is_not_an_object)
{
	expect_bad(LINE0 "[1,2]\n", -EBADMSG, 2, "object");
	expect_bad(LINE0 "42\n", -EBADMSG, 2, "object");
	expect_bad(LINE0 "\"op\"", -EBADMSG, 2, "object");
}

Test(hist_reader, rejects_duplicate_keys)
{
	expect_bad("{\"index\":0,\"index\":0,\"time\":5,\"process\":0,\"type\":\"invoke\","
		   "\"f\":\"read\",\"value\":null}\n", -EBADMSG, 1, "duplicate");
}

Test(hist_reader, rejects_a_missing_index)
{
	expect_bad(LINE0 "{\"time\":5,\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":1}\n",
		   -EINVAL, 2, "\"index\"");
}

Test(hist_reader, rejects_an_index_that_is_not_dense)
{
	expect_bad(LINE0 "{\"index\":2,\"time\":5,\"process\":0,\"type\":\"ok\",\"f\":\"read\","
		   "\"value\":1}\n", -EINVAL, 2, "dense");
}

Test(hist_reader, rejects_a_negative_index)
{
	expect_bad("{\"index\":-1,\"time\":5,\"process\":0,\"type\":\"invoke\",\"f\":\"read\","
		   "\"value\":null}\n", -EINVAL, 1, "\"index\"");
}

Test(hist_reader, rejects_time_going_backwards)
{
	expect_bad(LINE0 LINE1("\"time\":4,\"process\":0,\"type\":\"ok\",\"f\":\"read\","
			       "\"value\":1"), -EINVAL, 2, "non-decreasing");
}

Test(hist_reader, rejects_a_time_that_is_not_an_integer)
{
	expect_bad(LINE0 LINE1("\"time\":5.5,\"process\":0,\"type\":\"ok\",\"f\":\"read\","
			       "\"value\":1"), -EINVAL, 2, "integer");
}

Test(hist_reader, rejects_a_negative_process)
{
	expect_bad(LINE0 LINE1("\"time\":5,\"process\":-1,\"type\":\"invoke\",\"f\":\"read\","
			       "\"value\":1"), -EINVAL, 2, "\"process\"");
}

Test(hist_reader, rejects_a_process_string_other_than_nemesis)
{
	expect_bad(LINE0 LINE1("\"time\":5,\"process\":\"client\",\"type\":\"invoke\","
			       "\"f\":\"read\",\"value\":1"), -EINVAL, 2, "\"nemesis\"");
}

Test(hist_reader, rejects_an_unknown_type)
{
	expect_bad(LINE0 LINE1("\"time\":5,\"process\":0,\"type\":\"done\",\"f\":\"read\","
			       "\"value\":1"), -EINVAL, 2,
		   "expected \"type\" to be one of invoke, ok, fail, info, got \"done\"");
}

Test(hist_reader, rejects_an_empty_f)
{
	expect_bad(LINE0 LINE1("\"time\":5,\"process\":1,\"type\":\"invoke\",\"f\":\"\","
			       "\"value\":1"), -EINVAL, 2, "non-empty");
}

Test(hist_reader, rejects_an_f_that_is_not_a_string)
{
	expect_bad(LINE0 LINE1("\"time\":5,\"process\":1,\"type\":\"invoke\",\"f\":7,"
			       "\"value\":1"), -EINVAL, 2, "\"f\"");
}

Test(hist_reader, rejects_a_missing_value)
{
	expect_bad(LINE0 LINE1("\"time\":5,\"process\":1,\"type\":\"invoke\",\"f\":\"read\""),
		   -EINVAL, 2, "\"value\"");
}

Test(hist_reader, rejects_an_unknown_key)
{
	expect_bad(LINE0 LINE1("\"time\":5,\"process\":1,\"type\":\"invoke\",\"f\":\"read\","
			       "\"value\":1,\"nodes\":\"n1\""),
		   -EINVAL, 2, "unknown key \"nodes\"");
}

Test(hist_reader, rejects_a_final_that_is_not_boolean)
{
	expect_bad(LINE0 LINE1("\"time\":5,\"process\":1,\"type\":\"invoke\",\"f\":\"read\","
			       "\"value\":1,\"final\":1"), -EINVAL, 2, "boolean");
}

Test(hist_reader, rejects_a_node_that_is_not_a_string)
{
	expect_bad(LINE0 LINE1("\"time\":5,\"process\":1,\"type\":\"invoke\",\"f\":\"read\","
			       "\"value\":1,\"node\":3"), -EINVAL, 2, "string");
}

Test(hist_reader, rejects_a_completion_without_invocation)
{
	expect_bad(LINE0 LINE1("\"time\":5,\"process\":1,\"type\":\"ok\",\"f\":\"read\","
			       "\"value\":1"), -EINVAL, 2, "invocation in flight");
}

Test(hist_reader, rejects_a_second_invoke_while_one_is_in_flight)
{
	expect_bad(LINE0 LINE1("\"time\":5,\"process\":0,\"type\":\"invoke\",\"f\":\"read\","
			       "\"value\":1"), -EINVAL, 2, "in flight");
}

Test(hist_reader, rejects_a_completion_with_a_different_f)
{
	expect_bad(LINE0 LINE1("\"time\":5,\"process\":0,\"type\":\"ok\",\"f\":\"write\","
			       "\"value\":1"), -EINVAL, 2, "\"f\" \"read\"");
}

Test(hist_reader, rejects_a_client_invoking_again_after_info)
{
	expect_bad(LINE0 LINE1("\"time\":5,\"process\":0,\"type\":\"info\",\"f\":\"read\","
			       "\"value\":null")
		   "{\"index\":2,\"time\":6,\"process\":0,\"type\":\"invoke\",\"f\":\"read\","
		   "\"value\":null}\n", -EINVAL, 3, "after info");
}

Test(hist_reader, rejects_a_blank_line)
{
	expect_bad(LINE0 "\n" LINE0, -EBADMSG, 2, "blank");
}

Test(hist_reader, rejects_a_line_longer_than_the_limit)
{
	size_t size = HIST_LINE_BYTES_MAX + 100;
	size_t prefix = strlen(LINE0);
	char *text = malloc(size + 1);
	char *value = text + prefix;

	cr_assert_not_null(text);
	memcpy(text, LINE0, prefix);
	/* Line 2: {"index":1,...,"value":"xxxx...x"} spanning more than the limit. */
	memset(value, 'x', size - prefix);
	text[size - 1] = '\n';
	text[size] = '\0';
	expect_bad(text, -E2BIG, 2, "line");
	free(text);
}

Test(hist_reader, accepts_a_line_just_within_the_limit)
{
	const char *head = "{\"index\":0,\"time\":5,\"process\":0,\"type\":\"invoke\","
			   "\"f\":\"read\",\"value\":\"";
	char path[TEST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	char *text = malloc(HIST_LINE_BYTES_MAX + 1);
	struct op op;

	cr_assert_not_null(text);
	memset(text, 'y', HIST_LINE_BYTES_MAX);
	memcpy(text, head, strlen(head));
	memcpy(text + HIST_LINE_BYTES_MAX - 3, "\"}\n", 3);
	text[HIST_LINE_BYTES_MAX] = '\0';
	test_write_text(path, "long.jsonl", text);
	cr_expect_eq(read_all(path, &op, 1, &eb, NULL, 0), 1, "%s", eb.msg);
	free(text);
}

Test(hist_reader, ends_at_a_torn_last_line_with_a_warning)
{
	char path[TEST_PATH_BYTES_MAX];
	char warning[512];
	char where[TEST_PATH_BYTES_MAX + 32];
	struct errbuf eb = { "" };
	struct op ops[4];

	test_write_text(path, "torn.jsonl", LINE0 LINE1("\"time\":5,\"process\":0,\"type\":"
			"\"ok\",\"f\":\"read\",\"value\":3") "{\"index\":2,\"time\":6,\"proc");
	cr_assert_eq(read_all(path, ops, 4, &eb, warning, sizeof(warning)), 2, "%s", eb.msg);
	cr_expect_eq(ops[1].type, OP_OK);
	cr_expect_eq(ops[1].value.integer, 3);
	snprintf(where, sizeof(where), "%s:3: ", path);
	cr_expect_not_null(strstr(warning, where), "warning: %s", warning);
	cr_expect_not_null(strstr(warning, "torn"), "warning: %s", warning);
}

Test(hist_reader, rejects_a_torn_line_that_is_not_the_last)
{
	expect_bad(LINE0 "{\"index\":1,\"time\":6,\"proc\n" LINE1("\"time\":5,\"process\":0,"
		   "\"type\":\"ok\",\"f\":\"read\",\"value\":3"), -EBADMSG, 2, "JSON");
}

Test(hist_reader, reads_a_whole_last_line_without_newline_as_an_op)
{
	char path[TEST_PATH_BYTES_MAX];
	char warning[512];
	struct errbuf eb = { "" };
	struct op ops[4];

	test_write_text(path, "nonl.jsonl", LINE0 "{\"index\":1,\"time\":5,\"process\":0,"
			"\"type\":\"ok\",\"f\":\"read\",\"value\":[4]}");
	cr_expect_eq(read_all(path, ops, 4, &eb, warning, sizeof(warning)), 2, "%s", eb.msg);
	cr_expect_str_eq(warning, "");
}

Test(hist_reader, checks_a_whole_last_line_without_newline_like_any_other)
{
	expect_bad(LINE0 "{\"index\":1,\"time\":5,\"process\":0,\"type\":\"ok\",\"f\":\"write\","
		   "\"value\":[4]}", -EINVAL, 2, "\"f\"");
}

Test(hist_reader, rejects_more_processes_than_the_limit)
{
	const size_t line_bytes_max = 96;
	size_t size = (size_t)(HIST_PROCESSES_MAX + 1) * line_bytes_max;
	char *text = malloc(size);
	size_t used = 0;

	cr_assert_not_null(text);
	for (int i = 0; i <= HIST_PROCESSES_MAX; i++)
		used += (size_t)snprintf(text + used, size - used, "{\"index\":%d,\"time\":0,"
					 "\"process\":%d,\"type\":\"invoke\",\"f\":\"r\","
					 "\"value\":null}\n", i, i * 3);
	cr_assert_lt(used, size);
	expect_bad(text, -E2BIG, HIST_PROCESSES_MAX + 1, "processes");
	free(text);
}
