/* SPDX-License-Identifier: MIT */
/* test_linear_explain.c - what the linearizability checker says when a key is not
 * linearizable: the blocked op, the ops concurrent with it, the states just before it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "checker.h"
#include "chk_limits.h"
#include "errbuf.h"
#include "hist_build.h"
#include "linear.h"

TestSuite(linear_explain);

#define CAS(a, b) HB_SET(a, b)

/* Checks @b as a cas-register starting at @initial (JSON text); the result goes to @r. */
static void check_register(struct hist_build *b, const char *initial, struct check_result *r)
{
	struct linear_opts opts = { .model = LINEAR_MODEL_CAS_REGISTER };
	struct check_opts co = { .memory_bytes_max = 0 };
	struct errbuf eb = { "" };
	struct linear_checker c;

	snprintf(opts.initial, sizeof(opts.initial), "%s", initial);
	linear_checker_init(&c, &opts);
	check_result_init(r);
	cr_assert_eq(check_history(&c.base, &b->h, &co, r, &eb), 0, "%s", eb.msg);
	cr_assert_eq(r->verdict, VERDICT_INVALID);
	cr_assert_eq(r->anomaly_count, 1);
	cr_assert_str_eq(r->anomalies[0].kind, "not-linearizable");
	cr_assert_not_null(r->figures, "an invalid key is explained in the figures");
}

static void assert_ops(const struct anomaly *a, const uint64_t *ops, uint32_t n)
{
	cr_assert_eq(a->op_count, n, "%u ops cited", a->op_count);
	for (uint32_t k = 0; k < n; k++)
		cr_assert_eq(a->ops[k], ops[k], "ops[%u] is %lu, expected %lu", k,
			     (unsigned long)a->ops[k], (unsigned long)ops[k]);
}

/* Writes of 1 and 2 overlap, then reads of 1 and of 2 follow one another. The read of 1
 * puts the write of 1 last, so the read of 2 (op 6) cannot follow: the one state the search
 * reaches just before it is 1, and nothing runs beside it. */
Test(linear_explain, sequential_reads_after_concurrent_writes_leave_one_state)
{
	struct hist_build b;
	struct check_result r;

	hb_init(&b);
	hb_invoke(&b, 0, "write", NULL, HB_INT(1), false);
	hb_invoke(&b, 1, "write", NULL, HB_INT(2), false);
	hb_complete(&b, 0, OP_OK, HB_INT(1));
	hb_complete(&b, 1, OP_OK, HB_INT(2));
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_INT(1), false);
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_INT(2), false);
	check_register(&b, "", &r);
	cr_assert_str_eq(r.anomalies[0].message,
			 "op 6 (read -> 2) cannot be linearized: just before it the state is 1; "
			 "0 ops concurrent with it; longest linearizable prefix 3 of 4 ops");
	assert_ops(&r.anomalies[0], (uint64_t[]){ 6, 7 }, 2);
	cr_assert_str_eq(r.figures,
			 "not linearizable: op 6 (read -> 2), completed at op 7\n"
			 "  states reachable just before it, in which it is illegal (1): 1\n"
			 "  ops concurrent with it (0)\n"
			 "  longest linearizable prefix: 3 of 4 ops, leaving 1; it ends with "
			 "op 1 (write 2), op 0 (write 1), op 4 (read -> 1)\n");
	check_result_fini(&r);
	hb_fini(&b);
}

/* Writes of 1 and 2 overlap, then a read returns 3, which is written only after it: either
 * write may be last, so the register could be 1 or 2 just before the read. */
Test(linear_explain, read_before_its_write_has_two_states_before_it)
{
	struct hist_build b;
	struct check_result r;

	hb_init(&b);
	hb_invoke(&b, 0, "write", NULL, HB_INT(1), false);
	hb_invoke(&b, 1, "write", NULL, HB_INT(2), false);
	hb_complete(&b, 0, OP_OK, HB_INT(1));
	hb_complete(&b, 1, OP_OK, HB_INT(2));
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_INT(3), false);
	hb_op(&b, 3, "write", NULL, HB_INT(3), OP_OK, HB_INT(3), false);
	check_register(&b, "", &r);
	cr_assert_str_eq(r.anomalies[0].message,
			 "op 4 (read -> 3) cannot be linearized: just before it the state could "
			 "be 1 or 2; 0 ops concurrent with it; longest linearizable prefix 2 of 4 "
			 "ops");
	assert_ops(&r.anomalies[0], (uint64_t[]){ 4, 5 }, 2);
	cr_assert_not_null(strstr(r.figures, "\n  states reachable just before it, in which it "
				  "is illegal (2): 1 or 2\n  ops concurrent with it (0)\n"),
			   "%s", r.figures);
	check_result_fini(&r);
	hb_fini(&b);
}

