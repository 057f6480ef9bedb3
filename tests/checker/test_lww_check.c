/* SPDX-License-Identifier: MIT */
/* test_lww_check.c - the LWW-register checker's rules on in-memory histories, pass and fail. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "checker.h"
#include "errbuf.h"
#include "hist_build.h"
#include "lww_check.h"

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

TestSuite(lww_check, .init = setup, .fini = teardown);

/* Timestamps near a real epoch, so "behind by ~X ms" reads as it would in a campaign. */
#define T0 1700000000000000000ull
#define MS 1000000ull

static enum verdict run_budget(uint64_t memory_bytes_max)
{
	struct check_opts o = { .model = NULL, .memory_bytes_max = memory_bytes_max };

	check_result_fini(&r);
	check_history(&lww_checker, &b.h, &o, &r, &eb);
	return r.verdict;
}

static enum verdict run(void)
{
	return run_budget(0);
}

/* The first anomaly of @kind, or NULL. */
static const struct anomaly *find(const char *kind)
{
	for (uint32_t k = 0; k < r.anomaly_count; k++)
		if (strcmp(r.anomalies[k].kind, kind) == 0)
			return &r.anomalies[k];
	return NULL;
}

static uint32_t count(const char *kind)
{
	uint32_t n = 0;

	for (uint32_t k = 0; k < r.anomaly_count; k++)
		n += strcmp(r.anomalies[k].kind, kind) == 0;
	return n;
}

static void expect_ops(const struct anomaly *a, uint32_t n, const uint64_t *ops)
{
	cr_assert(a, "anomaly missing");
	cr_expect_eq(a->op_count, n, "%s: %u ops, expected %u (%s)", a->kind, a->op_count, n,
		     a->message);
	for (uint32_t k = 0; k < n && k < a->op_count; k++)
		cr_expect_eq(a->ops[k], ops[k], "%s: ops[%u] = %" PRIu64 ", expected %" PRIu64,
			     a->kind, k, a->ops[k], ops[k]);
}

/* {"value":V,"ts":T,"writer":W,"clock":...}; hist_build copies it when the op is built. */
static struct hb_val stamp(int64_t v, uint64_t ts, int64_t writer)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "{\"value\":%" PRId64 ",\"ts\":%" PRIu64 ",\"writer\":%" PRId64
		 ",\"clock\":{\"wall\":%" PRIu64 ",\"hlc\":%" PRIu64 ",\"host\":%" PRIu64 "}}",
		 v, ts, writer, ts, ts, ts);
	return HB_JSON(buf);
}

static const struct hb_val never = HB_JSON("{\"value\":null,\"ts\":0,\"writer\":null}");

static uint64_t wr(int32_t p, const char *node, const char *key, int64_t v, uint64_t ts,
		   int64_t writer)
{
	hb_key(&b, key);
	return hb_op(&b, p, "write", node, HB_INT(v), OP_OK, stamp(v, ts, writer), false);
}

static uint64_t wr_type(int32_t p, const char *node, const char *key, int64_t v,
			enum op_type type)
{
	hb_key(&b, key);
	return hb_op(&b, p, "write", node, HB_INT(v), type, HB_INT(v), false);
}

static uint64_t rd(int32_t p, const char *node, const char *key, int64_t v, uint64_t ts,
		   int64_t writer, bool final)
{
	hb_key(&b, key);
	return hb_op(&b, p, "read", node, HB_NULL, OP_OK, stamp(v, ts, writer), final);
}

static uint64_t rd_never(int32_t p, const char *node, const char *key, bool final)
{
	hb_key(&b, key);
	return hb_op(&b, p, "read", node, HB_NULL, OP_OK, never, final);
}

static const char *const nodes3[] = { "n1", "n2", "n3" };

/* One final read of @key per node, by processes 40.., all returning (v, ts, writer). */
static void finals(const char *key, int64_t v, uint64_t ts, int64_t writer)
{
	for (int k = 0; k < 3; k++)
		rd(40 + k, nodes3[k], key, v, ts, writer, true);
}

/* ---- must pass ---------------------------------------------------------------------- */

