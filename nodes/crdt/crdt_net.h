/* SPDX-License-Identifier: MIT */
/* crdt_net.h - crdt-node's sockets and single-threaded epoll loop around the pure core. */
#ifndef CRDT_NET_H
#define CRDT_NET_H

#include <netinet/in.h>
#include <stdint.h>

#include "crdt_limits.h"

struct crdt_disk;
struct crdt_replica;
struct errbuf;

struct crdt_net_opts {
	uint32_t id;
	struct sockaddr_in client_addr;         /* TCP listen address for clients */
	struct sockaddr_in gossip_addr;         /* UDP bind address for anti-entropy */
	uint32_t peer_count;
	uint32_t peer_ids[CRDT_REPLICAS_MAX];
	struct sockaddr_in peer_addrs[CRDT_REPLICAS_MAX];       /* their gossip addresses */
	/*
	 * The open state directory, or NULL for memory only. With it, every client update is
	 * saved (crdt_disk_write()) before its reply and its datagrams leave; merged state is
	 * saved at the next tick. A failed save stops the loop with the error: the update that
	 * needed it is never acknowledged nor sent.
	 */
	struct crdt_disk *disk;
};

/**
 * crdt_net_run() - open the sockets, serve until SIGTERM or SIGINT, close everything.
 * SIGTERM and SIGINT must already be blocked (they are read from a signalfd).
 * Blocks. Return: 0 after a signal; -errno with @eb set if setup or a save fails.
 */
int crdt_net_run(struct crdt_replica *r, const struct crdt_net_opts *opts, struct errbuf *eb);

#endif /* CRDT_NET_H */
