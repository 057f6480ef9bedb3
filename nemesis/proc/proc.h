/* SPDX-License-Identifier: MIT */
/* proc.h - the process nemesis: kill, restart, pause and resume node processes (nem_proc). */
#ifndef PROC_H
#define PROC_H

#include <stdint.h>

#include "nemesis.h"

struct errbuf;

/*
 * nem_proc_restart_fn() - start node @node again after a kill, the way the campaign started
 * it first (same argv and log). Called from invoke, so on the thread that calls nem_invoke(),
 * which must be the cluster's owner thread (cluster_node_start() forks there).
 * Return: 0 or -errno with @eb set.
 */
typedef int nem_proc_restart_fn(void *ctx, uint32_t node, struct errbuf *eb);

/*
 * The "proc" nemesis (fs NEM_F_KILL | NEM_F_PAUSE). Lifecycle:
 *   nem_proc_new() -> nem_setup(cluster) -> nem_invoke()... -> nem_teardown() -> nem_free().
 * invoke understands (params->nodes: bit i is node i; a bit past the cluster is -EINVAL):
 *   "kill": cluster_node_kill() (cgroup.kill, reaped); nodes 0: one running node drawn from
 *     the prng. Value {"killed":["n2"]}.
 *   "start": the restart callback; nodes 0: every node this nemesis killed and has not yet
 *     started. Value {"started":["n2"]}.
 *   "pause": cluster_node_freeze() (cgroup.freeze); nodes 0: one running, unpaused node drawn
 *     from the prng. Value {"paused":["n4"]}.
 *   "resume": cluster_node_thaw(); nodes 0: every node this nemesis paused and has not yet
 *     resumed. Value {"resumed":["n4"]}.
 * A target where there is nothing to do (kill or pause of a node that is down, start of a
 * running node, pause of a paused one, resume of one not paused) is a no-op, listed under
 * "noop": {"killed":[],"noop":["n2"]}; the key is left out when nothing was a no-op. So every
 * op is idempotent. On an error the other targets are still acted on; the value lists what
 * was done and the first -errno is returned with @eb naming the node.
 * invoke allocates nothing; it blocks for up to about 1 s per node (cgroup waits) plus the
 * restart callback, and must run on the cluster's owner thread.
 * teardown resumes the nodes this nemesis paused. Nodes it killed stay down unless started
 * (the campaign's final generator sends "start" and "resume" anyway); teardown does not fork.
 */
extern const struct nemesis_ops nem_proc_ops;

/**
 * nem_proc_new() - allocate an idle process nemesis.
 * @restart: called by "start" for each node to bring back; not NULL.
 * @ctx: passed to @restart; borrowed, must outlive the nemesis.
 * Return: 0 or -ENOMEM.
 */
int nem_proc_new(struct nemesis **out, nem_proc_restart_fn *restart, void *ctx,
		 struct errbuf *eb);

#endif /* PROC_H */
