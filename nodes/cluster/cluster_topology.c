/* SPDX-License-Identifier: MIT */
/* cluster_topology.c - bridge, veth pairs and addresses with libnl-route, one socket per ns. */
#include "cluster_internal.h"

#include <errno.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <sched.h>
#include <stdio.h>

#include "errbuf.h"
#include "fl_assert.h"

/* libnl speaks NLE_* codes; the cluster API speaks errno. */
static int nl_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM: return -ENOMEM;
	case NLE_EXIST: return -EEXIST;
	case NLE_INVAL: return -EINVAL;
	case NLE_PERM: return -EPERM;
	case NLE_NODEV: return -ENODEV;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_BUSY: return -EBUSY;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_RANGE: return -ERANGE;
	default: return -EIO;
	}
}

static int nl_fail(struct errbuf *eb, int nlerr, const char *what, const char *name)
{
	return errbuf_set(eb, nl_to_errno(nlerr), "netlink: %s %s: %s", what, name,
			  nl_geterror(nlerr));
}

/* A netlink socket is bound to the namespace it is created in, so create it there. */
static int sock_open_in(int ns_fd, int home_fd, struct nl_sock **out, struct errbuf *eb)
{
	struct nl_sock *sk;
	int err;

	if (setns(ns_fd, CLONE_NEWNET))
		return errbuf_set(eb, -errno, "setns into a cluster namespace");
	sk = nl_socket_alloc();
	err = sk ? nl_connect(sk, NETLINK_ROUTE) : -NLE_NOMEM;
	cluster_ns_home_return(home_fd);
	if (err) {
		nl_socket_free(sk);
		return nl_fail(eb, err, "connect", "NETLINK_ROUTE");
	}
	*out = sk;
	return 0;
}

static int link_ifindex(struct nl_sock *sk, const char *name, int *ifindex, struct errbuf *eb)
{
	struct rtnl_link *link;
	int err;

	err = rtnl_link_get_kernel(sk, 0, name, &link);
	if (err)
		return nl_fail(eb, err, "get link", name);
	*ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	ASSERT(*ifindex > 0);
	return 0;
}

static int link_up(struct nl_sock *sk, const char *name, struct errbuf *eb)
{
	struct rtnl_link *link, *change;
	int err;

	err = rtnl_link_get_kernel(sk, 0, name, &link);
	if (err)
		return nl_fail(eb, err, "get link", name);
	change = rtnl_link_alloc();
	if (!change) {
		rtnl_link_put(link);
		return errbuf_set(eb, -ENOMEM, "rtnl_link_alloc");
	}
	rtnl_link_set_flags(change, IFF_UP);
	err = rtnl_link_change(sk, link, change, 0);
	rtnl_link_put(change);
	rtnl_link_put(link);
	return err ? nl_fail(eb, err, "set up", name) : 0;
}

static int addr_add(struct nl_sock *sk, int ifindex, const char *cidr, struct errbuf *eb)
{
	struct rtnl_addr *addr;
	struct nl_addr *local;
	int err;

	err = nl_addr_parse(cidr, AF_INET, &local);
	if (err)
		return nl_fail(eb, err, "parse address", cidr);
	addr = rtnl_addr_alloc();
	if (!addr) {
		nl_addr_put(local);
		return errbuf_set(eb, -ENOMEM, "rtnl_addr_alloc");
	}
	rtnl_addr_set_ifindex(addr, ifindex);
	err = rtnl_addr_set_local(addr, local);
	if (!err)
		err = rtnl_addr_add(sk, addr, 0);
	rtnl_addr_put(addr);
	nl_addr_put(local);
	return err ? nl_fail(eb, err, "add address", cidr) : 0;
}

/*
 * Neighbours are fixed, not learned by ARP. The kernel keeps one ARP table for all
 * namespaces and refuses a new learned entry once it holds net.ipv4.neigh.default.gc_thresh3
 * of them (1024 by default). A full mesh of N nodes plus the switch needs N * (N + 1): past
 * about 32 nodes ARP failed and datagrams vanished without an error to the sender (they
 * show as the UDP SndbufErrors counter, and kfree_skb gives the reason NEIGH_CREATEFAIL).
 * Permanent entries are exempt from that limit, and every MAC here is ours to choose:
 * 02:46:4c:4d:00:<last octet of the IPv4 address>, locally administered.
 */
