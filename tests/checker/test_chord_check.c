/* SPDX-License-Identifier: MIT */
/* test_chord_check.c - the chord checker on hand-made runs of four nodes (16-bit ids: n4
 * 3029, n3 3130, n1 45138, n2 51080): each anomaly kind must fail its run, and the same
 * answers under a fault, or within the settle time of one, must not. Churn runs make n4 a
 * spare and change the membership with crash, leave and join ops. */
#include <criterion/criterion.h>
#include <string.h>

#include "checker.h"
#include "chord_fixture.h"
#include "hist_build.h"

enum { MS = 1000000 };

static struct hist_build b;

static void setup(void)
{
	chord_fixture_dir(0);
	hb_init(&b);
}

static void teardown(void)
{
	hb_fini(&b);
	chord_fixture_remove();
}

TestSuite(chord_check, .init = setup, .fini = teardown);

/* One lookup of @key asked of @node at @at_ms, answered with the JSON @answer. */
static void lookup(int64_t at_ms, const char *node, int64_t key, const char *answer)
{
	hb_time(&b, at_ms * MS);
	hb_op(&b, 0, "lookup", node, HB_INT(key), OP_OK, HB_JSON(answer), false);
}

static struct check_result result;

static enum verdict check(bool with_dir)
{
	return chord_fixture_check(&b.h, with_dir, &result);
}

static bool found(const char *kind)
{
	return chord_fixture_anomaly(&result, kind, NULL) != NULL;
}

Test(chord_check, right_owners_in_a_quiet_ring_are_valid)
{
	lookup(1000, "n4", 10000, "{\"status\":\"ok\",\"owner\":\"n1\",\"owner_id\":45138,"
	       "\"hops\":1,\"path\":[3029,3130]}");
	lookup(1001, "n1", 60000, "{\"status\":\"ok\",\"owner\":\"n4\",\"owner_id\":3029,"
	       "\"hops\":1,\"path\":[45138,51080]}");
	cr_expect_eq(check(true), VERDICT_VALID);
	cr_expect(result.figures && strstr(result.figures, "2 lookups in a quiet ring"), "%s",
		  result.figures ? result.figures : "(none)");
	check_result_fini(&result);
}

Test(chord_check, a_wrong_owner_in_a_quiet_ring_is_invalid)
{
	lookup(1000, "n4", 10000, "{\"status\":\"ok\",\"owner\":\"n2\",\"owner_id\":51080,"
	       "\"hops\":1,\"path\":[3029,3130]}");
	cr_expect_eq(check(true), VERDICT_INVALID);
	cr_expect(found("wrong-owner"));
	check_result_fini(&result);
}

Test(chord_check, a_wrong_owner_under_a_fault_or_within_the_settle_time_is_counted_only)
{
	const char *wrong = "{\"status\":\"ok\",\"owner\":\"n2\",\"owner_id\":51080,\"hops\":1,"
			    "\"path\":[3029,3130]}";

	lookup(100, "n4", 10000, wrong);                /* the ring has just formed */
	hb_time(&b, 1000 * MS);
	hb_nemesis(&b, "start-partition");
	lookup(1100, "n4", 10000, wrong);               /* under the partition */
	hb_time(&b, 1200 * MS);
	hb_nemesis(&b, "stop-partition");
	lookup(1300, "n4", 10000, wrong);               /* within S = 500 ms of the heal */
	cr_expect_eq(check(true), VERDICT_VALID);
	cr_expect(result.figures && strstr(result.figures, "3 of them not naming"), "%s",
		  result.figures ? result.figures : "(none)");
	check_result_fini(&result);
	lookup(1800, "n4", 10000, wrong);               /* settled: judged */
	cr_expect_eq(check(true), VERDICT_INVALID);
	cr_expect(found("wrong-owner"));
	check_result_fini(&result);
}

Test(chord_check, a_hop_that_goes_nowhere_is_invalid_even_under_faults)
{
	hb_nemesis(&b, "start-partition");
	lookup(1000, "n3", 10000, "{\"status\":\"ok\",\"owner\":\"n1\",\"owner_id\":45138,"
	       "\"hops\":2,\"path\":[3130,45138,3029]}");
	cr_expect_eq(check(true), VERDICT_INVALID);
	cr_expect(found("no-progress"));
	check_result_fini(&result);
}

