/* SPDX-License-Identifier: MIT */
/* test_chord_final.c - the chord checker's judgement of the final state dumps, on hand-made
 * runs of four nodes (16-bit ids, sorted: n4 3029, n3 3130, n1 45138, n2 51080): an ideal
 * ring passes; a stale finger, a wrong predecessor, a member that lost its membership, two
 * cycles, an unordered ring and an appendage that reaches no ring must each fail; dumps
 * taken within the settle time of a fault are not judged. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "checker.h"
#include "chord_fixture.h"
#include "hist_build.h"

enum { MS = 1000000, NODES = 4, BITS = 16 };

/* By id: index 0 is the smallest. */
static const char *const names[NODES] = { "n4", "n3", "n1", "n2" };
static const int64_t ids[NODES] = { 3029, 3130, 45138, 51080 };

static struct hist_build b;
static struct check_result result;

static void config(int spares)
{
	chord_fixture_dir(spares);
}

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

TestSuite(chord_final, .init = setup, .fini = teardown);

/* The pointers each node's dump will show; start from the ideal ring and spoil some. */
struct dumped {
	bool joined;
	int pred;               /* an index into ids, or -1: none */
	int succ[3];            /* -1 ends the list */
	int finger[BITS];       /* -1: empty */
};

static struct dumped ring[NODES];

/* Each node's key 10000's version in its dump (0: not held); with @keys_dumped false the
 * dumps carry no "keys" at all (placement not judged). */
static uint64_t key_version[NODES];
static bool keys_dumped;

/* successor(key) over every node, by a plain scan. */
static int owner(int64_t key)
{
	for (int k = 0; k < NODES; k++) {
		if (ids[k] >= key)
			return k;
	}
	return 0;
}

static void ideal(void)
{
	for (int k = 0; k < NODES; k++) {
		ring[k].joined = true;
		ring[k].pred = (k + NODES - 1) % NODES;
		for (int s = 0; s < 3; s++)
			ring[k].succ[s] = (k + 1 + s) % NODES;
		for (int j = 0; j < BITS; j++)
			ring[k].finger[j] = owner((ids[k] + (1 << j)) % (1 << BITS));
	}
}

static void put_id(char *out, size_t size, size_t *at, int k)
{
	if (k < 0)
		*at += (size_t)snprintf(out + *at, size - *at, "null");
	else
		*at += (size_t)snprintf(out + *at, size - *at, "%" PRId64, ids[k]);
}

/* Every node's dump (but node @skip's) as a "state" op, from @at_ms on: final ones, or
 * with @round >= 0 a snapshot round's, all of process @round. */
static void dump_round(int64_t at_ms, int round, int skip)
{
	for (int k = 0; k < NODES; k++) {
		char json[1024];
		size_t at = 0;

		at += (size_t)snprintf(json, sizeof(json), "{\"joined\":%s,\"incarnation\":1,"
				       "\"pred\":", ring[k].joined ? "true" : "false");
		put_id(json, sizeof(json), &at, ring[k].pred);
		at += (size_t)snprintf(json + at, sizeof(json) - at, ",\"succ\":[");
		for (int s = 0; s < 3 && ring[k].succ[s] >= 0; s++) {
			at += (size_t)snprintf(json + at, sizeof(json) - at, "%s", s ? "," : "");
			put_id(json, sizeof(json), &at, ring[k].succ[s]);
		}
		at += (size_t)snprintf(json + at, sizeof(json) - at, "],\"fingers\":[");
		for (int j = 0; j < BITS; j++) {
			at += (size_t)snprintf(json + at, sizeof(json) - at, "%s", j ? "," : "");
			put_id(json, sizeof(json), &at, ring[k].finger[j]);
		}
		at += (size_t)snprintf(json + at, sizeof(json) - at, "]");
		if (keys_dumped && key_version[k])
			at += (size_t)snprintf(json + at, sizeof(json) - at,
					       ",\"keys\":[[10000,%" PRIu64 "]]", key_version[k]);
		else if (keys_dumped)
			at += (size_t)snprintf(json + at, sizeof(json) - at, ",\"keys\":[]");
		snprintf(json + at, sizeof(json) - at, "}");
		hb_time(&b, (at_ms + k) * MS);
		if (k != skip)
			hb_op(&b, round >= 0 ? round : 10 + k, "state", names[k], HB_NULL, OP_OK,
			      HB_JSON(json), round < 0);
	}
}

static void dump_all(int64_t at_ms)
{
	dump_round(at_ms, -1, -1);
}

static enum verdict check(void)
{
	return chord_fixture_check(&b.h, true, &result);
}

