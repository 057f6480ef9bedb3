/* SPDX-License-Identifier: MIT */
/* mr_node.h - mapreduce-node's roles (internal to the daemon): node 0 the coordinator, the
 * others workers; their bugs, and where each finds the others. */
#ifndef MR_NODE_H
#define MR_NODE_H

#include <netinet/in.h>
#include <stdint.h>

#include "mr_job.h"
#include "replica_args.h"

struct errbuf;

/* Bugs of the worker shell, beside the coordinator core's (MR_BUG_*, the low bits). */
enum mr_node_bug {
	MR_NODE_BUG_NON_ATOMIC_OUTPUT = 1u << 8,        /* a reduce writes its final in place */
	MR_NODE_BUG_DUPLICATE_COMMIT = 1u << 9,         /* a reduce appends to its final */
	MR_NODE_BUG_EXIT_BEFORE_COMMIT = 1u << 10,      /* done reported before the rename */
	MR_NODE_BUG_SHORT_TIMEOUT = 1u << 11,           /* the coordinator gives up on running
							 * tasks after MR_NODE_SHORT_TIMEOUT_MS */
};

enum {
	MR_NODE_SHORT_TIMEOUT_MS = 5,
	MR_NODE_TICK_MS = 20,                   /* the coordinator's ticks */
	MR_NODE_CLIENTS_MAX = 80,               /* the coordinator's connections: 2 a worker */
	MR_NODE_IO_MS = 2000,                   /* one request, one fetch, before a deadline */
	MR_NODE_COMMIT_DELAY_MS = 300,          /* exit-before-commit: the rename comes later */
};

/* Where a node's inputs and outputs are (given to every node alike), and its command line. */
struct mr_node_dirs {
	const char *input;                      /* the job's input files, read only */
	const char *output;                     /* where reduces commit mr-out-R */
	char *const *argv;                      /* a worker crashing in a task execs it again */
};

/* mr_node_bug_parse() - a --bug NAME to its flag. Return: 0 or -EINVAL. */
int mr_node_bug_parse(const char *name, uint32_t *bug);

/* mr_node_tcp_addr() - node @id's TCP address: its gossip address with the port one below
 * (7000 for 7001, the defaults; the harness keeps them so). False if @id is unknown. */
bool mr_node_tcp_addr(const struct replica_args *a, uint32_t id, struct sockaddr_in *out);

/* The roles; each serves until SIGTERM. Return: 0, or -errno with @eb set. */
int mr_coordinator_run(const struct replica_args *a, const struct mr_job *job,
		       const struct mr_node_dirs *dirs, struct errbuf *eb);
int mr_worker_run(const struct replica_args *a, const struct mr_job *job,
		  const struct mr_node_dirs *dirs, struct errbuf *eb);

#endif /* MR_NODE_H */
