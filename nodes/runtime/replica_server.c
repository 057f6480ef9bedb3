/* SPDX-License-Identifier: MIT */
/* replica_server.c - epoll loop: TCP clients (text lines), UDP gossip, ticks and signals. */
#include "replica_server.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "durable_file.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "monotime.h"

enum {
	TAG_LISTEN = 0,
	TAG_UDP = 1,
	TAG_SIGNAL = 2,
	TAG_CLIENT0 = 16,               /* client slot i is TAG_CLIENT0 + i */
	EVENTS_MAX = 64,
	ACCEPT_BATCH_MAX = 16,
	LISTEN_BACKLOG = 128,
	UDP_BUFFER_BYTES = 4 << 20,     /* with udp_shared (or udp_buffer_bytes if larger) */
	LOG_PER_SECOND_MAX = 5,         /* peer and client error lines; the rest are counted */
	WAIT_MS_MAX = 1000,
	DATAGRAM_BYTES_LIMIT = 65507,   /* the largest UDP/IPv4 payload */
	REPLY_BYTES_MIN = 32,           /* "err line too long\n" fits */
};

/* A client connection: one request is answered before the next is read (no pipelining). */
struct client {
	int fd;                         /* -1: free slot */
	bool closing;                   /* close once the reply is out */
	uint32_t events;                /* current epoll interest */
	uint32_t in_size;               /* <= request_bytes_max */
	uint32_t out_offset, out_size;  /* out_offset <= out_size <= reply_bytes_max */
	char *in;                       /* [request_bytes_max] */
	char *out;                      /* [reply_bytes_max] */
};

struct ratelimit {
	int64_t window_ns;
	uint32_t logged;
	uint64_t suppressed;
};

/*
 * udp_batch: the datagrams of one recvmmsg(2), and the sends queued for one sendmmsg(2).
 * Invariants: out_count <= SEND_QUEUE_MAX; out_used <= SEND_ARENA_BYTES; queued datagram i
 * is out_bytes[iov i] of out_iov[i].iov_len bytes, to out_to[i].
 */
struct udp_batch {
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
	struct client *clients;         /* [clients_max] */
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
	struct ratelimit limit;
	struct udp_batch *batch;        /* udp_batch only */
};

bool replica_server_log_allowed(struct replica_server *s)
{
	int64_t now = monotime_ns();

	if (now - s->limit.window_ns >= 1000000000ll) {
		if (s->limit.suppressed)
			log_warn("%llu similar messages suppressed",
				 (unsigned long long)s->limit.suppressed);
		s->limit = (struct ratelimit){ .window_ns = now };
	}
	if (s->limit.logged < LOG_PER_SECOND_MAX) {
		s->limit.logged++;
		return true;
	}
	s->limit.suppressed++;
	return false;
}

static bool would_block(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK;
}

static int epoll_set(struct replica_server *s, int op, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(s->epoll_fd, op, fd, &ev) < 0 ? -errno : 0;
}

/* --- the state file --- */

bool replica_server_save(struct replica_server *s)
{
	ssize_t n;

	if (!s->durable)
		return true;
	if (s->save_err < 0)
		return false;
	n = s->ops->save(s->ctx, s->state, s->config.state_bytes_max);
	ASSERT(n > 0 && (size_t)n <= s->config.state_bytes_max);
	s->save_err = durable_file_write(&s->file, (size_t)n, &s->save_eb);
	if (s->save_err < 0) {
		/* Never acknowledge what is not durable: stop (exit 70) instead. */
		s->stop = true;
		return false;
	}
	s->dirty = false;
	return true;
}

void replica_server_mark_dirty(struct replica_server *s)
{
	s->dirty = s->durable;
}