static const char *found(const char *kind, const char *text)
{
	return chord_fixture_anomaly(&result, kind, text);
}

static const char *figures(void)
{
	return result.figures ? result.figures : "(none)";
}

/* The ideal ring, spoiled into two cycles of best successors: n4 <-> n3 and n1 <-> n2. */
static void two_rings(void)
{
	ideal();
	ring[0].succ[0] = 1, ring[0].succ[1] = -1;
	ring[1].succ[0] = 0, ring[1].succ[1] = -1;
	ring[2].succ[0] = 3, ring[2].succ[1] = -1;
	ring[3].succ[0] = 2, ring[3].succ[1] = -1;
}

Test(chord_final, an_ideal_ring_is_valid)
{
	ideal();
	dump_all(2000);
	cr_expect_eq(check(), VERDICT_VALID, "%s", figures());
	cr_expect(strstr(figures(), "4 members: an ideal ring"), "%s", figures());
	check_result_fini(&result);
}

Test(chord_final, a_stale_finger_is_not_ideal)
{
	ideal();
	ring[0].finger[BITS - 1] = 1;   /* n4's last finger names n3, not n1 */
	dump_all(2000);
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(found("not-ideal", "n4") && found("not-ideal", "finger 15 is n3, not n1"),
		  "%s", figures());
	cr_expect_not(found("ring-broken", NULL), "the successor lists are right");
	check_result_fini(&result);
}

Test(chord_final, an_empty_finger_and_a_wrong_predecessor_are_not_ideal)
{
	ideal();
	ring[2].finger[3] = -1;
	ring[3].pred = 0;               /* n2 thinks n4 precedes it */
	dump_all(2000);
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(found("not-ideal", "n1, after") && found("not-ideal", "is empty"), "%s",
		  figures());
	cr_expect(found("not-ideal", "n2, after the final heal and the settle time: its "
			"predecessor is n4, not n1"));
	check_result_fini(&result);
}

Test(chord_final, a_member_that_says_it_is_not_joined_is_not_ideal)
{
	ideal();
	ring[1].joined = false;         /* n3: no spares, so the ops say it is a member */
	dump_all(2000);
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(found("not-ideal", "n3: its final state says not joined, but by the "
			"membership ops it is a member"), "%s", figures());
	check_result_fini(&result);
}

Test(chord_final, a_spare_that_never_joined_is_fine_idle)
{
	config(1);                      /* n4 is a spare and no churn op joins it */
	ideal();
	ring[0].joined = false;
	ring[0].pred = -1;
	for (int s = 0; s < 3; s++)
		ring[0].succ[s] = -1;
	for (int j = 0; j < BITS; j++)
		ring[0].finger[j] = -1;
	/* The other three, ideal among themselves: n3 -> n1 -> n2 -> n3. */
	ring[1] = (struct dumped){ .joined = true, .pred = 3, .succ = { 2, 3, -1 } };
	ring[2] = (struct dumped){ .joined = true, .pred = 1, .succ = { 3, 1, -1 } };
	ring[3] = (struct dumped){ .joined = true, .pred = 2, .succ = { 1, 2, -1 } };
	for (int k = 1; k < NODES; k++) {
		for (int j = 0; j < BITS; j++) {
			int64_t start = (ids[k] + (1 << j)) % (1 << BITS);

			ring[k].finger[j] = owner(start) == 0 ? 1 : owner(start); /* n4 idle */
		}
	}
	dump_all(2000);
	cr_expect_eq(check(), VERDICT_VALID, "%s", figures());
	cr_expect(strstr(figures(), "final state of 4 nodes, 3 members: an ideal ring"), "%s",
		  figures());
	check_result_fini(&result);
}

Test(chord_final, two_rings_break_at_most_one_ring)
{
	two_rings();
	dump_all(2000);
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(found("ring-broken", "AtMostOneRing (2 rings"), "%s", figures());
	check_result_fini(&result);
}

Test(chord_final, an_unordered_ring_breaks_ordered_ring)
{
	ideal();
	/* One cycle, n4 -> n1 -> n3 -> n2 -> n4: n3 lies between n4 and its successor n1. */
	ring[0].succ[0] = 2;
	ring[2].succ[0] = 1;
	ring[1].succ[0] = 3;
	ring[3].succ[0] = 0;
	for (int k = 0; k < NODES; k++)
		ring[k].succ[1] = -1;
	dump_all(2000);
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(found("ring-broken", "OrderedRing"), "%s", figures());
	check_result_fini(&result);
}

