/* SPDX-License-Identifier: MIT */
/* test_jepsen_counter.c - Jepsen's counter checker: read bounds, info and failed adds,
 * decrements, malformed values, and an EDN history through the importer. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "checker.h"
#include "checker_table.h"
#include "errbuf.h"
#include "hist_build.h"
#include "jepsen_counter.h"
#include "jepsen_fixture.h"

static struct hist_build b;
static struct check_result r;

static void setup(void)
{
	hb_init(&b);
	check_result_init(&r);
}

static void teardown(void)
{
	check_result_fini(&r);
	hb_fini(&b);
}

TestSuite(jepsen_counter, .init = setup, .fini = teardown);

static enum verdict run(void)
{
	cr_assert_eq(jepsen_fixture_check(&jepsen_counter_checker, &b.h, NULL, &r), 0, "%s",
		     r.unknown_reason);
	return r.verdict;
}

static void add(int32_t p, int64_t delta, enum op_type type)
{
	hb_op(&b, p, "add", NULL, HB_INT(delta), type, HB_INT(delta), false);
}

static void read_ok(int32_t p, int64_t value)
{
	hb_op(&b, p, "read", NULL, HB_NULL, OP_OK, HB_INT(value), false);
}

static bool figures_have(const char *text)
{
	return r.figures && strstr(r.figures, text);
}

Test(jepsen_counter, empty_history_is_valid)
{
	cr_expect_eq(run(), VERDICT_VALID);
	cr_expect_eq(r.anomalies_total, 0);
	cr_expect(figures_have("counter: 0 ok reads, 0 out of bounds"), "%s", r.figures);
}

Test(jepsen_counter, initial_read_of_zero_is_valid_and_of_one_is_not)
{
	read_ok(0, 0);
	cr_expect_eq(run(), VERDICT_VALID);
	cr_expect(figures_have("[0 0 0]"), "%s", r.figures);
	read_ok(0, 1);
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "out-of-bounds-read"), 1);
	cr_expect(strstr(r.anomalies[0].message, "read of 1 (op 2) outside [0 0]"), "%s",
		  r.anomalies[0].message);
	cr_expect_eq(r.anomalies[0].op_count, 2);
	cr_expect_eq(r.anomalies[0].ops[0], 2);
	cr_expect_eq(r.anomalies[0].ops[1], 3);
}

Test(jepsen_counter, failed_add_is_ignored)
{
	add(0, 1, OP_FAIL);
	read_ok(0, 0);
	cr_expect_eq(run(), VERDICT_VALID);
	read_ok(0, 1);
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(r.anomalies_total, 1);
	cr_expect(strstr(r.anomalies[0].message, "above"), "%s", r.anomalies[0].message);
}

Test(jepsen_counter, crashed_add_may_or_may_not_count)
{
	add(0, 2, OP_INFO);
	read_ok(1, 0);
	read_ok(1, 2);
	cr_expect_eq(run(), VERDICT_VALID);
	read_ok(1, 3);
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(r.anomalies_total, 1);
	cr_expect(strstr(r.anomalies[0].message, "read of 3"), "%s", r.anomalies[0].message);
}

/* Jepsen's "incomplete history": an add still in flight raises only the upper bound. */
Test(jepsen_counter, add_in_flight_raises_only_the_upper_bound)
{
	hb_invoke(&b, 0, "add", NULL, HB_INT(1), false);
	read_ok(1, 0);
	read_ok(1, 1);
	cr_expect_eq(run(), VERDICT_VALID);
	cr_expect(figures_have("[0 0 1] [0 1 1]"), "%s", r.figures);
}

Test(jepsen_counter, ok_add_completed_before_the_read_is_the_lower_bound)
{
	add(0, 5, OP_OK);
	read_ok(1, 4);
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "out-of-bounds-read"), 1);
	cr_expect(strstr(r.anomalies[0].message, "outside [5 5]: below"), "%s",
		  r.anomalies[0].message);
}

/* Jepsen's "interleaved concurrent reads and writes": only the read of 100 is out. */
Test(jepsen_counter, interleaved_reads_are_bounded_by_the_adds_around_them)
{
	static const int64_t reads[5] = { 6, 0, 3, 100, 15 }, adds[4] = { 1, 2, 4, 8 };

	for (int p = 0; p < 9; p++) {
		if (p % 2 == 0)
			hb_invoke(&b, p, "read", NULL, HB_NULL, false);
		else
			hb_invoke(&b, p, "add", NULL, HB_INT(adds[p / 2]), false);
	}
	for (int p = 0; p < 9; p++)
		hb_complete(&b, p, OP_OK, HB_INT(p % 2 == 0 ? reads[p / 2] : adds[p / 2]));
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(r.anomalies_total, 1);
	cr_expect(strstr(r.anomalies[0].message, "read of 100 (op 6) outside [0 15]"), "%s",
		  r.anomalies[0].message);
	cr_expect(figures_have("[0 6 15] [0 0 15] [0 3 15] [0 100 15] [0 15 15]"), "%s",
		  r.figures);
}

