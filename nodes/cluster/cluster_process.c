/* SPDX-License-Identifier: MIT */
/* cluster_process.c - node processes: fork into a node namespace and cgroup, exec, kill, reap. */
#include "cluster_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"

/* Which step of the child failed, sent to the parent together with errno. */
enum child_step {
	STEP_DEATHSIG, STEP_SETNS, STEP_TIMENS, STEP_CGROUP, STEP_STDIO, STEP_FDS, STEP_ENV,
	STEP_EXEC
};

static const char *const step_names[] = {
	[STEP_DEATHSIG] = "prctl(PR_SET_PDEATHSIG)",
	[STEP_SETNS] = "setns into node namespace",
	[STEP_TIMENS] = "setns into time namespace",
	[STEP_CGROUP] = "join node cgroup",
	[STEP_STDIO] = "redirect stdio",
	[STEP_FDS] = "close the parent's descriptors on exec",
	[STEP_ENV] = "set the environment",
	[STEP_EXEC] = "exec",
};

struct child_report {
	int step;
	int err;
};

/* The descriptors a child needs, all opened by the parent with O_CLOEXEC. */
struct child_fds {
	int log, null, report;
	int cgroup_procs;       /* the node cgroup's cgroup.procs, or -1 without cgroups */
};

static __attribute__((noreturn)) void child_fail(int report_fd, enum child_step step)
{
	struct child_report report = { .step = (int)step, .err = errno };
	ssize_t n;

	n = write(report_fd, &report, sizeof(report));
	(void)n;
	_exit(127);
}

/* Runs in the forked child only; never returns. */
static __attribute__((noreturn)) void child_run(const struct cluster *c, uint32_t node,
						char *const argv[], const struct child_fds *fds,
						const struct cluster_start_opts *opts, pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL))
		child_fail(fds->report, STEP_DEATHSIG);
	if (getppid() != parent)
		_exit(127);     /* the parent died before PDEATHSIG was armed */
	setpgid(0, 0);
	if (setns(c->nodes[node].ns.fd, CLONE_NEWNET))
		child_fail(fds->report, STEP_SETNS);
	/* The child is single-threaded, which setns(CLONE_NEWTIME) needs; it moves at once. */
	if (opts->timens_fd >= 0 && setns(opts->timens_fd, CLONE_NEWTIME))
		child_fail(fds->report, STEP_TIMENS);
	/* "0" moves the writer; from here on everything this node forks is in the cgroup. */
	if (fds->cgroup_procs >= 0 && write(fds->cgroup_procs, "0", 1) != 1)
		child_fail(fds->report, STEP_CGROUP);
	if (dup2(fds->null, 0) < 0 || dup2(fds->log, 1) < 0 || dup2(fds->log, 2) < 0)
		child_fail(fds->report, STEP_STDIO);
	/*
	 * Nothing else of the parent's crosses exec, whoever opened it without O_CLOEXEC
	 * (libpcap's capture sockets did: a node that held 64 of them took over a second to
	 * exit, each packet socket's close waiting for RCU).
	 */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC))
		child_fail(fds->report, STEP_FDS);
	if (setenv(CLUSTER_RUN_ENV, c->run_id, 1))
		child_fail(fds->report, STEP_ENV);
	/* The strings are the parent's, copied by fork and alive until exec. */
	for (const char *const *e = opts->env; e && *e; e++)
		if (putenv((char *)*e))
			child_fail(fds->report, STEP_ENV);
	execv(argv[0], argv);
	child_fail(fds->report, STEP_EXEC);
}

/* Reads the child's report: 0 bytes (pipe closed by exec) means the exec succeeded. */
static int child_wait_exec(pid_t pid, int report_fd, const char *path, struct errbuf *eb)
{
	struct child_report report;
	ssize_t n;

	do {
		n = read(report_fd, &report, sizeof(report));
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	waitpid(pid, NULL, 0);
	if (n != (ssize_t)sizeof(report))
		return errbuf_set(eb, -EPROTO, "%s: child died before exec", path);
	ASSERT(report.step >= 0 && report.step <= STEP_EXEC);
	return errbuf_set(eb, report.err > 0 ? -report.err : -EIO, "%s: %s", path,
			  step_names[report.step]);
}

/* Opens everything but the report pipe; on error nothing stays open. */
static int fds_open(const struct cluster_node *n, const char *log_path, struct child_fds *fds,
		    struct errbuf *eb)
{
	char path[CLUSTER_CGROUP_PATH_BYTES_MAX + 16];
	int err;

	fds->log = fds->cgroup_procs = fds->report = -1;
	fds->null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fds->null < 0)
		return errbuf_set(eb, -errno, "open /dev/null");
	if (log_path)
		fds->log = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	else
		fds->log = fcntl(fds->null, F_DUPFD_CLOEXEC, 0);
	if (fds->log < 0) {
		err = errbuf_set(eb, -errno, "open log %s", log_path ? log_path : "/dev/null");
		goto out_null;
	}
	if (!n->cgroup[0])
		return 0;
	snprintf(path, sizeof(path), "%s/cgroup.procs", n->cgroup);
	fds->cgroup_procs = open(path, O_WRONLY | O_CLOEXEC);
	if (fds->cgroup_procs >= 0)
		return 0;
	err = errbuf_set(eb, -errno, "open %s", path);
	close(fds->log);
out_null:
	close(fds->null);
	return err;
}

