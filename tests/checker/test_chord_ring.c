/* SPDX-License-Identifier: MIT */
/* test_chord_ring.c - Zave's ring invariants: hand-made rings that break each one, and every
 * small snapshot against a transcription of her relational definitions. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "chord_ring.h"
#include "errbuf.h"

enum { NODES_MAX = 8, LIST_MAX = 3 };

/* A snapshot built by hand: node i has id ids[i] and the list lists[i]. */
struct snap {
	struct chord_ring_node nodes[NODES_MAX];
	uint64_t lists[NODES_MAX][LIST_MAX];
	uint32_t count;
};

static struct chord_space space6;

static void init_space(void)
{
	cr_assert_eq(chord_space_init(&space6, 6), 0);
}

TestSuite(chord_ring, .init = init_space);

/* Adds a node; @list ends at the first CHORD_RING_NO_NODE (at most LIST_MAX entries). */
static void add(struct snap *sn, uint64_t id, bool alive, const uint64_t *list)
{
	struct chord_ring_node *n = &sn->nodes[sn->count];

	cr_assert_lt(sn->count, NODES_MAX);
	*n = (struct chord_ring_node){ .id = id, .alive = alive, .succ = sn->lists[sn->count] };
	while (n->succ_count < LIST_MAX && list[n->succ_count] != CHORD_RING_NO_NODE) {
		sn->lists[sn->count][n->succ_count] = list[n->succ_count];
		n->succ_count++;
	}
	sn->count++;
}

#define NODE(sn, id, ...) add(sn, id, true, (const uint64_t[]){ __VA_ARGS__, CHORD_RING_NO_NODE })
#define DEAD(sn, id) add(sn, id, false, (const uint64_t[]){ CHORD_RING_NO_NODE })

static struct chord_ring_report check(const struct snap *sn)
{
	struct chord_ring_report r;
	struct errbuf eb = { "" };

	cr_assert_eq(chord_ring_check(&space6, sn->nodes, sn->count, &r, &eb), 0, "%s", eb.msg);
	return r;
}

static void expect_only(const struct chord_ring_report *r, int broken_rule)
{
	for (int k = 0; k < CHORD_RING_RULE_COUNT; k++)
		cr_expect_eq(r->broken[k], k == broken_rule, "%s", chord_ring_rule_name(k));
}

Test(chord_ring, an_ideal_ring_keeps_every_rule)
{
	struct snap sn = { 0 };
	struct chord_ring_report r;

	NODE(&sn, 40, 60, 5);
	NODE(&sn, 5, 20, 40);
	NODE(&sn, 60, 5, 20);   /* wraps past 63 */
	NODE(&sn, 20, 40, 60);
	r = check(&sn);
	expect_only(&r, -1);
	cr_expect_eq(r.rings, 1);
	cr_expect_eq(r.ring_members, 4);
}

Test(chord_ring, two_cycles_break_at_most_one_ring)
{
	struct snap sn = { 0 };
	struct chord_ring_report r;

	NODE(&sn, 10, 30);
	NODE(&sn, 30, 10);
	NODE(&sn, 40, 50);
	NODE(&sn, 50, 40);
	r = check(&sn);
	cr_expect(r.broken[CHORD_RING_AT_MOST_ONE]);
	cr_expect_eq(r.rings, 2);
	cr_expect_eq(r.witness[CHORD_RING_AT_MOST_ONE][0], 10);
	cr_expect_eq(r.witness[CHORD_RING_AT_MOST_ONE][1], 40);
	cr_expect_not(r.broken[CHORD_RING_AT_LEAST_ONE]);
	cr_expect(r.broken[CHORD_RING_ORDERED], "40 and 50 lie between 30 and its successor 10");
	cr_expect_eq(r.witness[CHORD_RING_ORDERED][0], 30);
	cr_expect_eq(r.witness[CHORD_RING_ORDERED][2], 40);
}

