/* SPDX-License-Identifier: MIT */
/* lww_store.c - registers and their order, valid keys, the store's join. */
#include "lww_store.h"

#include <errno.h>
#include <string.h>

#include "fl_assert.h"

/* --- registers --- */

static bool register_valid(const struct lww_register *r)
{
	if (r->ts == 0)
		return r->value == 0 && r->writer == 0;
	return r->ts <= (uint64_t)INT64_MAX && r->writer < LWW_REPLICAS_MAX;
}

int lww_register_compare(const struct lww_register *a, const struct lww_register *b)
{
	ASSERT(register_valid(a));
	ASSERT(register_valid(b));
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if (a->writer != b->writer)
		return a->writer < b->writer ? -1 : 1;
	if (a->value != b->value)
		return a->value < b->value ? -1 : 1;
	return 0;
}

bool lww_register_merge(struct lww_register *dst, const struct lww_register *src)
{
	if (lww_register_compare(dst, src) >= 0)
		return false;
	*dst = *src;
	ASSERT(lww_register_compare(dst, src) == 0);
	return true;
}

bool lww_key_valid(const char *key, size_t size)
{
	if (size == 0 || size > LWW_KEY_BYTES_MAX)
		return false;
	for (size_t i = 0; i < size; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* --- the store --- */

void lww_store_init(struct lww_store *s)
{
	ASSERT(s);
	s->count = 0;
}

static struct lww_entry *find(const struct lww_store *s, const char *key, size_t key_size)
{
	ASSERT(s->count <= LWW_KEYS_MAX);
	for (uint32_t i = 0; i < s->count; i++) {
		const struct lww_entry *e = &s->entries[i];

		if (e->key_size == key_size && memcmp(e->key, key, key_size) == 0)
			return (struct lww_entry *)e;
	}
	return NULL;
}

const struct lww_register *lww_store_find(const struct lww_store *s, const char *key,
					  size_t key_size)
{
	const struct lww_entry *e = find(s, key, key_size);

	return e ? &e->reg : NULL;
}

int lww_store_merge_one(struct lww_store *s, const char *key, size_t key_size,
			const struct lww_register *reg)
{
	struct lww_entry *e = find(s, key, key_size);

	ASSERT(lww_key_valid(key, key_size));
	ASSERT(reg->ts > 0);
	if (e)
		return lww_register_merge(&e->reg, reg) ? 1 : 0;
	if (s->count == LWW_KEYS_MAX)
		return -E2BIG;
	e = &s->entries[s->count++];
	memcpy(e->key, key, key_size);
	e->key[key_size] = '\0';
	e->key_size = (uint32_t)key_size;
	e->reg = *reg;
	ASSERT(find(s, key, key_size) == e);
	return 1;
}

int lww_store_merge(struct lww_store *dst, const struct lww_store *src)
{
	struct lww_store copy;
	int err = 0;

	/* A copy, so that merging a store into itself reads what it started with. */
	copy = *src;
	for (uint32_t i = 0; i < copy.count; i++) {
		const struct lww_entry *e = &copy.entries[i];

		if (lww_store_merge_one(dst, e->key, e->key_size, &e->reg) < 0)
			err = -E2BIG;
	}
	ASSERT(dst->count <= LWW_KEYS_MAX);
	return err;
}

bool lww_store_equal(const struct lww_store *a, const struct lww_store *b)
{
	if (a->count != b->count)
		return false;
	/* Keys are distinct on both sides, so equal counts and a ⊆ b make a = b. */
	for (uint32_t i = 0; i < a->count; i++) {
		const struct lww_entry *e = &a->entries[i];
		const struct lww_register *r = lww_store_find(b, e->key, e->key_size);

		if (!r || lww_register_compare(r, &e->reg) != 0)
			return false;
	}
	return true;
}

uint64_t lww_store_ts_max(const struct lww_store *s)
{
	uint64_t max = 0;

	ASSERT(s->count <= LWW_KEYS_MAX);
	for (uint32_t i = 0; i < s->count; i++)
		max = s->entries[i].reg.ts > max ? s->entries[i].reg.ts : max;
	return max;
}
