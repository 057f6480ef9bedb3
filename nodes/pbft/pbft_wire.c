/* SPDX-License-Identifier: MIT */
/* pbft_wire.c - bounded little-endian encode/decode of PBFT messages, digests and MACs. */
#include "pbft_wire.h"

#include <errno.h>
#include <sodium.h>
#include <stddef.h>
#include <string.h>

#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "pbft_kv.h"

STATIC_ASSERT(PBFT_MAC_BYTES == crypto_auth_BYTES, "MAC size is libsodium's");
STATIC_ASSERT(PBFT_KEY_BYTES == crypto_auth_KEYBYTES, "key size is libsodium's");
STATIC_ASSERT(PBFT_DIGEST_BYTES >= crypto_generichash_BYTES_MIN, "a valid BLAKE2b size");

static void put_value(struct codec_writer *w, const struct pbft_value *v)
{
	ASSERT(v->present || v->v == 0);
	codec_write_le(w, v->present, 1);
	codec_write_le(w, (uint64_t)v->v, 8);
}

static void get_value(struct codec_reader *r, struct pbft_value *v)
{
	uint64_t present = codec_read_le(r, 1, "value present");

	codec_read_check(r, present <= 1, "value present");
	v->present = present == 1;
	v->v = (int64_t)codec_read_le(r, 8, "value");
	codec_read_check(r, v->present || v->v == 0, "null value");
}

static void put_request(struct codec_writer *w, const struct pbft_request *q)
{
	ASSERT(q->client < PBFT_CLIENTS_MAX);
	ASSERT(q->op.verb >= PBFT_VERB_READ && q->op.verb < PBFT_VERB_END);
	ASSERT(q->op.key < PBFT_KEYS_MAX);
	codec_write_le(w, q->client, 4);
	codec_write_le(w, q->timestamp, 8);
	codec_write_le(w, q->op.verb, 1);
	codec_write_le(w, q->op.key, 4);
	put_value(w, &q->op.a);
	put_value(w, &q->op.b);
}

static void get_request(struct codec_reader *r, struct pbft_request *q)
{
	q->client = (uint32_t)codec_read_le(r, 4, "client");
	codec_read_check(r, q->client < PBFT_CLIENTS_MAX, "client");
	q->timestamp = codec_read_le(r, 8, "timestamp");
	codec_read_check(r, q->timestamp > 0, "timestamp");
	q->op.verb = (uint8_t)codec_read_le(r, 1, "verb");
	codec_read_check(r, q->op.verb >= PBFT_VERB_READ && q->op.verb < PBFT_VERB_END, "verb");
	q->op.key = (uint32_t)codec_read_le(r, 4, "key");
	codec_read_check(r, q->op.key < PBFT_KEYS_MAX, "key");
	get_value(r, &q->op.a);
	get_value(r, &q->op.b);
}

static void put_batch(struct codec_writer *w, const struct pbft_batch *b)
{
	ASSERT(b->count <= PBFT_BATCH_MAX);
	codec_write_le(w, b->count, 1);
	for (uint32_t i = 0; i < b->count; i++)
		put_request(w, &b->requests[i]);
}

static void get_batch(struct codec_reader *r, struct pbft_batch *b)
{
	b->count = (uint32_t)codec_read_le(r, 1, "batch count");
	codec_read_check(r, b->count <= PBFT_BATCH_MAX, "batch count");
	if (b->count > PBFT_BATCH_MAX)
		b->count = 0;
	for (uint32_t i = 0; i < b->count; i++)
		get_request(r, &b->requests[i]);
}

static void put_certs(struct codec_writer *w, const struct pbft_msg *m)
{
	ASSERT(m->cert_count <= PBFT_LOG_SEQS_MAX);
	codec_write_le(w, m->cert_count, 1);
	for (uint32_t i = 0; i < m->cert_count; i++) {
		codec_write_le(w, m->certs[i].seq, 8);
		codec_write_le(w, m->certs[i].view, 8);
		codec_write(w, m->certs[i].digest, PBFT_DIGEST_BYTES);
		put_batch(w, &m->certs[i].batch);
	}
}

