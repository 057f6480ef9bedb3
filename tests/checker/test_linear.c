/* SPDX-License-Identifier: MIT */
/* test_linear.c - the linearizability checker: cas-register and kv, must-pass, must-fail. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "checker.h"
#include "chk_limits.h"
#include "errbuf.h"
#include "hist_build.h"
#include "linear.h"

TestSuite(linear);

/* Checks @b under @opts; returns the verdict, leaves the result in @r (fini it). */
static enum verdict check_with(struct hist_build *b, const struct linear_opts *opts,
			       struct check_result *r)
{
	struct linear_checker c;
	struct check_opts co = { .memory_bytes_max = 0 };
	struct errbuf eb = { "" };

	linear_checker_init(&c, opts);
	check_result_init(r);
	check_history(&c.base, &b->h, &co, r, &eb);
	return r->verdict;
}

static enum verdict check(struct hist_build *b, enum linear_model model)
{
	struct linear_opts opts = { .model = model };
	struct check_result r;
	enum verdict v = check_with(b, &opts, &r);

	if (v == VERDICT_INVALID) {
		cr_assert_eq(r.anomaly_count, 1);
		cr_assert_str_eq(r.anomalies[0].kind, "not-linearizable");
		cr_assert_geq(r.anomalies[0].op_count, 2);
	}
	check_result_fini(&r);
	return v;
}

#define CAS(a, b) HB_SET(a, b)
#define REG LINEAR_MODEL_CAS_REGISTER

Test(linear, sequential_write_then_read_is_valid)
{
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "write", NULL, HB_INT(1), OP_OK, HB_INT(1), false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_INT(1), false);
	hb_op(&b, 0, "cas", NULL, CAS(1, 2), OP_OK, CAS(1, 2), false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_INT(2), false);
	cr_assert_eq(check(&b, REG), VERDICT_VALID);
	hb_fini(&b);
}

Test(linear, canary_stale_read_after_acked_write_is_invalid)
{
	struct hist_build b;
	struct linear_opts opts = { .model = REG };
	struct check_result r;

	hb_init(&b);
	hb_op(&b, 0, "write", NULL, HB_INT(1), OP_OK, HB_INT(1), false);
	hb_op(&b, 0, "write", NULL, HB_INT(2), OP_OK, HB_INT(2), false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_INT(1), false);
	cr_assert_eq(check_with(&b, &opts, &r), VERDICT_INVALID);
	cr_assert_eq(r.anomalies[0].ops[0], 4, "cites the read that cannot be linearized");
	cr_assert_eq(r.anomalies[0].ops[1], 5);
	cr_assert_not_null(strstr(r.anomalies[0].message, "read -> 1"), "%s",
			   r.anomalies[0].message);
	check_result_fini(&r);
	hb_fini(&b);
}

Test(linear, concurrent_ops_may_take_effect_in_either_order)
{
	struct hist_build b;

	hb_init(&b);
	hb_invoke(&b, 0, "write", NULL, HB_INT(1), false);
	hb_invoke(&b, 1, "write", NULL, HB_INT(2), false);
	hb_invoke(&b, 2, "read", NULL, HB_NULL, false);
	hb_complete(&b, 2, OP_OK, HB_INT(1));
	hb_complete(&b, 0, OP_OK, HB_INT(1));
	hb_complete(&b, 1, OP_OK, HB_INT(2));
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_INT(2), false);
	cr_assert_eq(check(&b, REG), VERDICT_VALID);
	hb_fini(&b);
}

Test(linear, info_write_may_take_effect_late)
{
	struct hist_build b;

	hb_init(&b);
	hb_invoke(&b, 0, "write", NULL, HB_INT(1), false);
	hb_complete(&b, 0, OP_INFO, HB_NULL);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_NULL, false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_NULL, false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_INT(1), false);
	cr_assert_eq(check(&b, REG), VERDICT_VALID);
	/* ...but only once: after it is seen, the register cannot be empty again. */
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_NULL, false);
	cr_assert_eq(check(&b, REG), VERDICT_INVALID);
	hb_fini(&b);
}

Test(linear, info_cas_may_never_take_effect)
{
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "write", NULL, HB_INT(0), OP_OK, HB_INT(0), false);
	hb_invoke(&b, 1, "cas", NULL, CAS(0, 1), false);
	hb_complete(&b, 1, OP_INFO, HB_NULL);
	hb_op(&b, 0, "read", NULL, HB_NULL, OP_OK, HB_INT(0), false);
	cr_assert_eq(check(&b, REG), VERDICT_VALID);
	hb_op(&b, 0, "read", NULL, HB_NULL, OP_OK, HB_INT(1), false);
	cr_assert_eq(check(&b, REG), VERDICT_VALID);
	hb_op(&b, 0, "read", NULL, HB_NULL, OP_OK, HB_INT(0), false);
	cr_assert_eq(check(&b, REG), VERDICT_INVALID);
	hb_fini(&b);
}

