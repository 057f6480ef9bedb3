/* SPDX-License-Identifier: MIT */
/* crdt_store.h - the durable state file of a replica: a checksummed frame of wire datagrams. */
#ifndef CRDT_STORE_H
#define CRDT_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crdt_limits.h"

struct crdt_object;
struct errbuf;

/*
 * File = header, then body (layout in PROTOCOL.md, all integers little-endian):
 *   header (32 bytes): u32 magic CRDT_STORE_MAGIC, u16 version, u8 replica id, u8 replicas,
 *                      u64 next_seq, u32 chunk_count, u32 body_size, u32 crc32(body),
 *                      u32 crc32(header bytes 0..28)
 *   body: chunk_count x { u32 size, one wire datagram of `size` bytes (sender = id) }
 * CRC-32 is codec_crc32() (codec.h), the IEEE/zlib one.
 * A large object is split across consecutive chunks in item order, exactly as the wire
 * encoder slices it; the decoder reassembles the slices by appending, never by merging.
 */
enum {
	CRDT_STORE_MAGIC = 0x53434c46,          /* "FLCS" */
	CRDT_STORE_VERSION = 1,
	CRDT_STORE_HEADER_BYTES = 32,
	CRDT_STORE_CHUNK_HEAD_BYTES = 4,
	/* The largest record: an OR-Set with every tag and remove event (wire layout). */
	CRDT_STORE_OBJECT_BYTES_MAX = 2 + CRDT_NAME_BYTES_MAX + 8 +
				      (CRDT_ORSET_TAGS_MAX + CRDT_ORSET_REMOVES_MAX) * 16,
	CRDT_STORE_RECORDS_BYTES_MAX = CRDT_OBJECTS_MAX * CRDT_STORE_OBJECT_BYTES_MAX,
	/*
	 * Every chunk but the last is more than half full of record bytes (a record that does
	 * not fit wastes < 400 bytes), and each chunk adds its size word, a wire header and at
	 * most one repeated record head.
	 */
	CRDT_STORE_CHUNKS_MAX = CRDT_STORE_RECORDS_BYTES_MAX / (CRDT_DATAGRAM_BYTES_MAX / 2) + 1,
	CRDT_STORE_BYTES_MAX = CRDT_STORE_HEADER_BYTES + CRDT_STORE_RECORDS_BYTES_MAX +
			       CRDT_STORE_CHUNKS_MAX * (CRDT_STORE_CHUNK_HEAD_BYTES + 12 + 2 +
							CRDT_NAME_BYTES_MAX + 8),
};

/**
 * crdt_store_encode() - write @objects[0..@count) and @next_seq as a state file into @buf.
 * Return: bytes written; -EMSGSIZE if @size is too small (never with CRDT_STORE_BYTES_MAX).
 */
ssize_t crdt_store_encode(const struct crdt_object *objects, uint32_t count, uint32_t id,
			  uint32_t replicas, uint64_t next_seq, void *buf, size_t size);

/**
 * crdt_store_decode() - validate untrusted @buf completely and decode it into @objects
 * ([CRDT_OBJECTS_MAX], contents undefined on error), *@count and *@next_seq. @scratch holds
 * one decoded record at a time.
 * Return: 0; -EBADMSG if truncated, corrupt (checksum, magic, version, sizes, order,
 *         bounds, trailing bytes); -EPROTO if written by another replica id or for another
 *         replica count. @eb says what was wrong. Never asserts on the input.
 */
int crdt_store_decode(const void *buf, size_t size, uint32_t id, uint32_t replicas,
		      struct crdt_object *objects, uint32_t *count, uint64_t *next_seq,
		      struct crdt_object *scratch, struct errbuf *eb);

#endif /* CRDT_STORE_H */
