/* SPDX-License-Identifier: MIT */
/* test_linear_models.c - Knossos's register, mutex and multi-register models: histories
 * that must pass and must fail, with crashed (info) ops. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "checker.h"
#include "errbuf.h"
#include "hist_build.h"
#include "linear.h"

TestSuite(linear_models);

/* Checks @b under @model from @initial ("": the default); an invalid verdict must come with
 * one not-linearizable anomaly citing at least two ops. */
static enum verdict check_from(struct hist_build *b, enum linear_model model,
			       const char *initial)
{
	struct linear_opts opts = { .model = model };
	struct check_opts co = { .memory_bytes_max = 0 };
	struct errbuf eb = { "" };
	struct linear_checker c;
	struct check_result r;
	enum verdict v;

	snprintf(opts.initial, sizeof(opts.initial), "%s", initial);
	linear_checker_init(&c, &opts);
	check_result_init(&r);
	cr_assert_eq(check_history(&c.base, &b->h, &co, &r, &eb), 0, "%s", eb.msg);
	v = r.verdict;
	if (v == VERDICT_INVALID) {
		cr_assert_eq(r.anomaly_count, 1);
		cr_assert_str_eq(r.anomalies[0].kind, "not-linearizable");
		cr_assert_geq(r.anomalies[0].op_count, 2);
	}
	cr_expect_str_eq(r.model, linear_model_name(model));
	check_result_fini(&r);
	return v;
}

static enum verdict check(struct hist_build *b, enum linear_model model)
{
	return check_from(b, model, "");
}

#define MUTEX LINEAR_MODEL_MUTEX
#define MULTI LINEAR_MODEL_MULTI_REGISTER

Test(linear_models, register_takes_reads_and_writes_and_refuses_cas)
{
	struct linear_opts opts = { .model = LINEAR_MODEL_REGISTER };
	struct check_opts co = { .memory_bytes_max = 0 };
	struct errbuf eb = { "" };
	struct linear_checker c;
	struct check_result r;
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "write", NULL, HB_INT(1), OP_OK, HB_INT(1), false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_INT(1), false);
	cr_expect_eq(check(&b, LINEAR_MODEL_REGISTER), VERDICT_VALID);
	hb_op(&b, 0, "write", NULL, HB_INT(2), OP_OK, HB_INT(2), false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_INT(1), false);
	cr_expect_eq(check(&b, LINEAR_MODEL_REGISTER), VERDICT_INVALID);
	hb_op(&b, 0, "cas", NULL, HB_SET(2, 3), OP_OK, HB_SET(2, 3), false);
	linear_checker_init(&c, &opts);
	check_result_init(&r);
	cr_expect_lt(check_history(&c.base, &b.h, &co, &r, &eb), 0);
	cr_expect_not_null(strstr(eb.msg, "expected f read or write for model register"), "%s",
			   eb.msg);
	check_result_fini(&r);
	hb_fini(&b);
}

Test(linear_models, mutex_acquire_release_in_turn_is_valid)
{
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "acquire", NULL, HB_NULL, OP_OK, HB_NULL, false);
	hb_op(&b, 1, "acquire", NULL, HB_NULL, OP_FAIL, HB_NULL, false);  /* did not happen */
	hb_op(&b, 0, "release", NULL, HB_NULL, OP_OK, HB_NULL, false);
	hb_op(&b, 1, "acquire", NULL, HB_NULL, OP_OK, HB_NULL, false);
	cr_expect_eq(check(&b, MUTEX), VERDICT_VALID);
	hb_fini(&b);
}

Test(linear_models, mutex_held_twice_is_invalid)
{
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "acquire", NULL, HB_NULL, OP_OK, HB_NULL, false);
	hb_op(&b, 1, "acquire", NULL, HB_NULL, OP_OK, HB_NULL, false);
	cr_expect_eq(check(&b, MUTEX), VERDICT_INVALID);
	hb_fini(&b);
}