Test(chord_check, a_lookup_over_m_plus_r_hops_is_invalid)
{
	lookup(1000, "n3", 10000, "{\"status\":\"too-long\",\"hops\":19,\"path\":[3130]}");
	cr_expect_eq(check(true), VERDICT_INVALID);
	cr_expect(found("no-progress"));
	check_result_fini(&result);
}

Test(chord_check, routing_slower_than_log2_n_on_average_is_invalid)
{
	for (int i = 0; i < 25; i++)
		lookup(1000 + i, "n4", 10000, "{\"status\":\"ok\",\"owner\":\"n1\",\"owner_id\":"
		       "45138,\"hops\":3,\"path\":[3029,3130]}");
	cr_expect_eq(check(true), VERDICT_INVALID, "3 hops on average among 4 nodes");
	cr_expect(found("slow-routing"));
	check_result_fini(&result);
	hb_fini(&b);
	hb_init(&b);
	for (int i = 0; i < 25; i++)
		lookup(1000 + i, "n4", 10000, "{\"status\":\"ok\",\"owner\":\"n1\",\"owner_id\":"
		       "45138,\"hops\":1,\"path\":[3029,3130]}");
	cr_expect_eq(check(true), VERDICT_VALID);
	check_result_fini(&result);
}

Test(chord_check, without_the_run_directory_the_verdict_is_unknown)
{
	lookup(1000, "n4", 10000, "{\"status\":\"ok\",\"owner\":\"n1\",\"owner_id\":45138,"
	       "\"hops\":1,\"path\":[3029,3130]}");
	cr_expect_eq(check(false), VERDICT_UNKNOWN);
	cr_expect(strstr(result.unknown_reason, "run directory"));
	check_result_fini(&result);
}

/* A kill's completion names the nodes down until the next start is invoked. */
static void nemesis(int64_t at_ms, const char *f, const char *info_value)
{
	hb_time(&b, at_ms * MS);
	hb_invoke(&b, OP_PROCESS_NEMESIS, f, NULL, HB_NULL, false);
	hb_complete(&b, OP_PROCESS_NEMESIS, OP_INFO, info_value ? HB_JSON(info_value) : HB_NULL);
}

Test(chord_check, an_owner_down_for_the_whole_lookup_is_a_dead_owner)
{
	const char *n2 = "{\"status\":\"ok\",\"owner\":\"n2\",\"owner_id\":51080,\"hops\":0,"
			 "\"path\":[45138]}";

	lookup(1000, "n1", 50000, n2);                  /* n2 up: right */
	nemesis(1100, "kill", "{\"killed\":[\"n2\"]}");
	lookup(1300, "n1", 50000, n2);                  /* n2 down: dead */
	nemesis(1500, "start", "{\"started\":[\"n2\"]}");
	lookup(1600, "n1", 50000, n2);                  /* up again */
	cr_expect_eq(check(true), VERDICT_INVALID);
	cr_expect(found("dead-owner"));
	cr_expect_eq(result.anomaly_count, 1, "only the lookup while n2 was down: %s; %s",
		     result.anomaly_count > 0 ? result.anomalies[0].message : "",
		     result.anomaly_count > 1 ? result.anomalies[1].message : "");
	check_result_fini(&result);
}

/* config.json again, with the last @spares nodes (n4) starting idle. */
static void spares(int count)
{
	chord_fixture_dir(count);
}

static const char *const by_n3 = "{\"status\":\"ok\",\"owner\":\"n3\",\"owner_id\":3130,"
				 "\"hops\":0,\"path\":[45138]}";
static const char *const by_n4 = "{\"status\":\"ok\",\"owner\":\"n4\",\"owner_id\":3029,"
				 "\"hops\":0,\"path\":[45138]}";

Test(chord_check, a_spare_owns_nothing_until_it_joins)
{
	spares(1);
	lookup(1000, "n1", 2000, by_n3);                /* n4 idles: n3 owns 2000 */
	cr_expect_eq(check(true), VERDICT_VALID);
	check_result_fini(&result);
	lookup(1001, "n1", 2000, by_n4);
	cr_expect_eq(check(true), VERDICT_INVALID);
	cr_expect(found("dead-owner"), "a spare answered");
	cr_expect(found("wrong-owner"));
	check_result_fini(&result);
}

