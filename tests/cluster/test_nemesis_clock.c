/* SPDX-License-Identifier: MIT */
/* test_nemesis_clock.c - the clock nemesis on a real cluster, and time namespace offsets. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "clock_support.h"
#include "cluster.h"
#include "errbuf.h"
#include "nemesis.h"
#include "netns_probe.h"
#include "prng.h"

enum { NODES = 3 };

static struct cluster *cl;
static struct nemesis *nem;
static char run_id[16];
static char blocks[NODES][128];

static void nemesis_fini(void)
{
	uint32_t i;

	nem_free(nem);
	nem = NULL;
	cluster_teardown(cl, NULL);
	cl = NULL;
	for (i = 0; i < NODES; i++) {
		if (blocks[i][0])
			cr_expect_neq(access(blocks[i], F_OK), 0, "%s left behind", blocks[i]);
	}
}

static void nemesis_up(void)
{
	struct cluster_opts opts = { .node_count = NODES, .run_id = run_id };
	const char *why = netns_skip_reason();
	struct errbuf eb = { "" };
	char preload[256];
	uint32_t i;

	if (why)
		cr_skip_test("%s", why);
	snprintf(run_id, sizeof(run_id), "ck%x", (unsigned)getpid() & 0xfffff);
	cr_assert_eq(cluster_setup(&cl, &opts, &eb), 0, "setup: %s", eb.msg);
	cr_assert_eq(nem_clock_new(&nem, &eb), 0);
	cr_expect_eq(nem_clock_env(nem, 0, preload, sizeof(preload), blocks[0], 128), -ENOENT);
	cr_assert_eq(nem_setup(nem, cl, &eb), 0, "nemesis setup: %s", eb.msg);
	for (i = 0; i < NODES; i++) {
		cr_assert_eq(nem_clock_env(nem, i, preload, sizeof(preload), blocks[i], 128), 0);
		cr_expect_eq(strcmp(preload, FL_CLOCK_SHIM_PATH), 0, "%s", preload);
		cr_expect_eq(access(blocks[i], R_OK), 0, "%s exists", blocks[i]);
	}
	cr_expect_eq(nem_clock_env(nem, NODES, preload, sizeof(preload), blocks[0], 128),
		     -EINVAL);
	cr_expect_eq(nem_clock_env(nem, 0, preload, 4, blocks[0], 128), -ENAMETOOLONG);
}

TestSuite(nemesis_clock, .init = nemesis_up, .fini = nemesis_fini, .timeout = 60);

static int invoke(const char *f, const struct nem_params *params, char *value)
{
	struct nem_request request = { .f = f, .params = params };
	struct nem_completion completion;
	struct errbuf eb = { "" };
	struct prng prng;
	int err;

	prng_init(&prng, 7);
	err = nem_invoke(nem, &request, &prng, &completion, &eb);
	memcpy(value, completion.value, sizeof(completion.value));
	return err;
}

static int64_t skew_of(uint32_t node)
{
	struct clock_sample s = clock_probe_once(true, blocks[node]);

	return s.rt_ns - s.raw_rt_ns;
}

Test(nemesis_clock, bump_records_exact_offsets_and_skews_only_its_node)
{
	struct nem_params params = { .nodes = 1u << 1, .delay_ns = 250 * MS };
	char value[NEM_VALUE_BYTES_MAX];
	int64_t skew;

	cr_assert_eq(invoke("bump", &params, value), 0);
	cr_expect_str_eq(value, "{\"bumped\":{\"n2\":250000000},\"offset_ns\":{\"n2\":250000000}}");
	params.delay_ns = -50 * MS;
	cr_assert_eq(invoke("bump", &params, value), 0);
	cr_expect_str_eq(value, "{\"bumped\":{\"n2\":-50000000},\"offset_ns\":{\"n2\":200000000}}");
	skew = skew_of(1);
	cr_expect(skew > 199 * MS && skew < 201 * MS, "n2 skew %lld", (long long)skew);
	skew = skew_of(0);
	cr_expect(llabs(skew) < MS, "n1 skew %lld", (long long)skew);
}

Test(nemesis_clock, drift_strobe_and_reset_values)
{
	struct nem_params params = { .nodes = 1u << 2, .rate = 1.05 };
	char value[NEM_VALUE_BYTES_MAX];

	cr_assert_eq(invoke("drift", &params, value), 0);
	cr_expect_str_eq(value, "{\"drift\":{\"n3\":1.05}}");
	params = (struct nem_params){ .nodes = 1u, .delay_ns = 8 * MS, .jitter_ns = 4 * MS,
				      .duration_ns = 2048ll * MS };
	cr_assert_eq(invoke("strobe", &params, value), 0);
	cr_expect_str_eq(value, "{\"strobed\":{\"n1\":8000000},\"period_ns\":4000000,"
			 "\"duration_ns\":2048000000}");
	cr_assert_eq(invoke("reset", NULL, value), 0);
	cr_expect_str_eq(value, "{\"reset\":[\"n1\",\"n2\",\"n3\"]}");
	cr_expect(llabs(skew_of(0)) < MS && llabs(skew_of(2)) < MS);
}

Test(nemesis_clock, defaults_come_from_the_prng)
{
	char value[NEM_VALUE_BYTES_MAX], again[NEM_VALUE_BYTES_MAX];

	cr_assert_eq(invoke("drift", NULL, value), 0);
	cr_assert_eq(invoke("drift", NULL, again), 0);
	cr_expect_str_eq(value, again, "same seed, same choice");
	cr_expect(strncmp(value, "{\"drift\":{\"n", 12) == 0, "%s", value);
	cr_assert_eq(invoke("strobe", NULL, value), 0);
	cr_expect(strstr(value, "\"period_ns\":"), "%s", value);
	cr_assert_eq(invoke("bump", NULL, value), 0);
	cr_expect(strstr(value, "\"bumped\":{\"n"), "%s", value);
}

Test(nemesis_clock, rejects_bad_requests_before_acting)
{
	struct nem_params params = { .nodes = 1u << NODES, .delay_ns = MS };
	char value[NEM_VALUE_BYTES_MAX];

	cr_expect_eq(invoke("jump", NULL, value), -EINVAL);
	cr_expect_eq(invoke("bump", &params, value), -EINVAL);
	params = (struct nem_params){ .nodes = 1, .rate = 1000.0 };
	cr_expect_eq(invoke("drift", &params, value), -EINVAL);
	params = (struct nem_params){ .nodes = 1, .delay_ns = MS, .jitter_ns = 1 };
	cr_expect_eq(invoke("strobe", &params, value), -EINVAL);
	params = (struct nem_params){ .nodes = 1, .delay_ns = 2 * CLOCK_OFFSET_NS_MAX };
	cr_expect_eq(invoke("bump", &params, value), -ERANGE);
	cr_expect_str_eq(value, "{\"bumped\":{},\"offset_ns\":{}}");
	cr_expect(llabs(skew_of(0)) < MS);
}

/* A node process started by the cluster, with the environment set through env(1). */
Test(nemesis_clock, node_process_sees_its_skew)
{
	struct nem_params params = { .nodes = 1u << 1, .delay_ns = 3000 * MS };
	char preload[256], file[128], value[NEM_VALUE_BYTES_MAX], log[128], env1[300], env2[160];
	char *argv[] = { "/usr/bin/env", env1, env2, FL_CLOCK_PROBE_PATH, NULL };
	long long v[6];
	FILE *f;
	int i;

	cr_assert_eq(invoke("bump", &params, value), 0);
	cr_assert_eq(nem_clock_env(nem, 1, preload, sizeof(preload), file, sizeof(file)), 0);
	snprintf(env1, sizeof(env1), "LD_PRELOAD=%s", preload);
	snprintf(env2, sizeof(env2), "FL_CLOCK_FILE=%s", file);
	snprintf(log, sizeof(log), "/tmp/fl-test%d-clock.log", (int)getpid());
	unlink(log);
	cr_assert_eq(cluster_node_start(cl, 1, argv, log, NULL), 0);
	for (i = 0; i < 200 && cluster_node_alive(cl, 1); i++)
		usleep(10000);
	f = fopen(log, "r");
	cr_assert(f);
	cr_assert_eq(fscanf(f, "%lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3], &v[4],
			    &v[5]), 6);
	fclose(f);
	unlink(log);
	cr_expect(v[0] - v[1] > 2999 * MS && v[0] - v[1] < 3001 * MS, "node skew %lld",
		  v[0] - v[1]);
}

