/* SPDX-License-Identifier: MIT */
/* lww_gen.h - LWW register ops: reads and fresh writes of a few keys, on random nodes. */
#ifndef LWW_GEN_H
#define LWW_GEN_H

#include <stdint.h>

#include "gen.h"

enum { LWW_GEN_KEYS_MAX = GEN_KEYS_MAX };

/*
 * Op k is a read (half the time) or a write of the value k + 1, so no value is written twice;
 * its key is one of @key_count and its node is uniform. A client thread's ops alternate
 * between nodes at random, so a read on one node is often followed by a write of the same key
 * on another: the causal order "read v1, then write v2" that the LWW checker judges. Few
 * keys keep those chains dense.
 */
struct lww_gen {
	struct gen base;
	uint32_t key_count;             /* 1..LWW_GEN_KEYS_MAX */
};

void lww_gen_init(struct lww_gen *g, uint32_t key_count);

#endif /* LWW_GEN_H */
