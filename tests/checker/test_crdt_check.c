/* SPDX-License-Identifier: MIT */
/* test_crdt_check.c - the CRDT checker's rules on in-memory histories, passing and failing. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "crdt_model.h"
#include "checker.h"
#include "errbuf.h"
#include "hist_build.h"

static struct hist_build b;
static struct check_result r;
static struct errbuf eb;

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

TestSuite(crdt_check, .init = setup, .fini = teardown);

static enum verdict run_budget(enum crdt_model model, uint64_t memory_bytes_max)
{
	struct check_opts o = { .model = model == CRDT_MODEL_NONE ? NULL : crdt_model_name(model),
				.memory_bytes_max = memory_bytes_max };

	check_result_fini(&r);
	check_history(&crdt_checker, &b.h, &o, &r, &eb);
	return r.verdict;
}

static enum verdict run(enum crdt_model model)
{
	return run_budget(model, 0);
}

static bool has_kind(const char *kind)
{
	for (uint32_t k = 0; k < r.anomaly_count; k++)
		if (strcmp(r.anomalies[k].kind, kind) == 0)
			return true;
	return false;
}

static void add(int32_t p, const char *node, int64_t v, enum op_type type)
{
	hb_op(&b, p, "add", node, HB_INT(v), type, type == OP_OK ? HB_INT(v) : HB_NULL, false);
}

static void counter_final(int32_t p, const char *node, int64_t v)
{
	hb_op(&b, p, "read", node, HB_NULL, OP_OK, HB_INT(v), true);
}

static void set_final(int32_t p, const char *node, struct hb_val v)
{
	hb_op(&b, p, "read", node, HB_NULL, OP_OK, v, true);
}

/* ---- G-Counter ---- */

Test(crdt_check, gcounter_accepts_sum_of_ok_adds)
{
	add(0, "n1", 3, OP_OK);
	hb_nemesis(&b, "start-partition");
	add(1, "n2", 2, OP_OK);
	hb_nemesis(&b, "stop-partition");
	counter_final(0, "n1", 5);
	counter_final(1, "n2", 5);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_VALID, "%s", r.unknown_reason);
	cr_expect_eq(r.final_read_count, 2);
	cr_expect_str_eq(r.model, "gcounter");
}

Test(crdt_check, gcounter_info_add_may_or_may_not_count)
{
	add(0, "n1", 3, OP_OK);
	add(1, "n2", 2, OP_INFO);
	counter_final(2, "n1", 3);
	counter_final(3, "n2", 3);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_VALID);
	b.h.ops[b.h.count - 1].value.integer = 5;
	b.h.ops[b.h.count - 3].value.integer = 5;
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_VALID);
}

Test(crdt_check, gcounter_in_flight_add_counts_as_info)
{
	add(0, "n1", 3, OP_OK);
	hb_invoke(&b, 1, "add", "n2", HB_INT(2), false);
	counter_final(2, "n1", 5);
	counter_final(3, "n2", 5);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_VALID, "%s", r.unknown_reason);
}

Test(crdt_check, gcounter_rejects_final_below_ok_sum_as_lost_add)
{
	add(0, "n1", 3, OP_OK);
	add(0, "n1", 2, OP_OK);
	counter_final(1, "n1", 4);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_INVALID);
	cr_expect(has_kind("lost-add"));
	cr_expect(strstr(r.anomalies[0].message, "below the 5"), "%s", r.anomalies[0].message);
}

Test(crdt_check, gcounter_excludes_failed_adds)
{
	add(0, "n1", 3, OP_OK);
	add(0, "n1", 4, OP_FAIL);
	counter_final(1, "n1", 7);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_INVALID);
	cr_expect(has_kind("phantom-increment"));
}

Test(crdt_check, gcounter_rejects_value_no_subset_of_info_adds_gives)
{
	add(0, "n1", 3, OP_INFO);
	add(1, "n1", 5, OP_INFO);
	counter_final(2, "n1", 4);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_INVALID);
	cr_expect(has_kind("impossible-sum"));
	b.h.ops[b.h.count - 1].value.integer = 5;
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_VALID);
	b.h.ops[b.h.count - 1].value.integer = 8;
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_VALID);
}

