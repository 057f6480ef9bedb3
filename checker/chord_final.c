/* SPDX-License-Identifier: MIT */
/* chord_final.c - the final state dumps of a chord run as one snapshot: Zave's invariants
 * (ring-broken) and the ideal ring over the members (not-ideal). */
#include "chord_final.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "checker.h"
#include "errbuf.h"
#include "chord.h"
#include "chord_ring.h"
#include "fl_assert.h"
#include "hist.h"

enum {
	FINAL_NODES_MAX = 256,          /* as the chord checker's ring */
	NOT_IDEAL_NAMED_MAX = 8,        /* nodes named by an anomaly; the rest are counted */
	FINAL_KEYS_MAX = 4096,          /* distinct keys over all dumps; more: not judged */
};

struct held {
	uint64_t key, version;
};

/* One node's final dump. */
struct dump {
	bool present, joined, has_pred;
	uint64_t ops[2];                /* the state op's invocation and completion */
	uint64_t pred;
	uint32_t succ_count, finger_count;
	uint64_t succ[CHORD_SUCC_MAX];
	bool finger_set[CHORD_BITS_MAX];
	uint64_t finger[CHORD_BITS_MAX];
	bool has_keys;                  /* the dump lists its keys */
	uint32_t key_count;
	struct held keys[CHORD_KV_KEYS_MAX];
};

struct snapshot {
	const struct chord_final_ring *ring;
	int32_t process;                        /* a snapshot round's; -1: the final dumps */
	char what[48];                          /* "the final state dumps", for messages */
	struct dump dumps[FINAL_NODES_MAX];     /* by ring index */
	int64_t first_ns;                       /* the earliest dump's invocation */
	uint32_t dumped, malformed;
};

static int32_t index_of_id(const struct chord_final_ring *r, uint64_t id)
{
	uint32_t lo = 0, hi = r->count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (r->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->count && r->ids[lo] == id ? (int32_t)lo : -1;
}

static int32_t index_of_name(const struct chord_final_ring *r, const char *name)
{
	for (uint32_t k = 0; name && k < r->count; k++) {
		if (strcmp(r->names[k], name) == 0)
			return (int32_t)k;
	}
	return -1;
}

/* The name of the node with @id, or "?" for an id no node has. */
static const char *name_of(const struct chord_final_ring *r, uint64_t id)
{
	int32_t k = index_of_id(r, id);

	return k >= 0 ? r->names[k] : "?";
}

static bool id_of(const json_t *v, uint64_t *id)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*id = (uint64_t)json_integer_value(v);
	return true;
}

/* {"joined":B,"pred":ID|null,"succ":[ID..],"fingers":[ID|null..]} into @d. */
static bool dump_parse(const char *text, uint32_t bits, struct dump *d)
{
	json_t *root = json_loads(text, 0, NULL), *succ, *fingers, *pred, *v;
	bool ok;
	size_t k;

	succ = json_object_get(root, "succ");
	fingers = json_object_get(root, "fingers");
	pred = json_object_get(root, "pred");
	ok = json_is_boolean(json_object_get(root, "joined")) && json_is_array(succ) &&
	     json_array_size(succ) <= CHORD_SUCC_MAX && json_is_array(fingers) &&
	     json_array_size(fingers) == bits && (json_is_null(pred) || json_is_integer(pred));
	if (ok) {
		d->joined = json_is_true(json_object_get(root, "joined"));
		d->has_pred = !json_is_null(pred) && id_of(pred, &d->pred);
		d->succ_count = (uint32_t)json_array_size(succ);
		json_array_foreach(succ, k, v)
			ok = ok && id_of(v, &d->succ[k]);
		d->finger_count = bits;
		json_array_foreach(fingers, k, v)
			d->finger_set[k] = !json_is_null(v) && id_of(v, &d->finger[k]);
		v = json_object_get(root, "keys");
		d->has_keys = json_is_array(v) && json_array_size(v) <= CHORD_KV_KEYS_MAX;
		ok = ok && (!v || d->has_keys);
		for (k = 0; d->has_keys && k < json_array_size(v); k++) {
			json_t *pair = json_array_get(v, k);

			ok = ok && id_of(json_array_get(pair, 0), &d->keys[k].key) &&
			     id_of(json_array_get(pair, 1), &d->keys[k].version);
			d->key_count++;
		}
	}
	json_decref(root);
	return ok;
}

