/* SPDX-License-Identifier: MIT */
/* lww_causal.c - LWW causal edges per key: causality-violation and lost-update. */
#include "lww_check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"

/*
 * A direct causal edge pred -> succ between two writes of one key: the process of succ
 * completed an ok op that carried pred's effect (pred itself, or a read via that returned
 * pred's value) before it invoked succ. ts/writer are pred's stamp as that op saw it.
 *
 * Only direct edges are checked for causality-violation, and that is enough: if a chain
 * a -> b -> ... -> z has z not after a, then some edge on it has its succ not after its
 * pred, since the LWW order is a total order. Lost-update needs the transitive closure, so
 * it searches the edges breadth-first (no recursion, STYLE S23).
 */
struct edge {
	uint32_t pred, succ;
	uint32_t via;                   /* the read's record, LWW_NONE for pred itself */
	uint64_t ts;
	int64_t writer;
};

/* Client records grouped by (process, key), in invocation order within a group. */
struct member {
	int32_t process;
	uint16_t key;
	uint32_t record;
};

/*
 * Invariants: edges[] holds edge_count <= edge_capacity edges; after edges_index() they are
 * sorted by pred and first[w] .. first[w + 1] are the edges out of write record w;
 * queue/parent/seen have one slot per record (seen holds the stamp of the last search).
 */
struct causal {
	const struct lww_scan *s;
	struct edge *edges;
	uint32_t edge_count, edge_capacity;
	uint32_t *first, *queue, *parent, *seen;
	uint32_t *key_first_write;      /* per key: the first write that happened, LWW_NONE */
};

static int member_compare(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	if (x->process != y->process)
		return x->process < y->process ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->record > y->record) - (x->record < y->record);
}

static int edge_compare(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;

	if (x->pred != y->pred)
		return x->pred < y->pred ? -1 : 1;
	return (x->succ > y->succ) - (x->succ < y->succ);
}

/* A write that certainly happened: ok, or info and returned by some ok read. */
static bool happened(const struct lww_op *w)
{
	return w->f == LWW_F_WRITE && (w->outcome == OP_OK || w->ts_known);
}

static void report_violation(const struct causal *c, const struct edge *e,
			     struct check_result *result)
{
	const struct lww_scan *s = c->s;
	const struct lww_op *pred = &s->ops[e->pred], *succ = &s->ops[e->succ];
	const struct lww_op *via = e->via == LWW_NONE ? NULL : &s->ops[e->via];
	uint64_t ops[3] = { pred->invoke_index, 0, 0 };
	uint32_t n = 1;
	struct check_text t;

	if (via)
		ops[n++] = via->invoke_index;
	ops[n++] = succ->invoke_index;
	check_text_init(&t);
	check_text_add(&t, "write %s=%" PRId64 " (op %" PRIu64 " on %s, ts %" PRIu64 ", writer %"
		       PRId64 ") causally follows write of %" PRId64 " (op %" PRIu64 " on %s, ts %"
		       PRIu64 ", writer %" PRId64 "), ", s->keys[succ->key].name, succ->value,
		       succ->invoke_index, lww_op_node(s, succ), succ->ts, succ->writer,
		       pred->value, pred->invoke_index, lww_op_node(s, pred), e->ts, e->writer);
	if (via)
		check_text_add(&t, "read by process %" PRId32 " at op %" PRIu64 ", ",
			       via->process, via->invoke_index);
	else
		check_text_add(&t, "written before by the same process %" PRId32 ", ",
			       succ->process);
	check_text_add(&t, "but got a %s timestamp (%s's clock behind by ~%.3f ms)",
		       succ->ts == e->ts ? "tied" : "smaller", lww_op_node(s, succ),
		       (double)(e->ts - succ->ts) / 1e6);
	check_result_add_anomaly(result, "causality-violation", ops, n, "%s", t.buf);
}

static int edge_add(struct causal *c, uint32_t pred, uint32_t succ, uint32_t via,
		    const struct lww_op *seen_by, struct errbuf *eb)
{
	struct edge *e;

	/* Each ok op feeds at most one walk (the history rules end a process after info). */
	if (c->edge_count == c->edge_capacity)
		return errbuf_set(eb, -E2BIG, "more causal edges than ok ops: a process "
				  "invoked again after an info write?");
	e = &c->edges[c->edge_count++];
	e->pred = pred;
	e->succ = succ;
	e->via = via;
	e->ts = seen_by->ts;
	e->writer = seen_by->writer;
	ASSERT(pred != succ);
	return 0;
}

/*
 * The edges into write @m[j] of one (process, key) group: one from each ok op of the group
 * since its last ok write (that write included), which are @m[start .. j-1]. Then checks
 * the write against the largest of them.
 */
static int edges_into(struct causal *c, const struct member *m, uint32_t start, uint32_t j,
		      struct check_result *result, struct errbuf *eb)
{
	const struct lww_scan *s = c->s;
	const struct lww_op *succ = &s->ops[m[j].record];
	uint32_t best = LWW_NONE;
	int err = 0;

	ASSERT(start <= j);
	ASSERT(succ->f == LWW_F_WRITE && succ->outcome != OP_FAIL);