Test(crdt_check, gcounter_uniform_info_deltas_need_a_multiple)
{
	add(0, "n1", 1, OP_OK);
	add(1, "n1", 2, OP_INFO);
	add(2, "n1", 2, OP_INFO);
	counter_final(3, "n1", 4);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_INVALID);
	cr_expect(has_kind("impossible-sum"));
	b.h.ops[b.h.count - 1].value.integer = 3;
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_VALID);
}

Test(crdt_check, gcounter_subset_sum_over_budget_is_unknown_not_valid)
{
	add(0, "n1", 1000000, OP_INFO);
	add(1, "n1", 3, OP_INFO);
	add(2, "n1", 7, OP_INFO);
	counter_final(3, "n1", 500003);
	cr_expect_eq(run_budget(CRDT_MODEL_GCOUNTER, 32 * 1024), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "subset-sum"), "%s", r.unknown_reason);
#ifdef FL_TEST_LIMITS
	/* Shrunk limits (CHK_SUBSET_SUM_TARGET_MAX = 1024): still undecided, still not valid. */
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_UNKNOWN);
#else
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_INVALID);
	cr_expect(has_kind("impossible-sum"));
#endif
}

Test(crdt_check, gcounter_stale_nonfinal_read_is_fine)
{
	add(0, "n1", 5, OP_OK);
	hb_op(&b, 1, "read", "n2", HB_NULL, OP_OK, HB_INT(0), false);
	counter_final(0, "n1", 5);
	counter_final(1, "n2", 5);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_VALID, "%s", r.unknown_reason);
}

Test(crdt_check, gcounter_rejects_read_above_adds_invoked_before_it)
{
	hb_op(&b, 1, "read", "n2", HB_NULL, OP_OK, HB_INT(3), false);
	add(0, "n1", 3, OP_OK);
	counter_final(1, "n2", 3);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_INVALID);
	cr_expect(has_kind("phantom-increment"));
	cr_expect_eq(r.anomalies[0].ops[0], 0);
	cr_expect_eq(r.anomalies[0].ops[1], 1);
}

Test(crdt_check, gcounter_concurrent_add_may_show_in_a_read)
{
	hb_invoke(&b, 0, "add", "n1", HB_INT(3), false);
	hb_op(&b, 1, "read", "n1", HB_NULL, OP_OK, HB_INT(3), false);
	hb_complete(&b, 0, OP_OK, HB_INT(3));
	counter_final(1, "n1", 3);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_VALID);
}

/* ---- Convergence ---- */

Test(crdt_check, divergent_final_reads_are_invalid)
{
	add(0, "n1", 3, OP_OK);
	add(1, "n2", 2, OP_INFO);
	counter_final(2, "n1", 3);
	counter_final(3, "n2", 5);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_INVALID);
	cr_expect(has_kind("divergence"));
	cr_expect(strstr(r.anomalies[0].message, "n1=3"), "%s", r.anomalies[0].message);
	cr_expect(strstr(r.anomalies[0].message, "n2=5"), "%s", r.anomalies[0].message);
}

Test(crdt_check, missing_final_read_is_unknown_naming_the_node)
{
	add(0, "n1", 3, OP_OK);
	counter_final(1, "n1", 3);
	hb_op(&b, 2, "read", "n2", HB_NULL, OP_INFO, HB_NULL, true);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "n2"), "%s", r.unknown_reason);
}

Test(crdt_check, node_without_any_final_read_is_unknown)
{
	add(0, "n3", 3, OP_OK);
	counter_final(1, "n1", 3);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "n3"), "%s", r.unknown_reason);
}

Test(crdt_check, no_final_reads_is_unknown)
{
	add(0, "n1", 3, OP_OK);
	hb_op(&b, 1, "read", "n1", HB_NULL, OP_OK, HB_INT(3), false);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_UNKNOWN);
}

Test(crdt_check, set_divergence_names_an_element)
{
	add(0, "n1", 1, OP_OK);
	add(0, "n1", 2, OP_INFO);
	set_final(1, "n1", HB_SET(1, 2));
	set_final(2, "n2", HB_SET(1));
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_INVALID);
	cr_expect(has_kind("divergence"));
	cr_expect(strstr(r.anomalies[0].message, "element 2"), "%s", r.anomalies[0].message);
}

/* ---- G-Set ---- */

