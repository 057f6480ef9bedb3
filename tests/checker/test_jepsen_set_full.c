/* SPDX-License-Identifier: MIT */
/* test_jepsen_set_full.c - Jepsen's set-full checker: stable, lost, never-read and stale
 * elements with their latencies (Jepsen's own cases), the linearizable option, Maelstrom's
 * broadcast ops, and EDN histories through the importer. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "checker.h"
#include "checker_table.h"
#include "hist_build.h"
#include "jepsen_fixture.h"
#include "jepsen_set.h"

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

TestSuite(jepsen_set_full, .init = setup, .fini = teardown);

/* Jepsen's tests put op i at time i ms. */
static void times_in_ms(void)
{
	for (uint64_t i = 0; i < b.h.count; i++)
		b.h.ops[i].time_ns = (int64_t)i * 1000000;
}

static enum verdict run_opts(const struct check_opts *o)
{
	times_in_ms();
	cr_assert_eq(jepsen_fixture_check(&jepsen_set_full_checker, &b.h, o, &r), 0, "%s",
		     r.unknown_reason);
	return r.verdict;
}

static enum verdict run(void)
{
	return run_opts(NULL);
}

static bool figures_have(const char *text)
{
	return r.figures && strstr(r.figures, text);
}

/* The ops of Jepsen's single-element cases: add of 0 by process 0, read by process 1. */
enum step { A, A_OK, R, R_HAS, R_EMPTY };

static void play(const enum step *steps, size_t count)
{
	hb_fini(&b);
	hb_init(&b);
	for (size_t k = 0; k < count; k++) {
		switch (steps[k]) {
		case A: hb_invoke(&b, 0, "add", NULL, HB_INT(0), false); break;
		case A_OK: hb_complete(&b, 0, OP_OK, HB_INT(0)); break;
		case R: hb_invoke(&b, 1, "read", NULL, HB_NULL, false); break;
		case R_HAS: hb_complete(&b, 1, OP_OK, HB_SET(0)); break;
		case R_EMPTY: hb_complete(&b, 1, OP_OK, HB_EMPTY); break;
		}
	}
}

Test(jepsen_set_full, never_read_is_unknown)
{
	play((enum step[]){ A, A_OK }, 2);
	cr_expect_eq(run(), VERDICT_UNKNOWN);
	cr_expect(figures_have("attempt-count 1, stable-count 0, lost-count 0, "
			       "never-read-count 1, stale-count 0"), "%s", r.figures);
	cr_expect(figures_have("never-read: #{0}\n"), "%s", r.figures);
	play((enum step[]){ A, R, R_EMPTY }, 3);        /* never confirmed, never read */
	cr_expect_eq(run(), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "no element is stable"), "%s", r.unknown_reason);
}

Test(jepsen_set_full, a_read_concurrent_with_or_after_the_add_makes_it_stable)
{
	static const enum step orders[5][4] = {
		{ R, A, R_HAS, A_OK }, { R, A, A_OK, R_HAS }, { A, R, R_HAS, A_OK },
		{ A, R, A_OK, R_HAS }, { A, A_OK, R, R_HAS },
	};

	for (size_t k = 0; k < 5; k++) {
		play(orders[k], 4);
		cr_expect_eq(run(), VERDICT_VALID, "order %zu", k);
		cr_expect_eq(r.anomalies_total, 0);
		cr_expect(figures_have("stable-count 1, lost-count 0"), "%s", r.figures);
		cr_expect(figures_have("stable-latencies (ms): 0%: 0 50%: 0 95%: 0 99%: 0 "
				       "100%: 0\n"), "%s", r.figures);
	}
}

Test(jepsen_set_full, absent_from_a_read_begun_after_the_add_is_lost)
{
	play((enum step[]){ A, A_OK, R, R_EMPTY }, 4);
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "lost"), 1);
	cr_expect(strstr(r.anomalies[0].message, "element 0 lost: known at op 1, then missing "
			 "from the read invoked at op 2"), "%s", r.anomalies[0].message);
	cr_expect(figures_have("lost: #{0}\n"), "%s", r.figures);
	cr_expect(figures_have("lost-latencies (ms): 0%: 0 50%: 0"), "%s", r.figures);
}

