/* SPDX-License-Identifier: MIT */
/*
 * chord_kv_check.c - the chord checker's puts and gets: `lost-write`. A get in a quiet ring
 * must read a value some put may still have left there: not a put that a later ok put
 * overwrote before the get began (the later one was invoked after it completed), and not
 * "not-found" once some put was acknowledged before the get began; unless r or more of the
 * key's owners crashed (killed or churned: their copies went with them) within one settle
 * time S of each other meanwhile, faster than the ring copies keys again.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "checker.h"
#include "chord_judge.h"
#include "fl_assert.h"
#include "hist.h"

enum { CRASHES_MAX = 1024 };    /* crash and kill completions looked at; more: unknown */

/* One put, as far as the history says. */
struct put {
	const char *key;
	int64_t value;
	int64_t from, to;               /* invocation; completion (INT64_MAX unless ok) */
	bool ok;
	bool settled;                   /* ok, and the key's owners were quiet throughout */
	uint64_t ops[2];
};

/* A node crashed (churn) or killed (fault) at @at: its copies are gone. */
struct crash {
	uint32_t k;
	int64_t at;
};

struct kv_judge {
	struct judge *j;
	struct put *puts;
	uint32_t put_count;
	struct crash crashes[CRASHES_MAX];
	uint32_t crash_count;
	bool crashes_overflow;
	uint64_t judged, unjudged, excused;
};

static void crashes_of(struct kv_judge *kv, const char *json, const char *field, int64_t at)
{
	json_t *root = json_loads(json, 0, NULL);
	json_t *names = json_object_get(root, field);

	for (size_t i = 0; i < json_array_size(names); i++) {
		const char *name = json_string_value(json_array_get(names, i));
		int32_t k = name ? chord_judge_find(&kv->j->ring, name) : -1;

		if (k < 0)
			continue;
		if (kv->crash_count == CRASHES_MAX) {
			kv->crashes_overflow = true;
			break;
		}
		kv->crashes[kv->crash_count++] = (struct crash){ (uint32_t)k, at };
	}
	json_decref(root);
}

/*
 * Was put @w acknowledged while its key's owners were quiet (no fault, and no churn that
 * changed them, within S before it and during it)? Chord promises nothing of a put that a
 * node took while the ring was unsettled: two nodes may both have taken the key as its
 * primary (a partition, a join not yet known everywhere), and their versions then collide.
 * Such a put may be read or lost; only settled puts must be read.
 */
static bool settled(const struct kv_judge *kv, const struct put *w)
{
	uint64_t key = chord_hash(&kv->j->ring.space, w->key, strlen(w->key));

	return w->to < kv->j->unknown_from && chord_judge_quiet_key(kv->j, key, w->from, w->to);
}

/* The puts, and the crashes (churn "crashed", kill "killed") at their completions. */
static void collect(struct kv_judge *kv)
{
	const struct history *h = kv->j->h;

	for (uint64_t i = 0; i < h->count; i++) {
		const struct op *op = &h->ops[i];
		uint64_t done = hist_pair(h, i);

		if (op->process == OP_PROCESS_NEMESIS && op->type != OP_INVOKE &&
		    op->value.kind == OP_VALUE_JSON) {
			crashes_of(kv, op->value.json, strcmp(op->f, "kill") == 0 ? "killed"
						     : "crashed", op->time_ns);
			continue;
		}
		if (op->type != OP_INVOKE || strcmp(op->f, "put") != 0 || !op->key ||
		    op->value.kind != OP_VALUE_INT)
			continue;
		if (done != HIST_NO_PAIR && h->ops[done].type == OP_FAIL)
			continue;       /* nothing stored */
		kv->puts[kv->put_count] = (struct put){
			.key = op->key, .value = op->value.integer, .from = op->time_ns,
			.ok = done != HIST_NO_PAIR && h->ops[done].type == OP_OK,
			.to = done != HIST_NO_PAIR && h->ops[done].type == OP_OK
			      ? h->ops[done].time_ns : INT64_MAX,
			.ops = { i, done } };
		kv->puts[kv->put_count].settled = kv->puts[kv->put_count].ok &&
			settled(kv, &kv->puts[kv->put_count]);
		kv->put_count++;
	}
}

/* Was crash @c of an owner of @key (successor(key) or one of the r-1 members after it,
 * just before the crash)? */
static bool owner_crash(const struct kv_judge *kv, uint64_t key, const struct crash *c)
{
	bool member[NODES_MAX];
	uint32_t owners[NODES_MAX], count;

	if (chord_judge_members_at(kv->j, c->at - 1, member) == 0)
		return false;
	member[c->k] = true;            /* a crashed member still held its copies */
	count = chord_judge_owners(&kv->j->ring, member, key, owners);
	for (uint32_t i = 0; i < count; i++) {
		if (owners[i] == c->k)
			return true;
	}
	return false;
}

/*
 * The most distinct owners of @key that crashed within one settle time S of each other,
 * within [from, to]. The ring makes lost copies again within S (re-replication), so only r
 * owners crashing faster than that may lose a write.
 */