Test(lww_check, hlc_stamps_rising_along_causal_edges_are_valid)
{
	wr(0, "n1", "k1", 1, T0 + 100, 1);
	rd(1, "n2", "k1", 1, T0 + 100, 1, false);
	wr(1, "n3", "k1", 2, T0 + 101, 3);      /* n3's clock is behind: the HLC lifts it */
	rd(2, "n1", "k1", 2, T0 + 101, 3, false);
	wr(2, "n2", "k1", 3, T0 + 102, 2);
	finals("k1", 3, T0 + 102, 2);
	cr_expect_eq(run(), VERDICT_VALID, "%s %s", r.unknown_reason,
		     r.anomaly_count ? r.anomalies[0].message : "");
	cr_expect_str_eq(r.model, "lww");
	cr_expect_eq(r.final_read_count, 3);
}

Test(lww_check, concurrent_loser_lost_legitimately_is_valid)
{
	wr(0, "n1", "k1", 1, T0 + 300 * MS, 1);
	wr(1, "n2", "k1", 2, T0 + 200 * MS, 2); /* concurrent with 1: no read links them */
	rd(2, "n3", "k1", 2, T0 + 200 * MS, 2, false);
	finals("k1", 1, T0 + 300 * MS, 1);
	cr_expect_eq(run(), VERDICT_VALID, "%s", r.anomaly_count ? r.anomalies[0].message : "");
}

Test(lww_check, equal_ts_broken_by_writer_is_valid)
{
	wr(0, "n1", "k1", 1, T0, 1);
	rd(1, "n2", "k1", 1, T0, 1, false);
	wr(1, "n2", "k1", 2, T0, 2);            /* same ts, larger writer: after */
	finals("k1", 2, T0, 2);
	cr_expect_eq(run(), VERDICT_VALID, "%s", r.anomaly_count ? r.anomalies[0].message : "");
}

Test(lww_check, keys_are_independent)
{
	wr(0, "n1", "k1", 1, T0 + 500 * MS, 1);
	rd(1, "n2", "k1", 1, T0 + 500 * MS, 1, false);
	wr(1, "n3", "k2", 2, T0, 3);            /* k2: no predecessor, an old stamp is fine */
	finals("k1", 1, T0 + 500 * MS, 1);
	finals("k2", 2, T0, 3);
	cr_expect_eq(run(), VERDICT_VALID, "%s", r.anomaly_count ? r.anomalies[0].message : "");
}

Test(lww_check, never_written_key_read_as_null_is_valid)
{
	rd_never(0, "n1", "k1", false);
	for (int k = 0; k < 3; k++)
		rd_never(40 + k, nodes3[k], "k1", true);
	cr_expect_eq(run(), VERDICT_VALID);
}

Test(lww_check, failed_write_is_ignored)
{
	wr(0, "n1", "k1", 1, T0 + 100, 1);
	rd(1, "n2", "k1", 1, T0 + 100, 1, false);
	wr_type(1, "n3", "k1", 2, OP_FAIL);     /* no edge into it, and 1 may stay final */
	finals("k1", 1, T0 + 100, 1);
	cr_expect_eq(run(), VERDICT_VALID);
}

/* ---- must fail ---------------------------------------------------------------------- */

Test(lww_check, write_after_read_with_smaller_ts_is_causality_violation)
{
	uint64_t w17 = wr(0, "n2", "k1", 17, T0 + 250 * MS, 2);
	uint64_t r17 = rd(3, "n1", "k1", 17, T0 + 250 * MS, 2, false);
	uint64_t w23 = wr(3, "n4", "k1", 23, T0, 4);      /* wall clock, 250 ms behind */
	const struct anomaly *a;

	finals("k1", 17, T0 + 250 * MS, 2);
	cr_expect_eq(run(), VERDICT_INVALID);
	a = find("causality-violation");
	expect_ops(a, 3, (uint64_t[]){ w17, r17, w23 });
	cr_expect(strstr(a->message, "n4's clock behind by ~250.000 ms"), "%s", a->message);
	cr_expect(strstr(a->message, "read by process 3 at op 2"), "%s", a->message);
	cr_expect(strstr(a->message, "write k1=23 (op 4 on n4"), "%s", a->message);
	/* 17 won by its stamp, so 23, causally after it, is also a lost update. */
	expect_ops(find("lost-update"), 3, (uint64_t[]){ w17, r17, w23 });
}

