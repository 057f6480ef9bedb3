/* SPDX-License-Identifier: MIT */
/* test_load.c - whole histories in memory: pair index, interning, errors leave it empty. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "errbuf.h"
#include "hist.h"
#include "hist_test_files.h"

TestSuite(hist_load, .fini = test_dir_remove);

static const char paired[] =
	"{\"index\":0,\"time\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1,"
	"\"node\":\"n1\"}\n"
	"{\"index\":1,\"time\":1,\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
	"{\"index\":2,\"time\":2,\"process\":\"nemesis\",\"type\":\"invoke\",\"f\":\"kill\","
	"\"value\":[\"n1\"]}\n"
	"{\"index\":3,\"time\":3,\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":[1,2]}\n"
	"{\"index\":4,\"time\":4,\"process\":0,\"type\":\"info\",\"f\":\"add\",\"value\":1,"
	"\"node\":\"n1\"}\n"
	"{\"index\":5,\"time\":5,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"kill\","
	"\"value\":[\"n1\"]}\n"
	"{\"index\":6,\"time\":6,\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
	"{\"index\":7,\"time\":7,\"process\":\"nemesis\",\"type\":\"invoke\",\"f\":\"kill\","
	"\"value\":null}\n"
	"{\"index\":8,\"time\":8,\"process\":1,\"type\":\"fail\",\"f\":\"read\",\"value\":null}\n";

Test(hist_load, links_each_invocation_to_its_completion)
{
	static const uint64_t want[] = { 4, 3, 5, 1, 0, 2, 8, HIST_NO_PAIR, 6 };
	char path[TEST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	struct history h;

	test_write_text(path, "paired.jsonl", paired);
	cr_assert_eq(hist_load(&h, path, &eb), 0, "%s", eb.msg);
	cr_assert_eq(h.count, 9);
	for (uint64_t i = 0; i < h.count; i++) {
		cr_expect_eq(h.ops[i].index, i);
		cr_expect_eq(hist_pair(&h, i), want[i], "pair[%llu] = %llu", (unsigned long long)i,
			     (unsigned long long)hist_pair(&h, i));
	}
	cr_expect_str_eq(h.warning, "");
	hist_fini(&h);
	cr_expect_null(h.ops);
	hist_fini(&h);
}

Test(hist_load, owns_interned_strings_and_values)
{
	char path[TEST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	struct history h;

	test_write_text(path, "owned.jsonl", paired);
	cr_assert_eq(hist_load(&h, path, &eb), 0, "%s", eb.msg);
	cr_expect_eq(h.ops[0].f, h.ops[4].f, "equal f strings share one copy");
	cr_expect_eq(op_node(&h.ops[0]), op_node(&h.ops[4]));
	cr_expect_str_eq(op_node(&h.ops[0]), "n1");
	cr_expect_eq(h.ops[1].f, h.ops[8].f);
	cr_assert_eq(h.ops[3].value.kind, OP_VALUE_INTS);
	cr_assert_eq(h.ops[3].value.count, 2);
	cr_expect_eq(h.ops[3].value.ints[1], 2);
	cr_expect_str_eq(h.ops[2].value.json, "[\"n1\"]");
	cr_expect_eq(h.ops[8].type, OP_FAIL);
	hist_fini(&h);
}

/* Ops 0..5: node n1; n1; n1 with an error; n2; neither; the same error alone. */
static const char noted[] =
	"{\"index\":0,\"time\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1,"
	"\"node\":\"n1\"}\n"
	"{\"index\":1,\"time\":1,\"process\":1,\"type\":\"invoke\",\"f\":\"add\",\"value\":2,"
	"\"node\":\"n1\"}\n"
	"{\"index\":2,\"time\":2,\"process\":0,\"type\":\"info\",\"f\":\"add\",\"value\":1,"
	"\"node\":\"n1\",\"error\":\"timeout\"}\n"
	"{\"index\":3,\"time\":3,\"process\":2,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,"
	"\"node\":\"n2\"}\n"
	"{\"index\":4,\"time\":4,\"process\":3,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
	"{\"index\":5,\"time\":5,\"process\":1,\"type\":\"fail\",\"f\":\"add\",\"value\":2,"
	"\"error\":\"timeout\"}\n";

