/* SPDX-License-Identifier: MIT */
/* test_campaigns.c - real campaigns: correct nodes are valid, every --bug is caught by name. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "campaign_run.h"

static void require_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root for namespaces and eBPF");
}

TestSuite(campaign, .init = require_root, .timeout = 600);

/*
 * Schedules that end inside a fault (time = 4 x interval: heal, fault, heal, fault), so the
 * last partition heals only in the final phase, after the clients stopped: what a buggy merge
 * destroys at that heal cannot be repaired by later ops. Bug campaigns cut cleanly: in a
 * bridge or a ring of majorities some node relays state between the sides within a gossip
 * round or two, which leaves a buggy merge almost nothing to destroy.
 */
static const char *const correct_seeds[] = { "11", "12" };
static const char *const bug_seeds[] = { "21", "22", "23" };

Test(campaign, correct_nodes_are_valid_for_every_model)
{
	static const char *const models[] = { "gcounter", "gset", "orset" };

	for (size_t m = 0; m < 3; m++) {
		for (size_t s = 0; s < 2; s++) {
			struct campaign_outcome out;

			campaign_outcome_run(&out, models[m], correct_seeds[s], NULL, "6", "1.5");
			cr_expect_eq(out.exit_code, 0, "model %s seed %s: exit %d, verdict %s (%s)",
				     models[m], correct_seeds[s], out.exit_code, out.verdict,
				     out.log_path);
			cr_expect_str_eq(out.verdict, "valid", "model %s seed %s: %s", models[m],
					 correct_seeds[s], out.log_path);
			cr_expect_eq(out.final_reads, 5, "one final read per node");
			campaign_outcome_fini(&out, out.exit_code == 0 && out.final_reads == 5);
		}
	}
}

static void expect_bug_caught(const char *model, const char *bug, const char *kind)
{
	for (size_t s = 0; s < 3; s++) {
		struct campaign_outcome out;

		campaign_outcome_run_cut(&out, model, bug_seeds[s], bug, "6", "1.5");
		cr_expect_eq(out.exit_code, 1, "%s seed %s: exit %d, verdict %s (%s)", bug,
			     bug_seeds[s], out.exit_code, out.verdict, out.log_path);
		cr_expect_str_eq(out.verdict, "invalid", "%s seed %s (%s)", bug, bug_seeds[s],
				 out.log_path);
		cr_expect(campaign_outcome_has_kind(&out, kind),
			  "%s seed %s: no %s anomaly among: %s (%s)", bug, bug_seeds[s], kind,
			  out.kinds, out.log_path);
		campaign_outcome_fini(&out, out.exit_code == 1 &&
					   campaign_outcome_has_kind(&out, kind));
	}
}

Test(campaign, gcounter_sum_merge_is_flagged_as_phantom_increment)
{
	expect_bug_caught("gcounter", "gcounter-sum-merge", "phantom-increment");
}

Test(campaign, orset_remove_wins_is_flagged_as_lost_add)
{
	expect_bug_caught("orset", "orset-remove-wins", "lost-add");
}

Test(campaign, no_retransmit_is_flagged_as_divergence)
{
	expect_bug_caught("gset", "no-retransmit", "divergence");
}
