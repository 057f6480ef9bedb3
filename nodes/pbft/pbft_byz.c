/* SPDX-License-Identifier: MIT */
/* pbft_byz.c - Byzantine behaviours as hooks on a replica (PROTOCOL.md, Byzantine modes). */
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
