/* SPDX-License-Identifier: MIT */
/* chord_final.h - the chord checker's judgement of the final state dumps: every node's
 * pointers, dumped after the final heal and the settle time S, taken as one snapshot. */
#ifndef CHORD_FINAL_H
#define CHORD_FINAL_H

#include <stdbool.h>
#include <stdint.h>

#include "chord_id.h"

struct check_result;
struct history;

enum { CHORD_FINAL_NAME_BYTES = 16 };

/* The run's ring as the chord checker knows it. */
struct chord_final_ring {
	const struct chord_space *space;
	uint32_t succ_list;             /* r */
	uint32_t count;                 /* nodes, spares included */
	const uint64_t *ids;            /* sorted, distinct */
	const char (*names)[CHORD_FINAL_NAME_BYTES];   /* names[k]: the node with ids[k] */
	const bool *member;             /* the membership ops' members at the end; NULL when
					 * unknown (a churn op failed) */
	int64_t settled_from;           /* last fault or nemesis op + S: dumps invoked
					 * earlier are not judged */
};

/*
 * chord_final_judge() - the ops "state" of the final phase (ok, value {"joined":B,
 * "pred":ID|null,"succ":[...],"fingers":[...]}) as one snapshot of the nodes that answered:
 *   ring-broken: Zave's four invariants (chord_ring.h) fail; the anomaly names the nodes;
 *   not-ideal: some member's predecessor, successor list or finger is not exact over the
 *     members, or a node's "joined" disagrees with the membership ops.
 * Dumps taken before @ring->settled_from, or none at all, are not judged; a figure says so.
 */
void chord_final_judge(const struct chord_final_ring *ring, const struct history *h,
		       struct check_result *result);

/*
 * chord_snapshot_judge() - the "state" ops of one snapshot round taken during the run (not
 * final, all of @process), by Zave's four invariants alone (ring-broken; a ring in a quiet
 * spell need not be ideal yet). @ring->member: the members then; a round that lacks one of
 * them, or has a malformed dump, is not judged. Return: whether it was judged.
 */
bool chord_snapshot_judge(const struct chord_final_ring *ring, const struct history *h,
			  int32_t process, struct check_result *result);

#endif /* CHORD_FINAL_H */