static void get_certs(struct codec_reader *r, struct pbft_msg *m)
{
	m->cert_count = (uint32_t)codec_read_le(r, 1, "cert count");
	codec_read_check(r, m->cert_count <= PBFT_LOG_SEQS_MAX, "cert count");
	if (m->cert_count > PBFT_LOG_SEQS_MAX)
		m->cert_count = 0;
	for (uint32_t i = 0; i < m->cert_count; i++) {
		m->certs[i].seq = codec_read_le(r, 8, "cert seq");
		m->certs[i].view = codec_read_le(r, 8, "cert view");
		codec_read(r, m->certs[i].digest, PBFT_DIGEST_BYTES, "cert digest");
		get_batch(r, &m->certs[i].batch);
	}
}

/* A view-change's C and Q sets after its certificates. */
static void put_claims_and_vouches(struct codec_writer *w, const struct pbft_msg *m)
{
	ASSERT(m->claim_count <= PBFT_LOG_SEQS_MAX && m->vouch_count <= PBFT_VOUCHES_MAX);
	codec_write_le(w, m->claim_count, 1);
	for (uint32_t i = 0; i < m->claim_count; i++) {
		codec_write_le(w, m->claims[i].seq, 8);
		codec_write(w, m->claims[i].digest, PBFT_DIGEST_BYTES);
	}
	codec_write_le(w, m->vouch_count, 1);
	for (uint32_t i = 0; i < m->vouch_count; i++) {
		codec_write_le(w, m->vouches[i].seq, 8);
		codec_write_le(w, m->vouches[i].view, 8);
		codec_write(w, m->vouches[i].digest, PBFT_DIGEST_BYTES);
	}
}

static void get_claims_and_vouches(struct codec_reader *r, struct pbft_msg *m)
{
	m->claim_count = (uint32_t)codec_read_le(r, 1, "claim count");
	codec_read_check(r, m->claim_count <= PBFT_LOG_SEQS_MAX, "claim count");
	if (m->claim_count > PBFT_LOG_SEQS_MAX)
		m->claim_count = 0;
	for (uint32_t i = 0; i < m->claim_count; i++) {
		m->claims[i].seq = codec_read_le(r, 8, "claim seq");
		codec_read(r, m->claims[i].digest, PBFT_DIGEST_BYTES, "claim digest");
	}
	m->vouch_count = (uint32_t)codec_read_le(r, 1, "vouch count");
	codec_read_check(r, m->vouch_count <= PBFT_VOUCHES_MAX, "vouch count");
	if (m->vouch_count > PBFT_VOUCHES_MAX)
		m->vouch_count = 0;
	for (uint32_t i = 0; i < m->vouch_count; i++) {
		m->vouches[i].seq = codec_read_le(r, 8, "vouch seq");
		m->vouches[i].view = codec_read_le(r, 8, "vouch view");
		codec_read(r, m->vouches[i].digest, PBFT_DIGEST_BYTES, "vouch digest");
	}
}

static void put_snapshot(struct codec_writer *w, const struct pbft_snapshot *s)
{
	for (uint32_t k = 0; k < PBFT_KEYS_MAX; k++)
		put_value(w, &s->values[k]);
	for (uint32_t c = 0; c < PBFT_CLIENTS_MAX; c++) {
		codec_write_le(w, s->clients[c].last_timestamp, 8);
		codec_write_le(w, s->clients[c].ok, 1);
		put_value(w, &s->clients[c].value);
	}
}

static void get_snapshot(struct codec_reader *r, struct pbft_snapshot *s)
{
	uint64_t ok;

	for (uint32_t k = 0; k < PBFT_KEYS_MAX; k++)
		get_value(r, &s->values[k]);
	for (uint32_t c = 0; c < PBFT_CLIENTS_MAX; c++) {
		s->clients[c].last_timestamp = codec_read_le(r, 8, "snapshot timestamp");
		ok = codec_read_le(r, 1, "snapshot ok");
		codec_read_check(r, ok <= 1, "snapshot ok");
		s->clients[c].ok = ok == 1;
		get_value(r, &s->clients[c].value);
	}
}

