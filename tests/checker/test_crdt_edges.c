/* SPDX-License-Identifier: MIT */
/* test_crdt_edges.c - the CRDT checker at the edges of its rules: each case must pass or fail. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
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

TestSuite(crdt_edges, .init = setup, .fini = teardown);

static enum verdict run(enum crdt_model model)
{
	struct check_opts o = { .model = model == CRDT_MODEL_NONE ? NULL : crdt_model_name(model) };

	check_result_fini(&r);
	check_history(&crdt_checker, &b.h, &o, &r, &eb);
	return r.verdict;
}

static bool has_kind(const char *kind)
{
	for (uint32_t k = 0; k < r.anomaly_count; k++)
		if (strcmp(r.anomalies[k].kind, kind) == 0)
			return true;
	return false;
}

static uint64_t op(int32_t p, const char *f, const char *node, int64_t v, enum op_type type)
{
	return hb_op(&b, p, f, node, HB_INT(v), type, type == OP_OK ? HB_INT(v) : HB_NULL,
		     false);
}

static void read_int(int32_t p, const char *node, int64_t v, bool final)
{
	hb_op(&b, p, "read", node, HB_NULL, OP_OK, HB_INT(v), final);
}

static void read_set(int32_t p, const char *node, struct hb_val v, bool final)
{
	hb_op(&b, p, "read", node, HB_NULL, OP_OK, v, final);
}

/* Set the key of op @i and of its completion. */
static void set_key(uint64_t i, const char *key)
{
	b.h.ops[i].key = key;
	if (hist_pair(&b.h, i) != HIST_NO_PAIR)
		b.h.ops[hist_pair(&b.h, i)].key = key;
}

/* ---- G-Counter ---- */

Test(crdt_edges, gcounter_failed_add_does_not_back_a_nonfinal_read)
{
	op(0, "add", "n1", 4, OP_FAIL);
	read_int(1, "n1", 4, false);
	read_int(1, "n1", 0, true);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_INVALID);
	cr_expect(has_kind("phantom-increment"));
}

Test(crdt_edges, gcounter_read_lower_than_earlier_reads_elsewhere_is_fine)
{
	op(0, "add", "n1", 2, OP_OK);
	read_int(1, "n1", 2, false);
	hb_nemesis(&b, "start-partition");
	op(2, "add", "n1", 3, OP_OK);
	read_int(1, "n1", 5, false);
	read_int(3, "n2", 0, false);
	read_int(3, "n2", 2, false);
	hb_nemesis(&b, "stop-partition");
	read_int(1, "n1", 5, true);
	read_int(3, "n2", 5, true);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_VALID, "%s", r.unknown_reason);
}

Test(crdt_edges, gcounter_add_invoked_during_read_may_count_after_may_not)
{
	hb_invoke(&b, 1, "read", "n1", HB_NULL, false);
	op(0, "add", "n1", 3, OP_OK);                   /* invoked before the read completed */
	hb_complete(&b, 1, OP_OK, HB_INT(3));
	read_int(1, "n1", 3, true);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_VALID, "%s", r.unknown_reason);
	hb_fini(&b);
	hb_init(&b);
	read_int(1, "n1", 3, false);
	op(0, "add", "n1", 3, OP_OK);                   /* invoked after the read completed */
	read_int(1, "n1", 3, true);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_INVALID);
	cr_expect(has_kind("phantom-increment"));
}

Test(crdt_edges, gcounter_info_add_taken_effect_is_valid)
{
	op(0, "add", "n1", 1, OP_OK);
	op(1, "add", "n2", 1, OP_INFO);
	hb_invoke(&b, 2, "add", "n3", HB_INT(1), false);    /* in flight */
	read_int(3, "n1", 3, true);
	read_int(4, "n2", 3, true);
	read_int(5, "n3", 3, true);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_VALID, "%s", r.unknown_reason);
}