Test(jepsen_set_full, absent_from_a_concurrent_read_is_never_read)
{
	static const enum step orders[4][4] = {
		{ R, A, R_EMPTY, A_OK }, { R, A, A_OK, R_EMPTY }, { A, R, R_EMPTY, A_OK },
		{ A, R, A_OK, R_EMPTY },
	};

	for (size_t k = 0; k < 4; k++) {
		play(orders[k], 4);
		cr_expect_eq(run(), VERDICT_UNKNOWN, "order %zu", k);
		cr_expect_eq(r.anomalies_total, 0);
		cr_expect(figures_have("never-read-count 1"), "%s", r.figures);
	}
}

/* Jepsen's "write, present, missing": both elements lost, latencies 3 and 4 ms. */
Test(jepsen_set_full, present_then_missing_is_lost_with_its_latency)
{
	hb_invoke(&b, 0, "add", NULL, HB_INT(0), false);
	hb_invoke(&b, 1, "add", NULL, HB_INT(1), false);
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_SET(1), false);
	hb_complete(&b, 0, OP_OK, HB_INT(0));
	hb_complete(&b, 1, OP_OK, HB_INT(1));
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_SET(0, 1), false);
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_SET(0), false);
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_EMPTY, false);
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "lost"), 2);
	cr_expect(figures_have("lost: #{0..1}\n"), "%s", r.figures);
	cr_expect(figures_have("lost-latencies (ms): 0%: 3 50%: 4 95%: 4 99%: 4 100%: 4\n"),
		  "%s", r.figures);
}

/* Jepsen's "write, flutter, stable/lost": 0 is lost after 5 ms, 1 stale for 2 ms. */
static void flutter(void)
{
	hb_op(&b, 0, "add", NULL, HB_INT(0), OP_OK, HB_INT(0), false);
	hb_invoke(&b, 1, "add", NULL, HB_INT(1), false);
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_SET(1), false);
	hb_complete(&b, 1, OP_OK, HB_INT(1));
	hb_invoke(&b, 2, "read", NULL, HB_NULL, false);
	hb_op(&b, 3, "read", NULL, HB_NULL, OP_OK, HB_SET(1), false);
	hb_complete(&b, 2, OP_OK, HB_SET(0));
}

Test(jepsen_set_full, flutter_is_lost_for_one_element_and_stale_for_the_other)
{
	flutter();
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(r.anomalies_total, 1);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "lost"), 1);
	cr_expect(strstr(r.anomalies[0].message, "element 0 lost"), "%s",
		  r.anomalies[0].message);
	cr_expect(figures_have("stable-count 1, lost-count 1, never-read-count 0, "
			       "stale-count 1"), "%s", r.figures);
	cr_expect(figures_have("stale: #{1}\n"), "%s", r.figures);
	cr_expect(figures_have("worst-stale: 1 stable latency 2 ms (known op 4, last absent "
			       "read op 6)\n"), "%s", r.figures);
	cr_expect(figures_have("stable-latencies (ms): 0%: 2"), "%s", r.figures);
	cr_expect(figures_have("lost-latencies (ms): 0%: 5"), "%s", r.figures);
}

Test(jepsen_set_full, linearizable_makes_stale_invalid)
{
	struct check_opts o = { .linearizable = true };

	/* 7 is known at op 1 yet missing from a read begun 1 ms later, then found. */
	hb_op(&b, 0, "add", NULL, HB_INT(7), OP_OK, HB_INT(7), false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_EMPTY, false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_SET(7), false);
	cr_expect_eq(run(), VERDICT_VALID);
	cr_expect(figures_have("stale-count 1"), "%s", r.figures);
	cr_expect_eq(run_opts(&o), VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "stale"), 1);
	cr_expect(strstr(r.anomalies[0].message, "element 7 stale: known at op 1, yet missing "
			 "from the read invoked at op 2; stable latency 1 ms"), "%s",
		  r.anomalies[0].message);
}

Test(jepsen_set_full, duplicates_in_a_read_are_figures_not_the_verdict)
{
	hb_op(&b, 0, "add", NULL, HB_INT(1), OP_OK, HB_INT(1), false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_SET(1, 1, 1), false);
	cr_expect_eq(run(), VERDICT_VALID);
	cr_expect(figures_have("duplicated-count 1"), "%s", r.figures);
	cr_expect(figures_have(" 1 x3\n"), "%s", r.figures);
}