Test(linear_models, mutex_release_when_free_is_invalid)
{
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "release", NULL, HB_NULL, OP_OK, HB_NULL, false);
	hb_op(&b, 0, "acquire", NULL, HB_NULL, OP_OK, HB_NULL, false);
	cr_expect_eq(check(&b, MUTEX), VERDICT_INVALID);
	hb_fini(&b);
}

Test(linear_models, mutex_crashed_release_may_have_freed_the_lock)
{
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "acquire", NULL, HB_NULL, OP_OK, HB_NULL, false);
	hb_op(&b, 0, "release", NULL, HB_NULL, OP_INFO, HB_NULL, false);
	hb_op(&b, 1, "acquire", NULL, HB_NULL, OP_OK, HB_NULL, false);
	cr_expect_eq(check(&b, MUTEX), VERDICT_VALID);
	hb_fini(&b);
	/* ... but a crashed acquire cannot make a later acquire legal. */
	hb_init(&b);
	hb_op(&b, 0, "acquire", NULL, HB_NULL, OP_OK, HB_NULL, false);
	hb_op(&b, 1, "acquire", NULL, HB_NULL, OP_INFO, HB_NULL, false);
	hb_op(&b, 2, "acquire", NULL, HB_NULL, OP_OK, HB_NULL, false);
	cr_expect_eq(check(&b, MUTEX), VERDICT_INVALID);
	hb_fini(&b);
}

Test(linear_models, multi_register_reads_see_the_last_txn_write)
{
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "txn", NULL, HB_JSON("[[\"write\",\"x\",1],[\"write\",\"y\",2]]"), OP_OK,
	      HB_JSON("[[\"write\",\"x\",1],[\"write\",\"y\",2]]"), false);
	hb_op(&b, 1, "txn", NULL, HB_JSON("[[\"read\",\"x\",null],[\"read\",\"y\",null]]"),
	      OP_OK, HB_JSON("[[\"read\",\"x\",1],[\"read\",\"y\",2]]"), false);
	hb_op(&b, 1, "txn", NULL, HB_JSON("[[\"read\",\"z\",null]]"), OP_OK,
	      HB_JSON("[[\"read\",\"z\",null]]"), false);      /* nil: constrains nothing */
	cr_expect_eq(check(&b, MULTI), VERDICT_VALID);
	hb_fini(&b);
}

Test(linear_models, multi_register_torn_txn_is_invalid)
{
	struct hist_build b;

	/* x and y are written together: a read seeing x's new value and y's old cannot be. */
	hb_init(&b);
	hb_op(&b, 0, "txn", NULL, HB_JSON("[[\"write\",\"x\",1],[\"write\",\"y\",1]]"), OP_OK,
	      HB_JSON("[[\"write\",\"x\",1],[\"write\",\"y\",1]]"), false);
	hb_op(&b, 1, "txn", NULL, HB_JSON("[[\"read\",\"x\",null],[\"read\",\"y\",null]]"),
	      OP_OK, HB_JSON("[[\"read\",\"x\",1],[\"read\",\"y\",0]]"), false);
	cr_expect_eq(check_from(&b, MULTI, "{\"y\":0,\"x\":0}"), VERDICT_INVALID);
	hb_fini(&b);
}

Test(linear_models, multi_register_initial_state_is_used)
{
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 1, "txn", NULL, HB_JSON("[[\"read\",\"x\",null]]"), OP_OK,
	      HB_JSON("[[\"read\",\"x\",0]]"), false);
	cr_expect_eq(check_from(&b, MULTI, "{\"x\":0}"), VERDICT_VALID);
	cr_expect_eq(check(&b, MULTI), VERDICT_INVALID);
	hb_fini(&b);
}

