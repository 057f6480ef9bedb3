/* SPDX-License-Identifier: MIT */
/* crdt_store.c - encoding a replica's state into its file and validating untrusted files. */
#include "crdt_store.h"

#include <errno.h>
#include <string.h>

#include "codec.h"
#include "crdt_object.h"
#include "crdt_wire.h"
#include "errbuf.h"
#include "fl_assert.h"

STATIC_ASSERT(CRDT_STORE_BYTES_MAX < (1ll << 31), "file sizes fit the u32 of the header");
STATIC_ASSERT(CRDT_WIRE_HEADER_BYTES == 12, "CRDT_STORE_BYTES_MAX counts 12-byte headers");

ssize_t crdt_store_encode(const struct crdt_object *objects, uint32_t count, uint32_t id,
			  uint32_t replicas, uint64_t next_seq, void *buf, size_t size)
{
	struct crdt_wire_cursor cursor = { 0, 0 };
	uint8_t *p = buf;
	size_t offset = CRDT_STORE_HEADER_BYTES, room;
	uint32_t chunks = 0;
	ssize_t n;

	ASSERT(id < replicas && replicas <= CRDT_REPLICAS_MAX && count <= CRDT_OBJECTS_MAX);
	ASSERT(next_seq < CRDT_SEQ_LIMIT);
	if (size < CRDT_STORE_HEADER_BYTES || size > CRDT_STORE_BYTES_MAX)
		return -EMSGSIZE;
	while (cursor.object_index < count) {
		room = size - offset;
		if (room <= CRDT_STORE_CHUNK_HEAD_BYTES + CRDT_WIRE_HEADER_BYTES)
			return -EMSGSIZE;
		room -= CRDT_STORE_CHUNK_HEAD_BYTES;
		if (room > CRDT_DATAGRAM_BYTES_MAX)
			room = CRDT_DATAGRAM_BYTES_MAX;
		n = crdt_wire_encode(objects, count, &cursor, id, replicas,
				     p + offset + CRDT_STORE_CHUNK_HEAD_BYTES, room);
		if (n < 0)
			return n;
		ASSERT(n > 0 && chunks < CRDT_STORE_CHUNKS_MAX);
		codec_put_le(p + offset, (uint64_t)n, 4);
		offset += CRDT_STORE_CHUNK_HEAD_BYTES + (size_t)n;
		chunks++;
	}
	codec_put_le(p, CRDT_STORE_MAGIC, 4);
	codec_put_le(p + 4, CRDT_STORE_VERSION, 2);
	codec_put_le(p + 6, id, 1);
	codec_put_le(p + 7, replicas, 1);
	codec_put_le(p + 8, next_seq, 8);
	codec_put_le(p + 16, chunks, 4);
	codec_put_le(p + 20, offset - CRDT_STORE_HEADER_BYTES, 4);
	codec_put_le(p + 24, codec_crc32(p + CRDT_STORE_HEADER_BYTES,
					 offset - CRDT_STORE_HEADER_BYTES), 4);
	codec_put_le(p + 28, codec_crc32(p, 28), 4);
	return (ssize_t)offset;
}

/* --- decoding --- */

static bool tag_before(const struct orset_tag *a, const struct orset_tag *b)
{
	return a->element < b->element || (a->element == b->element && a->id >> 1 < b->id >> 1);
}

/* append_tags() - @src continues @dst in strict order and the sum stays within @max. */
static int append_tags(struct orset_tag *dst, uint32_t *dst_count, const struct orset_tag *src,
		       uint32_t src_count, uint32_t max)
{
	if (src_count > max - *dst_count)
		return -EBADMSG;
	if (*dst_count > 0 && src_count > 0 && !tag_before(&dst[*dst_count - 1], &src[0]))
		return -EBADMSG;
	memcpy(dst + *dst_count, src, src_count * sizeof(src[0]));
	*dst_count += src_count;
	return 0;
}