static void put_body(struct codec_writer *w, const struct pbft_msg *m)
{
	switch (m->type) {
	case PBFT_MSG_READ_ONLY:
		ASSERT(m->request.op.verb == PBFT_VERB_READ);
		put_request(w, &m->request);
		break;
	case PBFT_MSG_REQUEST:
		put_request(w, &m->request);
		break;
	case PBFT_MSG_PRE_PREPARE:
		put_batch(w, &m->batch);
		break;
	case PBFT_MSG_REPLY:
		ASSERT(m->result.client < PBFT_CLIENTS_MAX);
		codec_write_le(w, m->result.client, 4);
		codec_write_le(w, m->result.timestamp, 8);
		codec_write_le(w, m->result.ok, 1);
		put_value(w, &m->result.value);
		break;
	case PBFT_MSG_NEW_VIEW:
		codec_write_le(w, m->vc_mask, 4);
		put_certs(w, m);
		break;
	case PBFT_MSG_VIEW_CHANGE:
		put_certs(w, m);
		put_claims_and_vouches(w, m);
		break;
	case PBFT_MSG_STATE:
		put_snapshot(w, &m->snapshot);
		break;
	default:
		break;
	}
}

ssize_t pbft_encode(const struct pbft_msg *m, uint8_t *buf, size_t size)
{
	struct codec_writer w = codec_writer_of(buf, size);

	ASSERT(m->type >= PBFT_MSG_REQUEST && m->type < PBFT_MSG_TYPE_END);
	codec_write_le(&w, m->type, 1);
	codec_write_le(&w, m->sender, 4);
	codec_write_le(&w, m->view, 8);
	codec_write_le(&w, m->seq, 8);
	codec_write(&w, m->digest, PBFT_DIGEST_BYTES);
	put_body(&w, m);
	if (w.overflow)
		return -EMSGSIZE;
	ASSERT(w.used <= PBFT_MSG_BYTES_MAX);
	return (ssize_t)w.used;
}

static void get_body(struct codec_reader *r, struct pbft_msg *m)
{
	uint64_t ok;

	switch (m->type) {
	case PBFT_MSG_READ_ONLY:
		get_request(r, &m->request);
		codec_read_check(r, m->request.op.verb == PBFT_VERB_READ, "read-only verb");
		break;
	case PBFT_MSG_REQUEST:
		get_request(r, &m->request);
		break;
	case PBFT_MSG_PRE_PREPARE:
		get_batch(r, &m->batch);
		break;
	case PBFT_MSG_REPLY:
		m->result.client = (uint32_t)codec_read_le(r, 4, "reply client");
		codec_read_check(r, m->result.client < PBFT_CLIENTS_MAX, "reply client");
		m->result.timestamp = codec_read_le(r, 8, "reply timestamp");
		ok = codec_read_le(r, 1, "reply ok");
		codec_read_check(r, ok <= 1, "reply ok");
		m->result.ok = ok == 1;
		get_value(r, &m->result.value);
		break;
	case PBFT_MSG_NEW_VIEW:
		m->vc_mask = (uint32_t)codec_read_le(r, 4, "vc mask");
		get_certs(r, m);
		break;
	case PBFT_MSG_VIEW_CHANGE:
		get_certs(r, m);
		get_claims_and_vouches(r, m);
		break;
	case PBFT_MSG_STATE:
		get_snapshot(r, &m->snapshot);
		break;
	default:
		break;
	}
}

int pbft_decode(const uint8_t *buf, size_t size, uint32_t principals, struct pbft_msg *m,
		struct errbuf *eb)
{
	struct codec_reader r = codec_reader_of(buf, size);

