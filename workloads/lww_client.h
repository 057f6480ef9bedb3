/* SPDX-License-Identifier: MIT */
/* lww_client.h - client of lww-node's text protocol (nodes/lww/PROTOCOL.md), with sessions. */
#ifndef LWW_CLIENT_H
#define LWW_CLIENT_H

#include <stdint.h>

#include "client.h"
#include "line_conn.h"

enum {
	LWW_CLIENT_PORT_DEFAULT = 7000,
	LWW_CLIENT_LINE_BYTES_MAX = 256,
	LWW_SESSION_KEYS_MAX = 8,       /* keys one session remembers a timestamp for */
	LWW_KEY_BYTES_MAX = 33,         /* 32 characters and a NUL */
};

/*
 * What one client thread has seen, shared by its connections to every node: per key, the
 * largest timestamp it read or wrote. Every write carries it as AFTER, so a node stamping
 * with an HLC stamps past everything the writer saw (causality through the client).
 */
struct lww_session {
	uint32_t key_count;
	char keys[LWW_SESSION_KEYS_MAX][LWW_KEY_BYTES_MAX];
	uint64_t seen_ts[LWW_SESSION_KEYS_MAX];
};

struct lww_client {
	struct client base;
	struct lww_session *session;            /* borrowed; shared by one thread's clients */
	int64_t timeout_ns;                     /* per connect and per request */
	struct line_conn conn;                  /* its buffer is @buffer */
	char buffer[LWW_CLIENT_LINE_BYTES_MAX];
};

/* lww_client_init() - set up @c (not connected) on @session, which it borrows. */
void lww_client_init(struct lww_client *c, struct lww_session *session, uint16_t port,
		     int64_t timeout_ns);

/**
 * lww_client_parse_reply() - turn one reply line (NUL-terminated, no newline) to the request
 * f (@f "read" or "write", of @written for a write) into @result: "err ..." is OP_FAIL;
 * "ok ..." is OP_OK with @result->value the history's JSON object (value, ts, writer, clock
 * with wall, hlc and @host_ns), built in @result->json; @ts_out gets the reply's TS.
 * Return: 0, or -EBADMSG for any other line (the caller makes the op info).
 */
int lww_client_parse_reply(const char *f, int64_t written, const char *line, int64_t host_ns,
			   struct client_result *result, uint64_t *ts_out);

#endif /* LWW_CLIENT_H */