Test(crdt_edges, gcounter_sums_near_int64_max)
{
	op(0, "add", "n1", INT64_MAX - 5, OP_OK);
	op(0, "add", "n1", 5, OP_INFO);
	read_int(1, "n1", INT64_MAX, true);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_VALID, "%s", r.unknown_reason);
	b.h.ops[b.h.count - 1].value.integer = INT64_MAX - 2;
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_INVALID);
	cr_expect(has_kind("impossible-sum"));
	b.h.ops[b.h.count - 1].value.integer = INT64_MAX - 6;
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_INVALID);
	cr_expect(has_kind("lost-add"));
}

Test(crdt_edges, gcounter_sum_overflow_is_unknown_not_valid)
{
	op(0, "add", "n1", INT64_MAX, OP_OK);
	op(0, "add", "n1", 1, OP_INFO);
	read_int(1, "n1", INT64_MAX, true);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "overflow"), "%s", r.unknown_reason);
}

Test(crdt_edges, gcounter_negative_delta_is_unknown_not_valid)
{
	op(0, "add", "n1", 3, OP_OK);
	op(0, "add", "n1", -3, OP_OK);
	read_int(1, "n1", 0, true);
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "negative"), "%s", r.unknown_reason);
}

Test(crdt_edges, gcounter_non_integer_values_are_unknown_not_valid)
{
	uint64_t i = op(0, "add", "n1", 3, OP_OK);

	read_int(1, "n1", 3, true);
	b.h.ops[i].value.kind = OP_VALUE_JSON;
	b.h.ops[i].value.json = "3.0";
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_UNKNOWN);
	b.h.ops[i].value.kind = OP_VALUE_INT;
	b.h.ops[b.h.count - 1].value.kind = OP_VALUE_JSON;
	b.h.ops[b.h.count - 1].value.json = "\"3\"";
	cr_expect_eq(run(CRDT_MODEL_GCOUNTER), VERDICT_UNKNOWN);
}

/* Every final value in [OK, OK + INFO] against a brute-force subset sum of mixed deltas. */
Test(crdt_edges, gcounter_subset_sum_matches_brute_force)
{
	static const int64_t deltas[] = { 3, 5, 9, 22, 1000 };
	enum { N = sizeof(deltas) / sizeof(deltas[0]) };
	int64_t total = 0;
	bool reach[1100] = { false };

	for (uint32_t m = 0; m < (1u << N); m++) {
		int64_t s = 0;

		for (uint32_t k = 0; k < N; k++)
			s += (m >> k & 1) ? deltas[k] : 0;
		reach[s] = true;
	}
	op(0, "add", "n1", 7, OP_OK);
	for (uint32_t k = 0; k < N; k++) {
		op((int32_t)k + 1, "add", "n1", deltas[k], OP_INFO);
		total += deltas[k];
	}
	read_int(10, "n1", 0, true);
	for (int64_t t = 0; t <= total; t++) {
		b.h.ops[b.h.count - 1].value.integer = 7 + t;
		run(CRDT_MODEL_GCOUNTER);
		cr_assert_eq(r.verdict, reach[t] ? VERDICT_VALID : VERDICT_INVALID,
			     "t = %lld: %s", (long long)t, r.unknown_reason);
	}
}

/* ---- Convergence ---- */

Test(crdt_edges, failed_or_info_final_read_with_others_equal_is_unknown)
{
	op(0, "add", "n1", 1, OP_OK);
	read_set(1, "n1", HB_SET(1), true);
	read_set(2, "n2", HB_SET(1), true);
	hb_op(&b, 3, "read", "n3", HB_NULL, OP_FAIL, HB_SET(1), true);
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "n3"), "%s", r.unknown_reason);
	cr_expect_eq(r.final_read_count, 2);
	b.h.ops[b.h.count - 1].type = OP_INFO;
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "n3"), "%s", r.unknown_reason);
}

Test(crdt_edges, final_flag_on_completion_only_still_counts)
{
	op(0, "add", "n1", 1, OP_OK);
	read_set(1, "n1", HB_SET(1), false);
	b.h.ops[b.h.count - 1].final = true;
	read_set(2, "n2", HB_SET(1), true);
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_VALID, "%s", r.unknown_reason);
	cr_expect_eq(r.final_read_count, 2);
}

