/* SPDX-License-Identifier: MIT */
/* test_scan.c - the fast line scanner and the full parser load the same ops and refuse the
 * same lines with the same messages: every history below is loaded both ways. */
#include <criterion/criterion.h>
#include <string.h>

#include "errbuf.h"
#include "hist.h"
#include "hist_scan.h"
#include "hist_test_files.h"

TestSuite(hist_scan, .fini = test_dir_remove);

static void expect_same_value(const struct op_value *a, const struct op_value *b, uint64_t i)
{
	cr_expect_eq(a->kind, b->kind, "op %lu: value kind", (unsigned long)i);
	if (a->kind != b->kind)
		return;
	if (a->kind == OP_VALUE_INT)
		cr_expect_eq(a->integer, b->integer, "op %lu: value", (unsigned long)i);
	if (a->kind == OP_VALUE_JSON)
		cr_expect_str_eq(a->json, b->json, "op %lu: value", (unsigned long)i);
	if (a->kind != OP_VALUE_INTS)
		return;
	cr_assert_eq(a->count, b->count, "op %lu: value count", (unsigned long)i);
	for (uint32_t k = 0; k < a->count; k++)
		cr_expect_eq(a->ints[k], b->ints[k], "op %lu: value[%u]", (unsigned long)i, k);
}

static void expect_same_text(const char *a, const char *b, const char *what, uint64_t i)
{
	if (!a || !b)
		cr_expect(a == b, "op %lu: %s present one way only", (unsigned long)i, what);
	else
		cr_expect_str_eq(a, b, "op %lu: %s", (unsigned long)i, what);
}

/* Loads @text both ways; returns the scanner's error (0 when loaded). */
static int load_both(const char *text)
{
	char path[TEST_PATH_BYTES_MAX];
	struct errbuf eb_scan = { "" }, eb_full = { "" };
	struct history scan, full;
	int err_scan, err_full;

	test_write_text(path, "h.jsonl", text);
	err_scan = hist_load_scan(&scan, path, true, &eb_scan);
	err_full = hist_load_scan(&full, path, false, &eb_full);
	cr_expect_eq(err_scan, err_full, "%s", text);
	cr_expect_str_eq(eb_scan.msg, eb_full.msg);
	cr_assert_eq(scan.count, full.count);
	for (uint64_t i = 0; i < scan.count; i++) {
		const struct op *a = &scan.ops[i], *b = &full.ops[i];

		cr_expect_eq(a->index, b->index);
		cr_expect_eq(a->time_ns, b->time_ns, "op %lu: time", (unsigned long)i);
		cr_expect_eq(a->type, b->type, "op %lu: type", (unsigned long)i);
		cr_expect_eq(a->process, b->process, "op %lu: process", (unsigned long)i);
		cr_expect_eq(a->final, b->final, "op %lu: final", (unsigned long)i);
		expect_same_text(a->f, b->f, "f", i);
		expect_same_text(op_node(a), op_node(b), "node", i);
		expect_same_text(a->key, b->key, "key", i);
		expect_same_text(op_error(a), op_error(b), "error", i);
		expect_same_value(&a->value, &b->value, i);
	}
	cr_expect_str_eq(scan.warning, full.warning);
	hist_fini(&scan);
	hist_fini(&full);
	return err_scan;
}

#define OP0 "{\"index\":0,\"time\":0,\"type\":\"invoke\",\"process\":0,\"f\":\"add\","
#define OK1 "{\"index\":1,\"time\":5,\"type\":\"ok\",\"process\":0,\"f\":\"add\","

Test(hist_scan, the_common_shapes_load_alike)
{
	cr_expect_eq(load_both(OP0 "\"value\":3}\n" OK1 "\"value\":3}\n"), 0);
	cr_expect_eq(load_both(OP0 "\"value\":[1,-2,9223372036854775807,-9223372036854775808]}\n"
			       OK1 "\"value\":[]}\n"), 0);
	cr_expect_eq(load_both(OP0 "\"value\":null,\"node\":\"n1\",\"key\":\"k\"}\n"
			       OK1 "\"value\":null,\"error\":\"timeout\",\"final\":true}\n"), 0);
	cr_expect_eq(load_both("{ \"process\" : \"nemesis\", \"type\":\"invoke\", \"f\":\"start\","
			       " \"value\":null, \"time\":3, \"index\":0 }\n"
			       "{\"index\":1,\"time\":9,\"type\":\"info\",\"process\":\"nemesis\","
			       "\"f\":\"start\",\"value\":[ 1 , 2 ],\"final\":false}\n"), 0);
	cr_expect_eq(load_both(OP0 "\"value\":-0}\n"), 0);
	/* Array elements: 18 digits (the inline path), 19 and -0 (the careful one). */
	cr_expect_eq(load_both(OP0 "\"value\":[0,-0,123456789012345678,-123456789012345678,"
			       "1234567890123456789,-9223372036854775807]}\n"), 0);
}