Test(linear, in_flight_op_at_the_end_counts_as_info)
{
	struct hist_build b;

	hb_init(&b);
	hb_invoke(&b, 0, "write", NULL, HB_INT(7), false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_INT(7), false);
	cr_assert_eq(check(&b, REG), VERDICT_VALID);
	hb_fini(&b);
}

Test(linear, failed_ops_did_not_happen)
{
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "write", NULL, HB_INT(2), OP_FAIL, HB_NULL, false);
	hb_op(&b, 0, "cas", NULL, CAS(0, 3), OP_FAIL, HB_NULL, false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_NULL, false);
	cr_assert_eq(check(&b, REG), VERDICT_VALID);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_INT(2), false);
	cr_assert_eq(check(&b, REG), VERDICT_INVALID);
	hb_fini(&b);
}

Test(linear, ok_cas_needs_the_old_value)
{
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "write", NULL, HB_INT(0), OP_OK, HB_INT(0), false);
	hb_op(&b, 0, "cas", NULL, CAS(5, 1), OP_OK, CAS(5, 1), false);
	cr_assert_eq(check(&b, REG), VERDICT_INVALID);
	hb_fini(&b);
}

Test(linear, null_read_modes)
{
	struct linear_opts any = { .model = REG, .null_read_any = true };
	struct check_result r;
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "write", NULL, HB_INT(1), OP_OK, HB_INT(1), false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_NULL, false);
	cr_assert_eq(check(&b, REG), VERDICT_INVALID, "empty: nil means empty");
	cr_assert_eq(check_with(&b, &any, &r), VERDICT_VALID, "any: nil constrains nothing");
	check_result_fini(&r);
	hb_fini(&b);
}

Test(linear, initial_value_option)
{
	struct linear_opts five = { .model = REG };
	struct check_result r;
	struct hist_build b;

	cr_assert_eq(linear_initial_parse("5", five.initial, sizeof(five.initial)), 0);
	hb_init(&b);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_INT(5), false);
	hb_op(&b, 0, "cas", NULL, CAS(5, 6), OP_OK, CAS(5, 6), false);
	cr_assert_eq(check(&b, REG), VERDICT_INVALID);
	cr_assert_eq(check_with(&b, &five, &r), VERDICT_VALID);
	check_result_fini(&r);
	hb_fini(&b);
}

