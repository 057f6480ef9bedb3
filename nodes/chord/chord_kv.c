/* SPDX-License-Identifier: MIT */
/*
 * chord_kv.c - the key-value layer on the ring (Stoica et al. sec. II: a key lives at
 * successor(key); DHash-style replicas on the r-1 nodes after it). A put or a get looks the
 * owner up, then asks it. The owner (the key's primary: key in (pred, self]) numbers a put's
 * versions and acknowledges it once its replicas have the value. Each tick a member looks at
 * one stored key: as its primary it sends the copy to its successors (re-replication, once a
 * failure changed who they are); otherwise it sends it to its predecessor (handoff: a joiner
 * gets its keys from its successor, and copies flow back toward the primary). A node that
 * leaves pushes the keys it is primary for to its successor, then holds nothing.
 *
 * A replica acks a copy with the version and value it holds afterwards. A primary that
 * numbered a put before an older copy reached it (a joiner whose handoff is still on its
 * way, or two primaries across a heal) hears of a newer version, or of another value at
 * its own, and stores the put again above it before it answers: the put is not lost to a
 * copy it never saw.
 */
#include <string.h>

#include "chord_internal.h"
#include "fl_assert.h"

enum { KV_PUT_REDOS_MAX = 2 };  /* a put stored again above a replica's newer version */

/* Is this node the key's primary? Without a predecessor it cannot tell, and serves. */
static bool primary(const struct chord_node *n, uint64_t key)
{
	return !n->has_pred || node_in_half_open(n, n->pred.id, key, n->cfg.self.id);
}

static struct kv_entry *entry_of(struct chord_node *n, uint64_t key)
{
	for (uint32_t i = 0; i < CHORD_KV_KEYS_MAX; i++) {
		if (n->kv[i].used && n->kv[i].key == key)
			return &n->kv[i];
	}
	return NULL;
}

/* Keep @value at @version for @key if it is newer than ours. Return: false if the store is
 * full (the copy is refused). */
static bool keep(struct chord_node *n, uint64_t key, int64_t value, uint64_t version)
{
	struct kv_entry *e = entry_of(n, key);
	struct chord_event *ev;

	for (uint32_t i = 0; i < CHORD_KV_KEYS_MAX && !e; i++) {
		if (!n->kv[i].used) {
			e = &n->kv[i];
			*e = (struct kv_entry){ .used = true, .key = key };
		}
	}
	if (!e)
		return false;
	if (version <= e->version)
		return true;
	e->version = version;
	e->value = value;
	ev = node_event(n, CHORD_EV_STORED);
	if (ev)
		ev->stored = (struct chord_stored){ .key = key, .version = version,
						    .value = value };
	return true;
}

/* The r-1 nodes after this one that hold its keys' copies; how many. */
static uint32_t replicas(const struct chord_node *n, struct chord_peer *out)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n->succ_count && k + 1 < n->r; i++) {
		if (n->succ[i].id != n->cfg.self.id)
			out[k++] = n->succ[i];
	}
	return k;
}

static void copy_to(struct chord_node *n, struct chord_peer to, const struct kv_entry *e)
{
	struct chord_msg m = { .type = CHORD_MSG_KV_STORE, .key = e->key, .value = e->value,
			       .version = e->version };

	node_send(n, to, &m);   /* rpc 0: no answer wanted */
}

static void result_event(struct chord_node *n, const struct chord_kv_result *r)
{
	struct chord_event *e = node_event(n, CHORD_EV_KV);

	if (e)
		e->kv = *r;
}

static void ack(struct chord_node *n, struct chord_peer to, uint32_t rpc, uint64_t key,
		uint8_t status, int64_t value, uint64_t version)
{
	struct chord_msg m = { .type = CHORD_MSG_KV_ACK, .rpc = rpc, .key = key,
			       .status = status, .value = value, .version = version };

	if (to.id == n->cfg.self.id)
		return;
	node_send(n, to, &m);
}

/* The put @p has every copy it waited for: its origin learns the version. */
static void put_done(struct chord_node *n, struct kv_pending *p, const struct chord_kv_result *r)
{
	if (p->origin.id == n->cfg.self.id) {
		struct chord_kv_result done = *r;

		done.status = CHORD_KV_OK;
		done.version = p->version;
		done.owner = n->cfg.self;
		result_event(n, &done);
	} else {
		ack(n, p->origin, p->origin_rpc, p->key, CHORD_KV_OK, p->value, p->version);
	}
	p->used = false;
}

/* The put in pending @slot to every replica, at its version; done at once without any. */
static void copies_send(struct chord_node *n, struct kv_pending *p, uint32_t slot)
{
	struct chord_peer to[CHORD_SUCC_MAX];
	uint32_t count = replicas(n, to);

	ASSERT(p == &n->pending[slot] && p->waiting == 0);
	for (uint32_t i = 0; i < count; i++) {
		struct chord_msg m = { .type = CHORD_MSG_KV_STORE, .key = p->key,
				       .value = p->value, .version = p->version };
		struct rpc *r = node_request(n, RPC_KV_COPY, to[i], &m);

		if (r) {
			r->lookup = slot;
			r->kv.key = p->key;     /* its ack names the key */
			p->waiting++;
		}
	}
	if (p->waiting == 0)
		put_done(n, p, &p->kv);
}

