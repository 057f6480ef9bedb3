/* SPDX-License-Identifier: MIT */
/* test_cluster_cgroup.c - node cgroups: freeze, thaw, kill, teardown and clean of leftovers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster.h"
#include "errbuf.h"
#include "monotime.h"
#include "netns_probe.h"
#include "proc_support.h"

enum { ANSWER_MS = 1500, SILENT_MS = 300, NODES = 3 };

static struct cluster *cl;
static int test_pid;            /* the test's pid outside the sandbox, for unique names */
static char run_id[16];
static char log_path[64];

static void cluster_fini(void)
{
	struct errbuf eb = { "" };

	if (cl)
		cr_expect_eq(cluster_teardown(cl, &eb), 0, "teardown: %s", eb.msg);
	cl = NULL;
	if (log_path[0])
		unlink(log_path);
}

/* A 3-node cluster, every node running the UDP echo (@daemon: with a setsid()ed child). */
static void cluster_up(const char *tag, bool daemon)
{
	char *argv[] = { FL_UDP_ECHO_PATH, daemon ? "--daemon" : NULL, NULL };
	struct cluster_opts opts = { .node_count = NODES, .run_id = run_id };
	const char *why = netns_skip_reason();
	struct errbuf eb = { "" };
	uint32_t i;

	if (why)
		cr_skip_test("%s", why);
	if (!cgroup_v2_root())
		cr_skip_test("no cgroup v2 mount");
	snprintf(run_id, sizeof(run_id), "%s%x", tag, (unsigned)getpid() & 0xfffff);
	snprintf(log_path, sizeof(log_path), "/tmp/fl-test-%s.log", run_id);
	cr_assert_eq(cluster_setup(&cl, &opts, &eb), 0, "setup: %s", eb.msg);
	cr_assert(cluster_has_cgroups(cl));
	for (i = 0; i < NODES; i++)
		cr_assert_eq(cluster_node_start(cl, i, argv, log_path, &eb), 0, "%s", eb.msg);
	for (i = 0; i < NODES; i++)
		cr_assert(echo_answers(cl, i, ANSWER_MS), "n%u echoes", i + 1);
}

TestSuite(cluster_cgroup, .fini = cluster_fini);

Test(cluster_cgroup, each_node_runs_in_its_own_cgroup)
{
	char suffix[64], path[256];
	uint32_t i;

	cluster_up("cg", false);
	for (i = 0; i < NODES; i++) {
		snprintf(suffix, sizeof(suffix), "/" CLUSTER_PREFIX "%s-n%u", run_id, i + 1);
		cr_assert(pid_in_cgroup(cluster_node_pid(cl, i), suffix), "n%u in %s", i + 1,
			  suffix);
		node_cgroup_path(cl, i, path, sizeof(path));
		cr_assert_eq(cgroup_event_read(path, "populated"), 1);
		cr_assert_eq(cgroup_event_read(path, "frozen"), 0);
	}
}

Test(cluster_cgroup, freeze_silences_the_node_and_thaw_brings_it_back)
{
	struct errbuf eb = { "" };
	char path[256];
	int64_t t0;

	cluster_up("cf", false);
	node_cgroup_path(cl, 1, path, sizeof(path));
	t0 = monotime_ns();
	cr_assert_eq(cluster_node_freeze(cl, 1, &eb), 0, "%s", eb.msg);
	fprintf(stderr, "freeze took %lld us\n", (long long)(monotime_ns() - t0) / 1000);
	cr_assert(cluster_node_frozen(cl, 1));
	cr_assert_eq(cgroup_event_read(path, "frozen"), 1);
	cr_assert_eq(cluster_node_freeze(cl, 1, &eb), 0, "freeze is idempotent");
	cr_assert_not(echo_answers(cl, 1, SILENT_MS), "a frozen node does not answer");
	cr_assert(echo_answers(cl, 0, ANSWER_MS), "the others still do");
	cr_assert(cluster_node_alive(cl, 1), "frozen is not dead");
	cr_assert_eq(cluster_node_thaw(cl, 1, &eb), 0, "%s", eb.msg);
	cr_assert_not(cluster_node_frozen(cl, 1));
	cr_assert_eq(cgroup_event_read(path, "frozen"), 0);
	cr_assert(echo_answers(cl, 1, ANSWER_MS), "thawed node answers again");
	cr_assert_eq(cluster_node_thaw(cl, 1, &eb), 0, "thaw is idempotent");
}

