/* SPDX-License-Identifier: MIT */
/* chord_ring.h - Zave's ring invariants on one snapshot of Chord nodes' successor lists
 * (../shared/CHORD.md, "Invariants to check on state dumps"). Pure; no history needed. */
#ifndef CHORD_RING_H
#define CHORD_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "chord_id.h"

struct errbuf;

enum { CHORD_RING_NODES_MAX = 1 << 16 };        /* nodes in one snapshot */

/* One node as its state dump shows it. */
struct chord_ring_node {
	uint64_t id;
	bool alive;
	const uint64_t *succ;   /* successor list by id, nearest first; may name dead or unknown
				 * ids, which do not count */
	uint32_t succ_count;
};

enum chord_ring_rule {
	CHORD_RING_AT_LEAST_ONE,        /* some member reaches itself by best successors */
	CHORD_RING_AT_MOST_ONE,         /* any two ring members reach each other */
	CHORD_RING_ORDERED,             /* no ring member lies strictly between a ring member
					 * and its best successor */
	CHORD_RING_CONNECTED_APPENDAGES, /* every live member off the ring reaches it */
	CHORD_RING_RULE_COUNT,
};

/*
 * What the snapshot breaks. For each rule, @broken says whether it fails and @witness names
 * the ids that show it (CHORD_RING_NO_NODE where fewer apply):
 * at-most-one: a member of each of two rings; ordered: n1, its best successor n2, and a ring
 * member strictly between; connected-appendages: the appendage and the member where its walk
 * ends with no live successor. At-least-one has none (there is no ring to name).
 */
enum { CHORD_RING_WITNESS_MAX = 3 };
#define CHORD_RING_NO_NODE UINT64_MAX

struct chord_ring_report {
	bool broken[CHORD_RING_RULE_COUNT];
	uint64_t witness[CHORD_RING_RULE_COUNT][CHORD_RING_WITNESS_MAX];
	uint32_t ring_members;  /* live members on some cycle of best successors */
	uint32_t rings;         /* how many cycles */
};

/* chord_ring_rule_name() - "AtLeastOneRing", "AtMostOneRing", "OrderedRing",
 * "ConnectedAppendages": Zave's names. */
const char *chord_ring_rule_name(enum chord_ring_rule rule);

/*
 * chord_ring_check() - judge @nodes[0 .. @count) (distinct ids) by Zave's four rules. A
 * member's best successor is the first entry of its list that names a live node of the
 * snapshot. Only live nodes are members. O(count log count).
 * Return: 0 with @out filled; -EINVAL with a message for duplicate or out-of-space ids or
 * too many nodes; -ENOMEM.
 */
int chord_ring_check(const struct chord_space *s, const struct chord_ring_node *nodes,
		     uint32_t count, struct chord_ring_report *out, struct errbuf *eb);

#endif /* CHORD_RING_H */
