/* SPDX-License-Identifier: MIT */
/* chord_id.h - Chord identifiers: m-bit integers on a circle mod 2^m, the arcs between them,
 * fingers and the consistent hash that places nodes and keys (../shared/CHORD.md). Pure. */
#ifndef CHORD_ID_H
#define CHORD_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	CHORD_BITS_MIN = 6,     /* 64 ids: small enough that tests force wraparound */
	CHORD_BITS_MAX = 32,
	CHORD_BITS_DEFAULT = 32,
};

/* The identifier space: ids are 0 .. 2^bits - 1. */
struct chord_space {
	unsigned bits;          /* CHORD_BITS_MIN .. CHORD_BITS_MAX */
	uint64_t size;          /* 2^bits */
};

/* chord_space_init() - the space of @bits-bit ids. Return: 0, or -EINVAL out of range. */
int chord_space_init(struct chord_space *s, unsigned bits);

/* chord_distance() - clockwise steps from @from to @to, 0 .. size - 1. */
uint64_t chord_distance(const struct chord_space *s, uint64_t from, uint64_t to);

/*
 * chord_between() - whether @y lies strictly inside the clockwise arc from @x to @z. As the
 * Ivy model (chord2s.ivy) writes it: (x < y < z) or (z <= x < y) or (y < z <= x); so when
 * x == z the arc is the whole circle but x itself.
 */
bool chord_between(const struct chord_space *s, uint64_t x, uint64_t y, uint64_t z);

/* chord_in_half_open() - whether @y lies in the arc (x, z]: y == z or chord_between(). */
bool chord_in_half_open(const struct chord_space *s, uint64_t x, uint64_t y, uint64_t z);

/* chord_finger_start() - (n + 2^j) mod 2^bits, where finger @j of @n (0 .. bits-1) points. */
uint64_t chord_finger_start(const struct chord_space *s, uint64_t n, unsigned j);

/*
 * chord_hash() - the id of @size bytes at @data: BLAKE2b (libsodium's generichash), its
 * first 8 bytes big-endian, truncated to the space's bits. Node ids hash their names, key
 * ids their keys.
 */
uint64_t chord_hash(const struct chord_space *s, const void *data, size_t size);

#endif /* CHORD_ID_H */
