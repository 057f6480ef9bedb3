/* SPDX-License-Identifier: MIT */
/* node_procs.c - fork and exec node processes into their logs and namespaces, notice one
 * that ended, read their CPU time, stop them all. */
#include "node_procs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"

enum {
	PROC_PATH_BYTES = 64,           /* "/proc/<pid>/schedstat" and its NUL */
	STAT_LINE_BYTES = 512,          /* /proc/<pid>/stat up to stime, comm included */
	STOP_POLL_NS = 10000000,        /* between reaping rounds while they stop */
};

void node_procs_path(const char *dir, uint32_t i, const char *suffix, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/n%" PRIu32 "%s", dir, i + 1, suffix);

	ASSERT(n > 0 && (size_t)n < size);
}

void node_procs_argv_add(char *argv[], size_t size, uint32_t *n, ...)
{
	va_list ap;
	char *arg;

	va_start(ap, n);
	while ((arg = va_arg(ap, char *)) != NULL) {
		ASSERT(*n + 1 < size);
		argv[(*n)++] = arg;
	}
	va_end(ap);
	ASSERT(*n < size);
	argv[*n] = NULL;
}

/* In the child: dies with the caller, keeps out of its terminal's signals, enters its
 * namespace (@ns_fd, or -1), logs to @log, execs. */
static __attribute__((noreturn)) void child_exec(char *const argv[], const char *log,
						 pid_t parent, int ns_fd)
{
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC), fd;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(127);
	setpgid(0, 0);
	if (ns_fd >= 0 && setns(ns_fd, CLONE_NEWNET))
		_exit(125);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (in < 0 || fd < 0 || dup2(in, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(126);
	execv(argv[0], argv);
	_exit(127);
}

int node_procs_spawn(char *const argv[], const char *dir, uint32_t i, int ns_fd,
		     pid_t *pid_out, struct errbuf *eb)
{
	char log[NODE_PROCS_PATH_BYTES_MAX];
	pid_t parent = getpid();

	ASSERT(argv && argv[0] && dir && pid_out);
	node_procs_path(dir, i, ".log", log, sizeof(log));
	*pid_out = fork();
	if (*pid_out == 0)
		child_exec(argv, log, parent, ns_fd);
	if (*pid_out < 0)
		return errbuf_set(eb, -errno, "fork n%" PRIu32, i + 1);
	return 0;
}

/* The last line of @dir/n<@i+1>.log, cut to @size, into @buf. */
static const char *log_tail(const char *dir, uint32_t i, char *buf, size_t size)
{
	char path[NODE_PROCS_PATH_BYTES_MAX], tail[NODE_PROCS_TAIL_BYTES_MAX + 1], *line;
	ssize_t n = -1;
	off_t end;
	int fd;

	node_procs_path(dir, i, ".log", path, sizeof(path));
	snprintf(buf, size, "(no log, or an empty one)");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return buf;
	end = lseek(fd, 0, SEEK_END);
	if (end >= 0)
		n = pread(fd, tail, NODE_PROCS_TAIL_BYTES_MAX, end > NODE_PROCS_TAIL_BYTES_MAX
			  ? end - NODE_PROCS_TAIL_BYTES_MAX : 0);
	close(fd);
	if (n <= 0)
		return buf;
	tail[n] = '\0';
	while (n > 0 && tail[n - 1] == '\n')
		tail[--n] = '\0';
	line = strrchr(tail, '\n');
	snprintf(buf, size, "%s", line ? line + 1 : tail);
	return buf;
}

int node_procs_alive(pid_t pids[], uint32_t count, const char *dir, struct errbuf *eb)
{
	char tail[NODE_PROCS_TAIL_BYTES_MAX + 1];
	int status;

	for (uint32_t i = 0; i < count; i++) {
		if (pids[i] <= 0 || waitpid(pids[i], &status, WNOHANG) != pids[i])
			continue;
		pids[i] = -1;
		log_tail(dir, i, tail, sizeof(tail));
		return errbuf_set(eb, -ECHILD, "n%" PRIu32 " %s %d; its log ends: %s", i + 1,
				  WIFSIGNALED(status) ? "killed by signal" : "exited with status",
				  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
				  tail);
	}
	return 0;
}

/* Reap, without waiting, those of @pids that ended (each to -1). Return: how many run. */
static uint32_t reap_ended(pid_t pids[], uint32_t count)
{
	uint32_t left = 0;

	for (uint32_t i = 0; i < count; i++) {
		if (pids[i] > 0 && waitpid(pids[i], NULL, WNOHANG) == 0)
			left++;
		else
			pids[i] = -1;
	}
	return left;
}

void node_procs_stop(pid_t pids[], uint32_t count)
{
	const struct timespec pause = { .tv_nsec = STOP_POLL_NS };
	int64_t deadline = monotime_ns() + NODE_PROCS_STOP_MS_MAX * INT64_C(1000000);

	for (uint32_t i = 0; i < count; i++) {
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	}
	while (reap_ended(pids, count) > 0 && monotime_ns() < deadline)
		nanosleep(&pause, NULL);
	for (uint32_t i = 0; i < count; i++) {
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			pids[i] = -1;
		}
	}
}

/* The CPU time @pid used, in ns: schedstat's first field (ns resolution), else utime +
 * stime from stat (clock ticks); 0 if neither can be read. */
static uint64_t proc_cpu_ns(pid_t pid)
{
	char path[PROC_PATH_BYTES], line[STAT_LINE_BYTES], *close_paren;
	unsigned long long user = 0, sys = 0, run_ns;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "re");
	if (f) {
		int got = fscanf(f, "%llu", &run_ns);

		fclose(f);
		if (got == 1)
			return run_ns;
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	close_paren = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
	fclose(f);
	/* After "pid (comm)": state, ppid, pgrp, session, tty, tpgid, flags, 4 fault counts,
	 * then utime and stime (fields 14 and 15). */
	if (hz <= 0 || !close_paren || sscanf(close_paren + 1, " %*c %*d %*d %*d %*d %*d %*u "
					      "%*u %*u %*u %*u %llu %llu", &user, &sys) != 2)
		return 0;
	return (user + sys) * (1000000000ull / (unsigned long long)hz);
}

double node_procs_cpu_s(const pid_t pids[], uint32_t count)
{
	uint64_t ns = 0;

	for (uint32_t i = 0; i < count; i++) {
		if (pids[i] > 0)
			ns += proc_cpu_ns(pids[i]);
	}
	return (double)ns / 1e9;
}
