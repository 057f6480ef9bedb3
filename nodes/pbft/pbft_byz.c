/* SPDX-License-Identifier: MIT */
/* pbft_byz.c - Byzantine behaviours as hooks on a replica (PROTOCOL.md, Byzantine modes). */
#include <stdint.h>
#include <string.h>

#include "fl_assert.h"
#include "pbft_internal.h"

/*
 * The primary's pre-prepare, sent per backup. Even backups get the real batch; odd ones
 * get the null batch, which is a proposal no client can object to, so only agreement is at
 * stake. equivocate: the odd ones also get the null batch's digest, and every backup a
 * commit for what it got. corrupt-digest: the odd ones keep the real batch's digest.
 */
void pbft_byz_pre_prepare(struct pbft_replica *r, const struct pbft_msg *pp)
{
	struct pbft_msg *alt = &r->byz;
	bool equivocate = r->config.byzantine & PBFT_BYZ_EQUIVOCATE;
	uint8_t null_digest[PBFT_DIGEST_BYTES];

	ASSERT(pp->type == PBFT_MSG_PRE_PREPARE && pp != alt);
	ASSERT(r->config.byzantine & (PBFT_BYZ_EQUIVOCATE | PBFT_BYZ_CORRUPT_DIGEST));
	*alt = *pp;
	alt->batch.count = 0;
	pbft_batch_digest(&alt->batch, null_digest);
	if (equivocate)
		memcpy(alt->digest, null_digest, PBFT_DIGEST_BYTES);
	for (uint32_t j = 0; j < r->config.replicas; j++) {
		if (j != r->config.id)
			pbft_out_send(r, (j % 2) ? alt : pp, PBFT_TO_REPLICA, j);
	}
	if (!equivocate)
		return;
	alt->type = PBFT_MSG_COMMIT;
	for (uint32_t j = 0; j < r->config.replicas; j++) {
		if (j == r->config.id)
			continue;
		memcpy(alt->digest, (j % 2) ? null_digest : pp->digest, PBFT_DIGEST_BYTES);
		pbft_out_send(r, alt, PBFT_TO_REPLICA, j);
	}
	ASSERT(alt->type == PBFT_MSG_COMMIT);
}

/*
 * conflicting-votes: whatever digest a peer proposes or votes for at a seq, answer it with a
 * prepare and a commit for that digest, twice, to that peer alone. Its own broadcast votes
 * are suppressed (pbft_out_send()), so each peer sees it agree with them.
 */
void pbft_byz_echo(struct pbft_replica *r, const struct pbft_msg *m)
{
	struct pbft_msg *vote = &r->byz;
	struct pbft_slot *s;

	if (!(r->config.byzantine & PBFT_BYZ_CONFLICTING_VOTES))
		return;
	s = pbft_slot_get(r, m->seq);
	if (!s || m->sender >= r->config.replicas || (s->echoed_mask & (1u << m->sender)))
		return;
	s->echoed_mask |= 1u << m->sender;
	pbft_msg_init(r, vote, PBFT_MSG_PREPARE, m->seq, m->digest);
	vote->view = m->view;
	for (int copy = 0; copy < 2; copy++) {
		vote->type = PBFT_MSG_PREPARE;
		pbft_out_send(r, vote, PBFT_TO_REPLICA, m->sender);
		vote->type = PBFT_MSG_COMMIT;
		pbft_out_send(r, vote, PBFT_TO_REPLICA, m->sender);
	}
	ASSERT(s->echoed_mask & (1u << m->sender));
}

/* wrong-results: every reply lies the same way (ok flipped, the value off by one or made up),
 * so one reply fools a client but f+1 matching ones never include this replica's. */
void pbft_byz_reply(const struct pbft_replica *r, struct pbft_result *result)
{
	struct pbft_value *v = &result->value;

	if (!(r->config.byzantine & PBFT_BYZ_WRONG_RESULTS))
		return;
	result->ok = !result->ok;
	if (v->present)
		v->v = v->v == INT64_MAX ? v->v - 1 : v->v + 1;
	else
		*v = (struct pbft_value){ .present = true, .v = -1 };
	ASSERT(v->present);
}

/*
 * fake-certificates: its view-change (for view v) says that the null batch prepared in view
 * v-1 at every seq where it accepted a pre-prepare or holds a certificate, that it
 * pre-prepared it there in v-1, and that it took a checkpoint K above its stable one, with a
 * made-up digest. A new primary that took the highest certificate at face value would
 * re-propose null where a request may have committed (pbft_decide.c needs 2f+1 messages not
 * to contradict a choice and f+1 to vouch for it; a checkpoint needs f+1 to hold it).
 */
