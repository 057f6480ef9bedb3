/* SPDX-License-Identifier: MIT */
/* lww_store.h - last-writer-wins registers and the store of them, joined key by key. */
#ifndef LWW_STORE_H
#define LWW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lww_limits.h"

/*
 * One register. Written when ts > 0; then writer < replicas. Never written when ts == 0;
 * then value and writer are 0. Ordered by (ts, writer, value): (ts, writer) names a write
 * (the HLC never stamps twice), and value breaks the tie two writes in one nanosecond on
 * one node can make under wallclock-lww, so that merge stays a join for every state.
 */
struct lww_register {
	int64_t value;
	uint64_t ts;                    /* 0, or 1..INT64_MAX */
	uint32_t writer;
};

/* lww_register_compare() - -1, 0 or 1 as @a is below, equal to or above @b. */
int lww_register_compare(const struct lww_register *a, const struct lww_register *b);

/* lww_register_merge() - keep the larger of @dst and @src in @dst. Return: true if changed. */
bool lww_register_merge(struct lww_register *dst, const struct lww_register *src);

/* lww_key_valid() - 1..LWW_KEY_BYTES_MAX characters of [A-Za-z0-9_-]. */
bool lww_key_valid(const char *key, size_t size);

struct lww_entry {
	char key[LWW_KEY_BYTES_MAX + 1];        /* valid, NUL-terminated */
	uint32_t key_size;
	struct lww_register reg;                /* written (ts > 0) */
};

/* Invariant: entries[0..count) have distinct valid keys and written registers. */
struct lww_store {
	uint32_t count;                         /* <= LWW_KEYS_MAX */
	struct lww_entry entries[LWW_KEYS_MAX]; /* in creation order */
};

/* lww_store_init() - an empty store in caller storage. */
void lww_store_init(struct lww_store *s);

/* lww_store_find() - the register of @key, or NULL; a view until the next change. */
const struct lww_register *lww_store_find(const struct lww_store *s, const char *key,
					  size_t key_size);

/**
 * lww_store_merge_one() - join the written register @reg of valid @key into @s.
 * Return: 1 if @s changed, 0 if not; -E2BIG if @key is new and @s holds LWW_KEYS_MAX keys.
 */
int lww_store_merge_one(struct lww_store *s, const char *key, size_t key_size,
			const struct lww_register *reg);

/* lww_store_merge() - join all of @src into @dst. Return: 0; -E2BIG if a key found no slot
 * (the others are merged). */
int lww_store_merge(struct lww_store *dst, const struct lww_store *src);

/* lww_store_equal() - the same keys with the same registers, in any order. */
bool lww_store_equal(const struct lww_store *a, const struct lww_store *b);

/* lww_store_ts_max() - the largest ts held; 0 if empty. */
uint64_t lww_store_ts_max(const struct lww_store *s);

#endif /* LWW_STORE_H */
