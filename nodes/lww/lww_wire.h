/* SPDX-License-Identifier: MIT */
/* lww_wire.h - the gossip datagram and the state file of an LWW store, both little-endian. */
#ifndef LWW_WIRE_H
#define LWW_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lww_limits.h"

struct errbuf;
struct lww_store;

/*
 * Datagram (PROTOCOL.md): header (12 bytes) u32 magic LWW_WIRE_MAGIC, u8 version, u8 sender,
 * u8 replicas, u8 0, u16 record_count (<= LWW_KEYS_MAX), u16 0; then record_count records.
 * Record: u8 key_size (1..32), key, i64 value, u64 ts (1..INT64_MAX), u8 writer (< replicas).
 *
 * State file: header (32 bytes) u32 magic LWW_STORE_MAGIC, u16 version, u8 id, u8 replicas,
 * u32 record_count, u32 body_size, u64 0, u32 crc32(body), u32 crc32(header bytes 0..27);
 * the body is record_count records as above. Keys are distinct in both forms.
 * CRC-32 is codec_crc32() (codec.h), the IEEE/zlib one.
 */
enum {
	LWW_WIRE_MAGIC = 0x574c4c46,    /* "FLLW" */
	LWW_WIRE_VERSION = 1,
	LWW_STORE_MAGIC = 0x534c4c46,   /* "FLLS" */
	LWW_STORE_VERSION = 1,
};

/**
 * lww_wire_encode() - @s as a datagram from @sender (< @replicas).
 * Return: bytes written; -EMSGSIZE if @size is too small (never LWW_DATAGRAM_BYTES_MAX).
 */
ssize_t lww_wire_encode(const struct lww_store *s, uint32_t sender, uint32_t replicas,
			void *buf, size_t size);

/**
 * lww_wire_decode() - validate an untrusted datagram completely and decode it into @out
 * (contents undefined on error). Never asserts on the input.
 * @sender: the sender id it claims (< @replicas).
 * Return: 0; -EBADMSG (size, magic, version, padding, key, ts, writer, duplicate key,
 *         trailing bytes); -EPROTO (a replica count other than @replicas). @eb says what.
 */
int lww_wire_decode(const void *buf, size_t size, uint32_t replicas, uint32_t *sender,
		    struct lww_store *out, struct errbuf *eb);

/**
 * lww_wire_save() - @s as the state file of node @id of @replicas.
 * Return: bytes written; -EMSGSIZE if @size is too small (never LWW_STORE_BYTES_MAX).
 */
ssize_t lww_wire_save(const struct lww_store *s, uint32_t id, uint32_t replicas, void *buf,
		      size_t size);

/**
 * lww_wire_load() - validate an untrusted state file completely and decode it into @out
 * (contents undefined on error).
 * Return: 0; -EBADMSG (truncated, checksum, magic, version, sizes, records, trailing
 *         bytes); -EPROTO (written by another node id or for another replica count).
 */
int lww_wire_load(const void *buf, size_t size, uint32_t id, uint32_t replicas,
		  struct lww_store *out, struct errbuf *eb);

#endif /* LWW_WIRE_H */