/* load() - DIR/state into the core, if there is one; an error refuses the start. */
static int load(struct replica_server *s, struct errbuf *eb)
{
	ssize_t n = durable_file_read(&s->file, eb);
	int err;

	if (n == -ENOENT) {
		log_info("%s: no state file yet, starting empty", s->file.path);
		return 0;
	}
	if (n < 0)
		return errbuf_prefix(eb, (int)n, "refusing to start: ");
	err = s->ops->load(s->ctx, s->file.path, s->state, (size_t)n, eb);
	if (err < 0)
		return errbuf_prefix(eb, err, "refusing to start: state file %s: ", s->file.path);
	return 0;
}

/* --- peers --- */

/* send_now() - one datagram to @to without blocking. Return: 0 or errno (not logged). */
static int send_now(const struct replica_server *s, const struct sockaddr_in *to,
		    const void *bytes, size_t size)
{
	return sendto(s->udp_fd, bytes, size, MSG_DONTWAIT, (const struct sockaddr *)to,
		      sizeof(*to)) < 0 ? errno : 0;
}

static void log_send_error(struct replica_server *s, const struct sockaddr_in *to, int err)
{
	char buf[REPLICA_ARGS_ADDR_TEXT_BYTES];

	if (replica_server_log_allowed(s))
		log_warn("send to %s: %s", replica_args_addr_text(to, buf, sizeof(buf)),
			 strerror(err));
}

/* send_flush() - the queued datagrams, in order, by sendmmsg(2); a failed one is logged. */
static void send_flush(struct replica_server *s)
{
	struct udp_batch *b = s->batch;
	uint32_t done = 0;

	/* Bounded: each pass sends at least one datagram or gives one up. */
	while (b && done < b->out_count) {
		int n = sendmmsg(s->udp_fd, b->out_msgs + done, b->out_count - done,
				 MSG_DONTWAIT);

		if (n > 0) {
			done += (uint32_t)n;
			continue;
		}
		log_send_error(s, &b->out_to[done], n < 0 ? errno : EIO);
		done++;
	}
	if (b) {
		b->out_count = 0;
		b->out_used = 0;
	}
}

/*
 * send_one() - one datagram to @to: at once, or into the queue with udp_batch (flushed
 * first if full; one larger than the whole arena goes at once, after the queue).
 * Return: 0 or errno (not logged).
 */
static int send_one(struct replica_server *s, const struct sockaddr_in *to,
		    const void *bytes, size_t size)
{
	struct udp_batch *b = s->batch;
	uint32_t i;

	if (!b)
		return send_now(s, to, bytes, size);
	if (b->out_count == REPLICA_SERVER_SEND_QUEUE_MAX ||
	    sizeof(b->out_bytes) - b->out_used < size)
		send_flush(s);
	if (size > sizeof(b->out_bytes))
		return send_now(s, to, bytes, size);
	i = b->out_count++;
	memcpy(b->out_bytes + b->out_used, bytes, size);
	b->out_to[i] = *to;
	b->out_iov[i] = (struct iovec){ b->out_bytes + b->out_used, size };
	b->out_msgs[i].msg_hdr = (struct msghdr){ .msg_name = &b->out_to[i],
						  .msg_namelen = sizeof(b->out_to[i]),
						  .msg_iov = &b->out_iov[i], .msg_iovlen = 1 };
	b->out_used += size;
	return 0;
}

void replica_server_send_peers(struct replica_server *s, const void *bytes, size_t size)
{
	const struct replica_addrs *addrs = &s->config.addrs;
	char buf[REPLICA_ARGS_ADDR_TEXT_BYTES];

	ASSERT(size > 0 && size <= s->config.datagram_bytes_max);
	ASSERT(addrs->peer_count < REPLICA_ARGS_REPLICAS_MAX);
	if (s->save_err < 0)
		return;
	for (uint32_t p = 0; p < addrs->peer_count; p++) {
		const struct sockaddr_in *to = &addrs->peer_addrs[p];
		int err = send_one(s, to, bytes, size);

		if (err && replica_server_log_allowed(s))
			log_warn("send to peer %u (%s): %s", addrs->peer_ids[p],
				 replica_args_addr_text(to, buf, sizeof(buf)), strerror(err));
	}
}

