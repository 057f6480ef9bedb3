/* SPDX-License-Identifier: MIT */
/* lww_wire.c - encoding stores into datagrams and state files, validating untrusted ones. */
#include "lww_wire.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "lww_store.h"

STATIC_ASSERT(LWW_STORE_BYTES_MAX < (1ll << 31), "file sizes fit the u32 of the header");

/* put_records() - every entry of @s at @p. Return: bytes written; -EMSGSIZE past @room. */
static ssize_t put_records(const struct lww_store *s, uint8_t *p, size_t room)
{
	size_t at = 0;

	ASSERT(s->count <= LWW_KEYS_MAX);
	for (uint32_t i = 0; i < s->count; i++) {
		const struct lww_entry *e = &s->entries[i];

		ASSERT(lww_key_valid(e->key, e->key_size));
		ASSERT(e->reg.ts > 0 && e->reg.ts <= (uint64_t)INT64_MAX);
		if (room - at < 1 + e->key_size + 8 + 8 + 1)
			return -EMSGSIZE;
		p[at] = (uint8_t)e->key_size;
		memcpy(p + at + 1, e->key, e->key_size);
		at += 1 + e->key_size;
		codec_put_le(p + at, (uint64_t)e->reg.value, 8);
		codec_put_le(p + at + 8, e->reg.ts, 8);
		codec_put_le(p + at + 16, e->reg.writer, 1);
		at += 17;
	}
	ASSERT(at <= room);
	return (ssize_t)at;
}

/*
 * get_records() - exactly @count records in @p[0..@size) into @out, checked: key, ts,
 * writer, no key twice. Return: 0; -EBADMSG with @eb naming the record.
 */
static int get_records(const uint8_t *p, size_t size, uint32_t count, uint32_t replicas,
		       struct lww_store *out, struct errbuf *eb)
{
	size_t at = 0, key_size;

	if (count > LWW_KEYS_MAX)
		return errbuf_set(eb, -EBADMSG, "%u records, more than %d", count, LWW_KEYS_MAX);
	lww_store_init(out);
	for (uint32_t i = 0; i < count; i++) {
		struct lww_entry *e = &out->entries[i];

		key_size = size - at >= 1 ? p[at] : 0;
		if (size - at < 1 + key_size + 17)
			return errbuf_set(eb, -EBADMSG, "record %u: truncated", i);
		if (!lww_key_valid((const char *)p + at + 1, key_size))
			return errbuf_set(eb, -EBADMSG, "record %u: bad key", i);
		memcpy(e->key, p + at + 1, key_size);
		e->key[key_size] = '\0';
		e->key_size = (uint32_t)key_size;
		at += 1 + key_size;
		e->reg.value = (int64_t)codec_get_le(p + at, 8);
		e->reg.ts = codec_get_le(p + at + 8, 8);
		e->reg.writer = (uint32_t)codec_get_le(p + at + 16, 1);
		at += 17;
		if (e->reg.ts == 0 || e->reg.ts > (uint64_t)INT64_MAX)
			return errbuf_set(eb, -EBADMSG, "record %u: ts %" PRIu64 " out of range", i,
					  e->reg.ts);
		if (e->reg.writer >= replicas)
			return errbuf_set(eb, -EBADMSG, "record %u: writer %u >= %u replicas", i,
					  e->reg.writer, replicas);
		if (lww_store_find(out, e->key, key_size))
			return errbuf_set(eb, -EBADMSG, "record %u: key '%s' repeated", i, e->key);
		out->count++;
	}
	if (at != size)
		return errbuf_set(eb, -EBADMSG, "%zu trailing bytes", size - at);
	return 0;
}

ssize_t lww_wire_encode(const struct lww_store *s, uint32_t sender, uint32_t replicas,
			void *buf, size_t size)
{
	uint8_t *p = buf;
	ssize_t n;

	ASSERT(sender < replicas && replicas <= LWW_REPLICAS_MAX);
	if (size < LWW_WIRE_HEADER_BYTES)
		return -EMSGSIZE;
	n = put_records(s, p + LWW_WIRE_HEADER_BYTES, size - LWW_WIRE_HEADER_BYTES);
	if (n < 0)
		return n;
	codec_put_le(p, LWW_WIRE_MAGIC, 4);
	p[4] = LWW_WIRE_VERSION;
	p[5] = (uint8_t)sender;
	p[6] = (uint8_t)replicas;
	p[7] = 0;
	codec_put_le(p + 8, s->count, 2);
	codec_put_le(p + 10, 0, 2);
	ASSERT(LWW_WIRE_HEADER_BYTES + (size_t)n <= LWW_DATAGRAM_BYTES_MAX);
	return LWW_WIRE_HEADER_BYTES + n;
}

