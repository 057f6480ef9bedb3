/* SPDX-License-Identifier: MIT */
/* chord_procs.h - a ring of real chord-node processes for bench-chord-nodes, in a cluster's
 * network namespaces or on 127.0.0.1: spawned (a stable base, joiners, spares), their state
 * lines fetched and judged against the ideal ring computed from the ids, spares told to
 * join, and every process stopped. */
#ifndef CHORD_PROCS_H
#define CHORD_PROCS_H

#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "chord_id.h"
#include "line_conn.h"
#include "replica_args.h"

struct cluster;
struct errbuf;

enum {
	CPROCS_NODES_MAX = REPLICA_ARGS_REPLICAS_MAX,   /* chord-node's --replicas bound */
	CPROCS_SUCC_R = 3,                      /* --succ-list, as chord-node's default */
	CPROCS_BITS = CHORD_BITS_DEFAULT,       /* --bits: 32 */
	/* chord-node's state line (chord_net.c: 8192 bytes with its newline) and a NUL. */
	CPROCS_STATE_BYTES_MAX = 8192 + 1,
	CPROCS_WHY_BYTES_MAX = 192,             /* why a ring is not (yet) ideal */
	CPROCS_PATH_BYTES_MAX = 256,            /* the folder of the node logs, and a log */
	CPROCS_ROUND_MS_MAX = 5000,             /* one round of state lines */
	CPROCS_PORT_LAST = 32767,               /* below Linux's ephemeral ports */
};

/* What to start. Node i (0 .. count-1) is n<i+1> with the id chord_hash("n<i+1>"). */
struct cprocs_opts {
	const char *exe;                /* chord-node */
	const char *dir;                /* an existing folder: the logs go there */
	uint32_t count;                 /* processes, 1 .. CPROCS_NODES_MAX: --replicas */
	uint32_t base;                  /* --base: nodes 0 .. base-1, 1 .. members */
	uint32_t members;               /* nodes base .. members-1 join; the rest are --spare */
	uint32_t tick_ms;               /* --gossip-ms */
	const char *bug;                /* --bug NAME for every node, or NULL */
	uint16_t port_first;            /* node ports are probed from here up */
	uint64_t seed;                  /* --seed */
	const volatile sig_atomic_t *stop;      /* set by a signal: waits end with -EINTR */
	/* NULL: every node on 127.0.0.1 in the caller's namespace. Else node i runs in the
	 * cluster's namespace i mod its node count, at that namespace's address, and the
	 * caller is in the switch namespace (cluster_enter_switch()). */
	const struct cluster *cluster;
};

struct cprocs_node {
	pid_t pid;                      /* -1 once reaped */
	uint64_t id;
	bool member;                    /* expected on the ring (spares: after cprocs_join()) */
	struct in_addr addr;            /* where it listens */
	uint16_t tcp_port, udp_port;
	struct line_conn conn;          /* to the state lines; its buffer is the ring's */
};

/* One round of state lines judged: ring = every member's predecessor and successor list
 * exact over the members and every other node idle; ideal = ring and every finger exact. */
struct cprocs_verdict {
	bool ring, ideal;
	uint32_t ring_bad, ideal_bad;   /* nodes that fail each */
	char why_ring[CPROCS_WHY_BYTES_MAX], why_ideal[CPROCS_WHY_BYTES_MAX];
};

/* cprocs_wait()'s times, from its @start_ns; -1: not reached. */
struct cprocs_times {
	int64_t ring_ns, ideal_ns;
	uint32_t rounds;
	struct cprocs_verdict last;
};

/* Invariants: sorted[0 .. member_count) are the members' ids, ascending and distinct. */
struct cprocs {
	struct cprocs_opts opts;
	struct chord_space space;
	struct cprocs_node *nodes;      /* [opts.count] */
	uint64_t *sorted;
	uint32_t member_count;
	int64_t started_ns;             /* monotonic, before the first spawn */
	char state[CPROCS_STATE_BYTES_MAX];     /* the reply being judged */
};

/*
 * cprocs_start() - pick free ports, spawn the nodes (stdout and stderr to DIR/n<i>.log),
 * and connect to each one's state port.
 * Return: 0 with *@out set; -ECHILD (a node exited: @eb has its status and last log line),
 *         -ETIMEDOUT (one did not listen), -EADDRINUSE, -EINTR, -ENOMEM or -errno; on an
 *         error every process started is stopped and *@out is NULL.
 */
int cprocs_start(struct cprocs **out, const struct cprocs_opts *o, struct errbuf *eb);

/* cprocs_stop() - SIGTERM, SIGKILL after 2 s, reap, remove the logs unless @keep_logs, free.
 * NULL is fine. */
void cprocs_stop(struct cprocs *c, bool keep_logs);

/* cprocs_judge() - one round: every node's state line, judged. Return: 0; -ECHILD, -errno. */
int cprocs_judge(struct cprocs *c, struct cprocs_verdict *v, struct errbuf *eb);

/*
 * cprocs_wait() - rounds every @poll_ms from @start_ns until ideal (or only ring, unless
 * @fingers) or @deadline_ns; @t gets the first round's end that was ring, and ideal.
 * Return: 0; -ETIMEDOUT (t->last says why); -EINTR; cprocs_judge()'s errors.
 */
int cprocs_wait(struct cprocs *c, bool fingers, int64_t start_ns, int64_t deadline_ns,
		uint32_t poll_ms, struct cprocs_times *t, struct errbuf *eb);

/* cprocs_join() - "join" to nodes members .. count-1, which are members from now on. */
int cprocs_join(struct cprocs *c, struct errbuf *eb);

/* cprocs_owner() - successor(@key) among the members: its id. */
uint64_t cprocs_owner(const struct cprocs *c, uint64_t key);

/* cprocs_cpu_s() - the CPU seconds (user and system) the live nodes used so far. */
double cprocs_cpu_s(const struct cprocs *c);

/* cprocs_alive() - are they all running? Return: 0; -ECHILD with @eb naming one that is not. */
int cprocs_alive(struct cprocs *c, struct errbuf *eb);

#endif /* CHORD_PROCS_H */
