/* SPDX-License-Identifier: MIT */
/* test_view.c - view changes driven by ticks: a silent primary is replaced and requests
 * still commit, with agreement across the change. */
#include <criterion/criterion.h>

#include "pbft_sim.h"

TestSuite(pbft_view);

static void silent_primaries(uint32_t f, uint32_t silent, uint64_t seed)
{
	struct sim_opts o;
	struct sim *s;
	const struct sim_report *rep;
	struct pbft_status st;
	bool done;

	sim_defaults(&o, f, seed);
	for (uint32_t i = 0; i < silent; i++)
		o.byzantine[i] = PBFT_BYZ_SILENT;       /* the primaries of views 0.. */
	s = sim_new(&o);
	done = sim_run(s, 20000);
	rep = sim_report(s);
	cr_assert(done, "seed=%llu: %u requests completed", (unsigned long long)seed,
		  rep->completed);
	cr_assert_eq(rep->agreement + rep->order + rep->checkpoint + rep->integrity, 0, "%s",
		     rep->first);
	pbft_replica_status(sim_replica(s, silent), &st);
	cr_assert_geq(st.view, silent, "view %llu", (unsigned long long)st.view);
	sim_free(s);
}

Test(pbft_view, a_silent_primary_is_replaced_and_requests_commit)
{
	for (uint64_t seed = 1; seed <= 4; seed++)
		silent_primaries(1, 1, seed);
}

Test(pbft_view, two_silent_primaries_of_seven_are_replaced)
{
	silent_primaries(2, 2, 5);
	silent_primaries(2, 2, 6);
}

Test(pbft_view, a_view_change_under_loss_keeps_agreement)
{
	struct sim_opts o;
	struct sim *s;
	const struct sim_report *rep;

	sim_defaults(&o, 1, 99);
	o.byzantine[0] = PBFT_BYZ_SILENT;
	o.drop_p = 0.03;
	s = sim_new(&o);
	cr_assert(sim_run(s, 20000));
	rep = sim_report(s);
	cr_assert_eq(rep->agreement + rep->order + rep->checkpoint + rep->integrity, 0, "%s",
		     rep->first);
	sim_free(s);
}
