/* SPDX-License-Identifier: MIT */
/* test_cluster_clean.c - cluster_clean() after a simulated crash, inside a private sandbox. */
#include <bpf/bpf.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster.h"
#include "errbuf.h"
#include "nemesis.h"
#include "netns_probe.h"
#include "partition.h"

/*
 * cluster_clean() acts on the whole machine. So that it cannot touch anybody else's run, the
 * test runs in a sandbox: new PID namespace (its /proc shows only the sandbox), new mount
 * namespace with private tmpfs on /run/netns and /dev/shm and a private bpffs, and a new
 * network namespace standing in for the root one. Inside, a "harness" builds a named cluster
 * and is SIGKILLed; leftovers are planted; clean must remove all of it, twice idempotently.
 */
#define CHECK(cond, ...)                                                                  \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "sandbox:%d: %s: ", __LINE__, #cond);            \
			fprintf(stderr, __VA_ARGS__);                                     \
			fprintf(stderr, "\n");                                            \
			return __LINE__;                                                  \
		}                                                                         \
	} while (0)

static char run_id[16];

static void harness_run(int ready_fd)
{
	struct cluster_opts opts = { .node_count = 3, .run_id = run_id, .keep = true };
	char *argv[] = { "/bin/sleep", "1000", NULL };
	struct errbuf eb = { "" };
	struct nemesis *nem;
	struct cluster *c;
	char ok = 1;

	if (cluster_setup(&c, &opts, &eb) || cluster_node_start(c, 0, argv, NULL, &eb) ||
	    cluster_node_start(c, 2, argv, NULL, &eb) || nem_partition_new(&nem, &eb) ||
	    nem_setup(nem, c, &eb)) {
		fprintf(stderr, "harness: %s\n", eb.msg);
		_exit(1);
	}
	if (write(ready_fd, &ok, 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

/* Forks a /bin/sleep that is ours by environment (@marked) or by namespace (@ns_path). */
static pid_t leftover_start(bool marked, const char *ns_path)
{
	int exec_pipe[2], fd;
	char byte;
	pid_t pid;

	if (pipe2(exec_pipe, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		if (marked)
			setenv(CLUSTER_RUN_ENV, run_id, 1);
		fd = ns_path ? open(ns_path, O_RDONLY) : -1;
		if (!ns_path || (fd >= 0 && !setns(fd, CLONE_NEWNET)))
			execl("/bin/sleep", "sleep", "1000", (char *)NULL);
		byte = 1;
		if (write(exec_pipe[1], &byte, 1) != 1)
			_exit(126);
		_exit(127);
	}
	close(exec_pipe[1]);
	if (read(exec_pipe[0], &byte, 1) != 0)        /* EOF: exec happened */
		pid = -1;
	close(exec_pipe[0]);
	return pid;
}

static int sandbox_mounts(bool *bpffs)
{
	CHECK(!mount("", "/", NULL, MS_PRIVATE | MS_REC, NULL), "%s", strerror(errno));
	CHECK(!mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), "%s",
	      strerror(errno));
	CHECK(!mkdir("/run/netns", 0755) || errno == EEXIST, "%s", strerror(errno));
	CHECK(!mount("tmpfs", "/run/netns", "tmpfs", 0, "mode=0755"), "%s", strerror(errno));
	CHECK(!mount("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777"), "%s", strerror(errno));
	*bpffs = !mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL);
	return 0;
}

static int crash_harness(void)
{
	int ready[2], status;
	char byte;
	pid_t pid;

	CHECK(!pipe(ready), "pipe");
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		harness_run(ready[1]);
	}
	close(ready[1]);
	CHECK(read(ready[0], &byte, 1) == 1, "harness did not get ready");
	close(ready[0]);
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status), "harness reaped");
	return 0;
}

