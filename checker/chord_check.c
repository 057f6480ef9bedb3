/* SPDX-License-Identifier: MIT */
/* chord_check.c - the chord checker: every lookup judged against the true ring. The ring is
 * the run's members: its nodes (config.json: names, bits) but the spares, as the churn
 * nemesis's ops change them; a lookup is judged strictly when the ring was quiet (no fault
 * and no nemesis op) from the settle time S before it began to its end. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "checker.h"
#include "checker_table.h"
#include "chord_judge.h"
#include "liveness.h"
#include "chord_id.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"

static int ring_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The run's nodes and the chord settings, from DIR/config.json. */
static int ring_load(struct ring *r, const char *dir, struct errbuf *eb)
{
	char path[1024];
	json_error_t jerr;
	json_t *root, *nodes, *bits;
	struct { uint64_t id; uint32_t k; } order[NODES_MAX];
	char names[NODES_MAX][16];
	uint32_t spares;
	size_t i;

	snprintf(path, sizeof(path), "%s/config.json", dir);
	root = json_load_file(path, 0, &jerr);
	if (!root)
		return errbuf_set(eb, -EINVAL, "%s:%d: %s", path, jerr.line, jerr.text);
	nodes = json_object_get(root, "nodes");
	bits = json_object_get(root, "chord_bits");
	if (!json_is_array(nodes) || json_array_size(nodes) == 0 ||
	    json_array_size(nodes) > NODES_MAX || !json_is_integer(bits) ||
	    chord_space_init(&r->space, (unsigned)json_integer_value(bits)) < 0) {
		json_decref(root);
		return errbuf_set(eb, -EINVAL, "%s: expected \"nodes\" (1..%d) and \"chord_bits\"",
				  path, NODES_MAX);
	}
	r->succ_list = (uint32_t)json_integer_value(json_object_get(root, "chord_succ_list"));
	spares = (uint32_t)json_integer_value(json_object_get(root, "chord_spares"));
	r->settle_ns = (int64_t)(json_number_value(json_object_get(root, "chord_settle_s")) * 1e9);
	r->stabilize_ns = (int64_t)(json_number_value(json_object_get(root, "chord_stabilize_s")) *
				    1e9);
	r->count = (uint32_t)json_array_size(nodes);
	for (i = 0; i < r->count; i++) {
		const char *name = json_string_value(json_object_get(json_array_get(nodes, i),
								     "name"));

		if (!name || strlen(name) >= sizeof(names[i])) {
			json_decref(root);
			return errbuf_set(eb, -EINVAL, "%s: node %zu has no name", path, i);
		}
		snprintf(names[i], sizeof(names[i]), "%s", name);
		order[i].id = chord_hash(&r->space, name, strlen(name));
		order[i].k = (uint32_t)i;
	}
	json_decref(root);
	if (spares + 1 > r->count)
		return errbuf_set(eb, -EINVAL, "%s: %" PRIu32 " spares of %" PRIu32 " nodes", path,
				  spares, r->count);
	qsort(order, r->count, sizeof(order[0]), ring_cmp);     /* by id, the first field */
	for (i = 0; i < r->count; i++) {
		r->ids[i] = order[i].id;
		memcpy(r->names[i], names[order[i].k], sizeof(r->names[i]));
		r->spare[i] = order[i].k + spares >= r->count;  /* the last ones in the list */
	}
	return 0;
}

int32_t chord_judge_find(const struct ring *r, const char *name)
{
	for (uint32_t k = 0; k < r->count; k++) {
		if (strcmp(r->names[k], name) == 0)
			return (int32_t)k;
	}
	return -1;
}

uint32_t chord_judge_owner_of(const struct ring *r, const bool *member, uint64_t key)
{
	uint32_t first = r->count;

	for (uint32_t k = 0; k < r->count; k++) {
		if (!member[k])
			continue;
		if (first == r->count)
			first = k;
		if (r->ids[k] >= key)
			return k;
	}
	ASSERT(first < r->count);
	return first;
}

/* The fault in force from a start to its stop, and every nemesis op, as spans. */
static void disturbances(struct judge *j)
{
	const struct history *h = j->h;

	for (uint64_t i = 0; i < h->count; i++) {
		int64_t from, to;

		if (!liveness_fault_span(h, i, &from, &to))
			continue;
		if (j->span_count == DISTURBANCES_MAX) {
			j->spans_overflow = true;
			return;
		}
		j->spans[j->span_count++] = (struct span){ from, to,
							   strcmp(h->ops[i].f, "crash") == 0 ||
							   strcmp(h->ops[i].f, "leave") == 0 ||
							   strcmp(h->ops[i].f, "join") == 0 };
	}
}

