/* SPDX-License-Identifier: MIT */
/* test_hand.c - `faultline nemesis` applies and heals faults by hand on a live --keep run. */
#include <criterion/criterion.h>
#include <jansson.h>
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
	if (access("/usr/bin/ping", X_OK) != 0 && access("/bin/ping", X_OK) != 0)
		cr_skip_test("ping is not installed (.ci/deps installs iputils-ping)");
}

TestSuite(hand, .init = require_root, .timeout = 300);

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* True if node @from (1-based) gets an answer from node @to within a second. */
static bool ping(const char *id, int from, int to)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "ip netns exec fl-%s-n%d ping -c1 -W1 10.77.0.%d "
		 ">/dev/null 2>&1", id, from, to);
	return system(cmd) == 0;
}

/* Waits for the run's "keep: run id X" line and copies X into @id. */
static void wait_run_id(const char *log, char *id, size_t size)
{
	for (int i = 0; i < 100; i++) {
		char line[256];
		FILE *f = fopen(log, "r");

		while (f && fgets(line, sizeof(line), f)) {
			if (sscanf(line, "keep: run id %15s", id) == 1 && strlen(id) < size) {
				fclose(f);
				sleep_ms(1500);         /* nodes up, clients running */
				return;
			}
		}
		if (f)
			fclose(f);
		sleep_ms(100);
	}
	cr_assert_fail("the run never printed its id (%s)", log);
}

/* The nodes @node (1-based) cannot reach, from the value of start-partition in @log. */
static json_t *cut_of(const char *log, int node)
{
	char line[4096], key[8];
	json_t *value = NULL, *cut;
	FILE *f = fopen(log, "r");

	cr_assert(f);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "start-partition ", 16) == 0)
			value = json_loads(line + 16, 0, NULL);
	}
	fclose(f);
	cr_assert(value, "no start-partition line in %s", log);
	snprintf(key, sizeof(key), "n%d", node);
	cut = json_incref(json_object_get(json_object_get(value, "cut"), key));
	json_decref(value);
	return cut;
}

static bool cut_has(json_t *cut, int node)
{
	char name[8];
	size_t i;
	json_t *v;

	snprintf(name, sizeof(name), "n%d", node);
	json_array_foreach(cut, i, v) {
		if (strcmp(json_string_value(v), name) == 0)
			return true;
	}
	return false;
}

static void expect_partition_by_hand(const char *id, const char *dir)
{
	char log[300];
	char *argv[] = { "faultline", "nemesis", "--run", (char *)id, "partition", "--shape",
			 "isolate", "--for", "4", "--seed", "9", NULL };
	pid_t pid;
	json_t *cut;

	snprintf(log, sizeof(log), "%s/hand-partition.log", dir);
	pid = faultline_spawn(argv, log);
	sleep_ms(1500);
	cut = cut_of(log, 1);
	for (int to = 2; to <= 5; to++)
		cr_expect_eq(ping(id, 1, to), !cut_has(cut, to), "n1 -> n%d during the hold", to);
	json_decref(cut);
	cr_expect_eq(faultline_wait(pid), 0, "see %s", log);
	for (int to = 2; to <= 5; to++)
		cr_expect(ping(id, 1, to), "n1 -> n%d after the heal", to);
}

static const char *cgroup_frozen(const char *id, int node, char *buf, size_t size)
{
	char path[128], line[64];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/fs/cgroup/unified/fl-%s-n%d/cgroup.events", id, node);
	f = fopen(path, "r");
	snprintf(buf, size, "?");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "frozen ", 7) == 0)
			snprintf(buf, size, "%c", line[7]);
	}
	if (f)
		fclose(f);
	return buf;
}

static void expect_pause_loss_and_errors(const char *id, const char *dir)
{
	char log[300], frozen[4];
	char *pause[] = { "faultline", "nemesis", "--run", (char *)id, "pause", "--nodes", "n2",
			  NULL };
	char *resume[] = { "faultline", "nemesis", "--run", (char *)id, "resume", "--nodes",
			   "n2", NULL };
	char *loss[] = { "faultline", "nemesis", "--run", (char *)id, "loss", "--p", "1",
			 "--for", "3", NULL };
	char *no_p[] = { "faultline", "nemesis", "--run", (char *)id, "loss", NULL };
	char *no_run[] = { "faultline", "nemesis", "--run", "nosuch", "partition", NULL };
	pid_t pid;

	snprintf(log, sizeof(log), "%s/hand.log", dir);
	cr_expect_eq(faultline_wait(faultline_spawn(pause, log)), 0);
	cr_expect_str_eq(cgroup_frozen(id, 2, frozen, sizeof(frozen)), "1", "n2 not frozen");
	cr_expect_eq(faultline_wait(faultline_spawn(resume, log)), 0);
	cr_expect_str_eq(cgroup_frozen(id, 2, frozen, sizeof(frozen)), "0", "n2 still frozen");
	pid = faultline_spawn(loss, log);
	sleep_ms(1200);
	cr_expect(!ping(id, 1, 3), "total loss let a ping through");
	cr_expect_eq(faultline_wait(pid), 0);
	cr_expect(ping(id, 1, 3), "loss was not healed");
	cr_expect_eq(faultline_wait(faultline_spawn(no_p, log)), 64, "loss without --p");
	cr_expect_eq(faultline_wait(faultline_spawn(no_run, log)), 70, "an unknown run id");
}

Test(hand, faults_by_hand_hold_then_heal_on_a_live_keep_run)
{
	char store[256], log[300], id[16];
	char *run[] = { "faultline", "run", "crdt", "--keep", "--time", "30", "--nemesis",
			"none", "--seed", "5", "--store", store, NULL };
	char *clean[] = { "faultline", "clean", NULL };
	struct leftovers before, now;
	char msg[256];
	pid_t pid;
	int code;

	leftovers_take(&before, 0);
	snprintf(store, sizeof(store), "/tmp/faultline-it-XXXXXX");
	cr_assert(mkdtemp(store));
	snprintf(log, sizeof(log), "%s/run.log", store);
	pid = faultline_spawn(run, log);
	wait_run_id(log, id, sizeof(id));
	expect_partition_by_hand(id, store);
	expect_pause_loss_and_errors(id, store);
	kill(pid, SIGINT);                      /* wind down: final reads, verdict */
	code = faultline_wait(pid);
	cr_expect(code >= 0 && code <= 2, "the run ended with %d (%s)", code, log);
	cr_expect_eq(faultline_wait(faultline_spawn(clean, log)), 0);
	cr_expect(!leftovers_wait_clean(&before, &now, 3000, msg, sizeof(msg)), "left: %s", msg);
}