Test(lww_check, own_earlier_write_is_a_causal_predecessor)
{
	uint64_t w1 = wr(0, "n1", "k1", 1, T0 + 10 * MS, 1);
	uint64_t w2 = wr(0, "n2", "k1", 2, T0 + 5 * MS, 2);

	finals("k1", 1, T0 + 10 * MS, 1);
	cr_expect_eq(run(), VERDICT_INVALID);
	expect_ops(find("causality-violation"), 2, (uint64_t[]){ w1, w2 });
	cr_expect(strstr(find("causality-violation")->message, "same process 0"), "%s",
		  find("causality-violation")->message);
}

Test(lww_check, tied_stamp_is_a_causality_violation)
{
	uint64_t w1 = wr(0, "n1", "k1", 1, T0, 1);
	uint64_t r1 = rd(1, "n2", "k1", 1, T0, 1, false);
	uint64_t w2 = wr(1, "n1", "k1", 2, T0, 1);

	finals("k1", 2, T0, 1);
	cr_expect_eq(run(), VERDICT_INVALID);
	expect_ops(find("causality-violation"), 3, (uint64_t[]){ w1, r1, w2 });
	cr_expect(strstr(find("causality-violation")->message, "tied"), "%s",
		  find("causality-violation")->message);
}

Test(lww_check, violation_cites_the_largest_predecessor)
{
	uint64_t w1 = wr(0, "n1", "k1", 1, T0 + 900, 1);
	uint64_t w2 = wr(1, "n2", "k1", 2, T0 + 100, 2);
	uint64_t r1, w3;

	rd(2, "n3", "k1", 2, T0 + 100, 2, false);
	r1 = rd(2, "n1", "k1", 1, T0 + 900, 1, false);
	w3 = wr(2, "n3", "k1", 3, T0 + 500, 3);           /* after 2, not after 1 */
	finals("k1", 1, T0 + 900, 1);
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(count("causality-violation"), 1);
	expect_ops(find("causality-violation"), 3, (uint64_t[]){ w1, r1, w3 });
	(void)w2;
}

Test(lww_check, causal_successor_of_final_value_is_lost_update)
{
	uint64_t w17 = wr(0, "n1", "k1", 17, T0 + 100, 1);
	uint64_t r17 = rd(1, "n2", "k1", 17, T0 + 100, 1, false);
	uint64_t w23 = wr(1, "n3", "k1", 23, T0 + 200, 3);   /* stamped right, yet lost */
	const struct anomaly *a;

	finals("k1", 17, T0 + 100, 1);
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(count("causality-violation"), 0);
	a = find("lost-update");
	expect_ops(a, 3, (uint64_t[]){ w17, r17, w23 });
	cr_expect(strstr(a->message, "final value of k1 is 17 from write op 0"), "%s", a->message);
}

Test(lww_check, lost_update_counts_transitive_successors)
{
	uint64_t w1 = wr(0, "n1", "k1", 1, T0 + 100, 1);
	uint64_t r1 = rd(1, "n2", "k1", 1, T0 + 100, 1, false);
	uint64_t w2 = wr(1, "n2", "k1", 2, T0 + 200, 2);
	const struct anomaly *a;

	rd(2, "n3", "k1", 2, T0 + 200, 2, false);
	wr(2, "n3", "k1", 3, T0 + 300, 3);      /* two hops from 1 */
	finals("k1", 1, T0 + 100, 1);
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(count("lost-update"), 1);
	a = find("lost-update");
	expect_ops(a, 3, (uint64_t[]){ w1, r1, w2 });
	cr_expect(strstr(a->message, "(1 more lost too)"), "%s", a->message);
}

Test(lww_check, null_final_after_an_ok_write_is_lost_update)
{
	uint64_t w = wr(0, "n1", "k1", 5, T0, 1), f;

	f = rd_never(40, "n1", "k1", true);
	rd_never(41, "n2", "k1", true);
	rd_never(42, "n3", "k1", true);
	cr_expect_eq(run(), VERDICT_INVALID);
	expect_ops(find("lost-update"), 2, (uint64_t[]){ w, f });
	cr_expect(strstr(find("lost-update")->message, "never written"), "%s",
		  find("lost-update")->message);
}

Test(lww_check, disagreeing_final_reads_are_divergence)
{
	uint64_t f1, f2, f3;

	wr(0, "n1", "k1", 1, T0 + 100, 1);
	wr(1, "n2", "k1", 2, T0 + 200, 2);
	f1 = rd(40, "n1", "k1", 1, T0 + 100, 1, true);
	f2 = rd(41, "n2", "k1", 2, T0 + 200, 2, true);
	f3 = rd(42, "n3", "k1", 2, T0 + 200, 2, true);
	cr_expect_eq(run(), VERDICT_INVALID);
	expect_ops(find("divergence"), 3, (uint64_t[]){ f1, f2, f3 });
	cr_expect(strstr(find("divergence")->message, "n1=1"), "%s", find("divergence")->message);
	cr_expect_eq(count("lost-update"), 0, "a diverged key is not judged for lost updates");
}

