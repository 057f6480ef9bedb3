/* SPDX-License-Identifier: MIT */
/* replica_server.h - a replica daemon's shell: TCP request lines, UDP gossip, the state file,
 * ticks and SIGTERM/SIGINT in one single-threaded epoll loop around a pure core (S27). */
#ifndef REPLICA_SERVER_H
#define REPLICA_SERVER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "replica_args.h"

struct errbuf;
struct replica_server;                  /* opaque; from replica_server_open() */

enum { REPLICA_SERVER_UDP_BUFFER_BYTES_MAX = 64 << 20 };

/*
 * One request line (with its '\n', at most request_bytes_max bytes, untrusted). Writes the
 * reply line into @reply. Return: its size (1..@reply_size); or a negative errno for "no
 * reply": the connection is closed (after a failed replica_server_save()).
 */
typedef ssize_t replica_server_request_fn(struct replica_server *s, void *ctx,
					  const char *line, size_t size, char *reply,
					  size_t reply_size);

/*
 * One datagram of @size bytes from @from (untrusted), from any address (a peer, a client
 * or a stranger: the callback decides). @from_peer: it came from a configured peer's
 * gossip address. @size > datagram_bytes_max: it was larger than allowed, and
 * @bytes holds only its first datagram_bytes_max + 1 bytes.
 */
typedef void replica_server_datagram_fn(struct replica_server *s, void *ctx,
					const struct sockaddr_in *from, bool from_peer,
					const uint8_t *bytes, size_t size);

/* The time has come (monotonic ns >= next_tick_ns()): gossip. */
typedef void replica_server_tick_fn(struct replica_server *s, void *ctx);

/* When the next tick is due, in monotonic ns; INT64_MAX for never. */
typedef int64_t replica_server_next_tick_fn(void *ctx);

/*
 * The state file @path, @size bytes (untrusted), read at start-up. Return: 0 once the
 * state is restored; -EBADMSG, -EPROTO or -errno with @eb saying what is wrong.
 */
typedef int replica_server_load_fn(void *ctx, const char *path, const uint8_t *bytes,
				   size_t size, struct errbuf *eb);

/* Encode the whole state as a state file into @buf. Return: its size (1..@size). */
typedef ssize_t replica_server_save_fn(void *ctx, uint8_t *buf, size_t size);

/* All required; load and save are called only with a data dir. */
struct replica_server_ops {
	replica_server_request_fn *request;
	replica_server_datagram_fn *datagram;
	replica_server_tick_fn *tick;
	replica_server_next_tick_fn *next_tick_ns;
	replica_server_load_fn *load;
	replica_server_save_fn *save;
};

struct replica_server_config {
	struct replica_addrs addrs;
	const char *data_dir;           /* durable mode: DIR/state; NULL: memory only */
	size_t state_bytes_max;         /* the largest state file, >= 1 with a data dir */
	uint32_t clients_max;           /* connections served at once; more are closed */
	uint32_t request_bytes_max;     /* a request line with its '\n', >= 2 */
	uint32_t reply_bytes_max;       /* one connection's reply buffer, >= 32 */
	uint32_t datagram_bytes_max;    /* the largest valid datagram, <= 65507 */
	uint32_t recv_batch_max;        /* datagrams read per wake-up, >= 1 */
	/*
	 * The UDP socket gets SO_REUSEADDR and 4 MiB buffers (best effort). Without it, a
	 * second replica given the same gossip port fails to bind instead of splitting it.
	 */
	bool udp_shared;
	/* 0, or SO_RCVBUF/SO_SNDBUF for the UDP socket (best effort; <= the _MAX above). */
	uint32_t udp_buffer_bytes;
	/*
	 * Fewer system calls under load: datagrams are read recv_batch_max at a time with
	 * recvmmsg(2), and sends are queued (at most REPLICA_SERVER_SEND_QUEUE_MAX, in
	 * REPLICA_SERVER_SEND_ARENA_BYTES) and go out with sendmmsg(2) when the queue is full
	 * and before the loop waits again: after the wake-up's datagrams, lines and tick.
	 */
	bool udp_batch;
};

enum {
	REPLICA_SERVER_SEND_QUEUE_MAX = 256,
	REPLICA_SERVER_SEND_ARENA_BYTES = 256 << 10,
};

/**
 * replica_server_open() - allocate every buffer (STYLE S20); with a data dir, open it
 * (creating it 0700) and hand DIR/state to ops->load if there is one; then open the
 * epoll set, a signalfd for SIGTERM and SIGINT, the TCP and the UDP socket. Logs the
 * peers, and whether a state file was found. Blocks.
 * @config is copied (its data_dir is used only here); @ops and @ctx are borrowed until
 * replica_server_close().
 * Return: 0 and *@out; -ENOMEM, -errno (bind, directory, read), -EBADMSG or -EPROTO from
 *         the state file, with @eb set; "refusing to start: " leads a state file's error.
 *         *@out is then still set (or NULL) and must be closed.
 */
int replica_server_open(struct replica_server **out, const struct replica_server_config *config,
			const struct replica_server_ops *ops, void *ctx, struct errbuf *eb);

/**
 * replica_server_run() - serve until SIGTERM or SIGINT (which must be blocked, see
 * replica_server_block_signals()) or a failed save; then save state not yet saved.
 * Blocks. Return: 0 after a signal; -errno with @eb set if epoll or a save failed.
 */
int replica_server_run(struct replica_server *s, struct errbuf *eb);

/* replica_server_close() - close and free everything, logging save statistics; NULL is ok. */
void replica_server_close(struct replica_server *s);

/**
 * replica_server_block_signals() - block SIGTERM and SIGINT (they are read from a signalfd
 * by replica_server_run()) and ignore SIGPIPE. Call before anything may take long.
 * Return: 0; -errno with @eb set.
 */
int replica_server_block_signals(struct errbuf *eb);

/**
 * replica_server_save() - save the whole state now (ops->save, then durable_file_write()),
 * if there is a data dir. A failure stops the loop, and the run returns it.
 * Return: true if the state is on disk (or there is no data dir); false if this or an
 *         earlier save failed: acknowledge nothing that needed it.
 */
bool replica_server_save(struct replica_server *s);

/* replica_server_mark_dirty() - save before the next tick and at the stop (no-op in memory). */
void replica_server_mark_dirty(struct replica_server *s);

/*
 * replica_server_send_peers() - @bytes[0..@size) to every peer's gossip address, without
 * blocking; lost datagrams are for the protocol to repair. After a failed save, nothing
 * is sent: it may hold what is not durable.
 */
void replica_server_send_peers(struct replica_server *s, const void *bytes, size_t size);

/*
 * replica_server_send_to() - @bytes[0..@size) (1..datagram_bytes_max) to one address, a
 * peer's or a client's, from the UDP socket, without blocking; the same rules as
 * replica_server_send_peers(): a loss is logged (rate-limited), nothing after a failed save.
 * With udp_batch, both copy @bytes into the send queue (sent in order, soon).
 */
void replica_server_send_to(struct replica_server *s, const struct sockaddr_in *to,
			    const void *bytes, size_t size);

/* replica_server_log_allowed() - may one more peer or client error be logged this second? */
bool replica_server_log_allowed(struct replica_server *s);

#endif /* REPLICA_SERVER_H */