/* Key "x": writes of 1 then 2, then a write of 3 that crashes, and a read of 1 while it is
 * in flight. The crashed write runs to the end of the history, so it is concurrent with the
 * read; it may or may not have taken effect, so the register is 2 or 3 before the read. The
 * deepest configuration has linearized it (3): the frontier is more than the deepest. */
Test(linear_explain, crashed_write_is_concurrent_and_adds_a_state)
{
	struct hist_build b;
	struct check_result r;

	hb_init(&b);
	hb_key(&b, "x");
	hb_op(&b, 0, "write", NULL, HB_INT(1), OP_OK, HB_INT(1), false);
	hb_op(&b, 1, "write", NULL, HB_INT(2), OP_OK, HB_INT(2), false);
	hb_invoke(&b, 2, "write", NULL, HB_INT(3), false);
	hb_op(&b, 3, "read", NULL, HB_NULL, OP_OK, HB_INT(1), false);
	hb_complete(&b, 2, OP_INFO, HB_INT(3));
	check_register(&b, "", &r);
	cr_assert_str_eq(r.anomalies[0].message,
			 "key \"x\": op 5 (read -> 1) cannot be linearized: just before it the "
			 "state could be 2 or 3; 1 op concurrent with it; longest linearizable "
			 "prefix 3 of 4 ops");
	assert_ops(&r.anomalies[0], (uint64_t[]){ 5, 6, 4 }, 3);
	cr_assert_not_null(strstr(r.figures, "not linearizable, key \"x\": op 5 (read -> 1), "
				  "completed at op 6\n  states reachable just before it, in which "
				  "it is illegal (2): 2 or 3\n  ops concurrent with it (1):\n"
				  "    op 4 (write 3, info)\n"), "%s", r.figures);
	check_result_fini(&r);
	hb_fini(&b);
}

/* Writes of 2 and 3 overlap; a read of 3 (op 3) overlaps the write of 3 and a read of 2
 * (op 5) that starts after both writes end. Before the read of 2 the register is 3 (write 2
 * first) or 2 (write 3 first). Only in 3 is the read of 2 illegal; in 2 it is legal, but then
 * the read of 3 cannot follow: the explanation names both. */
Test(linear_explain, state_where_it_is_legal_but_a_later_op_fails_is_named_apart)
{
	struct hist_build b;
	struct check_result r;

	hb_init(&b);
	hb_invoke(&b, 3, "write", NULL, HB_INT(2), false);
	hb_invoke(&b, 0, "write", NULL, HB_INT(3), false);
	hb_complete(&b, 3, OP_OK, HB_INT(2));
	hb_invoke(&b, 3, "read", NULL, HB_NULL, false);
	hb_complete(&b, 0, OP_OK, HB_INT(3));
	hb_op(&b, 0, "read", NULL, HB_NULL, OP_OK, HB_INT(2), false);
	hb_complete(&b, 3, OP_OK, HB_INT(3));
	check_register(&b, "", &r);
	cr_assert_str_eq(r.anomalies[0].message,
			 "op 5 (read -> 2) cannot be linearized: just before it the state is 3; "
			 "1 op concurrent with it; longest linearizable prefix 3 of 4 ops");
	assert_ops(&r.anomalies[0], (uint64_t[]){ 5, 6, 3 }, 3);
	cr_assert_not_null(strstr(r.figures, "\n  states reachable just before it, in which it "
				  "is illegal (1): 3\n  states reachable just before it, in which "
				  "it is legal but every way on fails later (1): 2\n  ops "
				  "concurrent with it (1):\n    op 3 (read -> 3, ok)\n"),
			   "%s", r.figures);
	check_result_fini(&r);
	hb_fini(&b);
}

enum { CHAIN = 17 };    /* one more concurrent op than CHK_LIN_CONCURRENT_MAX */

/* A read of 99 overlaps a chain of CHAIN ok cas ops [i i+1] that all return after it, and 99
 * is written only later: the register could be any of 0 .. CHAIN before the read (CHAIN + 1
 * states), and CHAIN ops are concurrent with it. Both lists are cut and say how many more. */
