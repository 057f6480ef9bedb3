/* SPDX-License-Identifier: MIT */
/* test_byzantine.c - with f Byzantine replicas in each mode, correct replicas agree, execute
 * each request once and finish; with f+1 equivocators, the checks catch the split. */
#include <criterion/criterion.h>

#include "pbft_sim.h"

TestSuite(pbft_byzantine);

/* Byzantine replicas are 0.. (the first primaries) and, for n = 7, also replica 3. */
static void run_mode(uint32_t f, uint32_t mode, uint64_t seed)
{
	struct sim_opts o;
	struct sim *s;
	const struct sim_report *rep;
	bool done;

	sim_defaults(&o, f, seed);
	o.byzantine[0] = mode;
	if (f == 2)
		o.byzantine[3] = mode;
	s = sim_new(&o);
	done = sim_run(s, 30000);
	rep = sim_report(s);
	cr_assert_eq(rep->agreement + rep->order + rep->checkpoint + rep->integrity, 0,
		     "mode %#x f=%u seed=%llu: %s", mode, f, (unsigned long long)seed, rep->first);
	cr_assert(done, "mode %#x f=%u seed=%llu: %u requests completed", mode, f,
		  (unsigned long long)seed, rep->completed);
	sim_free(s);
}

Test(pbft_byzantine, silent_replicas_cannot_break_agreement)
{
	run_mode(1, PBFT_BYZ_SILENT, 1);
	run_mode(2, PBFT_BYZ_SILENT, 2);
}

Test(pbft_byzantine, an_equivocating_primary_cannot_break_agreement)
{
	for (uint64_t seed = 1; seed <= 3; seed++)
		run_mode(1, PBFT_BYZ_EQUIVOCATE, seed);
	run_mode(2, PBFT_BYZ_EQUIVOCATE, 4);
}

Test(pbft_byzantine, corrupted_digests_cannot_break_agreement)
{
	for (uint64_t seed = 1; seed <= 3; seed++)
		run_mode(1, PBFT_BYZ_CORRUPT_DIGEST, seed);
	run_mode(2, PBFT_BYZ_CORRUPT_DIGEST, 4);
}

Test(pbft_byzantine, conflicting_votes_cannot_break_agreement)
{
	for (uint64_t seed = 1; seed <= 3; seed++)
		run_mode(1, PBFT_BYZ_CONFLICTING_VOTES, seed);
	run_mode(2, PBFT_BYZ_CONFLICTING_VOTES, 4);
}

/* Must fail: f+1 = 2 of 4 Byzantine. The primary sends batch X to replica 2 and the null
 * batch to replica 3, each with a commit; replica 1 echoes a prepare and a commit for
 * whatever each peer holds. Both correct replicas commit seq 1, with different digests. */
Test(pbft_byzantine, f_plus_one_equivocators_break_agreement_and_are_caught)
{
	struct sim_opts o;
	struct sim *s;
	const struct sim_report *rep;

	sim_defaults(&o, 1, 3);
	o.byzantine[0] = PBFT_BYZ_EQUIVOCATE;
	o.byzantine[1] = PBFT_BYZ_CONFLICTING_VOTES;
	s = sim_new(&o);
	(void)sim_run(s, 2000);
	rep = sim_report(s);
	cr_assert_gt(rep->agreement, 0, "the split must be caught as an agreement violation");
	sim_free(s);
}
