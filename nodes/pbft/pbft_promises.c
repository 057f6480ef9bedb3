/* SPDX-License-Identifier: MIT */
/* pbft_promises.c - what a replica promised, kept across a restart: its view, its stable
 * checkpoint and the P and Q sets a view-change would carry (PROTOCOL.md, Promises).
 *
 * A replica that forgets what it prepared and then joins a view change lies by omission, as
 * a Byzantine one would: two such restarts among the 2f+1 that form a new view can let it
 * re-assign a seq that a correct replica committed. So what its PREPAREs, COMMITs,
 * PRE-PREPAREs, VIEW-CHANGEs and NEW-VIEWs promised goes to disk before they leave (the
 * daemon's job, pbft_promise_file.c), as Tendermint keeps its last signed vote and Raft its
 * term and vote; this file turns it into bytes and back. */
#include <errno.h>
#include <string.h>

#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "pbft_decide.h"
#include "pbft_internal.h"

enum {
	PROMISES_VERSION = 1,
	PROMISES_CHANGING = 1u << 0,    /* flags: it was changing into the view */
	PROMISES_HEAD_BYTES = 1 + 1 + 4,        /* version, flags, the view-change's size */
};

STATIC_ASSERT(PBFT_PROMISES_BYTES_MAX >= PROMISES_HEAD_BYTES + PBFT_MSG_BYTES_MAX +
	      PBFT_HEADER_BYTES + PBFT_SNAPSHOT_BYTES, "the promises fit their bound");

/*
 * The bytes: u8 version, u8 flags, u32 size (little-endian) of a VIEW-CHANGE's plain bytes
 * (view: the replica's; seq and digest: its stable checkpoint; its P, C and Q sets), those
 * bytes, and when the stable seq is above 0 the plain bytes of a STATE (the snapshot there).
 */
ssize_t pbft_replica_promises(struct pbft_replica *r, uint8_t *buf, size_t size)
{
	struct pbft_msg *m = &r->scratch;
	ssize_t vc_size, state_size = 0;

	if (size < PROMISES_HEAD_BYTES)
		return -EMSGSIZE;
	pbft_msg_init(r, m, PBFT_MSG_VIEW_CHANGE, r->stable_seq, r->stable_digest);
	pbft_view_change_fill(r, m);
	vc_size = pbft_encode(m, buf + PROMISES_HEAD_BYTES, size - PROMISES_HEAD_BYTES);
	if (vc_size < 0)
		return vc_size;
	if (r->stable_seq > 0) {
		size_t used = PROMISES_HEAD_BYTES + (size_t)vc_size;

		pbft_msg_init(r, m, PBFT_MSG_STATE, r->stable_seq, r->stable_digest);
		m->snapshot = r->stable_snap;
		state_size = pbft_encode(m, buf + used, size - used);
		if (state_size < 0)
			return state_size;
	}
	buf[0] = PROMISES_VERSION;
	buf[1] = r->view_changing ? PROMISES_CHANGING : 0;
	codec_put_le(buf + 2, (uint64_t)vc_size, 4);
	return PROMISES_HEAD_BYTES + vc_size + state_size;
}