void replica_server_send_to(struct replica_server *s, const struct sockaddr_in *to,
			    const void *bytes, size_t size)
{
	int err;

	ASSERT(to && to->sin_family == AF_INET);
	ASSERT(size > 0 && size <= s->config.datagram_bytes_max);
	if (s->save_err < 0)
		return;
	err = send_one(s, to, bytes, size);
	if (err)
		log_send_error(s, to, err);
}

/*
 * peer_known() - did @from come from a configured peer's gossip socket? Replicas send from
 * the socket they bind, so anything else (a stray or spoofing host) is not a replica.
 */
static bool peer_known(const struct replica_server *s, const struct sockaddr_in *from)
{
	const struct replica_addrs *addrs = &s->config.addrs;

	ASSERT(addrs->peer_count < REPLICA_ARGS_REPLICAS_MAX);
	for (uint32_t p = 0; p < addrs->peer_count; p++) {
		const struct sockaddr_in *a = &addrs->peer_addrs[p];

		if (a->sin_addr.s_addr == from->sin_addr.s_addr && a->sin_port == from->sin_port)
			return true;
	}
	return false;
}

/* on_udp_batch() - up to recv_batch_max datagrams by one recvmmsg(2), each to ops->datagram. */
static void on_udp_batch(struct replica_server *s)
{
	struct udp_batch *b = s->batch;
	int n;

	for (uint32_t i = 0; i < s->config.recv_batch_max; i++) {
		b->in_from[i] = (struct sockaddr_in){ .sin_family = AF_UNSPEC };
		b->in_msgs[i].msg_hdr.msg_namelen = sizeof(b->in_from[i]);
	}
	n = recvmmsg(s->udp_fd, b->in_msgs, s->config.recv_batch_max, MSG_DONTWAIT | MSG_TRUNC,
		     NULL);
	if (n < 0 && !would_block(errno) && replica_server_log_allowed(s))
		log_warn("gossip receive: %s", strerror(errno));
	for (int i = 0; i < n; i++) {
		const struct sockaddr_in *from = &b->in_from[i];
		bool from_peer = b->in_msgs[i].msg_hdr.msg_namelen == sizeof(*from) &&
				 from->sin_family == AF_INET && peer_known(s, from);

		s->ops->datagram(s, s->ctx, from, from_peer, b->in_iov[i].iov_base,
				 b->in_msgs[i].msg_len);
	}
}

static void on_udp(struct replica_server *s)
{
	if (s->batch) {
		on_udp_batch(s);
		return;
	}
	for (uint32_t i = 0; i < s->config.recv_batch_max; i++) {
		struct sockaddr_in from = { .sin_family = AF_UNSPEC };
		socklen_t from_size = sizeof(from);
		ssize_t n = recvfrom(s->udp_fd, s->datagram, s->config.datagram_bytes_max + 1,
				     MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from,
				     &from_size);
		bool from_peer;

		if (n < 0) {
			if (!would_block(errno) && replica_server_log_allowed(s))
				log_warn("gossip receive: %s", strerror(errno));
			return;
		}
		from_peer = from_size == sizeof(from) && from.sin_family == AF_INET &&
			    peer_known(s, &from);
		s->ops->datagram(s, s->ctx, &from, from_peer, s->datagram, (size_t)n);
	}
}

/* --- clients --- */

static void client_close(struct client *c)
{
	ASSERT(c->fd >= 0);
	close(c->fd);   /* also leaves the epoll set */
	c->fd = -1;
}

static void client_arm(struct replica_server *s, struct client *c)
{
	uint32_t events = c->out_size > c->out_offset ? EPOLLOUT : EPOLLIN;
	uint64_t tag = TAG_CLIENT0 + (uint64_t)(c - s->clients);

	if (events == c->events)
		return;
	c->events = events;
	if (epoll_set(s, EPOLL_CTL_MOD, c->fd, events, tag) < 0)
		client_close(c);
}

