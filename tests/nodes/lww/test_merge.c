/* SPDX-License-Identifier: MIT */
/* test_merge.c - the register and store merges are joins: commutative, associative and
 * idempotent over random states; a merge that breaks ties by arrival order is caught. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lww.h"
#include "prng.h"

enum { ITERATIONS = 2000, KEYS = 8, WRITERS = 4, TS_MAX = 6, VALUES = 3 };

TestSuite(lww_merge);

/* Few distinct timestamps, writers and values, so that ties happen often. */
static struct lww_register random_register(struct prng *prng, bool written)
{
	struct lww_register r = { 0, 0, 0 };

	r.ts = prng_below(prng, TS_MAX + 1);
	if (written && r.ts == 0)
		r.ts = 1;
	if (r.ts == 0)
		return r;
	r.writer = (uint32_t)prng_below(prng, WRITERS);
	r.value = (int64_t)prng_below(prng, VALUES) - 1;
	return r;
}

static void random_store(struct prng *prng, struct lww_store *s)
{
	char key[8];

	lww_store_init(s);
	for (int k = 0; k < KEYS; k++) {
		struct lww_register r = random_register(prng, true);

		if (prng_chance(prng, 0.4))
			continue;
		snprintf(key, sizeof(key), "k%d", k);
		cr_assert_eq(lww_store_merge_one(s, key, strlen(key), &r), 1);
	}
}

static struct lww_register join(struct lww_register a, const struct lww_register *b)
{
	lww_register_merge(&a, b);
	return a;
}

static bool same(const struct lww_register *a, const struct lww_register *b)
{
	return lww_register_compare(a, b) == 0;
}

Test(lww_merge, register_merge_is_a_join)
{
	struct prng prng;

	prng_init(&prng, 0x1ee7);
	for (int it = 0; it < ITERATIONS; it++) {
		struct lww_register a = random_register(&prng, false);
		struct lww_register b = random_register(&prng, false);
		struct lww_register c = random_register(&prng, false);
		struct lww_register ab = join(a, &b), ba = join(b, &a);
		struct lww_register left = join(ab, &c), bc = join(b, &c);
		struct lww_register right = join(a, &bc), aa = join(a, &a);

		cr_assert(same(&ab, &ba), "commutative, iteration %d", it);
		cr_assert(same(&left, &right), "associative, iteration %d", it);
		cr_assert(same(&aa, &a), "idempotent, iteration %d", it);
		cr_assert(lww_register_compare(&ab, &a) >= 0 && lww_register_compare(&ab, &b) >= 0,
			  "inflationary, iteration %d", it);
		cr_assert(same(&ab, &a) || same(&ab, &b), "picks one of its inputs, iteration %d",
			  it);
	}
}

Test(lww_merge, larger_ts_wins_then_larger_writer)
{
	struct lww_register old = { .value = 1, .ts = 10, .writer = 3 };
	struct lww_register newer = { .value = 2, .ts = 11, .writer = 0 };
	struct lww_register tie = { .value = 1, .ts = 11, .writer = 1 };
	struct lww_register never = { 0, 0, 0 };

	cr_assert_eq(join(old, &newer).value, 2);
	cr_assert_eq(join(newer, &old).value, 2);
	cr_assert_eq(join(newer, &tie).value, 1, "same ts: writer 1 beats writer 0");
	cr_assert_eq(join(tie, &newer).value, 1, "whatever its value");
	cr_assert_eq(join(never, &old).value, 1, "a written register beats ts 0");
	cr_assert_eq(join(old, &never).ts, 10);
}