/* The last ok "state" op of the final phase from each node. */
static void collect(struct snapshot *s, const struct history *h)
{
	const struct chord_final_ring *r = s->ring;

	s->first_ns = INT64_MAX;
	for (uint64_t i = 0; i < h->count; i++) {
		const struct op *in = &h->ops[i];
		uint64_t done = hist_pair(h, i);
		struct dump d = { .present = true, .ops = { i, done } };
		int32_t k;

		if (in->type != OP_INVOKE || strcmp(in->f, "state") != 0 ||
		    (s->process < 0 ? !in->final : in->final || in->process != s->process) ||
		    done == HIST_NO_PAIR || h->ops[done].type != OP_OK)
			continue;
		k = index_of_name(r, op_node(in));
		if (k < 0 || h->ops[done].value.kind != OP_VALUE_JSON ||
		    !dump_parse(h->ops[done].value.json, r->space->bits, &d)) {
			s->malformed++;
			continue;
		}
		s->dumped += !s->dumps[k].present;
		s->dumps[k] = d;
		if (in->time_ns < s->first_ns)
			s->first_ns = in->time_ns;
	}
}

static void ring_broken(struct snapshot *s, struct check_result *result)
{
	const struct chord_final_ring *r = s->ring;
	struct chord_ring_node nodes[FINAL_NODES_MAX];
	struct chord_ring_report rep;
	struct errbuf eb = { "" };
	uint32_t n = 0;

	for (uint32_t k = 0; k < r->count; k++) {
		const struct dump *d = &s->dumps[k];

		if (d->present)
			nodes[n++] = (struct chord_ring_node){ .id = r->ids[k], .alive = d->joined,
							       .succ = d->succ,
							       .succ_count = d->succ_count };
	}
	if (chord_ring_check(r->space, nodes, n, &rep, &eb) < 0) {
		check_result_set_unknown(result, "%s: %s", s->what, eb.msg);
		return;
	}
	for (int rule = 0; rule < CHORD_RING_RULE_COUNT; rule++) {
		uint64_t ops[2 * CHORD_RING_WITNESS_MAX];
		char names[3 * (CHORD_FINAL_NAME_BYTES + 2)] = "";
		uint32_t op_count = 0;
		size_t at = 0;

		if (!rep.broken[rule])
			continue;
		for (int w = 0; w < CHORD_RING_WITNESS_MAX; w++) {
			int32_t k = rep.witness[rule][w] == CHORD_RING_NO_NODE ? -1
				    : index_of_id(r, rep.witness[rule][w]);

			if (k < 0 || (w > 0 && rep.witness[rule][w] == rep.witness[rule][w - 1]))
				continue;
			at += (size_t)snprintf(names + at, sizeof(names) - at, "%s%s",
					       at ? ", " : "", r->names[k]);
			ops[op_count++] = s->dumps[k].ops[0];
			ops[op_count++] = s->dumps[k].ops[1];
		}
		check_result_add_anomaly(result, "ring-broken", ops, op_count,
					 "%s break %s (%" PRIu32 " rings, %" PRIu32
					 " members on them)%s%s", s->what,
					 chord_ring_rule_name((enum chord_ring_rule)rule),
					 rep.rings, rep.ring_members, at ? ": " : "", names);
	}
}

/* successor(@key) over the live members @live[0 .. @count) (sorted ring indexes). */
static uint32_t live_owner(const struct chord_final_ring *r, const uint32_t *live,
			   uint32_t count, uint64_t key)
{
	for (uint32_t p = 0; p < count; p++) {
		if (r->ids[live[p]] >= key)
			return live[p];
	}
	return live[0];
}