Test(lww_check, final_reads_differing_in_stamp_only_are_divergence)
{
	wr(0, "n1", "k1", 1, T0 + 100, 1);
	rd(40, "n1", "k1", 1, T0 + 100, 1, true);
	rd(41, "n2", "k1", 1, T0 + 100, 1, true);
	rd(42, "n3", "k1", 1, T0 + 100, 3, true);
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect(find("divergence"));
}

Test(lww_check, value_never_written_is_phantom)
{
	uint64_t r99;

	wr(0, "n1", "k1", 1, T0, 1);
	r99 = rd(1, "n2", "k1", 99, T0 + 5, 2, false);
	finals("k1", 1, T0, 1);
	cr_expect_eq(run(), VERDICT_INVALID);
	expect_ops(find("phantom-value"), 1, (uint64_t[]){ r99 });
	cr_expect(strstr(find("phantom-value")->message, "returned 99"), "%s",
		  find("phantom-value")->message);
}

Test(lww_check, value_of_other_key_is_phantom)
{
	wr(0, "n1", "k2", 7, T0, 1);
	rd(1, "n2", "k1", 7, T0, 1, false);
	finals("k1", 7, T0, 1);
	finals("k2", 7, T0, 1);
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(count("phantom-value"), 4, "the k1 read and its three finals");
}

Test(lww_check, value_of_failed_write_is_phantom)
{
	uint64_t w = wr_type(0, "n1", "k1", 5, OP_FAIL), r5;

	r5 = rd(1, "n2", "k1", 5, T0, 1, false);
	finals("k1", 5, T0, 1);
	cr_expect_eq(run(), VERDICT_INVALID);
	expect_ops(find("phantom-value"), 2, (uint64_t[]){ r5, w });
	cr_expect(strstr(find("phantom-value")->message, "failed"), "%s",
		  find("phantom-value")->message);
}

Test(lww_check, value_read_before_its_write_is_phantom)
{
	uint64_t r5 = rd(1, "n2", "k1", 5, T0, 1, false);
	uint64_t w = wr(0, "n1", "k1", 5, T0, 1);

	finals("k1", 5, T0, 1);
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(count("phantom-value"), 1);
	expect_ops(find("phantom-value"), 2, (uint64_t[]){ r5, w });
	cr_expect(strstr(find("phantom-value")->message, "before its write"), "%s",
		  find("phantom-value")->message);
}

Test(lww_check, stamp_other_than_the_write_reported_is_phantom)
{
	uint64_t w = wr(0, "n1", "k1", 5, T0 + 100, 1), r5;

	r5 = rd(1, "n2", "k1", 5, T0 + 999, 1, false);
	finals("k1", 5, T0 + 100, 1);
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(count("phantom-value"), 1);
	expect_ops(find("phantom-value"), 2, (uint64_t[]){ r5, w });
}

/* ---- unknown ------------------------------------------------------------------------ */

Test(lww_check, no_final_reads_is_unknown)
{
	wr(0, "n1", "k1", 1, T0, 1);
	rd(1, "n2", "k1", 1, T0, 1, false);
	cr_expect_eq(run(), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "no ok final read"), "%s", r.unknown_reason);
}

Test(lww_check, node_without_final_read_of_a_key_is_unknown)
{
	wr(0, "n1", "k1", 1, T0, 1);
	rd(40, "n1", "k1", 1, T0, 1, true);
	rd(41, "n2", "k1", 1, T0, 1, true);
	hb_key(&b, "k1");
	hb_op(&b, 42, "read", "n3", HB_NULL, OP_FAIL, HB_NULL, true);
	cr_expect_eq(run(), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "k1: no ok final read on n3"), "%s", r.unknown_reason);
}

