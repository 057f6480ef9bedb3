/* SPDX-License-Identifier: MIT */
/* chord_client.h - chord-node for the Client seam: a lookup is one UDP datagram each way, a
 * state dump one TCP line each way. */
#ifndef CHORD_CLIENT_H
#define CHORD_CLIENT_H

#include <netinet/in.h>
#include <stdint.h>

#include "chord_id.h"
#include "client.h"

enum {
	CHORD_CLIENT_PORT_DEFAULT = 7001,       /* chord-node's UDP port (--gossip-port) */
	CHORD_STATE_PORT = 7000,                /* its TCP state lines (--client-port) */
	CHORD_CLIENT_REPLY_BYTES_MAX = 1024,
	CHORD_CLIENT_STATE_BYTES_MAX = 8192,    /* chord-node's state line */
};

struct chord_client {
	struct client base;
	int fd;                 /* a UDP socket connected to the node; -1 when closed */
	uint16_t port;
	struct in_addr addr;    /* the node's, for its TCP state line */
	int64_t timeout_ns;
	uint64_t serial;        /* the tag of the next request */
	struct chord_space space;       /* a put's or get's key name hashes into it */
	char reply[CHORD_CLIENT_REPLY_BYTES_MAX];
	char state[CHORD_CLIENT_STATE_BYTES_MAX];
};

/* chord_client_init() - ops "lookup" (value: the key's id), "put" (key: a name, value: an
 * integer), "get" (key: a name) and "state", to nodes of @bits-bit ids. */
void chord_client_init(struct chord_client *c, uint16_t port, int64_t timeout_ns,
		       unsigned bits);

/*
 * chord_client_parse_reply() - @line (chord_net.h's reply, no newline) for the lookup tagged
 * @tag into @result: ok with the JSON value {"status":"ok","owner":"n3","owner_id":ID,
 * "hops":H,"path":[...]} (or the status the node gave, without owner); fail for "error",
 * "busy" and "not-joined" (nothing was looked up). Return: 1 done; 0 a reply to another
 * lookup (a late one); -EBADMSG not a reply.
 */
int chord_client_parse_reply(const char *line, uint64_t tag, struct client_result *result);

/*
 * chord_client_parse_kv() - a put's or get's reply (@verb "put" or "get", chord_net.h) for
 * @tag into @result: ok with {"status":"ok"|"not-found",("value":V,)"version":N,"owner":
 * "n3","owner_id":ID,"hops":H} (a get that found nothing is ok: it read the owner); info for
 * a put the owner did not answer ("unknown": it may be stored); fail for anything else
 * (nothing was stored). Return: 1 done; 0 a reply to another request; -EBADMSG.
 */
int chord_client_parse_kv(const char *line, const char *verb, uint64_t tag,
			  struct client_result *result);

/*
 * chord_client_parse_state() - chord-node's state line (PROTOCOL.md) into @result: ok with
 * the compact JSON value {"joined":B,"incarnation":I,"pred":ID|null,"succ":[ID,...],
 * "fingers":[ID|null,...],"keys":[[KEY-ID,VERSION],...]} (ids only: the checker knows
 * every node's id; "keys" only if the line has them). An op "state"
 * is this dump. Return: 0; -EBADMSG if @line is not a state line.
 */
int chord_client_parse_state(const char *line, struct client_result *result);

#endif /* CHORD_CLIENT_H */
