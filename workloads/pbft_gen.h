/* SPDX-License-Identifier: MIT */
/* pbft_gen.h - cas-register ops (Jepsen's cas-register workload) on a few keys. */
#ifndef PBFT_GEN_H
#define PBFT_GEN_H

#include <stdint.h>

#include "gen.h"

enum {
	PBFT_GEN_KEYS_MAX = GEN_KEYS_MAX,
	PBFT_GEN_VALUES = 5,            /* values 0..4: cas often finds what it expects */
};

/*
 * Op k is a read (40%), a write of a value in 0..PBFT_GEN_VALUES-1 (30%) or a cas [old, new]
 * of two such values (30%), on one of @key_count keys ("k0", ...); its node is uniform (a
 * PBFT client sends to every replica anyway). As in Jepsen, a small value domain makes cas
 * succeed often enough to matter.
 */
struct pbft_gen {
	struct gen base;
	uint32_t key_count;             /* 1..PBFT_GEN_KEYS_MAX */
};

void pbft_gen_init(struct pbft_gen *g, uint32_t key_count);

#endif /* PBFT_GEN_H */
