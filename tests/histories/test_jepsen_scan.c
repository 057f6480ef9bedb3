/* SPDX-License-Identifier: MIT */
/* test_jepsen_scan.c - the EDN op scanner and the full EDN reader import the same ops, with
 * the same warnings, and refuse the same maps with the same messages. */
#include <criterion/criterion.h>
#include <string.h>

#include "errbuf.h"
#include "hist.h"
#include "hist_test_files.h"
#include "jepsen_import.h"
#include "jepsen_scan.h"

TestSuite(jepsen_scan, .fini = test_dir_remove);

static void expect_same_text(const char *a, const char *b, const char *what, uint64_t i)
{
	if (!a || !b)
		cr_expect(a == b, "op %lu: %s present one way only", (unsigned long)i, what);
	else
		cr_expect_str_eq(a, b, "op %lu: %s", (unsigned long)i, what);
}

static void expect_same_op(const struct op *a, const struct op *b, uint64_t i)
{
	cr_expect_eq(a->time_ns, b->time_ns, "op %lu: time", (unsigned long)i);
	cr_expect_eq(a->type, b->type, "op %lu: type", (unsigned long)i);
	cr_expect_eq(a->process, b->process, "op %lu: process", (unsigned long)i);
	expect_same_text(a->f, b->f, "f", i);
	expect_same_text(op_node(a), op_node(b), "node", i);
	expect_same_text(a->key, b->key, "key", i);
	expect_same_text(op_error(a), op_error(b), "error", i);
	cr_assert_eq(a->value.kind, b->value.kind, "op %lu: value kind", (unsigned long)i);
	if (a->value.kind == OP_VALUE_INT)
		cr_expect_eq(a->value.integer, b->value.integer, "op %lu", (unsigned long)i);
	if (a->value.kind == OP_VALUE_JSON)
		cr_expect_str_eq(a->value.json, b->value.json);
	if (a->value.kind != OP_VALUE_INTS)
		return;
	cr_assert_eq(a->value.count, b->value.count, "op %lu: count", (unsigned long)i);
	for (uint32_t k = 0; k < a->value.count; k++)
		cr_expect_eq(a->value.ints[k], b->value.ints[k]);
}

/* Imports @text both ways and compares; returns the scanner's error (0: imported). */
static int import_both(const char *text)
{
	struct jepsen_import_opts full_only = { .full_reader_only = true };
	struct errbuf eb_scan = { "" }, eb_full = { "" };
	char path[TEST_PATH_BYTES_MAX];
	struct history scan, full;
	int err_scan, err_full;

	test_write_text(path, "h.edn", text);
	err_scan = jepsen_import_load(&scan, path, NULL, NULL, &eb_scan);
	err_full = jepsen_import_load(&full, path, &full_only, NULL, &eb_full);
	cr_expect_eq(err_scan, err_full, "%s", text);
	cr_expect_str_eq(eb_scan.msg, eb_full.msg);
	cr_assert_eq(scan.count, full.count, "%s", text);
	for (uint64_t i = 0; i < scan.count; i++)
		expect_same_op(&scan.ops[i], &full.ops[i], i);
	cr_expect_str_eq(scan.warning, full.warning);
	hist_fini(&scan);
	hist_fini(&full);
	return err_scan;
}

Test(jepsen_scan, common_maps_import_alike)
{
	cr_expect_eq(import_both("{:type :invoke, :f :write, :value 3, :process 0, :time 10, "
				 ":index 0}\n{:type :ok, :f :write, :value 3, :process 0, "
				 ":time 20, :index 1}\n"), 0);
	cr_expect_eq(import_both("[{:process 1 :type :invoke :f :add :value [1 -2 3N]}\n"
				 " {:process 1 :type :ok :f :add :value [] :node \"n1\" "
				 ":debug 7}]\n"), 0);
	cr_expect_eq(import_both("{:process :nemesis :type :info :f :start :value nil}\n"
				 "{:process 2, :type :invoke, :f :read, :value nil, :key :k}\n"
				 "{:process 2, :type :fail, :f :read, :value nil, :error :timeout, "
				 ":current 5}\n"), 0);
}

