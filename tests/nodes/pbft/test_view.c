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

/* Replica 3 gets no agreement messages and no state while this is set (checkpoints still
 * come). */
static bool starve_replica_3;

static bool starve(uint32_t from, uint32_t to, const struct pbft_msg *m)
{
	(void)from;
	return starve_replica_3 && to == 3 &&
	       (m->type == PBFT_MSG_PRE_PREPARE || m->type == PBFT_MSG_PREPARE ||
		m->type == PBFT_MSG_COMMIT || m->type == PBFT_MSG_STATE);
}

/* A replica that only lags (f+1 others announce checkpoints past it) catches up by state
 * transfer instead of leaving alone for a view the others never join. */
Test(pbft_view, a_lagging_replica_catches_up_instead_of_a_lonely_view_change)
{
	struct sim_opts o;
	struct sim *s;
	const struct sim_report *rep;
	struct pbft_status st;

	sim_defaults(&o, 1, 41);
	o.requests = 60;
	o.filter = starve;
	s = sim_new(&o);
	starve_replica_3 = true;
	sim_settle(s, 150);     /* five view timeouts without executing anything */
	pbft_replica_status(sim_replica(s, 3), &st);
	cr_assert_eq(st.view, 0, "replica 3 left for view %llu", (unsigned long long)st.view);
	cr_assert_not(st.view_changing);
	cr_assert_gt(st.lag_count, 0, "replica 3 never timed out: the test tests nothing");
	starve_replica_3 = false;
	cr_assert(sim_run(s, 20000));
	sim_settle(s, 100);
	rep = sim_report(s);
	cr_assert_eq(rep->agreement + rep->order + rep->checkpoint + rep->integrity, 0, "%s",
		     rep->first);
	pbft_replica_status(sim_replica(s, 3), &st);
	cr_assert_eq(st.view, 0);
	cr_assert_gt(st.state_transfer_count, 0);
	sim_free(s);
}