static void fds_close(struct child_fds *fds)
{
	close(fds->log);
	close(fds->null);
	if (fds->cgroup_procs >= 0)
		close(fds->cgroup_procs);
}

/*
 * Kills whatever is left of a node: the whole cgroup (daemonised children included), or
 * without cgroups the process group. Then the node is thawed, so that a restart does not
 * freeze before exec. The leader @n->pid, if any, is reaped by the caller.
 */
static int node_sweep(struct cluster_node *n, struct errbuf *eb)
{
	int err = 0;

	if (n->cgroup[0]) {
		err = cluster_cgroup_kill(n->cgroup, eb);
		/* Frozen by us, or by another process (a hand `faultline nemesis pause`). */
		if (!err && (n->frozen || cluster_cgroup_event(n->cgroup, "frozen") == 1))
			err = cluster_cgroup_freeze(n->cgroup, false, eb);
	} else if (n->pid > 0 && kill(-n->pid, SIGKILL) && errno != ESRCH) {
		err = errbuf_set(eb, -errno, "kill pgid %d", (int)n->pid);
	}
	if (!err)
		n->frozen = false;
	return err;
}

int cluster_node_start(struct cluster *c, uint32_t node, char *const argv[],
		       const char *log_path, struct errbuf *eb)
{
	static const struct cluster_start_opts plain = { .timens_fd = -1 };

	return cluster_node_start_opts(c, node, argv, log_path, &plain, eb);
}

static bool env_entries_valid(const char *const *env)
{
	uint32_t n = 0;

	for (; env && *env; env++, n++) {
		const char *eq = strchr(*env, '=');

		if (n >= CLUSTER_ENV_MAX || !eq || eq == *env)
			return false;
	}
	return true;
}

int cluster_node_start_opts(struct cluster *c, uint32_t node, char *const argv[],
			    const char *log_path, const struct cluster_start_opts *opts,
			    struct errbuf *eb)
{
	pid_t pid, parent = getpid();
	struct child_fds fds;
	int err, report[2];

	ASSERT(node < c->node_count);
	ASSERT(argv && argv[0]);
	ASSERT((pid_t)syscall(SYS_gettid) == c->owner_tid);
	ASSERT(opts);
	if (!env_entries_valid(opts->env))
		return errbuf_set(eb, -EINVAL, "start node %s: environment entries must be "
				  "NAME=value, at most %d", c->nodes[node].name, CLUSTER_ENV_MAX);
	if (c->attached)
		return errbuf_set(eb, -EOPNOTSUPP, "start node %s: run %s is attached; the "
				  "process that set it up launches its nodes",
				  c->nodes[node].name, c->run_id);
	if (c->nodes[node].pid > 0)
		return errbuf_set(eb, -EBUSY, "node %s already runs (pid %d)",
				  c->nodes[node].name, (int)c->nodes[node].pid);
	/* A frozen cgroup would freeze the child before exec; only a failed sweep leaves one. */
	err = c->nodes[node].frozen ? node_sweep(&c->nodes[node], eb) : 0;
	if (!err)
		err = fds_open(&c->nodes[node], log_path, &fds, eb);
	if (err)
		return err;
	if (pipe2(report, O_CLOEXEC)) {
		err = errbuf_set(eb, -errno, "pipe2");
		goto out_fds;
	}
	fds.report = report[1];
	pid = fork();
	if (pid < 0) {
		err = errbuf_set(eb, -errno, "fork");
		goto out_pipe;
	}
	if (pid == 0)
		child_run(c, node, argv, &fds, opts, parent);
	setpgid(pid, pid);      /* both sides set it, so kill(-pid) works at once */
	close(report[1]);
	report[1] = -1;
	err = child_wait_exec(pid, report[0], argv[0], eb);
	if (!err)
		c->nodes[node].pid = pid;
out_pipe:
	close(report[0]);
	if (report[1] >= 0)
		close(report[1]);
out_fds:
	fds_close(&fds);
	if (err)
		return errbuf_prefix(eb, err, "start node %s: ", c->nodes[node].name);
	return 0;
}