Test(chord_check, a_spare_that_joined_owns_its_arc)
{
	spares(1);
	nemesis(1100, "join", "{\"joined\":[\"n4\"]}");
	lookup(1800, "n1", 2000, by_n4);
	cr_expect_eq(check(true), VERDICT_VALID);
	check_result_fini(&result);
	lookup(1900, "n1", 2000, by_n3);                /* the old owner, in a quiet ring */
	cr_expect_eq(check(true), VERDICT_INVALID);
	cr_expect(found("wrong-owner"));
	cr_expect_not(found("dead-owner"), "n3 is a member");
	check_result_fini(&result);
}

Test(chord_check, a_node_that_left_or_crashed_owns_nothing)
{
	const char *by_n1 = "{\"status\":\"ok\",\"owner\":\"n1\",\"owner_id\":45138,"
			    "\"hops\":0,\"path\":[3130]}";

	spares(0);
	lookup(1000, "n3", 10000, by_n1);
	nemesis(1100, "leave", "{\"left\":[\"n1\"]}");
	lookup(1150, "n1", 60000, by_n4);               /* in the settle time: counted only */
	cr_expect_eq(check(true), VERDICT_VALID, "%s", result.anomaly_count ?
		     result.anomalies[0].message : "");
	check_result_fini(&result);
	lookup(1160, "n3", 10000, by_n1);               /* but n1 had left before it began */
	cr_expect_eq(check(true), VERDICT_INVALID);
	cr_expect(found("dead-owner"));
	cr_expect_not(found("wrong-owner"), "not judged in the settle time");
	check_result_fini(&result);
	lookup(1800, "n3", 10000, by_n1);
	cr_expect_eq(check(true), VERDICT_INVALID);
	cr_expect(found("dead-owner"));
	cr_expect(found("wrong-owner"));
	check_result_fini(&result);
	hb_fini(&b);
	hb_init(&b);
	nemesis(1100, "crash", "{\"crashed\":[\"n1\"]}");
	lookup(1800, "n3", 10000, by_n1);
	cr_expect_eq(check(true), VERDICT_INVALID);
	cr_expect(found("dead-owner"));
	check_result_fini(&result);
}

Test(chord_check, after_a_churn_op_that_failed_nothing_is_judged_strictly)
{
	const char *by_n2 = "{\"status\":\"ok\",\"owner\":\"n2\",\"owner_id\":51080,"
			    "\"hops\":0,\"path\":[3130]}";

	spares(0);
	lookup(1000, "n3", 10000, by_n2);
	cr_expect_eq(check(true), VERDICT_INVALID, "wrong before the failed op");
	check_result_fini(&result);
	hb_fini(&b);
	hb_init(&b);
	nemesis(1100, "crash", NULL);                   /* no value: it failed */
	lookup(1800, "n3", 10000, by_n2);
	cr_expect_eq(check(true), VERDICT_VALID);
	cr_expect(result.figures && strstr(result.figures, "1 lookups not judged"), "%s",
		  result.figures ? result.figures : "(none)");
	check_result_fini(&result);
}

/* Lookups of 10000 from n4 and n1, overlapping over [at_ms, at_ms + 100 ms]: n4 answers n1
 * (right), n1 answers n2 (wrong); under a partition, so neither is judged strictly. With
 * @owner_crashes, n1, the owner of 10000, crashes while both are in flight. */
static void overlapping_answers(int64_t at_ms, bool owner_crashes)
{
	hb_time(&b, at_ms * MS);
	hb_invoke(&b, 1, "lookup", "n4", HB_INT(10000), false);
	hb_time(&b, (at_ms + 10) * MS);
	hb_invoke(&b, 2, "lookup", "n1", HB_INT(10000), false);
	if (owner_crashes)
		nemesis(at_ms + 50, "crash", "{\"crashed\":[\"n1\"]}");
	hb_time(&b, (at_ms + 90) * MS);
	hb_complete(&b, 1, OP_OK, HB_JSON("{\"status\":\"ok\",\"owner\":\"n1\",\"owner_id\":45138,"
					  "\"hops\":1,\"path\":[3029,3130]}"));
	hb_time(&b, (at_ms + 100) * MS);
	hb_complete(&b, 2, OP_OK, HB_JSON("{\"status\":\"ok\",\"owner\":\"n2\",\"owner_id\":51080,"
					  "\"hops\":0,\"path\":[45138]}"));
}