enum { SWITCH_OCTET = 254 };

static int lladdr_of(uint32_t octet, struct nl_addr **out, struct errbuf *eb)
{
	const uint8_t mac[6] = { 0x02, 0x46, 0x4c, 0x4d, 0x00, (uint8_t)octet };

	ASSERT(octet >= 1 && octet <= SWITCH_OCTET);
	*out = nl_addr_build(AF_LLC, mac, sizeof(mac));
	return *out ? 0 : errbuf_set(eb, -ENOMEM, "nl_addr_build");
}

/* neigh_fix() - a permanent neighbour 10.77.0.<octet> on @ifindex, with our MAC for it. */
static int neigh_fix(struct nl_sock *sk, int ifindex, uint32_t octet, struct errbuf *eb)
{
	struct nl_addr *dst = NULL, *ll = NULL;
	struct rtnl_neigh *neigh;
	char ip[INET_ADDRSTRLEN];
	int err;

	snprintf(ip, sizeof(ip), "10.77.0.%u", octet);
	err = lladdr_of(octet, &ll, eb);
	if (err)
		return err;
	err = nl_addr_parse(ip, AF_INET, &dst);
	neigh = err ? NULL : rtnl_neigh_alloc();
	if (neigh) {
		rtnl_neigh_set_ifindex(neigh, ifindex);
		rtnl_neigh_set_dst(neigh, dst);
		rtnl_neigh_set_lladdr(neigh, ll);
		rtnl_neigh_set_state(neigh, NUD_PERMANENT);
		err = rtnl_neigh_add(sk, neigh, NLM_F_CREATE | NLM_F_REPLACE);
		rtnl_neigh_put(neigh);
	} else if (!err) {
		err = -NLE_NOMEM;
	}
	nl_addr_put(dst);
	nl_addr_put(ll);
	return err ? nl_fail(eb, err, "add neighbour", ip) : 0;
}

/* neigh_fix_all() - every node but @self_octet, and the switch unless it is @self_octet. */
static int neigh_fix_all(struct nl_sock *sk, int ifindex, uint32_t node_count,
			 uint32_t self_octet, struct errbuf *eb)
{
	int err = 0;

	for (uint32_t octet = 1; !err && octet <= node_count; octet++)
		if (octet != self_octet)
			err = neigh_fix(sk, ifindex, octet, eb);
	if (!err && self_octet != SWITCH_OCTET)
		err = neigh_fix(sk, ifindex, SWITCH_OCTET, eb);
	return err;
}

