/* SPDX-License-Identifier: MIT */
/* pbft_slot.c - the log's slots: finding or allocating the slot of a seq in the window,
 * clearing one, and recording the pre-prepares it accepted. */
#include <string.h>

#include "fl_assert.h"
#include "pbft_internal.h"

void pbft_slot_reset(struct pbft_slot *s, uint64_t seq)
{
	memset(s, 0, sizeof(*s));
	s->seq = seq;
}

struct pbft_slot *pbft_slot_get(struct pbft_replica *r, uint64_t seq)
{
	struct pbft_slot *s;

	if (seq <= r->stable_seq || seq > r->stable_seq + r->config.window)
		return NULL;
	s = &r->slots[seq % r->config.window];
	if (s->seq != seq) {
		ASSERT(s->seq == 0);    /* collected below stable_seq, or never used */
		pbft_slot_reset(s, seq);
		s->view = r->view;
	}
	return s;
}

/* This slot accepted a pre-prepare for its digest in @view: keep the latest view per digest,
 * and at most PBFT_VOUCHES_PER_SEQ digests, the one of the oldest view giving way. */
void pbft_vouch_record(struct pbft_slot *s, uint64_t view)
{
	struct pbft_vouch *v = NULL;

	for (uint32_t i = 0; i < s->vouch_count; i++) {
		if (memcmp(s->vouches[i].digest, s->digest, PBFT_DIGEST_BYTES) == 0) {
			v = &s->vouches[i];
			break;
		}
		if (s->vouch_count == PBFT_VOUCHES_PER_SEQ && (!v || s->vouches[i].view < v->view))
			v = &s->vouches[i];
	}
	if (!v) {
		ASSERT(s->vouch_count < PBFT_VOUCHES_PER_SEQ);
		v = &s->vouches[s->vouch_count++];
	}
	if (memcmp(v->digest, s->digest, PBFT_DIGEST_BYTES) == 0 && v->seq == s->seq &&
	    v->view >= view)
		return;
	v->seq = s->seq;
	v->view = view;
	memcpy(v->digest, s->digest, PBFT_DIGEST_BYTES);
}