/* append() - join the slice @src to @dst (same name and type) by appending its items. */
static int append(struct crdt_object *dst, const struct crdt_object *src, bool fresh)
{
	struct gset *d = &dst->u.gset;
	const struct gset *s = &src->u.gset;
	int err;

	switch (dst->type) {
	case CRDT_TYPE_GCOUNTER:
		if (!fresh)
			return -EBADMSG;        /* a G-Counter is never split */
		dst->u.gcounter = src->u.gcounter;
		return 0;
	case CRDT_TYPE_GSET:
		if (s->count > CRDT_SET_ELEMENTS_MAX - d->count ||
		    (d->count > 0 && s->count > 0 && d->elements[d->count - 1] >= s->elements[0]))
			return -EBADMSG;
		memcpy(d->elements + d->count, s->elements, s->count * sizeof(s->elements[0]));
		d->count += s->count;
		return 0;
	default:
		err = append_tags(dst->u.orset.tags, &dst->u.orset.tag_count, src->u.orset.tags,
				  src->u.orset.tag_count, CRDT_ORSET_TAGS_MAX);
		if (err == 0)
			err = append_tags(dst->u.orset.removes, &dst->u.orset.remove_count,
					  src->u.orset.removes, src->u.orset.remove_count,
					  CRDT_ORSET_REMOVES_MAX);
		return err;
	}
}

/* add_record() - a new object, or the next slice of the object decoded just before. */
static int add_record(struct crdt_object *objects, uint32_t *count,
		      const struct crdt_object *rec, struct errbuf *eb)
{
	struct crdt_object *last = *count > 0 ? &objects[*count - 1] : NULL;
	bool fresh = !last || strcmp(last->name, rec->name) != 0;

	if (!fresh && last->type != rec->type)
		return errbuf_set(eb, -EBADMSG, "object '%s': slices of different types",
				  rec->name);
	for (uint32_t i = 0; fresh && i < *count; i++) {
		if (strcmp(objects[i].name, rec->name) == 0)
			return errbuf_set(eb, -EBADMSG, "object '%s' appears twice", rec->name);
	}
	if (fresh) {
		if (*count == CRDT_OBJECTS_MAX)
			return errbuf_set(eb, -EBADMSG, "more than %d objects", CRDT_OBJECTS_MAX);
		last = &objects[(*count)++];
		crdt_object_init(last, rec->type, rec->name, rec->name_size);
	}
	if (append(last, rec, fresh) < 0)
		return errbuf_set(eb, -EBADMSG, "object '%s': slice out of order or too large",
				  rec->name);
	return 0;
}

static int decode_chunk(const uint8_t *bytes, size_t size, uint32_t id, uint32_t replicas,
			struct crdt_object *objects, uint32_t *count,
			struct crdt_object *scratch, struct errbuf *eb)
{
	struct crdt_wire_reader reader;
	int n = crdt_wire_open(&reader, bytes, size, replicas, eb);

	if (n < 0)
		return -EBADMSG;        /* the file header already matched: this is corruption */
	if (reader.sender != id)
		return errbuf_set(eb, -EBADMSG, "written by replica %u", reader.sender);
	for (uint32_t i = 0; i <= CRDT_OBJECTS_MAX; i++) {
		n = crdt_wire_next(&reader, scratch, eb);
		if (n <= 0)
			return n < 0 ? -EBADMSG : 0;
		n = add_record(objects, count, scratch, eb);
		if (n < 0)
			return n;
	}
	return errbuf_set(eb, -EBADMSG, "more records than a datagram holds");
}

static int decode_body(const uint8_t *body, size_t size, uint32_t chunks, uint32_t id,
		       uint32_t replicas, struct crdt_object *objects, uint32_t *count,
		       struct crdt_object *scratch, struct errbuf *eb)
{
	size_t offset = 0, chunk_size;
	int err;

