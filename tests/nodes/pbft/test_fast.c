/* SPDX-License-Identifier: MIT */
/* test_fast.c - the fast path (PBFT 5.1.2, 5.1.3): tentative execution and READ-ONLY reads,
 * with clients that wait for 2f+1 matching replies. Accepted results must be those of the
 * committed order, also when a view change undoes a tentative execution; the seeded bug
 * view-change-drops-prepared must then lose an accepted request. */
#include <criterion/criterion.h>

#include "pbft_sim.h"

TestSuite(pbft_fast);

static uint32_t violations(const struct sim_report *rep)
{
	return rep->agreement + rep->order + rep->checkpoint + rep->integrity + rep->results;
}

static uint64_t sum_status(struct sim *s, uint32_t n, bool rollbacks)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct pbft_status st;

		pbft_replica_status(sim_replica(s, i), &st);
		sum += rollbacks ? st.rollback_count : st.read_only_count;
	}
	return sum;
}

static void fast_run(uint32_t f, uint64_t seed, double drop_p, uint32_t byzantine)
{
	struct sim_opts o;
	struct sim *s;
	const struct sim_report *rep;
	uint32_t compared;

	sim_defaults(&o, f, seed);
	o.tentative = true;
	o.read_only = true;
	o.drop_p = drop_p;
	o.byzantine[3 * f] = byzantine;
	s = sim_new(&o);
	cr_assert(sim_run(s, 20000), "seed=%llu: %u requests completed",
		  (unsigned long long)seed, sim_report(s)->completed);
	sim_settle(s, 200);
	compared = sim_check_results(s);
	rep = sim_report(s);
	cr_assert_eq(violations(rep), 0, "seed=%llu: %s", (unsigned long long)seed, rep->first);
	cr_assert_gt(compared, o.clients * o.requests / 2, "%u compared", compared);
	cr_assert_gt(sum_status(s, 3 * f + 1, false), 0, "no READ-ONLY request was answered");
	sim_free(s);
}

Test(pbft_fast, tentative_and_read_only_give_the_committed_results)
{
	for (uint64_t seed = 1; seed <= 4; seed++)
		fast_run(1, seed, 0.0, 0);
	fast_run(2, 5, 0.0, 0);
}

Test(pbft_fast, the_fast_path_under_loss_and_duplication)
{
	for (uint64_t seed = 11; seed <= 13; seed++)
		fast_run(1, seed, 0.03, 0);
	fast_run(2, 14, 0.02, 0);
}

Test(pbft_fast, the_fast_path_with_a_byzantine_replica)
{
	fast_run(1, 21, 0.0, PBFT_BYZ_WRONG_RESULTS);
	fast_run(1, 22, 0.01, PBFT_BYZ_EQUIVOCATE);
	fast_run(1, 23, 0.0, PBFT_BYZ_CONFLICTING_VOTES);
	fast_run(2, 24, 0.0, PBFT_BYZ_SILENT);
}

/* Commits are lost while this is set: batches prepare and execute tentatively, clients
 * accept their results, and only a view change gets the log going again. */
static bool commits_lost;

static bool lose_commits(uint32_t from, uint32_t to, const struct pbft_msg *m)
{
	(void)from;
	(void)to;
	return commits_lost && m->type == PBFT_MSG_COMMIT;
}

/* Return: the run's report after a stretch without commits and a view change. */
static const struct sim_report *undo_run(struct sim **out, uint64_t seed, uint32_t bugs)
{
	struct sim_opts o;
	struct sim *s;

	sim_defaults(&o, 1, seed);
	o.tentative = true;
	o.bugs = bugs;
	o.filter = lose_commits;
	s = sim_new(&o);
	commits_lost = false;
	sim_run(s, 2);
	commits_lost = true;
	sim_run(s, 45);         /* past the view timeout (30): prepared, not committed */
	commits_lost = false;
	sim_run(s, 20000);
	sim_settle(s, 200);
	(void)sim_check_results(s);
	*out = s;
	return sim_report(s);
}

