/* SPDX-License-Identifier: MIT */
/* crdt_wire.h - the binary, little-endian state datagrams exchanged between replicas. */
#ifndef CRDT_WIRE_H
#define CRDT_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct crdt_object;
struct errbuf;

/*
 * Datagram = header, then record_count records (layout in PROTOCOL.md):
 *   header: u32 magic CRDT_WIRE_MAGIC, u8 version, u8 sender, u8 replicas, u8 0,
 *           u16 record_count, u16 0
 *   record: u8 type, u8 name_size, name, then the state (or a slice of it)
 * A record may carry only a slice of a large set; each slice is itself a valid state, so a
 * receiver simply joins it in.
 */
enum {
	CRDT_WIRE_MAGIC = 0x52434c46,           /* "FLCR" */
	CRDT_WIRE_VERSION = 1,
	CRDT_WIRE_HEADER_BYTES = 12,
};

/* Where encoding stopped: the object, and the item (element, tag, event) inside it. */
struct crdt_wire_cursor {
	uint32_t object_index;
	uint32_t item_index;
};

/**
 * crdt_wire_encode() - encode the objects from @cursor on into one datagram in @buf,
 * splitting sets when needed, and advance @cursor.
 * Return: bytes written; 0 if @cursor is already past the last object; -EMSGSIZE if @size
 *         cannot hold one record.
 */
ssize_t crdt_wire_encode(const struct crdt_object *objects, uint32_t object_count,
			 struct crdt_wire_cursor *cursor, uint32_t sender, uint32_t replicas,
			 void *buf, size_t size);

/* A decoder over one borrowed datagram. */
struct crdt_wire_reader {
	const uint8_t *bytes;
	size_t size;
	size_t offset;
	uint32_t records_left;
	uint32_t sender;
	uint32_t replicas;
};

/**
 * crdt_wire_open() - check the header of untrusted @buf.
 * Return: 0; -EBADMSG if short, oversized or malformed; -EPROTO if it was sent for another
 *         cluster size (@replicas) or from a replica id out of range. Never asserts.
 */
int crdt_wire_open(struct crdt_wire_reader *reader, const void *buf, size_t size,
		   uint32_t replicas, struct errbuf *eb);

/**
 * crdt_wire_next() - decode the next record into @out, fully validated (name, type, bounds,
 * strict order, origins < replicas).
 * Return: 1 with *@out set; 0 at the end (after checking there are no trailing bytes);
 *         -EBADMSG on any malformation.
 */
int crdt_wire_next(struct crdt_wire_reader *reader, struct crdt_object *out,
		   struct errbuf *eb);

#endif /* CRDT_WIRE_H */