Test(crdt_edges, final_read_naming_its_node_on_completion_only)
{
	uint64_t i;

	op(0, "add", "n1", 1, OP_OK);
	op(0, "add", "n2", 1, OP_OK);
	read_set(1, "n1", HB_SET(1), true);
	i = hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_SET(1), true);
	hb_node(&b, hist_pair(&b.h, i), "n2");
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_VALID, "%s", r.unknown_reason);
}

/* ---- G-Set ---- */

Test(crdt_edges, gset_duplicate_elements_in_reads_are_one_element)
{
	op(0, "add", "n1", 1, OP_OK);
	op(0, "add", "n1", 2, OP_OK);
	read_set(1, "n2", HB_SET(1, 1), false);
	read_set(1, "n1", HB_SET(2, 1, 2, 1), true);
	read_set(2, "n2", HB_SET(1, 2), true);
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_VALID, "%s", r.unknown_reason);
}

Test(crdt_edges, gset_duplicate_phantom_is_still_a_phantom)
{
	op(0, "add", "n1", 1, OP_OK);
	read_set(1, "n1", HB_SET(1, 9, 9), true);
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_INVALID);
	cr_expect(has_kind("phantom-element"));
	cr_expect_eq(r.anomalies_total, 1);
	cr_expect_not(strstr(r.anomalies[0].message, "more reads"), "%s", r.anomalies[0].message);
}

Test(crdt_edges, gset_premature_boundary_is_the_read_completion)
{
	hb_invoke(&b, 1, "read", "n1", HB_NULL, false);
	op(0, "add", "n1", 5, OP_OK);                   /* concurrent with the read */
	hb_complete(&b, 1, OP_OK, HB_SET(5));
	read_set(1, "n1", HB_SET(5), true);
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_VALID, "%s", r.unknown_reason);
	hb_fini(&b);
	hb_init(&b);
	read_set(1, "n1", HB_SET(5), false);
	op(0, "add", "n1", 5, OP_OK);                   /* after the read completed */
	read_set(1, "n1", HB_SET(5), true);
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_INVALID);
	cr_expect(has_kind("premature-read"));
}

Test(crdt_edges, gset_failed_add_then_late_add_is_premature)
{
	op(0, "add", "n1", 5, OP_FAIL);
	read_set(1, "n1", HB_SET(5), false);
	op(0, "add", "n1", 5, OP_OK);
	read_set(1, "n1", HB_SET(5), true);
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_INVALID);
	cr_expect(has_kind("premature-read"));
}

Test(crdt_edges, gset_in_flight_add_may_appear)
{
	op(0, "add", "n1", 1, OP_OK);
	hb_invoke(&b, 1, "add", "n2", HB_INT(2), false);
	read_set(2, "n1", HB_SET(1, 2), true);
	read_set(3, "n2", HB_SET(1, 2), true);
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_VALID, "%s", r.unknown_reason);
}

Test(crdt_edges, nemesis_values_are_not_elements)
{
	uint64_t i;

	op(0, "add", "n1", 1, OP_OK);
	i = hb_nemesis(&b, "add");
	b.h.ops[i].value = (struct op_value){ .kind = OP_VALUE_INT, .integer = 9 };
	b.h.ops[i + 1].value = (struct op_value){ .kind = OP_VALUE_INT, .integer = 9 };
	read_set(1, "n1", HB_SET(1, 9), true);
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_INVALID);
	cr_expect(has_kind("phantom-element"));
}

/* An element added to one key and read from another must not pass as added. */
Test(crdt_edges, keys_are_not_mixed)
{
	set_key(op(0, "add", "n1", 1, OP_OK), "a");
	set_key(hb_op(&b, 1, "read", "n1", HB_NULL, OP_OK, HB_SET(1), true), "b");
	cr_expect_neq(run(CRDT_MODEL_GSET), VERDICT_VALID);
	cr_expect_neq(run(CRDT_MODEL_NONE), VERDICT_VALID);
}

Test(crdt_edges, keys_mixed_with_keyless_ops_are_not_mixed)
{
	op(0, "add", "n1", 1, OP_OK);
	set_key(hb_op(&b, 1, "read", "n1", HB_NULL, OP_OK, HB_SET(1), true), "b");
	cr_expect_neq(run(CRDT_MODEL_GSET), VERDICT_VALID);
}

