/* SPDX-License-Identifier: MIT */
/* replica_server_internal.h - the replica server's private layout and the functions its
 * files share: replica_server.c (state file, setup, loop), replica_peers.c (UDP) and
 * replica_clients.c (TCP request lines). Not part of the API. */
#ifndef REPLICA_SERVER_INTERNAL_H
#define REPLICA_SERVER_INTERNAL_H

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "durable_file.h"
#include "errbuf.h"
#include "replica_server.h"

/* epoll tags: the server's own fds, then one per client slot. */
enum {
	REPLICA_TAG_LISTEN = 0,
	REPLICA_TAG_UDP = 1,
	REPLICA_TAG_SIGNAL = 2,
	REPLICA_TAG_CLIENT0 = 16,       /* client slot i is REPLICA_TAG_CLIENT0 + i */
};

/* A client connection: one request is answered before the next is read (no pipelining). */
struct replica_client {
	int fd;                         /* -1: free slot */
	bool closing;                   /* close once the reply is out */
	uint32_t events;                /* current epoll interest */
	uint32_t in_size;               /* <= request_bytes_max */
	uint32_t out_offset, out_size;  /* out_offset <= out_size <= reply_bytes_max */
	char *in;                       /* [request_bytes_max] */
	char *out;                      /* [reply_bytes_max] */
};

struct replica_ratelimit {
	int64_t window_ns;
	uint32_t logged;
	uint64_t suppressed;
};

/*
 * udp_batch: the datagrams of one recvmmsg(2), and the sends queued for one sendmmsg(2).
 * Invariants: out_count <= SEND_QUEUE_MAX; out_used <= SEND_ARENA_BYTES; queued datagram i
 * is out_bytes[iov i] of out_iov[i].iov_len bytes, to out_to[i].
 */
struct replica_udp_batch {
	struct mmsghdr *in_msgs;        /* [recv_batch_max] */
	struct iovec *in_iov;           /* [recv_batch_max] */
	struct sockaddr_in *in_from;    /* [recv_batch_max] */
	uint8_t *in_bytes;              /* [recv_batch_max * (datagram_bytes_max + 1)] */
	uint32_t out_count;
	size_t out_used;
	struct mmsghdr out_msgs[REPLICA_SERVER_SEND_QUEUE_MAX];
	struct iovec out_iov[REPLICA_SERVER_SEND_QUEUE_MAX];
	struct sockaddr_in out_to[REPLICA_SERVER_SEND_QUEUE_MAX];
	uint8_t out_bytes[REPLICA_SERVER_SEND_ARENA_BYTES];
};

/*
 * Invariants: every buffer is allocated by replica_server_open() and sized from the
 * config; file.dir_fd >= 0 iff durable; dirty implies durable; save_err < 0 implies stop.
 */
struct replica_server {
	struct replica_server_config config;
	const struct replica_server_ops *ops;
	void *ctx;
	struct replica_client *clients; /* [clients_max] */
	char *client_bytes;             /* [clients_max * (request + reply bytes max)] */
	uint8_t *datagram;              /* [datagram_bytes_max + 1]: + 1 detects oversized */
	uint8_t *state;                 /* [state_bytes_max], durable only */
	struct durable_file file;
	bool durable;
	int epoll_fd, listen_fd, udp_fd, signal_fd;
	bool stop;
	bool dirty;                     /* merged state not yet saved (peers still hold it) */
	int save_err;                   /* a failed save: stop, return it */
	struct errbuf save_eb;
	struct replica_ratelimit limit;
	struct replica_udp_batch *batch; /* udp_batch only */
};

/* replica_would_block() - @err (an errno) means "try again when the fd is ready". */
static inline bool replica_would_block(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK;
}

/* replica_epoll_set() - epoll_ctl(2) @op on @fd with @events and @tag. Return: 0 or -errno. */
static inline int replica_epoll_set(struct replica_server *s, int op, int fd, uint32_t events,
				    uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(s->epoll_fd, op, fd, &ev) < 0 ? -errno : 0;
}

/* --- replica_peers.c --- */

/* replica_peers_receive() - the datagrams waiting (up to recv_batch_max), each to
 * ops->datagram, with whether it came from a configured peer. Never blocks. */
void replica_peers_receive(struct replica_server *s);

/* replica_peers_flush() - the datagrams udp_batch queued, in order, by sendmmsg(2); a
 * failed one is logged (rate-limited). No-op without udp_batch. Never blocks. */
void replica_peers_flush(struct replica_server *s);

/* --- replica_clients.c --- */

/* replica_clients_accept() - accept up to a batch of connections into free client slots;
 * one with no free slot is closed. Never blocks. */
void replica_clients_accept(struct replica_server *s);

/* replica_clients_serve() - @events on open client @c: send the pending reply, read, and
 * answer complete lines one reply at a time; closes @c on error or after its last reply. */
void replica_clients_serve(struct replica_server *s, struct replica_client *c, uint32_t events);

/* replica_clients_close_all() - close every open client connection. */
void replica_clients_close_all(struct replica_server *s);

#endif /* REPLICA_SERVER_INTERNAL_H */
