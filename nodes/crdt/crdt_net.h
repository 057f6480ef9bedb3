/* SPDX-License-Identifier: MIT */
/* crdt_net.h - crdt-node's side of the replica server: the core's steps as its callbacks. */
#ifndef CRDT_NET_H
#define CRDT_NET_H

struct crdt_replica;
struct errbuf;
struct replica_args;

/**
 * crdt_net_run() - with @args->data_dir, restore DIR/state into @r (which has had no input
 * yet); then serve clients and peers until SIGTERM or SIGINT, and close everything.
 * SIGTERM and SIGINT must already be blocked (replica_server_block_signals()).
 * With a data dir, every client update is saved before its reply and its delta leave;
 * merged state is saved at the next tick. A failed save stops the loop with the error: the
 * update that needed it is never acknowledged nor sent.
 * Blocks. Return: 0 after a signal; -errno, -EBADMSG or -EPROTO (the state file) with @eb.
 */
int crdt_net_run(struct crdt_replica *r, const struct replica_args *args, struct errbuf *eb);

#endif /* CRDT_NET_H */