/* The first way node @k (at @p of @live) is not exact, into @why; false if it is. */
static bool inexact(const struct snapshot *s, const uint32_t *live, uint32_t count, uint32_t p,
		    char *why, size_t size)
{
	const struct chord_final_ring *r = s->ring;
	const struct dump *d = &s->dumps[live[p]];
	uint64_t self = r->ids[live[p]], want = r->ids[live[(p + count - 1) % count]];
	uint32_t r_len = r->succ_list < count - 1 ? r->succ_list : count - 1;

	if (count > 1 && (!d->has_pred || d->pred != want)) {
		snprintf(why, size, "its predecessor is %s, not %s", d->has_pred
			 ? name_of(r, d->pred) : "none", r->names[live[(p + count - 1) % count]]);
		return true;
	}
	for (uint32_t k = 0; k < r_len; k++) {
		uint32_t next = live[(p + 1 + k) % count];

		if (k >= d->succ_count || d->succ[k] != r->ids[next]) {
			snprintf(why, size, "successor %" PRIu32 " is %s, not %s", k + 1,
				 k < d->succ_count ? name_of(r, d->succ[k]) : "missing",
				 r->names[next]);
			return true;
		}
	}
	for (uint32_t j = 0; j < d->finger_count; j++) {
		uint32_t owner = live_owner(r, live, count,
					    chord_finger_start(r->space, self, j));

		/* A finger whose successor is the node itself may be left empty. */
		if (r->ids[owner] == self && (!d->finger_set[j] || d->finger[j] == self))
			continue;
		if (!d->finger_set[j] || d->finger[j] != r->ids[owner]) {
			snprintf(why, size, "finger %" PRIu32 " is %s, not %s", j,
				 d->finger_set[j] ? name_of(r, d->finger[j]) : "empty",
				 r->names[owner]);
			return true;
		}
	}
	return false;
}

/* The version of @key that @d holds; 0 if none. */
static uint64_t held_version(const struct dump *d, uint64_t key)
{
	for (uint32_t i = 0; i < d->key_count; i++) {
		if (d->keys[i].key == key)
			return d->keys[i].version;
	}
	return 0;
}

/* Adds @h to @all (@distinct of them, at most FINAL_KEYS_MAX), keeping the newest version. */
static void note_key(struct held *all, uint32_t *distinct, const struct held *h)
{
	uint32_t at = 0;

	while (at < *distinct && all[at].key != h->key)
		at++;
	if (at == *distinct && *distinct < FINAL_KEYS_MAX)
		all[(*distinct)++] = *h;
	else if (at < *distinct && h->version > all[at].version)
		all[at].version = h->version;
}

/*
 * Every key a member holds sits on its r owners (successor(key) and the members after it)
 * at the newest version any member holds: the ideal ring's key placement. Returns how many
 * keys are misplaced beyond those named (while *@named is under the cap).
 */
static uint32_t misplaced_keys(struct snapshot *s, const uint32_t *live, uint32_t count,
			       uint32_t *named, struct check_result *result)
{
	const struct chord_final_ring *r = s->ring;
	uint32_t distinct = 0, bad = 0, unnamed = 0;
	uint32_t owners = r->succ_list < count ? r->succ_list : count;
	struct held *all;

	for (uint32_t p = 0; p < count; p++) {
		if (!s->dumps[live[p]].has_keys)
			return 0;       /* a dump without its keys: placement not judged */
	}
	all = calloc(FINAL_KEYS_MAX, sizeof(*all));
	if (!all) {
		check_result_set_unknown(result, "out of memory for the final dumps' keys");
		return 0;
	}
	for (uint32_t p = 0; p < count; p++) {
		const struct dump *d = &s->dumps[live[p]];

		for (uint32_t i = 0; i < d->key_count; i++)
			note_key(all, &distinct, &d->keys[i]);
	}
	for (uint32_t k = 0; k < distinct; k++) {
		uint32_t first = 0;

		while (first < count && r->ids[live[first]] < all[k].key)
			first++;
		for (uint32_t i = 0; i < owners; i++) {
			uint32_t node = live[(first + i) % count];
			uint64_t have = held_version(&s->dumps[node], all[k].key);

			if (have == all[k].version)
				continue;
			bad++;
			if (*named >= NOT_IDEAL_NAMED_MAX) {
				unnamed++;
				break;
			}
			check_result_add_anomaly(result, "not-ideal", s->dumps[node].ops, 2,
						 "key %" PRIu64 " (newest version %" PRIu64
						 ") is %s on %s, owner %" PRIu32 " of its %"
						 PRIu32, all[k].key, all[k].version,
						 have ? "stale" : "missing", r->names[node], i + 1,
						 owners);
			(*named)++;
			break;
		}
	}
	check_result_add_figures(result, "chord: %" PRIu32 " keys in the final dumps, %" PRIu32
				 " not on all of their %" PRIu32 " owners at the newest version\n",
				 distinct, bad, owners);
	free(all);
	return unnamed;
}