/* client_flush() - write what is pending. Return: true if the client is still open. */
static bool client_flush(struct replica_server *s, struct client *c)
{
	ASSERT(c->out_offset <= c->out_size);
	/* Bounded: each pass sends at least one byte, or leaves. */
	while (c->out_offset < c->out_size) {
		ssize_t n = send(c->fd, c->out + c->out_offset, c->out_size - c->out_offset,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && would_block(errno))
			break;
		if (n <= 0) {
			if (replica_server_log_allowed(s))
				log_warn("client fd %d: send: %s", c->fd, strerror(errno));
			client_close(c);
			return false;
		}
		c->out_offset += (uint32_t)n;
	}
	if (c->out_offset == c->out_size) {
		c->out_offset = c->out_size = 0;
		if (c->closing) {
			client_close(c);
			return false;
		}
	}
	client_arm(s, c);
	return c->fd >= 0;
}

static void client_request(struct replica_server *s, struct client *c, size_t size)
{
	ssize_t n;

	ASSERT(c->out_size == 0);
	n = s->ops->request(s, s->ctx, c->in, size, c->out, s->config.reply_bytes_max);
	if (n < 0) {
		c->closing = true;      /* no reply: the client sees the request as unknown */
		return;
	}
	ASSERT(n > 0 && (size_t)n <= s->config.reply_bytes_max);
	c->out_size = (uint32_t)n;
}

/* client_process() - answer the complete lines buffered, one reply in flight at a time. */
static void client_process(struct replica_server *s, struct client *c)
{
	for (uint32_t i = 0; i < s->config.request_bytes_max && c->fd >= 0 && c->out_size == 0;
	     i++) {
		char *nl = memchr(c->in, '\n', c->in_size);
		size_t used;
		int n;

		if (!nl) {
			if (c->in_size < s->config.request_bytes_max)
				return;
			n = snprintf(c->out, s->config.reply_bytes_max, "err line too long\n");
			ASSERT(n > 0 && (uint32_t)n < s->config.reply_bytes_max);
			c->out_size = (uint32_t)n;
			c->closing = true;
			client_flush(s, c);
			return;
		}
		used = (size_t)(nl - c->in) + 1;
		client_request(s, c, used);
		memmove(c->in, c->in + used, c->in_size - used);
		c->in_size -= (uint32_t)used;
		client_flush(s, c);
	}
}

static void on_client(struct replica_server *s, struct client *c, uint32_t events)
{
	ssize_t n;

	if (c->out_size > c->out_offset && !client_flush(s, c))
		return;
	if (c->out_size == 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		n = recv(c->fd, c->in + c->in_size, s->config.request_bytes_max - c->in_size,
			 MSG_DONTWAIT);
		if (n < 0 && would_block(errno))
			return;
		if (n <= 0) {
			if (n < 0 && replica_server_log_allowed(s))
				log_warn("client fd %d: receive: %s", c->fd, strerror(errno));
			client_close(c);
			return;
		}
		c->in_size += (uint32_t)n;
	}
	client_process(s, c);
}

static void on_accept(struct replica_server *s)
{
	for (int i = 0; i < ACCEPT_BATCH_MAX; i++) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c = NULL;

		if (fd < 0) {
			if (!would_block(errno) && replica_server_log_allowed(s))
				log_warn("accept: %s", strerror(errno));
			return;
		}
		for (uint32_t k = 0; k < s->config.clients_max && !c; k++)
			c = s->clients[k].fd < 0 ? &s->clients[k] : NULL;
		if (!c || epoll_set(s, EPOLL_CTL_ADD, fd, EPOLLIN,
				    TAG_CLIENT0 + (uint64_t)(c - s->clients)) < 0) {
			if (replica_server_log_allowed(s))
				log_warn("refusing client: %u connections open",
					 s->config.clients_max);
			close(fd);
			continue;
		}
		/* Field by field: the buffers need no clearing. */
		c->fd = fd;
		c->events = EPOLLIN;
		c->closing = false;
		c->in_size = c->out_offset = c->out_size = 0;
	}
}

