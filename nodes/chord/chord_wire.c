/* SPDX-License-Identifier: MIT */
/* chord_wire.c - bounded little-endian encode and decode of Chord messages. */
#include "chord_wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "chord_msg.h"
#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"

/* Sizes of the parts of a datagram (the layout is in chord_wire.h). */
enum {
	PEER_BYTES = 8 + 4,                                     /* id, addr */
	HEADER_BYTES = 1 + 1 + 1 + 4 + PEER_BYTES,              /* magic .. from */
	SUCC_LIST_BYTES_MAX = 1 + CHORD_SUCC_MAX * PEER_BYTES,  /* succ_count, succ[] */
	NEIGHBOURS_BYTES_MAX = HEADER_BYTES + 1 + PEER_BYTES + SUCC_LIST_BYTES_MAX,
	FOUND_BYTES_MAX = HEADER_BYTES + 8 + PEER_BYTES + SUCC_LIST_BYTES_MAX,
	NEXT_BYTES = HEADER_BYTES + 8 + PEER_BYTES,
	KV_BYTES = HEADER_BYTES + 8 + 8 + 8 + 1,               /* key, value, version, status */
};
STATIC_ASSERT((int)FOUND_BYTES_MAX == (int)CHORD_WIRE_BYTES_MAX, "FOUND is the largest");
STATIC_ASSERT((int)NEIGHBOURS_BYTES_MAX <= (int)CHORD_WIRE_BYTES_MAX, "NEIGHBOURS fits");
STATIC_ASSERT((int)NEXT_BYTES <= (int)CHORD_WIRE_BYTES_MAX, "NEXT fits");
STATIC_ASSERT((int)KV_BYTES <= (int)CHORD_WIRE_BYTES_MAX, "the KV messages fit");
STATIC_ASSERT(CHORD_SUCC_MAX <= UINT8_MAX, "succ_count fits its byte");
STATIC_ASSERT(CHORD_MSG_TYPE_END - 1 <= UINT8_MAX, "a type fits its byte");
STATIC_ASSERT(CHORD_WIRE_MAGIC <= UINT8_MAX && CHORD_WIRE_VERSION <= UINT8_MAX,
	      "magic and version are one byte each");

static const char *const type_names[CHORD_MSG_TYPE_END] = {
	[CHORD_MSG_PING] = "ping",
	[CHORD_MSG_PONG] = "pong",
	[CHORD_MSG_GET_NEIGHBOURS] = "get-neighbours",
	[CHORD_MSG_NEIGHBOURS] = "neighbours",
	[CHORD_MSG_NOTIFY] = "notify",
	[CHORD_MSG_FIND] = "find",
	[CHORD_MSG_FOUND] = "found",
	[CHORD_MSG_NEXT] = "next",
	[CHORD_MSG_LEAVING] = "leaving",
	[CHORD_MSG_KV_PUT] = "kv-put",
	[CHORD_MSG_KV_GET] = "kv-get",
	[CHORD_MSG_KV_STORE] = "kv-store",
	[CHORD_MSG_KV_ACK] = "kv-ack",
};

/*
 * What each type carries after the header, written and read in this order: key, next,
 * has_pred and pred, succ_count and succ[]. The one table both directions follow, so they
 * cannot disagree on the layout.
 */
enum { CARRIES_KEY = 1u << 0, CARRIES_NEXT = 1u << 1, CARRIES_PRED = 1u << 2,
       CARRIES_SUCC = 1u << 3, CARRIES_VALUE = 1u << 4 /* value, version, status */ };
static const uint8_t carries[CHORD_MSG_TYPE_END] = {
	[CHORD_MSG_NEIGHBOURS] = CARRIES_PRED | CARRIES_SUCC,
	[CHORD_MSG_FIND] = CARRIES_KEY,
	[CHORD_MSG_FOUND] = CARRIES_KEY | CARRIES_NEXT | CARRIES_SUCC,
	[CHORD_MSG_NEXT] = CARRIES_KEY | CARRIES_NEXT,
	[CHORD_MSG_LEAVING] = CARRIES_SUCC,
	[CHORD_MSG_KV_PUT] = CARRIES_KEY | CARRIES_VALUE,
	[CHORD_MSG_KV_GET] = CARRIES_KEY,
	[CHORD_MSG_KV_STORE] = CARRIES_KEY | CARRIES_VALUE,
	[CHORD_MSG_KV_ACK] = CARRIES_KEY | CARRIES_VALUE,
};

const char *chord_msg_type_name(unsigned type)
{
	if (type >= CHORD_MSG_TYPE_END)
		return NULL;
	return type_names[type];        /* NULL for 0, which no type is */
}

static void put_peer(struct codec_writer *w, const struct chord_peer *p)
{
	codec_write_le(w, p->id, 8);
	codec_write_le(w, p->addr, 4);
}

ssize_t chord_encode(const struct chord_msg *m, uint8_t *buf, size_t size)
{
	struct codec_writer w = codec_writer_of(buf, size);
	unsigned fields;

	ASSERT(m);
	ASSERT(buf || size == 0);
	if (!chord_msg_type_name(m->type) || m->succ_count > CHORD_SUCC_MAX)
		return -EINVAL;
	fields = carries[m->type];
	codec_write_le(&w, CHORD_WIRE_MAGIC, 1);
	codec_write_le(&w, CHORD_WIRE_VERSION, 1);
	codec_write_le(&w, m->type, 1);
	codec_write_le(&w, m->rpc, 4);
	put_peer(&w, &m->from);
	if (fields & CARRIES_KEY)
		codec_write_le(&w, m->key, 8);
	if (fields & CARRIES_NEXT)
		put_peer(&w, &m->next);
	if (fields & CARRIES_PRED) {
		codec_write_le(&w, m->has_pred, 1);
		if (m->has_pred)
			put_peer(&w, &m->pred);
	}
	if (fields & CARRIES_SUCC) {
		codec_write_le(&w, m->succ_count, 1);
		for (unsigned i = 0; i < m->succ_count; i++)
			put_peer(&w, &m->succ[i]);
	}
	if (fields & CARRIES_VALUE) {
		codec_write_le(&w, (uint64_t)m->value, 8);
		codec_write_le(&w, m->version, 8);
		codec_write_le(&w, m->status, 1);
	}
	if (w.overflow)
		return -EMSGSIZE;
	ASSERT(w.used >= HEADER_BYTES);
	ASSERT(w.used <= CHORD_WIRE_BYTES_MAX);
	return (ssize_t)w.used;
}