Test(lww_check, malformed_result_is_unknown_naming_the_op)
{
	uint64_t w;

	wr(0, "n1", "k1", 1, T0, 1);
	hb_key(&b, "k1");
	w = hb_op(&b, 1, "write", "n2", HB_INT(2), OP_OK, HB_JSON("{\"value\":2}"), false);
	finals("k1", 1, T0, 1);
	cr_expect_eq(run(), VERDICT_UNKNOWN);
	cr_expect_eq(r.anomalies_total, 0);
	cr_expect(strstr(r.unknown_reason, "op 3 (ok write): expected \"ts\" an integer >= 0"),
		  "%s", r.unknown_reason);
	cr_expect_eq(hist_pair(&b.h, w), 3);
}

Test(lww_check, malformed_values_of_every_shape_are_unknown)
{
	static const char *const bad[] = {
		"[1,2]",
		"{\"value\":\"x\",\"ts\":1,\"writer\":1}",
		"{\"value\":1,\"ts\":-1,\"writer\":1}",
		"{\"value\":1,\"ts\":1,\"writer\":\"n1\"}",
		"{\"value\":1,\"ts\":1,\"writer\":null}",
		"{\"value\":null,\"ts\":5,\"writer\":null}",
		"{\"value\":1,\"ts\":0,\"writer\":1}",
		"{\"value\":1,\"ts\":1,\"writer\":1,\"ts\":2}",
	};

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		hb_fini(&b);
		hb_init(&b);
		hb_key(&b, "k1");
		hb_op(&b, 0, "read", "n1", HB_NULL, OP_OK, HB_JSON(bad[k]), true);
		cr_expect_eq(run(), VERDICT_UNKNOWN, "%s", bad[k]);
		cr_expect(strstr(r.unknown_reason, "malformed history: op 1 (ok read)"), "%s: %s",
			  bad[k], r.unknown_reason);
	}
}

Test(lww_check, write_result_of_another_value_is_unknown)
{
	hb_key(&b, "k1");
	hb_op(&b, 0, "write", "n1", HB_INT(2), OP_OK, stamp(3, T0, 1), false);
	cr_expect_eq(run(), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "op 1 (ok write): expected \"value\" equal"), "%s",
		  r.unknown_reason);
}

Test(lww_check, invocation_values_and_keys_are_checked)
{
	hb_key(&b, "k1");
	hb_op(&b, 0, "read", "n1", HB_INT(1), OP_OK, never, true);
	cr_expect_eq(run(), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "op 0 (invoke read): expected null"), "%s",
		  r.unknown_reason);
	hb_fini(&b);
	hb_init(&b);
	hb_op(&b, 0, "write", "n1", HB_INT(1), OP_OK, stamp(1, T0, 1), false);
	cr_expect_eq(run(), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "op 0 (invoke write): expected a \"key\""), "%s",
		  r.unknown_reason);
	hb_fini(&b);
	hb_init(&b);
	hb_key(&b, "k1");
	hb_op(&b, 0, "add", "n1", HB_INT(1), OP_OK, HB_INT(1), false);
	cr_expect_eq(run(), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "op 0 (invoke add): expected f"), "%s",
		  r.unknown_reason);
}

Test(lww_check, value_written_twice_is_unknown)
{
	wr(0, "n1", "k1", 1, T0, 1);
	wr(1, "n2", "k1", 1, T0 + 1, 2);
	finals("k1", 1, T0 + 1, 2);
	cr_expect_eq(run(), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "k1=1 is written by ops 0 and 2"), "%s",
		  r.unknown_reason);
}

Test(lww_check, over_budget_is_unknown_not_valid)
{
	wr(0, "n1", "k1", 1, T0, 1);
	finals("k1", 1, T0, 1);
	cr_expect_eq(run_budget(64), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "budget"), "%s", r.unknown_reason);
}

Test(lww_check, nemesis_ops_are_ignored)
{
	hb_nemesis(&b, "start-partition");
	wr(0, "n1", "k1", 1, T0, 1);
	hb_nemesis(&b, "bump");
	finals("k1", 1, T0, 1);
	cr_expect_eq(run(), VERDICT_VALID, "%s", r.unknown_reason);
}

/* ---- info writes -------------------------------------------------------------------- */

Test(lww_check, unobserved_info_write_may_be_lost)
{
	wr(0, "n1", "k1", 1, T0 + 100, 1);
	rd(1, "n2", "k1", 1, T0 + 100, 1, false);
	wr_type(1, "n3", "k1", 2, OP_INFO);     /* causally after 1, but maybe never happened */
	finals("k1", 1, T0 + 100, 1);
	cr_expect_eq(run(), VERDICT_VALID, "%s", r.anomaly_count ? r.anomalies[0].message : "");
}

