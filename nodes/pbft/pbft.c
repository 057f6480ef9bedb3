/* SPDX-License-Identifier: MIT */
/* pbft.c - the replica's step function: new/free, authentication, dispatch, and the normal
 * case (pre-prepare, prepare, commit votes). */
#include "pbft.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "pbft_internal.h"

uint32_t pbft_primary(uint64_t view, uint32_t replicas)
{
	ASSERT(replicas > 0);
	return (uint32_t)(view % replicas);
}

uint32_t pbft_popcount(uint32_t mask)
{
	return (uint32_t)__builtin_popcount(mask);
}

static int config_check(const struct pbft_config *c, struct errbuf *eb)
{
	if (c->replicas < 4 || c->replicas > PBFT_REPLICAS_MAX || (c->replicas - 1) % 3 != 0)
		return errbuf_set(eb, -EINVAL, "replicas %u: not 3f+1 in 4..%u", c->replicas,
				  PBFT_REPLICAS_MAX);
	if (c->id >= c->replicas)
		return errbuf_set(eb, -EINVAL, "id %u: not below replicas %u", c->id, c->replicas);
	if (c->batch_max < 1 || c->batch_max > PBFT_BATCH_MAX)
		return errbuf_set(eb, -EINVAL, "batch_max %u: not in 1..%u", c->batch_max,
				  PBFT_BATCH_MAX);
	if (c->window < 1 || c->window > PBFT_LOG_SEQS_MAX)
		return errbuf_set(eb, -EINVAL, "window %u: not in 1..%u", c->window,
				  PBFT_LOG_SEQS_MAX);
	if (c->checkpoint_interval < 1 || c->window % c->checkpoint_interval != 0)
		return errbuf_set(eb, -EINVAL, "checkpoint_interval %u: does not divide window %u",
				  c->checkpoint_interval, c->window);
	if (c->view_timeout_ticks < 1 || c->retransmit_ticks < 1)
		return errbuf_set(eb, -EINVAL, "view_timeout_ticks and retransmit_ticks: >= 1");
	return 0;
}

int pbft_replica_new(const struct pbft_config *config, struct pbft_replica **out,
		     struct errbuf *eb)
{
	struct pbft_replica *r;
	uint32_t principals;
	int err = config_check(config, eb);

	if (err)
		return err;
	if (sodium_init() < 0)
		return errbuf_set(eb, -ENOMEM, "sodium_init failed");
	r = calloc(1, sizeof(*r));
	if (!r)
		return errbuf_set(eb, -ENOMEM, "pbft replica: %zu bytes", sizeof(*r));
	r->config = *config;
	r->f = (config->replicas - 1) / 3;
	r->next_seq = 1;
	principals = config->replicas + PBFT_CLIENTS_MAX;
	for (uint32_t j = 0; j < principals; j++) {
		uint8_t key[PBFT_KEY_BYTES];

		pbft_key_derive(config->secret, config->id, j, key);
		pbft_mac_key_init(&r->key_send[j], key);
		pbft_key_derive(config->secret, j, config->id, key);
		pbft_mac_key_init(&r->key_recv[j], key);
		sodium_memzero(key, sizeof(key));
	}
	pbft_kv_init(&r->kv);
	ASSERT(3 * r->f + 1 == config->replicas);
	*out = r;
	return 0;
}

void pbft_replica_free(struct pbft_replica *r)
{
	free(r);
}

/* --- the normal case --- */

/* Votes are per view: a new view starts with none, but keeps decisions and certificates. */
static void slot_to_view(struct pbft_slot *s, uint64_t view)
{
	if (s->view == view)
		return;
	s->view = view;
	s->has_pp = s->committed;       /* a committed slot keeps its batch and digest */
	s->prepare_mask = 0;
	s->commit_mask = 0;
	memset(s->prepare_msgs, 0, sizeof(s->prepare_msgs));
	memset(s->commit_msgs, 0, sizeof(s->commit_msgs));
	s->prepared = false;
	s->commit_sent = false;
	s->echoed_mask = 0;
}

static uint32_t votes(const struct pbft_replica *r, const struct pbft_slot *s, bool commit)
{
	uint32_t mask = commit ? s->commit_mask : s->prepare_mask, count = 0;

	for (uint32_t i = 0; i < r->config.replicas; i++) {
		const uint8_t *d = commit ? s->commit_digest[i] : s->prepare_digest[i];

		if (!(mask & (1u << i)) || memcmp(d, s->digest, PBFT_DIGEST_BYTES) != 0)
			continue;
		if (r->config.bugs & PBFT_BUG_COUNT_MESSAGES)
			count += commit ? s->commit_msgs[i] : s->prepare_msgs[i];
		else
			count++;
	}
	return count;
}