/* A reader over one datagram that keeps the first error, its message already in @eb. */
struct decoder {
	struct codec_reader r;
	struct errbuf *eb;
	int err;                        /* 0, or -EBADMSG once a field was cut off or bad */
};

/* The little-endian integer of @bytes bytes named @field; 0 after any error. */
static uint64_t get(struct decoder *d, size_t bytes, const char *field)
{
	size_t at = d->r.used;
	uint64_t v;

	if (d->err)
		return 0;
	v = codec_read_le(&d->r, bytes, field);
	if (d->r.bad) {
		d->err = errbuf_set(d->eb, -EBADMSG,
				    "chord message: truncated at byte %zu of %zu: "
				    "expected %zu-byte %s",
				    at, d->r.size, bytes, field);
		return 0;
	}
	ASSERT(d->r.used == at + bytes);
	return v;
}

/* get(), and an error unless @min <= the value <= @max; 0 after any error. */
static uint64_t get_within(struct decoder *d, size_t bytes, const char *field, uint64_t min,
			   uint64_t max)
{
	size_t at = d->r.used;
	uint64_t v = get(d, bytes, field);

	ASSERT(min <= max);
	if (d->err || (v >= min && v <= max))
		return d->err ? 0 : v;
	if (min == max)
		d->err = errbuf_set(d->eb, -EBADMSG,
				    "chord message: %s %" PRIu64 " (%#" PRIx64 ") at byte %zu: "
				    "expected %" PRIu64 " (%#" PRIx64 ")",
				    field, v, v, at, min, min);
	else
		d->err = errbuf_set(d->eb, -EBADMSG,
				    "chord message: %s %" PRIu64 " at byte %zu: expected %" PRIu64
				    " .. %" PRIu64,
				    field, v, at, min, max);
	return 0;
}

static void get_peer(struct decoder *d, struct chord_peer *p, const char *id_field,
		     const char *addr_field)
{
	p->id = get(d, 8, id_field);
	p->addr = (uint32_t)get(d, 4, addr_field);
}

/* The fields after the header, by the type's row of carries[]. */
static void get_body(struct decoder *d, struct chord_msg *m)
{
	unsigned fields;

	ASSERT(!d->err);
	ASSERT(chord_msg_type_name(m->type));
	fields = carries[m->type];
	if (fields & CARRIES_KEY)
		m->key = get(d, 8, "key");
	if (fields & CARRIES_NEXT)
		get_peer(d, &m->next, "next.id", "next.addr");
	if (fields & CARRIES_PRED) {
		m->has_pred = get_within(d, 1, "has_pred", 0, 1) == 1;
		if (m->has_pred)
			get_peer(d, &m->pred, "pred.id", "pred.addr");
	}
	if (fields & CARRIES_SUCC) {
		m->succ_count = (uint8_t)get_within(d, 1, "succ_count", 0, CHORD_SUCC_MAX);
		ASSERT(m->succ_count <= CHORD_SUCC_MAX);
		for (unsigned i = 0; i < m->succ_count; i++)
			get_peer(d, &m->succ[i], "succ.id", "succ.addr");
	}
	if (fields & CARRIES_VALUE) {
		m->value = (int64_t)get(d, 8, "value");
		m->version = get(d, 8, "version");
		m->status = (uint8_t)get(d, 1, "status");
	}
}

int chord_decode(const uint8_t *bytes, size_t size, struct chord_msg *m, struct errbuf *eb)
{
	struct decoder d = { .r = codec_reader_of(bytes, size), .eb = eb };

	ASSERT(m);
	ASSERT(bytes || size == 0);
	memset(m, 0, sizeof(*m));
	(void)get_within(&d, 1, "magic", CHORD_WIRE_MAGIC, CHORD_WIRE_MAGIC);
	(void)get_within(&d, 1, "version", CHORD_WIRE_VERSION, CHORD_WIRE_VERSION);
	m->type = (uint8_t)get_within(&d, 1, "type", CHORD_MSG_PING, CHORD_MSG_TYPE_END - 1);
	m->rpc = (uint32_t)get(&d, 4, "rpc");
	get_peer(&d, &m->from, "from.id", "from.addr");
	if (!d.err)
		get_body(&d, m);
	if (!d.err && d.r.used != size)
		d.err = errbuf_set(eb, -EBADMSG,
				   "chord message: trailing bytes at byte %zu of %zu: expected the "
				   "end of the %zu-byte %s",
				   d.r.used, size, d.r.used, chord_msg_type_name(m->type));
	if (d.err) {
		ASSERT(d.err == -EBADMSG);
		memset(m, 0, sizeof(*m));
		return d.err;
	}
	ASSERT(d.r.used >= HEADER_BYTES);
	ASSERT(d.r.used <= CHORD_WIRE_BYTES_MAX);
	ASSERT(m->succ_count <= CHORD_SUCC_MAX);
	return 0;
}
