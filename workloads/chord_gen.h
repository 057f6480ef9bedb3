/* SPDX-License-Identifier: MIT */
/* chord_gen.h - Chord lookups, puts and gets: keys k0..k<n-1> hashed onto the ring, asked of
 * random nodes. */
#ifndef CHORD_GEN_H
#define CHORD_GEN_H

#include <stdint.h>

#include "chord_id.h"
#include "gen.h"

enum {
	CHORD_GEN_KEYS_MAX = 256,
	CHORD_GEN_KEY_BYTES = 8,        /* "k255" and its NUL */
};

/* Each op picks one of @key_count keys, uniform, and a uniform node. Half are lookups, whose
 * value is the key's id, chord_hash(name), which the client sends and the checker judges
 * the answer for; 1/8 put a unique value (the op's number + 1) under the key (the op's key,
 * its name); 3/8 get it (value null). */
struct chord_gen {
	struct gen base;
	uint32_t key_count;
	struct chord_space space;
	char names[CHORD_GEN_KEYS_MAX][CHORD_GEN_KEY_BYTES];
	uint64_t ids[CHORD_GEN_KEYS_MAX];
};

void chord_gen_init(struct chord_gen *g, uint32_t key_count, unsigned bits);

/* chord_gen_lookup() - the lookup of key @i, as an op (f, key, value). */
struct op chord_gen_lookup(const struct chord_gen *g, uint32_t i);

/* chord_gen_state() - a state dump of the node asked (its pointers), as an op. */
struct op chord_gen_state(void);

#endif /* CHORD_GEN_H */
