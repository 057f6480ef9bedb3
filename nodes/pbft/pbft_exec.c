/* SPDX-License-Identifier: MIT */
/* pbft_exec.c - client requests, the primary's batching, execution in sequence order with
 * the reply cache, checkpoints and garbage collection. */
#include <string.h>

#include "fl_assert.h"
#include "pbft_internal.h"

/* --- requests and proposals --- */

static void send_reply(struct pbft_replica *r, const struct pbft_client *c, uint32_t client)
{
	struct pbft_msg *m = &r->scratch;

	ASSERT(c->last_timestamp > 0);
	pbft_msg_init(r, m, PBFT_MSG_REPLY, 0, NULL);
	m->result = c->reply;
	ASSERT(m->result.client == client);
	pbft_byz_reply(r, &m->result);          /* wrong-results lies here, not in the cache */
	pbft_out_send(r, m, PBFT_TO_CLIENT, client);
}

void pbft_on_request(struct pbft_replica *r, const struct pbft_request *q)
{
	struct pbft_client *c = &r->clients[q->client];
	uint32_t i;

	ASSERT(q->client < PBFT_CLIENTS_MAX);
	if (q->timestamp < c->last_timestamp) {
		r->counters.refused_count++;
		return;
	}
	if (q->timestamp == c->last_timestamp) {
		send_reply(r, c, q->client);    /* the reply cache: executed once, resent */
		return;
	}
	for (i = 0; i < r->pending_count; i++) {
		if (r->pending[i].request.client == q->client)
			break;
	}
	if (i == r->pending_count) {
		if (r->pending_count == PBFT_PENDING_MAX) {
			r->counters.overflow_count++;
			return;
		}
		if (r->pending_count++ == 0)
			r->wait_tick = r->ticks;        /* the view timer starts (PBFT 4.4) */
	} else if (r->pending[i].request.timestamp >= q->timestamp) {
		pbft_pending_propose(r);
		return;         /* known already (or older than what is pending) */
	}
	r->pending[i].request = *q;
	r->pending[i].proposed = false;
	ASSERT(r->pending_count <= PBFT_PENDING_MAX);
	pbft_pending_propose(r);
}

static void pending_remove(struct pbft_replica *r, uint32_t client, uint64_t timestamp)
{
	for (uint32_t i = 0; i < r->pending_count; i++) {
		if (r->pending[i].request.client != client ||
		    r->pending[i].request.timestamp > timestamp)
			continue;
		r->pending[i] = r->pending[--r->pending_count];
		return;
	}
}

/* At most this many assigned, unexecuted seqs: later requests wait and form batches. */
enum { INFLIGHT_SEQS_MAX = 2 };

void pbft_pending_propose(struct pbft_replica *r)
{
	struct pbft_batch batch;
	uint8_t digest[PBFT_DIGEST_BYTES];
	uint32_t i = 0;

	if (r->view_changing || pbft_primary(r->view, r->config.replicas) != r->config.id)
		return;
	while (r->next_seq <= r->stable_seq + r->config.window &&
	       r->next_seq <= r->executed_seq + INFLIGHT_SEQS_MAX) {
		batch.count = 0;
		for (; i < r->pending_count && batch.count < r->config.batch_max; i++) {
			if (r->pending[i].proposed)
				continue;
			r->pending[i].proposed = true;
			batch.requests[batch.count++] = r->pending[i].request;
		}
		if (batch.count == 0)
			return;
		pbft_batch_digest(&batch, digest);
		pbft_accept_pre_prepare(r, r->view, r->next_seq, digest, &batch);
		pbft_msg_init(r, &r->scratch, PBFT_MSG_PRE_PREPARE, r->next_seq, digest);
		r->scratch.batch = batch;
		if (r->config.byzantine & (PBFT_BYZ_EQUIVOCATE | PBFT_BYZ_CORRUPT_DIGEST))
			pbft_byz_pre_prepare(r, &r->scratch);
		else
			pbft_out_send(r, &r->scratch, PBFT_TO_ALL, 0);
		r->next_seq++;
	}
}

/* --- execution --- */

/*
 * apply_one() - request @index of @s on the KV store and reply cache, replied to; what it
 * changed goes to @undo (tentative execution) if not NULL.
 * Return: false if skipped: its client's reply cache is at or past it (at most once).
 */
static bool apply_one(struct pbft_replica *r, const struct pbft_slot *s, uint32_t index,
		      struct pbft_undo *undo)
{
	const struct pbft_request *q = &s->batch.requests[index];
	struct pbft_client *c = &r->clients[q->client];