/* The ring forms (its joiners join) just before the history begins: a membership change. */
/* When the first start after op @i is invoked, or @end. */
static int64_t restart_time(const struct history *h, uint64_t i, int64_t end)
{
	for (uint64_t s = i + 1; s < h->count; s++) {
		const struct op *op = &h->ops[s];

		if (op->process == OP_PROCESS_NEMESIS && op->type == OP_INVOKE &&
		    strcmp(op->f, "start") == 0)
			return op->time_ns;
	}
	return end;
}

/* The nodes a kill's completion names ({"killed":["n2",...]}), each down until a start's
 * invocation names it ({"started":...} comes only with the completion: the next start). */
static void kills(struct judge *j)
{
	const struct history *h = j->h;
	int64_t end = h->count ? h->ops[h->count - 1].time_ns : 0;

	for (uint64_t i = 0; i < h->count; i++) {
		const struct op *op = &h->ops[i];
		json_t *root, *killed;
		size_t k;

		if (op->process != OP_PROCESS_NEMESIS || op->type == OP_INVOKE ||
		    strcmp(op->f, "kill") != 0 || op->value.kind != OP_VALUE_JSON)
			continue;
		root = json_loads(op->value.json, 0, NULL);
		killed = json_object_get(root, "killed");
		for (k = 0; k < json_array_size(killed) && j->down_count < DISTURBANCES_MAX; k++) {
			const char *name = json_string_value(json_array_get(killed, k));
			struct down *d = &j->downs[j->down_count];

			if (!name || strlen(name) >= sizeof(d->node))
				continue;
			snprintf(d->node, sizeof(d->node), "%s", name);
			d->from = op->time_ns;
			d->to = restart_time(h, i, end);
			j->down_count++;
		}
		json_decref(root);
	}
}

/* ---- Membership: the members the run starts with, as the churn ops changed them -------- */

static bool is_churn(const char *f)
{
	return strcmp(f, "crash") == 0 || strcmp(f, "leave") == 0 || strcmp(f, "join") == 0;
}

static void stint_add(struct judge *j, uint32_t k, int64_t from, int64_t to)
{
	if (j->stint_count == STINTS_MAX) {
		j->unknown_from = from < j->unknown_from ? from : j->unknown_from;
		return;
	}
	j->stints[j->stint_count++] = (struct stint){ k, from, to };
}

/* The names under @key in @value: each node's open stint ends at @at (a removal), or a new
 * one opens at @from (a join) and ends at @to. */
static void changes(struct judge *j, json_t *value, const char *key, int32_t *open,
		    int64_t from, int64_t to, bool join)
{
	json_t *names = json_object_get(value, key);

	for (size_t i = 0; i < json_array_size(names); i++) {
		const char *name = json_string_value(json_array_get(names, i));
		int32_t k = name ? chord_judge_find(&j->ring, name) : -1;

		if (k < 0) {
			j->unknown_from = from < j->unknown_from ? from : j->unknown_from;
			continue;
		}
		if (!join && open[k] >= 0) {
			j->stints[open[k]].to = to;
			open[k] = -1;
		} else if (join && open[k] < 0) {
			stint_add(j, (uint32_t)k, from, to);
			if (to == INT64_MAX && j->stint_count > 0)
				open[k] = (int32_t)j->stint_count - 1;
		}
	}
}

/*
 * The stints, from the churn ops: a member's ends at its crash's or leave's completion; a
 * join's begins at its invocation; a failed join may have made a member for a moment. A
 * churn op that failed or never completed leaves the membership unknown from its invocation.
 */
