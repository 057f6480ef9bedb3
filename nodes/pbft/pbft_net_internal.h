/* SPDX-License-Identifier: MIT */
/* pbft_net_internal.h - pbft-node's shell state, shared by pbft_net.c (the replica, the
 * run), pbft_line.c (the TCP line protocol) and pbft_unreplicated.c. Not part of the API. */
#ifndef PBFT_NET_INTERNAL_H
#define PBFT_NET_INTERNAL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pbft.h"
#include "pbft_bundle.h"
#include "pbft_evlog.h"
#include "pbft_kv.h"
#include "pbft_promise_file.h"
#include "replica_server.h"

enum {
	PBFT_LINE_REQUEST_BYTES_MAX = 256,      /* a line with its '\n' */
	PBFT_LINE_REPLY_BYTES_MAX = 1024,       /* the status line is about 300 bytes */
};

/*
 * --unreplicated: no core, one KV store and the core's reply cache rule, executed at once.
 * Principals as in a cluster of n = 1: the daemon is replica 0, client c is 1 + c.
 */
struct pbft_unrep {
	struct pbft_kv kv;
	struct pbft_result replies[PBFT_CLIENTS_MAX];   /* timestamp 0: nothing executed */
	struct pbft_mac_key reply_keys[PBFT_CLIENTS_MAX];       /* key(0, 1 + c) */
	uint64_t executed_count, resent_count;
	uint64_t forged_count, malformed_count, refused_count;
	struct pbft_msg msg;                            /* the request, then the reply */
	uint8_t plain[PBFT_HEADER_BYTES + 64];          /* a reply's plain bytes */
};

/* The replica, where its principals are, its timer and counters; heap (the outputs). */
struct pbft_shell {
	struct pbft_replica *r;         /* NULL: --unreplicated (unrep below) */
	const struct pbft_config *config;
	uint32_t byzantine;             /* the modes now (the core has no getter) */
	uint64_t incarnation;           /* >= 1 */
	int64_t tick_ns;                /* > 0 */
	int64_t next_tick_ns;           /* monotonic; 0: at once */
	struct pbft_evlog evidence;
	struct pbft_promise_file promises;      /* DIR/promises, written before they leave */
	struct sockaddr_in replica_addrs[PBFT_REPLICAS_MAX];    /* gossip addresses, by id */
	struct sockaddr_in client_addrs[PBFT_CLIENTS_MAX];      /* of the last authentic request */
	uint64_t clients_seen;          /* bit c: client_addrs[c] is set */
	struct pbft_mac_key client_keys[PBFT_CLIENTS_MAX];      /* key(n + c, id) */
	uint64_t oversized_count;       /* datagrams over PBFT_SEALED_BYTES_MAX */
	uint64_t unroutable_count;      /* replies to a client never heard from */
	uint64_t bundle_count;          /* datagrams sent with two or more messages */
	uint64_t bad_bundle_count;      /* datagrams marked as bundles that do not split */
	bool hold_commits;              /* the fast path: COMMITs ride on the next send to all */
	struct pbft_held held;
	uint8_t sealed[PBFT_SEALED_BYTES_MAX];
	uint8_t bundle[PBFT_SEALED_BYTES_MAX];
	struct pbft_unrep unrep;
	uint8_t promises_buf[PBFT_PROMISES_BYTES_MAX];
	struct pbft_outputs out;
};

/**
 * pbft_unreplicated_datagram() - one datagram in --unreplicated mode (sh->r NULL). An
 * authentic REQUEST from client c goes through the core's reply cache rule (executed and
 * answered, answered from the cache, or dropped), a READ-ONLY read is answered at once,
 * and either makes @from c's reply address; anything else is counted and dropped.
 * @bytes is untrusted, at most PBFT_SEALED_BYTES_MAX bytes. Never blocks.
 */
void pbft_unreplicated_datagram(struct replica_server *s, struct pbft_shell *sh,
				const struct sockaddr_in *from, const uint8_t *bytes, size_t size);

/*
 * pbft_line_request() - the replica server's request callback (@ctx: the struct pbft_shell):
 * "status" (the counters as one JSON line), "byzantine MODE[,MODE...]" or "byzantine none"
 * (set the modes, logged as evidence); anything else gets a JSON error line.
 */
replica_server_request_fn pbft_line_request;

#endif /* PBFT_NET_INTERNAL_H */