Test(pbft_fast, a_view_change_undoes_tentative_executions_and_keeps_accepted_results)
{
	uint64_t rollbacks = 0;

	for (uint64_t seed = 31; seed <= 34; seed++) {
		struct sim *s;
		const struct sim_report *rep = undo_run(&s, seed, 0);

		cr_assert_eq(rep->completed, 4 * 20, "seed=%llu: %u completed",
			     (unsigned long long)seed, rep->completed);
		cr_assert_eq(violations(rep), 0, "seed=%llu: %s", (unsigned long long)seed,
			     rep->first);
		rollbacks += sum_status(s, 4, true);
		sim_free(s);
	}
	cr_assert_gt(rollbacks, 0, "no tentative execution was undone: the test tests nothing");
}

Test(pbft_fast, view_change_drops_prepared_loses_an_accepted_tentative_result)
{
	uint32_t caught = 0;

	for (uint64_t seed = 31; seed <= 34; seed++) {
		struct sim *s;
		const struct sim_report *rep = undo_run(&s, seed, PBFT_BUG_VC_DROPS_PREPARED);

		caught += rep->results > 0;
		sim_free(s);
	}
	cr_assert_eq(caught, 4, "the bug was caught in %u of 4 runs", caught);
}

/* Seal @m from principal @from and step replica 3 with it (outputs go to the sim's net). */
static void to_replica_3(struct sim *s, uint32_t from, const struct pbft_msg *m)
{
	static uint8_t buf[PBFT_SEALED_BYTES_MAX];
	ssize_t n = sim_seal(s, from, 3, m, buf, sizeof(buf));

	cr_assert_gt(n, 0);
	sim_inject(s, 3, buf, (size_t)n);
}

static void read_only(struct sim *s, uint32_t client, uint64_t ts, uint32_t key)
{
	struct pbft_msg m = { .type = PBFT_MSG_READ_ONLY, .sender = 4 + client };

	m.request = (struct pbft_request){ .client = client, .timestamp = ts,
					   .op = { .verb = PBFT_VERB_READ, .key = key } };
	to_replica_3(s, 4 + client, &m);
}

static uint64_t answered(struct sim *s)
{
	struct pbft_status st;

	pbft_replica_status(sim_replica(s, 3), &st);
	return st.read_only_count;
}

/* A write to key 5 is prepared (and executed tentatively) at replica 3 but not committed: a
 * READ-ONLY read of key 6 is answered at once, one of key 5 waits until the write commits
 * (it must not miss a write whose client may already have 2f+1 replies). */
Test(pbft_fast, a_read_waits_only_for_prepared_writes_to_its_key)
{
	struct sim_opts o;
	struct sim *s;
	struct pbft_msg pp = { .type = PBFT_MSG_PRE_PREPARE, .sender = 0, .view = 0, .seq = 1 };
	struct pbft_msg vote;

	sim_defaults(&o, 1, 41);
	o.tentative = true;
	o.clients = 0;
	s = sim_new(&o);
	pp.batch.count = 1;
	pp.batch.requests[0] = (struct pbft_request){
		.client = 0, .timestamp = 1,
		.op = { .verb = PBFT_VERB_WRITE, .key = 5, .a = { true, 7 } } };
	pbft_batch_digest(&pp.batch, pp.digest);
	to_replica_3(s, 0, &pp);
	vote = pp;
	vote.batch.count = 0;
	vote.type = PBFT_MSG_PREPARE;
	for (vote.sender = 1; vote.sender <= 2; vote.sender++)
		to_replica_3(s, vote.sender, &vote);

	read_only(s, 1, 1, 6);
	cr_assert_eq(answered(s), 1, "a read of a key no prepared write changes waits");
	read_only(s, 2, 1, 5);
	cr_assert_eq(answered(s), 1, "a read of key 5 did not wait for the write to commit");
	cr_assert(pbft_replica_read_waiting(sim_replica(s, 3)));

	vote.type = PBFT_MSG_COMMIT;
	for (vote.sender = 0; vote.sender <= 1; vote.sender++)
		to_replica_3(s, vote.sender, &vote);
	cr_assert_eq(answered(s), 2, "the read of key 5 was not answered once committed");
	cr_assert_not(pbft_replica_read_waiting(sim_replica(s, 3)));
	sim_free(s);
}
