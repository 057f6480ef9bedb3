/* SPDX-License-Identifier: MIT */
/* partition.h - network partitions by a tc eBPF program on every switch port (nem_partition). */
#ifndef PARTITION_H
#define PARTITION_H

#include <stdint.h>

#include "nemesis.h"
#include "partition_shape.h"

struct errbuf;

/*
 * The "partition" nemesis (fs NEM_F_PARTITION | NEM_F_LOSS | NEM_F_DUP | NEM_F_MSGDROP).
 * Lifecycle:
 *   nem_partition_new() -> nem_setup(cluster) -> nem_invoke()... -> nem_teardown()
 *   -> nem_free().
 * setup loads fl_partition and attaches it to the ingress of every switch port p1..pN through
 * tcx links (detached by the kernel when this process dies), falling back to a clsact hook
 * with bpf_tc_attach on kernels without tcx. It must run on the thread that owns the
 * cluster's namespaces (it enters the switch namespace and comes back).
 * invoke understands
 *   "start-partition", arg "\"<shape>\"" (see partition_shape_parse()) or NULL/"null" for a
 *     shape drawn from the prng; value {"shape":..,"cut":{..}} (grudge_describe());
 *   "stop-partition": heals; value {"cut":{}}.
 *   "start-loss" / "start-dup", params probability (0 < p <= 1) and pairs (all rows 0: every
 *     ordered pair of distinct nodes; a bit beyond the cluster or on the diagonal is
 *     -EINVAL); NULL params: p 0.2 (loss) or 0.1 (dup) on every pair. The pair set replaces
 *     the previous one of that fault. Value {"p":0.2,"pairs":"all"} or
 *     {"p":0.2,"pairs":[["n1","n2"],..]} (from, to); -EMSGSIZE, with nothing changed, if the
 *     list does not fit NEM_VALUE_BYTES_MAX (about 1,100 pairs).
 *   "stop-loss" / "stop-dup": heal that fault only; value {"healed":"loss"} / {"healed":"dup"}.
 *   "start-msgdrop", params msg_types (bit t, t < 32: drop every UDP datagram whose first
 *     payload byte is t, as PBFT's message types are) and pairs as for loss; value
 *     {"types":[4],"pairs":..}; no params or no types is -EINVAL. "stop-msgdrop" heals it.
 * Loss, dup, msgdrop and partition are independent: a blocked pair drops everything;
 * otherwise a lossy pair drops the datagrams of its types, then others with its drop_p, and
 * a surviving packet is duplicated with its dup_p (the copy is injected at the same port's
 * ingress). Per-packet randomness is the kernel's
 * bpf_get_prandom_u32(), which no seed reproduces.
 * Anything else is -EINVAL. invoke allocates nothing and never blocks.
 * teardown heals (partition, loss and dup), closes the links (or detaches the tc filter, and
 * destroys the clsact hook only if setup created it) and destroys the skeleton. Nothing is
 * pinned.
 */
extern const struct nemesis_ops nem_partition_ops;

/* nem_partition_new() - allocate an idle partition nemesis. Return: 0 or -ENOMEM. */
int nem_partition_new(struct nemesis **out, struct errbuf *eb);

/**
 * nem_partition_apply() - make @grudge the blocked set: delete entries no longer wanted, then
 * add the new ones (each map update is atomic; the whole change is not). @nem must be set up
 * and @grudge->node_count equal the cluster's. Return: 0 or -errno of a map update.
 */
int nem_partition_apply(struct nemesis *nem, const struct grudge *grudge, struct errbuf *eb);

/* nem_partition_heal() - empty the blocked set. Return: 0 or -errno. */
int nem_partition_heal(struct nemesis *nem, struct errbuf *eb);

/* nem_partition_drops() - packets dropped by partitions since setup. Return: 0 or -errno. */
int nem_partition_drops(const struct nemesis *nem, uint64_t *drops, struct errbuf *eb);

/* Packet counters of fl_partition since setup. */
struct nem_partition_counters {
	uint64_t drops;                 /* dropped because the pair is partitioned */
	uint64_t losses;                /* dropped at random (start-loss) */
	uint64_t dups;                  /* copies injected (start-dup) */
	uint64_t typed;                 /* dropped for their message type (start-msgdrop) */
};

/* nem_partition_counters() - read all counters; @nem must be set up. Return: 0 or -errno. */
int nem_partition_counters(const struct nemesis *nem, struct nem_partition_counters *out,
			   struct errbuf *eb);

#endif /* PARTITION_H */