	for (uint32_t q = start; q < j && !err; q++) {
		const struct lww_op *p = &s->ops[m[q].record];

		if (p->outcome != OP_OK)
			continue;
		if (p->f == LWW_F_WRITE)
			err = edge_add(c, m[q].record, m[j].record, LWW_NONE, p, eb);
		else if (p->write != LWW_NONE)
			err = edge_add(c, p->write, m[j].record, m[q].record, p, eb);
		else
			continue;       /* a read of the initial state, or a phantom */
		if (!err && (best == LWW_NONE ||
			     lww_stamp_after(p->ts, p->writer, c->edges[best].ts,
					     c->edges[best].writer)))
			best = c->edge_count - 1;
	}
	if (!err && best != LWW_NONE && succ->ts_known &&
	    !lww_stamp_after(succ->ts, succ->writer, c->edges[best].ts, c->edges[best].writer))
		report_violation(c, &c->edges[best], result);
	return err;
}

static int group_walk(struct causal *c, const struct member *m, uint32_t count,
		      struct check_result *result, struct errbuf *eb)
{
	uint32_t start = 0;
	int err;

	ASSERT(count > 0);
	ASSERT(m[0].process >= 0);
	for (uint32_t j = 0; j < count; j++) {
		const struct lww_op *w = &c->s->ops[m[j].record];

		/* A failed write certainly did not happen: no edge into it, none through it. */
		if (w->f != LWW_F_WRITE || w->outcome == OP_FAIL)
			continue;
		err = edges_into(c, m, start, j, result, eb);
		if (err)
			return err;
		if (w->outcome == OP_OK)
			start = j;
	}
	return 0;
}

static int edges_build(struct causal *c, struct check_result *result, struct errbuf *eb)
{
	const struct lww_scan *s = c->s;
	struct member *m = malloc(((size_t)s->op_count + 1) * sizeof(*m));
	uint32_t g = 0;
	int err = 0;

	if (!m)
		return errbuf_set(eb, -ENOMEM, "out of memory grouping ops by process");
	for (uint32_t k = 0; k < s->op_count; k++)
		m[k] = (struct member){ s->ops[k].process, s->ops[k].key, k };
	qsort(m, s->op_count, sizeof(*m), member_compare);
	for (uint32_t k = 1; k <= s->op_count && !err; k++) {
		if (k < s->op_count && m[k].process == m[g].process && m[k].key == m[g].key)
			continue;
		err = group_walk(c, m + g, k - g, result, eb);
		g = k;
	}
	free(m);
	return err;
}

/* Sort the edges by pred and index them (CSR), for the searches. */
static void edges_index(struct causal *c)
{
	uint32_t n = c->s->op_count;

	qsort(c->edges, c->edge_count, sizeof(*c->edges), edge_compare);
	memset(c->first, 0, ((size_t)n + 1) * sizeof(uint32_t));
	for (uint32_t e = 0; e < c->edge_count; e++)
		c->first[c->edges[e].pred + 1]++;
	for (uint32_t w = 0; w < n; w++)
		c->first[w + 1] += c->first[w];
	ASSERT(c->first[n] == c->edge_count);
}

/* The chain of @c's last search from its root to @found, as invocations (root first), cut
 * in the middle to fit @ops; returns how many were kept and sets *@total. */
static uint32_t chain_ops(const struct causal *c, uint32_t root, uint32_t found, uint64_t *ops,
			  uint32_t *total)
{
	const struct lww_scan *s = c->s;
	uint32_t t = 1, pos, cut;

	for (uint32_t x = found; x != root; x = c->edges[c->parent[x]].pred)
		t += 1 + (c->edges[c->parent[x]].via != LWW_NONE);
	*total = t;
	cut = t > CHECK_ANOMALY_OPS_MAX ? t - CHECK_ANOMALY_OPS_MAX : 0;
	pos = t - 1;
	for (uint32_t x = found; x != root; x = c->edges[c->parent[x]].pred) {
		const struct edge *e = &c->edges[c->parent[x]];

		if (pos > cut)
			ops[pos - cut] = s->ops[x].invoke_index;
		pos--;
		if (e->via != LWW_NONE) {
			if (pos > cut)
				ops[pos - cut] = s->ops[e->via].invoke_index;
			pos--;
		}
	}
	ASSERT(pos == 0);
	ops[0] = s->ops[root].invoke_index;
	return t - cut;
}

static void report_lost(const struct causal *c, const struct lww_op *final, uint32_t root,
			uint32_t found, uint32_t reached, struct check_result *result)
{
	const struct lww_scan *s = c->s;
	const struct lww_op *wf = &s->ops[root], *w2 = &s->ops[found];
	uint64_t ops[CHECK_ANOMALY_OPS_MAX];
	uint32_t total, n = chain_ops(c, root, found, ops, &total);
	struct check_text t;

	ASSERT(final->write == root);
	check_text_init(&t);
	check_text_add(&t, "final value of %s is %" PRId64 " from write op %" PRIu64 " (%s, ts %"
		       PRIu64 "), but write of %" PRId64 " (op %" PRIu64 " on %s, ts %" PRIu64
		       ") causally follows it and was lost", s->keys[wf->key].name, wf->value,
		       wf->invoke_index, lww_op_node(s, wf), final->ts, w2->value,
		       w2->invoke_index, lww_op_node(s, w2), w2->ts);
	if (reached > 1)
		check_text_add(&t, " (%" PRIu32 " more lost too)", reached - 1);
	check_text_add(&t, "; chain of %" PRIu32 " ops:", total);
	for (uint32_t k = 0; k < n; k++)
		check_text_add(&t, "%s %" PRIu64, k && n < total && k == 1 ? " ..." : "", ops[k]);
	check_result_add_anomaly(result, "lost-update", ops, n, "%s", t.buf);
}

