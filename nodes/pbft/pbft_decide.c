/* SPDX-License-Identifier: MIT */
/* pbft_decide.c - the new view's start checkpoint and re-proposals from view-changes whose
 * senders may lie (TOCS 2002, 4.5): choices need f+1 or 2f+1 of the messages behind them. */
#include "pbft_decide.h"

#include <string.h>

#include "fl_assert.h"

static bool digest_eq(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, PBFT_DIGEST_BYTES) == 0;
}

bool pbft_view_change_valid(const struct pbft_msg *m, uint32_t window)
{
	uint8_t digest[PBFT_DIGEST_BYTES];
	uint64_t last = m->seq, top = m->seq + window;

	if (m->type != PBFT_MSG_VIEW_CHANGE || m->view == 0)
		return false;
	for (uint32_t k = 0; k < m->cert_count; k++) {
		const struct pbft_cert *c = &m->certs[k];

		if (c->seq <= last || c->seq > top || c->view >= m->view)
			return false;
		last = c->seq;
		pbft_batch_digest(&c->batch, digest);
		if (!digest_eq(digest, c->digest))
			return false;
	}
	last = m->seq;
	for (uint32_t k = 0; k < m->claim_count; k++) {
		if (m->claims[k].seq <= last || m->claims[k].seq > top)
			return false;
		last = m->claims[k].seq;
	}
	last = m->seq + 1;      /* vouches: several per seq */
	for (uint32_t k = 0; k < m->vouch_count; k++) {
		const struct pbft_vouch *q = &m->vouches[k];

		if (q->seq < last || q->seq > top || q->view >= m->view)
			return false;
		last = q->seq;
	}
	return true;
}

/* The checkpoint number @c of @m's C set: its stable one (c == claim_count), or a claim. */
static const uint8_t *checkpoint_of(const struct pbft_msg *m, uint32_t c, uint64_t *seq)
{
	ASSERT(c <= m->claim_count);
	if (c == m->claim_count) {
		*seq = m->seq;
		return m->digest;
	}
	*seq = m->claims[c].seq;
	return m->claims[c].digest;
}

static bool holds_checkpoint(const struct pbft_msg *m, uint64_t seq, const uint8_t *digest)
{
	uint64_t s;

	for (uint32_t c = 0; c <= m->claim_count; c++) {
		const uint8_t *d = checkpoint_of(m, c, &s);

		if (s == seq && digest_eq(d, digest))
			return true;
	}
	return false;
}

/* The highest checkpoint f+1 messages hold and 2f+1 have their stable one at or below. */
static bool choose_start(const struct pbft_msg *vcs, uint32_t mask,
			 const struct pbft_decide_params *p, struct pbft_msg *nv)
{
	bool found = false;

	for (uint32_t j = 0; j < p->replicas; j++) {
		for (uint32_t c = 0; (mask & (1u << j)) && c <= vcs[j].claim_count; c++) {
			uint64_t seq;
			const uint8_t *digest = checkpoint_of(&vcs[j], c, &seq);
			uint32_t support = 0, below = 0;

			if (found && seq <= nv->seq)
				continue;
			for (uint32_t k = 0; k < p->replicas; k++) {
				if (!(mask & (1u << k)))
					continue;
				support += holds_checkpoint(&vcs[k], seq, digest);
				below += vcs[k].seq <= seq;
			}
			if (support < p->f + 1 || below < 2 * p->f + 1)
				continue;
			found = true;
			nv->seq = seq;
			memcpy(nv->digest, digest, PBFT_DIGEST_BYTES);
		}
	}
	return found;
}

static const struct pbft_cert *prepared_at(const struct pbft_msg *m, uint64_t seq)
{
	for (uint32_t k = 0; k < m->cert_count; k++) {
		if (m->certs[k].seq == seq)
			return &m->certs[k];
	}
	return NULL;
}

static bool vouches_for(const struct pbft_msg *m, const struct pbft_cert *c)
{
	for (uint32_t k = 0; k < m->vouch_count; k++) {
		const struct pbft_vouch *q = &m->vouches[k];

		if (q->seq == c->seq && q->view >= c->view && digest_eq(q->digest, c->digest))
			return true;
	}
	return false;
}

/* Rule A: 2f+1 messages below the seq do not contradict @c, and f+1 pre-prepared it. */
static bool justified(const struct pbft_msg *vcs, uint32_t mask,
		      const struct pbft_decide_params *p, const struct pbft_cert *c)
{
	uint32_t agree = 0, vouch = 0;

	for (uint32_t k = 0; k < p->replicas; k++) {
		const struct pbft_cert *x;

		if (!(mask & (1u << k)))
			continue;
		vouch += vouches_for(&vcs[k], c);
		if (vcs[k].seq >= c->seq)
			continue;
		x = prepared_at(&vcs[k], c->seq);
		if (!x || x->view < c->view ||
		    (x->view == c->view && digest_eq(x->digest, c->digest)))
			agree++;
	}
	return agree >= 2 * p->f + 1 && vouch >= p->f + 1;
}

/*
 * Seq @seq: the justified certificate from the highest view (the lowest sender among equals),
 * or NULL with *@decided if 2f+1 messages below it prepared nothing there (rule B).
 */
static const struct pbft_cert *choose_at(const struct pbft_msg *vcs, uint32_t mask,
					 const struct pbft_decide_params *p, uint64_t seq,
					 bool *decided)
{
	const struct pbft_cert *best = NULL;
	uint32_t empty = 0;

	for (uint32_t j = 0; j < p->replicas; j++) {
		const struct pbft_cert *x;

		if (!(mask & (1u << j)) || vcs[j].seq >= seq)
			continue;
		x = prepared_at(&vcs[j], seq);
		if (!x)
			empty++;
		else if ((!best || x->view > best->view) && justified(vcs, mask, p, x))
			best = x;
	}
	*decided = best || empty >= 2 * p->f + 1;
	return best;
}

bool pbft_decide_new_view(const struct pbft_msg *vcs, uint32_t mask,
			  const struct pbft_decide_params *p, struct pbft_msg *nv)
{
	uint64_t max_s;

	ASSERT(p->replicas == 3 * p->f + 1 && p->replicas <= PBFT_REPLICAS_MAX);
	ASSERT(p->window <= PBFT_LOG_SEQS_MAX);
	nv->type = PBFT_MSG_NEW_VIEW;
	nv->view = p->view;
	nv->vc_mask = mask;
	nv->cert_count = 0;
	if (!choose_start(vcs, mask, p, nv))
		return false;
	max_s = nv->seq;
	for (uint32_t j = 0; j < p->replicas && !p->drop_prepared; j++) {
		for (uint32_t k = 0; (mask & (1u << j)) && k < vcs[j].cert_count; k++) {
			uint64_t seq = vcs[j].certs[k].seq;

			/* Above h+L nothing committed: 2f+1 replicas would be past h. */
			if (seq > max_s && seq <= nv->seq + p->window)
				max_s = seq;
		}
	}
	for (uint64_t seq = nv->seq + 1; seq <= max_s; seq++) {
		struct pbft_cert *c = &nv->certs[nv->cert_count++];
		bool decided;
		const struct pbft_cert *x = choose_at(vcs, mask, p, seq, &decided);

		if (!decided)
			return false;
		c->seq = seq;
		c->view = p->view;
		c->batch.count = 0;
		if (x)
			c->batch = x->batch;
		pbft_batch_digest(&c->batch, c->digest);
	}
	ASSERT(nv->cert_count <= p->window);
	return true;
}
