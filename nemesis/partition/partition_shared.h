/* SPDX-License-Identifier: MIT */
/* partition_shared.h - map layouts shared by partition.bpf.c and its loader (S41). */
#ifndef PARTITION_SHARED_H
#define PARTITION_SHARED_H

#include <linux/types.h>

/* Directed pairs: CLUSTER_NODES_MAX squared; the loader static-asserts the relation. */
#define FL_PARTITION_BLOCKED_MAX 1024

/* Indices into the `drops` counter array. */
#define FL_PARTITION_COUNTER_DROPS 0
#define FL_PARTITION_COUNTERS 1

/* Key of the `blocked` hash: IPv4 addresses in network byte order, as on the wire. */
struct fl_partition_key {
	__u32 saddr;
	__u32 daddr;
};

#endif /* PARTITION_SHARED_H */