Test(jepsen_set_full, crashed_and_failed_adds_never_read_are_not_lost)
{
	hb_op(&b, 0, "add", NULL, HB_INT(1), OP_OK, HB_INT(1), false);
	hb_op(&b, 0, "add", NULL, HB_INT(2), OP_FAIL, HB_INT(2), false);
	hb_op(&b, 0, "add", NULL, HB_INT(3), OP_INFO, HB_NULL, false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_SET(1), false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_INFO, HB_NULL, false);
	cr_expect_eq(run(), VERDICT_VALID);
	cr_expect(figures_have("attempt-count 3, stable-count 1, lost-count 0, "
			       "never-read-count 2"), "%s", r.figures);
	cr_expect(figures_have("never-read: #{2..3}\n"), "%s", r.figures);
}

Test(jepsen_set_full, edn_sets_with_several_reads_are_detected_as_set_full)
{
	static const char edn[] =
		"{:process 0, :type :invoke, :f :add, :value 1, :time 0}\n"
		"{:process 0, :type :ok, :f :add, :value 1, :time 1000000}\n"
		"{:process 1, :type :invoke, :f :read, :value nil, :time 2000000}\n"
		"{:process 1, :type :ok, :f :read, :value #{1}, :time 3000000}\n"
		"{:process 1, :type :invoke, :f :read, :value nil, :time 4000000}\n"
		"{:process 1, :type :ok, :f :read, :value #{}, :time 5000000}\n";
	struct history h;

	jepsen_fixture_load_edn(&h, edn);
	cr_expect_str_eq(checker_entry_detect(&h)->name, "set-full");
	cr_expect_eq(jepsen_fixture_check(&jepsen_set_full_checker, &h, NULL, &r), 0);
	cr_expect_eq(r.verdict, VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "lost"), 1);
	cr_expect(figures_have("lost-latencies (ms): 0%: 1"), "%s", r.figures);
	hist_fini(&h);
}

/* Maelstrom's broadcast workload: the "broadcast" row is set-full adding with broadcast. */
Test(jepsen_set_full, maelstrom_broadcast_from_edn)
{
	static const char edn[] =
		"{:process 0, :type :invoke, :f :broadcast, :value 5}\n"
		"{:process 0, :type :ok, :f :broadcast, :value 5}\n"
		"{:process 0, :type :invoke, :f :broadcast, :value 6}\n"
		"{:process 0, :type :ok, :f :broadcast, :value 6}\n"
		"{:process 1, :type :invoke, :f :read, :value nil}\n"
		"{:process 1, :type :ok, :f :read, :value [6 5]}\n"
		"{:process 1, :type :invoke, :f :read, :value nil}\n"
		"{:process 1, :type :ok, :f :read, :value [5]}\n";
	struct check_opts o = { .model = NULL };
	const struct checker_entry *e;
	const struct checker *c = NULL;
	struct history h;

	jepsen_fixture_load_edn(&h, edn);
	e = checker_entry_detect(&h);
	cr_assert_str_eq(e->name, "broadcast");
	cr_assert_eq(checker_make(e, NULL, &o, &c, NULL), 0);
	cr_expect_str_eq(o.add_f, "broadcast");
	cr_expect_eq(jepsen_fixture_check(c, &h, &o, &r), 0);
	cr_expect_eq(r.verdict, VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "lost"), 1);
	cr_expect(strstr(r.anomalies[0].message, "element 6 lost"), "%s",
		  r.anomalies[0].message);
	cr_expect(figures_have("attempt-count 2, stable-count 1"), "%s", r.figures);
	checker_free((struct checker *)c);
	hist_fini(&h);
}

Test(jepsen_set_full, over_the_memory_budget_is_unknown_never_valid)
{
	struct check_opts o = { .memory_bytes_max = 64 };

	hb_op(&b, 0, "add", NULL, HB_INT(1), OP_OK, HB_INT(1), false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_SET(1), false);
	cr_expect_eq(jepsen_fixture_check(&jepsen_set_full_checker, &b.h, &o, &r), -ENOMEM);
	cr_expect_eq(r.verdict, VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "over the checker memory budget of 64 bytes"), "%s",
		  r.unknown_reason);
	o.memory_bytes_max = 0;
	cr_expect_eq(jepsen_fixture_check(&jepsen_set_full_checker, &b.h, &o, &r), 0);
	cr_expect_eq(r.verdict, VERDICT_VALID);
}