/* --- setup and loop --- */

static int open_socket(const struct replica_server *s, int type, const struct sockaddr_in *addr,
		       struct errbuf *eb)
{
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, err;
	int bytes = (int)s->config.udp_buffer_bytes;
	char buf[REPLICA_ARGS_ADDR_TEXT_BYTES];

	if (fd < 0)
		return errbuf_set(eb, -errno, "socket");
	/*
	 * TCP always: a restarted replica must rebind over TIME_WAIT. UDP only if shared: there
	 * SO_REUSEADDR lets two replicas bind one gossip port and split its datagrams.
	 */
	if (type == SOCK_STREAM || s->config.udp_shared)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s->config.udp_shared && bytes < UDP_BUFFER_BYTES)
		bytes = UDP_BUFFER_BYTES;
	if (type == SOCK_DGRAM && bytes > 0) {
		/* Best effort: the kernel caps these at rmem_max / wmem_max. */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
	}
	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, LISTEN_BACKLOG) < 0)) {
		err = -errno;
		close(fd);
		return errbuf_set(eb, err, "bind %s %s", type == SOCK_STREAM ? "tcp" : "udp",
				  replica_args_addr_text(addr, buf, sizeof(buf)));
	}
	return fd;
}

static void check_config(const struct replica_server_config *c,
			 const struct replica_server_ops *ops)
{
	ASSERT(ops->request);
	ASSERT(ops->datagram);
	ASSERT(ops->tick);
	ASSERT(ops->next_tick_ns);
	if (c->data_dir) {
		ASSERT(ops->load);
		ASSERT(ops->save);
		ASSERT(c->state_bytes_max >= 1);
	}
	ASSERT(c->clients_max >= 1 && c->clients_max <= UINT32_MAX - TAG_CLIENT0);
	ASSERT(c->request_bytes_max >= 2);
	ASSERT(c->reply_bytes_max >= REPLY_BYTES_MIN);
	ASSERT(c->datagram_bytes_max >= 1 && c->datagram_bytes_max <= DATAGRAM_BYTES_LIMIT);
	ASSERT(c->recv_batch_max >= 1);
	ASSERT(c->udp_buffer_bytes <= REPLICA_SERVER_UDP_BUFFER_BYTES_MAX);
	ASSERT(c->addrs.peer_count < REPLICA_ARGS_REPLICAS_MAX);
}

/* alloc_batch() - the recvmmsg(2) vectors and buffers, and the send queue. */
static int alloc_batch(struct replica_server *s, struct errbuf *eb)
{
	uint32_t max = s->config.recv_batch_max;
	size_t each = (size_t)s->config.datagram_bytes_max + 1;
	struct udp_batch *b = s->batch = calloc(1, sizeof(*b));

	if (!b)
		return errbuf_set(eb, -ENOMEM, "send queue");
	b->in_msgs = calloc(max, sizeof(b->in_msgs[0]));
	b->in_iov = calloc(max, sizeof(b->in_iov[0]));
	b->in_from = calloc(max, sizeof(b->in_from[0]));
	b->in_bytes = calloc(max, each);
	if (!b->in_msgs || !b->in_iov || !b->in_from || !b->in_bytes)
		return errbuf_set(eb, -ENOMEM, "receive buffers for %u datagrams", max);
	for (uint32_t i = 0; i < max; i++) {
		b->in_iov[i] = (struct iovec){ b->in_bytes + i * each, each };
		b->in_msgs[i].msg_hdr = (struct msghdr){ .msg_name = &b->in_from[i],
							 .msg_namelen = sizeof(b->in_from[i]),
							 .msg_iov = &b->in_iov[i],
							 .msg_iovlen = 1 };
	}
	return 0;
}

static void free_batch(struct udp_batch *b)
{
	if (!b)
		return;
	free(b->in_bytes);
	free(b->in_from);
	free(b->in_iov);
	free(b->in_msgs);
	free(b);
}