Test(hist_scan, other_values_and_strings_take_the_full_parser_alike)
{
	cr_expect_eq(load_both(OP0 "\"value\":{\"ts\":[1,2],\"v\":\"x\"}}\n"
			       OK1 "\"value\":\"caf\\u00e9\",\"node\":\"n\\\"1\"}\n"), 0);
	cr_expect_eq(load_both(OP0 "\"value\":[1,\"a\"]}\n" OK1 "\"value\":2.5}\n"), 0);
	cr_expect_eq(load_both(OP0 "\"value\":[1,2.5]}\n" OK1 "\"value\":[1e3]}\n"), 0);
	cr_expect_eq(load_both(OP0 "\"value\":1,\"node\":\"n\xc3\xa9\"}\n"), 0);
}

Test(hist_scan, bad_lines_get_the_same_error)
{
	cr_expect_lt(load_both(OP0 "\"value\":1,\"value\":2}\n"), 0);         /* repeated */
	cr_expect_lt(load_both(OP0 "\"value\":1,\"colour\":2}\n"), 0);        /* unknown */
	cr_expect_lt(load_both(OP0 "\"value\":01}\n"), 0);                    /* leading 0 */
	cr_expect_lt(load_both("{\"index\":0,\"time\":0,\"type\":\"invoke\",\"process\":0,"
			       "\"value\":1}\n"), 0);                            /* no f */
	cr_expect_lt(load_both(OP0 "\"value\":99999999999999999999}\n"), 0);  /* too big */
	cr_expect_lt(load_both(OP0 "\"value\":[1,99999999999999999999]}\n"), 0);
	cr_expect_lt(load_both(OP0 "\"value\":[7,01]}\n"), 0);               /* leading 0 */
	cr_expect_lt(load_both(OP0 "\"value\":[-]}\n"), 0);
	cr_expect_lt(load_both(OP0 "\"value\":1}\n{\"index\":1,\"time\":5,\"type\":\"okay\","
			       "\"process\":0,\"f\":\"add\",\"value\":1}\n"), 0);
	cr_expect_lt(load_both(OP0 "\"value\":1}\n" OK1 "\"value\":1,\"final\":1}\n"), 0);
	cr_expect_lt(load_both("{\"index\":0,\"time\":-1,\"type\":\"invoke\",\"process\":0,"
			       "\"f\":\"add\",\"value\":1}\n"), 0);
	cr_expect_lt(load_both("{\"index\":0,\"time\":0,\"type\":\"invoke\",\"process\":0,"
			       "\"f\":\"\",\"value\":1}\n"), 0);
	cr_expect_lt(load_both(OP0 "\"value\":1} x\n"), 0);
	cr_expect_lt(load_both(OP0 "\"value\":1}\n\n"), 0);                   /* blank line */
	cr_expect_lt(load_both(OP0 "\"value\":1}\n" OK1 "\"value\":1}\n"
			       "{\"index\":2,\"time\":1,\"type\":\"invoke\",\"process\":0,"
			       "\"f\":\"add\",\"value\":1}\n"), 0);                /* time back */
}

Test(hist_scan, a_torn_last_line_is_the_same_warning)
{
	cr_expect_eq(load_both(OP0 "\"value\":1}\n" OK1 "\"val"), 0);
	cr_expect_eq(load_both(OP0 "\"value\":1}\n" OK1 "\"value\":1}"), 0);  /* whole */
}

Test(hist_scan, the_scanner_takes_the_common_shape_and_leaves_the_rest)
{
	char common[] = OP0 "\"value\":[4,5],\"node\":\"n2\"}";
	char escaped[] = OP0 "\"value\":1,\"node\":\"n\\\"2\"}";
	char object[] = OP0 "\"value\":{\"a\":1}}";
	char copy[sizeof(escaped)];
	int64_t *ints = NULL;
	size_t ints_max = 0;
	struct op_note note;
	struct op op;

	cr_assert_eq(hist_scan_line(common, strlen(common), &op, &note, &ints, &ints_max), 1);
	cr_expect_str_eq(op.f, "add");
	cr_expect_str_eq(op_node(&op), "n2");
	cr_expect_eq(op.type, OP_INVOKE);
	cr_assert_eq(op.value.kind, OP_VALUE_INTS);
	cr_expect_eq(op.value.count, 2);
	cr_expect_eq(op.value.ints[1], 5);
	memcpy(copy, escaped, sizeof(copy));
	cr_expect_eq(hist_scan_line(escaped, strlen(escaped), &op, &note, &ints, &ints_max), 0);
	cr_expect_str_eq(escaped, copy, "left as it was for the full parser");
	cr_expect_eq(hist_scan_line(object, strlen(object), &op, &note, &ints, &ints_max), 0);
	free(ints);
}
