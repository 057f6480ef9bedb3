/* SPDX-License-Identifier: MIT */
/* lww_net.h - lww-node's side of the replica server: the pure core behind its callbacks. */
#ifndef LWW_NET_H
#define LWW_NET_H

struct errbuf;
struct lww_node;
struct replica_args;

/**
 * lww_net_run() - with @args->data_dir, restore DIR/state into @node (which holds no key
 * yet); then serve clients and gossip every @args->gossip_ms until SIGTERM or SIGINT, and
 * close everything. SIGTERM and SIGINT must already be blocked
 * (replica_server_block_signals()). Physical time is CLOCK_REALTIME through libc's
 * clock_gettime(), so an LD_PRELOAD shim can skew it.
 * With a data dir, every write is saved before its reply; merged state is saved at the
 * next gossip tick and at the stop. A failed save stops the loop with the error, and the
 * write that needed it is never acknowledged.
 * Blocks. Return: 0 after a signal; -errno, -EBADMSG or -EPROTO (the state file) with @eb.
 */
int lww_net_run(struct lww_node *node, const struct replica_args *args, struct errbuf *eb);

#endif /* LWW_NET_H */
