/* SPDX-License-Identifier: MIT */
/* qdisc.c - root qdiscs on the switch ports through libnl-route, and the netem probe. */
#include "qdisc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/pkt_sched.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "qdisc_internal.h"

STATIC_ASSERT(CLUSTER_NODES_MAX <= 64, "installed is a 64-bit set");

int qdisc_nl_errno(int nl_err)
{
	static const struct {
		int nl, sys;
	} map[] = {
		{ NLE_OBJ_NOTFOUND, ENOENT }, { NLE_NODEV, ENODEV },   { NLE_PERM, EPERM },
		{ NLE_NOMEM, ENOMEM },        { NLE_EXIST, EEXIST },   { NLE_INVAL, EINVAL },
		{ NLE_MISSING_ATTR, EINVAL }, { NLE_BUSY, EBUSY },     { NLE_RANGE, ERANGE },
		{ NLE_OPNOTSUPP, EOPNOTSUPP }, { NLE_MSGSIZE, EMSGSIZE }, { NLE_AGAIN, EAGAIN },
	};

	ASSERT(nl_err <= 0);
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (-nl_err == map[i].nl)
			return -map[i].sys;
	}
	return nl_err ? -EIO : 0;
}

/* A netlink socket stays in the namespace it was connected in; the thread comes back. */
static int socket_in_ns(int ns_fd, struct nl_sock **out, struct errbuf *eb)
{
	struct nl_sock *sk;
	int home, err = 0, back;

	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0)
		return errbuf_set(eb, -errno, "open /proc/thread-self/ns/net");
	sk = nl_socket_alloc();
	if (!sk) {
		close(home);
		return errbuf_set(eb, -ENOMEM, "allocate a netlink socket");
	}
	if (setns(ns_fd, CLONE_NEWNET)) {
		err = errbuf_set(eb, -errno, "setns into the switch namespace");
	} else {
		err = nl_connect(sk, NETLINK_ROUTE);
		back = setns(home, CLONE_NEWNET);
		ASSERT(back == 0);      /* else this thread would stay in the switch namespace */
		if (err)
			err = errbuf_set(eb, qdisc_nl_errno(err), "connect route socket: %s",
					 nl_geterror(err));
	}
	close(home);
	if (err)
		nl_socket_free(sk);
	else
		*out = sk;
	return err;
}

static struct rtnl_qdisc *root_qdisc_new(int ifindex, const char *kind, uint32_t handle)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	if (!q)
		return NULL;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(handle, 0));
	if (rtnl_tc_set_kind(TC_CAST(q), kind)) {
		rtnl_qdisc_put(q);
		return NULL;
	}
	return q;
}

int qdisc_ports_open(struct qdisc_ports *ports, struct cluster *c, const char *kind,
		     uint32_t handle, struct errbuf *eb)
{
	uint32_t i;
	int err;

	ASSERT(c);
	ASSERT(!ports->sk);
	*ports = (struct qdisc_ports){ .cluster = c };
	err = socket_in_ns(cluster_switch_ns_fd(c), &ports->sk, eb);
	if (err)
		return err;
	for (i = 0; i < cluster_node_count(c); i++) {
		ports->names[i] = cluster_node_name(c, i);
		ports->qdiscs[i] = root_qdisc_new(cluster_port_ifindex(c, i), kind, handle);
		if (!ports->qdiscs[i]) {
			qdisc_ports_close(ports, NULL);
			return errbuf_set(eb, -ENOMEM, "allocate %s qdisc for p%u", kind, i + 1);
		}
		ports->count = i + 1;
	}
	return 0;
}

int qdisc_ports_install(struct qdisc_ports *ports, uint32_t port, struct errbuf *eb)
{
	int err;

	ASSERT(ports->sk);
	ASSERT(port < ports->count);
	err = rtnl_qdisc_add(ports->sk, ports->qdiscs[port], NLM_F_CREATE | NLM_F_REPLACE);
	if (err)
		return errbuf_set(eb, qdisc_nl_errno(err), "add %s qdisc towards %s: %s",
				  rtnl_tc_get_kind(TC_CAST(ports->qdiscs[port])),
				  ports->names[port], nl_geterror(err));
	ports->installed |= 1ull << port;
	return 0;
}

int qdisc_ports_remove(struct qdisc_ports *ports, uint32_t port, struct errbuf *eb)
{
	int err;

	ASSERT(ports->sk);
	ASSERT(port < ports->count);
	if (!((ports->installed >> port) & 1))
		return 0;
	/* The request names our handle and kind: the kernel refuses (EINVAL) to delete a root
	 * qdisc that is not ours, and ENOENT means it is gone already. */
	err = rtnl_qdisc_delete(ports->sk, ports->qdiscs[port]);
	if (err && err != -NLE_INVAL && err != -NLE_OBJ_NOTFOUND)
		return errbuf_set(eb, qdisc_nl_errno(err), "delete %s qdisc towards %s: %s",
				  rtnl_tc_get_kind(TC_CAST(ports->qdiscs[port])),
				  ports->names[port], nl_geterror(err));
	ports->installed &= ~(1ull << port);
	return 0;
}

int qdisc_ports_close(struct qdisc_ports *ports, struct errbuf *eb)
{
	int err = 0, one;
	uint32_t i;

	if (!ports->sk)
		return 0;
	for (i = 0; i < ports->count; i++) {
		one = qdisc_ports_remove(ports, i, err ? NULL : eb);
		if (!err)
			err = one;
		rtnl_qdisc_put(ports->qdiscs[i]);
		ports->qdiscs[i] = NULL;
	}
	nl_socket_free(ports->sk);
	*ports = (struct qdisc_ports){ 0 };
	return err;
}