	pending_remove(r, q->client, q->timestamp);
	if (undo)
		undo->applied = false;
	if (q->timestamp <= c->last_timestamp)
		return false;   /* at most once per (client, timestamp) */
	if (undo) {
		*undo = (struct pbft_undo){ .applied = true, .client = q->client, .key = q->op.key,
					    .key_was = r->kv.values[q->op.key],
					    .client_was = *c };
	}
	c->last_timestamp = q->timestamp;
	c->reply.client = q->client;
	c->reply.timestamp = q->timestamp;
	pbft_kv_apply(&r->kv, &q->op, &c->reply);
	send_reply(r, c, q->client);
	return true;
}

static void execute_event(struct pbft_replica *r, const struct pbft_slot *s, uint32_t index)
{
	const struct pbft_request *q = &s->batch.requests[index];
	struct pbft_event *e = pbft_out_event(r, PBFT_EV_EXECUTE);

	if (!e)
		return;
	e->view = r->view;
	e->seq = s->seq;
	memcpy(e->digest, s->digest, PBFT_DIGEST_BYTES);
	if (s->batch.count == 0) {
		e->client = UINT32_MAX;         /* the null request */
		return;
	}
	e->index = index;
	e->client = q->client;
	e->timestamp = q->timestamp;
	e->op = q->op;
}

void pbft_tentative_undo(struct pbft_replica *r)
{
	struct pbft_tentative *t = &r->tentative;

	if (t->seq == 0)
		return;
	ASSERT(t->seq == r->executed_seq + 1 && t->count <= PBFT_BATCH_MAX);
	for (uint32_t i = t->count; i-- > 0;) {
		const struct pbft_undo *u = &t->undo[i];

		if (!u->applied)
			continue;
		ASSERT(u->client < PBFT_CLIENTS_MAX && u->key < PBFT_KEYS_MAX);
		r->kv.values[u->key] = u->key_was;
		r->clients[u->client] = u->client_was;
	}
	t->seq = 0;
	r->counters.rollback_count++;
}

/* The committed value of @key: as it was before the tentative batch, if that changed it. */
static struct pbft_value committed_value(const struct pbft_replica *r, uint32_t key)
{
	const struct pbft_tentative *t = &r->tentative;

	for (uint32_t i = 0; t->seq != 0 && i < t->count; i++) {
		if (t->undo[i].applied && t->undo[i].key == key)
			return t->undo[i].key_was;
	}
	return r->kv.values[key];
}

/* Does @b hold a request that may change @key (a write or a cas of it)? */
static bool batch_may_change(const struct pbft_batch *b, uint32_t key)
{
	ASSERT(b->count <= PBFT_BATCH_MAX);
	for (uint32_t i = 0; i < b->count; i++) {
		const struct pbft_op *op = &b->requests[i].op;

		if (op->key == key && op->verb != PBFT_VERB_READ)
			return true;
	}
	return false;
}

/*
 * The highest seq this replica holds a prepared certificate for whose batch may change
 * @key (0: none). A batch that leaves @key alone cannot change what a read of it returns.
 */
static uint64_t highest_prepared_changing(const struct pbft_replica *r, uint32_t key)
{
	uint64_t high = 0;

	for (uint32_t i = 0; i < r->config.window; i++) {
		const struct pbft_slot *s = &r->slots[i];

		if (s->seq <= high)
			continue;
		if ((s->prepared && batch_may_change(&s->batch, key)) ||
		    (s->has_cert && batch_may_change(&s->cert.batch, key)))
			high = s->seq;
	}
	return high;
}

/*
 * READ-ONLY (PBFT 5.1.3): never ordered or cached; answered from the committed state once
 * everything this replica had prepared when the read came, and that may change the key
 * read, has executed. A write whose client took 2f+1 replies is prepared (or executed) at
 * f+1 correct replicas, one of which is among any 2f+1 that answer the read, so a read that
 * starts after it sees it, even if a view change undid its tentative execution. Batches
 * that leave the key alone do not change the answer, so the read need not wait for them:
 * the KV store's keys are independent registers, and linearizability is local (Herlihy
 * and Wing), so the argument for one key is the argument. The client needs 2f+1 matching
 * replies, else it resends the read as a REQUEST. One read waits per client (the latest).
 */
