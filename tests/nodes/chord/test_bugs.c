/* SPDX-License-Identifier: MIT */
/* test_bugs.c - each seeded bug of the Chord core shows on the simulated network, where the
 * correct build under the same schedule does not (the canary: these tests can fail). */
#include <criterion/criterion.h>

#include "chord_sim.h"

/* Lookups of @count keys spread over the circle from every member in turn; how many did
 * not end with successor(key). */
static uint32_t wrong_lookups(struct csim *s, uint32_t count, uint32_t bits, uint32_t *no_progress)
{
	uint32_t wrong = 0;
	uint64_t size = 1ull << bits;

	*no_progress = 0;
	for (uint32_t k = 0; k < count; k++) {
		uint64_t key = (size / count) * k + 1;
		const struct chord_lookup_result *r;

		csim_lookup(s, k % csim_count(s), key, 1000 + k);
		csim_run(s, 150);
		r = csim_result(s, 1000 + k);
		cr_assert_not_null(r);
		if (r->status != CHORD_LOOKUP_OK || r->owner.id != csim_id(s, csim_owner(s, key)))
			wrong++;
		*no_progress += r->status == CHORD_LOOKUP_NO_PROGRESS;
	}
	return wrong;
}

static uint32_t wrong_with(uint32_t bugs, uint32_t *no_progress)
{
	struct csim_opts o;
	struct csim *s;
	uint32_t wrong;

	csim_defaults(&o, 11);
	o.bugs = bugs;
	s = csim_grown(&o, 32, 5);
	csim_run(s, 3000);
	wrong = wrong_lookups(s, 64, o.bits, no_progress);
	csim_free(s);
	return wrong;
}

Test(chord_bugs, no_wraparound_misroutes_keys_across_zero)
{
	uint32_t no_progress, correct = wrong_with(0, &no_progress);
	uint32_t buggy = wrong_with(CHORD_BUG_NO_WRAPAROUND, &no_progress);

	cr_log_info("no-wraparound: %u of 64 lookups wrong (correct build %u)", buggy, correct);
	cr_expect_eq(correct, 0);
	cr_expect_gt(buggy, 0, "no-wraparound: %u of 64 lookups wrong", buggy);
}

Test(chord_bugs, closest_preceding_self_makes_hops_that_go_nowhere)
{
	uint32_t correct_np, buggy_np;
	uint32_t correct = wrong_with(0, &correct_np);
	uint32_t buggy = wrong_with(CHORD_BUG_CLOSEST_PRECEDING_SELF, &buggy_np);

	cr_log_info("closest-preceding-self: %u no-progress, %u wrong of 64", buggy_np, buggy);
	cr_expect_eq(correct + correct_np, 0);
	cr_expect_gt(buggy_np, 0, "closest-preceding-self: %u no-progress, %u wrong", buggy_np,
		     buggy);
}

/* Two members next to each other crash at once. */
static bool survives_adjacent_crashes(uint32_t bugs)
{
	struct csim_opts o;
	struct csim *s;
	struct chord_ring_report r;
	char why[128];
	uint32_t a = 0, b = 0;
	uint64_t gap = UINT64_MAX;
	bool ok;

	csim_defaults(&o, 12);
	o.bugs = bugs;
	s = csim_grown(&o, 16, 5);
	csim_run(s, 3000);
	/* The pair with the closest ids is adjacent on the ring. */
	for (uint32_t i = 0; i < 16; i++) {
		for (uint32_t j = 0; j < 16; j++) {
			uint64_t d = csim_id(s, j) - csim_id(s, i);

			if (csim_id(s, j) > csim_id(s, i) && d < gap) {
				gap = d;
				a = i;
				b = j;
			}
		}
	}
	csim_crash(s, a);
	csim_crash(s, b);
	csim_run(s, 3000);
	csim_ring(s, &r);
	ok = csim_ideal(s, why, sizeof(why));
	for (int k = 0; k < CHORD_RING_RULE_COUNT; k++)
		ok = ok && !r.broken[k];
	csim_free(s);
	return ok;
}

Test(chord_bugs, succ_list_1_loses_the_ring_to_two_adjacent_crashes)
{
	cr_expect(survives_adjacent_crashes(0), "r = 3 survives two adjacent crashes");
	cr_expect_not(survives_adjacent_crashes(CHORD_BUG_SUCC_LIST_1));
}

/* Zave's finding, on CHORD.md's small ring: the 2001 maintenance (a successor adopted without
 * asking it anything, notify for rectify, no later repair) loses members for good after
 * joins then crashes that keep the failure assumption; the corrected one never does. */
Test(chord_bugs, original_stabilize_loses_members_after_joins_then_crashes)
{
	uint32_t broken = 0, correct_broken = 0;
	char why[128];

	for (uint64_t seed = 1; seed <= 100; seed++) {
		broken += !csim_joins_then_crashes(seed, CHORD_BUG_ORIGINAL_STABILIZE, why,
						   sizeof(why));
		correct_broken += !csim_joins_then_crashes(seed, 0, why, sizeof(why));
	}
	cr_log_info("original-stabilize: %u of 100 runs end broken (correct build %u)", broken,
		    correct_broken);
	cr_expect_eq(correct_broken, 0);
	cr_expect_geq(broken, 5, "original-stabilize: only %u of 100 runs broken", broken);
}