	for (uint32_t c = 0; c < chunks; c++) {
		if (size - offset < CRDT_STORE_CHUNK_HEAD_BYTES)
			return errbuf_set(eb, -EBADMSG, "chunk %u of %u: truncated", c, chunks);
		chunk_size = (size_t)codec_get_le(body + offset, 4);
		offset += CRDT_STORE_CHUNK_HEAD_BYTES;
		if (chunk_size > size - offset || chunk_size > CRDT_DATAGRAM_BYTES_MAX)
			return errbuf_set(eb, -EBADMSG, "chunk %u: size %zu out of range", c,
					  chunk_size);
		err = decode_chunk(body + offset, chunk_size, id, replicas, objects, count,
				   scratch, eb);
		if (err < 0)
			return errbuf_prefix(eb, err, "chunk %u: ", c);
		offset += chunk_size;
	}
	if (offset != size)
		return errbuf_set(eb, -EBADMSG, "%zu bytes after the last chunk", size - offset);
	return 0;
}

/* check_header() - Return: 0 with *@chunks, or why the header is not ours. */
static int check_header(const uint8_t *p, size_t size, uint32_t id, uint32_t replicas,
			uint32_t *chunks, struct errbuf *eb)
{
	uint64_t magic, version, body_size;

	if (size < CRDT_STORE_HEADER_BYTES)
		return errbuf_set(eb, -EBADMSG, "%zu bytes, shorter than the %d-byte header",
				  size, CRDT_STORE_HEADER_BYTES);
	magic = codec_get_le(p, 4);
	version = codec_get_le(p + 4, 2);
	if (magic != CRDT_STORE_MAGIC)
		return errbuf_set(eb, -EBADMSG, "bad magic %#llx", (unsigned long long)magic);
	if (version != CRDT_STORE_VERSION)
		return errbuf_set(eb, -EBADMSG, "unsupported version %llu (expected %d)",
				  (unsigned long long)version, CRDT_STORE_VERSION);
	if (codec_get_le(p + 28, 4) != codec_crc32(p, 28))
		return errbuf_set(eb, -EBADMSG, "header checksum mismatch");
	if (p[6] != id || p[7] != replicas)
		return errbuf_set(eb, -EPROTO, "written by replica %u of %u, this is replica %u "
				  "of %u", p[6], p[7], id, replicas);
	body_size = codec_get_le(p + 20, 4);
	if (body_size != size - CRDT_STORE_HEADER_BYTES)
		return errbuf_set(eb, -EBADMSG, "%zu body bytes, the header says %llu",
				  size - CRDT_STORE_HEADER_BYTES, (unsigned long long)body_size);
	if (codec_get_le(p + 24, 4) != codec_crc32(p + CRDT_STORE_HEADER_BYTES, body_size))
		return errbuf_set(eb, -EBADMSG, "body checksum mismatch");
	*chunks = (uint32_t)codec_get_le(p + 16, 4);
	if (*chunks > CRDT_STORE_CHUNKS_MAX)
		return errbuf_set(eb, -EBADMSG, "%u chunks", *chunks);
	return 0;
}

int crdt_store_decode(const void *buf, size_t size, uint32_t id, uint32_t replicas,
		      struct crdt_object *objects, uint32_t *count, uint64_t *next_seq,
		      struct crdt_object *scratch, struct errbuf *eb)
{
	const uint8_t *p = buf;
	uint32_t chunks = 0;
	int err;

	ASSERT(id < replicas && replicas <= CRDT_REPLICAS_MAX);
	*count = 0;
	*next_seq = 0;
	if (size > CRDT_STORE_BYTES_MAX)
		return errbuf_set(eb, -EBADMSG, "%zu bytes, larger than any valid state", size);
	err = check_header(p, size, id, replicas, &chunks, eb);
	if (err < 0)
		return err;
	*next_seq = codec_get_le(p + 8, 8);
	if (*next_seq >= CRDT_SEQ_LIMIT)
		return errbuf_set(eb, -EBADMSG, "next sequence number %llu out of range",
				  (unsigned long long)*next_seq);
	err = decode_body(p + CRDT_STORE_HEADER_BYTES, size - CRDT_STORE_HEADER_BYTES, chunks,
			  id, replicas, objects, count, scratch, eb);
	if (err < 0)
		*count = 0;
	return err;
}
