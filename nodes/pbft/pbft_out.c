/* SPDX-License-Identifier: MIT */
/* pbft_out.c - the output queue of a step: sends (with the Byzantine send hooks), events,
 * building a message, and sealing plain bytes for their target. */
#include <string.h>

#include "fl_assert.h"
#include "pbft_internal.h"

static void corrupt_digest(uint8_t *plain)
{
	plain[1 + 4 + 8 + 8] ^= 0x5a;   /* the first digest byte of the header */
}

static struct pbft_send *out_push(struct pbft_replica *r, uint8_t kind, uint32_t target,
				  uint32_t size)
{
	struct pbft_outputs *out = r->out;
	struct pbft_send *s = &out->sends[out->send_count++];

	ASSERT(out->send_count <= PBFT_OUT_SENDS_MAX);
	s->target_kind = kind;
	s->target = target;
	s->offset = out->bytes_used;
	s->size = size;
	out->bytes_used += size;
	ASSERT(out->bytes_used <= PBFT_OUT_BYTES_MAX);
	return s;
}

void pbft_out_send(struct pbft_replica *r, const struct pbft_msg *m, uint8_t kind,
		   uint32_t target)
{
	struct pbft_outputs *out = r->out;
	uint8_t *plain;
	ssize_t size;

	ASSERT(out);
	ASSERT(m->sender == r->config.id);
	if ((r->config.byzantine & PBFT_BYZ_CONFLICTING_VOTES) && kind == PBFT_TO_ALL &&
	    (m->type == PBFT_MSG_PREPARE || m->type == PBFT_MSG_COMMIT))
		return;         /* it only votes through pbft_byz_echo() */
	if (out->send_count == PBFT_OUT_SENDS_MAX) {
		r->counters.overflow_count++;
		return;
	}
	plain = out->bytes + out->bytes_used;
	size = pbft_encode(m, plain, PBFT_OUT_BYTES_MAX - out->bytes_used);
	if (size < 0) {
		r->counters.overflow_count++;
		return;
	}
	if ((r->config.byzantine & PBFT_BYZ_CORRUPT_DIGEST) && m->type != PBFT_MSG_PRE_PREPARE &&
	    m->type != PBFT_MSG_REPLY)
		corrupt_digest(plain);
	(void)out_push(r, kind, target, (uint32_t)size);
	if (r->config.byzantine & (PBFT_BYZ_REPLAY | PBFT_BYZ_FORGE_SENDER))
		pbft_byz_sent(r, m, kind, plain, (size_t)size);
}

/* Plain bytes built elsewhere (the Byzantine hooks' replays and forgeries) as one send. */
void pbft_out_plain(struct pbft_replica *r, const uint8_t *plain, size_t size, uint8_t kind,
		    uint32_t target)
{
	struct pbft_outputs *out = r->out;

	ASSERT(out && size >= PBFT_HEADER_BYTES && size <= PBFT_MSG_BYTES_MAX);
	if (out->send_count == PBFT_OUT_SENDS_MAX || PBFT_OUT_BYTES_MAX - out->bytes_used < size) {
		r->counters.overflow_count++;
		return;
	}
	memcpy(out->bytes + out->bytes_used, plain, size);
	(void)out_push(r, kind, target, (uint32_t)size);
}

struct pbft_event *pbft_out_event(struct pbft_replica *r, uint8_t type)
{
	struct pbft_event *e;

	ASSERT(r->out);
	if (r->out->event_count == PBFT_OUT_EVENTS_MAX) {
		r->counters.overflow_count++;
		return NULL;
	}
	e = &r->out->events[r->out->event_count++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	return e;
}

void pbft_msg_init(const struct pbft_replica *r, struct pbft_msg *m, uint8_t type,
		   uint64_t seq, const uint8_t digest[PBFT_DIGEST_BYTES])
{
	m->type = type;
	m->sender = r->config.id;
	m->view = r->view;
	m->seq = seq;
	if (digest)
		memcpy(m->digest, digest, PBFT_DIGEST_BYTES);
	else
		memset(m->digest, 0, PBFT_DIGEST_BYTES);
	m->batch.count = 0;
	m->cert_count = 0;
	m->claim_count = 0;
	m->vouch_count = 0;
	m->vc_mask = 0;
}

ssize_t pbft_replica_seal(const struct pbft_replica *r, uint8_t target_kind, uint32_t target,
			  const uint8_t *plain, size_t plain_size, uint8_t *buf, size_t size)
{
	uint32_t principal = target;

	if (target_kind == PBFT_TO_CLIENT) {
		ASSERT(target < PBFT_CLIENTS_MAX);
		principal = r->config.replicas + target;
	} else {
		ASSERT(target < r->config.replicas);
	}
	return pbft_mac_seal(&r->key_send[principal], plain, plain_size, buf, size);
}