/* The stable checkpoint of the promises: its state here, executed and collected there. */
static int restore_checkpoint(struct pbft_replica *r, const struct pbft_msg *vc,
			      const uint8_t *bytes, size_t size, struct errbuf *eb)
{
	struct pbft_msg *state = &r->scratch;
	uint8_t digest[PBFT_DIGEST_BYTES];
	int err;

	if (vc->seq == 0)
		return size == 0 ? 0 : errbuf_set(eb, -EBADMSG, "%zu bytes after the "
						  "view-change of checkpoint 0", size);
	if (vc->seq % r->config.checkpoint_interval != 0)
		return errbuf_set(eb, -EBADMSG, "stable seq %llu is not a multiple of the "
				  "checkpoint interval %u", (unsigned long long)vc->seq,
				  r->config.checkpoint_interval);
	err = pbft_decode(bytes, size, r->config.replicas + PBFT_CLIENTS_MAX, state, eb);
	if (err < 0)
		return errbuf_prefix(eb, err, "the checkpoint's state");
	pbft_snapshot_digest(&state->snapshot, digest);
	if (state->type != PBFT_MSG_STATE || state->seq != vc->seq ||
	    memcmp(state->digest, vc->digest, PBFT_DIGEST_BYTES) != 0 ||
	    memcmp(digest, vc->digest, PBFT_DIGEST_BYTES) != 0)
		return errbuf_set(eb, -EBADMSG, "the state is not that of checkpoint %llu",
				  (unsigned long long)vc->seq);
	pbft_snapshot_apply(r, &state->snapshot);
	r->executed_seq = vc->seq;
	pbft_log_collect(r, vc->seq, vc->digest, &state->snapshot);
	return 0;
}

/* The P and Q sets into the log's slots, in r->view (set first). */
static void restore_log(struct pbft_replica *r, const struct pbft_msg *vc)
{
	for (uint32_t i = 0; i < vc->cert_count; i++) {
		struct pbft_slot *s = pbft_slot_get(r, vc->certs[i].seq);

		ASSERT(s);              /* pbft_view_change_valid(): within (h, h+L] */
		s->has_cert = true;
		s->cert = vc->certs[i];
	}
	for (uint32_t i = 0; i < vc->vouch_count; i++) {
		struct pbft_slot *s = pbft_slot_get(r, vc->vouches[i].seq);

		ASSERT(s);
		if (s->vouch_count < PBFT_VOUCHES_PER_SEQ)
			s->vouches[s->vouch_count++] = vc->vouches[i];
	}
}

int pbft_replica_restore(struct pbft_replica *r, const uint8_t *bytes, size_t size,
			 struct errbuf *eb)
{
	struct pbft_msg *vc = &r->inbox;
	uint64_t vc_size;
	bool valid;
	int err;

	ASSERT(r->view == 0 && r->executed_seq == 0 && r->stable_seq == 0);
	if (size < PROMISES_HEAD_BYTES || bytes[0] != PROMISES_VERSION ||
	    (bytes[1] & ~PROMISES_CHANGING) != 0)
		return errbuf_set(eb, -EBADMSG, "%zu bytes, not promises of version %d", size,
				  PROMISES_VERSION);
	vc_size = codec_get_le(bytes + 2, 4);
	if (vc_size > size - PROMISES_HEAD_BYTES)
		return errbuf_set(eb, -EBADMSG, "a view-change of %llu bytes in %zu",
				  (unsigned long long)vc_size, size - PROMISES_HEAD_BYTES);
	err = pbft_decode(bytes + PROMISES_HEAD_BYTES, vc_size,
			  r->config.replicas + PBFT_CLIENTS_MAX, vc, eb);
	if (err < 0)
		return errbuf_prefix(eb, err, "the view-change");
	/* Its certificates may be of its own view, where a view-change's are older than the
	 * view it asks for: it is checked as one for the next view. */
	if (vc->type != PBFT_MSG_VIEW_CHANGE || vc->sender != r->config.id ||
	    vc->view == UINT64_MAX)
		return errbuf_set(eb, -EBADMSG, "not a view-change of replica %u", r->config.id);
	vc->view++;
	valid = pbft_view_change_valid(vc, r->config.window);
	vc->view--;
	if (!valid)
		return errbuf_set(eb, -EBADMSG, "the view-change's sets are not in (h, h+%u] in "
				  "order, or a batch is not its digest's", r->config.window);
	err = restore_checkpoint(r, vc, bytes + PROMISES_HEAD_BYTES + vc_size,
				 size - PROMISES_HEAD_BYTES - vc_size, eb);
	if (err < 0)
		return err;
	r->view = vc->view;
	restore_log(r, vc);
	pbft_view_restore(r, bytes[1] & PROMISES_CHANGING);
	return 0;
}