/* The commit certificate this replica holds: senders whose commit matches the slot's digest
 * (the evidence log shows it, so a checker can see a certificate below 2f+1). */
static uint32_t matching_senders(const struct pbft_replica *r, const struct pbft_slot *s)
{
	uint32_t mask = 0;

	for (uint32_t i = 0; i < r->config.replicas; i++) {
		if ((s->commit_mask & (1u << i)) &&
		    memcmp(s->commit_digest[i], s->digest, PBFT_DIGEST_BYTES) == 0)
			mask |= 1u << i;
	}
	return mask;
}

static void record_vote(struct pbft_slot *s, bool commit, uint32_t sender,
			const uint8_t digest[PBFT_DIGEST_BYTES])
{
	uint32_t *mask = commit ? &s->commit_mask : &s->prepare_mask;
	uint8_t *d = commit ? s->commit_digest[sender] : s->prepare_digest[sender];
	uint32_t *msgs = commit ? &s->commit_msgs[sender] : &s->prepare_msgs[sender];

	ASSERT(sender < PBFT_REPLICAS_MAX);
	if (!(*mask & (1u << sender))) {
		*mask |= 1u << sender;
		memcpy(d, digest, PBFT_DIGEST_BYTES);
		*msgs = 1;
	} else if (memcmp(d, digest, PBFT_DIGEST_BYTES) == 0) {
		(*msgs)++;      /* a duplicate: one sender, one vote (unless the bug) */
	}
	ASSERT(*mask & (1u << sender));
}

static void send_vote(struct pbft_replica *r, struct pbft_slot *s, uint8_t type)
{
	struct pbft_msg *m = &r->scratch;

	pbft_msg_init(r, m, type, s->seq, s->digest);
	m->view = s->view;
	record_vote(s, type == PBFT_MSG_COMMIT, r->config.id, s->digest);
	pbft_out_send(r, m, PBFT_TO_ALL, 0);
}

/* prepared: the pre-prepare and 2f matching prepares from distinct backups (ours counts);
 * committed-local: prepared and 2f+1 matching commits from distinct replicas. */
void pbft_try_commit(struct pbft_replica *r, struct pbft_slot *s)
{
	uint32_t quorum = pbft_quorum(r);

	if (r->config.bugs & PBFT_BUG_QUORUM_2F)
		quorum = 2 * r->f;
	if (!s->has_pp || s->view != r->view || r->view_changing)
		return;
	if (!s->prepared && votes(r, s, false) >= 2 * r->f) {
		s->prepared = true;
		s->has_cert = true;
		s->cert.seq = s->seq;
		s->cert.view = s->view;
		memcpy(s->cert.digest, s->digest, PBFT_DIGEST_BYTES);
		s->cert.batch = s->batch;
	}
	if (s->prepared && !s->commit_sent) {
		s->commit_sent = true;
		send_vote(r, s, PBFT_MSG_COMMIT);
		if (r->config.tentative && s->seq == r->executed_seq + 1)
			pbft_execute_ready(r);  /* executes it tentatively */
	}
	if (s->prepared && !s->committed && votes(r, s, true) >= quorum) {
		uint32_t voters = matching_senders(r, s);

		s->committed = true;
		for (uint32_t i = 0; i < (s->batch.count ? s->batch.count : 1); i++) {
			struct pbft_event *e = pbft_out_event(r, PBFT_EV_COMMIT);

			if (!e)
				break;
			e->view = s->view;
			e->seq = s->seq;
			memcpy(e->digest, s->digest, PBFT_DIGEST_BYTES);
			e->index = i;
			e->client = s->batch.count ? s->batch.requests[i].client : UINT32_MAX;
			e->timestamp = s->batch.count ? s->batch.requests[i].timestamp : 0;
			e->voters = voters;
		}
		pbft_execute_ready(r);
	}
	ASSERT(!s->committed || s->has_cert);
}

/* Did this slot accept a pre-prepare for another digest in @view? Before a restart it may
 * have (pbft_promises.c: the vouches survive it, the pre-prepares do not). */
static bool vouched_other(const struct pbft_slot *s, uint64_t view,
			  const uint8_t digest[PBFT_DIGEST_BYTES])
{
	for (uint32_t i = 0; i < s->vouch_count; i++) {
		if (s->vouches[i].view == view &&
		    memcmp(s->vouches[i].digest, digest, PBFT_DIGEST_BYTES) != 0)
			return true;
	}
	return false;
}

