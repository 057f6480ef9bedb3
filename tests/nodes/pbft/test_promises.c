/* SPDX-License-Identifier: MIT */
/* test_promises.c - a replica restarted from its promises keeps them: what it prepared
 * survives into the next view change, where a replica restarted empty forgets it. */
#include <criterion/criterion.h>
#include <string.h>

#include "errbuf.h"
#include "pbft_sim.h"

TestSuite(pbft_promises);

static void status(struct sim *s, uint32_t i, struct pbft_status *st)
{
	pbft_replica_status(sim_replica(s, i), st);
}

static uint32_t violations(const struct sim_report *rep)
{
	return rep->agreement + rep->order + rep->checkpoint + rep->integrity;
}

/*
 * View 0: every replica prepares, only replica 2 receives commits, so only it commits and
 * executes. Then it goes down, and the three others restart one after another, before any
 * view change. The view change that follows has only them: restarted empty they know of no
 * prepared request and re-assign what replica 2 executed; restarted from their promises
 * they re-propose it.
 */
static const struct sim_report *restart_three(uint64_t seed, bool from_promises,
					      struct sim **out)
{
	struct sim_opts o;
	struct pbft_status st;
	struct sim *s;
	uint32_t ticks = 0;

	sim_defaults(&o, 1, seed);
	o.filter = sim_view_0_commits_only_to_2;
	o.run_all_ticks = true;
	s = sim_new(&o);
	do {
		sim_settle(s, 1);
		status(s, 2, &st);
	} while (st.executed_seq < 2 && ++ticks < 25);
	cr_assert_geq(st.executed_seq, 2, "seed %llu: replica 2 executed nothing",
		      (unsigned long long)seed);
	status(s, 0, &st);
	cr_assert(st.view == 0 && !st.view_changing, "no view change yet");
	sim_set_down(s, 2, true);
	for (uint32_t i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		if (from_promises)
			sim_restart(s, i);
		else
			sim_replace(s, i);
		sim_settle(s, 2);
	}
	sim_settle(s, 600);
	sim_set_down(s, 2, false);
	(void)sim_run(s, 6000);
	sim_settle(s, 300);
	*out = s;
	return sim_report(s);
}

Test(pbft_promises, restarted_from_promises_the_new_view_keeps_what_one_replica_executed)
{
	for (uint64_t seed = 1; seed <= 6; seed++) {
		struct sim *s;
		const struct sim_report *rep = restart_three(seed, true, &s);
		struct pbft_status st;

		cr_assert_eq(violations(rep), 0, "seed %llu: %s", (unsigned long long)seed,
			     rep->first);
		cr_assert_eq(rep->completed, 4 * 20, "seed %llu: %u of 80 requests completed",
			     (unsigned long long)seed, rep->completed);
		status(s, 1, &st);
		cr_assert_gt(st.view, 0, "a view change happened");
		cr_assert_eq(sim_check_results(s), 80);
		cr_assert_eq(sim_report(s)->results, 0, "%s", sim_report(s)->first);
		sim_free(s);
	}
}

Test(pbft_promises, restarted_empty_the_new_view_reassigns_what_one_replica_executed)
{
	uint32_t caught = 0;

	for (uint64_t seed = 1; seed <= 6; seed++) {
		struct sim *s;

		caught += restart_three(seed, false, &s)->agreement > 0;
		sim_free(s);
	}
	cr_assert_eq(caught, 6, "the forgetting replicas broke agreement in %u of 6 seeds",
		     caught);
}

/* Promises are untrusted bytes at a restart: cut or changed ones are refused, not used. */
Test(pbft_promises, damaged_promises_are_refused_with_a_reason)
{
	static uint8_t bytes[PBFT_PROMISES_BYTES_MAX];
	struct sim_opts o;
	struct sim *s;
	struct pbft_config c = { .id = 1, .replicas = 4, .batch_max = 4, .checkpoint_interval = 4,
				 .window = 16, .view_timeout_ticks = 30, .retransmit_ticks = 5 };
	struct pbft_replica *r;
	struct errbuf eb;
	ssize_t size;

	sim_defaults(&o, 1, 3);
	s = sim_new(&o);
	cr_assert(sim_run(s, 4000));
	size = pbft_replica_promises(sim_replica(s, 1), bytes, sizeof(bytes));
	cr_assert_gt(size, 6);
	for (int damage = 0; damage < 3; damage++) {
		uint8_t copy[PBFT_PROMISES_BYTES_MAX];
		size_t used = (size_t)size;

		memcpy(copy, bytes, used);
		if (damage == 0)
			used -= 1;
		else if (damage == 1)
			copy[0] = 9;
		else
			c.id = 2;       /* another replica's */
		cr_assert_eq(pbft_replica_new(&c, &r, NULL), 0);
		errbuf_clear(&eb);
		cr_assert_lt(pbft_replica_restore(r, copy, used, &eb), 0, "damage %d", damage);
		cr_assert_neq(eb.msg[0], '\0');
		pbft_replica_free(r);
	}
	sim_free(s);
}

/* Under load, each replica in turn goes down and restarts from its promises, the primary
 * first: every request completes, in one order, with the results that order gives. */
Test(pbft_promises, restarting_each_replica_in_turn_under_load_loses_nothing)
{
	for (uint64_t seed = 1; seed <= 4; seed++) {
		struct sim_opts o;
		struct sim *s;
		const struct sim_report *rep;
		struct pbft_status st;

		sim_defaults(&o, 1, seed);
		o.requests = 60;
		o.run_all_ticks = true;
		s = sim_new(&o);
		for (uint32_t i = 0; i < 4; i++) {
			sim_settle(s, 40);
			sim_set_down(s, i, true);
			sim_settle(s, 60);
			sim_restart(s, i);
		}
		cr_assert(sim_run(s, 20000), "seed %llu: %u of 240 requests completed",
			  (unsigned long long)seed, sim_report(s)->completed);
		sim_settle(s, 300);
		rep = sim_report(s);
		cr_assert_eq(violations(rep), 0, "seed %llu: %s", (unsigned long long)seed,
			     rep->first);
		cr_assert_eq(sim_check_results(s), 240);
		cr_assert_eq(sim_report(s)->results, 0, "%s", sim_report(s)->first);
		status(s, 0, &st);
		cr_assert_gt(st.view, 0, "seed %llu: the restarted primary left view 0",
			     (unsigned long long)seed);
		sim_free(s);
	}
}
