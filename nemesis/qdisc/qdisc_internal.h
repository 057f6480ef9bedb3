/* SPDX-License-Identifier: MIT */
/* qdisc_internal.h - the root qdiscs one nemesis keeps on the switch ports (netem.c, tbf.c). */
#ifndef QDISC_INTERNAL_H
#define QDISC_INTERNAL_H

#include <stdint.h>

#include "cluster.h"

struct errbuf;
struct nl_sock;
struct rtnl_qdisc;

/*
 * Invariants: @sk != NULL exactly between qdisc_ports_open() and qdisc_ports_close(); then
 * qdiscs[0 .. count-1] are allocated, each with ifindex, parent root, handle and kind set,
 * and bit i of @installed says that our qdisc (handle and kind) was put on port i and not yet
 * deleted by us.
 */
struct qdisc_ports {
	struct cluster *cluster;        /* borrowed */
	struct nl_sock *sk;             /* route socket bound in the switch namespace */
	uint32_t count;
	uint64_t installed;
	struct rtnl_qdisc *qdiscs[CLUSTER_NODES_MAX];
	const char *names[CLUSTER_NODES_MAX];
};

/* qdisc_nl_errno() - a libnl error (-NLE_*) as a negative errno. */
int qdisc_nl_errno(int nl_err);

/*
 * qdisc_ports_open() - socket in @c's switch namespace and one @kind object per port with
 * handle @handle:0 at the root. On the cluster's thread. Return: 0, -ENOMEM or -errno.
 */
int qdisc_ports_open(struct qdisc_ports *ports, struct cluster *c, const char *kind,
		     uint32_t handle, struct errbuf *eb);

/* qdisc_ports_install() - add or change qdiscs[@port] (already filled). Return: 0 or -errno. */
int qdisc_ports_install(struct qdisc_ports *ports, uint32_t port, struct errbuf *eb);

/*
 * qdisc_ports_remove() - delete our qdisc on @port if we installed it. A qdisc that is no
 * longer ours (gone, or replaced by another root) counts as removed. Return: 0 or -errno.
 */
int qdisc_ports_remove(struct qdisc_ports *ports, uint32_t port, struct errbuf *eb);

/* qdisc_ports_close() - remove every installed qdisc, then free all. Return: first -errno. */
int qdisc_ports_close(struct qdisc_ports *ports, struct errbuf *eb);

#endif /* QDISC_INTERNAL_H */