/* libnl sets a kind once (then -NLE_EXIST): a reused object must already have @kind. */
static int kind_set(struct rtnl_qdisc *q, const char *kind)
{
	const char *have = rtnl_tc_get_kind(TC_CAST(q));

	if (have && *have)
		return strcmp(have, kind) ? -EINVAL : 0;
	return rtnl_tc_set_kind(TC_CAST(q), kind) ? -EINVAL : 0;
}

/* us from ns, rounded up so that 1 ns still means "some delay". */
static int to_us(int64_t ns)
{
	return (int)((ns + 999) / 1000);
}

/* A probability 0 .. 1 as netem's u32 fraction of 2^32-1, through unsigned (libnl: int). */
static int to_u32_fraction(double p)
{
	double scaled = p * 4294967295.0;

	return (int)(uint32_t)(scaled >= 4294967295.0 ? 4294967295.0 : scaled);
}

int qdisc_netem_fill(struct rtnl_qdisc *q, int ifindex, const struct qdisc_netem_config *config,
		     struct errbuf *eb)
{
	ASSERT(q && config);
	if (config->delay_ns < 1000 || config->delay_ns > QDISC_NETEM_TIME_NS_MAX)
		return errbuf_set(eb, -EINVAL, "netem delay_ns %lld not in [1 us, 60 s]",
				  (long long)config->delay_ns);
	if (config->jitter_ns < 0 || config->jitter_ns > QDISC_NETEM_TIME_NS_MAX)
		return errbuf_set(eb, -EINVAL, "netem jitter_ns %lld not in [0, 60 s]",
				  (long long)config->jitter_ns);
	if (!(config->hold_p >= 0.0 && config->hold_p <= 1.0))
		return errbuf_set(eb, -EINVAL, "netem hold probability %g not in [0, 1]",
				  config->hold_p);
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(QDISC_HANDLE_NETEM, 0));
	if (kind_set(q, "netem"))
		return errbuf_set(eb, -EINVAL, "qdisc object already has kind %s",
				  rtnl_tc_get_kind(TC_CAST(q)));
	rtnl_netem_set_limit(q, QDISC_NETEM_LIMIT_PACKETS);
	rtnl_netem_set_delay(q, to_us(config->delay_ns));
	rtnl_netem_set_jitter(q, to_us(config->jitter_ns));
	/* netem passes a packet at once with its "reorder" probability; we hold with hold_p. */
	rtnl_netem_set_gap(q, config->hold_p > 0.0 ? 1 : 0);
	rtnl_netem_set_reorder_probability(q, config->hold_p > 0.0 ?
					   to_u32_fraction(1.0 - config->hold_p) : 0);
	return 0;
}

int qdisc_tbf_fill(struct rtnl_qdisc *q, int ifindex, uint64_t rate_bytes_per_s,
		   struct errbuf *eb)
{
	uint64_t burst, queue;

	ASSERT(q);
	if (rate_bytes_per_s < QDISC_TBF_RATE_BYTES_PER_S_MIN ||
	    rate_bytes_per_s > QDISC_TBF_RATE_BYTES_PER_S_MAX)
		return errbuf_set(eb, -EINVAL, "rate_bytes_per_s %llu not in [%llu, %llu]",
				  (unsigned long long)rate_bytes_per_s,
				  QDISC_TBF_RATE_BYTES_PER_S_MIN, QDISC_TBF_RATE_BYTES_PER_S_MAX);
	burst = rate_bytes_per_s / 50;
	if (burst < QDISC_TBF_BURST_BYTES_MIN)
		burst = QDISC_TBF_BURST_BYTES_MIN;
	queue = rate_bytes_per_s / 5;
	if (queue < QDISC_TBF_QUEUE_BYTES_MIN)
		queue = QDISC_TBF_QUEUE_BYTES_MIN;
	ASSERT(burst + queue <= (uint64_t)INT32_MAX);
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(QDISC_HANDLE_TBF, 0));
	if (kind_set(q, "tbf"))
		return errbuf_set(eb, -EINVAL, "qdisc object already has kind %s",
				  rtnl_tc_get_kind(TC_CAST(q)));
	rtnl_qdisc_tbf_set_rate(q, (int)rate_bytes_per_s, (int)burst, 0);
	rtnl_qdisc_tbf_set_limit(q, (int)(burst + queue));
	return 0;
}

int nem_netem_probe(struct cluster *c, struct errbuf *eb)
{
	static const struct qdisc_netem_config probe = { .delay_ns = 1000000 };
	struct rtnl_qdisc *q;
	struct nl_sock *sk;
	int err;

	err = socket_in_ns(cluster_switch_ns_fd(c), &sk, eb);
	if (err)
		return errbuf_prefix(eb, err, "netem probe: ");
	q = rtnl_qdisc_alloc();
	if (!q) {
		nl_socket_free(sk);
		return errbuf_set(eb, -ENOMEM, "netem probe: allocate qdisc");
	}
	err = qdisc_netem_fill(q, 1 /* lo has ifindex 1 in every namespace */, &probe, eb);
	ASSERT(err == 0);
	err = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_EXCL);
	if (err == -NLE_OBJ_NOTFOUND) {
		err = errbuf_set(eb, -EOPNOTSUPP, "kernel has no sch_netem");
	} else if (err) {
		err = errbuf_set(eb, qdisc_nl_errno(err), "netem probe on the switch's lo: %s",
				 nl_geterror(err));
	} else {
		err = rtnl_qdisc_delete(sk, q);
		if (err)
			err = errbuf_set(eb, qdisc_nl_errno(err), "delete the netem probe: %s",
					 nl_geterror(err));
	}
	rtnl_qdisc_put(q);
	nl_socket_free(sk);
	return err;
}
