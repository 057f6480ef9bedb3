/* SPDX-License-Identifier: MIT */
/* test_jepsen_queue.c - Jepsen's queue (unordered model) and total-queue checkers: Jepsen's
 * own cases, drains, crashed and failed ops, and EDN histories through the importer. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "checker.h"
#include "checker_table.h"
#include "hist_build.h"
#include "jepsen_fixture.h"
#include "jepsen_queue.h"

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

TestSuite(jepsen_queue, .init = setup, .fini = teardown);

static enum verdict run(const struct checker *checker)
{
	cr_assert_eq(jepsen_fixture_check(checker, &b.h, NULL, &r), 0, "%s", r.unknown_reason);
	return r.verdict;
}

static void enqueue(int32_t p, int64_t element, enum op_type type)
{
	hb_op(&b, p, "enqueue", NULL, HB_INT(element), type, HB_INT(element), false);
}

static void dequeue(int32_t p, int64_t element)
{
	hb_op(&b, p, "dequeue", NULL, HB_NULL, OP_OK, HB_INT(element), false);
}

static bool figures_have(const char *text)
{
	return r.figures && strstr(r.figures, text);
}

/* ---- queue ---- */

Test(jepsen_queue, empty_and_undequeued_enqueues_are_valid)
{
	cr_expect_eq(run(&jepsen_queue_checker), VERDICT_VALID);
	hb_invoke(&b, 1, "enqueue", NULL, HB_INT(1), false);   /* possible enqueue */
	cr_expect_eq(run(&jepsen_queue_checker), VERDICT_VALID);
	enqueue(2, 2, OP_OK);                                   /* definite enqueue */
	cr_expect_eq(run(&jepsen_queue_checker), VERDICT_VALID);
	cr_expect(figures_have("2 elements left in the final queue"), "%s", r.figures);
	cr_expect(figures_have("final-queue: #{1..2}\n"), "%s", r.figures);
}

Test(jepsen_queue, concurrent_enqueue_and_dequeue_is_valid)
{
	hb_invoke(&b, 2, "dequeue", NULL, HB_NULL, false);
	hb_invoke(&b, 1, "enqueue", NULL, HB_INT(1), false);
	hb_complete(&b, 2, OP_OK, HB_INT(1));
	cr_expect_eq(run(&jepsen_queue_checker), VERDICT_VALID);
	cr_expect(figures_have("0 elements left"), "%s", r.figures);
}

Test(jepsen_queue, dequeue_without_enqueue_is_invalid)
{
	dequeue(1, 1);
	cr_expect_eq(run(&jepsen_queue_checker), VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "cannot-dequeue"), 1);
	cr_expect_str_eq(r.anomalies[0].message, "can't dequeue 1 (op 1): no enqueue of it was "
			 "invoked before (unordered-queue model)");
}

Test(jepsen_queue, only_the_first_inconsistency_is_reported)
{
	hb_op(&b, 0, "enqueue", NULL, HB_INT(5), OP_FAIL, HB_INT(5), false);
	dequeue(1, 5);          /* Jepsen's queue counts every enqueue invoked, even failed */
	dequeue(1, 5);
	dequeue(1, 6);
	cr_expect_eq(run(&jepsen_queue_checker), VERDICT_INVALID);
	cr_expect_eq(r.anomalies_total, 1);
	cr_expect(strstr(r.anomalies[0].message, "can't dequeue 5 (op 5): every enqueue of it "
			 "invoked before was dequeued already"), "%s", r.anomalies[0].message);
	cr_expect_eq(r.anomalies[0].op_count, 3);
	cr_expect_eq(r.anomalies[0].ops[2], 0);
}

Test(jepsen_queue, drained_elements_must_come_from_enqueues)
{
	enqueue(0, 1, OP_OK);
	enqueue(0, 2, OP_INFO);
	hb_op(&b, 1, "drain", NULL, HB_NULL, OP_FAIL, HB_NULL, false);
	hb_op(&b, 1, "drain", NULL, HB_NULL, OP_OK, HB_SET(2, 1), false);
	cr_expect_eq(run(&jepsen_queue_checker), VERDICT_VALID);
	hb_op(&b, 1, "drain", NULL, HB_NULL, OP_OK, HB_SET(3), false);
	cr_expect_eq(run(&jepsen_queue_checker), VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "cannot-dequeue"), 1);
	cr_expect(strstr(r.anomalies[0].message, "can't dequeue 3 (op 9)"), "%s",
		  r.anomalies[0].message);
}

Test(jepsen_queue, a_crashed_drain_is_an_error_for_both_checkers)
{
	enqueue(0, 1, OP_OK);
	hb_op(&b, 1, "drain", NULL, HB_NULL, OP_INFO, HB_NULL, false);
	cr_expect_eq(jepsen_fixture_check(&jepsen_queue_checker, &b.h, NULL, &r), -EINVAL);
	cr_expect_eq(r.verdict, VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "op 3: a drain crashed (info)"), "%s",
		  r.unknown_reason);
	cr_expect_eq(jepsen_fixture_check(&jepsen_total_queue_checker, &b.h, NULL, &r), -EINVAL);
	cr_expect_eq(r.verdict, VERDICT_UNKNOWN);
}

/* ---- total-queue ---- */