Test(lww_check, in_flight_write_counts_as_info)
{
	wr(0, "n1", "k1", 1, T0 + 100, 1);
	finals("k1", 1, T0 + 100, 1);
	hb_key(&b, "k1");
	hb_invoke(&b, 5, "write", "n2", HB_INT(2), false);
	cr_expect_eq(run(), VERDICT_VALID, "%s", r.unknown_reason);
}

Test(lww_check, observed_info_write_happened_and_may_be_final)
{
	wr(0, "n1", "k1", 1, T0 + 100, 1);
	rd(1, "n2", "k1", 1, T0 + 100, 1, false);
	wr_type(1, "n3", "k1", 2, OP_INFO);
	rd(2, "n1", "k1", 2, T0 + 200, 3, false);
	wr(2, "n2", "k1", 3, T0 + 300, 2);
	finals("k1", 3, T0 + 300, 2);
	cr_expect_eq(run(), VERDICT_VALID, "%s", r.anomaly_count ? r.anomalies[0].message : "");
}

Test(lww_check, observed_info_write_is_judged_with_the_stamp_read)
{
	uint64_t w1 = wr(0, "n1", "k1", 1, T0 + 100, 1);
	uint64_t r1 = rd(1, "n2", "k1", 1, T0 + 100, 1, false);
	uint64_t w2 = wr_type(1, "n3", "k1", 2, OP_INFO);

	rd(2, "n1", "k1", 2, T0 + 50, 3, false);            /* 2 was stamped before 1 */
	finals("k1", 1, T0 + 100, 1);
	cr_expect_eq(run(), VERDICT_INVALID);
	expect_ops(find("causality-violation"), 3, (uint64_t[]){ w1, r1, w2 });
	expect_ops(find("lost-update"), 3, (uint64_t[]){ w1, r1, w2 });
}

Test(lww_check, info_write_read_back_is_a_predecessor)
{
	uint64_t w2 = wr_type(1, "n3", "k1", 2, OP_INFO), r2, w3;

	r2 = rd(2, "n1", "k1", 2, T0 + 200, 3, false);
	w3 = wr(2, "n2", "k1", 3, T0 + 100, 2);
	finals("k1", 2, T0 + 200, 3);
	cr_expect_eq(run(), VERDICT_INVALID);
	expect_ops(find("causality-violation"), 3, (uint64_t[]){ w2, r2, w3 });
}

Test(lww_check, info_write_reads_disagreeing_on_its_stamp_are_phantom)
{
	uint64_t w2 = wr_type(1, "n3", "k1", 2, OP_INFO), r2;

	rd(2, "n1", "k1", 2, T0 + 200, 3, false);
	r2 = rd(3, "n2", "k1", 2, T0 + 201, 3, false);
	finals("k1", 2, T0 + 200, 3);
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(count("phantom-value"), 1);
	expect_ops(find("phantom-value"), 2, (uint64_t[]){ r2, w2 });
}

/* ---- inference ---------------------------------------------------------------------- */

Test(lww_check, detects_lww_histories_only)
{
	wr(0, "n1", "k1", 1, T0, 1);
	cr_expect(lww_history_detect(&b.h));
	hb_fini(&b);
	hb_init(&b);
	hb_op(&b, 0, "add", "n1", HB_INT(1), OP_OK, HB_INT(1), false);
	hb_op(&b, 1, "read", "n1", HB_NULL, OP_OK, HB_SET(1), true);
	cr_expect_not(lww_history_detect(&b.h));
	hb_fini(&b);
	hb_init(&b);
	cr_expect_not(lww_history_detect(&b.h));
}

/* One edge per ok op: a long-lived process must not pile up its whole past on every write. */
Test(lww_check, long_process_keeps_one_edge_per_ok_op)
{
	uint64_t ts = T0;

	wr(0, "n1", "k1", 0, ts, 1);
	for (int64_t v = 1; v < 400; v++) {
		rd(0, nodes3[v % 3], "k1", v - 1, ts, 1 + (v - 1) % 3, false);
		ts += MS;
		wr(0, nodes3[(v + 1) % 3], "k1", v, ts, 1 + v % 3);
	}
	finals("k1", 399, ts, 1 + 399 % 3);
	cr_expect_eq(run(), VERDICT_VALID, "%s %s", r.unknown_reason,
		     r.anomaly_count ? r.anomalies[0].message : "");
}