Test(crdt_edges, one_key_throughout_is_checked)
{
	set_key(op(0, "add", "n1", 1, OP_OK), "a");
	set_key(hb_op(&b, 1, "read", "n1", HB_NULL, OP_OK, HB_SET(1), true), "a");
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_VALID, "%s", r.unknown_reason);
	set_key(op(0, "add", "n1", 2, OP_OK), "a");
	cr_expect_eq(run(CRDT_MODEL_GSET), VERDICT_INVALID);
	cr_expect(has_kind("lost-add"));
}

/* ---- OR-Set ---- */

Test(crdt_edges, orset_add_concurrent_with_remove_may_be_present_or_absent)
{
	op(0, "add", "n1", 4, OP_OK);
	hb_invoke(&b, 1, "remove", "n2", HB_INT(4), false);
	op(2, "add", "n1", 4, OP_OK);
	hb_complete(&b, 1, OP_OK, HB_INT(4));
	read_set(3, "n1", HB_SET(4), true);
	read_set(4, "n2", HB_SET(4), true);
	cr_expect_eq(run(CRDT_MODEL_ORSET), VERDICT_VALID, "%s", r.unknown_reason);
	b.h.ops[b.h.count - 1].value.count = 0;
	b.h.ops[b.h.count - 3].value.count = 0;
	cr_expect_eq(run(CRDT_MODEL_ORSET), VERDICT_VALID, "%s", r.unknown_reason);
}

Test(crdt_edges, orset_failed_remove_after_readd_does_not_exempt)
{
	op(0, "add", "n1", 4, OP_OK);
	op(0, "remove", "n1", 4, OP_OK);
	op(0, "add", "n1", 4, OP_OK);
	op(0, "remove", "n2", 4, OP_FAIL);
	read_set(1, "n1", HB_EMPTY, true);
	read_set(2, "n2", HB_EMPTY, true);
	cr_expect_eq(run(CRDT_MODEL_ORSET), VERDICT_INVALID);
	cr_expect(has_kind("lost-add"));
}

Test(crdt_edges, orset_remove_completing_after_readd_invoked_exempts)
{
	op(0, "add", "n1", 4, OP_OK);
	op(0, "remove", "n1", 4, OP_OK);
	hb_invoke(&b, 1, "remove", "n2", HB_INT(4), false);
	op(0, "add", "n1", 4, OP_OK);
	hb_complete(&b, 1, OP_OK, HB_INT(4));
	read_set(2, "n1", HB_EMPTY, true);
	read_set(3, "n2", HB_EMPTY, true);
	cr_expect_eq(run(CRDT_MODEL_ORSET), VERDICT_VALID, "%s", r.unknown_reason);
}

Test(crdt_edges, orset_info_remove_before_ok_add_exempts)
{
	op(0, "add", "n1", 4, OP_OK);
	op(1, "remove", "n2", 4, OP_INFO);
	op(0, "add", "n1", 4, OP_OK);
	read_set(2, "n1", HB_EMPTY, true);
	read_set(3, "n2", HB_EMPTY, true);
	cr_expect_eq(run(CRDT_MODEL_ORSET), VERDICT_VALID, "%s", r.unknown_reason);
}

Test(crdt_edges, orset_remove_is_not_an_add)
{
	op(0, "remove", "n1", 4, OP_OK);
	read_set(1, "n1", HB_SET(4), false);
	op(0, "add", "n1", 4, OP_OK);
	read_set(1, "n1", HB_SET(4), true);
	cr_expect_eq(run(CRDT_MODEL_ORSET), VERDICT_INVALID);
	cr_expect(has_kind("premature-read"));
}

Test(crdt_edges, orset_failed_add_is_not_an_add)
{
	op(0, "add", "n1", 4, OP_FAIL);
	op(0, "remove", "n1", 4, OP_OK);
	read_set(1, "n1", HB_SET(4), true);
	cr_expect_eq(run(CRDT_MODEL_ORSET), VERDICT_INVALID);
	cr_expect(has_kind("phantom-element"));
}
