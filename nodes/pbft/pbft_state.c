/* SPDX-License-Identifier: MIT */
/* pbft_state.c - state transfer: checkpoint claims above the executed seq, FETCH-STATE to a
 * replica that claims a checkpoint f+1 replicas certify, and installing a STATE whose
 * snapshot has the certified digest. */
#include <string.h>

#include "fl_assert.h"
#include "pbft_internal.h"

/*
 * Keep the checkpoint @m announces if it is above our executed seq, in or out of the window.
 * Per sender PBFT_CLAIMS_PER_REPLICA claims: one digest per seq (the first wins); a new seq
 * takes the place of a claim we executed past, else of the lowest one below it.
 */
void pbft_state_claim(struct pbft_replica *r, const struct pbft_msg *m)
{
	struct pbft_claim *c, *victim;

	ASSERT(m->type == PBFT_MSG_CHECKPOINT && m->sender < r->config.replicas);
	if (m->seq <= r->executed_seq || m->seq % r->config.checkpoint_interval != 0)
		return;
	c = r->claims[m->sender];
	victim = &c[0];
	for (uint32_t k = 0; k < PBFT_CLAIMS_PER_REPLICA; k++) {
		if (c[k].seq == m->seq)
			return;
		if (c[k].seq <= r->executed_seq)
			victim = &c[k];
		else if (victim->seq > r->executed_seq && c[k].seq < victim->seq)
			victim = &c[k];
	}
	if (victim->seq > m->seq)
		return;         /* it claims higher ones already */
	victim->seq = m->seq;
	memcpy(victim->digest, m->digest, PBFT_DIGEST_BYTES);
	ASSERT(victim->seq > r->executed_seq);
}

/* Progress without us: f+1 other replicas announced checkpoints above our executed seq. */
bool pbft_state_behind(const struct pbft_replica *r)
{
	uint32_t ahead = 0;

	for (uint32_t j = 0; j < r->config.replicas; j++) {
		for (uint32_t k = 0; j != r->config.id && k < PBFT_CLAIMS_PER_REPLICA; k++) {
			if (r->claims[j][k].seq > r->executed_seq) {
				ahead++;
				break;
			}
		}
	}
	return ahead >= r->f + 1;
}

/* The replicas that claim @claim's seq and digest, as a mask. */
static uint32_t claimants(const struct pbft_replica *r, const struct pbft_claim *claim)
{
	uint32_t mask = 0;

	for (uint32_t j = 0; j < r->config.replicas; j++) {
		for (uint32_t k = 0; k < PBFT_CLAIMS_PER_REPLICA; k++) {
			const struct pbft_claim *c = &r->claims[j][k];

			if (c->seq == claim->seq &&
			    memcmp(c->digest, claim->digest, PBFT_DIGEST_BYTES) == 0) {
				mask |= 1u << j;
				break;
			}
		}
	}
	ASSERT(mask != 0);
	return mask;
}

/*
 * The highest checkpoint above our executed seq (or the one at @seq, if not 0) that f+1
 * distinct replicas claim: at least one of them is correct, and correct replicas' states at
 * a seq agree, so its digest is the agreed state's. *@mask: the claimants. Return: NULL if
 * none.
 */
static const struct pbft_claim *certified(const struct pbft_replica *r, uint64_t seq,
					  uint32_t *mask)
{
	const struct pbft_claim *best = NULL;

	for (uint32_t j = 0; j < r->config.replicas; j++) {
		for (uint32_t k = 0; k < PBFT_CLAIMS_PER_REPLICA; k++) {
			const struct pbft_claim *c = &r->claims[j][k];
			uint32_t m;

			if (c->seq <= r->executed_seq || (seq != 0 && c->seq != seq) ||
			    (best && c->seq <= best->seq))
				continue;
			m = claimants(r, c);
			if (pbft_popcount(m) < r->f + 1)
				continue;
			best = c;
			*mask = m;
		}
	}
	ASSERT(!best || best->seq > r->executed_seq);
	return best;
}

/*
 * Every retransmit tick: if a certified checkpoint is above what we executed and the log
 * cannot get us there (it is past our window, or nothing executed for a retransmit period),
 * ask one of its claimants for the state; each retry asks the next claimant.
 */
void pbft_state_tick(struct pbft_replica *r)
{
	uint32_t mask = 0, pick, target = 0;
	const struct pbft_claim *c = certified(r, 0, &mask);

	if (!c || (c->seq <= r->stable_seq + r->config.window &&
		   r->ticks - r->progress_tick < r->config.retransmit_ticks))
		return;
	pick = r->fetch_rotor++ % pbft_popcount(mask);
	for (uint32_t j = 0; j < r->config.replicas; j++) {
		if (!(mask & (1u << j)))
			continue;
		target = j;
		if (pick-- == 0)
			break;
	}
	ASSERT(mask & (1u << target) && target != r->config.id);
	pbft_msg_init(r, &r->scratch, PBFT_MSG_FETCH_STATE, c->seq, c->digest);
	pbft_out_send(r, &r->scratch, PBFT_TO_REPLICA, target);
}

