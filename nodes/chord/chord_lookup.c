/* SPDX-License-Identifier: MIT */
/* chord_lookup.c - iterative lookups (the origin asks each hop in turn), the answers a node
 * gives to them, and fix-fingers, which is a lookup per finger. */
#include <string.h>

#include "chord_internal.h"
#include "fl_assert.h"

/* The known node that most closely precedes @key: fingers and successor list. */
static struct chord_peer closest_preceding(const struct chord_node *n, uint64_t key)
{
	struct chord_peer self = n->cfg.self, best = self;

	if (n->cfg.bugs & CHORD_BUG_CLOSEST_PRECEDING_SELF) {
		/* The bug: fingers only, highest first, and an empty one means "myself". */
		for (uint32_t j = n->cfg.bits; j-- > 0;) {
			if (!n->finger_set[j])
				return self;
			if (node_between(n, self.id, n->finger[j].id, key))
				return n->finger[j];
		}
		return self;
	}
	for (uint32_t j = 0; j < n->cfg.bits + n->succ_count; j++) {
		const struct chord_peer *c = j < n->cfg.bits ? &n->finger[j]
							     : &n->succ[j - n->cfg.bits];

		if (j < n->cfg.bits && !n->finger_set[j])
			continue;
		if (c->id == self.id || !node_between(n, self.id, c->id, key))
			continue;
		if (best.id == self.id || node_between(n, best.id, c->id, key))
			best = *c;
	}
	return best;
}

bool node_find_answer(const struct chord_node *n, uint64_t key, struct chord_msg *reply)
{
	struct chord_peer s;

	if (!n->joined || n->succ_count == 0 || key >= n->space.size)
		return false;
	s = n->succ[0];
	reply->key = key;
	if (node_in_half_open(n, n->cfg.self.id, key, s.id)) {
		reply->type = CHORD_MSG_FOUND;
		reply->next = s;
		reply->succ_count = n->succ_count;
		memcpy(reply->succ, n->succ, n->succ_count * sizeof(n->succ[0]));
	} else {
		reply->type = CHORD_MSG_NEXT;
		reply->next = closest_preceding(n, key);
	}
	return true;
}

static void lookup_end(struct chord_node *n, struct lookup *l, uint8_t status,
		       struct chord_peer owner)
{
	struct chord_event *e;

	switch (l->kind) {
	case LOOKUP_CLIENT:
		e = node_event(n, CHORD_EV_LOOKUP);
		if (e) {
			e->lookup = (struct chord_lookup_result){ .tag = l->tag, .key = l->key,
								  .status = status,
								  .hops = l->hops,
								  .path_count = l->path_count };
			if (status == CHORD_LOOKUP_OK)
				e->lookup.owner = owner;
			memcpy(e->lookup.path, l->path, l->path_count * sizeof(l->path[0]));
		}
		break;
	case LOOKUP_FINGER:
		if (status == CHORD_LOOKUP_OK)
			node_set_finger(n, l->finger, true, owner);
		break;
	case LOOKUP_JOIN:
		n->joining = false;
		node_event(n, CHORD_EV_JOIN_FAILED);
		break;
	case LOOKUP_KV:
		node_kv_found(n, l, status, owner);
		break;
	}
	l->kind = LOOKUP_FREE;
}

/*
 * A client's lookup found @owner: ask it whether it lives before the client is told, so no
 * answer names a node that died since its predecessor last heard from it. Fingers, joins
 * and merges take the answer as it is (their own checks follow).
 */
static void found(struct chord_node *n, struct lookup *l, struct chord_peer owner)
{
	struct chord_msg ping = { .type = CHORD_MSG_PING };
	struct rpc *r;

	if (l->kind != LOOKUP_CLIENT || owner.id == n->cfg.self.id) {
		lookup_end(n, l, CHORD_LOOKUP_OK, owner);
		return;
	}
	r = node_request(n, RPC_CONFIRM, owner, &ping);
	if (!r) {
		lookup_end(n, l, CHORD_LOOKUP_BUSY, owner);
		return;
	}
	r->lookup = (uint32_t)(l - n->lookups);
	l->confirming = true;
	l->owner = owner;
}

void node_lookup_confirmed(struct chord_node *n, const struct rpc *r, bool alive)
{
	struct lookup *l = &n->lookups[r->lookup];

	ASSERT(r->lookup < CHORD_LOOKUPS_MAX);
	if (l->kind == LOOKUP_FREE || !l->confirming || l->owner.id != r->peer.id)
		return;
	lookup_end(n, l, alive ? CHORD_LOOKUP_OK : CHORD_LOOKUP_TIMEOUT, l->owner);
}

static void path_add(struct lookup *l, uint64_t id)
{
	ASSERT(l->path_count < CHORD_PATH_MAX);
	l->path[l->path_count++] = id;
}

static void follow(struct chord_node *n, struct lookup *l, struct chord_peer next);

/* Asks @peer for the next step; this node answers itself when it is the one asked. */
static void ask(struct chord_node *n, struct lookup *l, struct chord_peer peer)
{
	struct chord_msg m = { .type = CHORD_MSG_FIND, .key = l->key };
	struct rpc *r;

	l->hops++;
	path_add(l, peer.id);
	l->current = peer.id;
	if (peer.id == n->cfg.self.id) {
		if (!node_find_answer(n, l->key, &m)) {
			lookup_end(n, l, CHORD_LOOKUP_NOT_JOINED, peer);
		} else if (m.type == CHORD_MSG_FOUND) {
			found(n, l, m.next);
		} else {
			follow(n, l, m.next);
		}
		return;
	}
	r = node_request(n, RPC_FIND, peer, &m);
	if (!r) {
		lookup_end(n, l, CHORD_LOOKUP_BUSY, peer);
		return;
	}
	r->lookup = (uint32_t)(l - n->lookups);
}

