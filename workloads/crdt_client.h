/* SPDX-License-Identifier: MIT */
/* crdt_client.h - client of crdt-node's text protocol (nodes/crdt/PROTOCOL.md). */
#ifndef CRDT_CLIENT_H
#define CRDT_CLIENT_H

#include <stdint.h>

#include "client.h"
#include "line_conn.h"
#include "crdt_model.h"

enum {
	CRDT_CLIENT_PORT_DEFAULT = 7000,
	CRDT_CLIENT_LINE_BYTES_MAX = 96 * 1024,  /* a read reply of CLIENT_VALUE_INTS_MAX ints */
};

/*
 * Invariants: fd >= 0 exactly while connected; @buffer holds bytes received after the last
 * complete reply (none in practice: one request in flight at a time).
 */
struct crdt_client {
	struct client base;
	enum crdt_model model;
	const char *object;                     /* borrowed, e.g. "x" */
	int64_t timeout_ns;                     /* per connect and per request */
	struct line_conn conn;                  /* its buffer is @buffer */
	char buffer[CRDT_CLIENT_LINE_BYTES_MAX];
};

/* crdt_client_init() - set up @c (not connected); @object is borrowed. */
void crdt_client_init(struct crdt_client *c, enum crdt_model model, const char *object,
		      uint16_t port, int64_t timeout_ns);

/**
 * crdt_client_parse_reply() - parse one reply line (without newline) for request @f into
 * @result. Exposed for tests. Return: 0, or -EBADMSG for a malformed reply.
 */
int crdt_client_parse_reply(enum crdt_model model, const char *f, char *line,
			    struct client_result *result);

#endif /* CRDT_CLIENT_H */