Test(linear_explain, long_lists_are_bounded_and_counted)
{
	struct hist_build b;
	struct check_result r;
	uint64_t ops[CHECK_ANOMALY_OPS_MAX] = { 0, CHAIN + 1 };

	_Static_assert(CHAIN == CHK_LIN_CONCURRENT_MAX + 1, "one more than listed");
	hb_init(&b);
	hb_invoke(&b, CHAIN, "read", NULL, HB_NULL, false);
	for (int64_t i = 0; i < CHAIN; i++)
		hb_invoke(&b, (int32_t)i, "cas", NULL, CAS(i, i + 1), false);
	hb_complete(&b, CHAIN, OP_OK, HB_INT(99));
	for (int64_t i = 0; i < CHAIN; i++)
		hb_complete(&b, (int32_t)i, OP_OK, CAS(i, i + 1));
	hb_op(&b, CHAIN + 1, "write", NULL, HB_INT(99), OP_OK, HB_INT(99), false);
	check_register(&b, "0", &r);
	cr_assert_str_eq(r.anomalies[0].message,
			 "op 0 (read -> 99) cannot be linearized: just before it the state could "
			 "be 0, 1, 2, 3 or 14 more; 17 ops concurrent with it; longest "
			 "linearizable prefix 17 of 19 ops");
	for (uint32_t k = 2; k < CHECK_ANOMALY_OPS_MAX; k++)
		ops[k] = k - 1;         /* the cas invocations, ops 1 .. 14 */
	assert_ops(&r.anomalies[0], ops, CHECK_ANOMALY_OPS_MAX);
	cr_assert_not_null(strstr(r.figures, "in which it is illegal (18): 0, 1, 2, 3, 4, 5, 6, "
				  "7, 8, 9, 10, 11, 12, 13, 14, 15 or 2 more\n"), "%s", r.figures);
	cr_assert_not_null(strstr(r.figures, "  ops concurrent with it (17):\n"
				  "    op 1 (cas [0 1], ok)\n"), "%s", r.figures);
	cr_assert_not_null(strstr(r.figures, "    op 16 (cas [15 16], ok)\n    ... and 1 more\n"),
			   "%s", r.figures);
	cr_assert_null(strstr(r.figures, "    op 17 (cas"), "the 17th concurrent op is not listed");
	check_result_fini(&r);
	hb_fini(&b);
}

/* More invalid keys than CHK_LIN_EXPLAIN_KEYS_MAX: each gets its anomaly, the first ones an
 * explanation, and one line counts the rest. */
Test(linear_explain, explanations_are_bounded_by_keys)
{
	static const char *const keys[] = { "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7",
					    "k8", "k9" };
	enum { KEYS = CHK_LIN_EXPLAIN_KEYS_MAX + 2 };
	struct hist_build b;
	struct check_result r;
	uint32_t headings = 0;
	struct linear_opts opts = { .model = LINEAR_MODEL_CAS_REGISTER };
	struct check_opts co = { .memory_bytes_max = 0 };
	struct errbuf eb = { "" };
	struct linear_checker c;

	_Static_assert(KEYS <= sizeof(keys) / sizeof(keys[0]), "a name for every key");
	hb_init(&b);
	for (uint32_t k = 0; k < KEYS; k++) {
		hb_key(&b, keys[k]);
		hb_op(&b, 0, "write", NULL, HB_INT(1), OP_OK, HB_INT(1), false);
		hb_op(&b, 0, "write", NULL, HB_INT(2), OP_OK, HB_INT(2), false);
		hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_INT(1), false);
	}
	linear_checker_init(&c, &opts);
	check_result_init(&r);
	cr_assert_eq(check_history(&c.base, &b.h, &co, &r, &eb), 0, "%s", eb.msg);
	cr_assert_eq(r.verdict, VERDICT_INVALID);
	cr_assert_eq(r.anomalies_total, KEYS);
	for (const char *p = r.figures; (p = strstr(p, "not linearizable, key ")); p++)
		headings++;
	cr_assert_eq(headings, CHK_LIN_EXPLAIN_KEYS_MAX, "%s", r.figures);
	cr_assert_not_null(strstr(r.figures, "not linearizable: 2 more keys, not explained here"),
			   "%s", r.figures);
	check_result_fini(&r);
	hb_fini(&b);
}