static void membership(struct judge *j)
{
	const struct history *h = j->h;
	int32_t open[NODES_MAX];

	j->unknown_from = INT64_MAX;
	for (uint32_t k = 0; k < j->ring.count; k++) {
		open[k] = -1;
		if (!j->ring.spare[k]) {
			stint_add(j, k, INT64_MIN, INT64_MAX);
			open[k] = (int32_t)j->stint_count - 1;
		}
	}
	for (uint64_t i = 0; i < h->count; i++) {
		const struct op *inv = &h->ops[i], *done;
		json_t *value;

		if (inv->process != OP_PROCESS_NEMESIS || inv->type != OP_INVOKE ||
		    !is_churn(inv->f))
			continue;
		done = hist_pair(h, i) == HIST_NO_PAIR ? NULL : &h->ops[hist_pair(h, i)];
		value = done && !op_error(done) && done->value.kind == OP_VALUE_JSON
			? json_loads(done->value.json, 0, NULL) : NULL;
		if (!json_is_object(value)) {
			j->unknown_from = inv->time_ns < j->unknown_from ? inv->time_ns
									 : j->unknown_from;
			json_decref(value);
			continue;
		}
		changes(j, value, "crashed", open, inv->time_ns, done->time_ns, false);
		changes(j, value, "left", open, inv->time_ns, done->time_ns, false);
		changes(j, value, "joined", open, inv->time_ns, INT64_MAX, true);
		changes(j, value, "join-failed", open, inv->time_ns, done->time_ns, true);
		json_decref(value);
	}
}

/* Could node @k have been a member at some instant of [from, to]? */
static bool maybe_member(const struct judge *j, uint32_t k, int64_t from, int64_t to)
{
	for (uint32_t s = 0; s < j->stint_count; s++) {
		if (j->stints[s].k == k && j->stints[s].from <= to && j->stints[s].to >= from)
			return true;
	}
	return false;
}

uint32_t chord_judge_members_at(const struct judge *j, int64_t t, bool *member)
{
	uint32_t count = 0;

	memset(member, 0, j->ring.count * sizeof(*member));
	for (uint32_t s = 0; s < j->stint_count; s++) {
		const struct stint *st = &j->stints[s];

		if (st->from <= t && st->to >= t && !member[st->k]) {
			member[st->k] = true;
			count++;
		}
	}
	return count;
}

/* Was @node down for the whole of [from, to]? */
static bool down_throughout(const struct judge *j, const char *node, int64_t from, int64_t to)
{
	for (uint32_t k = 0; k < j->down_count; k++) {
		if (strcmp(j->downs[k].node, node) == 0 && j->downs[k].from <= from &&
		    j->downs[k].to >= to)
			return true;
	}
	return false;
}

bool chord_judge_quiet(const struct judge *j, int64_t from, int64_t to)
{
	if (j->spans_overflow || from < j->ring.settle_ns)
		return false;
	for (uint32_t k = 0; k < j->span_count; k++) {
		if (j->spans[k].from <= to && j->spans[k].to >= from - j->ring.settle_ns)
			return false;
	}
	return true;
}

uint32_t chord_judge_owners(const struct ring *r, const bool *member, uint64_t key,
			    uint32_t *owners)
{
	uint32_t k = chord_judge_owner_of(r, member, key), taken = 0;

	/* Bounded by the ring: at most r owners, walking the members clockwise from k. */
	for (uint32_t i = 0; i < r->count && taken < r->succ_list; i++) {
		uint32_t at = (k + i) % r->count;

		if (member[at])
			owners[taken++] = at;
	}
	return taken;
}

/* The r owners of @key at @t as bits in @bits (NODES_MAX of them); none if the ring had no
 * member. */
static void owner_bits(const struct judge *j, uint64_t key, int64_t t, uint64_t *bits)
{
	bool member[NODES_MAX];
	uint32_t owners[NODES_MAX], count = 0;

	memset(bits, 0, NODES_MAX / 8);
	if (chord_judge_members_at(j, t, member) > 0)
		count = chord_judge_owners(&j->ring, member, key, owners);
	for (uint32_t i = 0; i < count; i++)
		bits[owners[i] / 64] |= 1ull << (owners[i] % 64);
}

bool chord_judge_quiet_key(const struct judge *j, uint64_t key, int64_t from, int64_t to)
{
	if (j->spans_overflow || from < j->ring.settle_ns)
		return false;
	for (uint32_t k = 0; k < j->span_count; k++) {
		const struct span *sp = &j->spans[k];
		uint64_t before[NODES_MAX / 64], after[NODES_MAX / 64];

		if (sp->from > to || sp->to < from - j->ring.settle_ns)
			continue;
		if (!sp->churn)
			return false;
		owner_bits(j, key, sp->from - 1, before);
		owner_bits(j, key, sp->to + 1, after);
		if (memcmp(before, after, sizeof(before)) != 0)
			return false;
	}
	return true;
}