Test(linear_models, multi_register_crashed_write_may_land_late)
{
	struct hist_build b;

	hb_init(&b);
	hb_invoke(&b, 0, "txn", NULL, HB_JSON("[[\"write\",\"x\",5]]"), false);
	hb_op(&b, 1, "txn", NULL, HB_JSON("[[\"read\",\"x\",null]]"), OP_OK,
	      HB_JSON("[[\"read\",\"x\",0]]"), false);
	hb_complete(&b, 0, OP_INFO, HB_NULL);
	hb_op(&b, 1, "txn", NULL, HB_JSON("[[\"read\",\"x\",null]]"), OP_OK,
	      HB_JSON("[[\"read\",\"x\",5]]"), false);
	hb_op(&b, 1, "txn", NULL, HB_JSON("[[\"read\",\"x\",null]]"), OP_OK,
	      HB_JSON("[[\"read\",\"x\",5]]"), false);
	cr_expect_eq(check_from(&b, MULTI, "{\"x\":0}"), VERDICT_VALID);
	/* Once seen, it cannot be undone. */
	hb_op(&b, 1, "txn", NULL, HB_JSON("[[\"read\",\"x\",null]]"), OP_OK,
	      HB_JSON("[[\"read\",\"x\",0]]"), false);
	cr_expect_eq(check_from(&b, MULTI, "{\"x\":0}"), VERDICT_INVALID);
	hb_fini(&b);
}

Test(linear_models, multi_register_refuses_what_is_not_a_txn)
{
	struct linear_opts opts = { .model = MULTI };
	struct check_opts co = { .memory_bytes_max = 0 };
	struct errbuf eb = { "" };
	struct linear_checker c;
	struct check_result r;
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "txn", NULL, HB_JSON("[[\"append\",\"x\",1]]"), OP_OK,
	      HB_JSON("[[\"append\",\"x\",1]]"), false);
	linear_checker_init(&c, &opts);
	check_result_init(&r);
	cr_expect_lt(check_history(&c.base, &b.h, &co, &r, &eb), 0);
	cr_expect_not_null(strstr(eb.msg, "expected a txn [[f k v] ...]"), "%s", eb.msg);
	cr_expect_eq(r.verdict, VERDICT_UNKNOWN);
	check_result_fini(&r);
	hb_fini(&b);
}

Test(linear_models, set_reads_must_see_every_completed_add)
{
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "add", NULL, HB_INT(1), OP_OK, HB_INT(1), false);
	hb_invoke(&b, 1, "add", NULL, HB_INT(2), false);
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_SET(1), false);
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_SET(2, 1), false);      /* any order */
	hb_complete(&b, 1, OP_INFO, HB_NULL);
	hb_op(&b, 0, "add", NULL, HB_INT(1), OP_OK, HB_INT(1), false);        /* again: no-op */
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_SET(1, 2), false);
	cr_expect_eq(check(&b, LINEAR_MODEL_SET), VERDICT_VALID);
	/* Then 2 vanishes: lost. */
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_SET(1), false);
	cr_expect_eq(check(&b, LINEAR_MODEL_SET), VERDICT_INVALID);
	hb_fini(&b);
}

Test(linear_models, set_read_before_the_add_began_cannot_see_it)
{
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_JSON("[\"a\"]"), false);
	hb_op(&b, 0, "add", NULL, HB_JSON("\"a\""), OP_OK, HB_JSON("\"a\""), false);
	cr_expect_eq(check(&b, LINEAR_MODEL_SET), VERDICT_INVALID);
	hb_fini(&b);
}

