/* SPDX-License-Identifier: MIT */
/* stream_client.h - the Client of stream-node (nodes/stream/PROTOCOL.md): events to a
 * source, a status read from any node. */
#ifndef STREAM_CLIENT_H
#define STREAM_CLIENT_H

#include <stdint.h>

#include "client.h"
#include "line_conn.h"

enum {
	STREAM_CLIENT_PORT_DEFAULT = 7000,
	STREAM_CLIENT_LINE_BYTES_MAX = 512,
};

/* f "send" (value {"id","key","t","v","source"}): ok once the source's log holds it, fail
 * when the source refused it; f "read": the node's status as JSON (a source's input ends). */
struct stream_client {
	struct client base;
	int64_t timeout_ns;
	struct line_conn conn;
	char buffer[STREAM_CLIENT_LINE_BYTES_MAX];
};

void stream_client_init(struct stream_client *c, uint16_t port, int64_t timeout_ns);

#endif /* STREAM_CLIENT_H */