/* The lookup's recorded answer: status, owner, hops, path. */
struct answer {
	const char *status;
	const char *owner;              /* NULL unless ok */
	uint64_t owner_id;
	uint32_t hops, path_count;
	uint64_t path[PATH_MAX_IDS];
};

static bool answer_parse(const char *json_text, struct answer *a, json_t **root)
{
	json_t *path;

	*root = json_loads(json_text, 0, NULL);
	if (!json_is_object(*root))
		return false;
	a->status = json_string_value(json_object_get(*root, "status"));
	a->owner = json_string_value(json_object_get(*root, "owner"));
	a->owner_id = (uint64_t)json_integer_value(json_object_get(*root, "owner_id"));
	a->hops = (uint32_t)json_integer_value(json_object_get(*root, "hops"));
	path = json_object_get(*root, "path");
	if (!a->status || !json_is_array(path) || json_array_size(path) > PATH_MAX_IDS)
		return false;
	a->path_count = (uint32_t)json_array_size(path);
	for (uint32_t k = 0; k < a->path_count; k++)
		a->path[k] = (uint64_t)json_integer_value(json_array_get(path, k));
	return true;
}

/* Every hop strictly shrinks the clockwise distance to the key; at most m + r asked. */
static void judge_progress(struct judge *j, const struct answer *a, uint64_t key,
			   const uint64_t ops[2], struct check_result *result)
{
	const struct chord_space *sp = &j->ring.space;

	for (uint32_t k = 1; k < a->path_count; k++) {
		uint64_t before = chord_distance(sp, a->path[k - 1] % sp->size, key);
		uint64_t after = chord_distance(sp, a->path[k] % sp->size, key);

		if (after >= before) {
			check_result_add_anomaly(result, "no-progress", ops, 2,
						 "lookup of %" PRIu64 ": hop %" PRIu32 " to %"
						 PRIu64 " is %" PRIu64 " from the key, no closer "
						 "than %" PRIu64 " (%" PRIu64 ")", key, k,
						 a->path[k], after, a->path[k - 1], before);
			return;
		}
	}
	if (strcmp(a->status, "too-long") == 0 || a->hops > sp->bits + j->ring.succ_list)
		check_result_add_anomaly(result, "no-progress", ops, 2, "lookup of %" PRIu64 ": %"
					 PRIu32 " hops, over m + r = %u", key, a->hops,
					 sp->bits + j->ring.succ_list);
	else if (strcmp(a->status, "no-progress") == 0)
		check_result_add_anomaly(result, "no-progress", ops, 2, "lookup of %" PRIu64
					 ": the node reports a hop that made no progress", key);
}

static void judge_lookup(struct judge *j, uint64_t inv, uint64_t done,
			 struct check_result *result)
{
	const struct op *in = &j->h->ops[inv], *out = &j->h->ops[done];
	uint64_t key = (uint64_t)in->value.integer, ops[2] = { inv, done };
	struct answer a = { 0 };
	json_t *root = NULL;
	bool member[NODES_MAX];
	uint32_t truth;
	int32_t owner;

