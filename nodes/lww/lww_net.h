/* SPDX-License-Identifier: MIT */
/* lww_net.h - lww-node's sockets and single-threaded epoll loop around the pure core. */
#ifndef LWW_NET_H
#define LWW_NET_H

#include <netinet/in.h>
#include <stdint.h>

#include "lww_limits.h"

struct errbuf;
struct lww_disk;
struct lww_node;

struct lww_net_opts {
	struct sockaddr_in client_addr;         /* TCP listen address for clients */
	struct sockaddr_in gossip_addr;         /* UDP bind address for gossip */
	uint32_t peer_count;                    /* replicas - 1 */
	uint32_t peer_ids[LWW_REPLICAS_MAX];
	struct sockaddr_in peer_addrs[LWW_REPLICAS_MAX];       /* their gossip addresses */
	int64_t gossip_interval_ns;             /* > 0 */
	/*
	 * The open state directory, or NULL for memory only. With it, every write is saved
	 * (lww_disk_write()) before its reply; merged state is saved at the next gossip tick
	 * and at the stop. A failed save stops the loop with the error, and the write that
	 * needed it is never acknowledged.
	 */
	struct lww_disk *disk;
};

/**
 * lww_net_run() - open the sockets, serve until SIGTERM or SIGINT, close everything.
 * SIGTERM and SIGINT must already be blocked (they are read from a signalfd). Physical
 * time is CLOCK_REALTIME through libc's clock_gettime(), so an LD_PRELOAD shim can skew it.
 * Blocks. Return: 0 after a signal; -errno with @eb set if setup or a save fails.
 */
int lww_net_run(struct lww_node *node, const struct lww_net_opts *opts, struct errbuf *eb);

#endif /* LWW_NET_H */
