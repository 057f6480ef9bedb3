/* SPDX-License-Identifier: MIT */
/* chord_wire.h - Chord messages (chord_msg.h) as UDP datagrams: bounded, little-endian. */
#ifndef CHORD_WIRE_H
#define CHORD_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct chord_msg;
struct errbuf;

/*
 * Datagram, little-endian, fields in this order and nothing else (a peer is u64 id, u32 addr;
 * 12 bytes):
 *   every type:     u8 magic CHORD_WIRE_MAGIC, u8 version CHORD_WIRE_VERSION, u8 type,
 *                   u32 rpc, peer from                                            (19 bytes)
 *   PING, PONG, GET_NEIGHBOURS, NOTIFY: nothing more
 *   NEIGHBOURS:     u8 has_pred (0 or 1), peer pred only if has_pred,
 *                   u8 succ_count (<= CHORD_SUCC_MAX), succ_count peers
 *   FIND:           u64 key
 *   FOUND:          u64 key, peer next, u8 succ_count (<= CHORD_SUCC_MAX), succ_count peers
 *   NEXT:           u64 key, peer next
 *   LEAVING:        u8 succ_count (<= CHORD_SUCC_MAX), succ_count peers
 *   KV_GET:         u64 key
 *   KV_PUT, KV_STORE, KV_ACK: u64 key, i64 value, u64 version, u8 status
 * Every byte belongs to a field, so bytes that decode re-encode to themselves.
 */
enum {
	/* Neither 'F' (0x46, the first byte of the CRDT and LWW magics) nor a PBFT type
	 * (1 .. 11): a stray datagram of another system fails at byte 0. */
	CHORD_WIRE_MAGIC = 0xcd,
	CHORD_WIRE_VERSION = 1,
	/* The largest encoding, a FOUND with a full successor list: 19 + 8 + 12 + 1 + 8 * 12. */
	CHORD_WIRE_BYTES_MAX = 136,
};
/* 508 = 576 (the datagram every IPv4 host must accept) - 60 (IP header) - 8 (UDP header). */
_Static_assert(CHORD_WIRE_BYTES_MAX <= 508, "a Chord datagram is never fragmented");

/**
 * chord_encode() - the bytes of @m into @buf[0..@size). Only the fields @m's type carries
 * are written; the others are ignored, whatever they hold.
 * Return: the size (<= CHORD_WIRE_BYTES_MAX, which always fits); -EINVAL if @m->type is
 *         unknown or @m->succ_count > CHORD_SUCC_MAX (whatever the type); -EMSGSIZE if
 *         @size is too small (then @buf holds a prefix at most).
 */
ssize_t chord_encode(const struct chord_msg *m, uint8_t *buf, size_t size);

/**
 * chord_decode() - parse the untrusted datagram @bytes[0..@size) into @m. Never reads past
 * @size. The magic, version, type, has_pred and succ_count are checked, and all @size bytes
 * must be used. Fields the type does not carry (and pred without has_pred, succ[] past
 * succ_count) are zeroed. Any peer ids and addresses are accepted: what they mean is the
 * protocol's business, not the wire's.
 * Return: 0; -EBADMSG with @eb (may be NULL) naming the byte, the field, what was found and
 *         what was expected; then @m is all zeros.
 */
int chord_decode(const uint8_t *bytes, size_t size, struct chord_msg *m, struct errbuf *eb);

#endif /* CHORD_WIRE_H */
