/* SPDX-License-Identifier: MIT */
/* stream_node.c - what stream-node's roles share: bug names, peers, append-only files. */
#include "stream_node.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "stream_wire.h"

int stream_node_bug_parse(const char *name, uint32_t *bug)
{
	static const struct { const char *name; uint32_t flag; } bugs[] = {
		{ "negative-modulo", STREAM_BUG_NEGATIVE_MODULO },
		{ "end-inclusive", STREAM_BUG_END_INCLUSIVE },
		{ "single-slide", STREAM_BUG_SINGLE_SLIDE },
		{ "watermark-max-not-min", STREAM_BUG_WATERMARK_MAX_NOT_MIN },
		{ "late-firing-dropped", STREAM_BUG_LATE_FIRING_DROPPED },
		{ "watermark-no-delay", STREAM_NODE_BUG_WATERMARK_NO_DELAY },
		{ "no-barrier-alignment", STREAM_NODE_BUG_NO_BARRIER_ALIGNMENT },
		{ "watermark-reset-on-restart", STREAM_BUG_WATERMARK_RESET_ON_RESTORE },
		{ "idle-flip-flop", STREAM_NODE_BUG_IDLE_FLIP_FLOP },
		{ "no-idle-timeout", STREAM_NODE_BUG_NO_IDLE_TIMEOUT },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bugs); i++) {
		if (strcmp(name, bugs[i].name) == 0) {
			*bug = bugs[i].flag;
			return 0;
		}
	}
	return -EINVAL;
}

struct replica_server_config stream_node_server_config(const struct replica_args *a,
							size_t state_bytes_max)
{
	return (struct replica_server_config){
		.addrs = a->addrs, .data_dir = a->data_dir, .state_bytes_max = state_bytes_max,
		.clients_max = STREAM_NODE_CLIENTS_MAX,
		.request_bytes_max = STREAM_NODE_REQUEST_BYTES_MAX,
		.reply_bytes_max = STREAM_NODE_REPLY_BYTES_MAX,
		.datagram_bytes_max = STREAM_WIRE_DATAGRAM_BYTES_MAX,
		.recv_batch_max = STREAM_NODE_RECV_BATCH_MAX,
	};
}

static int stateless_load(void *ctx, const char *path, const uint8_t *bytes, size_t size,
			  struct errbuf *eb)
{
	(void)ctx, (void)path, (void)bytes, (void)size, (void)eb;
	return 0;
}

static ssize_t stateless_save(void *ctx, uint8_t *buf, size_t size)
{
	(void)ctx;
	ASSERT(size >= 1);
	buf[0] = '\n';
	return 1;
}

int stream_node_serve(const struct replica_args *a, const struct replica_server_ops *ops,
		      void *ctx, struct errbuf *eb)
{
	const struct replica_server_config config = stream_node_server_config(a, 16);
	struct replica_server_ops stateless = *ops;
	struct replica_server *s = NULL;
	int err;

	stateless.load = stateless_load;
	stateless.save = stateless_save;
	err = replica_server_open(&s, &config, &stateless, ctx, eb);
	if (err == 0)
		err = replica_server_run(s, eb);
	replica_server_close(s);
	return err;
}

const struct sockaddr_in *stream_node_peer(const struct replica_args *a, uint32_t id)
{
	for (uint32_t i = 0; i < a->addrs.peer_count; i++)
		if (a->addrs.peer_ids[i] == id)
			return &a->addrs.peer_addrs[i];
	return NULL;
}

int64_t stream_node_peer_id(const struct replica_args *a, const struct sockaddr_in *from)
{
	for (uint32_t i = 0; i < a->addrs.peer_count; i++) {
		const struct sockaddr_in *p = &a->addrs.peer_addrs[i];

		if (p->sin_addr.s_addr == from->sin_addr.s_addr && p->sin_port == from->sin_port)
			return a->addrs.peer_ids[i];
	}
	return -1;
}