Test(chord_final, an_appendage_that_reaches_no_ring_breaks_connected_appendages)
{
	ideal();
	/* n2 names only n3 ... which is not joined: its walk ends with no live successor. */
	ring[1].joined = false;
	ring[3].succ[0] = 1;
	ring[3].succ[1] = -1;
	ring[0].succ[0] = 2;            /* the others ring without n3 or n2: n4 -> n1 -> n4 */
	ring[0].succ[1] = -1;
	ring[2].succ[0] = 0;
	ring[2].succ[1] = -1;
	dump_all(2000);
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(found("ring-broken", "ConnectedAppendages"), "%s", figures());
	check_result_fini(&result);
}

Test(chord_final, dumps_within_the_settle_time_of_a_fault_are_not_judged)
{
	ideal();
	ring[0].finger[BITS - 1] = 1;
	hb_time(&b, 1800 * MS);
	hb_nemesis(&b, "stop-partition");
	dump_all(2000);                 /* 200 ms after the heal; S is 500 ms */
	cr_expect_eq(check(), VERDICT_VALID, "%s", figures());
	cr_expect(strstr(figures(), "not judged"), "%s", figures());
	check_result_fini(&result);
	hb_fini(&b);
	hb_init(&b);
	hb_time(&b, 1800 * MS);
	hb_nemesis(&b, "stop-partition");
	dump_all(2400);                 /* 600 ms after: judged */
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(found("not-ideal", "finger 15"));
	check_result_fini(&result);
}

Test(chord_final, a_malformed_dump_makes_the_verdict_unknown)
{
	hb_time(&b, 2000 * MS);
	hb_op(&b, 10, "state", "n1", HB_NULL, OP_OK, HB_JSON("{\"joined\":true}"), true);
	cr_expect_eq(check(), VERDICT_UNKNOWN);
	check_result_fini(&result);
}

/* Key 10000's owners: n1 (45138, successor(10000)), then n2 and n4; n3 is none. */
static void key_held(uint64_t n4, uint64_t n3, uint64_t n1, uint64_t n2)
{
	keys_dumped = true;
	key_version[0] = n4;
	key_version[1] = n3;
	key_version[2] = n1;
	key_version[3] = n2;
}

Test(chord_final, a_key_on_its_r_owners_at_its_newest_version_is_ideal)
{
	ideal();
	key_held(2, 1, 2, 2);           /* n3, no owner, keeps an old copy: allowed */
	dump_all(2000);
	cr_expect_eq(check(), VERDICT_VALID, "%s", figures());
	cr_expect(strstr(figures(), "1 keys in the final dumps, 0 not on all of their 3 owners"),
		  "%s", figures());
	check_result_fini(&result);
}

Test(chord_final, a_key_missing_or_stale_on_an_owner_is_not_ideal)
{
	ideal();
	key_held(2, 0, 2, 0);           /* n2 lacks it */
	dump_all(2000);
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(found("not-ideal", "key 10000 (newest version 2) is missing on n2, owner 2 of "
			"its 3"), "%s", figures());
	check_result_fini(&result);
	hb_fini(&b);
	hb_init(&b);
	key_held(1, 0, 2, 2);           /* n4 holds an older version */
	dump_all(2000);
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(found("not-ideal", "is stale on n4, owner 3"), "%s", figures());
	check_result_fini(&result);
}

/* A snapshot round in a quiet spell of the run is judged by Zave's invariants too: two
 * cycles then fail the run although the final ring is ideal. */
Test(chord_final, a_snapshot_in_a_quiet_spell_with_two_rings_breaks_at_most_one_ring)
{
	two_rings();
	dump_round(1000, 20, -1);
	ideal();
	dump_all(2000);
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(found("ring-broken", "the state dumps at 1.00 s break AtMostOneRing"), "%s",
		  figures());
	cr_expect(strstr(figures(), "1 state snapshots taken in quiet spells during the run "
			 "judged by Zave's invariants, 0 not"), "%s", figures());
	check_result_fini(&result);
}

/* Under a fault, or lacking a member's dump, a round is not judged. */
Test(chord_final, a_snapshot_under_a_fault_or_lacking_a_member_is_not_judged)
{
	two_rings();
	dump_round(600, 20, 2);                         /* n1's dump is missing */
	hb_time(&b, 900LL * MS);
	hb_nemesis(&b, "start-partition");
	dump_round(1000, 21, -1);                       /* under the partition */
	hb_time(&b, 1100LL * MS);
	hb_nemesis(&b, "stop-partition");
	ideal();
	dump_all(2000);
	cr_expect_eq(check(), VERDICT_VALID, "%s", figures());
	cr_expect(strstr(figures(), "0 state snapshots taken in quiet spells during the run "
			 "judged by Zave's invariants, 2 not"), "%s", figures());
	check_result_fini(&result);
}