static int plant_link_pin_shm(bool bpffs, char *link_name, size_t link_size)
{
	char peer[IFNAMSIZ], path[128];
	struct nl_sock *sk;
	int fd;

	snprintf(link_name, link_size, CLUSTER_PREFIX "%.8sa", run_id);
	snprintf(peer, sizeof(peer), CLUSTER_PREFIX "%.8sb", run_id);
	sk = nl_socket_alloc();
	CHECK(sk && !nl_connect(sk, NETLINK_ROUTE), "netlink");
	CHECK(!rtnl_link_veth_add(sk, link_name, peer, getpid()), "veth %s", link_name);
	nl_socket_free(sk);
	CHECK(if_nametoindex(link_name) > 0, "%s exists", link_name);
	if (bpffs) {
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fl_pin", 4, 4, 1, NULL);
		CHECK(fd >= 0, "bpf_map_create %d", fd);
		snprintf(path, sizeof(path), "/sys/fs/bpf/" CLUSTER_PREFIX "%s-map", run_id);
		CHECK(!bpf_obj_pin(fd, path), "pin %s", path);
		close(fd);
	}
	snprintf(path, sizeof(path), "/dev/shm/" CLUSTER_PREFIX "%s-clock", run_id);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0, "create %s", path);
	close(fd);
	return 0;
}

static int check_killed(pid_t pid)
{
	int status;

	CHECK(waitpid(pid, &status, 0) == pid, "reap %d", (int)pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "pid %d SIGKILLed", (int)pid);
	return 0;
}

static int clean_and_verify(bool bpffs, const char *link_name, pid_t marked, pid_t inside)
{
	struct cluster_clean_report r;
	struct errbuf eb = { "" };
	char prefix[32];
	int err;

	err = cluster_clean(&r, &eb);
	CHECK(err == 0, "cluster_clean: %s (%d)", eb.msg, err);
	fprintf(stderr, "clean: killed %u, namespaces %u, links %u, files %u\n",
		r.processes_killed, r.namespaces_removed, r.links_removed, r.files_removed);
	CHECK(r.processes_killed >= 2, "%u", r.processes_killed);
	CHECK(r.namespaces_removed == 4, "%u", r.namespaces_removed);
	CHECK(r.links_removed >= 1, "%u", r.links_removed);
	CHECK(r.files_removed == (bpffs ? 2u : 1u), "%u", r.files_removed);
	err = check_killed(marked);
	if (!err)
		err = check_killed(inside);
	if (err)
		return err;
	snprintf(prefix, sizeof(prefix), CLUSTER_PREFIX);
	CHECK(!netns_named(prefix), "nothing left in /run/netns");
	CHECK(if_nametoindex(link_name) == 0, "%s removed", link_name);
	err = cluster_clean(&r, &eb);
	CHECK(err == 0, "second clean: %s", eb.msg);
	CHECK(!r.processes_killed && !r.namespaces_removed && !r.links_removed &&
	      !r.files_removed, "second clean found nothing");
	return 0;
}

static int sandbox_main(void)
{
	char link_name[IFNAMSIZ], ns_path[128];
	pid_t marked, inside;
	bool bpffs, left = true;
	int err;

	err = sandbox_mounts(&bpffs);
	if (!err)
		err = crash_harness();
	if (err)
		return err;
	snprintf(ns_path, sizeof(ns_path), "/run/netns/" CLUSTER_PREFIX "%s-n2", run_id);
	CHECK(access(ns_path, F_OK) == 0, "the crash left %s", ns_path);
	marked = leftover_start(true, NULL);
	inside = leftover_start(false, ns_path);
	CHECK(marked > 0 && inside > 0, "leftover processes started");
	err = plant_link_pin_shm(bpffs, link_name, sizeof(link_name));
	if (!err)
		err = clean_and_verify(bpffs, link_name, marked, inside);
	for (int tries = 0; !err && left && tries < 50; tries++) {
		left = bpf_prog_named("fl_partition");
		if (left)
			usleep(20000);
	}
	CHECK(err || !left, "fl_partition died with the harness");
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return err;
}

Test(cluster_clean, removes_what_a_crashed_keep_run_left)
{
	const char *why = netns_skip_reason();
	int status;
	pid_t outer, inner;

	if (why)
		cr_skip_test("%s", why);
	snprintf(run_id, sizeof(run_id), "tz%x", (unsigned)getpid() & 0xffff);
	outer = fork();
	cr_assert_geq(outer, 0);
	if (outer == 0) {
		if (unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET))
			_exit(2);
		inner = fork();
		if (inner == 0)
			_exit(sandbox_main() ? 1 : 0);
		if (inner < 0 || waitpid(inner, &status, 0) != inner)
			_exit(3);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 4);
	}
	cr_assert_eq(waitpid(outer, &status, 0), outer);
	cr_assert(WIFEXITED(status), "sandbox crashed");
	cr_assert_eq(WEXITSTATUS(status), 0, "sandbox failed, see stderr");
}
