/* SPDX-License-Identifier: MIT */
/* test_merge.c - the joins of G-Counter, G-Set and OR-Set obey the semilattice laws. */
#include <criterion/criterion.h>
#include <errno.h>

#include "gcounter.h"
#include "gset.h"
#include "orset.h"
#include "prng.h"

enum { ITERATIONS = 400, REPLICAS = 4 };

/*
 * One macro body per law set, instantiated per type: @T is the type prefix, @RANDOM fills a
 * state, @MERGE joins (asserting success). Static storage: an OR-Set is about 1 MiB.
 */
#define CHECK_LAWS(T, STATE, RANDOM, MERGE)                                                   \
	do {                                                                                  \
		static STATE a, b, c, x, y;                                                   \
		struct prng prng;                                                             \
		prng_init(&prng, 0xc0ffee);                                                   \
		for (int it = 0; it < ITERATIONS; it++) {                                     \
			RANDOM(&a);                                                           \
			RANDOM(&b);                                                           \
			RANDOM(&c);                                                           \
			/* Commutative. */                                                    \
			x = a;                                                                \
			MERGE(&x, &b);                                                        \
			y = b;                                                                \
			MERGE(&y, &a);                                                        \
			cr_assert(T##_equal(&x, &y), "commutativity, iteration %d", it);      \
			/* Inflationary: a <= a join b, b <= a join b. */                     \
			cr_assert(T##_leq(&a, &x), "a <= a+b, iteration %d", it);             \
			cr_assert(T##_leq(&b, &x), "b <= a+b, iteration %d", it);             \
			/* Associative. */                                                    \
			MERGE(&x, &c);                                                        \
			y = b;                                                                \
			MERGE(&y, &c);                                                        \
			{                                                                     \
				static STATE z;                                               \
				z = a;                                                        \
				MERGE(&z, &y);                                                \
				cr_assert(T##_equal(&x, &z), "associativity, iteration %d", it); \
			}                                                                     \
			/* Idempotent, with a copy and with itself. */                        \
			x = a;                                                                \
			MERGE(&x, &a);                                                        \
			cr_assert(T##_equal(&x, &a), "idempotence, iteration %d", it);        \
			MERGE(&x, &x);                                                        \
			cr_assert(T##_equal(&x, &a), "self-merge, iteration %d", it);         \
		}                                                                             \
	} while (0)

#define GC_RANDOM(s) gcounter_random(s, &prng, REPLICAS)
#define GC_MERGE(d, s) gcounter_merge_checked(d, s)
#define GS_RANDOM(s) gset_random(s, &prng, 40, 64)
#define GS_MERGE(d, s) cr_assert_eq(gset_merge(d, s), 0)
#define OS_RANDOM(s) orset_random(s, &prng, REPLICAS, 120)
#define OS_MERGE(d, s) cr_assert_eq(orset_merge(d, s), 0)

static void gcounter_merge_checked(struct gcounter *dst, const struct gcounter *src)
{
	if (dst != src)
		gcounter_merge(dst, src);
}

TestSuite(crdt_merge);

Test(crdt_merge, gcounter_is_a_join_semilattice)
{
	CHECK_LAWS(gcounter, struct gcounter, GC_RANDOM, GC_MERGE);
}

Test(crdt_merge, gset_is_a_join_semilattice)
{
	CHECK_LAWS(gset, struct gset, GS_RANDOM, GS_MERGE);
}

Test(crdt_merge, orset_is_a_join_semilattice)
{
	CHECK_LAWS(orset, struct orset, OS_RANDOM, OS_MERGE);
}

Test(crdt_merge, orset_tombstone_wins_over_live_copy_of_same_tag)
{
	static struct orset a, b;

	orset_init(&a);
	orset_init(&b);
	cr_assert_eq(orset_add(&a, 7, 1, 10), 0);
	cr_assert_eq(orset_add(&b, 7, 1, 10), 0);
	cr_assert_eq(orset_remove(&b, 7), 1);
	cr_assert_eq(orset_merge(&a, &b), 0);
	cr_assert_not(orset_contains(&a, 7));
	cr_assert_eq(a.tag_count, 1);
}

Test(crdt_merge, gset_merge_over_bound_fails_and_leaves_dst_unchanged)
{
	static struct gset a, b, saved;

	gset_init(&a);
	gset_init(&b);
	for (int64_t i = 0; i < CRDT_SET_ELEMENTS_MAX / 2 + 1; i++) {
		cr_assert_eq(gset_add(&a, 2 * i), 0);
		cr_assert_eq(gset_add(&b, 2 * i + 1), 0);
	}
	saved = a;
	cr_assert_eq(gset_merge(&a, &b), -E2BIG);
	cr_assert(gset_equal(&a, &saved));
}

Test(crdt_merge, gset_add_on_full_set_fails)
{
	static struct gset s;

	gset_init(&s);
	for (int64_t i = 0; i < CRDT_SET_ELEMENTS_MAX; i++)
		cr_assert_eq(gset_add(&s, i), 0);
	cr_assert_eq(gset_add(&s, 0), 0, "present elements are fine");
	cr_assert_eq(gset_add(&s, -1), -E2BIG);
}

Test(crdt_merge, gcounter_rejects_negative_delta_and_overflow)
{
	struct gcounter g;

	gcounter_init(&g);
	cr_assert_eq(gcounter_add(&g, 0, -1), -EINVAL);
	cr_assert_eq(gcounter_add(&g, 0, INT64_MAX), 0);
	cr_assert_eq(gcounter_add(&g, 0, 1), -EOVERFLOW);
	cr_assert_eq(gcounter_add(&g, 1, 5), 0);
	cr_assert_eq(gcounter_value(&g), INT64_MAX, "the sum saturates");
}