Test(chord_ring, a_ring_out_of_order_breaks_ordered_ring)
{
	struct snap sn = { 0 };
	struct chord_ring_report r;

	NODE(&sn, 10, 30);
	NODE(&sn, 30, 20);
	NODE(&sn, 20, 40);
	NODE(&sn, 40, 10);
	r = check(&sn);
	expect_only(&r, CHORD_RING_ORDERED);
	cr_expect_eq(r.witness[CHORD_RING_ORDERED][0], 10);
	cr_expect_eq(r.witness[CHORD_RING_ORDERED][1], 30);
	cr_expect_eq(r.witness[CHORD_RING_ORDERED][2], 20, "20 lies between 10 and 30");
}

Test(chord_ring, appendages_must_reach_the_ring)
{
	struct snap sn = { 0 };
	struct chord_ring_report r;

	NODE(&sn, 10, 20);
	NODE(&sn, 20, 30);
	NODE(&sn, 30, 10);
	NODE(&sn, 25, 30);              /* an appendage that reaches the ring: fine */
	r = check(&sn);
	expect_only(&r, -1);
	cr_expect_eq(r.ring_members, 3);
	DEAD(&sn, 50);
	NODE(&sn, 45, 50);              /* its only successor is dead */
	NODE(&sn, 44, 45);              /* and it leads there */
	r = check(&sn);
	expect_only(&r, CHORD_RING_CONNECTED_APPENDAGES);
	cr_expect_eq(r.witness[CHORD_RING_CONNECTED_APPENDAGES][0], 44);
	cr_expect_eq(r.witness[CHORD_RING_CONNECTED_APPENDAGES][1], 45);
}

/* Zave's Fig. 6 end state: 10 joined between 6 and 12, 12 took it as predecessor, 10 failed,
 * and 6's list (r = 2) named 10 and 12 no more: 6 and 12 are each on their own ring. */
Test(chord_ring, zaves_lost_member_shows_as_two_rings)
{
	struct snap sn = { 0 };
	struct chord_ring_report r;

	DEAD(&sn, 10);
	NODE(&sn, 6, 10, 6);
	NODE(&sn, 12, 12, 10);
	r = check(&sn);
	cr_expect(r.broken[CHORD_RING_AT_MOST_ONE]);
	cr_expect_eq(r.rings, 2);
}

Test(chord_ring, dead_and_unknown_entries_are_passed_over)
{
	struct snap sn = { 0 };
	struct chord_ring_report r;

	DEAD(&sn, 15);
	NODE(&sn, 10, 15, 33, 20);      /* 15 dead, 33 unknown: the best successor is 20 */
	NODE(&sn, 20, 10);
	r = check(&sn);
	expect_only(&r, -1);
	cr_expect_eq(r.ring_members, 2);
}

Test(chord_ring, no_cycle_breaks_at_least_one_ring)
{
	struct snap sn = { 0 };
	struct chord_ring_report r;

	DEAD(&sn, 30);
	NODE(&sn, 10, 20);
	NODE(&sn, 20, 30);
	r = check(&sn);
	cr_expect(r.broken[CHORD_RING_AT_LEAST_ONE]);
	cr_expect(r.broken[CHORD_RING_CONNECTED_APPENDAGES]);
	cr_expect_eq(r.rings, 0);
}

Test(chord_ring, bad_snapshots_are_refused_with_a_message)
{
	struct snap sn = { 0 };
	struct chord_ring_report r;
	struct errbuf eb = { "" };

	NODE(&sn, 10, 10);
	NODE(&sn, 10, 10);
	cr_expect_eq(chord_ring_check(&space6, sn.nodes, sn.count, &r, &eb), -EINVAL);
	cr_expect(strstr(eb.msg, "twice"), "%s", eb.msg);
	sn = (struct snap){ 0 };
	NODE(&sn, 64, 64);
	cr_expect_eq(chord_ring_check(&space6, sn.nodes, sn.count, &r, &eb), -EINVAL);
	cr_expect(strstr(eb.msg, "outside"), "%s", eb.msg);
}

/* ---- Every small snapshot against Zave's definitions, transcribed relationally ------------ */

