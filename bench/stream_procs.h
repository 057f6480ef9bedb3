/* SPDX-License-Identifier: MIT */
/* stream_procs.h - one stream job of real stream-node processes for bench-stream-nodes, in a
 * cluster's network namespaces or on 127.0.0.1: spawned with their data folders, waited for
 * until each listens, and stopped with their folders removed. */
#ifndef STREAM_PROCS_H
#define STREAM_PROCS_H

#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "stream_job.h"

struct cluster;
struct errbuf;

enum {
	SPROCS_NODES_MAX = STREAM_JOB_SOURCES_MAX + STREAM_JOB_OPERATORS_MAX + 1,
	SPROCS_PATH_BYTES_MAX = 256,            /* the run folder, and a file in it */
	SPROCS_PORT_LAST = 32767,               /* below Linux's ephemeral ports */
	SPROCS_CLIENT_PORT = 7000,              /* in a namespace: stream-node's defaults */
	SPROCS_GOSSIP_PORT = 7001,
};

struct sprocs_opts {
	const char *exe;                /* stream-node */
	const char *dir;                /* an existing folder: n<i>.log, n<i>.data/ go there */
	const struct stream_job *job;   /* sources + operators + 1 nodes */
	uint16_t port_first;            /* loopback: node ports probed from here up */
	uint64_t seed;                  /* --seed */
	const char *bug;                /* --bug NAME for every node, or NULL */
	const volatile sig_atomic_t *stop;      /* set by a signal: the wait ends with -EINTR */
	/* NULL: every node on 127.0.0.1 in the caller's namespace. Else node i runs in the
	 * cluster's namespace i at its address, and the caller is in the switch namespace. */
	const struct cluster *cluster;
};

struct sprocs_node {
	pid_t pid;                      /* -1 once reaped */
	struct in_addr addr;            /* where it listens */
	uint16_t client_port, gossip_port;
};

struct sprocs {
	struct sprocs_opts opts;
	uint32_t count;                 /* stream_job_nodes(job) */
	struct sprocs_node nodes[SPROCS_NODES_MAX];
	int64_t started_ns;             /* monotonic, before the first spawn */
	int64_t listening_ns;           /* monotonic, when the last one listened */
};

/*
 * sprocs_start() - pick ports (loopback), spawn every node (--job as stream_job_format()
 * writes @o->job; stdout and stderr to DIR/n<i+1>.log; data in DIR/n<i+1>.data) and wait
 * until each accepts a TCP connection on its client port.
 * Return: 0; -ECHILD (a node exited: @eb has its status and last log line), -ETIMEDOUT,
 *         -EADDRINUSE, -EINTR or -errno; on an error every process started is stopped.
 */
int sprocs_start(struct sprocs *p, const struct sprocs_opts *o, struct errbuf *eb);

/* sprocs_stop() - SIGTERM, SIGKILL after 2 s, reap; then remove the logs and data folders
 * unless @keep. Idempotent. */
void sprocs_stop(struct sprocs *p, bool keep);

/* sprocs_alive() - are they all running? Return: 0; -ECHILD with @eb naming one that is not. */
int sprocs_alive(struct sprocs *p, struct errbuf *eb);

/* sprocs_output_path() - the sink's DIR/n<S+W+1>.data/output.jsonl into @buf. */
void sprocs_output_path(const struct sprocs *p, char *buf, size_t size);

/* sprocs_cpu_s() - the CPU seconds (user and system) the live nodes used so far. */
double sprocs_cpu_s(const struct sprocs *p);

#endif /* STREAM_PROCS_H */
