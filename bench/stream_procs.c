/* SPDX-License-Identifier: MIT */
/* stream_procs.c - stream-node processes of one job in a cluster's namespaces or on 127.0.0.1:
 * ports, command lines, spawning, waiting for them to listen, CPU time, stopping, cleanup. */
#include "stream_procs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "errbuf.h"
#include "loopback_ports.h"
#include "fl_assert.h"
#include "monotime.h"

enum {
	ARG_BYTES_MAX = 40,             /* "15=255.255.255.255:65535", a number */
	ARGS_FIXED = 24,                /* argv entries besides the --peer pairs */
	LISTEN_MS_MAX = 10000,          /* every node listens within this */
	STOP_MS_MAX = 2000,             /* SIGTERM to SIGKILL */
	LOG_TAIL_BYTES = 160,           /* the end of a log quoted when its node exits */
	NFTW_FDS = 8,
};

/* A node's command line: the strings every node shares, and its own. */
struct command {
	char peers[SPROCS_NODES_MAX][ARG_BYTES_MAX + 16];       /* "J=ADDRESS:GOSSIP" */
	char id[ARG_BYTES_MAX], count[ARG_BYTES_MAX], listen[ARG_BYTES_MAX];
	char port[ARG_BYTES_MAX], seed[ARG_BYTES_MAX];
	char data[SPROCS_PATH_BYTES_MAX], job[STREAM_JOB_TEXT_BYTES_MAX];
	char *argv[2 * SPROCS_NODES_MAX + ARGS_FIXED];
};

static void node_path(const struct sprocs *p, uint32_t i, const char *suffix, char *buf,
		      size_t size)
{
	int n = snprintf(buf, size, "%s/n%" PRIu32 "%s", p->opts.dir, i + 1, suffix);

	ASSERT(n > 0 && (size_t)n < size);
}

void sprocs_output_path(const struct sprocs *p, char *buf, size_t size)
{
	node_path(p, p->count - 1, ".data/output.jsonl", buf, size);
}

