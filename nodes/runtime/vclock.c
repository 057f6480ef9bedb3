/* SPDX-License-Identifier: MIT */
/* vclock.c - vector clocks and their varint wire form. */
#include "vclock.h"

#include <errno.h>
#include <string.h>

#include "fl_assert.h"

static void check(const struct vclock *v)
{
	ASSERT(v);
	ASSERT(v->n >= 1);
	ASSERT(v->n <= VCLOCK_NODES_MAX);
}

void vclock_init(struct vclock *v, uint32_t n)
{
	ASSERT(v);
	ASSERT(n >= 1);
	ASSERT(n <= VCLOCK_NODES_MAX);
	memset(v, 0, sizeof(*v));
	v->n = n;
}

int vclock_tick(struct vclock *v, uint32_t self)
{
	check(v);
	ASSERT(self < v->n);
	if (v->c[self] == UINT64_MAX)
		return -EOVERFLOW;
	v->c[self]++;
	return 0;
}

int vclock_merge(struct vclock *v, const struct vclock *other)
{
	check(v);
	ASSERT(other);
	if (other->n != v->n)
		return -EINVAL;
	for (uint32_t i = 0; i < v->n; i++) {
		if (other->c[i] > v->c[i])
			v->c[i] = other->c[i];
	}
	return 0;
}

int vclock_recv(struct vclock *v, uint32_t self, const struct vclock *remote)
{
	uint64_t own;
	int err;

	check(v);
	ASSERT(self < v->n);
	ASSERT(remote);
	if (remote->n != v->n)
		return -EINVAL;
	/* Check before merging, so that a failed receive changes nothing. */
	own = v->c[self] > remote->c[self] ? v->c[self] : remote->c[self];
	if (own == UINT64_MAX)
		return -EOVERFLOW;
	err = vclock_merge(v, remote);
	ASSERT(err == 0);
	v->c[self] = own + 1;
	ASSERT(vclock_compare(remote, v) == VCLOCK_BEFORE);
	return 0;
}

enum vclock_order vclock_compare(const struct vclock *a, const struct vclock *b)
{
	uint32_t n = a->n > b->n ? a->n : b->n;
	int less = 0, greater = 0;

	check(a);
	check(b);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t x = i < a->n ? a->c[i] : 0;
		uint64_t y = i < b->n ? b->c[i] : 0;

		less |= x < y;
		greater |= x > y;
	}
	if (less && greater)
		return VCLOCK_CONCURRENT;
	if (less)
		return VCLOCK_BEFORE;
	return greater ? VCLOCK_AFTER : VCLOCK_EQUAL;
}

static size_t varint_size(uint64_t x)
{
	size_t size = 1;

	while (x >= 0x80) {
		x >>= 7;
		size++;
	}
	ASSERT(size <= VCLOCK_VARINT_BYTES_MAX);
	return size;
}

static size_t varint_put(uint8_t *p, uint64_t x)
{
	size_t i = 0;

	while (x >= 0x80) {
		p[i++] = (uint8_t)(x | 0x80);
		x >>= 7;
	}
	p[i++] = (uint8_t)x;
	ASSERT(i <= VCLOCK_VARINT_BYTES_MAX);
	return i;
}

/* Return: bytes consumed, or -EBADMSG for truncation, overflow or a non-minimal form. */
static int varint_get(const uint8_t *p, size_t size, uint64_t *out)
{
	uint64_t x = 0;

	for (size_t i = 0; i < VCLOCK_VARINT_BYTES_MAX; i++) {
		if (i >= size)
			return -EBADMSG;
		/* The tenth byte holds bit 63 only. */
		if (i == VCLOCK_VARINT_BYTES_MAX - 1 && p[i] > 1)
			return -EBADMSG;
		x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			if (i > 0 && p[i] == 0)
				return -EBADMSG;
			*out = x;
			return (int)i + 1;
		}
	}
	ASSERT(0);
	return -EBADMSG;
}

size_t vclock_encoded_size(const struct vclock *v)
{
	size_t size;

	check(v);
	size = varint_size(v->n);
	for (uint32_t i = 0; i < v->n; i++)
		size += varint_size(v->c[i]);
	ASSERT(size <= VCLOCK_ENCODED_BYTES_MAX);
	return size;
}

ssize_t vclock_encode(const struct vclock *v, void *target, size_t target_size)
{
	size_t size = vclock_encoded_size(v), at;
	uint8_t *p = target;

	if (target_size < size)
		return -EMSGSIZE;
	ASSERT(target);
	at = varint_put(p, v->n);
	for (uint32_t i = 0; i < v->n; i++)
		at += varint_put(p + at, v->c[i]);
	ASSERT(at == size);
	return (ssize_t)at;
}

ssize_t vclock_decode(struct vclock *v, const void *source, size_t source_size)
{
	const uint8_t *p = source;
	struct vclock tmp;
	uint64_t n;
	size_t at;
	int got;

	ASSERT(v);
	ASSERT(source || source_size == 0);
	got = varint_get(p, source_size, &n);
	if (got < 0)
		return got;
	if (n == 0 || n > VCLOCK_NODES_MAX)
		return -EBADMSG;
	vclock_init(&tmp, (uint32_t)n);
	at = (size_t)got;
	for (uint32_t i = 0; i < tmp.n; i++) {
		got = varint_get(p + at, source_size - at, &tmp.c[i]);
		if (got < 0)
			return got;
		at += (size_t)got;
	}
	ASSERT(at <= source_size);
	*v = tmp;
	return (ssize_t)at;
}
