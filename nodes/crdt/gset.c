/* SPDX-License-Identifier: MIT */
/* gset.c - sorted-array grow-only set with an in-place union. */
#include "gset.h"

#include <errno.h>
#include <string.h>

#include "fl_assert.h"
#include "prng.h"

void gset_init(struct gset *s)
{
	s->count = 0;
}

void gset_check(const struct gset *s)
{
	ASSERT(s->count <= CRDT_SET_ELEMENTS_MAX);
	for (uint32_t i = 1; i < s->count; i++)
		ASSERT(s->elements[i - 1] < s->elements[i]);
}

/* lower_bound() - the first index whose element is >= @element. */
static uint32_t lower_bound(const struct gset *s, int64_t element)
{
	uint32_t low = 0, high = s->count;

	while (low < high) {
		uint32_t mid = low + (high - low) / 2;

		if (s->elements[mid] < element)
			low = mid + 1;
		else
			high = mid;
	}
	ASSERT(low <= s->count);
	return low;
}

bool gset_contains(const struct gset *s, int64_t element)
{
	uint32_t i = lower_bound(s, element);

	return i < s->count && s->elements[i] == element;
}

int gset_add(struct gset *s, int64_t element)
{
	uint32_t i = lower_bound(s, element);

	if (i < s->count && s->elements[i] == element)
		return 0;
	if (s->count == CRDT_SET_ELEMENTS_MAX)
		return -E2BIG;
	memmove(&s->elements[i + 1], &s->elements[i], (s->count - i) * sizeof(s->elements[0]));
	s->elements[i] = element;
	s->count++;
	ASSERT(gset_contains(s, element));
	return 0;
}

static uint32_t union_count(const struct gset *a, const struct gset *b)
{
	uint32_t i = 0, j = 0, n = 0;

	while (i < a->count && j < b->count) {
		if (a->elements[i] < b->elements[j])
			i++;
		else if (a->elements[i] > b->elements[j])
			j++;
		else
			i++, j++;
		n++;
	}
	return n + (a->count - i) + (b->count - j);
}

int gset_merge(struct gset *dst, const struct gset *src)
{
	uint32_t n, i, j, k;

	if (dst == src)
		return 0;
	n = union_count(dst, src);
	if (n > CRDT_SET_ELEMENTS_MAX)
		return -E2BIG;
	/* Fill from the back: slot k is never ahead of an unread dst element (k >= i). */
	i = dst->count, j = src->count, k = n;
	while (j > 0) {
		ASSERT(k > 0);
		if (i > 0 && dst->elements[i - 1] > src->elements[j - 1]) {
			dst->elements[--k] = dst->elements[--i];
		} else {
			if (i > 0 && dst->elements[i - 1] == src->elements[j - 1])
				i--;
			dst->elements[--k] = src->elements[--j];
		}
	}
	ASSERT(k == i);
	dst->count = n;
	ASSERT_DEBUG((gset_check(dst), 1));
	return 0;
}

bool gset_equal(const struct gset *a, const struct gset *b)
{
	if (a->count != b->count)
		return false;
	return memcmp(a->elements, b->elements, a->count * sizeof(a->elements[0])) == 0;
}

bool gset_leq(const struct gset *a, const struct gset *b)
{
	for (uint32_t i = 0; i < a->count; i++) {
		if (!gset_contains(b, a->elements[i]))
			return false;
	}
	return true;
}

void gset_random(struct gset *s, struct prng *prng, uint32_t count_max, uint64_t universe)
{
	uint32_t count;

	ASSERT(count_max <= CRDT_SET_ELEMENTS_MAX);
	ASSERT(universe > 0);
	gset_init(s);
	count = (uint32_t)prng_below(prng, (uint64_t)count_max + 1);
	for (uint32_t i = 0; i < count; i++) {
		/* Shift into negatives too, so signed order is exercised. */
		int64_t element = (int64_t)prng_below(prng, universe) - (int64_t)(universe / 2);
		int err = gset_add(s, element);

		ASSERT(err == 0);
	}
	gset_check(s);
}
