/* SPDX-License-Identifier: MIT */
/* vclock.h - vector clocks (Fidge 1988, Mattern 1989): V(a) < V(b) exactly when a -> b. */
#ifndef VCLOCK_H
#define VCLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The widest clock; one entry per process. Not in limits.h: this folder has none yet. */
enum { VCLOCK_NODES_MAX = 64 };

/* A LEB128 uint64 takes at most 10 bytes; the count n < 128 takes one. */
enum { VCLOCK_VARINT_BYTES_MAX = 10 };
enum { VCLOCK_ENCODED_BYTES_MAX = 1 + VCLOCK_NODES_MAX * VCLOCK_VARINT_BYTES_MAX };
_Static_assert(VCLOCK_NODES_MAX < 128, "the count n must encode as one varint byte");

/*
 * Invariants: 1 <= n <= VCLOCK_NODES_MAX; c[i] == 0 for i >= n (so equal clocks are equal
 * bytes); c[i] counts the events of process i that the owner has seen, its own included.
 */
struct vclock {
	uint32_t n;
	uint64_t c[VCLOCK_NODES_MAX];
};

enum vclock_order {
	VCLOCK_EQUAL = 0,
	VCLOCK_BEFORE,          /* a < b: every entry <=, one < (a happened before b) */
	VCLOCK_AFTER,           /* b < a */
	VCLOCK_CONCURRENT,      /* neither */
};

/* vclock_init() - all zeros for @n processes; 1 <= @n <= VCLOCK_NODES_MAX (asserted). */
void vclock_init(struct vclock *v, uint32_t n);

/**
 * vclock_tick() - a local event or a send at process @self (< n, asserted).
 * Return: 0; -EOVERFLOW if c[@self] is UINT64_MAX (the clock is left unchanged).
 */
int vclock_tick(struct vclock *v, uint32_t self);

/**
 * vclock_merge() - pointwise maximum of @v and @other, into @v.
 * Return: 0; -EINVAL if @other->n != @v->n (then @v is unchanged).
 */
int vclock_merge(struct vclock *v, const struct vclock *other);

/**
 * vclock_recv() - a receive at process @self of a message stamped @remote: merge, then tick.
 * Return: 0; -EINVAL if @remote->n != @v->n; -EOVERFLOW if the own entry would pass
 *         UINT64_MAX. On error @v is unchanged.
 */
int vclock_recv(struct vclock *v, uint32_t self, const struct vclock *remote);

/**
 * vclock_compare() - the causal order of @a and @b. Total: clocks of different widths are
 * compared as if the missing entries were 0.
 */
enum vclock_order vclock_compare(const struct vclock *a, const struct vclock *b);

/* vclock_encoded_size() - the bytes vclock_encode() writes for @v. */
size_t vclock_encoded_size(const struct vclock *v);

/**
 * vclock_encode() - the compact form: varint n, then n varint counters (unsigned LEB128,
 * minimal length), so small clocks cost one byte per entry.
 * Return: bytes written; -EMSGSIZE if @target_size < vclock_encoded_size(@v).
 */
ssize_t vclock_encode(const struct vclock *v, void *target, size_t target_size);

/**
 * vclock_decode() - read one encoded clock from the start of @source.
 * Trailing bytes are left for the caller: the return says where the clock ended.
 * Return: bytes consumed; -EBADMSG on truncation, n == 0 or n > VCLOCK_NODES_MAX, a varint
 *         over 64 bits or one not in minimal form. On error @v is unchanged.
 */
ssize_t vclock_decode(struct vclock *v, const void *source, size_t source_size);

#endif /* VCLOCK_H */
