/* SPDX-License-Identifier: MIT */
/* orset.c - OR-Set as sorted tag arrays with in-place unions (no scratch memory). */
#include "orset.h"

#include <errno.h>
#include <string.h>

#include "fl_assert.h"
#include "prng.h"

enum { RANDOM_SEQ_MAX = 64, RANDOM_ELEMENTS = 16 };

void orset_init(struct orset *o)
{
	o->tag_count = 0;
	o->remove_count = 0;
}

/* tag_cmp() - order by (element, tag name); the dead bit does not take part. */
static int tag_cmp(const struct orset_tag *a, const struct orset_tag *b)
{
	if (a->element != b->element)
		return a->element < b->element ? -1 : 1;
	if (a->id >> 1 != b->id >> 1)
		return (a->id >> 1) < (b->id >> 1) ? -1 : 1;
	return 0;
}

static void check_array(const struct orset_tag *tags, uint32_t count, bool removes)
{
	for (uint32_t i = 0; i < count; i++) {
		ASSERT(orset_id_origin(tags[i].id) < CRDT_REPLICAS_MAX);
		if (removes)
			ASSERT(!orset_id_dead(tags[i].id));
		if (i > 0)
			ASSERT(tag_cmp(&tags[i - 1], &tags[i]) < 0);
	}
}

void orset_check(const struct orset *o)
{
	ASSERT(o->tag_count <= CRDT_ORSET_TAGS_MAX);
	ASSERT(o->remove_count <= CRDT_ORSET_REMOVES_MAX);
	check_array(o->tags, o->tag_count, false);
	check_array(o->removes, o->remove_count, true);
}

/* lower_bound() - the first index in @tags not ordered before @key. */
static uint32_t lower_bound(const struct orset_tag *tags, uint32_t count,
			    const struct orset_tag *key)
{
	uint32_t low = 0, high = count;

	while (low < high) {
		uint32_t mid = low + (high - low) / 2;

		if (tag_cmp(&tags[mid], key) < 0)
			low = mid + 1;
		else
			high = mid;
	}
	ASSERT(low <= count);
	return low;
}

/* insert() - put @tag into the sorted array; an existing equal tag absorbs its dead bit. */
static int insert(struct orset_tag *tags, uint32_t *count, uint32_t count_max,
		  struct orset_tag tag)
{
	uint32_t i = lower_bound(tags, *count, &tag);

	if (i < *count && tag_cmp(&tags[i], &tag) == 0) {
		tags[i].id |= tag.id;
		return 0;
	}
	if (*count == count_max)
		return -E2BIG;
	memmove(&tags[i + 1], &tags[i], (*count - i) * sizeof(tags[0]));
	tags[i] = tag;
	(*count)++;
	return 0;
}

int orset_add(struct orset *o, int64_t element, uint32_t origin, uint64_t seq)
{
	struct orset_tag tag = { .element = element, .id = orset_id(origin, seq, false) };

	ASSERT(origin < CRDT_REPLICAS_MAX);
	ASSERT(seq < CRDT_SEQ_LIMIT);
	return insert(o->tags, &o->tag_count, CRDT_ORSET_TAGS_MAX, tag);
}

/* tombstone() - mark every tag of @element in @o dead. Return: how many were live. */
static uint32_t tombstone(struct orset *o, int64_t element)
{
	struct orset_tag key = { .element = element, .id = 0 };
	uint32_t n = 0;

	for (uint32_t i = lower_bound(o->tags, o->tag_count, &key);
	     i < o->tag_count && o->tags[i].element == element; i++) {
		if (!orset_id_dead(o->tags[i].id))
			n++;
		o->tags[i].id |= 1u;
	}
	return n;
}

uint32_t orset_remove(struct orset *o, int64_t element)
{
	uint32_t n = tombstone(o, element);

	ASSERT(!orset_contains(o, element));
	return n;
}

int orset_remove_event(struct orset *o, int64_t element, uint32_t origin, uint64_t seq)
{
	struct orset_tag event = { .element = element, .id = orset_id(origin, seq, false) };
	int err;

	ASSERT(origin < CRDT_REPLICAS_MAX);
	err = insert(o->removes, &o->remove_count, CRDT_ORSET_REMOVES_MAX, event);
	if (err < 0)
		return err;
	tombstone(o, element);
	ASSERT(!orset_contains(o, element));
	return 0;
}

bool orset_contains(const struct orset *o, int64_t element)
{
	struct orset_tag key = { .element = element, .id = 0 };

	for (uint32_t i = lower_bound(o->tags, o->tag_count, &key);
	     i < o->tag_count && o->tags[i].element == element; i++) {
		if (!orset_id_dead(o->tags[i].id))
			return true;
	}
	return false;
}

bool orset_next_live(const struct orset *o, uint32_t *cursor, int64_t *element)
{
	uint32_t i = *cursor;

	ASSERT(i <= o->tag_count);
	while (i < o->tag_count && orset_id_dead(o->tags[i].id))
		i++;
	if (i == o->tag_count) {
		*cursor = i;
		return false;
	}
	*element = o->tags[i].element;
	/* Skip the element's other tags, so each element is reported once. */
	while (i < o->tag_count && o->tags[i].element == *element)
		i++;
	*cursor = i;
	return true;
}