/* Our own checkpoint at @seq with @digest that is not stable yet, or NULL. */
static const struct pbft_ckpt *own_unstable(const struct pbft_replica *r, uint64_t seq,
					    const uint8_t digest[PBFT_DIGEST_BYTES])
{
	for (uint32_t i = 0; i < r->config.window; i++) {
		const struct pbft_ckpt *ck = &r->ckpts[i];

		if (ck->seq == seq && seq > r->stable_seq && ck->own &&
		    memcmp(ck->own_digest, digest, PBFT_DIGEST_BYTES) == 0)
			return ck;
	}
	return NULL;
}

/*
 * Answer with our latest stable checkpoint's state if it is at or above the one asked for,
 * else with our own checkpoint at that seq if it is the one asked for. (The asker holds
 * f+1 claims for it; it may be unstable here because 2f+1 replicas never got to it: the
 * asker's own checkpoint would be the vote that makes it stable.) A correct asker asks at
 * most once per retransmit period, so each replica gets at most one STATE per half period:
 * a FETCH-STATE is small and a STATE is not, and a Byzantine asker must not turn one into
 * a flood.
 */
void pbft_on_fetch_state(struct pbft_replica *r, const struct pbft_msg *m)
{
	struct pbft_msg *state = &r->scratch;
	const struct pbft_ckpt *ck;
	uint64_t gap = r->config.retransmit_ticks / 2 > 0 ? r->config.retransmit_ticks / 2 : 1;

	ASSERT(m->type == PBFT_MSG_FETCH_STATE && m->sender != r->config.id);
	ASSERT(m->sender < r->config.replicas);
	if (r->state_sent[m->sender] != 0 && r->ticks + 1 - r->state_sent[m->sender] < gap) {
		r->counters.refused_count++;    /* too soon after the last one */
		return;
	}
	if (r->stable_seq != 0 && r->stable_seq >= m->seq) {
		pbft_msg_init(r, state, PBFT_MSG_STATE, r->stable_seq, r->stable_digest);
		state->snapshot = r->stable_snap;
	} else if ((ck = own_unstable(r, m->seq, m->digest)) != NULL) {
		pbft_msg_init(r, state, PBFT_MSG_STATE, ck->seq, ck->own_digest);
		state->snapshot = ck->own_snap;
	} else {
		r->counters.refused_count++;
		return;
	}
	r->state_sent[m->sender] = r->ticks + 1;
	pbft_out_send(r, state, PBFT_TO_REPLICA, m->sender);
}

/* The KV store and reply cache of @snap, here. */
void pbft_snapshot_apply(struct pbft_replica *r, const struct pbft_snapshot *snap)
{
	for (uint32_t k = 0; k < PBFT_KEYS_MAX; k++)
		r->kv.values[k] = snap->values[k];
	for (uint32_t c = 0; c < PBFT_CLIENTS_MAX; c++) {
		const struct pbft_snapshot_client *sc = &snap->clients[c];

		r->clients[c].last_timestamp = sc->last_timestamp;
		r->clients[c].reply = (struct pbft_result){ .client = c,
							    .timestamp = sc->last_timestamp,
							    .ok = sc->ok, .value = sc->value };
	}
}

static void install(struct pbft_replica *r, uint64_t seq, const uint8_t digest[PBFT_DIGEST_BYTES],
		    const struct pbft_snapshot *snap)
{
	uint8_t check[PBFT_DIGEST_BYTES];
	struct pbft_event *e;

	ASSERT(seq > r->executed_seq && seq % r->config.checkpoint_interval == 0);
	pbft_tentative_undo(r);         /* the snapshot replaces it */
	pbft_snapshot_apply(r, snap);
	r->executed_seq = seq;
	pbft_log_collect(r, seq, digest, snap);
	r->progress_tick = r->ticks;
	pbft_pending_drop_executed(r);
	r->counters.state_transfer_count++;
	pbft_replica_state_digest(r, check);
	ASSERT(memcmp(check, digest, PBFT_DIGEST_BYTES) == 0);
	e = pbft_out_event(r, PBFT_EV_STATE_TRANSFER);
	if (e) {
		e->view = r->view;
		e->seq = seq;
		memcpy(e->digest, digest, PBFT_DIGEST_BYTES);
	}
	pbft_execute_ready(r);          /* slots above seq may be committed already */
}

/* A STATE is installed only for a certified checkpoint above our executed seq, and only if
 * its snapshot has the certified digest (else it is counted in bad_state_count). */
void pbft_on_state(struct pbft_replica *r, const struct pbft_msg *m)
{
	uint8_t want[PBFT_DIGEST_BYTES], got[PBFT_DIGEST_BYTES];
	uint32_t mask = 0;
	const struct pbft_claim *c;

	ASSERT(m->type == PBFT_MSG_STATE);
	c = m->seq > r->executed_seq ? certified(r, m->seq, &mask) : NULL;
	if (!c) {
		r->counters.refused_count++;
		return;
	}
	memcpy(want, c->digest, PBFT_DIGEST_BYTES);
	pbft_snapshot_digest(&m->snapshot, got);
	if (memcmp(got, want, PBFT_DIGEST_BYTES) != 0 ||
	    memcmp(m->digest, want, PBFT_DIGEST_BYTES) != 0) {
		r->counters.bad_state_count++;
		return;
	}
	install(r, m->seq, want, &m->snapshot);
	ASSERT(r->executed_seq >= m->seq && r->stable_seq >= m->seq);
}
