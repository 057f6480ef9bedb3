/* SPDX-License-Identifier: MIT */
/* test_leftovers.c - nothing remains after a campaign, nor after kill -9 and `faultline clean`. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "campaign_run.h"
#include "leftovers.h"

static void require_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root for namespaces and eBPF");
}

TestSuite(leftovers, .init = require_root, .timeout = 300);

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Starts a long campaign in the background; returns once its nodes are up and ops flow. */
static pid_t start_long_campaign(char *store, size_t size, bool keep, char *log, size_t log_size)
{
	char *argv[] = { "faultline", "run", "crdt", "--model", "orset", "--time", "60",
			 "--nemesis-interval", "0.5", "--seed", "7", "--store", store,
			 keep ? "--keep" : NULL, NULL };
	char history[320];
	pid_t pid;

	snprintf(store, size, "/tmp/faultline-it-XXXXXX");
	cr_assert(mkdtemp(store));
	snprintf(log, log_size, "%s/run.log", store);
	pid = faultline_spawn(argv, log);
	snprintf(history, sizeof(history), "%s/latest/history.jsonl", store);
	for (int i = 0; i < 100 && access(history, R_OK) != 0; i++)
		sleep_ms(100);
	cr_assert(access(history, R_OK) == 0, "the campaign never started: see %s", log);
	sleep_ms(2500);                 /* some ops, some partitions */
	return pid;
}

static void expect_clean(const struct leftovers *before, const char *when)
{
	struct leftovers now;
	char msg[256];

	cr_expect(!leftovers_wait_clean(before, &now, 3000, msg, sizeof(msg)),
		  "%s: left behind: %s", when, msg);
}

Test(leftovers, a_finished_campaign_leaves_nothing)
{
	struct leftovers before;
	struct campaign_outcome out;

	leftovers_take(&before, 0);
	campaign_outcome_run(&out, "gset", "5", NULL, "3", "1");
	cr_expect_eq(out.exit_code, 0, "exit %d (%s)", out.exit_code, out.log_path);
	expect_clean(&before, "after a campaign");
	campaign_outcome_fini(&out, out.exit_code == 0);
}

static void kill9_then_clean(bool keep)
{
	char store[256], log[300], check_log[300], history_dir[300];
	char *clean_argv[] = { "faultline", "clean", NULL };
	char *check_argv[] = { "faultline", "check", history_dir, NULL };
	struct leftovers before;
	pid_t pid;
	int code;

	leftovers_take(&before, 0);
	pid = start_long_campaign(store, sizeof(store), keep, log, sizeof(log));
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(faultline_wait(pid), 128 + SIGKILL);
	code = faultline_wait(faultline_spawn(clean_argv, log));
	cr_expect_eq(code, 0, "faultline clean exit %d (%s)", code, log);
	expect_clean(&before, keep ? "kill -9 (--keep) then clean" : "kill -9 then clean");
	/* What was recorded survives and reads as a prefix: no final reads, so not valid. */
	snprintf(history_dir, sizeof(history_dir), "%s/latest", store);
	snprintf(check_log, sizeof(check_log), "%s/check.log", store);
	code = faultline_wait(faultline_spawn(check_argv, check_log));
	cr_expect(code == 2 || code == 1, "check of a killed run exited %d, not unknown (%s)",
		  code, check_log);
}

Test(leftovers, kill9_mid_campaign_then_clean_leaves_nothing)
{
	kill9_then_clean(false);
}

Test(leftovers, kill9_mid_campaign_with_named_namespaces_then_clean_leaves_nothing)
{
	kill9_then_clean(true);
}

/*
 * The harness killed with SIGKILL at every crash point of a short campaign with partitions,
 * kills, pauses and clock faults (campaign_crash_point(): set-up, each node start, each
 * fault, the final heal, teardown, before the check). After `faultline clean` nothing of ours
 * may remain.
 */
Test(leftovers, sigkill_at_every_crash_point_then_clean_leaves_nothing, .timeout = 900)
{
	char *clean_argv[] = { "faultline", "clean", NULL };
	char store[256], log[300], point[16];
	char *argv[] = { "faultline", "run", "crdt", "--model", "gset", "--time", "2",
			 "--nemesis", "partition:0.4,kill:0.5,pause:0.7,clock:0.3", "--seed", "13",
			 "--store", store, NULL };
	struct leftovers before;
	int killed = 0, point_number;

	snprintf(store, sizeof(store), "/tmp/faultline-it-XXXXXX");
	cr_assert(mkdtemp(store));
	snprintf(log, sizeof(log), "%s/run.log", store);
	leftovers_take(&before, 0);
	for (point_number = 1; point_number <= 60; point_number++) {
		int code;

		snprintf(point, sizeof(point), "%d", point_number);
		setenv("FAULTLINE_CRASH_POINT", point, 1);
		code = faultline_wait(faultline_spawn(argv, log));
		unsetenv("FAULTLINE_CRASH_POINT");
		if (code != 128 + SIGKILL) {
			/* Past the last crash point the run completes with a verdict (other
			 * tests judge verdicts; this one judges what is left behind). */
			cr_expect(code >= 0 && code <= 2, "crash point %d: exit %d (%s)",
				  point_number, code, log);
			break;
		}
		killed++;
		code = faultline_wait(faultline_spawn(clean_argv, log));
		cr_expect_eq(code, 0, "clean after crash point %d: exit %d", point_number, code);
		snprintf(point, sizeof(point), "point %d", point_number);
		expect_clean(&before, point);
	}
	cr_expect_geq(killed, 20, "only %d crash points were reached", killed);
	fprintf(stderr, "killed at %d crash points\n", killed);
}
