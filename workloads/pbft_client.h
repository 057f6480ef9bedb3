/* SPDX-License-Identifier: MIT */
/* pbft_client.h - a PBFT client (nodes/pbft/PROTOCOL.md): sealed requests over UDP to the
 * primary (to every replica when resent, and reads on the fast path), a result accepted
 * once f+1 replicas (2f+1 on the fast path) sent matching authentic replies. */
#ifndef PBFT_CLIENT_H
#define PBFT_CLIENT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "client.h"
#include "pbft_limits.h"
#include "pbft_wire.h"

enum {
	PBFT_CLIENT_PORT_DEFAULT = 7001,        /* the replicas' UDP port */
	PBFT_CLIENT_RETRANSMIT_NS = 150 * 1000000, /* resend to every replica this often */
};

/*
 * What every client of one campaign shares (read-only once set up): the replicas, their
 * UDP port, the cluster secret and whether the client trusts the first reply (the seeded
 * client-side bug "client-first-reply").
 */
struct pbft_client_config {
	uint32_t replicas;                      /* n = 3f+1 */
	struct in_addr addrs[PBFT_REPLICAS_MAX];
	uint16_t port;
	uint8_t secret[PBFT_SECRET_BYTES];
	bool first_reply;                       /* the bug: accept one reply */
	/* The fast path (replicas run --tentative): reads go as READ-ONLY (resent in order
	 * if they get no 2f+1 match), and every result needs 2f+1 matching replies. */
	bool fast;
};

/*
 * One client thread's identity: its client id, taken on first use, and what its client
 * objects learned together. Replicas send replies to the address the client's last
 * authentic request came from, so a request goes to the primary alone only from the object
 * whose socket last reached every replica (@announced); any other sends to all.
 */
struct pbft_session {
	bool assigned;
	uint32_t client;                        /* < PBFT_CLIENTS_MAX */
	const struct pbft_client *announced;    /* NULL: none since it closed */
	uint64_t view;                          /* pbft_replies_view() of the last result */
};

/*
 * One client object; a thread has one per node, all on the same session (one PBFT client
 * id). A request goes to the primary of the session's view (PBFT 4.1), or to every replica
 * (see struct pbft_session), whatever node the op names; a resend always goes to all.
 * Request timestamps are the invocation's history index + 1, so the checker links
 * executions to the history.
 * Invariant: fd >= 0 exactly while open.
 */
struct pbft_client {
	struct client base;
	const struct pbft_client_config *config;        /* borrowed */
	struct pbft_session *session;                   /* borrowed */
	int64_t timeout_ns;
	int fd;                                         /* a UDP socket */
	uint32_t reply_mask;                            /* replicas that replied */
	struct pbft_result replies[PBFT_REPLICAS_MAX];  /* their latest reply to this op */
	uint64_t reply_views[PBFT_REPLICAS_MAX];        /* the view each reply named */
	uint8_t send_keys[PBFT_REPLICAS_MAX][PBFT_KEY_BYTES];  /* client -> replica i */
	uint8_t recv_keys[PBFT_REPLICAS_MAX][PBFT_KEY_BYTES];  /* replica i -> client */
	struct pbft_msg msg;                            /* the request, then each reply */
	uint8_t buf[PBFT_SEALED_BYTES_MAX + 1];
};

/*
 * pbft_client_init() - @c (not open) for @config on @session; @client_id is used if the
 * session has none yet (then it is taken). Both are borrowed.
 */
void pbft_client_init(struct pbft_client *c, const struct pbft_client_config *config,
		      struct pbft_session *session, uint32_t client_id, int64_t timeout_ns);

/**
 * pbft_client_request() - the request for history op @inv (f read/write/cas, key "k<K>",
 * value null / an int / [old, new]) with timestamp @timestamp.
 * Return: 0; -EINVAL with @eb saying what does not fit.
 */
int pbft_client_request(const struct op *inv, uint32_t client, uint64_t timestamp,
			struct pbft_request *out, struct errbuf *eb);

/**
 * pbft_client_result() - what the client makes of an accepted @reply to @inv: OP_OK (a read
 * records the value read, null or an int) or OP_FAIL for a cas whose old value did not
 * match (it did not happen). Fills @result.
 */
void pbft_client_result(const struct op *inv, const struct pbft_result *reply,
			struct client_result *result);

#endif /* PBFT_CLIENT_H */