int orset_copy_element(struct orset *dst, const struct orset *src, int64_t element)
{
	struct orset_tag key = { .element = element, .id = 0 };
	uint32_t first = lower_bound(src->tags, src->tag_count, &key), last = first;

	ASSERT(dst->tag_count == 0);
	ASSERT(dst->remove_count == 0);
	while (last < src->tag_count && src->tags[last].element == element)
		last++;
	if (last - first > CRDT_ORSET_TAGS_MAX)
		return -E2BIG;
	memcpy(dst->tags, &src->tags[first], (last - first) * sizeof(dst->tags[0]));
	dst->tag_count = last - first;
	return 0;
}

static uint32_t union_count(const struct orset_tag *a, uint32_t a_count,
			    const struct orset_tag *b, uint32_t b_count)
{
	uint32_t i = 0, j = 0, n = 0;

	while (i < a_count && j < b_count) {
		int c = tag_cmp(&a[i], &b[j]);

		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		n++;
	}
	return n + (a_count - i) + (b_count - j);
}

/*
 * merge_array() - in-place union of sorted @src into sorted @dst (capacity >= @n, the union
 * size), filled from the back so no unread dst entry is overwritten. If @fresh is set, each
 * entry only @src had tombstones its element in @fresh (remove events).
 */
static void merge_array(struct orset_tag *dst, uint32_t dst_count, const struct orset_tag *src,
			uint32_t src_count, uint32_t n, struct orset *fresh)
{
	uint32_t i = dst_count, j = src_count, k = n;

	while (j > 0) {
		int c = i > 0 ? tag_cmp(&dst[i - 1], &src[j - 1]) : -1;

		ASSERT(k > 0);
		if (c > 0) {
			dst[--k] = dst[--i];
			continue;
		}
		if (c == 0) {
			dst[--k] = dst[--i];
			dst[k].id |= src[--j].id;
			continue;
		}
		if (fresh)
			tombstone(fresh, src[j - 1].element);
		dst[--k] = src[--j];
	}
	ASSERT(k == i);
}

int orset_merge(struct orset *dst, const struct orset *src)
{
	uint32_t tags_n, removes_n;

	if (dst == src)
		return 0;
	tags_n = union_count(dst->tags, dst->tag_count, src->tags, src->tag_count);
	removes_n = union_count(dst->removes, dst->remove_count, src->removes, src->remove_count);
	if (tags_n > CRDT_ORSET_TAGS_MAX || removes_n > CRDT_ORSET_REMOVES_MAX)
		return -E2BIG;
	merge_array(dst->tags, dst->tag_count, src->tags, src->tag_count, tags_n, NULL);
	dst->tag_count = tags_n;
	/* Tags first: a new remove event also kills tags that arrived with it. */
	merge_array(dst->removes, dst->remove_count, src->removes, src->remove_count, removes_n,
		    dst);
	dst->remove_count = removes_n;
	ASSERT_DEBUG((orset_check(dst), 1));
	return 0;
}

bool orset_equal(const struct orset *a, const struct orset *b)
{
	if (a->tag_count != b->tag_count || a->remove_count != b->remove_count)
		return false;
	if (memcmp(a->tags, b->tags, a->tag_count * sizeof(a->tags[0])) != 0)
		return false;
	return memcmp(a->removes, b->removes, a->remove_count * sizeof(a->removes[0])) == 0;
}

static bool array_leq(const struct orset_tag *a, uint32_t a_count, const struct orset_tag *b,
		      uint32_t b_count)
{
	for (uint32_t i = 0; i < a_count; i++) {
		uint32_t k = lower_bound(b, b_count, &a[i]);

		if (k == b_count || tag_cmp(&b[k], &a[i]) != 0)
			return false;
		if (orset_id_dead(a[i].id) && !orset_id_dead(b[k].id))
			return false;
	}
	return true;
}

bool orset_leq(const struct orset *a, const struct orset *b)
{
	return array_leq(a->tags, a->tag_count, b->tags, b->tag_count) &&
	       array_leq(a->removes, a->remove_count, b->removes, b->remove_count);
}

void orset_random(struct orset *o, struct prng *prng, uint32_t replicas, uint32_t tags_max)
{
	uint32_t count;

	ASSERT(replicas >= 1 && replicas <= CRDT_REPLICAS_MAX);
	ASSERT(tags_max <= CRDT_ORSET_TAGS_MAX);
	orset_init(o);
	count = (uint32_t)prng_below(prng, (uint64_t)tags_max + 1);
	for (uint32_t i = 0; i < count; i++) {
		uint32_t origin = (uint32_t)prng_below(prng, replicas);
		uint64_t seq = prng_below(prng, RANDOM_SEQ_MAX);
		/* A fixed function of the tag name: one add always carries one element. */
		int64_t element = (int64_t)((seq * 7 + origin * 3) % RANDOM_ELEMENTS) - 4;
		struct orset_tag tag = { element, orset_id(origin, seq, prng_chance(prng, 0.3)) };

		if (insert(o->tags, &o->tag_count, CRDT_ORSET_TAGS_MAX, tag) < 0)
			break;
	}
	orset_check(o);
}