Test(chord_check, overlapping_lookups_that_disagree_on_an_untouched_arc_are_counted)
{
	hb_time(&b, 1000 * MS);
	hb_nemesis(&b, "start-partition");
	overlapping_answers(1100, false);
	cr_expect_eq(check(true), VERDICT_VALID, "under a fault: counted, not judged");
	cr_expect(result.figures && strstr(result.figures, "chord: 1 pairs of overlapping"), "%s",
		  result.figures ? result.figures : "(none)");
	check_result_fini(&result);
}

Test(chord_check, overlapping_lookups_across_a_change_of_the_owner_are_not_inconsistent)
{
	hb_time(&b, 1000 * MS);
	hb_nemesis(&b, "start-partition");
	overlapping_answers(1100, true);
	cr_expect_eq(check(true), VERDICT_VALID);
	cr_expect(result.figures && strstr(result.figures, "chord: 0 pairs of overlapping"), "%s",
		  result.figures ? result.figures : "(none)");
	check_result_fini(&result);
}

/* Liveness, reported apart from the verdict: how long after each disturbance the lookups
 * were exact again (the last inexact one before the next), or that they were not. */
Test(chord_check, liveness_says_how_long_lookups_stayed_inexact_after_each_disturbance)
{
	const char *wrong = "{\"status\":\"ok\",\"owner\":\"n2\",\"owner_id\":51080,\"hops\":1,"
			    "\"path\":[3029,3130]}";
	const char *right = "{\"status\":\"ok\",\"owner\":\"n1\",\"owner_id\":45138,\"hops\":1,"
			    "\"path\":[3029,3130]}";

	hb_time(&b, 1000LL * MS);
	hb_nemesis(&b, "start-partition");
	hb_time(&b, 1200LL * MS);
	hb_nemesis(&b, "stop-partition");
	lookup(1300, "n4", 10000, wrong);
	lookup(1450, "n4", 10000, wrong);               /* exact again 0.25 s after the heal */
	lookup(1600, "n4", 10000, right);
	hb_time(&b, 3000LL * MS);
	hb_nemesis(&b, "start-partition");
	hb_time(&b, 3100LL * MS);
	hb_nemesis(&b, "stop-partition");
	lookup(3200, "n4", 10000, right);
	lookup(3300, "n4", 10000, wrong);               /* still inexact at the end */
	check(true);
	cr_expect(result.figures && strstr(result.figures, "after 1 of 2 disturbances (faults, "
		"churn ops; overlapping ones as one) lookups were exact again before the next, "
		"0.25 s after it ended on average, at most 0.25 s; after 1 they were still "
		"inexact"), "%s", result.figures ? result.figures : "(none)");
	cr_expect(strstr(result.figures, "after the last disturbance: lookups still inexact"));
	check_result_fini(&result);
}

/* Stoica et al.'s Fig. 11 measure, reported: membership ops per stabilization period (50 ms
 * in the fixture) beside the share of lookups under churn that named another owner. */
Test(chord_check, the_churn_rate_per_stabilization_period_is_reported)
{
	const char *by_n1 = "{\"status\":\"ok\",\"owner\":\"n1\",\"owner_id\":45138,"
			    "\"hops\":0,\"path\":[3130]}";

	spares(0);
	lookup(1000, "n3", 10000, by_n1);
	nemesis(1100, "leave", "{\"left\":[\"n1\"]}");
	lookup(1150, "n3", 10000, by_n1);               /* under churn: not today's owner */
	lookup(2000, "n3", 10000, "{\"status\":\"ok\",\"owner\":\"n2\",\"owner_id\":51080,"
	       "\"hops\":0,\"path\":[3130]}");
	check(true);
	cr_expect(result.figures && strstr(result.figures, "churn: 1 membership ops in 1.0 s, "
		"0.0500 per stabilization period (50 ms); 100.0% of the lookups under churn"),
		"%s", result.figures ? result.figures : "(none)");
	check_result_fini(&result);
}
