/* SPDX-License-Identifier: MIT */
/* pbft_view.c - view changes driven by ticks: view-change messages with the stable
 * checkpoint and prepared certificates, the new primary's new-view, and retransmission. */
#include <string.h>

#include "fl_assert.h"
#include "pbft_decide.h"
#include "pbft_internal.h"

/* The honest P, C and Q sets above the stable checkpoint (TOCS 2002, 4.5). */
void pbft_view_change_fill(const struct pbft_replica *r, struct pbft_msg *m)
{
	for (uint64_t seq = r->stable_seq + 1; seq <= r->stable_seq + r->config.window; seq++) {
		const struct pbft_slot *s = &r->slots[seq % r->config.window];
		const struct pbft_ckpt *ck = &r->ckpts[(seq / r->config.checkpoint_interval) %
						       r->config.window];

		if (seq % r->config.checkpoint_interval == 0 && ck->seq == seq && ck->own) {
			struct pbft_ckpt_claim *c = &m->claims[m->claim_count++];

			c->seq = seq;
			memcpy(c->digest, ck->own_digest, PBFT_DIGEST_BYTES);
		}
		if (s->seq != seq)
			continue;
		if (s->has_cert)
			m->certs[m->cert_count++] = s->cert;
		for (uint32_t i = 0; i < s->vouch_count; i++)
			m->vouches[m->vouch_count++] = s->vouches[i];
	}
	ASSERT(m->cert_count <= PBFT_LOG_SEQS_MAX && m->vouch_count <= PBFT_VOUCHES_MAX);
}

static void build_view_change(struct pbft_replica *r, struct pbft_msg *m)
{
	pbft_msg_init(r, m, PBFT_MSG_VIEW_CHANGE, r->stable_seq, r->stable_digest);
	if (r->config.byzantine & PBFT_BYZ_FAKE_CERTIFICATES) {
		pbft_byz_view_change(r, m);
		return;
	}
	if (r->config.byzantine & PBFT_BYZ_CONFLICTING_VOTES)
		return;         /* it also lies by omission: claims nothing prepared */
	pbft_view_change_fill(r, m);
}

static void try_new_view(struct pbft_replica *r);

static void start_view_change(struct pbft_replica *r, uint64_t view)
{
	ASSERT(view > r->view || (view == r->view && !r->view_changing));
	pbft_tentative_undo(r);         /* it may not be in the new view */
	r->view = view;
	r->view_changing = true;
	r->progress_tick = r->ticks;
	r->nv_valid = false;
	for (uint32_t i = 0; i < r->pending_count; i++)
		r->pending[i].proposed = false;
	build_view_change(r, &r->vcs[r->config.id]);
	r->vc_mask |= 1u << r->config.id;
	pbft_out_send(r, &r->vcs[r->config.id], PBFT_TO_ALL, 0);
	try_new_view(r);
}

/*
 * pbft_view_tick() - the view timer. While view-changing it is the new view's timeout (twice
 * the view timeout). Otherwise it runs while a request waits to execute, from the later of
 * the last execution and the moment something began to wait: measured from the last
 * execution alone, the first request after an idle spell would start a view change at the
 * next tick unless it had executed by then.
 */
void pbft_view_tick(struct pbft_replica *r)
{
	uint64_t since = r->progress_tick > r->wait_tick ? r->progress_tick : r->wait_tick;

	if (r->view_changing) {
		if (r->ticks - r->progress_tick >= 2ull * r->config.view_timeout_ticks)
			start_view_change(r, r->view + 1);
		return;
	}
	if (r->pending_count == 0 || r->ticks - since < r->config.view_timeout_ticks)
		return;
	/* f+1 others are past us: the view works, we lag. Catch up by state transfer rather
	 * than leave for a view the others will not join (a lonely view change). */
	if (pbft_state_behind(r)) {
		r->progress_tick = r->ticks;
		r->counters.lag_count++;
		return;
	}
	start_view_change(r, r->view + 1);
}

/* The view-changes for @view we hold, as a mask of senders. */
static uint32_t vcs_for(const struct pbft_replica *r, uint64_t view)
{
	uint32_t mask = 0;

	for (uint32_t j = 0; j < r->config.replicas; j++) {
		if ((r->vc_mask & (1u << j)) && r->vcs[j].view == view)
			mask |= 1u << j;
	}
	return mask;
}

