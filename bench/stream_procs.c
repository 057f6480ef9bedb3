/* SPDX-License-Identifier: MIT */
/* stream_procs.c - stream-node processes of one job in a cluster's namespaces or on 127.0.0.1:
 * ports, command lines, spawning, waiting for them to listen, CPU time, stopping, cleanup. */
#include "stream_procs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "errbuf.h"
#include "loopback_ports.h"
#include "fl_assert.h"
#include "monotime.h"
#include "node_procs.h"

enum {
	ARG_BYTES_MAX = 40,             /* "15=255.255.255.255:65535", a number */
	ARGS_FIXED = 24,                /* argv entries besides the --peer pairs */
	LISTEN_MS_MAX = 10000,          /* every node listens within this */
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
	node_procs_path(p->opts.dir, i, suffix, buf, size);
}

/* The nodes' pids into @pids[SPROCS_NODES_MAX]. */
static void pids_get(const struct sprocs *p, pid_t *pids)
{
	for (uint32_t i = 0; i < p->count; i++)
		pids[i] = p->nodes[i].pid;
}

/* The nodes' pids back from @pids, where node_procs reaped some. */
static void pids_put(struct sprocs *p, const pid_t *pids)
{
	for (uint32_t i = 0; i < p->count; i++)
		p->nodes[i].pid = pids[i];
}

void sprocs_output_path(const struct sprocs *p, char *buf, size_t size)
{
	node_path(p, p->count - 1, ".data/output.jsonl", buf, size);
}

int sprocs_alive(struct sprocs *p, struct errbuf *eb)
{
	pid_t pids[SPROCS_NODES_MAX];
	int err;

	pids_get(p, pids);
	err = node_procs_alive(pids, p->count, p->opts.dir, eb);
	pids_put(p, pids);
	return err;
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
	node_procs_argv_add(cmd->argv, ARRAY_SIZE(cmd->argv), &n, (char *)p->opts.exe,
			    "--id", cmd->id, "--replicas", cmd->count, "--listen", cmd->listen,
			    "--client-port", cmd->port, "--data-dir", cmd->data, "--job", cmd->job,
			    "--seed", cmd->seed, NULL);
	if (p->opts.bug)
		node_procs_argv_add(cmd->argv, ARRAY_SIZE(cmd->argv), &n, "--bug",
				    (char *)p->opts.bug, NULL);
	for (uint32_t j = 0; j < p->count; j++) {
		if (j != i)
			node_procs_argv_add(cmd->argv, ARRAY_SIZE(cmd->argv), &n, "--peer",
					    cmd->peers[j], NULL);
	}
}

static int spawn_all(struct sprocs *p, struct errbuf *eb)
{
	struct command *cmd = calloc(1, sizeof(*cmd));
	int err = 0;

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
	for (uint32_t i = 0; i < p->count && err == 0; i++) {
		command_fill(p, cmd, i);
		err = node_procs_spawn(cmd->argv, p->opts.dir, i, p->opts.cluster
				       ? cluster_node_ns_fd(p->opts.cluster, i) : -1,
				       &p->nodes[i].pid, eb);
	}
	free(cmd);
	return err;
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
	char path[SPROCS_PATH_BYTES_MAX];
	pid_t pids[SPROCS_NODES_MAX];

	pids_get(p, pids);
	node_procs_stop(pids, p->count);
	pids_put(p, pids);
	for (uint32_t i = 0; i < p->count && !keep; i++) {
		node_path(p, i, ".log", path, sizeof(path));
		unlink(path);
		node_path(p, i, ".data", path, sizeof(path));
		nftw(path, remove_entry, NFTW_FDS, FTW_DEPTH | FTW_PHYS);
	}
}

double sprocs_cpu_s(const struct sprocs *p)
{
	pid_t pids[SPROCS_NODES_MAX];

	pids_get(p, pids);
	return node_procs_cpu_s(pids, p->count);
}