Test(jepsen_scan, other_maps_take_the_full_reader_alike)
{
	cr_expect_eq(import_both("{:process 0, :type :invoke, :f :cas, :value [1 2]}\n"
				 "{:process 0, :type :ok, :f :cas, :value [1 2], ; why\n"
				 " :time 5}\n"
				 "{:process 1, :type :invoke, :f :write, :value :x, "
				 ":node \"n\\u00e9\"}\n"
				 "{:process 1, :type :ok, :f :write, :value {:a #{1}}, "
				 ":debug [1 {:b 2}]}\n"
				 "#jepsen.history.Op{:process 2, :type :invoke, :f :read, "
				 ":value nil}\n"), 0);
}

Test(jepsen_scan, tuples_time_and_index_oddities_alike)
{
	cr_expect_eq(import_both("{:process 0, :type :invoke, :f :write, :value [7 1], "
				 ":time 9, :index 4}\n"
				 "{:process 0, :type :ok, :f :write, :value [7 1], :time 3}\n"
				 "{:process 1, :type :invoke, :f :cas, :value [8 [0 2]]}\n"
				 "{:process 1, :type :info, :f :cas, :value [8 [0 2]]}\n"
				 "{:process 1, :type :invoke, :f :read, :value [8 nil]}\n"), 0);
}

Test(jepsen_scan, bad_maps_get_the_same_error)
{
	cr_expect_lt(import_both("{:process -1, :type :invoke, :f :read, :value nil}\n"), 0);
	cr_expect_lt(import_both("{:process 0, :type :begin, :f :read, :value nil}\n"), 0);
	cr_expect_lt(import_both("{:process 0, :type :invoke, :value nil}\n"), 0);
	cr_expect_lt(import_both("{:process 0, :type :invoke, :f :read, :value nil, "
				 ":time -4}\n"), 0);
	cr_expect_lt(import_both("{:process 0, :type :invoke, :f :read, :value nil}\n"
				 "{:process 0, :type :invoke, :f :read, :value nil}\n"), 0);
	cr_expect_lt(import_both("{:process 0, :type :invoke, :f :read, :value "
				 "99999999999999999999}\n"), 0);
	cr_expect_lt(import_both("{:process 0, :type :invoke, :f :read, :value nil"), 0);
}

Test(jepsen_scan, the_scanner_takes_the_common_shape_and_leaves_the_rest)
{
	static const char common[] = "{:process 3, :type :ok, :f :add, :value [4 5], :node \"n2\","
				     " :time 7}\n";
	static const char cas[] = "{:process 3, :type :ok, :f :cas, :value [4 [5 6]]}";
	struct jepsen_scanned sc;
	int64_t *ints = NULL;
	size_t ints_max = 0, pos = 0;

	cr_assert_eq(jepsen_scan_op(common, strlen(common), &pos, &sc, &ints, &ints_max), 1);
	cr_expect_eq(pos, strlen(common) - 1, "past the brace, not the newline");
	cr_expect_eq(sc.process, 3);
	cr_expect_eq(sc.type, OP_OK);
	cr_expect(sc.f.size == 3 && memcmp(sc.f.start, "add", 3) == 0);
	cr_expect(sc.node.size == 2 && memcmp(sc.node.start, "n2", 2) == 0);
	cr_expect(sc.has_time && sc.time == 7);
	cr_assert_eq(sc.value.kind, OP_VALUE_INTS);
	cr_expect_eq(sc.value.count, 2);
	cr_expect_eq(sc.value.ints[1], 5);
	pos = 0;
	cr_expect_eq(jepsen_scan_op(cas, strlen(cas), &pos, &sc, &ints, &ints_max), 0);
	cr_expect_eq(pos, 0, "left for the full reader");
	free(ints);
}
