/* SPDX-License-Identifier: MIT */
/* chord_ring.c - Zave's ring invariants on one snapshot: best successors form a functional
 * graph on the live nodes; its cycles are the rings, the rest are appendages. */
#include "chord_ring.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "errbuf.h"
#include "fl_assert.h"

enum { NONE = -1 };

static const char *const rule_names[CHORD_RING_RULE_COUNT] = {
	[CHORD_RING_AT_LEAST_ONE] = "AtLeastOneRing",
	[CHORD_RING_AT_MOST_ONE] = "AtMostOneRing",
	[CHORD_RING_ORDERED] = "OrderedRing",
	[CHORD_RING_CONNECTED_APPENDAGES] = "ConnectedAppendages",
};

const char *chord_ring_rule_name(enum chord_ring_rule rule)
{
	ASSERT((unsigned)rule < CHORD_RING_RULE_COUNT);
	return rule_names[rule];
}

/*
 * Per node, by index into the snapshot. Invariants after walk(): ring[i] is the cycle
 * number of a ring member, NONE otherwise; end[i] is NONE when i's walk reaches a ring,
 * else the node whose list has no live successor, where the walk stops.
 */
struct graph {
	const struct chord_ring_node *nodes;
	uint32_t count;
	uint32_t *by_id;        /* indexes sorted by id */
	int32_t *best;          /* best successor's index, NONE if none (or dead) */
	int32_t *ring;
	int32_t *end;
	uint8_t *state;         /* 0 unseen, 1 on the walk in progress, 2 done */
	int32_t *path;
	uint32_t rings;
};

static int by_id_cmp(const void *a, const void *b, void *nodes_arg)
{
	const struct chord_ring_node *nodes = nodes_arg;
	uint64_t x = nodes[*(const uint32_t *)a].id, y = nodes[*(const uint32_t *)b].id;

	return x < y ? -1 : x > y;
}