/* The node asked last proposed @next: it must be strictly closer to the key. */
static void follow(struct chord_node *n, struct lookup *l, struct chord_peer next)
{
	if (chord_distance(&n->space, next.id, l->key) >=
	    chord_distance(&n->space, l->current, l->key)) {
		path_add(l, next.id);
		lookup_end(n, l, CHORD_LOOKUP_NO_PROGRESS, next);
		return;
	}
	if (l->hops >= n->cfg.bits + n->r) {
		lookup_end(n, l, CHORD_LOOKUP_TOO_LONG, next);
		return;
	}
	ask(n, l, next);
}

/* A lookup as @want says (kind, key, tag, finger, kv_op, kv_value), from here or @via. */
static void start(struct chord_node *n, const struct lookup *want, const struct chord_peer *via)
{
	struct lookup *l = NULL;
	struct chord_msg local = { 0 };
	uint64_t key = want->key;

	for (uint32_t i = 0; i < CHORD_LOOKUPS_MAX && !l; i++) {
		if (n->lookups[i].kind == LOOKUP_FREE)
			l = &n->lookups[i];
	}
	if (!l) {
		struct lookup full = *want;

		full.path_count = 1;
		full.path[0] = n->cfg.self.id;
		n->overflow_count++;
		lookup_end(n, &full, CHORD_LOOKUP_BUSY, n->cfg.self);
		return;
	}
	*l = *want;
	l->current = n->cfg.self.id;
	l->path_count = 1;
	l->path[0] = n->cfg.self.id;
	if (via) {
		ask(n, l, *via);        /* a joiner knows nobody else */
		return;
	}
	if (!node_find_answer(n, key, &local)) {
		lookup_end(n, l, CHORD_LOOKUP_NOT_JOINED, n->cfg.self);
		return;
	}
	if (local.type == CHORD_MSG_FOUND)
		found(n, l, local.next);
	else
		follow(n, l, local.next);
}

void node_lookup_start(struct chord_node *n, uint8_t kind, uint64_t key, uint64_t tag,
		       uint32_t finger, const struct chord_peer *via)
{
	start(n, &(struct lookup){ .kind = kind, .key = key, .tag = tag, .finger = finger }, via);
}

void node_lookup_start_kv(struct chord_node *n, uint8_t op, uint64_t key, int64_t value,
			  uint64_t tag)
{
	start(n, &(struct lookup){ .kind = LOOKUP_KV, .key = key, .tag = tag, .kv_op = op,
				   .kv_value = value }, NULL);
}

void node_lookup_reply(struct chord_node *n, const struct rpc *r, const struct chord_msg *m)
{
	struct lookup *l = &n->lookups[r->lookup];

	ASSERT(r->lookup < CHORD_LOOKUPS_MAX);
	if (l->kind == LOOKUP_FREE || l->confirming || l->current != r->peer.id ||
	    m->key != l->key)
		return;
	if (m->type == CHORD_MSG_NEXT) {
		follow(n, l, m->next);
		return;
	}
	if (l->kind == LOOKUP_JOIN || l->kind == LOOKUP_MERGE) {
		uint8_t kind = l->kind;

		l->kind = LOOKUP_FREE;
		if (kind == LOOKUP_JOIN)
			node_join_found(n, m->next, m->succ, m->succ_count);
		else
			node_merge_found(n, m->succ, m->succ_count);
		return;
	}
	found(n, l, m->next);
}

void node_lookup_timeout(struct chord_node *n, const struct rpc *r)
{
	struct lookup *l = &n->lookups[r->lookup];

	ASSERT(r->lookup < CHORD_LOOKUPS_MAX);
	if (l->kind != LOOKUP_FREE && !l->confirming && l->current == r->peer.id)
		lookup_end(n, l, CHORD_LOOKUP_TIMEOUT, r->peer);
}

void node_fix_next_finger(struct chord_node *n)
{
	uint32_t j = n->next_finger;

	n->next_finger = (j + 1) % n->cfg.bits;
	for (uint32_t i = 0; i < CHORD_LOOKUPS_MAX; i++) {
		if (n->lookups[i].kind == LOOKUP_FINGER && n->lookups[i].finger == j)
			return;         /* still looking */
	}
	node_lookup_start(n, LOOKUP_FINGER, chord_finger_start(&n->space, n->cfg.self.id, j), 0,
			  j, NULL);
}

bool node_lookup_busy(const struct chord_node *n, uint8_t kind)
{
	for (uint32_t i = 0; i < CHORD_LOOKUPS_MAX; i++) {
		if (n->lookups[i].kind == kind)
			return true;
	}
	return false;
}

/* Every lookup in progress ends: a client's as NOT_JOINED (the node is leaving), the others
 * silently (a join's does not fail: it was given up). */
void node_lookups_abandon(struct chord_node *n)
{
	for (uint32_t i = 0; i < CHORD_LOOKUPS_MAX; i++) {
		struct lookup *l = &n->lookups[i];

		if (l->kind == LOOKUP_CLIENT)
			lookup_end(n, l, CHORD_LOOKUP_NOT_JOINED, (struct chord_peer){ 0 });
		l->kind = LOOKUP_FREE;
	}
}
