/* SPDX-License-Identifier: MIT */
/* test_normal.c - the normal case over n = 4 and n = 7: every request commits and executes
 * once, replicas agree per seq, checkpoints become stable and the log is collected. */
#include <criterion/criterion.h>

#include "pbft_sim.h"

TestSuite(pbft_normal);

static void run_clean(uint32_t f, uint64_t seed, double drop_p, double dup_p)
{
	struct sim_opts o;
	struct sim *s;
	const struct sim_report *rep;
	bool done;

	sim_defaults(&o, f, seed);
	o.drop_p = drop_p;
	o.dup_p = dup_p;
	s = sim_new(&o);
	done = sim_run(s, 4000);
	rep = sim_report(s);
	cr_assert(done, "seed=%llu f=%u: %u of %u requests completed",
		  (unsigned long long)seed, f, rep->completed, o.clients * o.requests);
	cr_assert_eq(rep->agreement + rep->order + rep->checkpoint + rep->integrity, 0,
		     "seed=%llu: %s", (unsigned long long)seed, rep->first);
	for (uint32_t i = 0; i < 3 * f + 1; i++) {
		struct pbft_status st;

		pbft_replica_status(sim_replica(s, i), &st);
		cr_assert_eq(st.forged_count + st.malformed_count, 0);
		cr_assert_eq(st.overflow_count, 0);
		cr_assert_leq(st.log_slots_used, o.window);
		if (drop_p == 0) {
			cr_assert_gt(st.stable_seq, 0, "replica %u: no stable checkpoint", i);
			cr_assert_eq(st.view, 0, "no view change without faults");
		}
	}
	sim_free(s);
}

Test(pbft_normal, four_replicas_execute_every_request_once_in_one_order)
{
	for (uint64_t seed = 1; seed <= 5; seed++)
		run_clean(1, seed, 0, 0);
}

Test(pbft_normal, seven_replicas_execute_every_request_once_in_one_order)
{
	for (uint64_t seed = 1; seed <= 3; seed++)
		run_clean(2, seed, 0, 0);
}

Test(pbft_normal, duplicated_messages_change_nothing)
{
	for (uint64_t seed = 11; seed <= 14; seed++)
		run_clean(1, seed, 0, 0.3);
}

Test(pbft_normal, lost_messages_are_retransmitted)
{
	for (uint64_t seed = 21; seed <= 24; seed++)
		run_clean(1, seed, 0.05, 0.05);
	run_clean(2, 25, 0.05, 0.05);
}

Test(pbft_normal, batches_carry_several_requests)
{
	struct sim_opts o;
	struct sim *s;
	struct pbft_status st;

	sim_defaults(&o, 1, 7);
	o.clients = 12;
	o.requests = 10;
	s = sim_new(&o);
	cr_assert(sim_run(s, 4000));
	pbft_replica_status(sim_replica(s, 1), &st);
	cr_assert_lt(st.executed_seq, 12 * 10, "120 requests in fewer seqs: %llu",
		     (unsigned long long)st.executed_seq);
	cr_assert_eq(sim_report(s)->agreement + sim_report(s)->order, 0);
	sim_free(s);
}