static bool ivy_btw(uint64_t x, uint64_t y, uint64_t z)
{
	return (x < y && y < z) || (z <= x && x < y) || (y < z && z <= x);
}

/* The four rules as Zave states them, by transitive closure over @k live nodes whose best
 * successor is best[i] (-1: none). */
static void reference(const uint64_t *ids, const int *best, int k, bool broken[4])
{
	bool reach[NODES_MAX][NODES_MAX] = { { false } };
	bool on_ring[NODES_MAX];

	for (int a = 0; a < k; a++) {
		if (best[a] >= 0)
			reach[a][best[a]] = true;
	}
	for (int m = 0; m < k; m++)
		for (int a = 0; a < k; a++)
			for (int b = 0; b < k; b++)
				reach[a][b] = reach[a][b] || (reach[a][m] && reach[m][b]);
	memset(broken, 0, 4 * sizeof(bool));
	broken[CHORD_RING_AT_LEAST_ONE] = true;
	for (int a = 0; a < k; a++) {
		on_ring[a] = reach[a][a];
		if (on_ring[a])
			broken[CHORD_RING_AT_LEAST_ONE] = false;
	}
	for (int a = 0; a < k; a++) {
		bool reaches_ring = false;

		for (int b = 0; b < k; b++) {
			if (on_ring[a] && on_ring[b] && !reach[a][b])
				broken[CHORD_RING_AT_MOST_ONE] = true;
			if (on_ring[a] && on_ring[b] &&
			    ivy_btw(ids[a], ids[b], ids[best[a]]))
				broken[CHORD_RING_ORDERED] = true;
			reaches_ring = reaches_ring || (reach[a][b] && on_ring[b]);
		}
		if (!on_ring[a] && !reaches_ring)
			broken[CHORD_RING_CONNECTED_APPENDAGES] = true;
	}
}

Test(chord_ring, every_snapshot_of_up_to_4_live_nodes_agrees_with_zaves_definitions)
{
	static const uint64_t id_sets[][4] = { { 3, 17, 40, 62 }, { 0, 1, 2, 63 },
						{ 10, 11, 50, 51 } };
	const uint64_t dead_id = 33, unknown_id = 45;
	uint64_t cases = 0, broken_seen[4] = { 0 };

	for (size_t set = 0; set < sizeof(id_sets) / sizeof(id_sets[0]); set++) {
		for (int k = 1; k <= 4; k++) {
			int functions = 1;

			for (int i = 0; i < k; i++)
				functions *= k + 1;
			for (int f = 0; f < functions; f++) {
				int best[4], code = f;

				for (int i = 0; i < k; i++, code /= k + 1)
					best[i] = code % (k + 1) - 1;     /* -1: none */
				for (int prefix = 0; prefix < 1 << k; prefix++) {
					struct snap sn = { 0 };
					struct chord_ring_report r;
					bool want[4];

					DEAD(&sn, dead_id);
					for (int i = 0; i < k; i++) {
						uint64_t list[4] = { CHORD_RING_NO_NODE,
								     CHORD_RING_NO_NODE,
								     CHORD_RING_NO_NODE,
								     CHORD_RING_NO_NODE };
						int n = 0;

						if (prefix >> i & 1) {
							list[n++] = dead_id;
							list[n++] = unknown_id;
						}
						if (best[i] >= 0)
							list[n++] = id_sets[set][best[i]];
						add(&sn, id_sets[set][i], true, list);
					}
					r = check(&sn);
					reference(id_sets[set], best, k, want);
					for (int rule = 0; rule < 4; rule++) {
						cr_assert_eq(r.broken[rule], want[rule],
							     "%s, set %zu, k %d, f %d, prefix %d",
							     chord_ring_rule_name(rule), set, k, f,
							     prefix);
						broken_seen[rule] += want[rule];
					}
					cases++;
				}
			}
		}
	}
	cr_expect_gt(cases, 30000);
	for (int rule = 0; rule < 4; rule++)
		cr_expect_gt(broken_seen[rule], 100, "%s is broken in some cases",
			     chord_ring_rule_name(rule));
}
