/* SPDX-License-Identifier: MIT */
/* test_byzantine.c - with f Byzantine replicas in each mode, correct replicas agree, execute
 * each request once and finish; with f+1 equivocators, the checks catch the split. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>

#include "pbft_sim.h"

TestSuite(pbft_byzantine);

/* What a run showed beyond safety and liveness. */
struct outcome {
	uint32_t wrong_replies;         /* replies clients saw that differ from the accepted */
	uint64_t forged_min;            /* the least forged_count among correct replicas */
	uint64_t refused_min;           /* the least refused_count among correct replicas */
};

/* Byzantine replicas are 0.. (the first primaries) and, for n = 7, also replica 3. */
static struct outcome run_mode(uint32_t f, uint32_t mode, uint64_t seed)
{
	struct sim_opts o;
	struct sim *s;
	const struct sim_report *rep;
	struct outcome out = { .forged_min = UINT64_MAX, .refused_min = UINT64_MAX };
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
	out.wrong_replies = rep->wrong_replies;
	for (uint32_t i = 0; i < 3 * f + 1; i++) {
		struct pbft_status st;

		if (!sim_correct(s, i))
			continue;
		pbft_replica_status(sim_replica(s, i), &st);
		cr_assert_eq(st.bad_state_count + st.malformed_count, 0);
		if (st.forged_count < out.forged_min)
			out.forged_min = st.forged_count;
		if (st.refused_count < out.refused_min)
			out.refused_min = st.refused_count;
	}
	sim_free(s);
	return out;
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

/* Each wrong reply would fool a client that trusted it; f+1 matching ones never include
 * it (the simulator checks that an accepted result came from a correct replica too). */
Test(pbft_byzantine, wrong_results_never_make_f_plus_one_matching_replies)
{
	for (uint64_t seed = 1; seed <= 3; seed++)
		cr_assert_gt(run_mode(1, PBFT_BYZ_WRONG_RESULTS, seed).wrong_replies, 0);
	cr_assert_gt(run_mode(2, PBFT_BYZ_WRONG_RESULTS, 4).wrong_replies, 0);
}

static uint32_t old_from_0;

/* Counts what replica 0 sends about seqs 1..4 (long stable when the run ends); view 0
 * proposes nothing above seq 12, so view 1 takes over and view 0's messages are stale. */
static bool count_old(uint32_t from, uint32_t to, const struct pbft_msg *m)
{
	(void)to;
	if (from == 0 && m->seq >= 1 && m->seq <= 4)
		old_from_0++;
	return m->type == PBFT_MSG_PRE_PREPARE && m->view == 0 && m->seq > 12;
}

static uint32_t old_messages(uint32_t mode, uint64_t seed)
{
	struct sim_opts o;
	struct sim *s;
	const struct sim_report *rep;
	struct pbft_status st;

	sim_defaults(&o, 1, seed);
	o.byzantine[0] = mode;
	o.filter = count_old;
	o.requests = 40;
	o.run_all_ticks = true;
	old_from_0 = 0;
	s = sim_new(&o);
	(void)sim_run(s, 1500);
	rep = sim_report(s);
	cr_assert_eq(rep->completed, o.clients * o.requests);
	pbft_replica_status(sim_replica(s, 1), &st);
	cr_assert_geq(st.view, 1);
	cr_assert_eq(rep->agreement + rep->order + rep->checkpoint + rep->integrity, 0, "%s",
		     rep->first);
	sim_free(s);
	return old_from_0;
}

/* Old pre-prepares, votes, checkpoints and view-changes, validly sealed, change nothing. */
Test(pbft_byzantine, replayed_old_messages_cannot_break_agreement)
{
	for (uint64_t seed = 1; seed <= 3; seed++) {
		uint32_t plain = old_messages(0, seed), replayed;

		(void)run_mode(1, PBFT_BYZ_REPLAY, seed);
		replayed = old_messages(PBFT_BYZ_REPLAY, seed);
		cr_assert_gt(replayed, 2 * plain, "seed %llu: %u old messages, %u without replay",
			     (unsigned long long)seed, replayed, plain);
	}
	(void)run_mode(2, PBFT_BYZ_REPLAY, 4);
	(void)run_mode(1, PBFT_BYZ_REPLAY | PBFT_BYZ_EQUIVOCATE, 5);
}

Test(pbft_byzantine, forged_senders_are_dropped_and_counted)
{
	for (uint64_t seed = 1; seed <= 3; seed++)
		cr_assert_gt(run_mode(1, PBFT_BYZ_FORGE_SENDER, seed).forged_min, 0);
	cr_assert_gt(run_mode(2, PBFT_BYZ_FORGE_SENDER, 4).forged_min, 0);
}

/* View 0: every replica prepares seq 1, but only replica 2 gets commits, so only it executes
 * there; the others time out. Replica 0, the old primary, then says in its view-change that
 * the null batch prepared at seq 1 in view 0. The highest-view rule (ties to the lowest
 * sender) made the new primary re-propose null there: replicas 1 and 3 executed null where
 * replica 2 had executed a request (seed 2 broke agreement so). */
Test(pbft_byzantine, a_fabricated_certificate_in_a_view_change_is_not_chosen)
{
	for (uint64_t seed = 1; seed <= 6; seed++) {
		struct sim_opts o;
		struct sim *s;
		const struct sim_report *rep;
		struct pbft_status st;

		sim_defaults(&o, 1, seed);
		o.byzantine[0] = PBFT_BYZ_FAKE_CERTIFICATES;
		o.filter = sim_view_0_commits_only_to_2;
		o.clients = 2;
		o.requests = 1;
		o.batch_max = 2;
		o.run_all_ticks = true;
		s = sim_new(&o);
		(void)sim_run(s, 3000);
		rep = sim_report(s);
		cr_assert_eq(rep->agreement + rep->order + rep->checkpoint + rep->integrity, 0,
			     "seed %llu: %s", (unsigned long long)seed, rep->first);
		cr_assert_eq(rep->completed, 2, "seed %llu", (unsigned long long)seed);
		pbft_replica_status(sim_replica(s, 1), &st);
		cr_assert_geq(st.view, 1, "no view change: the test tests nothing");
		sim_free(s);
	}
}

/* An equivocating primary forces view changes; its view-changes lie as well. */
Test(pbft_byzantine, fake_certificates_cannot_break_agreement)
{
	for (uint64_t seed = 1; seed <= 3; seed++)
		run_mode(1, PBFT_BYZ_EQUIVOCATE | PBFT_BYZ_FAKE_CERTIFICATES, seed);
	run_mode(2, PBFT_BYZ_EQUIVOCATE | PBFT_BYZ_FAKE_CERTIFICATES, 4);
}

Test(pbft_byzantine, mode_names_round_trip)
{
	static const char *const modes[] = { "silent", "equivocate", "corrupt-digest",
					     "conflicting-votes", "wrong-results", "replay",
					     "forge-sender", "fake-certificates" };
	uint32_t flag, all = 0;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		cr_assert_eq(pbft_byzantine_parse(modes[i], &flag), 0, "%s", modes[i]);
		cr_assert_str_eq(pbft_byzantine_name(flag), modes[i]);
		all |= flag;
	}
	cr_assert_eq(all, (PBFT_BYZ_FAKE_CERTIFICATES << 1) - 1, "eight distinct flags");
	cr_assert_eq(pbft_byzantine_parse("quorum-2f", &flag), -EINVAL);
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