/* "daemon <pid>" lines from the echoes' shared log: the one whose daemon is in @node's cgroup. */
static pid_t daemon_pid_read(uint32_t node)
{
	char line[64], suffix[64];
	int pid = 0;
	FILE *f;

	snprintf(suffix, sizeof(suffix), "/" CLUSTER_PREFIX "%s-n%u", run_id, node + 1);
	f = fopen(log_path, "re");
	cr_assert(f, "open %s", log_path);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "daemon %d", &pid) == 1 && pid_in_cgroup((pid_t)pid, suffix))
			break;
		pid = 0;
	}
	fclose(f);
	return (pid_t)pid;
}

Test(cluster_cgroup, kill_empties_the_cgroup_with_daemonised_children)
{
	struct errbuf eb = { "" };
	pid_t leader, escaped;
	char path[256];
	int64_t t0;

	cluster_up("ck", true);
	leader = cluster_node_pid(cl, 2);
	escaped = daemon_pid_read(2);
	cr_assert_gt(escaped, 0, "the node left a daemon");
	cr_assert(pid_running(escaped));
	cr_assert_neq(getpgid(escaped), leader, "it left the node's process group");
	node_cgroup_path(cl, 2, path, sizeof(path));
	t0 = monotime_ns();
	cr_assert_eq(cluster_node_kill(cl, 2, &eb), 0, "%s", eb.msg);
	fprintf(stderr, "kill took %lld us\n", (long long)(monotime_ns() - t0) / 1000);
	cr_assert_eq(cluster_node_pid(cl, 2), 0);
	cr_assert_not(cluster_node_alive(cl, 2));
	cr_assert_not(pid_running(leader), "leader gone");
	cr_assert_not(pid_running(escaped), "daemonised child gone too");
	cr_assert_eq(cgroup_event_read(path, "populated"), 0);
	cr_assert_eq(cluster_node_kill(cl, 2, &eb), 0, "kill of a dead node is 0");
	cr_assert(echo_answers(cl, 0, ANSWER_MS), "n1 unaffected");
}

Test(cluster_cgroup, kill_of_a_frozen_node_then_restart_runs_unfrozen)
{
	char *argv[] = { FL_UDP_ECHO_PATH, NULL };
	struct errbuf eb = { "" };
	char path[256];
	pid_t old;

	cluster_up("cz", false);
	old = cluster_node_pid(cl, 0);
	cr_assert_eq(cluster_node_freeze(cl, 0, &eb), 0, "%s", eb.msg);
	cr_assert_eq(cluster_node_kill(cl, 0, &eb), 0, "%s", eb.msg);
	cr_assert_not(cluster_node_frozen(cl, 0));
	cr_assert_not(pid_running(old));
	node_cgroup_path(cl, 0, path, sizeof(path));
	cr_assert_eq(cgroup_event_read(path, "frozen"), 0, "kill thawed the cgroup");
	cr_assert_eq(cluster_node_freeze(cl, 0, &eb), -ESRCH, "nothing to freeze");
	cr_assert_eq(cluster_node_start(cl, 0, argv, log_path, &eb), 0, "%s", eb.msg);
	cr_assert_neq(cluster_node_pid(cl, 0), old);
	cr_assert(echo_answers(cl, 0, ANSWER_MS), "restarted node answers");
}

Test(cluster_cgroup, teardown_removes_every_node_cgroup)
{
	struct errbuf eb = { "" };
	pid_t pids[NODES];
	uint32_t i;

	cluster_up("ct", false);
	cr_assert(cgroup_left(run_id));
	cr_assert_eq(cluster_node_freeze(cl, 1, &eb), 0, "%s", eb.msg);
	for (i = 0; i < NODES; i++)
		pids[i] = cluster_node_pid(cl, i);
	cr_assert_eq(cluster_teardown(cl, &eb), 0, "%s", eb.msg);
	cl = NULL;
	cr_assert_not(cgroup_left(run_id), "no cgroup fl-%s-* left", run_id);
	for (i = 0; i < NODES; i++)
		cr_assert_not(pid_running(pids[i]), "n%u gone", i + 1);
}