	if (out->type != OP_OK)
		return;
	result->final_read_count += in->final;
	if (in->value.kind != OP_VALUE_INT || key >= j->ring.space.size ||
	    out->value.kind != OP_VALUE_JSON || !answer_parse(out->value.json, &a, &root)) {
		check_result_set_unknown(result, "op %" PRIu64 ": not a chord lookup", done);
		json_decref(root);
		return;
	}
	judge_progress(j, &a, key, ops, result);
	if (strcmp(a.status, "ok") == 0 && a.owner &&
	    down_throughout(j, a.owner, in->time_ns, out->time_ns))
		check_result_add_anomaly(result, "dead-owner", ops, 2, "lookup of %" PRIu64
					 " answered %s, which was killed before the lookup began "
					 "and not restarted until after it ended", key, a.owner);
	owner = strcmp(a.status, "ok") == 0 && a.owner ? chord_judge_find(&j->ring, a.owner) : -1;
	if (owner >= 0 && in->time_ns < j->unknown_from &&
	    !maybe_member(j, (uint32_t)owner, in->time_ns, out->time_ns))
		check_result_add_anomaly(result, "dead-owner", ops, 2, "lookup of %" PRIu64
					 " answered %s, which was no member at any instant of the "
					 "lookup (a spare, or it had left or crashed)", key,
					 a.owner);
	if (chord_judge_members_at(j, out->time_ns, member) == 0) {
		json_decref(root);
		return;
	}
	truth = chord_judge_owner_of(&j->ring, member, key);
	if (!in->final && out->time_ns < j->unknown_from && j->mark_count < j->answered_max)
		j->marks[j->mark_count++] = (struct lookup_mark){
			.at = out->time_ns,
			.exact = strcmp(a.status, "ok") == 0 && a.owner_id == j->ring.ids[truth] };
	if (strcmp(a.status, "ok") == 0 && j->answered_count < j->answered_max)
		j->answered[j->answered_count++] = (struct answered){
			.key = key, .owner_id = a.owner_id, .from = in->time_ns,
			.to = out->time_ns, .origin = op_node(in), .ops = { inv, done } };
	if (strcmp(a.status, "ok") == 0 && out->time_ns >= j->unknown_from) {
		j->unknown_skipped++;
	} else if (strcmp(a.status, "ok") == 0 && chord_judge_quiet(j, in->time_ns, out->time_ns)) {
		j->quiet++;
		j->hops_quiet_total += a.hops;
		j->hops_quiet[a.hops < PATH_MAX_IDS ? a.hops : PATH_MAX_IDS]++;
		if (a.owner_id != j->ring.ids[truth])
			check_result_add_anomaly(result, "wrong-owner", ops, 2, "lookup of %" PRIu64
						 " in a quiet ring answered %s (%" PRIu64 "); "
						 "successor(key) is %s (%" PRIu64 ")", key,
						 a.owner ? a.owner : "?", a.owner_id,
						 j->ring.names[truth], j->ring.ids[truth]);
	} else if (strcmp(a.status, "ok") == 0) {
		j->churned++;
		j->churned_wrong += a.owner_id != j->ring.ids[truth];
	}
	json_decref(root);
}

static int answered_cmp(const void *a, const void *b)
{
	const struct answered *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->from < y->from ? -1 : x->from > y->from;
}

/* successor(@key) is the same node at every membership change inside [lo, hi]. */
static bool arc_untouched(const struct judge *j, uint64_t key, int64_t lo, int64_t hi)
{
	bool member[NODES_MAX];
	uint32_t owner;

	if (hi >= j->unknown_from || chord_judge_members_at(j, lo, member) == 0)
		return false;
	owner = chord_judge_owner_of(&j->ring, member, key);
	for (uint32_t s = 0; s < j->stint_count; s++) {
		int64_t at[2] = { j->stints[s].from, j->stints[s].to };

		for (int e = 0; e < 2; e++) {
			if (at[e] <= lo || at[e] > hi)
				continue;
			/* Just after a change (a stint's end is its last instant). */
			if (chord_judge_members_at(j, e ? at[e] + 1 : at[e], member) == 0 ||
			    chord_judge_owner_of(&j->ring, member, key) != owner)
				return false;
		}
	}
	return true;
}

/*
 * Two overlapping lookups of one key from different nodes named different owners, while no
 * membership change touched that key's arc: counted (issue 18's `inconsistent`), never a
 * violation, since a fault may still split the nodes' views.
 */
static void inconsistent(struct judge *j, struct check_result *result)
{
	qsort(j->answered, j->answered_count, sizeof(*j->answered), answered_cmp);
	for (uint32_t a = 0; a < j->answered_count; a++) {
		const struct answered *x = &j->answered[a];

		/* Sorted by key, then start: the lookups overlapping x start before it ends. */
		for (uint32_t b = a + 1; b < j->answered_count; b++) {
			const struct answered *y = &j->answered[b];

			if (y->key != x->key || y->from > x->to)
				break;
			if (y->owner_id == x->owner_id || !x->origin || !y->origin ||
			    strcmp(x->origin, y->origin) == 0 ||
			    !arc_untouched(j, x->key, x->from, x->to > y->to ? x->to : y->to))
				continue;
			if (j->inconsistent++ == 0) {
				j->inconsistent_first[0] = x->ops[1];
				j->inconsistent_first[1] = y->ops[1];
			}
		}
	}
	check_result_add_figures(result, "chord: %" PRIu64 " pairs of overlapping lookups of one "
				 "key from different nodes named different owners while no "
				 "membership change touched its arc (inconsistent: counted, not a "
				 "violation)", j->inconsistent);
	if (j->inconsistent)
		check_result_add_figures(result, "; the first: ops %" PRIu64 " and %" PRIu64,
					 j->inconsistent_first[0], j->inconsistent_first[1]);
	check_result_add_figures(result, "\n");
}

