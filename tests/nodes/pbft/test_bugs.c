/* SPDX-License-Identifier: MIT */
/* test_bugs.c - each seeded bug breaks agreement or total order under a targeted schedule,
 * and the simulator's checks catch it; the same schedule without the bug stays safe. */
#include <criterion/criterion.h>

#include "pbft_sim.h"

TestSuite(pbft_bugs);

static uint32_t violations(const struct sim_report *rep)
{
	return rep->agreement + rep->order + rep->checkpoint + rep->integrity;
}

/* Two clients with one request each, so the first view's seq 1 holds one request and a
 * later proposal of both differs from it. */
static const struct sim_report *run(struct sim_opts *o, struct sim **s)
{
	o->clients = 2;
	o->requests = 1;
	o->batch_max = 2;
	o->run_all_ticks = true;        /* the view change comes after the replies */
	*s = sim_new(o);
	(void)sim_run(*s, 3000);
	return sim_report(*s);
}

/* The Byzantine primary sends the real digest everywhere but the null batch to odd
 * backups: only a backup that skips the digest check executes something else. */
static void corrupt_digest(uint32_t bugs, bool must_fail)
{
	struct sim_opts o;
	struct sim *s;
	const struct sim_report *rep;

	sim_defaults(&o, 1, 8);
	o.byzantine[0] = PBFT_BYZ_CORRUPT_DIGEST;
	o.bugs = bugs;
	rep = run(&o, &s);
	if (must_fail)
		cr_assert_gt(rep->order + rep->checkpoint, 0, "no-digest-check must be caught");
	else
		cr_assert_eq(violations(rep), 0, "%s", rep->first);
	sim_free(s);
}

Test(pbft_bugs, no_digest_check_diverges_and_is_caught)
{
	corrupt_digest(0, false);
	corrupt_digest(PBFT_BUG_NO_DIGEST_CHECK, true);
}

/* View 0: replica 1 gets no pre-prepare, and prepares and commits reach only replica 3
 * (Byzantine, conflicting-votes) or come from it to replica 2. Replica 2 then holds its own
 * votes and 3's (two copies): 2 senders, 3 messages. Replica 2's view-change never reaches
 * replica 1, the next primary, whose new view then re-proposes seq 1 from the others (3 lies
 * by omission). Correct code commits nothing in view 0, so the re-proposal is safe. */
static bool quorum_schedule(uint32_t from, uint32_t to, const struct pbft_msg *m)
{
	if (m->type == PBFT_MSG_VIEW_CHANGE)
		return from == 2 && to == 1;
	if (m->view != 0)
		return false;
	if (m->type == PBFT_MSG_PRE_PREPARE)
		return to == 1;
	if (m->type == PBFT_MSG_PREPARE || m->type == PBFT_MSG_COMMIT)
		return !(to == 3 || (from == 3 && to == 2));
	return false;
}

static void weak_quorum(uint32_t bugs, bool must_fail)
{
	struct sim_opts o;
	struct sim *s;
	const struct sim_report *rep;

	sim_defaults(&o, 1, 4);
	o.byzantine[3] = PBFT_BYZ_CONFLICTING_VOTES;
	o.bugs = bugs;
	o.filter = quorum_schedule;
	rep = run(&o, &s);
	if (must_fail)
		cr_assert_gt(rep->agreement, 0, "bug %#x must break agreement", bugs);
	else
		cr_assert_eq(violations(rep), 0, "%s", rep->first);
	sim_free(s);
}

Test(pbft_bugs, quorum_2f_commits_too_early_and_is_caught)
{
	weak_quorum(0, false);
	weak_quorum(PBFT_BUG_QUORUM_2F, true);
}

Test(pbft_bugs, counting_messages_not_senders_is_caught)
{
	weak_quorum(PBFT_BUG_COUNT_MESSAGES, true);
}

/* View 0: every replica prepares seq 1 and 2, but only replica 2 receives commits; the
 * others time out. The new view must re-propose both certificates. */
static void drops_prepared(uint32_t bugs, bool must_fail)
{
	struct sim_opts o;
	struct sim *s;
	const struct sim_report *rep;

	sim_defaults(&o, 1, 6);
	o.bugs = bugs;
	o.filter = sim_view_0_commits_only_to_2;
	rep = run(&o, &s);
	if (must_fail)
		cr_assert_gt(rep->agreement, 0, "view-change-drops-prepared must be caught");
	else
		cr_assert_eq(violations(rep), 0, "%s", rep->first);
	sim_free(s);
}

Test(pbft_bugs, view_change_dropping_prepared_is_caught)
{
	drops_prepared(0, false);
	drops_prepared(PBFT_BUG_VC_DROPS_PREPARED, true);
}