/* This node, the primary, takes a put from @origin (itself for a local one, with @local its
 * result so far): store at the next version, copy to the replicas, answer when they ack. */
static void own_put(struct chord_node *n, struct chord_peer origin, uint32_t origin_rpc,
		    uint64_t key, int64_t value, const struct chord_kv_result *local)
{
	struct kv_entry *e = entry_of(n, key);
	struct kv_pending *p = NULL;
	uint32_t slot = 0;

	for (uint32_t i = 0; i < CHORD_KV_PENDING_MAX && !p; i++) {
		if (!n->pending[i].used)
			p = &n->pending[slot = i];
	}
	if (!p || !keep(n, key, value, (e ? e->version : 0) + 1)) {
		struct chord_kv_result full = *local;

		full.status = CHORD_KV_FULL;
		full.owner = n->cfg.self;
		if (origin.id == n->cfg.self.id)
			result_event(n, &full);
		else
			ack(n, origin, origin_rpc, key, CHORD_KV_FULL, value, 0);
		n->overflow_count += !p;
		return;
	}
	e = entry_of(n, key);
	ASSERT(e);
	*p = (struct kv_pending){ .used = true, .origin = origin, .origin_rpc = origin_rpc,
				  .key = key, .version = e->version, .value = value,
				  .kv = *local };
	copies_send(n, p, slot);
}

static void own_get(struct chord_node *n, struct chord_kv_result *r)
{
	const struct kv_entry *e = entry_of(n, r->key);

	r->owner = n->cfg.self;
	r->status = e ? CHORD_KV_OK : CHORD_KV_NOT_FOUND;
	r->value = e ? e->value : 0;
	r->version = e ? e->version : 0;
}

/* A put's or get's lookup ended: ask the owner it found (or serve, if it is this node). */
void node_kv_found(struct chord_node *n, const struct lookup *l, uint8_t lookup_status,
		   struct chord_peer owner)
{
	struct chord_kv_result r = { .tag = l->tag, .key = l->key, .op = l->kv_op,
				     .value = l->kv_value, .hops = l->hops };
	struct chord_msg m = { .key = l->key, .value = l->kv_value };
	struct rpc *req;

	if (lookup_status != CHORD_LOOKUP_OK) {
		r.status = CHORD_KV_NO_OWNER;
		r.lookup_status = lookup_status;
		result_event(n, &r);
		return;
	}
	if (owner.id == n->cfg.self.id) {
		if (!primary(n, r.key)) {
			r.status = CHORD_KV_NOT_OWNER;
			r.owner = owner;
			result_event(n, &r);
		} else if (r.op == CHORD_KV_PUT) {
			own_put(n, n->cfg.self, 0, r.key, r.value, &r);
		} else {
			own_get(n, &r);
			result_event(n, &r);
		}
		return;
	}
	m.type = r.op == CHORD_KV_PUT ? CHORD_MSG_KV_PUT : CHORD_MSG_KV_GET;
	req = node_request(n, RPC_KV, owner, &m);
	if (!req) {
		r.status = CHORD_KV_NO_OWNER;
		r.lookup_status = CHORD_LOOKUP_BUSY;
		result_event(n, &r);
		return;
	}
	r.owner = owner;
	req->kv = r;
	/* The owner answers a put once its copies are acked or timed out: allow for that. */
	req->deadline = n->now + 3 * (uint64_t)n->cfg.rpc_timeout_ticks;
}

bool node_kv_answer(struct chord_node *n, const struct chord_msg *m)
{
	struct chord_kv_result r = { .key = m->key, .op = CHORD_KV_GET };

	switch (m->type) {
	case CHORD_MSG_KV_PUT:
		if (m->key >= n->space.size || !primary(n, m->key))
			ack(n, m->from, m->rpc, m->key, CHORD_KV_NOT_OWNER, 0, 0);
		else
			own_put(n, m->from, m->rpc, m->key, m->value, &r);
		return true;
	case CHORD_MSG_KV_GET:
		if (m->key >= n->space.size || !primary(n, m->key)) {
			ack(n, m->from, m->rpc, m->key, CHORD_KV_NOT_OWNER, 0, 0);
		} else {
			own_get(n, &r);
			ack(n, m->from, m->rpc, m->key, r.status, r.value, r.version);
		}
		return true;
	case CHORD_MSG_KV_STORE: {
		bool kept = m->key < n->space.size && m->version > 0 &&
			    keep(n, m->key, m->value, m->version);
		const struct kv_entry *e = kept ? entry_of(n, m->key) : NULL;

		/* What this replica holds now: the copy, or a newer version it had. */
		if (m->rpc != 0)
			ack(n, m->from, m->rpc, m->key, kept ? CHORD_KV_OK : CHORD_KV_FULL,
			    e ? e->value : m->value, e ? e->version : m->version);
		return true;
	}
	default:
		return false;
	}
}