/* The new-view for @view from the view-changes in @mask (pbft_decide.c). Return: false if
 * some sender in @mask has none for @view here, or they do not decide yet. */
static bool compute_new_view(const struct pbft_replica *r, uint64_t view, uint32_t mask,
			     struct pbft_msg *nv)
{
	struct pbft_decide_params p = {
		.replicas = r->config.replicas, .f = r->f, .window = r->config.window,
		.view = view, .drop_prepared = r->config.bugs & PBFT_BUG_VC_DROPS_PREPARED,
	};

	if ((mask & ~vcs_for(r, view)) != 0)
		return false;
	return pbft_decide_new_view(r->vcs, mask, &p, nv);
}

static void enter_view(struct pbft_replica *r, const struct pbft_msg *nv)
{
	pbft_tentative_undo(r);
	r->view = nv->view;
	r->view_changing = false;
	r->progress_tick = r->ticks;
	r->next_seq = nv->seq + nv->cert_count + 1;
	if (r->next_seq <= r->executed_seq)
		r->next_seq = r->executed_seq + 1;
	for (uint32_t i = 0; i < nv->cert_count; i++) {
		const struct pbft_batch *b = &nv->certs[i].batch;

		if (nv->certs[i].seq <= r->stable_seq)
			continue;       /* already stable here */
		for (uint32_t q = 0; q < b->count; q++) {
			for (uint32_t p = 0; p < r->pending_count; p++) {
				const struct pbft_request *pq = &r->pending[p].request;

				/* A later request of the same client is not in this batch. */
				if (pq->client == b->requests[q].client &&
				    pq->timestamp <= b->requests[q].timestamp)
					r->pending[p].proposed = true;
			}
		}
		pbft_accept_pre_prepare(r, nv->view, nv->certs[i].seq, nv->certs[i].digest, b);
	}
	pbft_pending_propose(r);
	ASSERT(!r->view_changing);
}

/* The new primary decides once the view-changes it holds allow (each new one may). */
static void try_new_view(struct pbft_replica *r)
{
	uint32_t mask = vcs_for(r, r->view);

	if (!r->view_changing || pbft_primary(r->view, r->config.replicas) != r->config.id ||
	    pbft_popcount(mask) < pbft_quorum(r))
		return;
	if (!compute_new_view(r, r->view, mask, &r->nv)) {
		r->counters.undecided_count++;
		return;
	}
	r->nv.sender = r->config.id;
	r->nv_valid = true;
	pbft_out_send(r, &r->nv, PBFT_TO_ALL, 0);
	enter_view(r, &r->nv);
}

void pbft_on_view_change(struct pbft_replica *r, const struct pbft_msg *m)
{
	uint32_t j = m->sender, higher = 0;
	uint64_t lowest = UINT64_MAX;

	if (!pbft_view_change_valid(m, r->config.window) ||
	    ((r->vc_mask & (1u << j)) && r->vcs[j].view >= m->view)) {
		r->counters.refused_count++;
		return;
	}
	r->vcs[j] = *m;
	r->vc_mask |= 1u << j;
	/* f+1 replicas want a higher view: at least one is correct, so join the lowest. */
	for (uint32_t i = 0; i < r->config.replicas; i++) {
		if (!(r->vc_mask & (1u << i)) || r->vcs[i].view <= r->view)
			continue;
		higher++;
		if (r->vcs[i].view < lowest)
			lowest = r->vcs[i].view;
	}
	if (higher >= r->f + 1)
		start_view_change(r, lowest);
	try_new_view(r);
}

