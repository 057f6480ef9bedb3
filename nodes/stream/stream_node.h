/* SPDX-License-Identifier: MIT */
/* stream_node.h - stream-node's roles (internal to the daemon): a source, a window operator
 * or the sink, each a replica server shell; and the bugs they can be built with. */
#ifndef STREAM_NODE_H
#define STREAM_NODE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "replica_args.h"
#include "replica_server.h"
#include "stream_job.h"
#include "stream_operator.h"

struct errbuf;

/* Bugs of the shells, beside the operator core's (enum stream_bug, the low bits). */
enum stream_node_bug {
	STREAM_NODE_BUG_WATERMARK_NO_DELAY = 1u << 8,   /* source: watermark = max time */
	STREAM_NODE_BUG_NO_BARRIER_ALIGNMENT = 1u << 9, /* operator: inputs go on past a
							 * barrier until the checkpoint */
	STREAM_NODE_BUG_IDLE_FLIP_FLOP = 1u << 10,      /* source: idle at every gap between
							 * events (FLINK-34252) */
	STREAM_NODE_BUG_NO_IDLE_TIMEOUT = 1u << 11,     /* source: never idle (Beam#20908) */
};

enum {
	STREAM_NODE_TICK_MS = 10,
	STREAM_NODE_CLIENTS_MAX = 64,
	STREAM_NODE_REQUEST_BYTES_MAX = 128,
	STREAM_NODE_REPLY_BYTES_MAX = 256,
	STREAM_NODE_RECV_BATCH_MAX = 32,
	STREAM_NODE_PULL_TIMEOUT_MS = 100,      /* a pull unanswered this long is sent again */
	STREAM_NODE_STALL_MS = 200,             /* ticks further apart: the node was stalled */
};

/* stream_node_bug_parse() - a --bug NAME to its flag. Return: 0 or -EINVAL. */
int stream_node_bug_parse(const char *name, uint32_t *bug);

/* The roles; each serves until SIGTERM. Return: 0, or -errno with @eb set. */
int stream_source_run(const struct replica_args *a, const struct stream_job *job,
		      struct errbuf *eb);
int stream_task_run(const struct replica_args *a, const struct stream_job *job,
		    struct errbuf *eb);
int stream_sink_run(const struct replica_args *a, const struct stream_job *job,
		    struct errbuf *eb);

/* stream_node_server_config() - the replica server's settings every role shares, with a
 * state file of at most @state_bytes_max bytes. */
struct replica_server_config stream_node_server_config(const struct replica_args *a,
							size_t state_bytes_max);

/* stream_node_serve() - a role whose state is a log of its own, not the state file: open the
 * replica server with @ops (their load and save replaced: the state file holds one '\n', and
 * what is in it is ignored) over @ctx, serve until SIGTERM, close.
 * Return: 0, or -errno with @eb set. */
int stream_node_serve(const struct replica_args *a, const struct replica_server_ops *ops,
		      void *ctx, struct errbuf *eb);

/* stream_node_peer() - the address of node @id (a peer), or NULL if @id is ours or unknown. */
const struct sockaddr_in *stream_node_peer(const struct replica_args *a, uint32_t id);

/* stream_node_peer_id() - the id of the peer whose gossip address is @from; -1: none. */
int64_t stream_node_peer_id(const struct replica_args *a, const struct sockaddr_in *from);

#endif /* STREAM_NODE_H */