/* alloc_buffers() - every buffer of the loop, once (STYLE S20). */
static int alloc_buffers(struct replica_server *s, struct errbuf *eb)
{
	const struct replica_server_config *c = &s->config;
	size_t per_client = (size_t)c->request_bytes_max + c->reply_bytes_max;

	s->clients = calloc(c->clients_max, sizeof(s->clients[0]));
	s->client_bytes = calloc(c->clients_max, per_client);
	s->datagram = calloc(1, (size_t)c->datagram_bytes_max + 1);
	s->state = c->data_dir ? calloc(1, c->state_bytes_max) : NULL;
	if (!s->clients || !s->client_bytes || !s->datagram || (c->data_dir && !s->state))
		return errbuf_set(eb, -ENOMEM, "daemon buffers for %u clients", c->clients_max);
	for (uint32_t i = 0; i < c->clients_max; i++) {
		s->clients[i].fd = -1;
		s->clients[i].in = s->client_bytes + i * per_client;
		s->clients[i].out = s->clients[i].in + c->request_bytes_max;
	}
	return c->udp_batch ? alloc_batch(s, eb) : 0;
}

static void log_peers(const struct replica_addrs *addrs)
{
	char buf[REPLICA_ARGS_ADDR_TEXT_BYTES];

	for (uint32_t i = 0; i < addrs->peer_count; i++)
		log_info("peer %u at udp %s", addrs->peer_ids[i],
			 replica_args_addr_text(&addrs->peer_addrs[i], buf, sizeof(buf)));
}

static int open_fds(struct replica_server *s, struct errbuf *eb)
{
	sigset_t mask;
	int err;

	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epoll_fd < 0)
		return errbuf_set(eb, -errno, "epoll_create1");
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	s->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->signal_fd < 0)
		return errbuf_set(eb, -errno, "signalfd");
	s->listen_fd = open_socket(s, SOCK_STREAM, &s->config.addrs.client_addr, eb);
	if (s->listen_fd < 0)
		return s->listen_fd;
	s->udp_fd = open_socket(s, SOCK_DGRAM, &s->config.addrs.gossip_addr, eb);
	if (s->udp_fd < 0)
		return s->udp_fd;
	err = epoll_set(s, EPOLL_CTL_ADD, s->listen_fd, EPOLLIN, TAG_LISTEN);
	if (err == 0)
		err = epoll_set(s, EPOLL_CTL_ADD, s->udp_fd, EPOLLIN, TAG_UDP);
	if (err == 0)
		err = epoll_set(s, EPOLL_CTL_ADD, s->signal_fd, EPOLLIN, TAG_SIGNAL);
	return err < 0 ? errbuf_set(eb, err, "epoll_ctl") : 0;
}

int replica_server_open(struct replica_server **out, const struct replica_server_config *config,
			const struct replica_server_ops *ops, void *ctx, struct errbuf *eb)
{
	struct replica_server *s;
	int err;

	ASSERT(out);
	ASSERT(config);
	ASSERT(ops);
	check_config(config, ops);
	*out = s = calloc(1, sizeof(*s));
	if (!s)
		return errbuf_set(eb, -ENOMEM, "daemon state");
	s->config = *config;
	s->ops = ops;
	s->ctx = ctx;
	s->file.dir_fd = s->epoll_fd = s->listen_fd = s->udp_fd = s->signal_fd = -1;
	log_peers(&config->addrs);
	err = alloc_buffers(s, eb);
	if (err == 0 && config->data_dir) {
		err = durable_file_open(&s->file, config->data_dir, REPLICA_ARGS_STATE_NAME,
					s->state, config->state_bytes_max, eb);
		if (err == 0)
			err = load(s, eb);
		s->durable = err == 0;
	}
	return err < 0 ? err : open_fds(s, eb);
}

static int wait_ms(const struct replica_server *s)
{
	int64_t next = s->ops->next_tick_ns(s->ctx), now = monotime_ns();

	if (next <= now)
		return 0;
	if (next - now >= (int64_t)WAIT_MS_MAX * 1000000)
		return WAIT_MS_MAX;
	return (int)((next - now + 999999) / 1000000);
}

