/* SPDX-License-Identifier: MIT */
/* test_mapreduce.c - MapReduce jobs, one after another, under partitions, kills, pauses and
 * in-task crashes: the correct build is valid (every job's output equal to the sequential
 * oracle, the last job done after the heal), and the seeded bugs measured so far are caught
 * with the anomaly that names them, by the campaign a user would run (`faultline run mapreduce
 * --bug B`, with what the bug's help gives it). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "campaign_run.h"

static void require_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root for namespaces and eBPF");
}

TestSuite(mapreduce, .init = require_root, .timeout = 600);

static const char *const no_extra[] = { NULL };

static void expect_valid(const char *seed, const char *const *extra)
{
	struct campaign_outcome out;

	campaign_outcome_run_system(&out, "mapreduce", NULL, seed, NULL, "10", extra);
	cr_expect_eq(out.exit_code, 0, "seed %s: exit %d, verdict %s, kinds %s (%s)", seed,
		     out.exit_code, out.verdict, out.kinds, out.log_path);
	cr_expect_str_eq(out.verdict, "valid", "seed %s (%s)", seed, out.log_path);
	cr_expect_eq(out.final_reads, 1, "seed %s: the last job's read after the heal", seed);
	campaign_outcome_fini(&out, out.exit_code == 0);
}

/* faultline run mapreduce --time 10 --rate 100 --seed 71 (partitions, the default) */
Test(mapreduce, word_count_is_right_under_partitions)
{
	expect_valid("71", no_extra);
}

/* faultline run mapreduce --time 10 --rate 100 --nemesis kill:2,pause:2 --app index
 *   --seed 72 */
Test(mapreduce, the_index_is_right_under_kills_and_pauses)
{
	static const char *const extra[] = { "--nemesis", "kill:2,pause:2", "--app", "index",
					     NULL };

	expect_valid("72", extra);
}

/* faultline run mapreduce --time 10 --rate 100 --crash-in-task 0.3 --seed 73: the lab's
 * crash test, with partitions too */
Test(mapreduce, word_count_is_right_under_in_task_crashes)
{
	static const char *const extra[] = { "--crash-in-task", "0.3", NULL };

	expect_valid("73", extra);
}

/* `faultline run mapreduce --bug B --time T --rate 100 --seed 43`, with the bug's defaults. */
static void expect_caught(const char *bug, const char *time_s, const char *kind)
{
	struct campaign_outcome out;
	bool caught;

	campaign_outcome_run_system(&out, "mapreduce", NULL, "43", bug, time_s, no_extra);
	caught = out.exit_code == 1 && campaign_outcome_has_kind(&out, kind);
	cr_expect(caught, "%s: exit %d, verdict %s, kinds %s (%s)", bug, out.exit_code,
		  out.verdict, out.kinds, out.log_path);
	campaign_outcome_fini(&out, caught);
}

/* faultline run mapreduce --bug exit-before-commit --time 10 --rate 100 --seed 43 */
Test(mapreduce, exit_before_commit_is_early_done)
{
	expect_caught("exit-before-commit", "10", "early-done");
}

/* faultline run mapreduce --bug early-reduce --time 10 --rate 100 --seed 43 */
Test(mapreduce, early_reduce_is_wrong_output)
{
	expect_caught("early-reduce", "10", "wrong-output");
}

/* faultline run mapreduce --bug serial-coordinator --time 10 --rate 100 --seed 43
 * (its help's --nemesis none) */
Test(mapreduce, a_serial_coordinator_is_no_parallelism)
{
	expect_caught("serial-coordinator", "10", "no-parallelism");
}

/* faultline run mapreduce --bug short-timeout --time 10 --rate 100 --seed 43
 * (its help's --nemesis none) */
Test(mapreduce, a_short_timeout_is_spurious_reexec)
{
	expect_caught("short-timeout", "10", "spurious-reexec");
}

/* faultline run mapreduce --bug no-reexec-completed-maps --time 20 --rate 100 --seed 43
 * (its help's --nemesis kill) */
Test(mapreduce, no_reexec_of_completed_maps_stalls)
{
	expect_caught("no-reexec-completed-maps", "20", "stalled");
}

/* faultline run mapreduce --bug duplicate-commit --time 10 --rate 100 --seed 43
 * (its help's --crash-in-task 0.3) */
Test(mapreduce, a_duplicate_commit_is_torn_output)
{
	expect_caught("duplicate-commit", "10", "torn-output");
}