Test(lww_merge, store_merge_is_a_join)
{
	static struct lww_store a, b, c, x, y, z;
	struct prng prng;

	prng_init(&prng, 0xc0ffee);
	for (int it = 0; it < ITERATIONS; it++) {
		random_store(&prng, &a);
		random_store(&prng, &b);
		random_store(&prng, &c);
		x = a;
		cr_assert_eq(lww_store_merge(&x, &b), 0);
		y = b;
		cr_assert_eq(lww_store_merge(&y, &a), 0);
		cr_assert(lww_store_equal(&x, &y), "commutative, iteration %d", it);
		cr_assert_eq(lww_store_merge(&x, &c), 0);
		y = b;
		cr_assert_eq(lww_store_merge(&y, &c), 0);
		z = a;
		cr_assert_eq(lww_store_merge(&z, &y), 0);
		cr_assert(lww_store_equal(&x, &z), "associative, iteration %d", it);
		x = a;
		cr_assert_eq(lww_store_merge(&x, &a), 0);
		cr_assert(lww_store_equal(&x, &a), "idempotent, iteration %d", it);
		cr_assert_eq(lww_store_merge(&x, &x), 0);
		cr_assert(lww_store_equal(&x, &a), "self-merge, iteration %d", it);
	}
}

Test(lww_merge, store_equal_ignores_order_but_not_registers)
{
	struct lww_register r1 = { .value = 1, .ts = 5, .writer = 0 };
	struct lww_register r2 = { .value = 2, .ts = 6, .writer = 1 };
	static struct lww_store a, b;

	lww_store_init(&a);
	lww_store_init(&b);
	lww_store_merge_one(&a, "x", 1, &r1);
	lww_store_merge_one(&a, "y", 1, &r2);
	lww_store_merge_one(&b, "y", 1, &r2);
	cr_assert_not(lww_store_equal(&a, &b));
	lww_store_merge_one(&b, "x", 1, &r1);
	cr_assert(lww_store_equal(&a, &b));
	r1.value = 9;
	lww_store_init(&b);
	lww_store_merge_one(&b, "x", 1, &r1);
	lww_store_merge_one(&b, "y", 1, &r2);
	cr_assert_not(lww_store_equal(&a, &b), "same stamp, other value");
}

Test(lww_merge, a_full_store_refuses_a_new_key_but_merges_the_rest)
{
	struct lww_register r = { .value = 7, .ts = 3, .writer = 0 };
	struct lww_register newer = { .value = 8, .ts = 4, .writer = 0 };
	static struct lww_store full, src;
	char key[8];

	lww_store_init(&full);
	for (int k = 0; k < LWW_KEYS_MAX; k++) {
		snprintf(key, sizeof(key), "k%d", k);
		cr_assert_eq(lww_store_merge_one(&full, key, strlen(key), &r), 1);
	}
	cr_assert_eq(lww_store_merge_one(&full, "extra", 5, &r), -E2BIG);
	lww_store_init(&src);
	lww_store_merge_one(&src, "extra", 5, &r);
	lww_store_merge_one(&src, "k3", 2, &newer);
	cr_assert_eq(lww_store_merge(&full, &src), -E2BIG);
	cr_assert_eq(full.count, LWW_KEYS_MAX);
	cr_assert_eq(lww_store_find(&full, "k3", 2)->value, 8, "the other key still merged");
	cr_assert_null(lww_store_find(&full, "extra", 5));
}

/*
 * The canary: a merge that keeps the arriving register whenever the ts ties (ignoring the
 * writer) depends on delivery order. The same law check must find that out, which shows
 * the check above is able to fail.
 */
static struct lww_register arrival_join(struct lww_register a, const struct lww_register *b)
{
	return b->ts >= a.ts ? *b : a;
}

Test(lww_merge, canary_merge_that_breaks_ties_by_arrival_is_not_commutative)
{
	struct prng prng;
	int broken = 0;

	prng_init(&prng, 0x1ee7);
	for (int it = 0; it < ITERATIONS; it++) {
		struct lww_register a = random_register(&prng, false);
		struct lww_register b = random_register(&prng, false);
		struct lww_register ab = arrival_join(a, &b), ba = arrival_join(b, &a);

		broken += !same(&ab, &ba);
	}
	cr_assert_gt(broken, 0, "the law check must catch an order-dependent merge");
}