void pbft_byz_view_change(struct pbft_replica *r, struct pbft_msg *vc)
{
	struct pbft_batch null_batch = { .count = 0 };
	uint8_t null_digest[PBFT_DIGEST_BYTES];
	uint32_t window = r->config.window;

	ASSERT(vc->type == PBFT_MSG_VIEW_CHANGE && vc->view > 0 && vc->cert_count == 0);
	ASSERT(r->config.checkpoint_interval <= window);
	pbft_batch_digest(&null_batch, null_digest);
	for (uint64_t seq = r->stable_seq + 1; seq <= r->stable_seq + window; seq++) {
		const struct pbft_slot *s = &r->slots[seq % window];
		struct pbft_cert *c;
		struct pbft_vouch *q;

		if (s->seq != seq || !(s->has_pp || s->has_cert))
			continue;
		c = &vc->certs[vc->cert_count++];
		c->seq = seq;
		c->view = vc->view - 1;
		c->batch = null_batch;
		memcpy(c->digest, null_digest, PBFT_DIGEST_BYTES);
		q = &vc->vouches[vc->vouch_count++];
		q->seq = seq;
		q->view = c->view;
		memcpy(q->digest, null_digest, PBFT_DIGEST_BYTES);
	}
	vc->claim_count = 1;
	vc->claims[0].seq = r->stable_seq + r->config.checkpoint_interval;
	memset(vc->claims[0].digest, 0xfa, PBFT_DIGEST_BYTES);
	ASSERT(vc->cert_count <= window && vc->vouch_count <= window);
}

/* replay: keep a sample of what it sends. The first half of the ring keeps the oldest
 * samples for ever (view 0, the first seqs); the second half rolls over the latest. */
static void replay_record(struct pbft_replica *r, const struct pbft_msg *m,
			  const uint8_t *plain, size_t size)
{
	uint32_t half = PBFT_REPLAY_RING / 2, sample, slot;

	if (m->type == PBFT_MSG_REQUEST || m->type == PBFT_MSG_REPLY ||
	    m->type == PBFT_MSG_FETCH_STATE || m->type == PBFT_MSG_STATE ||
	    size > PBFT_REPLAY_BYTES_MAX || r->replay_seen++ % PBFT_REPLAY_SAMPLE != 0)
		return;
	sample = (r->replay_seen - 1) / PBFT_REPLAY_SAMPLE;
	slot = sample < half ? sample : half + (sample - half) % half;
	ASSERT(slot < PBFT_REPLAY_RING);
	memcpy(r->replay[slot], plain, size);
	r->replay_size[slot] = (uint32_t)size;
	if (r->replay_count < PBFT_REPLAY_RING)
		r->replay_count++;
}

/*
 * forge-sender: each prepare, commit or checkpoint it broadcasts is followed by two copies
 * that claim another replica as sender: the same digest from id+1, a flipped digest from
 * id+2. The caller seals them per receiver with this replica's own pair keys (key(self,
 * receiver)); it never derives another replica's key from the cluster secret, since that
 * would model broken cryptography rather than a Byzantine replica. Receivers open them with
 * key(claimed sender, self), fail, and count them as forged.
 */
static void forge(struct pbft_replica *r, const struct pbft_msg *m, const uint8_t *plain,
		  size_t size)
{
	uint8_t copy[PBFT_HEADER_BYTES];
	uint32_t n = r->config.replicas;

	if (m->type != PBFT_MSG_PREPARE && m->type != PBFT_MSG_COMMIT &&
	    m->type != PBFT_MSG_CHECKPOINT)
		return;
	ASSERT(size == PBFT_HEADER_BYTES);
	for (uint32_t k = 1; k <= 2; k++) {
		uint32_t claimed = (r->config.id + k) % n;

		memcpy(copy, plain, size);
		for (uint32_t b = 0; b < 4; b++)
			copy[1 + b] = (uint8_t)(claimed >> (8 * b));
		if (k == 2)
			copy[1 + 4 + 8 + 8] ^= 0xa5;    /* the first digest byte */
		ASSERT(claimed != r->config.id);
		pbft_out_plain(r, copy, size, PBFT_TO_ALL, 0);
	}
}

/* After pbft_out_send() queued @plain (the encoding of @m): record it, forge it. */
void pbft_byz_sent(struct pbft_replica *r, const struct pbft_msg *m, uint8_t kind,
		   const uint8_t *plain, size_t size)
{
	ASSERT(size >= PBFT_HEADER_BYTES);
	if (r->config.byzantine & PBFT_BYZ_REPLAY)
		replay_record(r, m, plain, size);
	if ((r->config.byzantine & PBFT_BYZ_FORGE_SENDER) && kind == PBFT_TO_ALL)
		forge(r, m, plain, size);
}

/* replay: every tick, resend PBFT_REPLAY_PER_TICK recorded messages to all, in turn. */
void pbft_byz_tick(struct pbft_replica *r)
{
	ASSERT(r->config.byzantine & PBFT_BYZ_REPLAY);
	ASSERT(r->replay_count <= PBFT_REPLAY_RING);
	for (uint32_t k = 0; k < PBFT_REPLAY_PER_TICK && r->replay_count > 0; k++) {
		uint32_t slot = r->replay_cursor++ % r->replay_count;

		pbft_out_plain(r, r->replay[slot], r->replay_size[slot], PBFT_TO_ALL, 0);
	}
}
