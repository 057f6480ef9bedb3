/* SPDX-License-Identifier: MIT */
/* iptables.c - the one NFQUEUE rule in a namespace's FORWARD chain, via the iptables binary. */
#include "iptables.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"

enum {
	OUTPUT_BYTES_MAX = 160,         /* of iptables' complaint, kept for the errbuf */
	EXIT_SETNS = 126,               /* the child could not enter the namespace */
	EXIT_EXEC = 127,                /* the child could not exec */
	EXIT_CHECK_ABSENT = 1,          /* iptables -C: no such rule */
};

static const char *const op_flags[] = {
	[IPTABLES_APPEND] = "-A",
	[IPTABLES_DELETE] = "-D",
	[IPTABLES_CHECK] = "-C",
};

static const char *iptables_binary(void)
{
	if (!access(IPTABLES_LEGACY_PATH, X_OK))
		return IPTABLES_LEGACY_PATH;
	if (!access(IPTABLES_PATH, X_OK))
		return IPTABLES_PATH;
	return NULL;
}

/* The child: only async-signal-safe calls between fork and exec (threads may hold locks). */
static void child_run(int ns_fd, int out_fd, char *const argv[])
{
	if (dup2(out_fd, STDOUT_FILENO) < 0 || dup2(out_fd, STDERR_FILENO) < 0)
		_exit(EXIT_EXEC);
	if (setns(ns_fd, CLONE_NEWNET))
		_exit(EXIT_SETNS);
	execv(argv[0], argv);
	_exit(EXIT_EXEC);
}

/* Reads the child's output to EOF, keeping the first OUTPUT_BYTES_MAX - 1 bytes. */
static void output_read(int fd, char *out)
{
	char scratch[256];
	size_t used = 0;
	ssize_t n;
	bool room;

	for (;;) {      /* ends at EOF: iptables exits, or the child's exec failed */
		room = used + 1 < OUTPUT_BYTES_MAX;
		n = read(fd, room ? out + used : scratch,
			 room ? OUTPUT_BYTES_MAX - 1 - used : sizeof(scratch));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (used + 1 < OUTPUT_BYTES_MAX)
			used += (size_t)n;
	}
	ASSERT(used < OUTPUT_BYTES_MAX);
	out[used] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

static int status_to_err(int status, enum iptables_op op, const char *what, const char *out,
			 struct errbuf *eb)
{
	int code;

	if (!WIFEXITED(status))
		return errbuf_set(eb, -EIO, "%s: killed by signal %d", what, WTERMSIG(status));
	code = WEXITSTATUS(status);
	if (code == 0)
		return 0;
	if (op == IPTABLES_CHECK && code == EXIT_CHECK_ABSENT)
		return -ENOENT;
	if (code == EXIT_SETNS)
		return errbuf_set(eb, -EPERM, "%s: setns into the namespace failed", what);
	if (code == EXIT_EXEC)
		return errbuf_set(eb, -ENOEXEC, "%s: exec failed", what);
	return errbuf_set(eb, -EIO, "%s: exit %d: %s", what, code, out);
}

int iptables_queue_rule(int ns_fd, enum iptables_op op, uint16_t queue_num, struct errbuf *eb)
{
	const char *path = iptables_binary();
	char num[8], out[OUTPUT_BYTES_MAX], what[64];
	char *argv[] = { (char *)path, "-w", "5", (char *)op_flags[op], "FORWARD", "-j",
			 "NFQUEUE", "--queue-num", num, "--queue-bypass", NULL };
	int pipe_fds[2], status;
	pid_t pid;

	ASSERT(op <= IPTABLES_CHECK);
	ASSERT(ns_fd >= 0);
	if (!path)
		return errbuf_set(eb, -ENOENT, "neither %s nor %s exists", IPTABLES_LEGACY_PATH,
				  IPTABLES_PATH);
	snprintf(num, sizeof(num), "%u", queue_num);
	snprintf(what, sizeof(what), "%s %s FORWARD NFQUEUE %u", path, op_flags[op], queue_num);
	if (pipe2(pipe_fds, O_CLOEXEC))
		return errbuf_set(eb, -errno, "%s: pipe", what);
	pid = fork();
	if (pid == 0)
		child_run(ns_fd, pipe_fds[1], argv);
	close(pipe_fds[1]);
	if (pid < 0) {
		close(pipe_fds[0]);
		return errbuf_set(eb, -errno, "%s: fork", what);
	}
	output_read(pipe_fds[0], out);
	close(pipe_fds[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return errbuf_set(eb, -errno, "%s: waitpid", what);
	}
	return status_to_err(status, op, what, out, eb);
}