static void dispatch(struct replica_server *s, const struct epoll_event *ev)
{
	struct signalfd_siginfo info;
	uint64_t slot;

	switch (ev->data.u64) {
	case TAG_LISTEN:
		on_accept(s);
		break;
	case TAG_UDP:
		on_udp(s);
		break;
	case TAG_SIGNAL:
		if (read(s->signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
			log_info("signal %u: stopping", info.ssi_signo);
			s->stop = true;
		}
		break;
	default:
		ASSERT(ev->data.u64 >= TAG_CLIENT0);
		ASSERT(ev->data.u64 < TAG_CLIENT0 + (uint64_t)s->config.clients_max);
		slot = ev->data.u64 - TAG_CLIENT0;
		if (s->clients[slot].fd >= 0)
			on_client(s, &s->clients[slot], ev->events);
		break;
	}
}

/* on_tick() - merged state first (a failed save sends nothing), then the core's tick. */
static void on_tick(struct replica_server *s)
{
	if (s->dirty)
		replica_server_save(s);
	s->ops->tick(s, s->ctx);
}

int replica_server_run(struct replica_server *s, struct errbuf *eb)
{
	struct epoll_event events[EVENTS_MAX];
	char buf[REPLICA_ARGS_ADDR_TEXT_BYTES];
	int err = 0;

	ASSERT(s);
	ASSERT(s->epoll_fd >= 0);
	ASSERT(s->udp_fd >= 0);
	log_info("clients on tcp %s",
		 replica_args_addr_text(&s->config.addrs.client_addr, buf, sizeof(buf)));
	log_info("gossip on udp %s",
		 replica_args_addr_text(&s->config.addrs.gossip_addr, buf, sizeof(buf)));
	/* The event loop is the one unbounded loop (STYLE S18); it ends on a signal. */
	while (!s->stop) {
		int n = epoll_wait(s->epoll_fd, events, EVENTS_MAX, wait_ms(s));

		if (n < 0 && errno != EINTR) {
			err = errbuf_set(eb, -errno, "epoll_wait");
			break;
		}
		for (int i = 0; i < n; i++)
			dispatch(s, &events[i]);
		if (!s->stop && monotime_ns() >= s->ops->next_tick_ns(s->ctx))
			on_tick(s);
		if (s->save_err < 0 && s->batch)
			s->batch->out_count = 0;        /* nothing after a failed save */
		send_flush(s);  /* what this wake-up queued, before waiting again */
	}
	if (err == 0 && s->dirty)
		replica_server_save(s);
	if (err == 0 && s->save_err < 0) {
		*eb = s->save_eb;
		err = s->save_err;
	}
	ASSERT(err <= 0);
	return err;
}

void replica_server_close(struct replica_server *s)
{
	const struct durable_file *f;

	if (!s)
		return;
	f = &s->file;
	if (f->write_count > 0)
		log_info("%s: %llu saves, mean %lld us, max %lld us", f->path,
			 (unsigned long long)f->write_count,
			 (long long)(f->write_ns_total / (int64_t)f->write_count / 1000),
			 (long long)(f->write_ns_max / 1000));
	for (uint32_t i = 0; s->clients && i < s->config.clients_max; i++) {
		if (s->clients[i].fd >= 0)
			client_close(&s->clients[i]);
	}
	if (s->udp_fd >= 0)
		close(s->udp_fd);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->signal_fd >= 0)
		close(s->signal_fd);
	if (s->epoll_fd >= 0)
		close(s->epoll_fd);
	durable_file_close(&s->file);
	free_batch(s->batch);
	free(s->state);
	free(s->datagram);
	free(s->client_bytes);
	free(s->clients);
	free(s);
}

int replica_server_block_signals(struct errbuf *eb)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return errbuf_set(eb, -errno, "sigprocmask");
	return 0;
}