/* The index of the node with @id, or NONE. */
static int32_t find(const struct graph *g, uint64_t id)
{
	uint32_t lo = 0, hi = g->count;

	/* Bounded: the range halves each pass. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint64_t at = g->nodes[g->by_id[mid]].id;

		if (at == id)
			return (int32_t)g->by_id[mid];
		if (at < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NONE;
}

static int32_t best_successor(const struct graph *g, const struct chord_ring_node *n)
{
	if (!n->alive)
		return NONE;
	for (uint32_t k = 0; k < n->succ_count; k++) {
		int32_t j = find(g, n->succ[k]);

		if (j != NONE && g->nodes[j].alive)
			return j;
	}
	return NONE;
}

/* Follows best successors from @start until a node already judged, the walk itself (a new
 * ring), or a dead end; then judges every node on the walk. */
static void walk(struct graph *g, int32_t start)
{
	uint32_t length = 0;
	int32_t at = start, end;

	/* Bounded: each pass marks a new node, at most count of them. */
	while (at != NONE && g->state[at] == 0) {
		g->state[at] = 1;
		g->path[length++] = at;
		at = g->best[at];
	}
	if (at != NONE && g->state[at] == 1) {
		for (uint32_t k = length; k-- > 0;) {
			g->ring[g->path[k]] = (int32_t)g->rings;
			if (g->path[k] == at)
				break;
		}
		g->rings++;
	}
	end = at == NONE ? g->path[length - 1] : g->ring[at] != NONE ? NONE : g->end[at];
	for (uint32_t k = 0; k < length; k++) {
		g->state[g->path[k]] = 2;
		g->end[g->path[k]] = g->ring[g->path[k]] != NONE ? NONE : end;
	}
}

static void judge(const struct chord_space *s, const struct graph *g,
		  struct chord_ring_report *out)
{
	int32_t first_member = NONE, last_member = NONE, previous = NONE, other_ring = NONE;

	out->broken[CHORD_RING_AT_LEAST_ONE] = g->rings == 0;
	for (uint32_t k = 0; k < g->count; k++) {
		int32_t i = (int32_t)g->by_id[k];

		if (!g->nodes[i].alive)
			continue;
		if (g->ring[i] == NONE) {
			if (g->end[i] != NONE && !out->broken[CHORD_RING_CONNECTED_APPENDAGES]) {
				out->broken[CHORD_RING_CONNECTED_APPENDAGES] = true;
				out->witness[CHORD_RING_CONNECTED_APPENDAGES][0] = g->nodes[i].id;
				out->witness[CHORD_RING_CONNECTED_APPENDAGES][1] =
					g->nodes[g->end[i]].id;
			}
			continue;
		}
		out->ring_members++;
		if (first_member == NONE)
			first_member = i;
		if (g->ring[i] != g->ring[first_member] && other_ring == NONE)
			other_ring = i;
		/* Ordered: each member's best successor is the next member clockwise. */
		if (previous != NONE && g->best[previous] != i &&
		    !out->broken[CHORD_RING_ORDERED]) {
			out->broken[CHORD_RING_ORDERED] = true;
			out->witness[CHORD_RING_ORDERED][0] = g->nodes[previous].id;
			out->witness[CHORD_RING_ORDERED][1] = g->nodes[g->best[previous]].id;
			out->witness[CHORD_RING_ORDERED][2] = g->nodes[i].id;
		}
		previous = last_member = i;
	}
	if (last_member != NONE && g->best[last_member] != first_member &&
	    !out->broken[CHORD_RING_ORDERED]) {
		out->broken[CHORD_RING_ORDERED] = true;
		out->witness[CHORD_RING_ORDERED][0] = g->nodes[last_member].id;
		out->witness[CHORD_RING_ORDERED][1] = g->nodes[g->best[last_member]].id;
		out->witness[CHORD_RING_ORDERED][2] = g->nodes[first_member].id;
	}
	if (out->broken[CHORD_RING_ORDERED])
		ASSERT(chord_between(s, out->witness[CHORD_RING_ORDERED][0],
				     out->witness[CHORD_RING_ORDERED][2],
				     out->witness[CHORD_RING_ORDERED][1]));
	out->rings = g->rings;
	if (other_ring != NONE) {
		out->broken[CHORD_RING_AT_MOST_ONE] = true;
		out->witness[CHORD_RING_AT_MOST_ONE][0] = g->nodes[first_member].id;
		out->witness[CHORD_RING_AT_MOST_ONE][1] = g->nodes[other_ring].id;
	}
}

static void graph_free(struct graph *g)
{
	free(g->by_id);
	free(g->best);
	free(g->ring);
	free(g->end);
	free(g->state);
	free(g->path);
}

int chord_ring_check(const struct chord_space *s, const struct chord_ring_node *nodes,
		     uint32_t count, struct chord_ring_report *out, struct errbuf *eb)
{
	struct graph g = { .nodes = nodes, .count = count };
	size_t n = count ? count : 1;
	int err = 0;

	*out = (struct chord_ring_report){ 0 };
	for (int r = 0; r < CHORD_RING_RULE_COUNT; r++) {
		for (int w = 0; w < CHORD_RING_WITNESS_MAX; w++)
			out->witness[r][w] = CHORD_RING_NO_NODE;
	}
	if (count > CHORD_RING_NODES_MAX)
		return errbuf_set(eb, -EINVAL, "expected at most %d nodes in a snapshot, got %"
				  PRIu32, CHORD_RING_NODES_MAX, count);
	g.by_id = malloc(n * sizeof(*g.by_id));
	g.best = malloc(n * sizeof(*g.best));
	g.ring = malloc(n * sizeof(*g.ring));
	g.end = malloc(n * sizeof(*g.end));
	g.state = calloc(n, sizeof(*g.state));
	g.path = malloc(n * sizeof(*g.path));
	if (!g.by_id || !g.best || !g.ring || !g.end || !g.state || !g.path) {
		err = errbuf_set(eb, -ENOMEM, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < count; i++) {
		if (nodes[i].id >= s->size) {
			err = errbuf_set(eb, -EINVAL, "node id %" PRIu64 " is outside the %u-bit "
					 "space", nodes[i].id, s->bits);
			goto out;
		}
		g.by_id[i] = i;
		g.ring[i] = g.end[i] = NONE;
	}
	qsort_r(g.by_id, count, sizeof(*g.by_id), by_id_cmp, (void *)nodes);
	for (uint32_t k = 1; k < count; k++) {
		if (nodes[g.by_id[k]].id == nodes[g.by_id[k - 1]].id) {
			err = errbuf_set(eb, -EINVAL, "node id %" PRIu64 " appears twice",
					 nodes[g.by_id[k]].id);
			goto out;
		}
	}
	for (uint32_t i = 0; i < count; i++)
		g.best[i] = best_successor(&g, &nodes[i]);
	for (uint32_t i = 0; i < count; i++) {
		if (nodes[i].alive && g.state[i] == 0)
			walk(&g, (int32_t)i);
	}
	judge(s, &g, out);
out:
	graph_free(&g);
	return err;
}
