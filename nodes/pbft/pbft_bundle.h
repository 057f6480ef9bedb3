/* SPDX-License-Identifier: MIT */
/* pbft_bundle.h - pbft-node's transport: several sealed messages in one datagram, and the
 * COMMITs a fast-path replica holds back to ride on its next message to all. The core never
 * sees a bundle: each part is a whole sealed message, MAC and all, stepped on its own. */
#ifndef PBFT_BUNDLE_H
#define PBFT_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pbft_limits.h"

/*
 * A bundle datagram: u8 PBFT_BUNDLE_MARK (no message type), u8 count (2 ..
 * PBFT_BUNDLE_PARTS_MAX), then count parts, each a u16 little-endian size (1 ..
 * PBFT_SEALED_BYTES_MAX) and that many sealed bytes, and nothing after the last. A bundle is
 * at most PBFT_SEALED_BYTES_MAX bytes, so it fits wherever one sealed message does.
 */
enum {
	PBFT_BUNDLE_MARK = 0xB5,
	PBFT_BUNDLE_PARTS_MAX = 8,
	PBFT_BUNDLE_HEADER_BYTES = 2,
	PBFT_BUNDLE_PART_HEADER_BYTES = 2,
	PBFT_HELD_MAX = PBFT_BUNDLE_PARTS_MAX - 1,      /* leaves a part for what they ride on */
	PBFT_HELD_BYTES_MAX = PBFT_HEADER_BYTES + 16,   /* a COMMIT is the header alone */
};

/* A bundle being written into a caller's buffer. Invariant: used <= size; count <= PARTS_MAX. */
struct pbft_bundle {
	uint8_t *buf;
	size_t size, used;
	uint32_t count;
};

struct pbft_bundle_part {
	const uint8_t *bytes;
	size_t size;
};

/* pbft_bundle_init() - an empty bundle in @buf (@size >= PBFT_BUNDLE_HEADER_BYTES). */
void pbft_bundle_init(struct pbft_bundle *b, uint8_t *buf, size_t size);

/* pbft_bundle_fits() - would a part of @part_size bytes fit? */
bool pbft_bundle_fits(const struct pbft_bundle *b, size_t part_size);

/* pbft_bundle_add() - append one sealed message. Return: 0; -ENOSPC if it does not fit. */
int pbft_bundle_add(struct pbft_bundle *b, const uint8_t *sealed, size_t size);

/**
 * pbft_bundle_finish() - the datagram to send: a bundle of two or more parts, or a lone
 * part as the plain sealed message (moved to the start of the buffer), so that one message
 * costs no bytes. Return: its size, 0 if there are no parts. The bundle is empty again.
 */
size_t pbft_bundle_finish(struct pbft_bundle *b);

/* pbft_bundle_is() - does the datagram claim to be a bundle? (Its first byte.) */
bool pbft_bundle_is(const uint8_t *datagram, size_t size);

/**
 * pbft_bundle_split() - the parts of untrusted datagram bytes that claim to be a bundle.
 * Return: the part count (2 .. PBFT_BUNDLE_PARTS_MAX); -EBADMSG if the mark, the count, a
 * size or the total is wrong (then no part is to be used).
 */
int pbft_bundle_split(const uint8_t *datagram, size_t size,
		      struct pbft_bundle_part parts[PBFT_BUNDLE_PARTS_MAX]);

/* COMMITs held back, plain (sealed per receiver when they go). Invariant: count <= HELD_MAX. */
struct pbft_held {
	uint32_t count;
	uint16_t sizes[PBFT_HELD_MAX];
	uint8_t plain[PBFT_HELD_MAX][PBFT_HELD_BYTES_MAX];
};

/* pbft_held_push() - hold a copy of @plain. Return: 0; -ENOSPC if full or too big. */
int pbft_held_push(struct pbft_held *h, const uint8_t *plain, size_t size);

#endif /* PBFT_BUNDLE_H */
