/* SPDX-License-Identifier: MIT */
/* chord_id.c - Chord identifiers: arcs, fingers and the consistent hash. */
#include "chord_id.h"

#include <errno.h>
#include <sodium.h>

#include "fl_assert.h"

int chord_space_init(struct chord_space *s, unsigned bits)
{
	if (bits < CHORD_BITS_MIN || bits > CHORD_BITS_MAX)
		return -EINVAL;
	*s = (struct chord_space){ .bits = bits, .size = (uint64_t)1 << bits };
	return 0;
}

uint64_t chord_distance(const struct chord_space *s, uint64_t from, uint64_t to)
{
	ASSERT(from < s->size && to < s->size);
	return (to - from) & (s->size - 1);
}

/*
 * By distances from @x: y is inside when 0 < d(x, y) < d(x, z), taking d(x, x) as the whole
 * circle. The exhaustive test over 6 bits checks this against the Ivy formula.
 */
bool chord_between(const struct chord_space *s, uint64_t x, uint64_t y, uint64_t z)
{
	uint64_t dy = chord_distance(s, x, y), dz = chord_distance(s, x, z);

	if (dz == 0)
		dz = s->size;
	return dy > 0 && dy < dz;
}

bool chord_in_half_open(const struct chord_space *s, uint64_t x, uint64_t y, uint64_t z)
{
	return y == z || chord_between(s, x, y, z);
}

uint64_t chord_finger_start(const struct chord_space *s, uint64_t n, unsigned j)
{
	ASSERT(n < s->size && j < s->bits);
	return (n + ((uint64_t)1 << j)) & (s->size - 1);
}

uint64_t chord_hash(const struct chord_space *s, const void *data, size_t size)
{
	uint8_t digest[crypto_generichash_BYTES_MIN];   /* 16, libsodium's shortest */
	uint64_t v = 0;

	crypto_generichash(digest, sizeof(digest), data, size, NULL, 0);
	for (size_t i = 0; i < sizeof(v); i++)
		v = v << 8 | digest[i];
	return v & (s->size - 1);
}