static uint32_t owners_crashed(const struct kv_judge *kv, uint64_t key, int64_t from,
			       int64_t to)
{
	uint32_t most = 0;

	for (uint32_t c = 0; c < kv->crash_count; c++) {
		bool seen[NODES_MAX] = { false };
		uint32_t count = 0;

		if (kv->crashes[c].at < from || kv->crashes[c].at > to)
			continue;
		for (uint32_t d = c; d < kv->crash_count; d++) {
			const struct crash *x = &kv->crashes[d];

			if (x->at > to || x->at > kv->crashes[c].at + kv->j->ring.settle_ns)
				break;  /* crashes come in history order */
			if (!seen[x->k] && owner_crash(kv, key, x)) {
				seen[x->k] = true;
				count++;
			}
		}
		most = count > most ? count : most;
	}
	return most;
}

/* Why the get @get (completed by @got) read what no put left there, into @why; false if it
 * is fine. @must is set to the newest put acknowledged before it began. */
static bool unexplained(const struct kv_judge *kv, const struct op *get, const struct op *got,
			const char *status, int64_t value, const struct put **must,
			char *why, size_t size)
{
	const struct put *newest = NULL;
	bool readable = false;

	for (uint32_t p = 0; p < kv->put_count; p++) {
		const struct put *w = &kv->puts[p];
		bool overwritten = false;

		if (strcmp(w->key, get->key) != 0)
			continue;
		if (w->settled && w->to < get->time_ns && (!newest || w->from > newest->to))
			newest = w;     /* acknowledged before the get: a later one supersedes */
		if (strcmp(status, "ok") != 0 || w->value != value || w->from > got->time_ns)
			continue;
		for (uint32_t q = 0; q < kv->put_count && !overwritten; q++) {
			const struct put *x = &kv->puts[q];

			overwritten = x->settled && strcmp(x->key, get->key) == 0 &&
				      w->to < x->from && x->to < get->time_ns;
		}
		readable |= !overwritten;
	}
	*must = newest;
	if (strcmp(status, "ok") == 0 && readable)
		return false;
	if (strcmp(status, "ok") != 0 && !newest)
		return false;   /* not-found before any put was acknowledged */
	if (strcmp(status, "ok") == 0)
		snprintf(why, size, "read %" PRId64 ", which no put wrote, or which a later put "
			 "in a quiet ring had overwritten before the get began", value);
	else
		snprintf(why, size, "found nothing");
	return true;
}

static void judge_get(struct kv_judge *kv, uint64_t gi, uint64_t gd, struct check_result *result)
{
	const struct history *h = kv->j->h;
	const struct op *get = &h->ops[gi], *got = &h->ops[gd];
	uint64_t key = chord_hash(&kv->j->ring.space, get->key, strlen(get->key));
	json_t *root = json_loads(got->value.json, 0, NULL);
	const char *status = json_string_value(json_object_get(root, "status"));
	int64_t value = (int64_t)json_integer_value(json_object_get(root, "value"));
	const struct put *must = NULL;
	char why[160];

	if (!status) {
		check_result_set_unknown(result, "op %" PRIu64 ": a get without a status", gd);
	} else if (got->time_ns >= kv->j->unknown_from ||
		   !chord_judge_quiet_key(kv->j, key, get->time_ns, got->time_ns)) {
		kv->unjudged++;
	} else if (kv->judged++, unexplained(kv, get, got, status, value, &must, why,
					      sizeof(why))) {
		uint32_t crashed = must ? owners_crashed(kv, key, must->to, get->time_ns) : 0;

		if (crashed >= kv->j->ring.succ_list || kv->crashes_overflow) {
			kv->excused++;
		} else {
			uint64_t ops[4] = { gi, gd, must ? must->ops[0] : gi,
					    must ? must->ops[1] : gd };

			check_result_add_anomaly(result, "lost-write", ops, must ? 4 : 2,
						 "get of %s at %s in a quiet ring %s; the put of %"
						 PRId64 " was acknowledged in a quiet ring before "
						 "it began, and at "
						 "most %" PRIu32 " of the key's %" PRIu32 " owners "
						 "crashed within S of each other since", get->key,
						 op_node(get) ? op_node(get) : "?", why,
						 must ? must->value : 0, crashed,
						 kv->j->ring.succ_list);
		}
	}
	json_decref(root);
}

void chord_kv_judge(struct judge *j, struct check_result *result)
{
	struct kv_judge *kv = calloc(1, sizeof(*kv));
	const struct history *h = j->h;

	if (kv)
		kv->puts = calloc(h->count / 2 + 1, sizeof(*kv->puts));
	if (!kv || !kv->puts) {
		check_result_set_unknown(result, "out of memory for the puts");
		free(kv);
		return;
	}
	kv->j = j;
	collect(kv);
	for (uint64_t i = 0; i < h->count; i++) {
		const struct op *op = &h->ops[i];
		uint64_t done = hist_pair(h, i);

		if (op->type == OP_INVOKE && strcmp(op->f, "get") == 0 && op->key &&
		    done != HIST_NO_PAIR && h->ops[done].type == OP_OK &&
		    h->ops[done].value.kind == OP_VALUE_JSON)
			judge_get(kv, i, done, result);
	}
	if (kv->put_count || kv->judged || kv->unjudged)
		check_result_add_figures(result, "chord: %u puts that may have stored; %" PRIu64
					 " gets in a quiet ring judged, %" PRIu64 " under faults "
					 "or churn not judged, %" PRIu64 " that lost a write "
					 "excused (r or more of the key's owners crashed within "
					 "S)\n",
					 kv->put_count, kv->judged, kv->unjudged, kv->excused);
	free(kv->puts);
	free(kv);
}
