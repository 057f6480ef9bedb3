/* SPDX-License-Identifier: MIT */
/* cluster_process.c - node processes: fork into a node namespace, exec, kill, reap. */
#include "cluster_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"

/* Which step of the child failed, sent to the parent together with errno. */
enum child_step { STEP_DEATHSIG, STEP_SETNS, STEP_STDIO, STEP_ENV, STEP_EXEC };

static const char *const step_names[] = {
	[STEP_DEATHSIG] = "prctl(PR_SET_PDEATHSIG)",
	[STEP_SETNS] = "setns into node namespace",
	[STEP_STDIO] = "redirect stdio",
	[STEP_ENV] = "setenv " CLUSTER_RUN_ENV,
	[STEP_EXEC] = "exec",
};

struct child_report {
	int step;
	int err;
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
						char *const argv[], int log_fd, int null_fd,
						int report_fd, pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL))
		child_fail(report_fd, STEP_DEATHSIG);
	if (getppid() != parent)
		_exit(127);     /* the parent died before PDEATHSIG was armed */
	setpgid(0, 0);
	if (setns(c->nodes[node].ns.fd, CLONE_NEWNET))
		child_fail(report_fd, STEP_SETNS);
	if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
		child_fail(report_fd, STEP_STDIO);
	if (setenv(CLUSTER_RUN_ENV, c->run_id, 1))
		child_fail(report_fd, STEP_ENV);
	execv(argv[0], argv);
	child_fail(report_fd, STEP_EXEC);
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

static int stdio_open(const char *log_path, int *log_fd, int *null_fd, struct errbuf *eb)
{
	*null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (*null_fd < 0)
		return errbuf_set(eb, -errno, "open /dev/null");
	if (log_path)
		*log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	else
		*log_fd = fcntl(*null_fd, F_DUPFD_CLOEXEC, 0);
	if (*log_fd < 0) {
		int err = -errno;

		close(*null_fd);
		return errbuf_set(eb, err, "open log %s", log_path ? log_path : "/dev/null");
	}
	return 0;
}

int cluster_node_start(struct cluster *c, uint32_t node, char *const argv[],
		       const char *log_path, struct errbuf *eb)
{
	int err, log_fd = -1, null_fd = -1, report[2];
	pid_t pid, parent = getpid();

	ASSERT(node < c->node_count);
	ASSERT(argv && argv[0]);
	ASSERT((pid_t)syscall(SYS_gettid) == c->owner_tid);
	if (c->nodes[node].pid > 0)
		return errbuf_set(eb, -EBUSY, "node %s already runs (pid %d)",
				  c->nodes[node].name, (int)c->nodes[node].pid);
	err = stdio_open(log_path, &log_fd, &null_fd, eb);
	if (err)
		return err;
	if (pipe2(report, O_CLOEXEC)) {
		err = errbuf_set(eb, -errno, "pipe2");
		goto out_stdio;
	}
	pid = fork();
	if (pid < 0) {
		err = errbuf_set(eb, -errno, "fork");
		goto out_pipe;
	}
	if (pid == 0)
		child_run(c, node, argv, log_fd, null_fd, report[1], parent);
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
out_stdio:
	close(log_fd);
	close(null_fd);
	if (err)
		return errbuf_prefix(eb, err, "start node %s: ", c->nodes[node].name);
	return 0;
}

int cluster_node_kill(struct cluster *c, uint32_t node, struct errbuf *eb)
{
	pid_t pid;

	ASSERT(node < c->node_count);
	pid = c->nodes[node].pid;
	if (pid <= 0)
		return 0;
	if (kill(-pid, SIGKILL) && errno != ESRCH)
		return errbuf_set(eb, -errno, "kill node %s (pgid %d)", c->nodes[node].name,
				  (int)pid);
	while (waitpid(pid, NULL, 0) < 0) {
		if (errno != EINTR)
			break;  /* ECHILD: reaped elsewhere; the group is killed anyway */
	}
	c->nodes[node].pid = 0;
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
	pid = c->nodes[node].pid;
	if (pid <= 0)
		return false;
	got = waitpid(pid, NULL, WNOHANG);
	if (got == 0)
		return true;
	/*
	 * The leader is gone: sweep what is left of its group now, while the group id still
	 * names only our processes (a reaped, empty group's id may be reused later).
	 */
	kill(-pid, SIGKILL);
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