	STATIC_ASSERT(offsetof(struct pbft_msg, snapshot) > offsetof(struct pbft_msg, certs),
		      "the large tail is certs, then snapshot");
	ASSERT(principals <= PBFT_REPLICAS_MAX + PBFT_CLIENTS_MAX);
	/* Per message (~19 KB whole): the tail only for the types that carry it. */
	memset(m, 0, offsetof(struct pbft_msg, certs));
	m->type = (uint8_t)codec_read_le(&r, 1, "type");
	codec_read_check(&r, m->type >= PBFT_MSG_REQUEST && m->type < PBFT_MSG_TYPE_END, "type");
	if (m->type == PBFT_MSG_VIEW_CHANGE || m->type == PBFT_MSG_NEW_VIEW ||
	    m->type == PBFT_MSG_STATE)
		memset(m->certs, 0, sizeof(*m) - offsetof(struct pbft_msg, certs));
	m->sender = (uint32_t)codec_read_le(&r, 4, "sender");
	codec_read_check(&r, m->sender < principals, "sender");
	m->view = codec_read_le(&r, 8, "view");
	m->seq = codec_read_le(&r, 8, "seq");
	codec_read(&r, m->digest, PBFT_DIGEST_BYTES, "digest");
	if (!r.bad)
		get_body(&r, m);
	codec_read_check(&r, r.used == size, "trailing bytes");
	if (r.bad)
		return errbuf_set(eb, -EBADMSG, "pbft message: bad %s at byte %zu of %zu", r.bad,
				  r.used, size);
	ASSERT(m->cert_count <= PBFT_LOG_SEQS_MAX);
	return 0;
}

void pbft_batch_digest(const struct pbft_batch *b, uint8_t digest[PBFT_DIGEST_BYTES])
{
	uint8_t buf[PBFT_BATCH_BYTES_MAX];
	struct codec_writer w = codec_writer_of(buf, sizeof(buf));

	put_batch(&w, b);
	ASSERT(!w.overflow);
	crypto_generichash(digest, PBFT_DIGEST_BYTES, buf, w.used, NULL, 0);
}

void pbft_snapshot_digest(const struct pbft_snapshot *s, uint8_t digest[PBFT_DIGEST_BYTES])
{
	uint8_t buf[PBFT_SNAPSHOT_BYTES];
	struct codec_writer w = codec_writer_of(buf, sizeof(buf));

	put_snapshot(&w, s);
	ASSERT(!w.overflow && w.used == PBFT_SNAPSHOT_BYTES);
	crypto_generichash(digest, PBFT_DIGEST_BYTES, buf, w.used, NULL, 0);
}

void pbft_key_derive(const uint8_t secret[PBFT_SECRET_BYTES], uint32_t source, uint32_t target,
		     uint8_t key[PBFT_KEY_BYTES])
{
	uint8_t buf[sizeof("pbft-pair") - 1 + 8];
	struct codec_writer w = codec_writer_of(buf, sizeof(buf));

	codec_write(&w, "pbft-pair", sizeof("pbft-pair") - 1);
	codec_write_le(&w, source, 4);
	codec_write_le(&w, target, 4);
	ASSERT(!w.overflow && w.used == sizeof(buf));
	crypto_generichash(key, PBFT_KEY_BYTES, buf, w.used, secret, PBFT_SECRET_BYTES);
}

ssize_t pbft_seal(const uint8_t key[PBFT_KEY_BYTES], const uint8_t *plain, size_t plain_size,
		  uint8_t *out, size_t out_size)
{
	ASSERT(plain_size <= PBFT_MSG_BYTES_MAX);
	if (out_size < plain_size + PBFT_MAC_BYTES)
		return -EMSGSIZE;
	memmove(out, plain, plain_size);
	crypto_auth(out + plain_size, out, plain_size, key);
	return (ssize_t)(plain_size + PBFT_MAC_BYTES);
}