Test(crdt_check, gset_accepts_info_add_either_way)
{
	add(0, "n1", 1, OP_OK);
	add(1, "n2", 2, OP_INFO);
	set_final(2, "n1", HB_SET(2, 1, 1));
	set_final(3, "n2", HB_SET(1, 2));
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_VALID, "%s", r.unknown_reason);
	b.h.ops[b.h.count - 1].value.count = 1;
	b.h.ops[b.h.count - 3].value.count = 1;
	((int64_t *)b.h.ops[b.h.count - 3].value.ints)[0] = 1;
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_VALID);
}

Test(crdt_check, gset_rejects_missing_ok_element_as_lost_add)
{
	add(0, "n1", 1, OP_OK);
	add(0, "n1", 17, OP_OK);
	set_final(1, "n1", HB_SET(1, 17));
	set_final(2, "n3", HB_SET(1));
	set_final(3, "n2", HB_SET(1));
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_INVALID);
	cr_expect(has_kind("lost-add"));
	for (uint32_t k = 0; k < r.anomaly_count; k++) {
		if (strcmp(r.anomalies[k].kind, "lost-add") == 0) {
			cr_expect(strstr(r.anomalies[k].message, "element 17"));
			cr_expect(strstr(r.anomalies[k].message, "n3, n2"), "%s",
				  r.anomalies[k].message);
			cr_expect_eq(r.anomalies[k].ops[0], 2);
			cr_expect_eq(r.anomalies[k].ops[1], 3);
		}
	}
}

Test(crdt_check, gset_rejects_element_never_added)
{
	add(0, "n1", 1, OP_OK);
	set_final(1, "n1", HB_SET(1, 9));
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_INVALID);
	cr_expect(has_kind("phantom-element"));
	cr_expect(strstr(r.anomalies[0].message, "never added"));
}

Test(crdt_check, gset_element_of_failed_add_is_phantom)
{
	add(0, "n1", 1, OP_FAIL);
	set_final(1, "n1", HB_SET(1));
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_INVALID);
	cr_expect(has_kind("phantom-element"));
}

Test(crdt_check, gset_rejects_read_before_add_invoked)
{
	hb_op(&b, 1, "read", "n2", HB_NULL, OP_OK, HB_SET(5), false);
	add(0, "n1", 5, OP_OK);
	set_final(1, "n1", HB_SET(5));
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_INVALID);
	cr_expect(has_kind("premature-read"));
	cr_expect_not(has_kind("phantom-element"));
}

Test(crdt_check, gset_accepts_read_concurrent_with_add)
{
	hb_invoke(&b, 0, "add", "n1", HB_INT(5), false);
	hb_op(&b, 1, "read", "n1", HB_NULL, OP_OK, HB_SET(5), false);
	hb_complete(&b, 0, OP_INFO, HB_NULL);
	set_final(1, "n1", HB_SET(5));
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_VALID);
}

Test(crdt_check, gset_stale_nonfinal_read_is_fine)
{
	add(0, "n1", 5, OP_OK);
	hb_op(&b, 1, "read", "n2", HB_NULL, OP_OK, HB_EMPTY, false);
	set_final(0, "n1", HB_SET(5));
	set_final(1, "n2", HB_SET(5));
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_VALID, "%s", r.unknown_reason);
}

/* ---- OR-Set ---- */

static void op1(int32_t p, const char *f, int64_t v, enum op_type type)
{
	hb_op(&b, p, f, "n1", HB_INT(v), type, type == OP_OK ? HB_INT(v) : HB_NULL, false);
}

Test(crdt_check, orset_add_after_remove_completed_must_survive)
{
	op1(0, "add", 4, OP_OK);
	op1(0, "remove", 4, OP_OK);
	op1(0, "add", 4, OP_OK);
	set_final(1, "n1", HB_EMPTY);
	cr_expect_eq(run(CRDT_MODEL_ORSET), VERDICT_INVALID);
	cr_expect(has_kind("lost-add"));
	cr_expect(strstr(r.anomalies[0].message, "after every remove"), "%s",
		  r.anomalies[0].message);
}

Test(crdt_check, orset_removed_element_may_be_absent)
{
	op1(0, "add", 4, OP_OK);
	op1(0, "remove", 4, OP_OK);
	set_final(1, "n1", HB_EMPTY);
	cr_expect_eq(run(CRDT_MODEL_ORSET), VERDICT_VALID);
}

