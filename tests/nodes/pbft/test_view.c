/* SPDX-License-Identifier: MIT */
/* test_view.c - view changes driven by ticks: a silent primary is replaced and requests
 * still commit, with agreement across the change. */
#include <criterion/criterion.h>
#include <string.h>

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

/* n = 7: the primary of view 0 is silent, and before anything else replica 2 (Byzantine:
 * fake-certificates) sends every replica a view-change for view 1 whose stable checkpoint
 * is seq 8 with a made-up digest. Taking the highest stable checkpoint at face value
 * started view 1 at 8, past anything a correct replica executed or could certify: nothing
 * executed in view 1 and it took another view change (view 2, where replica 2's own
 * view-change claims its real one) to go on. A start needs f+1 replicas holding it. */
Test(pbft_view, a_stable_checkpoint_one_replica_claims_is_not_the_start)
{
	struct sim_opts o;
	struct sim *s;
	const struct sim_report *rep;
	struct pbft_msg lie = { .type = PBFT_MSG_VIEW_CHANGE, .sender = 2, .view = 1, .seq = 8 };
	static uint8_t buf[PBFT_SEALED_BYTES_MAX];
	struct pbft_status st;

	sim_defaults(&o, 2, 12);
	o.byzantine[0] = PBFT_BYZ_SILENT;
	o.byzantine[2] = PBFT_BYZ_FAKE_CERTIFICATES;
	s = sim_new(&o);
	memset(lie.digest, 0xfa, PBFT_DIGEST_BYTES);
	for (uint32_t j = 0; j < 7; j++) {
		ssize_t n = j == 2 ? 0 : sim_seal(s, 2, j, &lie, buf, sizeof(buf));

		if (n > 0)
			sim_inject(s, j, buf, (size_t)n);
	}
	cr_assert(sim_run(s, 20000), "%u requests completed", sim_report(s)->completed);
	rep = sim_report(s);
	cr_assert_eq(rep->agreement + rep->order + rep->checkpoint + rep->integrity, 0, "%s",
		     rep->first);
	for (uint32_t j = 1; j < 7; j++) {
		if (j == 2)
			continue;
		pbft_replica_status(sim_replica(s, j), &st);
		cr_assert_eq(st.view, 1, "replica %u in view %llu", j,
			     (unsigned long long)st.view);
	}
	sim_free(s);
}

/* The view timer runs while a request waits, from when it started waiting. It used to run
 * from the last execution, so the first request after an idle spell longer than the view
 * timeout started a view change at the next tick unless it had executed by then (seen
 * under bench load: between phases, one or all replicas left a working view). Slow
 * delivery here makes each request take a few ticks. */
Test(pbft_view, the_first_request_after_an_idle_spell_is_given_a_whole_timeout)
{
	struct sim_opts o;
	struct sim *s;
	const struct sim_report *rep;
	struct pbft_status st;

	sim_defaults(&o, 1, 23);
	o.clients = 1;
	o.requests = 3;
	o.deliveries_per_tick = 20;
	s = sim_new(&o);
	cr_assert(sim_run(s, 2000), "%u requests completed", sim_report(s)->completed);
	sim_settle(s, 4 * o.view_timeout_ticks);        /* idle: nothing waits */
	sim_more_requests(s, 3);
	cr_assert(sim_run(s, 2000), "%u requests completed", sim_report(s)->completed);
	rep = sim_report(s);
	cr_assert_eq(rep->completed, 6);
	cr_assert_eq(rep->agreement + rep->order + rep->checkpoint + rep->integrity, 0, "%s",
		     rep->first);
	for (uint32_t j = 0; j < 4; j++) {
		pbft_replica_status(sim_replica(s, j), &st);
		cr_assert_eq(st.view, 0, "replica %u left for view %llu", j,
			     (unsigned long long)st.view);
		cr_assert_not(st.view_changing, "replica %u", j);
	}
	sim_free(s);
}