static int bridge_create(struct nl_sock *sk, int *ifindex, struct errbuf *eb)
{
	struct rtnl_link *br;
	struct nl_addr *ll;
	int err;

	err = lladdr_of(SWITCH_OCTET, &ll, eb);
	if (err)
		return err;
	br = rtnl_link_bridge_alloc();
	if (!br) {
		nl_addr_put(ll);
		return errbuf_set(eb, -ENOMEM, "rtnl_link_bridge_alloc");
	}
	rtnl_link_set_name(br, "br0");
	rtnl_link_set_addr(br, ll);
	nl_addr_put(ll);
	rtnl_link_set_flags(br, IFF_UP);
	err = rtnl_link_add(sk, br, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(br);
	if (err)
		return nl_fail(eb, err, "create bridge", "br0");
	err = link_ifindex(sk, "br0", ifindex, eb);
	if (err)
		return err;
	return addr_add(sk, *ifindex, CLUSTER_SWITCH_ADDR "/24", eb);
}

/* Port p<i+1> on the bridge; its peer eth0 is born directly in the node's namespace. */
static int port_create(struct nl_sock *sk, int bridge_ifindex, struct cluster_node *node,
		       uint32_t index, struct errbuf *eb)
{
	struct rtnl_link *veth, *peer;
	struct nl_addr *ll;
	char port[IFNAMSIZ];
	int err;

	snprintf(port, sizeof(port), "p%u", index + 1);
	err = lladdr_of(index + 1, &ll, eb);
	if (err)
		return err;
	veth = rtnl_link_veth_alloc();
	if (!veth) {
		nl_addr_put(ll);
		return errbuf_set(eb, -ENOMEM, "rtnl_link_veth_alloc");
	}
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(veth, port);
	rtnl_link_set_master(veth, bridge_ifindex);
	rtnl_link_set_flags(veth, IFF_UP);
	rtnl_link_set_name(peer, "eth0");
	rtnl_link_set_addr(peer, ll);
	nl_addr_put(ll);
	rtnl_link_set_ns_fd(peer, node->ns.fd);
	rtnl_link_put(peer);
	err = rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(veth);
	if (err)
		return nl_fail(eb, err, "create veth", port);
	return link_ifindex(sk, port, &node->port_ifindex, eb);
}

/* Inside the node namespace: lo and eth0 up (the peer cannot be created up), address,
 * neighbours. */
static int node_configure(struct nl_sock *sk, uint32_t index, uint32_t node_count,
			  struct errbuf *eb)
{
	char cidr[32];
	int err, ifindex;

	err = link_up(sk, "lo", eb);
	if (!err)
		err = link_up(sk, "eth0", eb);
	if (!err)
		err = link_ifindex(sk, "eth0", &ifindex, eb);
	if (err)
		return err;
	snprintf(cidr, sizeof(cidr), "10.77.0.%u/24", index + 1);
	err = addr_add(sk, ifindex, cidr, eb);
	return err ? err : neigh_fix_all(sk, ifindex, node_count, index + 1, eb);
}

static int node_build(struct cluster *c, struct nl_sock *sk_sw, int bridge_ifindex,
		      uint32_t index, int home_fd, struct errbuf *eb)
{
	struct cluster_node *node = &c->nodes[index];
	struct nl_sock *sk;
	int err;

	err = port_create(sk_sw, bridge_ifindex, node, index, eb);
	if (err)
		return err;
	err = sock_open_in(node->ns.fd, home_fd, &sk, eb);
	if (err)
		return err;
	err = node_configure(sk, index, c->node_count, eb);
	nl_socket_free(sk);
	if (err)
		return errbuf_prefix(eb, err, "node %s: ", node->name);
	return 0;
}

int cluster_topology_build(struct cluster *c, int home_fd, struct errbuf *eb)
{
	struct nl_sock *sk_sw;
	int err, bridge_ifindex;
	uint32_t i;

	ASSERT(c->sw.fd >= 0);
	ASSERT(c->node_count >= 1 && c->node_count <= CLUSTER_NODES_MAX);
	err = sock_open_in(c->sw.fd, home_fd, &sk_sw, eb);
	if (err)
		return err;
	err = bridge_create(sk_sw, &bridge_ifindex, eb);
	if (!err)
		err = neigh_fix_all(sk_sw, bridge_ifindex, c->node_count, SWITCH_OCTET, eb);
	for (i = 0; !err && i < c->node_count; i++)
		err = node_build(c, sk_sw, bridge_ifindex, i, home_fd, eb);
	nl_socket_free(sk_sw);
	return err;
}

/* An attached cluster: look the ports p1..pN up in the switch namespace someone else built. */
int cluster_topology_find(struct cluster *c, int home_fd, struct errbuf *eb)
{
	char port[IFNAMSIZ];
	struct nl_sock *sk_sw;
	uint32_t i;
	int err;

	ASSERT(c->sw.fd >= 0);
	ASSERT(c->node_count >= 1 && c->node_count <= CLUSTER_NODES_MAX);
	err = sock_open_in(c->sw.fd, home_fd, &sk_sw, eb);
	if (err)
		return err;
	for (i = 0; !err && i < c->node_count; i++) {
		snprintf(port, sizeof(port), "p%u", i + 1);
		err = link_ifindex(sk_sw, port, &c->nodes[i].port_ifindex, eb);
	}
	nl_socket_free(sk_sw);
	return err;
}