void pbft_accept_pre_prepare(struct pbft_replica *r, uint64_t view, uint64_t seq,
			     const uint8_t digest[PBFT_DIGEST_BYTES],
			     const struct pbft_batch *batch)
{
	struct pbft_slot *s = pbft_slot_get(r, seq);

	ASSERT(view == r->view);
	if (!s) {
		r->counters.refused_count++;
		return;
	}
	slot_to_view(s, view);
	if ((s->has_pp && memcmp(s->digest, digest, PBFT_DIGEST_BYTES) != 0) ||
	    vouched_other(s, view, digest)) {
		r->counters.refused_count++;    /* a second pre-prepare, or decided */
		return;
	}
	memcpy(s->digest, digest, PBFT_DIGEST_BYTES);
	pbft_vouch_record(s, view);
	if (s->has_pp && s->committed)
		return;
	s->has_pp = true;
	s->batch = *batch;
	if (pbft_primary(view, r->config.replicas) != r->config.id &&
	    !(s->prepare_mask & (1u << r->config.id)))
		send_vote(r, s, PBFT_MSG_PREPARE);
	pbft_try_commit(r, s);
}

static void on_pre_prepare(struct pbft_replica *r, const struct pbft_msg *m)
{
	uint8_t digest[PBFT_DIGEST_BYTES];

	if (m->view != r->view || r->view_changing ||
	    m->sender != pbft_primary(m->view, r->config.replicas)) {
		r->counters.refused_count++;
		return;
	}
	pbft_batch_digest(&m->batch, digest);
	if (memcmp(digest, m->digest, PBFT_DIGEST_BYTES) != 0) {
		r->counters.bad_digest_count++;
		if (!(r->config.bugs & PBFT_BUG_NO_DIGEST_CHECK))
			return;
	}
	pbft_byz_echo(r, m);
	pbft_accept_pre_prepare(r, m->view, m->seq, m->digest, &m->batch);
}

static void on_vote(struct pbft_replica *r, const struct pbft_msg *m)
{
	struct pbft_slot *s = pbft_slot_get(r, m->seq);

	if (!s || m->view != r->view || r->view_changing ||
	    (m->type == PBFT_MSG_PREPARE &&
	     m->sender == pbft_primary(m->view, r->config.replicas))) {
		r->counters.refused_count++;
		return;
	}
	slot_to_view(s, m->view);
	pbft_byz_echo(r, m);
	record_vote(s, m->type == PBFT_MSG_COMMIT, m->sender, m->digest);
	pbft_try_commit(r, s);
}

/* --- the step --- */

static void dispatch(struct pbft_replica *r, const struct pbft_msg *m)
{
	uint32_t n = r->config.replicas;
	bool from_client = m->sender >= n;
	bool request = m->type == PBFT_MSG_REQUEST || m->type == PBFT_MSG_READ_ONLY;

	if (m->sender == r->config.id || from_client != request ||
	    m->type == PBFT_MSG_REPLY ||
	    (from_client && m->request.client != m->sender - n)) {
		r->counters.refused_count++;
		return;
	}
	switch (m->type) {
	case PBFT_MSG_REQUEST:
		pbft_on_request(r, &m->request);
		break;
	case PBFT_MSG_READ_ONLY:
		pbft_on_read_only(r, &m->request);
		break;
	case PBFT_MSG_PRE_PREPARE:
		on_pre_prepare(r, m);
		break;
	case PBFT_MSG_PREPARE:
	case PBFT_MSG_COMMIT:
		on_vote(r, m);
		break;
	case PBFT_MSG_CHECKPOINT:
		pbft_on_checkpoint(r, m);
		break;
	case PBFT_MSG_VIEW_CHANGE:
		pbft_on_view_change(r, m);
		break;
	case PBFT_MSG_FETCH_STATE:
		pbft_on_fetch_state(r, m);
		break;
	case PBFT_MSG_STATE:
		pbft_on_state(r, m);
		break;
	default:
		ASSERT(m->type == PBFT_MSG_NEW_VIEW);
		pbft_on_new_view(r, m);
		break;
	}
}

