/* SPDX-License-Identifier: MIT */
/* partition.h - network partitions by a tc eBPF program on every switch port (nem_partition). */
#ifndef PARTITION_H
#define PARTITION_H

#include <stdint.h>

#include "nemesis.h"
#include "partition_shape.h"

struct errbuf;

/*
 * The "partition" nemesis (fs NEM_F_PARTITION). Lifecycle:
 *   nem_partition_new() -> nem_setup(cluster) -> nem_invoke()... -> nem_teardown()
 *   -> nem_partition_free().
 * setup loads fl_partition and attaches it to the ingress of every switch port p1..pN through
 * tcx links (detached by the kernel when this process dies), falling back to a clsact hook
 * with bpf_tc_attach on kernels without tcx. It must run on the thread that owns the
 * cluster's namespaces (it enters the switch namespace and comes back).
 * invoke understands
 *   "start-partition", arg "\"<shape>\"" (see partition_shape_parse()) or NULL/"null" for a
 *     shape drawn from the prng; value {"shape":..,"cut":{..}} (grudge_describe());
 *   "stop-partition": heals; value {"cut":{}}.
 * Anything else is -EINVAL. invoke allocates nothing and never blocks.
 * teardown heals, closes the links (or detaches the tc filter, and destroys the clsact hook
 * only if setup created it) and destroys the skeleton. Nothing is pinned.
 */
extern const struct nemesis_ops nem_partition_ops;

/* nem_partition_new() - allocate an idle partition nemesis. Return: 0 or -ENOMEM. */
int nem_partition_new(struct nemesis **out, struct errbuf *eb);

/* nem_partition_free() - tear down if still set up, then free. NULL is allowed. */
void nem_partition_free(struct nemesis *nem);

/**
 * nem_partition_apply() - make @grudge the blocked set: delete entries no longer wanted, then
 * add the new ones (each map update is atomic; the whole change is not). @nem must be set up
 * and @grudge->node_count equal the cluster's. Return: 0 or -errno of a map update.
 */
int nem_partition_apply(struct nemesis *nem, const struct grudge *grudge, struct errbuf *eb);

/* nem_partition_heal() - empty the blocked set. Return: 0 or -errno. */
int nem_partition_heal(struct nemesis *nem, struct errbuf *eb);

/* nem_partition_drops() - packets dropped since setup, into @drops. Return: 0 or -errno. */
int nem_partition_drops(const struct nemesis *nem, uint64_t *drops, struct errbuf *eb);

#endif /* PARTITION_H */
