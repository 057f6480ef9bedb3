/* SPDX-License-Identifier: MIT */
/* jepsen_elements.h - the elements Jepsen's set, queue and unique-id checkers compare,
 * interned to dense ids, with the check's memory budget. */
#ifndef JEPSEN_ELEMENTS_H
#define JEPSEN_ELEMENTS_H

#include <stddef.h>
#include <stdint.h>

#include "op.h"

struct errbuf;

/*
 * An element is an integer, or any other JSON value by its compact text (a Jepsen keyword
 * imports as a JSON string, so :a is "a"). Two elements are equal when both are the same
 * integer or both have the same text. Ids are dense: 0 .. jepsen_elements_count() - 1, in
 * the order the elements were first seen.
 */
struct jepsen_elements;

/**
 * jepsen_elements_new() - an empty pool whose allocations, and those charged to it with
 * jepsen_elements_reserve(), stay under @memory_bytes_max (0: CHK_MEMORY_BYTES_DEFAULT).
 * Return: 0 or -ENOMEM.
 */
int jepsen_elements_new(struct jepsen_elements **out, uint64_t memory_bytes_max,
			struct errbuf *eb);

/* jepsen_elements_free() - free @pool; NULL is allowed. */
void jepsen_elements_free(struct jepsen_elements *pool);

/**
 * jepsen_elements_intern() - the id of @value taken whole as one element (an add's value, an
 * id generated): an integer, or the JSON text of anything else (null is "null", an array of
 * integers "[1,2]").
 * Return: 0; -E2BIG past CHK_ELEMENTS_MAX elements; -ENOMEM (budget or allocation).
 */
int jepsen_elements_intern(struct jepsen_elements *pool, const struct op_value *value,
			   uint32_t *id, struct errbuf *eb);

/**
 * jepsen_elements_intern_all() - the ids of the members of @value taken as a collection (a
 * read of a set, a drain): an array of integers, a JSON array (EDN vectors, lists and sets
 * import as arrays), or null (Jepsen's (set nil), empty). *@ids is a view, valid until the
 * next call on @pool; members are in the order written, repeats kept.
 * Return: 0; -EINVAL if @value is not a collection (an integer, a string, an object);
 * -E2BIG; -ENOMEM.
 */
int jepsen_elements_intern_all(struct jepsen_elements *pool, const struct op_value *value,
			       const uint32_t **ids, uint32_t *count, struct errbuf *eb);

/* jepsen_elements_count() - the number of distinct elements interned. */
uint32_t jepsen_elements_count(const struct jepsen_elements *pool);

/* jepsen_elements_compare() - Jepsen's sort order: integers by value, before any text;
 * texts byte-wise. Return: <0, 0 or >0. */
int jepsen_elements_compare(const struct jepsen_elements *pool, uint32_t a, uint32_t b);

/* jepsen_elements_sort() - sort @ids in place by jepsen_elements_compare(); no recursion. */
void jepsen_elements_sort(const struct jepsen_elements *pool, uint32_t *ids, uint32_t count);

/* jepsen_elements_format() - the element as written in a history ("7", "\"a\"") into @out
 * of @size >= 1 bytes, cut if it does not fit. */
void jepsen_elements_format(const struct jepsen_elements *pool, uint32_t id, char *out,
			    size_t size);

/**
 * jepsen_elements_format_set() - sort @ids (in place) and write them as Jepsen's
 * integer-interval-set-str does: "#{1..3 5 \"a\"}", runs of consecutive integers folded.
 * Cut with "...}" if it does not fit @size (>= 8) bytes.
 */
void jepsen_elements_format_set(const struct jepsen_elements *pool, uint32_t *ids,
				uint32_t count, char *out, size_t size);

/**
 * jepsen_elements_reserve() - charge @bytes the caller is about to allocate for the check to
 * the pool's budget (the pool's own tables are charged already).
 * Return: 0, or -ENOMEM with the budget named in @eb.
 */
int jepsen_elements_reserve(struct jepsen_elements *pool, uint64_t bytes, struct errbuf *eb);

/**
 * jepsen_elements_fit() - grow the caller's per-element array *@array, of *@slots entries of
 * @size_each bytes, to an entry for every element interned so far (new entries zeroed),
 * charged to the budget. The caller free()s *@array.
 * Return: 0 or -ENOMEM (*@array unchanged).
 */
int jepsen_elements_fit(struct jepsen_elements *pool, void **array, uint32_t *slots,
			size_t size_each, struct errbuf *eb);

#endif /* JEPSEN_ELEMENTS_H */