/* Stoica et al.'s Fig. 11 measure: the churn rate per stabilization period beside the
 * share of lookups under churn or faults that did not name today's successor(key). */
static void churn_rate(const struct judge *j, struct check_result *result)
{
	uint32_t changes = 0;
	uint64_t last = j->h->count;
	int64_t length;

	while (last > 0 && j->h->ops[last - 1].final)
		last--;         /* the run's length, without its final reads */
	length = last > 0 ? j->h->ops[last - 1].time_ns - j->h->ops[0].time_ns : 0;
	for (uint32_t k = 0; k < j->span_count; k++)
		changes += j->spans[k].churn;
	if (!changes || length <= 0 || j->ring.stabilize_ns <= 0 || j->spans_overflow)
		return;
	check_result_add_figures(result, "chord: churn: %" PRIu32 " membership ops in %.1f s, "
				 "%.4f per stabilization period (%.0f ms); %.1f%% of the lookups "
				 "under churn or faults did not name today's successor(key) "
				 "(Stoica et al.'s Fig. 11 measure)\n", changes,
				 (double)length / 1e9,
				 (double)changes * (double)j->ring.stabilize_ns / (double)length,
				 (double)j->ring.stabilize_ns / 1e6,
				 j->churned ? 100.0 * (double)j->churned_wrong / (double)j->churned
				 : 0.0);
}

/* Mean, p50, p99 and max hops of the quiet lookups, against 1/2 log2 N; slow-routing when
 * the mean passes log2 N (Stoica et al.: a mean near N/2 means the fingers are broken). */
static void routing(struct judge *j, struct check_result *result)
{
	uint32_t n = 0;
	double half_log, mean = j->quiet ? (double)j->hops_quiet_total / (double)j->quiet : 0.0;
	uint64_t seen = 0, p50 = 0, p99 = 0, max = 0;

	for (uint32_t k = 0; k < j->ring.count; k++)
		n += !j->ring.spare[k];         /* the members the run starts with */
	half_log = 0.5 * log2((double)n);
	for (uint32_t h = 0; h <= PATH_MAX_IDS; h++) {
		if (!j->hops_quiet[h])
			continue;
		if (seen < (j->quiet + 1) / 2 && seen + j->hops_quiet[h] >= (j->quiet + 1) / 2)
			p50 = h;
		if (seen < (j->quiet * 99 + 99) / 100 &&
		    seen + j->hops_quiet[h] >= (j->quiet * 99 + 99) / 100)
			p99 = h;
		seen += j->hops_quiet[h];
		max = h;
	}
	check_result_add_figures(result, "chord: %" PRIu64 " lookups in a quiet ring judged "
				 "strictly; hops mean %.2f, p50 %" PRIu64 ", p99 %" PRIu64 ", max %"
				 PRIu64 " (1/2 log2 N = %.2f, N = %" PRIu32 ")\n", j->quiet, mean,
				 p50, p99, max, half_log, n);
	check_result_add_figures(result, "chord: %" PRIu64 " lookups under churn or faults, %"
				 PRIu64 " of them not naming today's successor(key) (counted, "
				 "not a violation)\n", j->churned, j->churned_wrong);
	churn_rate(j, result);
	if (j->unknown_skipped)
		check_result_add_figures(result, "chord: %" PRIu64 " lookups not judged: a churn "
					 "op failed, so the membership was unknown\n",
					 j->unknown_skipped);
	if (j->quiet >= MIN_QUIET_FOR_ROUTING && mean > 2 * half_log)
		check_result_add_anomaly(result, "slow-routing", NULL, 0, "quiet lookups took %.2f "
					 "hops on average, over log2 N = %.2f", mean, 2 * half_log);
}

/* The final state dumps, judged by chord_final.c against the membership at the end. */
static void final_dumps(const struct judge *j, struct check_result *result)
{
	bool member[NODES_MAX];
	int64_t last = 0;

	for (uint32_t k = 0; k < j->span_count; k++)
		last = j->spans[k].to > last ? j->spans[k].to : last;
	chord_judge_members_at(j, j->h->count ? j->h->ops[j->h->count - 1].time_ns : 0, member);
	chord_final_judge(&(struct chord_final_ring){
				  .space = &j->ring.space, .succ_list = j->ring.succ_list,
				  .count = j->ring.count, .ids = j->ring.ids,
				  .names = j->ring.names,
				  .member = j->unknown_from == INT64_MAX ? member : NULL,
				  .settled_from = j->spans_overflow ? INT64_MAX
					  : last + j->ring.settle_ns }, j->h, result);
}