Test(linear, initial_parse_accepts_nil_integers_json_and_text)
{
	char out[LINEAR_INITIAL_BYTES_MAX];

	cr_assert_eq(linear_initial_parse("nil", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "null");
	cr_assert_eq(linear_initial_parse("-4", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "-4");
	cr_assert_eq(linear_initial_parse("abc", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "\"abc\"");
	cr_assert_eq(linear_initial_parse("abc", out, 4), -EINVAL);
}

Test(linear, kv_appends_concatenate_per_key)
{
	struct hist_build b;

	hb_init(&b);
	hb_key(&b, "a");
	hb_op(&b, 0, "get", NULL, HB_NULL, OP_OK, HB_JSON("\"\""), false);
	hb_op(&b, 0, "append", NULL, HB_JSON("\"x\""), OP_OK, HB_JSON("\"x\""), false);
	hb_key(&b, "b");
	hb_op(&b, 1, "put", NULL, HB_JSON("\"q\""), OP_OK, HB_JSON("\"q\""), false);
	hb_key(&b, "a");
	hb_op(&b, 0, "append", NULL, HB_JSON("\"y\""), OP_OK, HB_JSON("\"y\""), false);
	hb_op(&b, 1, "get", NULL, HB_NULL, OP_OK, HB_JSON("\"xy\""), false);
	hb_key(&b, "b");
	hb_op(&b, 1, "get", NULL, HB_NULL, OP_OK, HB_JSON("\"q\""), false);
	cr_assert_eq(check(&b, LINEAR_MODEL_KV), VERDICT_VALID);
	hb_key(&b, "a");
	hb_op(&b, 1, "get", NULL, HB_NULL, OP_OK, HB_JSON("\"yx\""), false);
	cr_assert_eq(check(&b, LINEAR_MODEL_KV), VERDICT_INVALID);
	hb_fini(&b);
}

Test(linear, wrong_model_for_the_ops_is_unknown)
{
	struct hist_build b;

	hb_init(&b);
	hb_op(&b, 0, "add", NULL, HB_INT(1), OP_OK, HB_INT(1), false);
	cr_assert_eq(check(&b, REG), VERDICT_UNKNOWN);
	cr_assert_eq(check(&b, LINEAR_MODEL_KV), VERDICT_UNKNOWN);
	hb_fini(&b);
}

/* Many concurrent writes, then reads of 0, 1 and 0 again: impossible (0 is written once),
 * but no shortcut sees it (every value read was written, and no write began after the
 * write of 0 ended), so only a search that needs many steps refutes it. */
static void hard_ops(struct hist_build *b)
{
	for (int p = 0; p < 16; p++)
		hb_invoke(b, p, "write", NULL, HB_INT(p), false);
	for (int p = 0; p < 16; p++)
		hb_complete(b, p, OP_OK, HB_INT(p));
	hb_op(b, 20, "read", NULL, HB_NULL, OP_OK, HB_INT(0), false);
	hb_op(b, 20, "read", NULL, HB_NULL, OP_OK, HB_INT(1), false);
	hb_op(b, 20, "read", NULL, HB_NULL, OP_OK, HB_INT(0), false);
}

static void build_hard(struct hist_build *b)
{
	hb_init(b);
	hard_ops(b);
}

Test(linear, exhausted_step_budget_is_unknown_never_a_verdict)
{
	struct linear_opts opts = { .model = REG, .steps_max = 50 };
	struct check_result r;
	struct hist_build b;

	build_hard(&b);
	cr_assert_eq(check_with(&b, &opts, &r), VERDICT_UNKNOWN);
	cr_assert_not_null(strstr(r.unknown_reason, "step budget"), "%s", r.unknown_reason);
	check_result_fini(&r);
	opts.steps_max = 0;
	cr_assert_eq(check_with(&b, &opts, &r), VERDICT_INVALID);
	check_result_fini(&r);
	hb_fini(&b);
}

Test(linear, exhausted_memory_budget_is_unknown)
{
	struct linear_opts opts = { .model = REG };
	struct check_opts co = { .memory_bytes_max = 4096 };
	struct linear_checker c;
	struct check_result r;
	struct hist_build b;

	build_hard(&b);
	linear_checker_init(&c, &opts);
	check_result_init(&r);
	check_history(&c.base, &b.h, &co, &r, NULL);
	cr_assert_eq(r.verdict, VERDICT_UNKNOWN);
	cr_assert_not_null(strstr(r.unknown_reason, "memory budget"), "%s", r.unknown_reason);
	check_result_fini(&r);
	hb_fini(&b);
}

/* Key @key: two acked writes, then a read of the older value (the canary's stale read). */
static void stale_read_key(struct hist_build *b, const char *key)
{
	hb_key(b, key);
	hb_op(b, 0, "write", NULL, HB_INT(1), OP_OK, HB_INT(1), false);
	hb_op(b, 0, "write", NULL, HB_INT(2), OP_OK, HB_INT(2), false);
	hb_op(b, 1, "read", NULL, HB_NULL, OP_OK, HB_INT(1), false);
}

/* The anomaly of @r that names key @key, or NULL. */
static const struct anomaly *anomaly_of_key(const struct check_result *r, const char *key)
{
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "key \"%s\": ", key);
	for (uint32_t k = 0; k < r->anomaly_count; k++) {
		if (strncmp(r->anomalies[k].message, prefix, strlen(prefix)) == 0)
			return &r->anomalies[k];
	}
	return NULL;
}

Test(linear, every_invalid_key_is_reported_not_only_the_first)
{
	struct linear_opts opts = { .model = REG };
	const struct anomaly *a, *c;
	struct check_result r;
	struct hist_build b;

	hb_init(&b);
	stale_read_key(&b, "a");
	hb_key(&b, "b");
	hb_op(&b, 2, "write", NULL, HB_INT(7), OP_OK, HB_INT(7), false);
	hb_op(&b, 3, "read", NULL, HB_NULL, OP_OK, HB_INT(7), false);
	stale_read_key(&b, "c");
	cr_assert_eq(check_with(&b, &opts, &r), VERDICT_INVALID);
	cr_assert_eq(r.anomalies_total, 2);
	cr_assert_eq(r.anomaly_count, 2);
	a = anomaly_of_key(&r, "a");
	c = anomaly_of_key(&r, "c");
	cr_assert_not_null(a, "%s / %s", r.anomalies[0].message, r.anomalies[1].message);
	cr_assert_not_null(c, "%s / %s", r.anomalies[0].message, r.anomalies[1].message);
	cr_assert_null(anomaly_of_key(&r, "b"), "key b is linearizable");
	cr_assert_str_eq(a->kind, "not-linearizable");
	cr_assert_str_eq(c->kind, "not-linearizable");
	cr_assert_eq(a->ops[0], 4, "key a: its read (op 4) cannot be linearized");
	cr_assert_eq(c->ops[0], 14, "key c: its read (op 14) cannot be linearized");
	cr_assert_str_eq(r.unknown_reason, "", "every key was decided");
	check_result_fini(&r);
	hb_fini(&b);
}

Test(linear, an_invalid_key_beside_an_undecided_key_is_invalid)
{
	struct linear_opts opts = { .model = REG, .steps_max = 50 };
	struct check_result r;
	struct hist_build b;

	hb_init(&b);
	stale_read_key(&b, "bad");      /* first: the keys after an invalid one are decided too */
	hb_key(&b, "hard");
	hard_ops(&b);
	cr_assert_eq(check_with(&b, &opts, &r), VERDICT_INVALID, "invalid dominates unknown");
	cr_assert_eq(r.anomalies_total, 1);
	cr_assert_not_null(anomaly_of_key(&r, "bad"), "%s", r.anomalies[0].message);
	/* The step that went over the budget is counted: 51. */
	cr_assert_str_eq(r.unknown_reason, "1 of 2 keys unknown, 1 not linearizable: key \"hard\": "
			 "search step budget exhausted after 51 steps");
	check_result_fini(&r);
	hb_fini(&b);
}

Test(linear, once_a_key_is_invalid_the_budget_stops_growing)
{
	/* A budget far above the first rounds': without the stop, "hard" would be searched to
	 * it; with it, one round after "bad" failed (4 x 2^14 steps) and it is named. */
	struct linear_opts opts = { .model = REG, .steps_max = 1ull << 30 };
	struct check_result r;
	struct hist_build b;

	hb_init(&b);
	stale_read_key(&b, "bad");
	hb_key(&b, "hard");
	hard_ops(&b);
	cr_assert_eq(check_with(&b, &opts, &r), VERDICT_INVALID);
	cr_assert_eq(r.anomalies_total, 1);
	cr_assert_not_null(anomaly_of_key(&r, "bad"));
	cr_assert_str_eq(r.unknown_reason, "1 of 2 keys unknown, 1 not linearizable: key \"hard\": "
			 "not searched further (another key is not linearizable): step budget "
			 "spent after 65537 steps");
	check_result_fini(&r);
	hb_fini(&b);
}

Test(linear, undecided_keys_without_an_invalid_one_are_unknown_and_counted)
{
	struct linear_opts opts = { .model = REG, .steps_max = 50 };
	struct check_result r;
	struct hist_build b;

	hb_init(&b);
	hb_key(&b, "hard");
	hard_ops(&b);
	hb_key(&b, "fine");
	hb_op(&b, 30, "read", NULL, HB_NULL, OP_OK, HB_NULL, false);
	cr_assert_eq(check_with(&b, &opts, &r), VERDICT_UNKNOWN);
	cr_assert_eq(r.anomalies_total, 0);
	cr_assert_str_eq(r.unknown_reason, "1 of 2 keys unknown, 0 not linearizable: key \"hard\": "
			 "search step budget exhausted after 51 steps");
	check_result_fini(&r);
	hb_fini(&b);
}

Test(linear, invalid_keys_past_the_anomaly_cap_are_counted)
{
	enum { KEYS = CHECK_ANOMALIES_MAX + 9 };
	static char names[KEYS][16];
	struct linear_opts opts = { .model = REG };
	struct check_result r;
	struct hist_build b;

	if ((long)CHK_LIN_KEYS_MAX <= KEYS || (long)HB_OPS_MAX < 2 * KEYS)
		cr_skip_test("needs %d keys", KEYS);
	hb_init(&b);
	for (int k = 0; k < KEYS; k++) {
		snprintf(names[k], sizeof(names[k]), "k%d", k);
		hb_key(&b, names[k]);
		/* A read of a value never written: not linearizable. */
		hb_op(&b, 0, "read", NULL, HB_NULL, OP_OK, HB_INT(k + 1), false);
	}
	cr_assert_eq(check_with(&b, &opts, &r), VERDICT_INVALID);
	cr_assert_eq(r.anomalies_total, KEYS, "every invalid key is counted");
	cr_assert_eq(r.anomaly_count, CHECK_ANOMALIES_MAX, "the first ones are kept");
	cr_assert_not_null(anomaly_of_key(&r, "k0"));
	cr_assert_null(anomaly_of_key(&r, names[KEYS - 1]), "past the cap: counted, not kept");
	check_result_fini(&r);
	hb_fini(&b);
}

Test(linear, model_names_round_trip)
{
	enum linear_model m;

	cr_assert_eq(linear_model_parse("kv", &m), 0);
	cr_assert_eq(m, LINEAR_MODEL_KV);
	cr_assert_str_eq(linear_model_name(LINEAR_MODEL_CAS_REGISTER), "cas-register");
	cr_assert_eq(linear_model_parse("multi-register", &m), 0);
	cr_assert_eq(m, LINEAR_MODEL_MULTI_REGISTER);
	cr_assert_str_eq(linear_model_name(LINEAR_MODEL_MUTEX), "mutex");
	cr_assert_eq(linear_model_parse("registers", &m), -EINVAL);
}
