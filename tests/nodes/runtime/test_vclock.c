/* SPDX-License-Identifier: MIT */
/* test_vclock.c - vector clocks: order, merge, receive, and the varint wire form. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "prng.h"
#include "vclock.h"

TestSuite(vclock);

Test(vclock, compare_names_all_four_orders)
{
	struct vclock a, b;

	vclock_init(&a, 3);
	vclock_init(&b, 3);
	cr_assert_eq(vclock_compare(&a, &b), VCLOCK_EQUAL);
	cr_assert_eq(vclock_tick(&b, 1), 0);
	cr_assert_eq(vclock_compare(&a, &b), VCLOCK_BEFORE);
	cr_assert_eq(vclock_compare(&b, &a), VCLOCK_AFTER);
	cr_assert_eq(vclock_tick(&a, 0), 0);
	cr_assert_eq(vclock_compare(&a, &b), VCLOCK_CONCURRENT);
	cr_assert_eq(vclock_compare(&b, &a), VCLOCK_CONCURRENT);
}

Test(vclock, compare_treats_missing_entries_as_zero)
{
	struct vclock a, b;

	vclock_init(&a, 2);
	vclock_init(&b, 4);
	cr_assert_eq(vclock_compare(&a, &b), VCLOCK_EQUAL);
	b.c[3] = 1;
	cr_assert_eq(vclock_compare(&a, &b), VCLOCK_BEFORE);
}

Test(vclock, merge_is_pointwise_max_and_recv_ticks_self)
{
	struct vclock a, b;

	vclock_init(&a, 3);
	vclock_init(&b, 3);
	a.c[0] = 5, a.c[1] = 1;
	b.c[1] = 4, b.c[2] = 2;
	cr_assert_eq(vclock_merge(&a, &b), 0);
	cr_assert_eq(a.c[0], 5);
	cr_assert_eq(a.c[1], 4);
	cr_assert_eq(a.c[2], 2);
	cr_assert_eq(vclock_recv(&b, 2, &a), 0);
	cr_assert_eq(b.c[0], 5);
	cr_assert_eq(b.c[1], 4);
	cr_assert_eq(b.c[2], 3);
	cr_assert_eq(vclock_compare(&a, &b), VCLOCK_BEFORE);
}

Test(vclock, width_mismatch_and_overflow_leave_the_clock_unchanged)
{
	struct vclock a, b, saved;

	vclock_init(&a, 3);
	vclock_init(&b, 4);
	a.c[1] = 7;
	saved = a;
	cr_assert_eq(vclock_merge(&a, &b), -EINVAL);
	cr_assert_eq(vclock_recv(&a, 0, &b), -EINVAL);
	cr_assert_eq(memcmp(&a, &saved, sizeof(a)), 0);
	vclock_init(&b, 3);
	b.c[0] = UINT64_MAX;
	b.c[2] = 9;
	cr_assert_eq(vclock_recv(&a, 0, &b), -EOVERFLOW);
	cr_assert_eq(memcmp(&a, &saved, sizeof(a)), 0);
	cr_assert_eq(vclock_tick(&b, 0), -EOVERFLOW);
	cr_assert_eq(b.c[0], UINT64_MAX);
}

static void random_clock(struct vclock *v, struct prng *prng)
{
	vclock_init(v, 1 + (uint32_t)prng_below(prng, VCLOCK_NODES_MAX));
	for (uint32_t i = 0; i < v->n; i++) {
		/* Mostly small, sometimes every bit width up to 64. */
		unsigned bits = (unsigned)prng_below(prng, 65);
		uint64_t x = prng_next(prng);

		v->c[i] = bits == 64 ? x : x & ((UINT64_C(1) << bits) - 1);
	}
}

Test(vclock, encode_decode_round_trips_and_rejects_every_truncation)
{
	uint8_t buf[VCLOCK_ENCODED_BYTES_MAX + 8];
	struct prng prng;

	prng_init(&prng, 42);
	for (int it = 0; it < 500; it++) {
		struct vclock v, w, untouched;
		ssize_t size;

		random_clock(&v, &prng);
		size = vclock_encode(&v, buf, sizeof(buf));
		cr_assert_eq(size, (ssize_t)vclock_encoded_size(&v), "iteration %d", it);
		cr_assert_eq(vclock_encode(&v, buf, (size_t)size - 1), -EMSGSIZE);
		buf[size] = 0xff;       /* trailing bytes are the caller's */
		cr_assert_eq(vclock_decode(&w, buf, (size_t)size + 1), size);
		cr_assert_eq(memcmp(&v, &w, sizeof(v)), 0, "iteration %d", it);
		vclock_init(&untouched, 1);
		w = untouched;
		for (ssize_t cut = 0; cut < size; cut++) {
			cr_assert_eq(vclock_decode(&w, buf, (size_t)cut), -EBADMSG,
				     "iteration %d cut %zd", it, cut);
			cr_assert_eq(memcmp(&w, &untouched, sizeof(w)), 0);
		}
	}
}

Test(vclock, small_clocks_are_one_byte_per_entry)
{
	struct vclock v;
	uint8_t buf[16];

	vclock_init(&v, 3);
	v.c[0] = 1, v.c[1] = 127, v.c[2] = 0;
	cr_assert_eq(vclock_encode(&v, buf, sizeof(buf)), 4);
	cr_assert_eq(buf[0], 3);
	cr_assert_eq(buf[2], 127);
}

Test(vclock, decode_rejects_bad_widths_and_malformed_varints)
{
	static const struct {
		uint8_t bytes[12];
		size_t size;
	} bad[] = {
		{ { 0 }, 1 },                                   /* n = 0 */
		{ { 65 }, 1 },                                  /* n > VCLOCK_NODES_MAX */
		{ { 0x80, 0x01 }, 2 },                          /* n = 128, too wide */
		{ { 1, 0x80, 0x00 }, 3 },                       /* non-minimal zero */
		{ { 1, 0x81, 0x00 }, 3 },                       /* non-minimal one */
		{ { 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 }, 11 },
		{ { 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0 }, 12 },
	};
	struct vclock v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(vclock_decode(&v, bad[i].bytes, bad[i].size), -EBADMSG, "case %zu", i);
	cr_assert_eq(vclock_decode(&v, NULL, 0), -EBADMSG);
}

Test(vclock, decode_accepts_the_largest_counter)
{
	static const uint8_t max[] = { 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0x01 };
	struct vclock v;

	cr_assert_eq(vclock_decode(&v, max, sizeof(max)), (ssize_t)sizeof(max));
	cr_assert_eq(v.n, 1);
	cr_assert_eq(v.c[0], UINT64_MAX);
}