static void not_ideal(struct snapshot *s, struct check_result *result)
{
	const struct chord_final_ring *r = s->ring;
	uint32_t live[FINAL_NODES_MAX], count = 0, named = 0, more = 0;
	char why[128];

	for (uint32_t k = 0; k < r->count; k++) {
		const struct dump *d = &s->dumps[k];

		if (d->present && d->joined)
			live[count++] = k;
		if (!r->member || !d->present || d->joined == r->member[k])
			continue;
		check_result_add_anomaly(result, "not-ideal", d->ops, 2, "%s: its final state "
					 "says %s, but by the membership ops it %s", r->names[k],
					 d->joined ? "joined" : "not joined",
					 r->member[k] ? "is a member" : "is no member");
		named++;
	}
	for (uint32_t p = 0; p < count; p++) {
		if (!inexact(s, live, count, p, why, sizeof(why)))
			continue;
		if (named >= NOT_IDEAL_NAMED_MAX) {
			more++;
			continue;
		}
		check_result_add_anomaly(result, "not-ideal", s->dumps[live[p]].ops, 2, "%s, after "
					 "the final heal and the settle time: %s",
					 r->names[live[p]], why);
		named++;
	}
	more += count ? misplaced_keys(s, live, count, &named, result) : 0;
	if (more)
		check_result_add_figures(result, "chord: %" PRIu32 " more nodes or keys not "
					 "ideal at the end\n", more);
	check_result_add_figures(result, "chord: final state of %" PRIu32 " nodes, %" PRIu32
				 " members: %s\n", s->dumped, count,
				 named || more ? "NOT an ideal ring" : "an ideal ring");
}

void chord_final_judge(const struct chord_final_ring *ring, const struct history *h,
		       struct check_result *result)
{
	struct snapshot *s = calloc(1, sizeof(*s));

	ASSERT(ring->count <= FINAL_NODES_MAX);
	if (!s) {
		check_result_set_unknown(result, "out of memory for the final state dumps");
		return;
	}
	s->ring = ring;
	s->process = -1;
	snprintf(s->what, sizeof(s->what), "the final state dumps");
	collect(s, h);
	result->final_read_count += s->dumped;
	if (s->malformed)
		check_result_set_unknown(result, "%" PRIu32 " final state dumps are malformed",
					 s->malformed);
	else if (!s->dumped)
		check_result_add_figures(result, "chord: no final state dumps; the ring's final "
					 "shape is not judged\n");
	else if (s->first_ns < ring->settled_from)
		check_result_add_figures(result, "chord: the final state dumps began %.2f s "
					 "before the settle time after the last fault ended; not "
					 "judged\n",
					 (double)(ring->settled_from - s->first_ns) / 1e9);
	else {
		ring_broken(s, result);
		not_ideal(s, result);
	}
	free(s);
}

bool chord_snapshot_judge(const struct chord_final_ring *ring, const struct history *h,
			  int32_t process, struct check_result *result)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	bool complete = s != NULL;

	ASSERT(ring->count <= FINAL_NODES_MAX && ring->member && process >= 0);
	if (!s)
		return false;   /* a snapshot during the run is a bonus: not judged */
	s->ring = ring;
	s->process = process;
	collect(s, h);
	for (uint32_t k = 0; k < ring->count; k++)
		complete &= !ring->member[k] || s->dumps[k].present;
	complete &= !s->malformed && s->dumped > 0;
	if (complete) {
		snprintf(s->what, sizeof(s->what), "the state dumps at %.2f s",
			 (double)s->first_ns / 1e9);
		ring_broken(s, result);
	}
	free(s);
	return complete;
}