/* Every replica answered and one held a newer version, or another value at ours: store the
 * put again above the newest heard, and copy it again. */
static void put_redo(struct chord_node *n, struct kv_pending *p, uint32_t slot)
{
	const struct kv_entry *e = entry_of(n, p->key);
	uint64_t version = (e && e->version > p->newest ? e->version : p->newest) + 1;

	p->superseded = false;
	p->redos++;
	if (!keep(n, p->key, p->value, version)) {
		put_done(n, p, &p->kv);         /* the store is full: as it was stored */
		return;
	}
	p->version = version;
	copies_send(n, p, slot);
}

/* A replica acked with what it holds (@m), or timed out (@m NULL: it is forgotten, and
 * re-replication will find another). */
static void copy_heard(struct chord_node *n, const struct rpc *r, const struct chord_msg *m)
{
	struct kv_pending *p = &n->pending[r->lookup];

	ASSERT(r->lookup < CHORD_KV_PENDING_MAX);
	if (!p->used || p->waiting == 0)
		return;
	if (m && m->status == CHORD_KV_OK && m->key == p->key &&
	    (m->version > p->version || (m->version == p->version && m->value != p->value))) {
		p->superseded = true;
		p->newest = m->version > p->newest ? m->version : p->newest;
	}
	if (--p->waiting > 0)
		return;
	if (p->superseded && p->redos < KV_PUT_REDOS_MAX)
		put_redo(n, p, r->lookup);
	else
		put_done(n, p, &p->kv);
}

void node_kv_reply(struct chord_node *n, const struct rpc *r, const struct chord_msg *m)
{
	struct chord_kv_result done = r->kv;

	if (r->purpose == RPC_KV_COPY) {
		copy_heard(n, r, m);
		return;
	}
	done.status = m->status >= CHORD_KV_OK && m->status <= CHORD_KV_FULL ? m->status
									      : CHORD_KV_UNKNOWN;
	done.version = m->version;
	if (done.op == CHORD_KV_GET)
		done.value = m->value;
	result_event(n, &done);
}

void node_kv_timeout(struct chord_node *n, const struct rpc *r)
{
	struct chord_kv_result done = r->kv;

	if (r->purpose == RPC_KV_COPY) {
		copy_heard(n, r, NULL);
		return;
	}
	done.status = CHORD_KV_UNKNOWN;
	result_event(n, &done);
}

void node_kv_tick(struct chord_node *n)
{
	struct chord_peer to[CHORD_SUCC_MAX];
	const struct kv_entry *e = NULL;

	for (uint32_t k = 0; k < CHORD_KV_KEYS_MAX && !e; k++) {
		uint32_t i = (n->kv_next + k) % CHORD_KV_KEYS_MAX;

		if (n->kv[i].used) {
			e = &n->kv[i];
			n->kv_next = i + 1;
		}
	}
	if (!e)
		return;
	if (primary(n, e->key)) {
		uint32_t count = n->cfg.bugs & CHORD_BUG_NO_REREPLICATE ? 0 : replicas(n, to);

		for (uint32_t i = 0; i < count; i++)
			copy_to(n, to[i], e);
	} else if (n->has_pred && n->pred.id != n->cfg.self.id &&
		   !(n->cfg.bugs & CHORD_BUG_NO_HANDOFF)) {
		copy_to(n, n->pred, e);
	}
}

void node_kv_leave(struct chord_node *n)
{
	for (uint32_t i = 0; i < CHORD_KV_KEYS_MAX; i++) {
		if (n->kv[i].used && primary(n, n->kv[i].key) && n->succ_count > 0 &&
		    n->succ[0].id != n->cfg.self.id)
			copy_to(n, n->succ[0], &n->kv[i]);
	}
	memset(n->kv, 0, sizeof(n->kv));
	memset(n->pending, 0, sizeof(n->pending));
	n->kv_next = 0;
}

uint32_t node_kv_count(const struct chord_node *n)
{
	uint32_t count = 0;

	for (uint32_t i = 0; i < CHORD_KV_KEYS_MAX; i++)
		count += n->kv[i].used;
	return count;
}

uint32_t chord_node_keys(const struct chord_node *n, struct chord_stored *out, uint32_t max)
{
	uint32_t count = 0;

	for (uint32_t i = 0; i < CHORD_KV_KEYS_MAX && count < max; i++) {
		if (n->kv[i].used)
			out[count++] = (struct chord_stored){ .key = n->kv[i].key,
							      .version = n->kv[i].version,
							      .value = n->kv[i].value };
	}
	return count;
}
