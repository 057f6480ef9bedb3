/* SPDX-License-Identifier: MIT */
/* qdisc.h - netem (delay, reorder) and tbf (bandwidth) nemeses on the switch ports' egress. */
#ifndef QDISC_H
#define QDISC_H

#include <stdint.h>

#include "nemesis.h"

struct cluster;
struct errbuf;
struct rtnl_qdisc;

enum {
	QDISC_HANDLE_NETEM = 0x464e,            /* "FN": major handle of our netem root qdiscs */
	QDISC_HANDLE_TBF = 0x4642,              /* "FB": major handle of our tbf root qdiscs */
	QDISC_NETEM_LIMIT_PACKETS = 10000,      /* netem queue; the kernel default 1000 is small */
	QDISC_TBF_BURST_BYTES_MIN = 4000,       /* above one 1514-byte frame, and 2 of them */
	QDISC_TBF_QUEUE_BYTES_MIN = 64 * 1024,
};
#define QDISC_NETEM_TIME_NS_MAX (60ll * 1000000000)    /* delay and jitter */
#define QDISC_TBF_RATE_BYTES_PER_S_MIN 125ull           /* 1 kbit/s */
#define QDISC_TBF_RATE_BYTES_PER_S_MAX 2147483647ull    /* libnl 3.7 takes an int */

/*
 * What one netem qdisc does. @hold_p follows FAULTS.md's reorder: with probability @hold_p a
 * packet is held for @delay_ns, otherwise it passes at once (netem's own "reorder" is the
 * probability of passing at once, so it gets 1 - hold_p, gap 1). @hold_p 0: plain delay.
 */
struct qdisc_netem_config {
	int64_t delay_ns;               /* 1 us .. QDISC_NETEM_TIME_NS_MAX */
	int64_t jitter_ns;              /* 0 .. QDISC_NETEM_TIME_NS_MAX */
	double hold_p;                  /* 0 .. 1 */
};

/**
 * qdisc_netem_fill() - make @q a root netem qdisc (handle QDISC_HANDLE_NETEM:0) on @ifindex
 * doing @config. Every netem field we use is set, so a reused @q carries nothing over. Does
 * not send anything; rtnl_qdisc_build_add_request() then shows whether libnl accepts it.
 * Return: 0; -EINVAL (with @eb naming the field) for a config out of range.
 */
int qdisc_netem_fill(struct rtnl_qdisc *q, int ifindex, const struct qdisc_netem_config *config,
		     struct errbuf *eb);

/**
 * qdisc_tbf_fill() - make @q a root tbf qdisc (handle QDISC_HANDLE_TBF:0) on @ifindex with
 * rate @rate_bytes_per_s, bucket max(rate / 50, QDISC_TBF_BURST_BYTES_MIN) (20 ms of rate)
 * and queue limit bucket + max(rate / 5, QDISC_TBF_QUEUE_BYTES_MIN) (about 200 ms of
 * queueing at the rate). Does not send. Return: 0; -EINVAL if the rate is out of range.
 */
int qdisc_tbf_fill(struct rtnl_qdisc *q, int ifindex, uint64_t rate_bytes_per_s,
		   struct errbuf *eb);

/**
 * nem_netem_probe() - does this kernel have sch_netem? Adds a netem qdisc to `lo` of @c's
 * switch namespace and deletes it again. Must run on the thread that owns the cluster.
 * Return: 0 if available; -EOPNOTSUPP ("kernel has no sch_netem") if the kernel does not
 * know the kind; another -errno if the probe itself failed (e.g. -EPERM).
 */
int nem_netem_probe(struct cluster *c, struct errbuf *eb);

/*
 * The "netem" nemesis (fs NEM_F_DELAY | NEM_F_REORDER). Lifecycle: nem_qdisc_netem_new() ->
 * nem_setup(cluster) -> nem_invoke().. -> nem_teardown() -> nem_free().
 * setup runs nem_netem_probe() and fails with -EOPNOTSUPP when the kernel has no netem: the
 * caller then uses the NFQUEUE backend instead. It opens a route socket in the switch
 * namespace and builds one qdisc object per port.
 * A netem qdisc sits at the root of the egress of switch port pN, i.e. on the way towards
 * node N, so delay is per receiving node and also applies to traffic from the switch
 * address (clients). Hence pairs: all rows 0 means every pair; otherwise each row (receiver)
 * must be 0 or name every other node, else -EOPNOTSUPP (use the NFQUEUE backend for exact
 * pair subsets).
 *   "start-delay": delay_ns (> 0), jitter_ns; value
 *     {"backend":"netem","delay_ms":50,"jitter_ms":5,"pairs":"all"|[["n1","n2"],..]};
 *   "start-reorder": probability (0 < p <= 1), delay_ns (> 0); value
 *     {"backend":"netem","p":0.25,"delay_ms":20,"pairs":..};
 *   "stop-delay" / "stop-reorder": value {"healed":"delay"} / {"healed":"reorder"}.
 * NULL params: delay 50 ms, jitter 5 ms / p 0.25, delay 20 ms, on every pair. Delay and
 * reorder can be active together: a port in both gets the delay fault's delay and jitter
 * plus the reorder probability. A start replaces the previous one of the same fault.
 * invoke blocks for one netlink round trip per changed port, and allocates only libnl's
 * transient request message (rejected alternative: hand-encoding netem's netlink attributes
 * into a static buffer, which would duplicate libnl).
 * The netem and bandwidth nemeses both own the ports' root qdisc: the one started last
 * replaces the other's; each deletes only a qdisc that still has its handle and kind.
 */
extern const struct nemesis_ops nem_netem_ops;

/* nem_qdisc_netem_new() - allocate an idle netem nemesis. Return: 0 or -ENOMEM. */
int nem_qdisc_netem_new(struct nemesis **out, struct errbuf *eb);

/*
 * The "bandwidth" nemesis (fs NEM_F_BANDWIDTH), same lifecycle. A tbf qdisc (qdisc_tbf_fill())
 * at the root of the egress of switch port pN limits the traffic towards node N.
 *   "start-bandwidth": rate_bytes_per_s (QDISC_TBF_RATE_BYTES_PER_S_MIN .. _MAX), nodes (bit i:
 *     node i; 0: all nodes; a bit beyond the cluster is -EINVAL); value
 *     {"rate_kbit":800,"nodes":["n1","n2"]} (rate_kbit = rate * 8 / 1000, rounded down).
 *     The node set replaces the previous one: ports no longer named lose their tbf.
 *   "stop-bandwidth": deletes every tbf this nemesis added; value {"healed":"bandwidth"}.
 * NULL params: 125000 bytes/s (1 Mbit/s) on all nodes. Blocking and allocation as netem.
 */
extern const struct nemesis_ops nem_bandwidth_ops;

/* nem_qdisc_bandwidth_new() - allocate an idle bandwidth nemesis. Return: 0 or -ENOMEM. */
int nem_qdisc_bandwidth_new(struct nemesis **out, struct errbuf *eb);

#endif /* QDISC_H */
