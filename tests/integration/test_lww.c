/* SPDX-License-Identifier: MIT */
/* test_lww.c - LWW register campaigns under clock faults: HLC valid, wall clock caught. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "campaign_run.h"

static void require_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root for namespaces and eBPF");
}

TestSuite(lww, .init = require_root, .timeout = 600);

/* Two registers, five nodes: ten final reads. A clock fault decision every second. */
enum { FINAL_READS = 10 };

static const char *const seeds[] = { "31", "32", "33" };

Test(lww, hlc_register_is_valid_under_clock_faults)
{
	for (size_t s = 0; s < 3; s++) {
		struct campaign_outcome out;

		campaign_outcome_run_lww(&out, seeds[s], NULL, "8", "clock:1");
		cr_expect_eq(out.exit_code, 0, "seed %s: exit %d, verdict %s, kinds %s (%s)",
			     seeds[s], out.exit_code, out.verdict, out.kinds, out.log_path);
		cr_expect_str_eq(out.verdict, "valid", "seed %s (%s)", seeds[s], out.log_path);
		cr_expect_eq(out.final_reads, FINAL_READS, "seed %s: %d final reads", seeds[s],
			     out.final_reads);
		campaign_outcome_fini(&out, out.exit_code == 0 && out.final_reads == FINAL_READS);
	}
}

Test(lww, wallclock_lww_is_flagged_as_a_causality_violation)
{
	for (size_t s = 0; s < 3; s++) {
		struct campaign_outcome out;

		campaign_outcome_run_lww(&out, seeds[s], "wallclock-lww", "8", "clock:1");
		cr_expect_eq(out.exit_code, 1, "seed %s: exit %d, verdict %s (%s)", seeds[s],
			     out.exit_code, out.verdict, out.log_path);
		cr_expect(campaign_outcome_has_kind(&out, "causality-violation"),
			  "seed %s: no causality-violation among: %s (%s)", seeds[s], out.kinds,
			  out.log_path);
		campaign_outcome_fini(&out, out.exit_code == 1 &&
					   campaign_outcome_has_kind(&out, "causality-violation"));
	}
}

/* Without clock faults the wall-clock variant has nothing to trip on: the bug needs skew. */
Test(lww, wallclock_lww_without_skew_is_valid)
{
	struct campaign_outcome out;

	campaign_outcome_run_lww(&out, "34", "wallclock-lww", "4", "none");
	cr_expect_eq(out.exit_code, 0, "exit %d, verdict %s, kinds %s (%s)", out.exit_code,
		     out.verdict, out.kinds, out.log_path);
	campaign_outcome_fini(&out, out.exit_code == 0);
}

/* The HLC register keeps its promise with every other fault mixed in. */
Test(lww, hlc_register_is_valid_under_clock_partition_kill_and_pause)
{
	struct campaign_outcome out;

	campaign_outcome_run_lww(&out, "35", NULL, "8", "clock:1,partition:1.5,kill:2:0.5,"
				 "pause:2.5:0.5");
	cr_expect_eq(out.exit_code, 0, "exit %d, verdict %s, kinds %s (%s)", out.exit_code,
		     out.verdict, out.kinds, out.log_path);
	cr_expect_eq(out.final_reads, FINAL_READS);
	campaign_outcome_fini(&out, out.exit_code == 0 && out.final_reads == FINAL_READS);
}

/* The history shows each node's offset: results.json has a skew summary for every node. */
Test(lww, results_summarise_the_observed_skew_per_node)
{
	struct campaign_outcome out;
	char path[300];
	json_t *root, *skew;

	campaign_outcome_run_lww(&out, "36", NULL, "5", "clock:1");
	snprintf(path, sizeof(path), "%s/latest/results.json", out.store);
	root = json_load_file(path, 0, NULL);
	cr_assert(root, "no %s", path);
	skew = json_object_get(root, "skew");
	cr_expect(skew, "no skew in results.json");
	cr_expect_str_eq(out.verdict, "valid", "(%s)", out.log_path);
	json_decref(root);
	campaign_outcome_fini(&out, skew && out.exit_code == 0);
}