int cluster_node_kill(struct cluster *c, uint32_t node, struct errbuf *eb)
{
	struct cluster_node *n;
	int err;

	ASSERT(node < c->node_count);
	n = &c->nodes[node];
	if (c->attached && !n->cgroup[0])
		return errbuf_set(eb, -EOPNOTSUPP, "kill node %s: no cgroup to kill", n->name);
	if (n->pid <= 0 && !n->cgroup[0])
		return 0;
	err = node_sweep(n, eb);
	/* A timeout came after SIGKILL was sent (an exit can be slow): reap the leader anyway,
	 * so that teardown goes on, and report it. */
	if (err && err != -ETIMEDOUT)
		return errbuf_prefix(eb, err, "kill node %s: ", n->name);
	while (n->pid > 0 && waitpid(n->pid, NULL, 0) < 0) {
		if (errno != EINTR)
			break;  /* ECHILD: reaped elsewhere; the group is killed anyway */
	}
	n->pid = 0;
	if (err)
		return errbuf_prefix(eb, err, "kill node %s: ", n->name);
	ASSERT(!n->frozen);
	return 0;
}

pid_t cluster_node_pid(const struct cluster *c, uint32_t node)
{
	ASSERT(node < c->node_count);
	ASSERT(c->nodes[node].pid >= 0);
	return c->nodes[node].pid;
}

bool cluster_node_alive(struct cluster *c, uint32_t node)
{
	pid_t pid, got;

	ASSERT(node < c->node_count);
	if (c->attached)
		return c->nodes[node].cgroup[0] &&
		       cluster_cgroup_event(c->nodes[node].cgroup, "populated") == 1;
	pid = c->nodes[node].pid;
	if (pid <= 0)
		return false;
	got = waitpid(pid, NULL, WNOHANG);
	if (got == 0)
		return true;
	/*
	 * The leader is gone: sweep what is left of its cgroup or group now, while the group
	 * id still names only our processes (a reaped, empty group's id may be reused later).
	 */
	node_sweep(&c->nodes[node], NULL);
	c->nodes[node].pid = 0;
	return false;
}

int cluster_node_kill_all(struct cluster *c, struct errbuf *eb)
{
	int err, first = 0;
	uint32_t i;

	for (i = 0; i < c->node_count; i++) {
		err = cluster_node_kill(c, i, first ? NULL : eb);
		if (err && !first)
			first = err;
	}
	return first;
}

/* Fallback without cgroups: SIGSTOP/SIGCONT, which the process tree can see. */
static int node_signal(struct cluster_node *n, int sig, struct errbuf *eb)
{
	ASSERT(n->pid > 0);
	if (kill(-n->pid, sig) && errno != ESRCH)
		return errbuf_set(eb, -errno, "signal %d to pgid %d", sig, (int)n->pid);
	return 0;
}

int cluster_node_freeze(struct cluster *c, uint32_t node, struct errbuf *eb)
{
	struct cluster_node *n;
	int err;

	ASSERT(node < c->node_count);
	n = &c->nodes[node];
	if (c->attached && !n->cgroup[0])
		return errbuf_set(eb, -EOPNOTSUPP, "freeze node %s: no cgroup to freeze", n->name);
	if (c->attached ? !cluster_node_alive(c, node) : n->pid <= 0)
		return errbuf_set(eb, -ESRCH, "freeze node %s: not running", n->name);
	if (cluster_node_frozen(c, node))
		return 0;
	if (n->cgroup[0])
		err = cluster_cgroup_freeze(n->cgroup, true, eb);
	else
		err = node_signal(n, SIGSTOP, eb);
	if (err)
		return errbuf_prefix(eb, err, "freeze node %s: ", n->name);
	n->frozen = true;
	return 0;
}

int cluster_node_thaw(struct cluster *c, uint32_t node, struct errbuf *eb)
{
	struct cluster_node *n;
	int err;

	ASSERT(node < c->node_count);
	n = &c->nodes[node];
	if (!cluster_node_frozen(c, node))
		return 0;
	if (n->cgroup[0])
		err = cluster_cgroup_freeze(n->cgroup, false, eb);
	else
		err = n->pid > 0 ? node_signal(n, SIGCONT, eb) : 0;
	if (err)
		return errbuf_prefix(eb, err, "thaw node %s: ", n->name);
	n->frozen = false;
	return 0;
}

bool cluster_node_frozen(const struct cluster *c, uint32_t node)
{
	ASSERT(node < c->node_count);
	if (c->attached)
		return c->nodes[node].cgroup[0] &&
		       cluster_cgroup_event(c->nodes[node].cgroup, "frozen") == 1;
	if (c->nodes[node].frozen)
		ASSERT(c->nodes[node].pid > 0 || c->nodes[node].cgroup[0]);
	return c->nodes[node].frozen;
}

bool cluster_has_cgroups(const struct cluster *c)
{
	ASSERT(c);
	if (c->cgroups)
		ASSERT(c->nodes[0].cgroup[0]);
	return c->cgroups;
}
