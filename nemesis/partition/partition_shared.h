/* SPDX-License-Identifier: MIT */
/* partition_shared.h - map layouts shared by partition.bpf.c and its loader (S41). */
#ifndef PARTITION_SHARED_H
#define PARTITION_SHARED_H

#include <linux/types.h>

/* Directed pairs: CLUSTER_NODES_MAX squared; the loader static-asserts the relation. */
#define FL_PARTITION_BLOCKED_MAX 4096

/* Directed pairs with random loss or duplication: as many as can be blocked. */
#define FL_PARTITION_LOSSY_MAX 4096

/* Indices into the `drops` counter array: partition drops, random losses, duplicates made. */
#define FL_PARTITION_COUNTER_DROPS 0
#define FL_PARTITION_COUNTER_LOSS 1
#define FL_PARTITION_COUNTER_DUPS 2
#define FL_PARTITION_COUNTER_TYPED 3
#define FL_PARTITION_COUNTERS 4

/* Message types a msgdrop rule can name: the first UDP payload byte, 0..31. */
#define FL_PARTITION_TYPES 32

/* skb->mark of a duplicate while it re-enters the hook, so it passes untouched ("FLDU"). */
#define FL_PARTITION_DUP_MARK 0x464c4455

/* A probability scaled to 0 .. 2^32-1; FL_PARTITION_P_ALWAYS means every packet. */
#define FL_PARTITION_P_ALWAYS 0xffffffffu

/* Key of the `blocked` hash: IPv4 addresses in network byte order, as on the wire. */
struct fl_partition_key {
	__u32 saddr;
	__u32 daddr;
};

/*
 * Value of the `lossy` hash, keyed like `blocked`: a UDP datagram of the pair whose first
 * payload byte t < FL_PARTITION_TYPES has bit t set in drop_types is dropped (msgdrop: one
 * kind of message lost, e.g. PBFT's commits); any other packet is dropped with probability
 * drop_p, and a survivor is duplicated with probability dup_p. An entry with all three 0 is
 * never stored (the loader deletes it).
 */
struct fl_partition_lossy {
	__u32 drop_p;
	__u32 dup_p;
	__u32 drop_types;
};

#endif /* PARTITION_SHARED_H */
