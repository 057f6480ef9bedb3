/* SPDX-License-Identifier: MIT */
/* chord.c - a Chord node as a pure step function: pointers, stabilize/rectify as Zave
 * corrected them, check-predecessor, fix-fingers and iterative lookups (chord.h). */
#include "chord.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chord_internal.h"
#include "errbuf.h"
#include "fl_assert.h"

static const char *const bug_names[] = {
	"no-wraparound", "original-stabilize", "succ-list-1", "closest-preceding-self",
	"no-fix-fingers", "no-handoff", "no-rereplicate",
};

int chord_bug_parse(const char *name, uint32_t *flag)
{
	for (unsigned i = 0; i < sizeof(bug_names) / sizeof(bug_names[0]); i++) {
		if (strcmp(name, bug_names[i]) == 0) {
			*flag = 1u << i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *chord_bug_name(uint32_t flag)
{
	for (unsigned i = 0; i < sizeof(bug_names) / sizeof(bug_names[0]); i++) {
		if (flag == 1u << i)
			return bug_names[i];
	}
	return NULL;
}

/* ---- Arcs, as this node sees them (a seeded bug may forget the wrap) ------------------ */

bool node_between(const struct chord_node *n, uint64_t x, uint64_t y, uint64_t z)
{
	if (n->cfg.bugs & CHORD_BUG_NO_WRAPAROUND)
		return x < y && y < z;
	return chord_between(&n->space, x, y, z);
}

bool node_in_half_open(const struct chord_node *n, uint64_t x, uint64_t y, uint64_t z)
{
	return y == z || node_between(n, x, y, z);
}

/* ---- Outputs ---------------------------------------------------------------------------- */

struct chord_event *node_event(struct chord_node *n, uint8_t type)
{
	struct chord_event *e;

	if (n->out->event_count == CHORD_OUT_EVENTS_MAX) {
		n->overflow_count++;
		return NULL;
	}
	e = &n->out->events[n->out->event_count++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	return e;
}

void node_send(struct chord_node *n, struct chord_peer to, const struct chord_msg *m)
{
	struct chord_send *s;

	ASSERT(to.id != n->cfg.self.id);
	if (n->out->send_count == CHORD_OUT_SENDS_MAX) {
		n->overflow_count++;
		return;
	}
	s = &n->out->sends[n->out->send_count++];
	s->to = to.addr;
	s->msg = *m;
	s->msg.from = n->cfg.self;
}

/* A request to @to, remembered until its reply or its timeout; NULL if none is free. */
struct rpc *node_request(struct chord_node *n, uint8_t purpose, struct chord_peer to,
			 struct chord_msg *m)
{
	for (uint32_t i = 0; i < CHORD_RPCS_MAX; i++) {
		struct rpc *r = &n->rpcs[i];

		if (r->purpose != RPC_FREE)
			continue;
		*r = (struct rpc){ .purpose = purpose, .number = ++n->rpc_next, .peer = to,
				   .deadline = n->now + n->cfg.rpc_timeout_ticks };
		m->rpc = r->number;
		node_send(n, to, m);
		return r;
	}
	n->overflow_count++;
	return NULL;
}

/* ---- Pointers ---------------------------------------------------------------------------- */

static bool same_peers(const struct chord_peer *a, const struct chord_peer *b, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		if (a[i].id != b[i].id || a[i].addr != b[i].addr)
			return false;
	}
	return true;
}

/* Puts @p at the end of the dropped successors (once; the oldest goes when full). */
static void dropped_push(struct chord_node *n, struct chord_peer p)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n->dropped_count; i++) {
		if (n->dropped[i].id != p.id)
			n->dropped[k++] = n->dropped[i];
	}
	if (k == CHORD_SUCC_MAX) {
		memmove(n->dropped, n->dropped + 1, (k - 1) * sizeof(n->dropped[0]));
		k--;
	}
	n->dropped[k++] = p;
	n->dropped_count = k;
}

/* Takes the oldest dropped successor other than @not into @out; false if there is none. */
static bool dropped_take(struct chord_node *n, uint64_t not, struct chord_peer *out)
{
	for (uint32_t i = 0; i < n->dropped_count; i++) {
		if (n->dropped[i].id == not)
			continue;
		*out = n->dropped[i];
		memmove(n->dropped + i, n->dropped + i + 1,
			(n->dropped_count - i - 1) * sizeof(n->dropped[0]));
		n->dropped_count--;
		return true;
	}
	return false;
}

void node_set_succ(struct chord_node *n, const struct chord_peer *list, uint32_t count)
{
	struct chord_event *e;

	if (count > n->r)
		count = n->r;
	if (count == n->succ_count && same_peers(list, n->succ, count))
		return;
	for (uint32_t i = 0; i < n->succ_count && n->joined; i++) {
		bool kept = n->succ[i].id == n->cfg.self.id;

		for (uint32_t k = 0; k < count && !kept; k++)
			kept = list[k].id == n->succ[i].id;
		if (!kept)
			dropped_push(n, n->succ[i]);    /* a fallback, should the new ones die */
	}
	memmove(n->succ, list, count * sizeof(*list));
	n->succ_count = (uint8_t)count;
	e = node_event(n, CHORD_EV_SUCC);
	if (e) {
		e->succ_count = n->succ_count;
		memcpy(e->succ, n->succ, count * sizeof(*list));
	}
}

void node_set_pred(struct chord_node *n, bool has, struct chord_peer p)
{
	struct chord_event *e;

	if (has == n->has_pred && (!has || (p.id == n->pred.id && p.addr == n->pred.addr)))
		return;
	n->has_pred = has;
	n->pred = has ? p : (struct chord_peer){ 0 };
	e = node_event(n, CHORD_EV_PRED);
	if (e) {
		e->has_peer = has;
		e->peer = n->pred;
	}
}

void node_set_finger(struct chord_node *n, uint32_t j, bool set, struct chord_peer p)
{
	struct chord_event *e;

	ASSERT(j < n->cfg.bits);
	if (set == n->finger_set[j] &&
	    (!set || (p.id == n->finger[j].id && p.addr == n->finger[j].addr)))
		return;
	n->finger_set[j] = set;
	n->finger[j] = set ? p : (struct chord_peer){ 0 };
	e = node_event(n, CHORD_EV_FINGER);
	if (e) {
		e->index = j;
		e->has_peer = set;
		e->peer = n->finger[j];
	}
}

/* @head then @list: the list a node takes from its successor (Zave's inherit). */
static uint32_t prefixed(const struct chord_node *n, struct chord_peer head,
			 const struct chord_peer *list, uint32_t count, struct chord_peer *out)
{
	uint32_t k = 0;

	out[k++] = head;
	for (uint32_t i = 0; i < count && k < n->r; i++)
		out[k++] = list[i];
	return k;
}

/* A request to @dead timed out: it leaves the successor list and the fingers. */
void node_forget(struct chord_node *n, uint64_t dead)
{
	struct chord_peer kept[CHORD_SUCC_MAX], gone = { 0 };
	uint32_t k = 0;
	bool listed = false;

	if (dead == n->cfg.self.id)
		return;
	for (uint32_t i = 0; i < n->succ_count; i++) {
		if (n->succ[i].id != dead)
			kept[k++] = n->succ[i];
		else
			listed = true, gone = n->succ[i];
	}
	if (k == 0 && listed && n->joined) {
		/* Never an empty list: under Zave's failure assumption some successor lives,
		 * so all of them silent means a partition, a timeout that proved nothing, or
		 * the assumption broken. Ask the successors dropped earlier again, in turn,
		 * else this one; stale (and not passed on) until a successor answers. */
		bool original = n->cfg.bugs & CHORD_BUG_ORIGINAL_STABILIZE;     /* no fallback */

		n->succ_stale = true;
		if (original || !dropped_take(n, dead, &kept[k]))
			kept[k] = gone;
		k++;
	}
	node_set_succ(n, kept, k);     /* @gone joins the dropped ones, if it left the list */
	for (uint32_t j = 0; j < n->cfg.bits; j++) {
		if (n->finger_set[j] && n->finger[j].id == dead)
			node_set_finger(n, j, false, (struct chord_peer){ 0 });
	}
}

/* ---- Stabilize, rectify, check-predecessor --------------------------------------------- */

static void notify(struct chord_node *n, struct chord_peer to)
{
	struct chord_msg m = { .type = CHORD_MSG_NOTIFY };

	if (to.id != n->cfg.self.id)
		node_send(n, to, &m);
}

/* Successor @s answered: its predecessor @p (if @has_p) and its list. */
static void stabilize_answer(struct chord_node *n, struct chord_peer s, bool has_p,
			     struct chord_peer p, const struct chord_peer *list, uint32_t count)
{
	struct chord_peer merged[CHORD_SUCC_MAX + 1];
	uint32_t k = prefixed(n, s, list, count, merged);
	uint64_t self = n->cfg.self.id;

	n->succ_stale = false;
	if (has_p && p.id != self && node_between(n, self, p.id, s.id)) {
		if (n->cfg.bugs & CHORD_BUG_ORIGINAL_STABILIZE) {
			/* 2001: "successor = x", alive or not (the list's head only: the rest
			 * comes from x at the next round), and notify it. */
			struct chord_peer adopted[CHORD_SUCC_MAX];
			uint32_t rest = n->succ_count > 0 ? n->succ_count - 1u : 0;

			adopted[0] = p;
			memcpy(adopted + 1, n->succ + 1, rest * sizeof(p));
			node_set_succ(n, adopted, rest + 1);
			notify(n, p);
			n->stabilizing = false;
			return;
		}
		node_set_succ(n, merged, k);
		/* Zave: ask p for its list before adopting it; the answer proves it alive. */
		struct chord_msg m = { .type = CHORD_MSG_GET_NEIGHBOURS };
		if (node_request(n, RPC_ADOPT, p, &m))
			return;
	}
	node_set_succ(n, merged, k);
	if (n->succ_count)
		notify(n, n->succ[0]);
	n->stabilizing = false;
}

static void stabilize(struct chord_node *n)
{
	struct chord_msg m = { .type = CHORD_MSG_GET_NEIGHBOURS };
	struct chord_peer s;

	if (!n->joined || n->stabilizing || n->succ_count == 0)
		return;
	s = n->succ[0];
	n->stabilizing = true;
	if (s.id == n->cfg.self.id) {
		/* Alone on the ring, or so it thinks: its own pointers answer. */
		stabilize_answer(n, s, n->has_pred, n->pred, n->succ, n->succ_count);
		return;
	}
	if (!node_request(n, RPC_STABILIZE, s, &m))
		n->stabilizing = false;
}

/* A notification from @m: Zave's rectify (the 2001 notify under original-stabilize). */
static void rectify(struct chord_node *n, struct chord_peer m)
{
	uint64_t self = n->cfg.self.id;
	struct chord_msg ping = { .type = CHORD_MSG_PING };
	struct rpc *r;

	if (m.id == self || !n->joined)
		return;
	if (!n->has_pred || n->pred.id == m.id || node_between(n, n->pred.id, m.id, self)) {
		node_set_pred(n, true, m);
		return;
	}
	if (n->cfg.bugs & CHORD_BUG_ORIGINAL_STABILIZE)
		return;
	/* m is not closer; it replaces the predecessor only if that one is dead. */
	for (uint32_t i = 0; i < CHORD_RPCS_MAX; i++) {
		if (n->rpcs[i].purpose == RPC_RECTIFY)
			return;         /* one question at a time */
	}
	r = node_request(n, RPC_RECTIFY, n->pred, &ping);
	if (r)
		r->candidate = m;
}

static void check_pred(struct chord_node *n)
{
	struct chord_msg ping = { .type = CHORD_MSG_PING };

	if (!n->has_pred || n->checking_pred || n->pred.id == n->cfg.self.id)
		return;
	if (node_request(n, RPC_CHECK_PRED, n->pred, &ping))
		n->checking_pred = true;
}

/* ---- Joining ------------------------------------------------------------------------------ */

/* The join's lookup of our id found @owner; @list is the answering predecessor's list. */
void node_join_found(struct chord_node *n, struct chord_peer owner,
		     const struct chord_peer *list, uint32_t count)
{
	struct chord_peer taken[CHORD_SUCC_MAX];
	struct chord_msg m = { .type = CHORD_MSG_GET_NEIGHBOURS };
	uint32_t k = 0;

	(void)owner;    /* list[0] is the owner, as its predecessor knows it */
	for (uint32_t i = 0; i < count && k < n->r; i++) {
		if (list[i].id != n->cfg.self.id)
			taken[k++] = list[i];   /* an earlier life of ours is not our successor */
	}
	if (k == 0 || !node_request(n, RPC_JOIN_SUCC, taken[0], &m)) {
		n->joining = false;
		node_event(n, CHORD_EV_JOIN_FAILED);
		return;
	}
	node_set_succ(n, taken, k);
}

/* A merge's lookup of our id, through a node perhaps on another ring, ended at our
 * predecessor there: its list starts with our successor there. One closer than ours (or
 * any, when we have none) is adopted once it answers (Zave: check before adopting). */
void node_merge_found(struct chord_node *n, const struct chord_peer *list, uint32_t count)
{
	struct chord_msg m = { .type = CHORD_MSG_GET_NEIGHBOURS };
	uint64_t self = n->cfg.self.id;
	uint32_t k = 0;

	while (k < count && list[k].id == self)
		k++;
	if (k == count)
		return;
	if (n->succ_count > 0 && n->succ[0].id != self && !n->succ_stale &&
	    !node_between(n, self, list[k].id, n->succ[0].id))
		return;                 /* ours is as close: the rings agree here */
	for (uint32_t i = 0; i < CHORD_RPCS_MAX; i++) {
		if (n->rpcs[i].purpose == RPC_MERGE)
			return;
	}
	node_request(n, RPC_MERGE, list[k], &m);
}

static void join_answer(struct chord_node *n, struct chord_peer s, const struct chord_peer *list,
			uint32_t count)
{
	struct chord_peer merged[CHORD_SUCC_MAX + 1];
	uint32_t k = prefixed(n, s, list, count, merged);
	struct chord_event *e;

	node_set_succ(n, merged, k);
	n->succ_stale = false;
	n->joined = true;
	n->joining = false;
	n->next_stabilize = n->now + 1;
	e = node_event(n, CHORD_EV_JOINED);
	if (e) {
		e->succ_count = n->succ_count;
		memcpy(e->succ, n->succ, n->succ_count * sizeof(n->succ[0]));
	}
	notify(n, s);
}

/* ---- Requests and replies ------------------------------------------------------------------ */

/* Only a member answers: a node that left, or has not joined yet, looks dead. */
static void answer(struct chord_node *n, const struct chord_msg *in)
{
	struct chord_msg m = { .rpc = in->rpc };

	if (!n->joined || node_kv_answer(n, in))
		return;
	switch (in->type) {
	case CHORD_MSG_PING:
		m.type = CHORD_MSG_PONG;
		break;
	case CHORD_MSG_GET_NEIGHBOURS:
		m.type = CHORD_MSG_NEIGHBOURS;
		m.has_pred = n->has_pred;
		m.pred = n->pred;
		/* A stale successor may be dead: not to be copied into others' lists. */
		m.succ_count = n->succ_stale ? 0 : n->succ_count;
		memcpy(m.succ, n->succ, m.succ_count * sizeof(n->succ[0]));
		break;
	case CHORD_MSG_FIND:
		if (!node_find_answer(n, in->key, &m))
			return;
		break;
	default:
		return;
	}
	node_send(n, in->from, &m);
}

static bool reply_fits(const struct rpc *r, const struct chord_msg *m)
{
	switch (r->purpose) {
	case RPC_STABILIZE:
	case RPC_ADOPT:
	case RPC_JOIN_SUCC:
	case RPC_MERGE:
		return m->type == CHORD_MSG_NEIGHBOURS;
	case RPC_RECTIFY:
	case RPC_CHECK_PRED:
	case RPC_CONFIRM:
		return m->type == CHORD_MSG_PONG;
	case RPC_FIND:
		return m->type == CHORD_MSG_FOUND || m->type == CHORD_MSG_NEXT;
	case RPC_KV:
	case RPC_KV_COPY:
		return m->type == CHORD_MSG_KV_ACK && m->key == r->kv.key;
	default:
		return false;
	}
}

static void on_reply(struct chord_node *n, const struct chord_msg *m)
{
	struct rpc r;
	uint32_t i;

	for (i = 0; i < CHORD_RPCS_MAX; i++) {
		if (n->rpcs[i].purpose != RPC_FREE && n->rpcs[i].number == m->rpc &&
		    n->rpcs[i].peer.addr == m->from.addr && reply_fits(&n->rpcs[i], m))
			break;
	}
	if (i == CHORD_RPCS_MAX)
		return;                 /* late, or never asked */
	r = n->rpcs[i];
	n->rpcs[i].purpose = RPC_FREE;

	switch (r.purpose) {
	case RPC_STABILIZE:
		stabilize_answer(n, r.peer, m->has_pred, m->pred, m->succ, m->succ_count);
		break;
	case RPC_ADOPT:
	case RPC_MERGE: {
		struct chord_peer adopted[CHORD_SUCC_MAX + 1];
		uint32_t k = prefixed(n, r.peer, m->succ, m->succ_count, adopted);

		/* A merge's candidate may have been overtaken by a stabilize meanwhile. */
		if (r.purpose == RPC_MERGE && n->succ_count > 0 && !n->succ_stale &&
		    n->succ[0].id != n->cfg.self.id &&
		    !node_between(n, n->cfg.self.id, r.peer.id, n->succ[0].id))
			break;
		node_set_succ(n, adopted, k);
		n->succ_stale = false;
		notify(n, r.peer);
		if (r.purpose == RPC_ADOPT)
			n->stabilizing = false;
		break;
	}
	case RPC_JOIN_SUCC:
		join_answer(n, r.peer, m->succ, m->succ_count);
		break;
	case RPC_RECTIFY:
		break;                  /* the predecessor lives: it stays */
	case RPC_CHECK_PRED:
		n->checking_pred = false;
		break;
	case RPC_FIND:
		node_lookup_reply(n, &r, m);
		break;
	case RPC_CONFIRM:
		node_lookup_confirmed(n, &r, true);
		break;
	case RPC_KV:
	case RPC_KV_COPY:
		node_kv_reply(n, &r, m);
		break;
	}
}

static void on_timeout(struct chord_node *n, const struct rpc *r)
{
	n->timeout_count++;
	node_forget(n, r->peer.id);
	switch (r->purpose) {
	case RPC_STABILIZE:
		n->stabilizing = false; /* the next round tries the next successor */
		break;
	case RPC_ADOPT:
		if (n->succ_count)
			notify(n, n->succ[0]);
		n->stabilizing = false;
		break;
	case RPC_JOIN_SUCC:
		n->joining = false;
		node_set_succ(n, NULL, 0);
		node_event(n, CHORD_EV_JOIN_FAILED);
		break;
	case RPC_RECTIFY:
		if (n->has_pred && n->pred.id == r->peer.id)
			node_set_pred(n, true, r->candidate);
		break;
	case RPC_CHECK_PRED:
		n->checking_pred = false;
		if (n->has_pred && n->pred.id == r->peer.id)
			node_set_pred(n, false, (struct chord_peer){ 0 });
		break;
	case RPC_FIND:
		node_lookup_timeout(n, r);
		break;
	case RPC_MERGE:
		break;                  /* the candidate is dead: nothing to adopt */
	case RPC_CONFIRM:
		node_lookup_confirmed(n, r, false);
		break;
	case RPC_KV:
	case RPC_KV_COPY:
		node_kv_timeout(n, r);
		break;
	}
}

/* @from left the ring: it leaves our pointers now rather than after a timeout. If it was
 * our successor, its successor list (@m) becomes ours (Stoica et al. sec. IV-E.3). */
static void on_leaving(struct chord_node *n, const struct chord_msg *m)
{
	struct chord_peer from = m->from, list[CHORD_SUCC_MAX];
	uint32_t k = 0;

	if (!n->joined)
		return;
	for (uint32_t i = 0; n->succ_count > 0 && n->succ[0].id == from.id &&
			     i < m->succ_count && k < n->r; i++) {
		if (m->succ[i].id != from.id && m->succ[i].id != n->cfg.self.id)
			list[k++] = m->succ[i];
	}
	if (k > 0) {
		node_set_succ(n, list, k);
		n->succ_stale = false;
	}
	node_forget(n, from.id);
	if (n->has_pred && n->pred.id == from.id)
		node_set_pred(n, false, (struct chord_peer){ 0 });
}

/*
 * Leave gracefully (Stoica et al. sec. IV-E.3): tell the successor and the predecessor,
 * then hold nothing. The pointers are dropped without an event each (the LEFT event says
 * they all went); the lookups in progress end, a client's as NOT_JOINED.
 */
static void leave(struct chord_node *n)
{
	struct chord_msg m = { .type = CHORD_MSG_LEAVING };
	uint64_t self = n->cfg.self.id;

	if (!n->joined && !n->joining)
		return;
	node_kv_leave(n);
	m.succ_count = n->succ_stale ? 0 : n->succ_count;      /* for the predecessor */
	memcpy(m.succ, n->succ, m.succ_count * sizeof(n->succ[0]));
	if (n->succ_count > 0 && n->succ[0].id != self)
		node_send(n, n->succ[0], &m);
	if (n->has_pred && n->pred.id != self &&
	    (n->succ_count == 0 || n->pred.id != n->succ[0].id))
		node_send(n, n->pred, &m);
	node_lookups_abandon(n);
	memset(n->rpcs, 0, sizeof(n->rpcs));
	n->joined = n->joining = n->stabilizing = n->checking_pred = false;
	n->has_pred = false;
	n->succ_count = 0;
	n->succ_stale = false;
	n->dropped_count = 0;
	memset(n->finger_set, 0, sizeof(n->finger_set));
	node_event(n, CHORD_EV_LEFT);
}

static void tick(struct chord_node *n)
{
	n->now++;
	for (uint32_t i = 0; i < CHORD_RPCS_MAX; i++) {
		if (n->rpcs[i].purpose != RPC_FREE && n->rpcs[i].deadline <= n->now) {
			struct rpc r = n->rpcs[i];

			n->rpcs[i].purpose = RPC_FREE;
			on_timeout(n, &r);
		}
	}
	if (!n->joined)
		return;
	if (n->now >= n->next_stabilize) {
		n->next_stabilize = n->now + n->cfg.stabilize_ticks;
		stabilize(n);
	}
	if (n->now >= n->next_check_pred) {
		n->next_check_pred = n->now + n->cfg.check_pred_ticks;
		check_pred(n);
	}
	if (n->now >= n->next_fix) {
		n->next_fix = n->now + n->cfg.fix_fingers_ticks;
		if (!(n->cfg.bugs & CHORD_BUG_NO_FIX_FINGERS))
			node_fix_next_finger(n);
	}
	node_kv_tick(n);
}

int chord_step(struct chord_node *n, const struct chord_input *in, struct chord_outputs *out)
{
	n->out = out;
	out->send_count = out->event_count = 0;
	switch (in->type) {
	case CHORD_IN_TICK:
		tick(n);
		break;
	case CHORD_IN_MESSAGE:
		if (in->msg->from.id >= n->space.size || in->msg->from.addr == CHORD_NO_ADDR ||
		    in->msg->from.id == n->cfg.self.id)
			break;          /* not a peer's message */
		if (in->msg->type == CHORD_MSG_NOTIFY)
			rectify(n, in->msg->from);
		else if (in->msg->type == CHORD_MSG_LEAVING)
			on_leaving(n, in->msg);
		else
			answer(n, in->msg);
		on_reply(n, in->msg);
		break;
	case CHORD_IN_JOIN:
		if (in->via.id == n->cfg.self.id || in->via.addr == CHORD_NO_ADDR)
			return -EINVAL;
		if (!n->joined && !n->joining) {
			n->joining = true;
			node_lookup_start(n, LOOKUP_JOIN, n->cfg.self.id, 0, 0, &in->via);
		}
		break;
	case CHORD_IN_LOOKUP:
		if (in->key >= n->space.size)
			return -EINVAL;
		node_lookup_start(n, LOOKUP_CLIENT, in->key, in->tag, 0, NULL);
		break;
	case CHORD_IN_PUT:
	case CHORD_IN_GET:
		if (in->key >= n->space.size)
			return -EINVAL;
		node_lookup_start_kv(n, in->type == CHORD_IN_PUT ? CHORD_KV_PUT : CHORD_KV_GET,
				     in->key, in->value, in->tag);
		break;
	case CHORD_IN_MERGE:
		if (in->via.id == n->cfg.self.id || in->via.addr == CHORD_NO_ADDR)
			return -EINVAL;
		if (n->cfg.bugs & CHORD_BUG_ORIGINAL_STABILIZE)
			break;          /* the 2001 protocol has no merge */
		if (n->joined && !node_lookup_busy(n, LOOKUP_MERGE))
			node_lookup_start(n, LOOKUP_MERGE, n->cfg.self.id, 0, 0, &in->via);
		break;
	case CHORD_IN_LEAVE:
		leave(n);
		break;
	default:
		return -EINVAL;
	}
	n->out = NULL;
	return 0;
}

/* ---- Life ---------------------------------------------------------------------------------- */

int chord_node_new(const struct chord_config *config, struct chord_node **out,
		   struct errbuf *eb)
{
	struct chord_node *n;

	*out = NULL;
	if (config->succ_max < 1 || config->succ_max > CHORD_SUCC_MAX)
		return errbuf_set(eb, -EINVAL, "succ_max: expected 1..%d", CHORD_SUCC_MAX);
	if (config->stabilize_ticks < 1 || config->fix_fingers_ticks < 1 ||
	    config->check_pred_ticks < 1 || config->rpc_timeout_ticks < 1)
		return errbuf_set(eb, -EINVAL, "periods and timeouts: expected >= 1 tick");
	if (config->self.addr == CHORD_NO_ADDR)
		return errbuf_set(eb, -EINVAL, "self: expected an address");
	n = calloc(1, sizeof(*n));
	if (!n)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	if (chord_space_init(&n->space, config->bits) < 0 || config->self.id >= n->space.size) {
		free(n);
		return errbuf_set(eb, -EINVAL, "bits: expected %d..%d with self's id inside",
				  CHORD_BITS_MIN, CHORD_BITS_MAX);
	}
	n->cfg = *config;
	n->r = config->bugs & CHORD_BUG_SUCC_LIST_1 ? 1 : config->succ_max;
	/* Spread the nodes' rounds over the period by id: no randomness inside. */
	n->next_stabilize = 1 + config->self.id % config->stabilize_ticks;
	n->next_fix = 1 + config->self.id % config->fix_fingers_ticks;
	n->next_check_pred = 1 + config->self.id % config->check_pred_ticks;
	*out = n;
	return 0;
}

void chord_node_free(struct chord_node *n)
{
	free(n);
}

static int peer_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct chord_peer *)a)->id, y = ((const struct chord_peer *)b)->id;

	return x < y ? -1 : x > y;
}

int chord_node_start_base(struct chord_node *n, const struct chord_peer *base, uint32_t count)
{
	struct chord_peer sorted[CHORD_BASE_MAX];

	if (count == 0 || count > CHORD_BASE_MAX)
		return -EINVAL;
	memcpy(sorted, base, count * sizeof(*base));
	qsort(sorted, count, sizeof(*sorted), peer_cmp);
	for (uint32_t i = 1; i < count; i++) {
		if (sorted[i].id == sorted[i - 1].id)
			return -EINVAL;
	}
	return chord_node_start_ideal(n, sorted, count);
}

void chord_node_view(const struct chord_node *n, struct chord_view *v)
{
	*v = (struct chord_view){ .joined = n->joined, .has_pred = n->has_pred, .pred = n->pred,
				  .succ_count = n->succ_count,
				  .overflow_count = n->overflow_count,
				  .timeout_count = n->timeout_count,
				  .key_count = node_kv_count(n) };
	memcpy(v->succ, n->succ, sizeof(v->succ));
	memcpy(v->finger_set, n->finger_set, sizeof(v->finger_set));
	memcpy(v->finger, n->finger, sizeof(v->finger));
}
