/* SPDX-License-Identifier: MIT */
/* churn.h - the churn nemesis: members of a ring overlay crash or leave, spares join. */
#ifndef CHURN_H
#define CHURN_H

#include <stdbool.h>
#include <stdint.h>

#include "nemesis.h"
#include "proc.h"

struct errbuf;

enum {
	NEM_CHURN_LINE_TIMEOUT_NS = 1000 * 1000000,     /* connect, request, reply */
	NEM_CHURN_POLL_NS = 20 * 1000000,               /* between two "state" asks */
	NEM_CHURN_STATE_BYTES_MAX = 8192,               /* one "state" reply */
};

/*
 * What the system says about its ring: every node's position on the ring (@ids, distinct,
 * @node_count of them, node i at @ids[i]), the successor list length r, which nodes start
 * as spares (the last @spares: idle processes, members only once told "join"), and the TCP
 * line port where a node takes "join" and "leave" (answering "ok ...") and "state" (one
 * JSON line holding "joined":true once it is a member).
 */
struct nem_churn_config {
	uint32_t node_count, spares, succ_list;
	const uint64_t *ids;            /* copied */
	uint16_t port;
	int64_t settle_ns;              /* a node removed this recently may still be in lists */
	int64_t join_wait_ns;           /* a join not done by then is called off */
	bool unsafe;                    /* Zave's failure assumption lifted (see below) */
	nem_proc_restart_fn *restart;   /* starts a crashed node's process again */
	void *restart_ctx;
};

/*
 * The "churn" nemesis (fs NEM_F_CHURN). It knows the membership: the nodes that are not
 * spares start as members. invoke understands:
 *   "crash": a member drawn from the prng is killed (cluster_node_kill) and stays down.
 *     Value {"crashed":["n3"]}.
 *   "leave": a member drawn from the prng is told "leave" and leaves gracefully (its
 *     process stays, idle). Value {"left":["n3"]}; if it does not answer it is killed
 *     instead: {"crashed":["n3"],"why":"..."}.
 *   "join": while fewer than node_count - spares are members, an idle node or a crashed
 *     one (restarted first) drawn from the prng is told "join", then asked "state" until it
 *     is a member. Value {"joined":["n9"]} (with "restarted":true after a crash); a join
 *     not done within join_wait_ns is called off with "leave" (the node idles):
 *     {"join-failed":["n9"]}, or, if even that fails, killed: "crashed" too.
 *   Nothing to do gives {"noop":"why"}.
 * So after every op each node's membership is known, and the value names every change.
 * Removals keep Zave's failure assumption: never fewer than r+1 members, and never a
 * removal that leaves some member with all of its r successors (over the members and the
 * nodes removed within settle_ns) dead or gone, nor with no live node in the successor
 * list it reports ("state": "succ":[{"id":ID,...}]; a partition can shorten a list, and a
 * member that does not answer blocks every removal). @unsafe lifts the second rule, and
 * then a crash prefers, half the time, the node right after the last one removed.
 * invoke allocates nothing; it must run on the cluster's owner thread (restarts fork).
 * teardown does nothing to the nodes.
 */
extern const struct nemesis_ops nem_churn_ops;

/* nem_churn_new() - an idle churn nemesis. Return: 0, -EINVAL for a bad config, -ENOMEM. */
int nem_churn_new(struct nemesis **out, const struct nem_churn_config *config,
		  struct errbuf *eb);

#endif /* CHURN_H */