static void on_message(struct pbft_replica *r, const uint8_t *bytes, size_t size)
{
	uint32_t principals = r->config.replicas + PBFT_CLIENTS_MAX, sender;
	size_t plain_size;

	if (pbft_sender_peek(bytes, size, &sender) < 0) {
		r->counters.malformed_count++;
		return;
	}
	if (sender >= principals || pbft_mac_open(&r->key_recv[sender], bytes, size, &plain_size)) {
		r->counters.forged_count++;
		return;
	}
	if (pbft_decode(bytes, plain_size, principals, &r->inbox, NULL) < 0) {
		r->counters.malformed_count++;
		return;
	}
	ASSERT(r->inbox.sender == sender);
	dispatch(r, &r->inbox);         /* handlers build what they send in scratch */
}

int pbft_step(struct pbft_replica *r, const struct pbft_input *in, struct pbft_outputs *out)
{
	uint64_t overflow = r->counters.overflow_count;

	ASSERT(r && in && out);
	out->send_count = 0;
	out->bytes_used = 0;
	out->event_count = 0;
	r->out = out;
	if (in->type == PBFT_IN_TICK) {
		r->ticks++;
		pbft_view_tick(r);
		if (r->ticks % r->config.retransmit_ticks == 0) {
			pbft_view_retransmit(r);
			pbft_state_tick(r);
		}
		if (r->config.byzantine & PBFT_BYZ_REPLAY)
			pbft_byz_tick(r);
	} else {
		ASSERT(in->type == PBFT_IN_MESSAGE);
		on_message(r, in->bytes, in->size);
	}
	if (r->config.byzantine & PBFT_BYZ_SILENT)
		out->send_count = 0;
	r->out = NULL;
	ASSERT(out->bytes_used <= PBFT_OUT_BYTES_MAX);
	return r->counters.overflow_count != overflow ? -E2BIG : 0;
}

bool pbft_replica_read_waiting(const struct pbft_replica *r)
{
	return r->read_waiting != 0;
}

void pbft_replica_status(const struct pbft_replica *r, struct pbft_status *status)
{
	*status = r->counters;
	status->view = r->view;
	status->view_changing = r->view_changing;
	status->stable_seq = r->stable_seq;
	status->executed_seq = r->executed_seq;
	status->pending_count = r->pending_count;
	status->log_slots_used = 0;
	for (uint32_t i = 0; i < r->config.window; i++) {
		if (r->slots[i].seq == 0)
			continue;
		ASSERT(r->slots[i].seq > r->stable_seq);
		status->log_slots_used++;
	}
}

static const struct {
	const char *name;
	uint32_t flag;
	bool bug;
} names[] = {
	{ "silent", PBFT_BYZ_SILENT, false },
	{ "equivocate", PBFT_BYZ_EQUIVOCATE, false },
	{ "corrupt-digest", PBFT_BYZ_CORRUPT_DIGEST, false },
	{ "conflicting-votes", PBFT_BYZ_CONFLICTING_VOTES, false },
	{ "wrong-results", PBFT_BYZ_WRONG_RESULTS, false },
	{ "replay", PBFT_BYZ_REPLAY, false },
	{ "forge-sender", PBFT_BYZ_FORGE_SENDER, false },
	{ "fake-certificates", PBFT_BYZ_FAKE_CERTIFICATES, false },
	{ "quorum-2f", PBFT_BUG_QUORUM_2F, true },
	{ "no-digest-check", PBFT_BUG_NO_DIGEST_CHECK, true },
	{ "count-messages-not-senders", PBFT_BUG_COUNT_MESSAGES, true },
	{ "view-change-drops-prepared", PBFT_BUG_VC_DROPS_PREPARED, true },
};

static int parse(const char *name, bool bug, uint32_t *flag)
{
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (names[i].bug == bug && strcmp(names[i].name, name) == 0) {
			*flag = names[i].flag;
			return 0;
		}
	}
	return -EINVAL;
}

int pbft_replica_set_byzantine(struct pbft_replica *r, uint32_t flags)
{
	uint32_t known = 0;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		known |= names[i].bug ? 0 : names[i].flag;
	if (flags & ~known)
		return -EINVAL;
	r->config.byzantine = flags;
	return 0;
}

int pbft_byzantine_parse(const char *name, uint32_t *flag)
{
	return parse(name, false, flag);
}

int pbft_bug_parse(const char *name, uint32_t *flag)
{
	return parse(name, true, flag);
}

static const char *name_of(uint32_t flag, bool bug)
{
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (names[i].bug == bug && names[i].flag == flag)
			return names[i].name;
	}
	return NULL;
}

const char *pbft_byzantine_name(uint32_t flag)
{
	return name_of(flag, false);
}

const char *pbft_bug_name(uint32_t flag)
{
	return name_of(flag, true);
}