/* The state dumps of the snapshot rounds taken in quiet spells during the run (each round
 * one process, not final): Zave's invariants on each that was quiet and complete. */
static void snapshots(const struct judge *j, struct check_result *result)
{
	bool member[NODES_MAX];
	uint32_t judged = 0, skipped = 0;

	for (uint64_t i = 0; i < j->h->count; i++) {
		const struct op *in = &j->h->ops[i];
		int64_t last = in->time_ns;
		uint64_t k;

		if (in->type != OP_INVOKE || in->final || strcmp(in->f, "state") != 0)
			continue;
		for (k = i + 1; k < j->h->count; k++) {
			const struct op *x = &j->h->ops[k];

			if (x->process == in->process)
				last = x->time_ns;      /* the round's ops come one after another */
			else if (x->type == OP_INVOKE && x->process != OP_PROCESS_NEMESIS &&
				 strcmp(x->f, "state") == 0 && !x->final)
				break;                  /* the next round */
		}
		if (last < j->unknown_from && chord_judge_quiet(j, in->time_ns, last) &&
		    chord_judge_members_at(j, in->time_ns, member) > 0 &&
		    chord_snapshot_judge(&(struct chord_final_ring){
				.space = &j->ring.space, .succ_list = j->ring.succ_list,
				.count = j->ring.count, .ids = j->ring.ids, .names = j->ring.names,
				.member = member }, j->h, in->process, result))
			judged++;
		else
			skipped++;
		i = k - 1;      /* on from the next round */
	}
	if (judged + skipped)
		check_result_add_figures(result, "chord: %" PRIu32 " state snapshots taken "
					 "in quiet spells during the run judged by Zave's "
					 "invariants, %" PRIu32 " not (a fault or churn within S, "
					 "or a member's dump missing)\n", judged, skipped);
}

static int chord_check(const struct checker *checker, const struct check_run *run,
		       const struct check_opts *opts, struct check_result *result,
		       struct errbuf *eb)
{
	struct judge *j;
	int err;

	(void)checker;
	(void)opts;
	result->checker = "chord";
	result->model = "chord";
	result->op_count = run->history->count;
	if (!run->dir) {
		check_result_set_unknown(result, "chord needs the run directory (config.json: "
					 "the nodes and the bits)");
		return 0;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	j->h = run->history;
	j->answered_max = run->history->count / 2 < ANSWERED_MAX
			  ? (uint32_t)(run->history->count / 2) + 1 : ANSWERED_MAX;
	j->answered = calloc(j->answered_max, sizeof(*j->answered));
	j->marks = calloc(j->answered_max, sizeof(*j->marks));
	err = j->answered && j->marks ? ring_load(&j->ring, run->dir, eb)
			  : errbuf_set(eb, -ENOMEM, "out of memory");
	if (err == 0) {
		disturbances(j);
		kills(j);
		membership(j);
		if (j->spans_overflow)
			check_result_set_unknown(result, "more than %d nemesis ops: no lookup "
						 "judged as quiet", DISTURBANCES_MAX);
		for (uint64_t i = 0; i < j->h->count; i++) {
			const struct op *op = &j->h->ops[i];

			if (op->type == OP_INVOKE && op->process != OP_PROCESS_NEMESIS &&
			    strcmp(op->f, "lookup") == 0 && hist_pair(j->h, i) != HIST_NO_PAIR)
				judge_lookup(j, i, hist_pair(j->h, i), result);
		}
		routing(j, result);
		inconsistent(j, result);
		chord_liveness_report(j, result);
		chord_kv_judge(j, result);
		snapshots(j, result);
		final_dumps(j, result);
	}
	free(j->answered);
	free(j->marks);
	free(j);
	return err;
}

static const struct checker_ops chord_checker_ops = { .name = "chord", .check = chord_check };
static const struct checker chord_checker = { .ops = &chord_checker_ops };

checker_make_fn chord_checker_make;

int chord_checker_make(const struct checker_entry *entry, const struct linear_opts *linear,
		       struct check_opts *opts, const struct checker **out, struct errbuf *eb)
{
	(void)entry;
	(void)linear;
	(void)opts;
	(void)eb;
	*out = &chord_checker;
	return 0;
}