Test(linear_models, unordered_queue_dequeues_what_was_enqueued_once)
{
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "enqueue", NULL, HB_INT(1), OP_OK, HB_INT(1), false);
	hb_op(&b, 0, "enqueue", NULL, HB_INT(2), OP_OK, HB_INT(2), false);
	hb_op(&b, 0, "enqueue", NULL, HB_INT(2), OP_OK, HB_INT(2), false);
	hb_op(&b, 1, "dequeue", NULL, HB_NULL, OP_INFO, HB_NULL, false);     /* dropped */
	hb_op(&b, 2, "dequeue", NULL, HB_NULL, OP_OK, HB_INT(2), false);
	hb_op(&b, 2, "dequeue", NULL, HB_NULL, OP_OK, HB_INT(1), false);
	hb_op(&b, 2, "dequeue", NULL, HB_NULL, OP_OK, HB_INT(2), false);
	cr_expect_eq(check(&b, LINEAR_MODEL_UNORDERED_QUEUE), VERDICT_VALID);
	hb_op(&b, 2, "dequeue", NULL, HB_NULL, OP_OK, HB_INT(2), false);      /* a third 2 */
	cr_expect_eq(check(&b, LINEAR_MODEL_UNORDERED_QUEUE), VERDICT_INVALID);
	hb_fini(&b);
}

Test(linear_models, fifo_queue_dequeues_the_head)
{
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "enqueue", NULL, HB_INT(1), OP_OK, HB_INT(1), false);
	hb_op(&b, 0, "enqueue", NULL, HB_INT(2), OP_OK, HB_INT(2), false);
	hb_op(&b, 2, "dequeue", NULL, HB_NULL, OP_OK, HB_INT(2), false);
	cr_expect_eq(check(&b, LINEAR_MODEL_FIFO_QUEUE), VERDICT_INVALID);
	cr_expect_eq(check(&b, LINEAR_MODEL_UNORDERED_QUEUE), VERDICT_VALID);
	hb_fini(&b);
}

Test(linear_models, fifo_crashed_dequeue_may_have_taken_the_head)
{
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "enqueue", NULL, HB_INT(1), OP_OK, HB_INT(1), false);
	hb_op(&b, 0, "enqueue", NULL, HB_INT(2), OP_OK, HB_INT(2), false);
	hb_op(&b, 1, "dequeue", NULL, HB_NULL, OP_INFO, HB_NULL, false);
	hb_op(&b, 2, "dequeue", NULL, HB_NULL, OP_OK, HB_INT(2), false);
	cr_expect_eq(check(&b, LINEAR_MODEL_FIFO_QUEUE), VERDICT_VALID);
	/* It took one element, not two. */
	hb_op(&b, 0, "enqueue", NULL, HB_INT(3), OP_OK, HB_INT(3), false);
	hb_op(&b, 2, "dequeue", NULL, HB_NULL, OP_OK, HB_INT(3), false);
	cr_expect_eq(check(&b, LINEAR_MODEL_FIFO_QUEUE), VERDICT_VALID);
	hb_op(&b, 0, "enqueue", NULL, HB_INT(4), OP_OK, HB_INT(4), false);
	hb_op(&b, 0, "enqueue", NULL, HB_INT(5), OP_OK, HB_INT(5), false);
	hb_op(&b, 2, "dequeue", NULL, HB_NULL, OP_OK, HB_INT(5), false);
	cr_expect_eq(check(&b, LINEAR_MODEL_FIFO_QUEUE), VERDICT_INVALID);
	hb_fini(&b);
}

Test(linear_models, collections_start_empty_and_refuse_another_initial_state)
{
	struct linear_opts opts = { .model = LINEAR_MODEL_SET, .initial = "[1]" };
	struct check_opts co = { .memory_bytes_max = 0 };
	struct errbuf eb = { "" };
	struct linear_checker c;
	struct check_result r;
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_EMPTY, false);
	cr_expect_eq(check(&b, LINEAR_MODEL_SET), VERDICT_VALID);
	linear_checker_init(&c, &opts);
	check_result_init(&r);
	cr_expect_eq(check_history(&c.base, &b.h, &co, &r, &eb), -EINVAL);
	cr_expect_not_null(strstr(eb.msg, "expected an initial state of nil"), "%s", eb.msg);
	check_result_fini(&r);
	hb_fini(&b);
}

/* Many concurrent writes, read values the search must order, then a stale read: the write of
 * 50 is followed, after it completed, by a write of 51 that completed before the read of 50
 * began. The search alone would need far more steps than the budget given. */