Test(hist_load, stores_each_node_and_error_pair_once)
{
	char path[TEST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	struct history h;

	test_write_text(path, "noted.jsonl", noted);
	cr_assert_eq(hist_load(&h, path, &eb), 0, "%s", eb.msg);
	cr_assert_eq(h.count, 6);
	cr_expect_eq(h.ops[0].note, h.ops[1].note, "the same pair, one note");
	cr_expect_neq(h.ops[0].note, h.ops[2].note);
	cr_expect_neq(h.ops[0].note, h.ops[3].note);
	cr_expect_neq(h.ops[2].note, h.ops[5].note);
	cr_expect_null(h.ops[4].note, "neither: no note at all");
	cr_expect_str_eq(op_node(&h.ops[2]), "n1");
	cr_expect_str_eq(op_error(&h.ops[2]), "timeout");
	cr_expect_null(op_error(&h.ops[0]));
	cr_expect_str_eq(op_node(&h.ops[3]), "n2");
	cr_expect_null(op_node(&h.ops[4]));
	cr_expect_null(op_error(&h.ops[4]));
	cr_expect_null(op_node(&h.ops[5]));
	cr_expect_eq(op_error(&h.ops[5]), op_error(&h.ops[2]), "errors are interned too");
	hist_fini(&h);
}

Test(hist_load, keeps_the_torn_line_warning)
{
	char path[TEST_PATH_BYTES_MAX];
	char text[sizeof(paired) + 32];
	struct errbuf eb = { "" };
	struct history h;

	snprintf(text, sizeof(text), "%s{\"index\":9,\"ti", paired);
	test_write_text(path, "torn.jsonl", text);
	cr_assert_eq(hist_load(&h, path, &eb), 0, "%s", eb.msg);
	cr_expect_eq(h.count, 9);
	cr_expect_not_null(strstr(h.warning, ":10: "), "%s", h.warning);
	hist_fini(&h);
}

Test(hist_load, leaves_the_history_empty_on_a_malformed_file)
{
	char path[TEST_PATH_BYTES_MAX];
	char text[sizeof(paired) + 128];
	struct errbuf eb = { "" };
	struct history h;

	snprintf(text, sizeof(text), "%s{\"index\":9,\"time\":9,\"process\":0,\"type\":\"invoke\","
		 "\"f\":\"add\",\"value\":1}\n", paired);
	test_write_text(path, "bad.jsonl", text);
	cr_expect_eq(hist_load(&h, path, &eb), -EINVAL);
	cr_expect_not_null(strstr(eb.msg, ":10: "), "%s", eb.msg);
	cr_expect_null(h.ops);
	cr_expect_null(h.pair32);
	cr_expect_eq(h.count, 0);
	hist_fini(&h);
}

Test(hist_load, reports_a_missing_file)
{
	struct errbuf eb = { "" };
	struct history h;

	cr_expect_eq(hist_load(&h, "/nonexistent/h.jsonl", &eb), -ENOENT);
	cr_expect_not_null(strstr(eb.msg, "/nonexistent/h.jsonl"), "%s", eb.msg);
	cr_expect_eq(h.count, 0);
}

Test(hist_load, loads_the_documented_example)
{
	struct errbuf eb = { "" };
	struct history h;

	cr_assert_eq(hist_load(&h, HIST_SAMPLES_DIR "/valid_example.jsonl", &eb), 0, "%s",
		     eb.msg);
	cr_expect_eq(h.count, 8);
	cr_expect_eq(hist_pair(&h, 2), 5);
	cr_expect_eq(hist_pair(&h, 6), 7);
	cr_expect(h.ops[7].final);
	hist_fini(&h);
}