int lww_wire_decode(const void *buf, size_t size, uint32_t replicas, uint32_t *sender,
		    struct lww_store *out, struct errbuf *eb)
{
	const uint8_t *p = buf;

	ASSERT(replicas >= 1 && replicas <= LWW_REPLICAS_MAX);
	if (size < LWW_WIRE_HEADER_BYTES || size > LWW_DATAGRAM_BYTES_MAX)
		return errbuf_set(eb, -EBADMSG, "datagram of %zu bytes", size);
	if (codec_get_le(p, 4) != LWW_WIRE_MAGIC || p[4] != LWW_WIRE_VERSION)
		return errbuf_set(eb, -EBADMSG, "bad magic or version");
	if (p[7] != 0 || codec_get_le(p + 10, 2) != 0)
		return errbuf_set(eb, -EBADMSG, "nonzero padding");
	if (p[6] != replicas)
		return errbuf_set(eb, -EPROTO, "datagram for %u replicas, we are %u", p[6],
				  replicas);
	if (p[5] >= replicas)
		return errbuf_set(eb, -EPROTO, "sender %u >= %u replicas", p[5], replicas);
	*sender = p[5];
	return get_records(p + LWW_WIRE_HEADER_BYTES, size - LWW_WIRE_HEADER_BYTES,
			   (uint32_t)codec_get_le(p + 8, 2), replicas, out, eb);
}

ssize_t lww_wire_save(const struct lww_store *s, uint32_t id, uint32_t replicas, void *buf,
		      size_t size)
{
	uint8_t *p = buf;
	ssize_t n;

	ASSERT(id < replicas && replicas <= LWW_REPLICAS_MAX);
	if (size < LWW_STORE_HEADER_BYTES)
		return -EMSGSIZE;
	n = put_records(s, p + LWW_STORE_HEADER_BYTES, size - LWW_STORE_HEADER_BYTES);
	if (n < 0)
		return n;
	codec_put_le(p, LWW_STORE_MAGIC, 4);
	codec_put_le(p + 4, LWW_STORE_VERSION, 2);
	p[6] = (uint8_t)id;
	p[7] = (uint8_t)replicas;
	codec_put_le(p + 8, s->count, 4);
	codec_put_le(p + 12, (uint64_t)n, 4);
	codec_put_le(p + 16, 0, 8);
	codec_put_le(p + 24, codec_crc32(p + LWW_STORE_HEADER_BYTES, (size_t)n), 4);
	codec_put_le(p + 28, codec_crc32(p, 28), 4);
	ASSERT(LWW_STORE_HEADER_BYTES + (size_t)n <= LWW_STORE_BYTES_MAX);
	return LWW_STORE_HEADER_BYTES + n;
}

int lww_wire_load(const void *buf, size_t size, uint32_t id, uint32_t replicas,
		  struct lww_store *out, struct errbuf *eb)
{
	const uint8_t *p = buf;
	const uint8_t *body = p + LWW_STORE_HEADER_BYTES;
	size_t body_size;

	ASSERT(id < replicas && replicas <= LWW_REPLICAS_MAX);
	if (size < LWW_STORE_HEADER_BYTES)
		return errbuf_set(eb, -EBADMSG, "truncated: %zu bytes, no header", size);
	if (codec_get_le(p + 28, 4) != codec_crc32(p, 28))
		return errbuf_set(eb, -EBADMSG, "header checksum mismatch");
	if (codec_get_le(p, 4) != LWW_STORE_MAGIC || codec_get_le(p + 4, 2) != LWW_STORE_VERSION)
		return errbuf_set(eb, -EBADMSG, "bad magic or version");
	if (codec_get_le(p + 16, 8) != 0)
		return errbuf_set(eb, -EBADMSG, "nonzero reserved field");
	body_size = (size_t)codec_get_le(p + 12, 4);
	if (body_size != size - LWW_STORE_HEADER_BYTES)
		return errbuf_set(eb, -EBADMSG, "body of %zu bytes, header says %zu (truncated?)",
				  size - LWW_STORE_HEADER_BYTES, body_size);
	if (codec_get_le(p + 24, 4) != codec_crc32(body, body_size))
		return errbuf_set(eb, -EBADMSG, "body checksum mismatch");
	if (p[6] != id || p[7] != replicas)
		return errbuf_set(eb, -EPROTO, "written by node %u of %u, we are %u of %u", p[6],
				  p[7], id, replicas);
	return get_records(body, body_size, (uint32_t)codec_get_le(p + 8, 4), replicas, out, eb);
}