/* Jepsen's "rolling reads and writes": the last read, of 5, exceeds the upper bound 3. */
Test(jepsen_counter, rolling_reads_and_writes)
{
	hb_invoke(&b, 0, "read", NULL, HB_NULL, false);
	hb_invoke(&b, 1, "add", NULL, HB_INT(1), false);
	hb_complete(&b, 0, OP_OK, HB_INT(0));
	hb_invoke(&b, 0, "read", NULL, HB_NULL, false);
	hb_complete(&b, 1, OP_OK, HB_INT(1));
	hb_invoke(&b, 1, "add", NULL, HB_INT(2), false);
	hb_complete(&b, 0, OP_OK, HB_INT(3));
	hb_invoke(&b, 0, "read", NULL, HB_NULL, false);
	hb_complete(&b, 1, OP_OK, HB_INT(2));
	hb_complete(&b, 0, OP_OK, HB_INT(5));
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(r.anomalies_total, 1);
	cr_expect(strstr(r.anomalies[0].message, "read of 5 (op 7) outside [1 3]: above"), "%s",
		  r.anomalies[0].message);
	cr_expect(figures_have("[0 0 1] [0 3 3] [1 5 3]"), "%s", r.figures);
}

Test(jepsen_counter, decrements_widen_the_other_bound)
{
	add(0, 10, OP_OK);
	add(0, -3, OP_OK);
	read_ok(1, 7);
	hb_invoke(&b, 2, "add", NULL, HB_INT(-2), false);
	hb_complete(&b, 2, OP_INFO, HB_NULL);
	read_ok(1, 7);
	read_ok(1, 5);
	cr_expect_eq(run(), VERDICT_VALID);
	read_ok(1, 4);          /* below 10 - 3 - 2 */
	read_ok(1, 8);          /* above 10 - 3 */
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "out-of-bounds-read"), 2);
	cr_expect(strstr(r.anomalies[0].message, "outside [5 7]: below"), "%s",
		  r.anomalies[0].message);
	cr_expect(strstr(r.anomalies[1].message, "outside [5 7]: above"), "%s",
		  r.anomalies[1].message);
}

Test(jepsen_counter, non_integer_values_are_an_error_never_valid)
{
	struct errbuf eb = { "" };
	struct check_opts o = { .model = NULL };

	hb_op(&b, 0, "add", NULL, HB_JSON("\"x\""), OP_OK, HB_NULL, false);
	cr_expect_eq(check_history(&jepsen_counter_checker, &b.h, &o, &r, &eb), -EINVAL);
	cr_expect_eq(r.verdict, VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "op 0: expected an integer add"), "%s",
		  r.unknown_reason);
	hb_fini(&b);
	hb_init(&b);
	hb_op(&b, 0, "read", NULL, HB_NULL, OP_OK, HB_SET(1, 2), false);
	cr_expect_eq(jepsen_fixture_check(&jepsen_counter_checker, &b.h, NULL, &r), -EINVAL);
	cr_expect_eq(r.verdict, VERDICT_UNKNOWN);
}

Test(jepsen_counter, counter_histories_are_detected_but_node_histories_are_not)
{
	add(0, 1, OP_OK);
	read_ok(1, 1);
	cr_expect_str_eq(checker_entry_detect(&b.h)->name, "counter");
	hb_node(&b, 0, "n1");
	cr_expect_str_eq(checker_entry_detect(&b.h)->name, "crdt",
			 "the harness's own counter histories keep their checker");
}

Test(jepsen_counter, edn_history_through_the_importer)
{
	static const char edn[] =
		"{:process 0, :type :invoke, :f :add, :value 1, :time 0}\n"
		"{:process 1, :type :invoke, :f :read, :value nil, :time 1}\n"
		"{:process :nemesis, :type :invoke, :f :start, :value nil, :time 2}\n"
		"{:process :nemesis, :type :info, :f :start, :value \"cut\", :time 2}\n"
		"{:process 0, :type :ok, :f :add, :value 1, :time 3}\n"
		"{:process 1, :type :ok, :f :read, :value 1, :time 4}\n"
		"{:process 2, :type :invoke, :f :add, :value 2, :time 5}\n"
		"{:process 2, :type :info, :f :add, :value 2, :error :timeout, :time 6}\n"
		"{:process 0, :type :invoke, :f :add, :value 4, :time 7}\n"
		"{:process 0, :type :fail, :f :add, :value 4, :time 8}\n"
		"{:process 1, :type :invoke, :f :read, :value nil, :time 9}\n"
		"{:process 1, :type :ok, :f :read, :value 3, :time 10}\n"
		"{:process 1, :type :invoke, :f :read, :value nil, :time 11}\n"
		"{:process 1, :type :ok, :f :read, :value 7, :time 12}\n";
	struct history h;

	jepsen_fixture_load_edn(&h, edn);
	cr_expect_str_eq(checker_entry_detect(&h)->name, "counter");
	cr_expect_eq(jepsen_fixture_check(&jepsen_counter_checker, &h, NULL, &r), 0);
	cr_expect_eq(r.verdict, VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "out-of-bounds-read"), 1);
	cr_expect(strstr(r.anomalies[0].message, "read of 7 (op 12) outside [1 3]"), "%s",
		  r.anomalies[0].message);
	cr_expect(figures_have("counter: 3 ok reads, 1 out of bounds"), "%s", r.figures);
	hist_fini(&h);
}