static void stale_after_hard(struct hist_build *b, bool crashed_write_of_50)
{
	for (int p = 0; p < 16; p++)
		hb_invoke(b, p, "write", NULL, HB_INT(p), false);
	for (int p = 0; p < 16; p++)
		hb_complete(b, p, OP_OK, HB_INT(p));
	hb_op(b, 20, "write", NULL, HB_INT(50), OP_OK, HB_INT(50), false);
	if (crashed_write_of_50)
		hb_op(b, 21, "write", NULL, HB_INT(50), OP_INFO, HB_NULL, false);
	hb_op(b, 20, "write", NULL, HB_INT(51), OP_OK, HB_INT(51), false);
	hb_op(b, 20, "read", NULL, HB_NULL, OP_OK, HB_INT(50), false);
}

Test(linear_models, a_stale_read_is_refuted_without_the_whole_search)
{
	struct linear_opts opts = { .model = LINEAR_MODEL_CAS_REGISTER, .steps_max = 100 };
	struct check_opts co = { .memory_bytes_max = 0 };
	struct errbuf eb = { "" };
	struct linear_checker c;
	struct check_result r;
	struct hist_build b;

	hb_init(&b);
	stale_after_hard(&b, false);
	linear_checker_init(&c, &opts);
	check_result_init(&r);
	cr_assert_eq(check_history(&c.base, &b.h, &co, &r, &eb), 0, "%s", eb.msg);
	cr_assert_eq(r.verdict, VERDICT_INVALID, "%s", r.unknown_reason);
	cr_assert_eq(r.anomaly_count, 1);
	cr_expect_str_eq(r.anomalies[0].message, "op 36 (read -> 50) cannot be linearized: a "
			 "stale read; op 34 (write 51) began after every write of that value had "
			 "completed and completed before the read began");
	cr_expect_eq(r.anomalies[0].op_count, 4);
	cr_expect_eq(r.anomalies[0].ops[2], 34);
	check_result_fini(&r);
	hb_fini(&b);
}

Test(linear_models, a_crashed_write_of_the_value_may_land_late_so_no_shortcut)
{
	struct linear_opts opts = { .model = LINEAR_MODEL_CAS_REGISTER, .steps_max = 100 };
	struct check_opts co = { .memory_bytes_max = 0 };
	struct errbuf eb = { "" };
	struct linear_checker c;
	struct check_result r;
	struct hist_build b;

	/* The crashed write of 50 may take effect after the write of 51: valid, and the
	 * shortcut must not say otherwise (the search, short of steps, says unknown). */
	hb_init(&b);
	stale_after_hard(&b, true);
	linear_checker_init(&c, &opts);
	check_result_init(&r);
	cr_assert_eq(check_history(&c.base, &b.h, &co, &r, &eb), 0, "%s", eb.msg);
	cr_expect_neq(r.verdict, VERDICT_INVALID, "%s",
		      r.anomaly_count ? r.anomalies[0].message : "");
	check_result_fini(&r);
	opts.steps_max = 0;
	linear_checker_init(&c, &opts);
	check_result_init(&r);
	cr_assert_eq(check_history(&c.base, &b.h, &co, &r, &eb), 0, "%s", eb.msg);
	cr_expect_eq(r.verdict, VERDICT_VALID);
	check_result_fini(&r);
	hb_fini(&b);
}

Test(linear_models, a_read_concurrent_with_the_overwrite_is_not_stale)
{
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "write", NULL, HB_INT(1), OP_OK, HB_INT(1), false);
	hb_invoke(&b, 0, "write", NULL, HB_INT(2), false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_INT(1), false);
	hb_complete(&b, 0, OP_OK, HB_INT(2));
	cr_expect_eq(check(&b, LINEAR_MODEL_REGISTER), VERDICT_VALID);
	hb_fini(&b);
}
