/* SPDX-License-Identifier: MIT */
/* test_id.c - Chord identifiers: arcs against the Ivy model's formula, fingers, the hash. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "chord_id.h"

/* The Ivy model's btw (chord2s.ivy, as ../shared/CHORD.md quotes it), written out as is. */
static bool ivy_btw(uint64_t x, uint64_t y, uint64_t z)
{
	return (x < y && y < z) || (z <= x && x < y) || (y < z && z <= x);
}

Test(chord_id, between_agrees_with_the_ivy_formula_on_every_triple_of_6_bits)
{
	struct chord_space s;
	uint64_t inside = 0;

	cr_assert_eq(chord_space_init(&s, 6), 0);
	for (uint64_t x = 0; x < 64; x++) {
		for (uint64_t y = 0; y < 64; y++) {
			for (uint64_t z = 0; z < 64; z++) {
				bool want = ivy_btw(x, y, z);

				cr_assert_eq(chord_between(&s, x, y, z), want, "btw(%lu, %lu, %lu)",
					     (unsigned long)x, (unsigned long)y, (unsigned long)z);
				cr_assert_eq(chord_in_half_open(&s, x, y, z), want || y == z,
					     "(%lu, %lu] holds %lu", (unsigned long)x,
					     (unsigned long)z, (unsigned long)y);
				inside += want;
			}
		}
	}
	/* Not vacuous: for x != z the arc holds d(x, z) - 1 ids, for x == z all 63 others. */
	cr_expect_eq(inside, 64 * (64 * 63 / 2 - 63) + 64 * 63);
}

Test(chord_id, arcs_wrap_past_the_top_of_the_circle)
{
	struct chord_space s;

	cr_assert_eq(chord_space_init(&s, 6), 0);
	cr_expect(chord_between(&s, 60, 2, 5), "60 -> 5 passes 63 and 0");
	cr_expect(chord_between(&s, 60, 63, 5));
	cr_expect_not(chord_between(&s, 60, 30, 5));
	cr_expect(chord_in_half_open(&s, 60, 5, 5));
	cr_expect_not(chord_in_half_open(&s, 60, 60, 5), "the start is not in (x, z]");
	cr_expect(chord_in_half_open(&s, 9, 9, 9), "a lone node owns every key");
	cr_expect(chord_in_half_open(&s, 9, 10, 9));
	cr_expect_eq(chord_distance(&s, 60, 5), 9);
	cr_expect_eq(chord_distance(&s, 5, 60), 55);
	cr_expect_eq(chord_distance(&s, 7, 7), 0);
}

Test(chord_id, fingers_start_at_n_plus_powers_of_two)
{
	struct chord_space s;

	cr_assert_eq(chord_space_init(&s, 6), 0);
	cr_expect_eq(chord_finger_start(&s, 10, 0), 11);
	cr_expect_eq(chord_finger_start(&s, 10, 5), 42);
	cr_expect_eq(chord_finger_start(&s, 40, 5), 8, "wraps mod 64");
	cr_assert_eq(chord_space_init(&s, 32), 0);
	cr_expect_eq(chord_finger_start(&s, 0xffffffffu, 31), 0x7fffffffu);
}

Test(chord_id, the_space_is_6_to_32_bits)
{
	struct chord_space s;

	cr_expect_eq(chord_space_init(&s, 5), -EINVAL);
	cr_expect_eq(chord_space_init(&s, 33), -EINVAL);
	cr_assert_eq(chord_space_init(&s, 32), 0);
	cr_expect_eq(s.size, (uint64_t)1 << 32);
}

/* Expected values from Python's hashlib.blake2b(data, digest_size=16), first 8 bytes. */
Test(chord_id, the_hash_is_blake2b_truncated)
{
	struct chord_space s32, s6;

	cr_assert_eq(chord_space_init(&s32, 32), 0);
	cr_assert_eq(chord_space_init(&s6, 6), 0);
	cr_expect_eq(chord_hash(&s32, "n1", 2), 4257787986u);
	cr_expect_eq(chord_hash(&s6, "n1", 2), 18);
	cr_expect_eq(chord_hash(&s32, "key-42", 6), 1649479005u);
	cr_expect_eq(chord_hash(&s6, "key-42", 6), 29);
	cr_expect_eq(chord_hash(&s32, "", 0), 3656367424u);
}
