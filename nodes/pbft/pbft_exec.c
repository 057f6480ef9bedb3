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
		r->pending_count++;
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

static void execute_one(struct pbft_replica *r, const struct pbft_slot *s, uint32_t index)
{
	const struct pbft_request *q = &s->batch.requests[index];
	struct pbft_client *c = &r->clients[q->client];
	struct pbft_event *e;

	pending_remove(r, q->client, q->timestamp);
	if (q->timestamp <= c->last_timestamp)
		return;         /* at most once per (client, timestamp) */
	c->last_timestamp = q->timestamp;
	c->reply.client = q->client;
	c->reply.timestamp = q->timestamp;
	pbft_kv_apply(&r->kv, &q->op, &c->reply);
	send_reply(r, c, q->client);
	e = pbft_out_event(r, PBFT_EV_EXECUTE);
	if (!e)
		return;
	e->view = r->view;
	e->seq = s->seq;
	memcpy(e->digest, s->digest, PBFT_DIGEST_BYTES);
	e->index = index;
	e->client = q->client;
	e->timestamp = q->timestamp;
	e->op = q->op;
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
		for (uint32_t i = 0; i < s->batch.count; i++)
			execute_one(r, s, i);
		if (s->batch.count == 0) {
			struct pbft_event *e = pbft_out_event(r, PBFT_EV_EXECUTE);

			if (e) {
				e->view = r->view;
				e->seq = s->seq;
				memcpy(e->digest, s->digest, PBFT_DIGEST_BYTES);
				e->client = UINT32_MAX;
			}
		}
		s->executed = true;
		r->executed_seq = s->seq;
		r->progress_tick = r->ticks;
		if (s->seq % r->config.checkpoint_interval == 0)
			take_checkpoint(r, s->seq);
	}
	ASSERT(r->executed_seq >= r->stable_seq);
	pbft_pending_propose(r);
}
