/* SPDX-License-Identifier: MIT */
/* test_stream.c - a windowed stream job under crashes, partitions, delay and clock skew: the
 * correct build is valid (every event accounted for by the window checker's batch oracle),
 * and each seeded bug is caught with the anomaly that names it, by the campaign a user would
 * run (`faultline run stream --bug B`, with what the bug's help gives it). */
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

TestSuite(stream, .init = require_root, .timeout = 600);

static void expect_valid(const char *seed, const char *const *extra)
{
	struct campaign_outcome out;

	campaign_outcome_run_system(&out, "stream", NULL, seed, NULL, "10", extra);
	cr_expect_eq(out.exit_code, 0, "seed %s: exit %d, verdict %s, kinds %s (%s)", seed,
		     out.exit_code, out.verdict, out.kinds, out.log_path);
	cr_expect_str_eq(out.verdict, "valid", "seed %s (%s)", seed, out.log_path);
	cr_expect_eq(out.final_reads, 5, "seed %s: %d of 5 final reads", seed, out.final_reads);
	campaign_outcome_fini(&out, out.exit_code == 0);
}

/*
 *   faultline run stream --time 10 --rate 100 --nemesis kill:2,partition:2 --seed 61
 *   faultline run stream --time 10 --rate 100 --window sliding:1000:300 --lateness 500
 *     --nemesis kill:2,delay,clock --seed 62
 */
Test(stream, tumbling_windows_are_exactly_once_under_kills_and_partitions)
{
	static const char *const extra[] = { "--nemesis", "kill:2,partition:2", NULL };

	expect_valid("61", extra);
}

/* Size not a multiple of slide (gcd panes of 100 ms), late panes within lateness. */
Test(stream, sliding_windows_with_lateness_are_exactly_once_under_kills_delay_and_skew)
{
	static const char *const extra[] = { "--window", "sliding:1000:300", "--lateness", "500",
					     "--nemesis", "kill:2,delay,clock", NULL };

	expect_valid("62", extra);
}

/* At-least-once under kills: replays are counted as figures, never as violations. */
Test(stream, at_least_once_replays_are_counted_not_flagged)
{
	static const char *const extra[] = { "--guarantee", "at-least-once", "--agg", "sum",
					     "--nemesis", "kill:2,pause", NULL };

	expect_valid("63", extra);
}

/* `faultline run stream --bug B --time T --rate 100 --seed 43 EXTRA`, with the bug's
 * defaults (EXTRA given last wins over --rate 100). */
static void expect_caught_with(const char *bug, const char *time_s, const char *const *extra,
			       const char *kind_a, const char *kind_b)
{
	struct campaign_outcome out;
	bool caught;

	campaign_outcome_run_system(&out, "stream", NULL, "43", bug, time_s, extra);
	caught = out.exit_code == 1 && (campaign_outcome_has_kind(&out, kind_a) ||
					(kind_b && campaign_outcome_has_kind(&out, kind_b)));
	cr_expect(caught, "%s: exit %d, verdict %s, kinds %s (%s)", bug, out.exit_code,
		  out.verdict, out.kinds, out.log_path);
	campaign_outcome_fini(&out, caught);
}

static void expect_caught_in(const char *bug, const char *time_s, const char *kind_a,
			     const char *kind_b)
{
	static const char *const defaults[] = { NULL };

	expect_caught_with(bug, time_s, defaults, kind_a, kind_b);
}

static void expect_caught(const char *bug, const char *kind_a, const char *kind_b)
{
	expect_caught_in(bug, "10", kind_a, kind_b);
}

Test(stream, negative_modulo_is_caught_as_wrong_window)
{
	expect_caught("negative-modulo", "wrong-window", NULL);
}

Test(stream, end_inclusive_is_caught_as_wrong_window)
{
	expect_caught("end-inclusive", "wrong-window", NULL);
}

Test(stream, single_slide_is_caught)
{
	expect_caught("single-slide", "wrong-window", "incomplete");
}

Test(stream, watermark_no_delay_is_caught_as_incomplete)
{
	expect_caught("watermark-no-delay", "incomplete", NULL);
}

Test(stream, watermark_max_not_min_is_caught_as_incomplete)
{
	expect_caught("watermark-max-not-min", "incomplete", NULL);
}

Test(stream, idle_flip_flop_is_caught_as_incomplete)
{
	expect_caught("idle-flip-flop", "incomplete", NULL);
}

/* The idle stretch is 30% of the run: 6 s of 20, judged from 3 s into it. */
Test(stream, no_idle_timeout_is_caught_as_stalled)
{
	expect_caught_in("no-idle-timeout", "20", "stalled", NULL);
}

Test(stream, late_firing_dropped_is_caught_as_lost_event)
{
	expect_caught("late-firing-dropped", "lost-event", NULL);
}

Test(stream, watermark_reset_on_restart_is_caught_as_duplicate_pane)
{
	expect_caught("watermark-reset-on-restart", "duplicate-pane", "double-count");
}

/* At the rate the bug's help gives it (200 ops/s): replays count the events an operator read
 * past a barrier while the other input's barrier was still to come on its source's timer. */
Test(stream, no_barrier_alignment_is_caught_as_double_count)
{
	static const char *const rate[] = { "--rate", "200", NULL };

	expect_caught_with("no-barrier-alignment", "15", rate, "double-count", "duplicate-pane");
}