void pbft_on_read_only(struct pbft_replica *r, const struct pbft_request *q)
{
	struct pbft_read_wait *w = &r->read_wait[q->client];

	STATIC_ASSERT(PBFT_CLIENTS_MAX <= 64, "read_waiting is a u64 mask");
	ASSERT(q->op.verb == PBFT_VERB_READ && q->op.key < PBFT_KEYS_MAX);
	if ((r->read_waiting & (1ull << q->client)) && w->request.timestamp > q->timestamp) {
		r->counters.refused_count++;
		return;         /* older than the one waiting */
	}
	w->request = *q;
	w->until_seq = highest_prepared_changing(r, q->op.key);
	r->read_waiting |= 1ull << q->client;
	pbft_read_only_answer(r);
}

void pbft_read_only_answer(struct pbft_replica *r)
{
	struct pbft_msg *m = &r->scratch;

	for (uint64_t waiting = r->read_waiting; waiting; waiting &= waiting - 1) {
		uint32_t c = (uint32_t)__builtin_ctzll(waiting);
		const struct pbft_read_wait *w = &r->read_wait[c];

		if (w->until_seq > r->executed_seq)
			continue;
		r->read_waiting &= ~(1ull << c);
		r->counters.read_only_count++;
		pbft_msg_init(r, m, PBFT_MSG_REPLY, 0, NULL);
		m->result = (struct pbft_result){
			.client = c, .timestamp = w->request.timestamp, .ok = true,
			.value = committed_value(r, w->request.op.key) };
		pbft_byz_reply(r, &m->result);
		pbft_out_send(r, m, PBFT_TO_CLIENT, c);
	}
}

/* Tentative execution: the next seq once it is prepared in this view, before it commits. */
static void execute_tentative(struct pbft_replica *r)
{
	struct pbft_tentative *t = &r->tentative;
	struct pbft_slot *s;

	if (!r->config.tentative || t->seq != 0 || r->view_changing)
		return;
	s = pbft_slot_get(r, r->executed_seq + 1);
	if (!s || !s->prepared || s->committed || s->view != r->view)
		return;
	ASSERT(!s->executed && s->batch.count <= PBFT_BATCH_MAX);
	t->seq = s->seq;
	t->count = s->batch.count;
	for (uint32_t i = 0; i < s->batch.count; i++)
		(void)apply_one(r, s, i, &t->undo[i]);
}

/* Requests whose client's reply cache is at or past them are done: forget them. */
void pbft_pending_drop_executed(struct pbft_replica *r)
{
	for (uint32_t i = 0; i < r->pending_count;) {
		const struct pbft_request *q = &r->pending[i].request;

		if (q->timestamp <= r->clients[q->client].last_timestamp)
			r->pending[i] = r->pending[--r->pending_count];
		else
			i++;
	}
	ASSERT(r->pending_count <= PBFT_PENDING_MAX);
}

void pbft_snapshot_take(const struct pbft_replica *r, struct pbft_snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	for (uint32_t k = 0; k < PBFT_KEYS_MAX; k++)
		snap->values[k] = r->kv.values[k];
	for (uint32_t c = 0; c < PBFT_CLIENTS_MAX; c++) {
		const struct pbft_client *cl = &r->clients[c];

		snap->clients[c].last_timestamp = cl->last_timestamp;
		if (cl->last_timestamp == 0)
			continue;
		snap->clients[c].ok = cl->reply.ok;
		snap->clients[c].value = cl->reply.value;
	}
	ASSERT(!snap->clients[0].ok || snap->clients[0].last_timestamp > 0);
}

void pbft_replica_state_digest(const struct pbft_replica *r, uint8_t digest[PBFT_DIGEST_BYTES])
{
	struct pbft_snapshot snap;

	pbft_snapshot_take(r, &snap);
	pbft_snapshot_digest(&snap, digest);
}

static struct pbft_ckpt *ckpt_get(struct pbft_replica *r, uint64_t seq)
{
	struct pbft_ckpt *ck;

	if (seq <= r->stable_seq || seq > r->stable_seq + r->config.window ||
	    seq % r->config.checkpoint_interval != 0)
		return NULL;
	ck = &r->ckpts[(seq / r->config.checkpoint_interval) % r->config.window];
	if (ck->seq != seq) {
		ASSERT(ck->seq == 0 || ck->seq <= r->stable_seq);
		memset(ck, 0, sizeof(*ck));
		ck->seq = seq;
	}
	return ck;
}

/* Make @seq (whose state is @snap, digest @digest) stable: collect the log at or below it and
 * move the water marks to seq and seq + L. */