int pbft_sender_peek(const uint8_t *sealed, size_t size, uint32_t *sender)
{
	struct codec_reader r = codec_reader_of(sealed, size);

	if (size < PBFT_HEADER_BYTES + PBFT_MAC_BYTES)
		return -EBADMSG;
	(void)codec_read_le(&r, 1, "type");
	*sender = (uint32_t)codec_read_le(&r, 4, "sender");
	ASSERT(!r.bad);
	return 0;
}

int pbft_open(const uint8_t key[PBFT_KEY_BYTES], const uint8_t *sealed, size_t size,
	      size_t *plain_size)
{
	size_t plain;

	if (size < PBFT_HEADER_BYTES + PBFT_MAC_BYTES)
		return -EBADMSG;
	plain = size - PBFT_MAC_BYTES;
	if (crypto_auth_verify(sealed + plain, sealed, plain, key) != 0)
		return -EPERM;
	*plain_size = plain;
	ASSERT(*plain_size >= PBFT_HEADER_BYTES);
	return 0;
}

void pbft_mac_key_init(struct pbft_mac_key *k, const uint8_t key[PBFT_KEY_BYTES])
{
	crypto_auth_hmacsha512256_init(&k->state, key, PBFT_KEY_BYTES);
}

/* The MAC of @in from a copy of the ready states: the key's blocks are hashed already. */
static void mac_compute(const struct pbft_mac_key *k, const uint8_t *in, size_t size,
			uint8_t mac[PBFT_MAC_BYTES])
{
	crypto_auth_hmacsha512256_state st = k->state;

	crypto_auth_hmacsha512256_update(&st, in, size);
	crypto_auth_hmacsha512256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
}

ssize_t pbft_mac_seal(const struct pbft_mac_key *k, const uint8_t *plain, size_t plain_size,
		      uint8_t *out, size_t out_size)
{
	ASSERT(plain_size <= PBFT_MSG_BYTES_MAX);
	if (out_size < plain_size + PBFT_MAC_BYTES)
		return -EMSGSIZE;
	memmove(out, plain, plain_size);
	mac_compute(k, out, plain_size, out + plain_size);
	return (ssize_t)(plain_size + PBFT_MAC_BYTES);
}

int pbft_mac_open(const struct pbft_mac_key *k, const uint8_t *sealed, size_t size,
		  size_t *plain_size)
{
	uint8_t mac[PBFT_MAC_BYTES];
	size_t plain;

	STATIC_ASSERT(PBFT_MAC_BYTES == crypto_verify_32_BYTES, "MACs compare as 32 bytes");
	if (size < PBFT_HEADER_BYTES + PBFT_MAC_BYTES)
		return -EBADMSG;
	plain = size - PBFT_MAC_BYTES;
	mac_compute(k, sealed, plain, mac);
	if (crypto_verify_32(mac, sealed + plain) != 0)
		return -EPERM;
	*plain_size = plain;
	return 0;
}

bool pbft_replies_view(const uint64_t *views, uint32_t mask, uint32_t n, uint64_t *view)
{
	uint32_t f = (n - 1) / 3, count = 0;
	uint64_t sorted[PBFT_REPLICAS_MAX];

	ASSERT(n >= 1 && n <= PBFT_REPLICAS_MAX);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t at;

		if (!(mask & (1u << k)))
			continue;
		/* Insertion, highest first. */
		for (at = count++; at > 0 && sorted[at - 1] < views[k]; at--)
			sorted[at] = sorted[at - 1];
		sorted[at] = views[k];
	}
	if (count <= f)
		return false;
	*view = sorted[f];
	return true;
}

uint32_t pbft_replies_matching(const struct pbft_result *replies, uint32_t mask, uint32_t n,
			       const struct pbft_result *r)
{
	uint32_t count = 0;

	ASSERT(n >= 1 && n <= PBFT_REPLICAS_MAX);
	for (uint32_t k = 0; k < n; k++) {
		count += (mask & (1u << k)) && replies[k].ok == r->ok &&
			 pbft_value_equal(&replies[k].value, &r->value);
	}
	return count;
}