Test(cluster_cgroup, setup_adopts_an_empty_leftover_and_teardown_removes_it)
{
	char path[256];

	if (netns_skip_reason() || !cgroup_v2_root())
		cr_skip_test("needs root, namespaces and cgroup v2");
	snprintf(path, sizeof(path), "%s/" CLUSTER_PREFIX "ca%x-n2", cgroup_v2_root(),
		 (unsigned)getpid() & 0xfffff);
	cr_assert_eq(mkdir(path, 0755), 0, "plant %s", path);
	cluster_up("ca", false);
	cr_assert_eq(cgroup_event_read(path, "populated"), 1, "n2 runs in the adopted cgroup");
	cluster_fini();
	cr_assert(access(path, F_OK) && errno == ENOENT, "teardown removed it");
}

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "clean sandbox:%d: %s\n", __LINE__, #cond);      \
			return 1;                                                         \
		}                                                                         \
	} while (0)

static int cgroup_file_put(const char *dir, const char *file, const char *value)
{
	char path[256];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = write(fd, value, strlen(value)) == (ssize_t)strlen(value);
	close(fd);
	return ok ? 0 : -1;
}

/* A sleeping child in @dir, not marked with CLUSTER_RUN_ENV: only the cgroup names it ours. */
static pid_t sleeper_start(const char *dir)
{
	int exec_pipe[2];
	char byte;
	pid_t pid;

	if (pipe2(exec_pipe, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		unsetenv(CLUSTER_RUN_ENV);
		if (!cgroup_file_put(dir, "cgroup.procs", "0"))
			execl("/bin/sleep", "sleep", "1000", (char *)NULL);
		_exit(127);
	}
	close(exec_pipe[1]);
	if (pid < 0 || read(exec_pipe[0], &byte, 1) != 0)     /* EOF: exec happened */
		pid = -1;
	close(exec_pipe[0]);
	return pid;
}

static pid_t foreign_pid;
static char foreign_dir[256];

/* Outside the sandbox: a cgroup fl-* whose process the sandbox's PID namespace cannot see. */
static int foreign_plant(const char *scratch)
{
	snprintf(foreign_dir, sizeof(foreign_dir), "%s/" CLUSTER_PREFIX "test%d-foreign", scratch,
		 test_pid);
	if (mkdir(foreign_dir, 0755))
		return 1;
	foreign_pid = sleeper_start(foreign_dir);
	return foreign_pid > 0 ? 0 : 1;
}

/* Runs inside sandbox_run(): the cgroup root seen here is a scratch cgroup of this test. */
static int clean_sandbox_main(void)
{
	struct cluster_clean_report r;
	struct errbuf eb = { "" };
	char dir[128];
	int status, err;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/" CLUSTER_PREFIX "test%d-x", cgroup_v2_root(), test_pid);
	CHECK(!mkdir(dir, 0755));
	pid = sleeper_start(dir);
	CHECK(pid > 0);
	CHECK(pid_in_cgroup(pid, strrchr(dir, '/')));
	CHECK(!cgroup_file_put(dir, "cgroup.freeze", "1"));    /* clean must thaw or not care */
	err = cluster_clean(&r, &eb);
	fprintf(stderr, "clean: %d (%s) killed %u cgroups %u\n", err, eb.msg,
		r.processes_killed, r.cgroups_removed);
	CHECK(err == 0);
	CHECK(r.cgroups_removed == 1);
	CHECK(r.processes_killed == 1);
	CHECK(access(dir, F_OK) && errno == ENOENT);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	err = cluster_clean(&r, &eb);
	CHECK(err == 0);
	CHECK(r.cgroups_removed == 0 && r.processes_killed == 0);
	/* The planted cgroup's process lives outside this PID namespace: left alone. */
	snprintf(dir, sizeof(dir), "%s/" CLUSTER_PREFIX "test%d-foreign", cgroup_v2_root(),
		 test_pid);
	CHECK(cgroup_event_read(dir, "populated") == 1);
	return 0;
}

Test(cluster_cgroup, clean_removes_a_leftover_cgroup_and_its_process)
{
	const char *why = netns_skip_reason();

	if (why)
		cr_skip_test("%s", why);
	if (!cgroup_v2_root())
		cr_skip_test("no cgroup v2 mount");
	test_pid = (int)getpid();
	cr_assert_eq(sandbox_run(clean_sandbox_main, foreign_plant), 0, "sandbox failed");
	cr_assert_gt(foreign_pid, 0);
	kill(foreign_pid, SIGKILL);
	cr_assert_eq(waitpid(foreign_pid, NULL, 0), foreign_pid);
	cr_assert(access(foreign_dir, F_OK) && errno == ENOENT, "sandbox_run removed it");
}
