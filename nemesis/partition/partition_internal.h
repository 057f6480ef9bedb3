/* SPDX-License-Identifier: MIT */
/* partition_internal.h - the partition nemesis's state, shared by partition.c and _lossy.c. */
#ifndef PARTITION_INTERNAL_H
#define PARTITION_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cluster.h"
#include "nemesis.h"
#include "partition_shape.h"
#include "partition_shared.h"

struct errbuf;

/* How fl_partition is attached to one switch port. */
struct port {
	int ifindex;
	int link_fd;                    /* tcx link, or -1 */
	bool tc_attached;               /* fallback: cls_bpf filter TC_HANDLE/TC_PRIORITY */
	bool hook_created;              /* fallback: we created clsact, so we destroy it */
};

/*
 * Invariants: @skel != NULL exactly between a successful setup and teardown, and then
 * @cluster is set and ports[0 .. port_count-1] are attached. @current mirrors the blocked
 * map entry for entry, and @lossy[receiver][sender] the lossy map (an all-zero element means
 * "no entry"); both are updated per successful map operation.
 */
struct nem_partition {
	struct nemesis base;
	struct cluster *cluster;        /* borrowed */
	struct partition_bpf *skel;
	uint32_t port_count;
	struct port ports[CLUSTER_NODES_MAX];
	struct grudge current;
	struct fl_partition_lossy lossy[CLUSTER_NODES_MAX][CLUSTER_NODES_MAX];
	const char *names[CLUSTER_NODES_MAX];
};

/* The map key of traffic from @sender to @receiver (node indices). */
struct fl_partition_key partition_pair_key(const struct nem_partition *p, uint32_t receiver,
					   uint32_t sender);

/* True if @f is one of start-loss, stop-loss, start-dup, stop-dup. */
bool partition_lossy_handles(const char *f);

/*
 * partition_lossy_invoke() - run a loss or dup request (partition_lossy_handles(f) is true)
 * and describe it in @completion. Does not allocate. Return: 0; -EINVAL for a bad
 * probability or pair set; -EMSGSIZE if the pair list does not fit the completion (nothing
 * changed then); -errno of a map update.
 */
int partition_lossy_invoke(struct nem_partition *p, const struct nem_request *request,
			   struct nem_completion *completion, struct errbuf *eb);

/* partition_lossy_heal() - delete every lossy entry. Return: 0 or -errno of a map update. */
int partition_lossy_heal(struct nem_partition *p, struct errbuf *eb);

#endif /* PARTITION_INTERNAL_H */