/* Breadth-first from @root; stamps seen[] with @stamp. Returns the first write found that
 * happened (LWW_NONE if none) and counts all such writes in *@reached. */
static uint32_t search(struct causal *c, uint32_t root, uint32_t stamp, uint32_t *reached)
{
	uint32_t head = 0, tail = 0, found = LWW_NONE;

	*reached = 0;
	c->seen[root] = stamp;
	c->queue[tail++] = root;
	while (head < tail) {
		uint32_t x = c->queue[head++];

		for (uint32_t e = c->first[x]; e < c->first[x + 1]; e++) {
			uint32_t y = c->edges[e].succ;

			if (c->seen[y] == stamp)
				continue;
			ASSERT(tail < c->s->op_count);
			c->seen[y] = stamp;
			c->parent[y] = e;
			c->queue[tail++] = y;
			if (!happened(&c->s->ops[y]))
				continue;
			*reached += 1;
			if (found == LWW_NONE)
				found = y;
		}
	}
	return found;
}

static void report_never_written(const struct causal *c, const struct lww_op *final,
				 uint32_t w, struct check_result *result)
{
	const struct lww_scan *s = c->s;
	const struct lww_op *write = &s->ops[w];
	uint64_t ops[2] = { write->invoke_index, final->invoke_index };

	check_result_add_anomaly(result, "lost-update", ops, 2,
				 "final reads of %s show it never written (op %" PRIu64 " on %s), "
				 "but write of %" PRId64 " (op %" PRIu64 " on %s) happened",
				 s->keys[write->key].name, final->invoke_index,
				 lww_op_node(s, final), write->value, write->invoke_index,
				 lww_op_node(s, write));
}

/* Lost-update on key @k: a write that happened causally after the final value's write. */
static void key_lost_update(struct causal *c, uint32_t k, struct check_result *result)
{
	const struct lww_key *key = &c->s->keys[k];
	const struct lww_op *final;
	uint32_t found, reached;

	if (key->final_count == 0 || key->diverged)
		return;         /* not judged (unknown), or already a divergence */
	final = &c->s->ops[key->final_first];
	if (final->value_null) {
		if (c->key_first_write[k] != LWW_NONE)
			report_never_written(c, final, c->key_first_write[k], result);
		return;
	}
	if (final->write == LWW_NONE)
		return;         /* a phantom final value, reported as such */
	found = search(c, final->write, k + 1, &reached);
	if (found != LWW_NONE)
		report_lost(c, final, final->write, found, reached, result);
}

static void causal_fini(struct causal *c)
{
	free(c->edges);
	free(c->first);
	free(c->queue);
	free(c->parent);
	free(c->seen);
	free(c->key_first_write);
}

static int causal_init(struct causal *c, const struct lww_scan *s, struct errbuf *eb)
{
	size_t n = (size_t)s->op_count + 1;

	memset(c, 0, sizeof(*c));
	c->s = s;
	c->edge_capacity = s->ok_count;
	c->edges = malloc(((size_t)s->ok_count + 1) * sizeof(*c->edges));
	c->first = malloc(n * sizeof(uint32_t));
	c->queue = malloc(n * sizeof(uint32_t));
	c->parent = malloc(n * sizeof(uint32_t));
	c->seen = calloc(n, sizeof(uint32_t));
	c->key_first_write = malloc(((size_t)s->key_count + 1) * sizeof(uint32_t));
	if (!c->edges || !c->first || !c->queue || !c->parent || !c->seen || !c->key_first_write)
		return errbuf_set(eb, -ENOMEM, "out of memory for causal edges");
	for (uint32_t k = 0; k < s->key_count; k++)
		c->key_first_write[k] = LWW_NONE;
	for (uint32_t w = 0; w < s->op_count; w++)
		if (happened(&s->ops[w]) && c->key_first_write[s->ops[w].key] == LWW_NONE)
			c->key_first_write[s->ops[w].key] = w;
	return 0;
}

int lww_causal_check(const struct lww_scan *s, struct check_result *result, struct errbuf *eb)
{
	struct causal c;
	int err;

	ASSERT(s && result);
	err = causal_init(&c, s, eb);
	if (!err)
		err = edges_build(&c, result, eb);
	if (!err) {
		edges_index(&c);
		for (uint32_t k = 0; k < s->key_count; k++)
			key_lost_update(&c, k, result);
	}
	causal_fini(&c);
	ASSERT(err <= 0);
	return err;
}