/* Monotonic as seen by a child that enters @fd (or, with -1, a grandchild after prepare). */
static int64_t child_monotonic(int fd, int64_t offset_ns, int64_t *own_ns)
{
	int pipefd[2], status;
	int64_t got[2] = { 0, 0 };
	pid_t pid;

	cr_assert_eq(pipe(pipefd), 0);
	pid = fork();
	if (pid == 0) {
		pid_t grandchild;

		if (fd >= 0 && setns(fd, CLONE_NEWTIME))
			_exit(1);
		if (fd < 0 && clock_timens_prepare(offset_ns, NULL))
			_exit(2);
		got[1] = host_monotonic_ns();
		grandchild = fd >= 0 ? 0 : fork();
		if (grandchild == 0) {
			got[0] = host_monotonic_ns();
			_exit(write(pipefd[1], got, sizeof(got)) == sizeof(got) ? 0 : 3);
		}
		_exit(waitpid(grandchild, &status, 0) == grandchild && status == 0 ? 0 : 4);
	}
	close(pipefd[1]);
	cr_assert_eq(read(pipefd[0], got, sizeof(got)), (ssize_t)sizeof(got));
	close(pipefd[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(status, 0, "child status 0x%x", status);
	*own_ns = got[1];
	return got[0];
}

Test(nemesis_clock, timens_offsets_move_only_the_children)
{
	int64_t before, seen, own;
	int fd = -1;

	cr_assert_eq(clock_timens_open(86400ll * 1000000000, &fd, NULL), 0);
	before = host_monotonic_ns();
	seen = child_monotonic(fd, 0, &own);
	cr_expect(seen - before > 86399ll * 1000000000 && seen - before < 86401ll * 1000000000,
		  "setns child: %lld vs %lld", (long long)seen, (long long)before);
	close(fd);
	before = host_monotonic_ns();
	seen = child_monotonic(-1, -1500 * MS, &own);
	cr_expect(seen - before < -1400 * MS && seen - before > -1600 * MS,
		  "prepared grandchild: %lld vs %lld", (long long)seen, (long long)before);
	cr_expect(own - before < 1000 * MS && own >= before, "the caller itself did not move");
	cr_expect_lt(clock_timens_open(-(1ll << 62), &fd, NULL), 0);
}

/*
 * A node started the way campaigns start it (nem_clock_node_start): its monotonic clock is
 * (node + 1) hours ahead of the host's, and drift then reset of its clocks never moves its
 * monotonic clock back, though the controller anchors in host time (the shim subtracts the
 * namespace's offset).
 */
Test(nemesis_clock, node_in_its_time_namespace_drifts_and_resets_monotonically)
{
	struct nem_params params = { .nodes = 1u << 2, .rate = 2.0 };
	char value[NEM_VALUE_BYTES_MAX], log[128], samples[] = "300", interval[] = "5000";
	char *argv[] = { FL_CLOCK_PROBE_PATH, samples, interval, NULL };
	struct nem_clock_start start;
	struct cluster_start_opts opts;
	long long v[6], last_mono = 0, first_gap = 0, n = 0;
	int64_t host;
	FILE *f;

	cr_assert_eq(nem_clock_node_start(nem, 2, &start), 0);
	cr_assert_geq(start.timens_fd, 0, "setup made a time namespace");
	cr_expect_eq(start.mono_offset_ns, 3 * NEM_CLOCK_TIMENS_STEP_NS);
	opts = (struct cluster_start_opts){ .env = start.env, .timens_fd = start.timens_fd };
	snprintf(log, sizeof(log), "/tmp/fl-test%d-timens.log", (int)getpid());
	unlink(log);
	host = host_monotonic_ns();
	cr_assert_eq(cluster_node_start_opts(cl, 2, argv, log, &opts, NULL), 0);
	usleep(300000);
	cr_assert_eq(invoke("drift", &params, value), 0);
	usleep(500000);
	params = (struct nem_params){ .nodes = 1u << 2 };
	cr_assert_eq(invoke("reset", &params, value), 0);
	for (int i = 0; i < 500 && cluster_node_alive(cl, 2); i++)
		usleep(10000);
	f = fopen(log, "r");
	cr_assert(f);
	while (fscanf(f, "%lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3], &v[4],
		      &v[5]) == 6) {
		if (n++ == 0) {
			first_gap = v[5] - host;
			cr_expect(llabs(v[4] - v[5]) < MS, "unskewed at first: %lld", v[4] - v[5]);
		}
		cr_expect_geq(v[4], last_mono, "monotonic went back at sample %lld", n);
		cr_expect(llabs(v[4] - v[5]) < 2000 * MS, "no jump by the namespace offset: %lld",
			  v[4] - v[5]);
		last_mono = v[4];
	}
	fclose(f);
	unlink(log);
	cr_expect_eq(n, 300);
	cr_expect(first_gap > 3 * NEM_CLOCK_TIMENS_STEP_NS - 1000 * MS &&
		  first_gap < 3 * NEM_CLOCK_TIMENS_STEP_NS + 1000 * MS,
		  "node monotonic 3 h ahead of the host's: %lld", first_gap);
	/* Drift 2.0 for ~0.5 s built up ~0.5 s of monotonic lead, kept after the reset. */
	cr_expect(v[4] - v[5] > 300 * MS, "monotonic lead after drift: %lld", v[4] - v[5]);
}