/* The last line of node @i's log, cut to @size, into @buf. */
static const char *log_tail(const struct sprocs *p, uint32_t i, char *buf, size_t size)
{
	char path[SPROCS_PATH_BYTES_MAX], tail[LOG_TAIL_BYTES + 1], *line;
	ssize_t n = -1;
	off_t end;
	int fd;

	node_path(p, i, ".log", path, sizeof(path));
	snprintf(buf, size, "(no log, or an empty one)");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return buf;
	end = lseek(fd, 0, SEEK_END);
	if (end >= 0)
		n = pread(fd, tail, LOG_TAIL_BYTES,
			  end > LOG_TAIL_BYTES ? end - LOG_TAIL_BYTES : 0);
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

int sprocs_alive(struct sprocs *p, struct errbuf *eb)
{
	char tail[LOG_TAIL_BYTES + 1];
	int status;

	for (uint32_t i = 0; i < p->count; i++) {
		pid_t pid = p->nodes[i].pid;

		if (pid <= 0 || waitpid(pid, &status, WNOHANG) != pid)
			continue;
		p->nodes[i].pid = -1;
		log_tail(p, i, tail, sizeof(tail));
		return errbuf_set(eb, -ECHILD, "n%" PRIu32 " %s %d; its log ends: %s", i + 1,
				  WIFSIGNALED(status) ? "killed by signal" : "exited with status",
				  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
				  tail);
	}
	return 0;
}

/* ---- Ports --------------------------------------------------------------------------- */

/* Namespaces: each node at its own address with the default ports. Loopback: node i at
 * TCP first + 2i, UDP first + 2i + 1, in the first window of free ones. */
static int ports_pick(struct sprocs *p, struct errbuf *eb)
{
	uint32_t first;
	int err;

	if (p->opts.cluster) {
		for (uint32_t i = 0; i < p->count; i++) {
			p->nodes[i].addr = cluster_node_addr(p->opts.cluster, i);
			p->nodes[i].client_port = SPROCS_CLIENT_PORT;
			p->nodes[i].gossip_port = SPROCS_GOSSIP_PORT;
		}
		return 0;
	}
	err = loopback_ports_find(p->count, p->opts.port_first, SPROCS_PORT_LAST, &first, eb);
	if (err < 0)
		return err;
	for (uint32_t i = 0; i < p->count; i++) {
		p->nodes[i].addr.s_addr = htonl(INADDR_LOOPBACK);
		p->nodes[i].client_port = (uint16_t)(first + 2 * i);
		p->nodes[i].gossip_port = (uint16_t)(first + 2 * i + 1);
	}
	return 0;
}

/* ---- Spawning ------------------------------------------------------------------------ */

/* "A.B.C.D:PORT" of node @i's gossip socket into @buf[ARG_BYTES_MAX]. */
static void gossip_text(const struct sprocs *p, uint32_t i, char *buf)
{
	char text[INET_ADDRSTRLEN];
	int n;

	ASSERT(inet_ntop(AF_INET, &p->nodes[i].addr, text, sizeof(text)));
	n = snprintf(buf, ARG_BYTES_MAX, "%s:%u", text, p->nodes[i].gossip_port);
	ASSERT(n > 0 && n < ARG_BYTES_MAX);
}

/* Node @i's argv into @cmd (the peers and the job text are filled already). */
static void command_fill(const struct sprocs *p, struct command *cmd, uint32_t i)
{
	uint32_t n = 0;

	snprintf(cmd->id, ARG_BYTES_MAX, "%" PRIu32, i);
	gossip_text(p, i, cmd->listen);
	snprintf(cmd->port, ARG_BYTES_MAX, "%u", p->nodes[i].client_port);
	node_path(p, i, ".data", cmd->data, sizeof(cmd->data));
	cmd->argv[n++] = (char *)p->opts.exe;
	cmd->argv[n++] = "--id";
	cmd->argv[n++] = cmd->id;
	cmd->argv[n++] = "--replicas";
	cmd->argv[n++] = cmd->count;
	cmd->argv[n++] = "--listen";
	cmd->argv[n++] = cmd->listen;
	cmd->argv[n++] = "--client-port";
	cmd->argv[n++] = cmd->port;
	cmd->argv[n++] = "--data-dir";
	cmd->argv[n++] = cmd->data;
	cmd->argv[n++] = "--job";
	cmd->argv[n++] = cmd->job;
	cmd->argv[n++] = "--seed";
	cmd->argv[n++] = cmd->seed;
	if (p->opts.bug) {
		cmd->argv[n++] = "--bug";
		cmd->argv[n++] = (char *)p->opts.bug;
	}
	for (uint32_t j = 0; j < p->count; j++) {
		if (j == i)
			continue;
		cmd->argv[n++] = "--peer";
		cmd->argv[n++] = cmd->peers[j];
	}
	ASSERT(n < ARRAY_SIZE(cmd->argv));
	cmd->argv[n] = NULL;
}

/* In the child: dies with the bench, keeps out of its terminal's signals, enters its
 * namespace (@ns_fd, or -1), logs, execs. */
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

static int spawn_all(struct sprocs *p, struct errbuf *eb)
{
	struct command *cmd = calloc(1, sizeof(*cmd));
	char log[SPROCS_PATH_BYTES_MAX];
	pid_t parent = getpid();

	if (!cmd)
		return errbuf_set(eb, -ENOMEM, "command lines");
	for (uint32_t j = 0; j < p->count; j++) {
		char at[ARG_BYTES_MAX];

		gossip_text(p, j, at);
		snprintf(cmd->peers[j], sizeof(cmd->peers[j]), "%" PRIu32 "=%s", j, at);
	}
	snprintf(cmd->count, ARG_BYTES_MAX, "%" PRIu32, p->count);
	snprintf(cmd->seed, ARG_BYTES_MAX, "%" PRIu64, p->opts.seed);
	stream_job_format(p->opts.job, cmd->job, sizeof(cmd->job));
	p->started_ns = monotime_ns();
	for (uint32_t i = 0; i < p->count; i++) {
		command_fill(p, cmd, i);
		node_path(p, i, ".log", log, sizeof(log));
		p->nodes[i].pid = fork();
		if (p->nodes[i].pid == 0)
			child_exec(cmd->argv, log, parent, p->opts.cluster
				   ? cluster_node_ns_fd(p->opts.cluster, i) : -1);
		if (p->nodes[i].pid < 0) {
			free(cmd);
			return errbuf_set(eb, -errno, "fork n%" PRIu32, i + 1);
		}
	}
	free(cmd);
	return 0;
}

/* One TCP connection to node @i's client port, closed at once. Return: 0 or -errno. */
static int probe(const struct sprocs_node *n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(n->client_port),
				 .sin_addr = n->addr };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Wait until every node accepts a connection (each binds its sockets before serving). */
static int wait_listening(struct sprocs *p, struct errbuf *eb)
{
	int64_t deadline = monotime_ns() + LISTEN_MS_MAX * INT64_C(1000000);
	const struct timespec pause = { .tv_nsec = 5000000 };

	for (uint32_t i = 0; i < p->count; i++) {
		int err;

		while ((err = probe(&p->nodes[i])) < 0) {
			if (*p->opts.stop)
				return -EINTR;
			if (sprocs_alive(p, eb) < 0)
				return -ECHILD;
			if (monotime_ns() >= deadline)
				return errbuf_set(eb, -ETIMEDOUT, "n%" PRIu32 " not listening "
						  "after %d ms: %s", i + 1, LISTEN_MS_MAX,
						  strerror(-err));
			nanosleep(&pause, NULL);
		}
	}
	p->listening_ns = monotime_ns();
	return 0;
}

int sprocs_start(struct sprocs *p, const struct sprocs_opts *o, struct errbuf *eb)
{
	int err;

	ASSERT(p && o && o->exe && o->dir && o->job && o->stop);
	*p = (struct sprocs){ .opts = *o, .count = stream_job_nodes(o->job) };
	ASSERT(p->count <= SPROCS_NODES_MAX);
	for (uint32_t i = 0; i < p->count; i++)
		p->nodes[i].pid = -1;
	err = ports_pick(p, eb);
	if (err == 0)
		err = spawn_all(p, eb);
	if (err == 0)
		err = wait_listening(p, eb);
	if (err < 0)
		sprocs_stop(p, true);
	return err;
}

/* ---- Stopping ------------------------------------------------------------------------ */

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void sprocs_stop(struct sprocs *p, bool keep)
{
	const struct timespec pause = { .tv_nsec = 10000000 };
	int64_t deadline = monotime_ns() + STOP_MS_MAX * INT64_C(1000000);
	char path[SPROCS_PATH_BYTES_MAX];
	uint32_t left;

	for (uint32_t i = 0; i < p->count; i++) {
		if (p->nodes[i].pid > 0)
			kill(p->nodes[i].pid, SIGTERM);
	}
	do {
		left = 0;
		for (uint32_t i = 0; i < p->count; i++) {
			pid_t pid = p->nodes[i].pid;

			if (pid > 0 && waitpid(pid, NULL, WNOHANG) == 0)
				left++;
			else
				p->nodes[i].pid = -1;
		}
	} while (left && monotime_ns() < deadline && nanosleep(&pause, NULL) >= 0);
	for (uint32_t i = 0; i < p->count; i++) {
		if (p->nodes[i].pid > 0) {
			kill(p->nodes[i].pid, SIGKILL);
			waitpid(p->nodes[i].pid, NULL, 0);
			p->nodes[i].pid = -1;
		}
		if (keep)
			continue;
		node_path(p, i, ".log", path, sizeof(path));
		unlink(path);
		node_path(p, i, ".data", path, sizeof(path));
		nftw(path, remove_entry, NFTW_FDS, FTW_DEPTH | FTW_PHYS);
	}
}

/* The CPU time @pid used, in ns: schedstat's first field; 0 if it cannot be read. */
static uint64_t proc_cpu_ns(pid_t pid)
{
	unsigned long long run_ns = 0;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &run_ns) != 1)
		run_ns = 0;
	fclose(f);
	return run_ns;
}

double sprocs_cpu_s(const struct sprocs *p)
{
	uint64_t ns = 0;

	for (uint32_t i = 0; i < p->count; i++) {
		if (p->nodes[i].pid > 0)
			ns += proc_cpu_ns(p->nodes[i].pid);
	}
	return (double)ns / 1e9;
}