void pbft_log_collect(struct pbft_replica *r, uint64_t seq, const uint8_t digest[PBFT_DIGEST_BYTES],
		      const struct pbft_snapshot *snap)
{
	ASSERT(seq > r->stable_seq);
	ASSERT(r->executed_seq >= seq);
	r->stable_seq = seq;
	memcpy(r->stable_digest, digest, PBFT_DIGEST_BYTES);
	r->stable_snap = *snap;
	for (uint32_t i = 0; i < r->config.window; i++) {
		if (r->slots[i].seq <= seq)
			pbft_slot_reset(&r->slots[i], 0);
		if (r->ckpts[i].seq <= seq)
			memset(&r->ckpts[i], 0, sizeof(r->ckpts[i]));
	}
	if (r->next_seq <= seq)
		r->next_seq = seq + 1;
}

static void make_stable(struct pbft_replica *r, const struct pbft_ckpt *ck)
{
	struct pbft_ckpt copy = *ck;    /* collected below */

	ASSERT(ck->own);
	pbft_log_collect(r, copy.seq, copy.own_digest, &copy.own_snap);
	ASSERT(r->stable_seq == copy.seq);
}

/* One checkpoint vote per sender; stable at 2f+1 that match our own state digest. */
static void ckpt_vote(struct pbft_replica *r, struct pbft_ckpt *ck, uint32_t sender,
		      const uint8_t digest[PBFT_DIGEST_BYTES])
{
	uint32_t count = 0;

	ASSERT(sender < r->config.replicas);
	if (!(ck->mask & (1u << sender))) {
		ck->mask |= 1u << sender;
		memcpy(ck->digest[sender], digest, PBFT_DIGEST_BYTES);
		ck->msgs[sender] = 0;
	}
	if (memcmp(ck->digest[sender], digest, PBFT_DIGEST_BYTES) == 0)
		ck->msgs[sender]++;
	if (!ck->own)
		return;         /* without the state it names, we cannot move to it */
	for (uint32_t i = 0; i < r->config.replicas; i++) {
		if (!(ck->mask & (1u << i)) ||
		    memcmp(ck->digest[i], ck->own_digest, PBFT_DIGEST_BYTES) != 0)
			continue;
		count += (r->config.bugs & PBFT_BUG_COUNT_MESSAGES) ? ck->msgs[i] : 1;
	}
	if (count >= pbft_quorum(r))
		make_stable(r, ck);
}

void pbft_on_checkpoint(struct pbft_replica *r, const struct pbft_msg *m)
{
	struct pbft_ckpt *ck;

	pbft_state_claim(r, m);         /* seqs above ours, in the window or not */
	ck = ckpt_get(r, m->seq);
	if (!ck) {
		if (m->seq > r->stable_seq)
			r->counters.refused_count++;
		return;
	}
	ckpt_vote(r, ck, m->sender, m->digest);
}

static void take_checkpoint(struct pbft_replica *r, uint64_t seq)
{
	struct pbft_ckpt *ck = ckpt_get(r, seq);
	struct pbft_event *e;

	ASSERT(ck);
	ck->own = true;
	pbft_snapshot_take(r, &ck->own_snap);
	pbft_snapshot_digest(&ck->own_snap, ck->own_digest);
	pbft_msg_init(r, &r->scratch, PBFT_MSG_CHECKPOINT, seq, ck->own_digest);
	pbft_out_send(r, &r->scratch, PBFT_TO_ALL, 0);
	e = pbft_out_event(r, PBFT_EV_CHECKPOINT);
	if (e) {
		e->view = r->view;
		e->seq = seq;
		memcpy(e->digest, ck->own_digest, PBFT_DIGEST_BYTES);
	}
	ckpt_vote(r, ck, r->config.id, ck->own_digest);
}

void pbft_execute_ready(struct pbft_replica *r)
{
	struct pbft_slot *s;

	while ((s = pbft_slot_get(r, r->executed_seq + 1)) && s->committed && !s->executed) {
		bool was_tentative = r->tentative.seq == s->seq;

		ASSERT(r->tentative.seq == 0 || was_tentative);
		for (uint32_t i = 0; i < s->batch.count; i++) {
			/* Executed tentatively already: only its evidence is due now. */
			if (was_tentative ? r->tentative.undo[i].applied
					  : apply_one(r, s, i, NULL))
				execute_event(r, s, i);
		}
		if (s->batch.count == 0)
			execute_event(r, s, 0);
		r->tentative.seq = 0;
		s->executed = true;
		r->executed_seq = s->seq;
		r->progress_tick = r->ticks;
		if (s->seq % r->config.checkpoint_interval == 0)
			take_checkpoint(r, s->seq);
	}
	ASSERT(r->executed_seq >= r->stable_seq);
	if (r->read_waiting)
		pbft_read_only_answer(r);
	execute_tentative(r);
	pbft_pending_propose(r);
}