Test(crdt_check, orset_remove_in_flight_exempts_element)
{
	op1(0, "add", 4, OP_OK);
	hb_invoke(&b, 2, "remove", "n1", HB_INT(4), false);
	set_final(1, "n1", HB_EMPTY);
	cr_expect_eq(run(CRDT_MODEL_ORSET), VERDICT_VALID, "%s", r.unknown_reason);
}

Test(crdt_check, orset_info_remove_exempts_element)
{
	op1(0, "remove", 4, OP_INFO);
	op1(1, "add", 4, OP_OK);
	set_final(2, "n1", HB_EMPTY);
	cr_expect_eq(run(CRDT_MODEL_ORSET), VERDICT_VALID);
}

Test(crdt_check, orset_failed_remove_does_not_exempt)
{
	op1(0, "add", 4, OP_OK);
	op1(0, "remove", 4, OP_FAIL);
	set_final(1, "n1", HB_EMPTY);
	cr_expect_eq(run(CRDT_MODEL_ORSET), VERDICT_INVALID);
	cr_expect(has_kind("lost-add"));
}

Test(crdt_check, orset_add_concurrent_with_remove_may_lose)
{
	hb_invoke(&b, 0, "remove", "n1", HB_INT(4), false);
	op1(1, "add", 4, OP_OK);
	hb_complete(&b, 0, OP_OK, HB_INT(4));
	set_final(1, "n1", HB_EMPTY);
	cr_expect_eq(run(CRDT_MODEL_ORSET), VERDICT_VALID);
}

Test(crdt_check, orset_rejects_element_never_added)
{
	op1(0, "add", 4, OP_OK);
	op1(0, "remove", 6, OP_OK);
	set_final(1, "n1", HB_SET(4, 6));
	cr_expect_eq(run(CRDT_MODEL_ORSET), VERDICT_INVALID);
	cr_expect(has_kind("phantom-element"));
}

/* ---- Model and input ---- */

Test(crdt_check, infers_the_model_from_ops)
{
	add(0, "n1", 3, OP_OK);
	counter_final(1, "n1", 3);
	cr_expect_eq(run(CRDT_MODEL_NONE), VERDICT_VALID);
	cr_expect_str_eq(r.model, "gcounter");
	hb_fini(&b);
	hb_init(&b);
	op1(0, "add", 4, OP_OK);
	op1(0, "remove", 4, OP_OK);
	set_final(1, "n1", HB_EMPTY);
	cr_expect_eq(run(CRDT_MODEL_NONE), VERDICT_VALID);
	cr_expect_str_eq(r.model, "orset");
}

Test(crdt_check, ambiguous_model_asks_for_model)
{
	int err;
	struct check_opts o = { .model = CRDT_MODEL_NONE };

	add(0, "n1", 3, OP_OK);
	err = check_history(&crdt_checker, &b.h, &o, &r, &eb);
	cr_expect_eq(err, -EINVAL);
	cr_expect_eq(r.verdict, VERDICT_UNKNOWN);
	cr_expect(strstr(eb.msg, "--model"), "%s", eb.msg);
}

Test(crdt_check, foreign_op_is_an_error_and_unknown)
{
	struct check_opts o = { .model = "gset" };
	int err;

	hb_op(&b, 0, "cas", "n1", HB_INT(1), OP_OK, HB_INT(1), false);
	err = check_history(&crdt_checker, &b.h, &o, &r, &eb);
	cr_expect_eq(err, -EINVAL);
	cr_expect_eq(r.verdict, VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "cas"), "%s", r.unknown_reason);
}

Test(crdt_check, wrong_value_type_is_unknown_not_valid)
{
	add(0, "n1", 3, OP_OK);
	counter_final(1, "n1", 3);
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_UNKNOWN);
	cr_expect_eq(run(CRDT_MODEL_ORSET), VERDICT_UNKNOWN);
}

Test(crdt_check, remove_in_gset_history_is_an_error)
{
	op1(0, "add", 4, OP_OK);
	op1(0, "remove", 4, OP_OK);
	set_final(1, "n1", HB_EMPTY);
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "remove"), "%s", r.unknown_reason);
}