/* Jepsen's "sane" case: the crashed enqueue of 1 is recovered. */
Test(jepsen_queue, total_queue_sane)
{
	hb_invoke(&b, 1, "enqueue", NULL, HB_INT(1), false);
	enqueue(2, 2, OP_OK);
	dequeue(3, 1);
	dequeue(3, 2);
	cr_expect_eq(run(&jepsen_total_queue_checker), VERDICT_VALID);
	cr_expect_eq(r.anomalies_total, 0);
	cr_expect(figures_have("total-queue: attempt-count 2, acknowledged-count 1, ok-count 2, "
			       "unexpected-count 0, duplicated-count 0, lost-count 0, "
			       "recovered-count 1\n"), "%s", r.figures);
	cr_expect(figures_have("recovered: #{1}\n"), "%s", r.figures);
}

Test(jepsen_queue, total_queue_expands_drains_and_finds_the_lost)
{
	enqueue(0, 1, OP_OK);
	enqueue(0, 2, OP_OK);
	enqueue(0, 3, OP_OK);
	enqueue(0, 3, OP_OK);
	enqueue(0, 4, OP_FAIL);
	hb_op(&b, 1, "drain", NULL, HB_NULL, OP_OK, HB_SET(1, 2, 3), false);
	cr_expect_eq(run(&jepsen_total_queue_checker), VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "lost"), 1);
	cr_expect_str_eq(r.anomalies[0].message, "element 3 enqueued ok 2 times (first op 4) but "
			 "dequeued 1 times: 1 lost");
	cr_expect(figures_have("attempt-count 5, acknowledged-count 4, ok-count 3, "
			       "unexpected-count 0, duplicated-count 0, lost-count 1"), "%s",
		  r.figures);
}

Test(jepsen_queue, total_queue_duplicates_are_figures_and_unexpected_invalid)
{
	enqueue(0, 1, OP_OK);
	dequeue(1, 1);
	dequeue(1, 1);
	cr_expect_eq(run(&jepsen_total_queue_checker), VERDICT_VALID, "Jepsen: duplicates alone");
	cr_expect(figures_have("duplicated-count 1"), "%s", r.figures);
	cr_expect(figures_have("duplicated: #{1}\n"), "%s", r.figures);
	dequeue(1, 9);
	cr_expect_eq(run(&jepsen_total_queue_checker), VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "unexpected"), 1);
	cr_expect(strstr(r.anomalies[0].message, "element 9 dequeued 1 times (first at op 7)"),
		  "%s", r.anomalies[0].message);
}

/* Jepsen's "pathological" case, as EDN with keyword elements. */
Test(jepsen_queue, total_queue_pathological_edn)
{
	static const char edn[] =
		"{:process 1, :type :invoke, :f :enqueue, :value :hung}\n"
		"{:process 2, :type :invoke, :f :enqueue, :value :enqueued}\n"
		"{:process 2, :type :ok, :f :enqueue, :value :enqueued}\n"
		"{:process 3, :type :invoke, :f :enqueue, :value :dup}\n"
		"{:process 3, :type :ok, :f :enqueue, :value :dup}\n"
		"{:process 4, :type :invoke, :f :dequeue, :value nil}\n"
		"{:process 5, :type :invoke, :f :dequeue, :value nil}\n"
		"{:process 5, :type :ok, :f :dequeue, :value :wtf}\n"
		"{:process 6, :type :invoke, :f :dequeue, :value nil}\n"
		"{:process 6, :type :ok, :f :dequeue, :value :dup}\n"
		"{:process 7, :type :invoke, :f :dequeue, :value nil}\n"
		"{:process 7, :type :ok, :f :dequeue, :value :dup}\n";
	struct history h;

	jepsen_fixture_load_edn(&h, edn);
	cr_expect_str_eq(checker_entry_detect(&h)->name, "queue", "no drain: the queue checker");
	cr_expect_eq(jepsen_fixture_check(&jepsen_total_queue_checker, &h, NULL, &r), 0);
	cr_expect_eq(r.verdict, VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "lost"), 1);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "unexpected"), 1);
	cr_expect(figures_have("attempt-count 3, acknowledged-count 2, ok-count 1, "
			       "unexpected-count 1, duplicated-count 1, lost-count 1, "
			       "recovered-count 0\n"), "%s", r.figures);
	cr_expect(figures_have("lost: #{\"enqueued\"}\n"), "%s", r.figures);
	cr_expect(figures_have("unexpected: #{\"wtf\"}\n"), "%s", r.figures);
	cr_expect(figures_have("duplicated: #{\"dup\"}\n"), "%s", r.figures);
	cr_expect_eq(jepsen_fixture_check(&jepsen_queue_checker, &h, NULL, &r), 0);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "cannot-dequeue"), 1);
	cr_expect(strstr(r.anomalies[0].message, "can't dequeue \"wtf\""), "%s",
		  r.anomalies[0].message);
	hist_fini(&h);
}

Test(jepsen_queue, a_drained_edn_history_is_detected_as_total_queue)
{
	static const char edn[] =
		"{:process 0, :type :invoke, :f :enqueue, :value 1}\n"
		"{:process 0, :type :ok, :f :enqueue, :value 1}\n"
		"{:process 0, :type :invoke, :f :drain, :value nil}\n"
		"{:process 0, :type :ok, :f :drain, :value [1]}\n";
	struct history h;

	jepsen_fixture_load_edn(&h, edn);
	cr_expect_str_eq(checker_entry_detect(&h)->name, "total-queue");
	cr_expect_eq(jepsen_fixture_check(&jepsen_total_queue_checker, &h, NULL, &r), 0);
	cr_expect_eq(r.verdict, VERDICT_VALID);
	cr_expect(figures_have("ok-count 1"), "%s", r.figures);
	hist_fini(&h);
}