void pbft_on_new_view(struct pbft_replica *r, const struct pbft_msg *m)
{
	struct pbft_msg *mine = &r->scratch;

	if (m->view < r->view || (m->view == r->view && !r->view_changing) ||
	    m->sender != pbft_primary(m->view, r->config.replicas) ||
	    pbft_popcount(m->vc_mask) < pbft_quorum(r) ||
	    (m->vc_mask >> r->config.replicas) != 0) {
		r->counters.refused_count++;
		return;
	}
	/* Check it against the view-changes we hold; without all of them, wait for the
	 * primary's retransmission (they arrive by then, or the view change times out). */
	if (!compute_new_view(r, m->view, m->vc_mask, mine) || mine->seq != m->seq ||
	    memcmp(mine->digest, m->digest, PBFT_DIGEST_BYTES) != 0 ||
	    mine->cert_count != m->cert_count) {
		r->counters.refused_count++;
		return;
	}
	for (uint32_t i = 0; i < m->cert_count; i++) {
		if (mine->certs[i].seq != m->certs[i].seq ||
		    memcmp(mine->certs[i].digest, m->certs[i].digest, PBFT_DIGEST_BYTES) != 0) {
			r->counters.refused_count++;
			return;
		}
	}
	enter_view(r, m);
}

/*
 * pbft_view_restore() - after a restart from its promises (pbft_promises.c), with its log
 * restored in r->view: a backup that was in a view goes on in it (its vouches refuse any
 * other pre-prepare there). One that was changing view goes on changing into it, and the
 * primary of a view it was in leaves for the next one, since it may have assigned seqs there
 * that it no longer knows. The view-change goes out with the next retransmission.
 */
void pbft_view_restore(struct pbft_replica *r, bool changing)
{
	uint32_t id = r->config.id;

	if (!changing && pbft_primary(r->view, r->config.replicas) != id)
		return;
	if (!changing)
		r->view++;
	r->view_changing = true;
	r->nv_valid = false;
	build_view_change(r, &r->vcs[id]);
	r->vc_mask = 1u << id;
}

/* Every retransmit_ticks: what this replica last said about each unfinished thing. */
void pbft_view_retransmit(struct pbft_replica *r)
{
	uint32_t id = r->config.id;
	bool primary = pbft_primary(r->view, r->config.replicas) == id;

	/* The latest stable checkpoint, so laggards learn what to fetch (pbft_state.c). */
	if (r->stable_seq > 0) {
		pbft_msg_init(r, &r->scratch, PBFT_MSG_CHECKPOINT, r->stable_seq, r->stable_digest);
		pbft_out_send(r, &r->scratch, PBFT_TO_ALL, 0);
	}
	if (r->view_changing) {
		pbft_out_send(r, &r->vcs[id], PBFT_TO_ALL, 0);
		return;
	}
	if (primary && r->nv_valid && r->nv.view == r->view)
		pbft_out_send(r, &r->nv, PBFT_TO_ALL, 0);
	/* Backups check a new-view against the view-changes it names: keep ours coming. */
	if ((r->vc_mask & (1u << id)) && r->vcs[id].view == r->view)
		pbft_out_send(r, &r->vcs[id], PBFT_TO_ALL, 0);
	for (uint32_t i = 0; i < r->config.window; i++) {
		struct pbft_slot *s = &r->slots[i];
		struct pbft_msg *m = &r->scratch;

		if (s->seq == 0 || s->view != r->view || !s->has_pp)
			continue;
		pbft_msg_init(r, m, PBFT_MSG_PRE_PREPARE, s->seq, s->digest);
		m->batch = s->batch;
		if (primary && (r->config.byzantine &
				(PBFT_BYZ_EQUIVOCATE | PBFT_BYZ_CORRUPT_DIGEST)))
			pbft_byz_pre_prepare(r, m);
		else if (primary)
			pbft_out_send(r, m, PBFT_TO_ALL, 0);
		m->type = PBFT_MSG_PREPARE;
		if (s->prepare_mask & (1u << id))
			pbft_out_send(r, m, PBFT_TO_ALL, 0);
		m->type = PBFT_MSG_COMMIT;
		if (s->commit_sent)
			pbft_out_send(r, m, PBFT_TO_ALL, 0);
	}
	for (uint32_t i = 0; i < r->config.window; i++) {
		struct pbft_ckpt *ck = &r->ckpts[i];

		if (ck->seq == 0 || !ck->own)
			continue;
		pbft_msg_init(r, &r->scratch, PBFT_MSG_CHECKPOINT, ck->seq, ck->own_digest);
		pbft_out_send(r, &r->scratch, PBFT_TO_ALL, 0);
	}
}
