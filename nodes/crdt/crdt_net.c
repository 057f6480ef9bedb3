/* SPDX-License-Identifier: MIT */
/* crdt_net.c - epoll loop: TCP clients (text lines), UDP gossip, ticks and signals. */
#include "crdt_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crdt.h"
#include "crdt_disk.h"
#include "crdt_store.h"
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
	SOCKET_BUFFER_BYTES = 4 << 20,
	LOG_PER_SECOND_MAX = 5,         /* peer and client error lines, the rest are counted */
	WAIT_MS_MAX = 1000,
};

/* A client connection: one request is answered before the next is read (no pipelining). */
struct client {
	int fd;                         /* -1: free slot */
	bool closing;                   /* close once the reply is out */
	uint32_t events;                /* current epoll interest */
	uint32_t in_size;
	uint32_t out_offset, out_size;
	char in[CRDT_REQUEST_BYTES_MAX];
	char out[CRDT_REPLY_BYTES_MAX + ERRBUF_BYTES_MAX];
};

struct ratelimit {
	int64_t window_ns;
	uint32_t logged;
	uint64_t suppressed;
};

struct net {
	struct crdt_replica *replica;
	const struct crdt_net_opts *opts;
	struct crdt_outbox *outbox;
	struct client *clients;         /* [CRDT_CLIENTS_MAX] */
	uint8_t *datagram;              /* [CRDT_DATAGRAM_BYTES_MAX + 1] */
	int epoll_fd, listen_fd, udp_fd, signal_fd;
	bool stop;
	bool dirty;                     /* merged state not yet saved (peers still hold it) */
	int save_err;                   /* a failed save: stop, exit with it */
	struct errbuf save_eb;
	struct ratelimit limit;
};

static bool log_allowed(struct net *net)
{
	int64_t now = monotime_ns();

	if (now - net->limit.window_ns >= 1000000000ll) {
		if (net->limit.suppressed)
			log_warn("%llu similar messages suppressed",
				 (unsigned long long)net->limit.suppressed);
		net->limit = (struct ratelimit){ .window_ns = now };
	}
	if (net->limit.logged < LOG_PER_SECOND_MAX) {
		net->limit.logged++;
		return true;
	}
	net->limit.suppressed++;
	return false;
}

static const char *addr_str(const struct sockaddr_in *a, char *buf, size_t size)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	snprintf(buf, size, "%s:%u", ip, ntohs(a->sin_port));
	return buf;
}

static int epoll_set(struct net *net, int op, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(net->epoll_fd, op, fd, &ev) < 0 ? -errno : 0;
}

/* --- the state file --- */

/* save() - write the whole state durably. Return: true, or false after a fatal failure. */
static bool save(struct net *net)
{
	struct crdt_disk *disk = net->opts->disk;
	ssize_t n;

	if (!disk)
		return true;
	if (net->save_err < 0)
		return false;
	n = crdt_replica_save(net->replica, disk->buf, CRDT_STORE_BYTES_MAX);
	ASSERT(n > 0);
	net->save_err = crdt_disk_write(disk, (size_t)n, &net->save_eb);
	if (net->save_err < 0) {
		/* Never acknowledge what is not durable: stop (exit 70) instead. */
		net->stop = true;
		return false;
	}
	net->dirty = false;
	return true;
}

/* persist() - act on the outbox's persist request. Return: false if the save failed. */
static bool persist(struct net *net)
{
	switch (net->outbox->persist) {
	case CRDT_PERSIST_NOW:
		return save(net);
	case CRDT_PERSIST_LAZY:
		net->dirty = net->opts->disk != NULL;
		return true;
	default:
		return true;
	}
}

/* --- peers --- */

static void send_messages(struct net *net)
{
	const struct crdt_outbox *out = net->outbox;
	char buf[64];

	ASSERT(out->message_count <= CRDT_OUTBOX_MSGS_MAX);
	/* After a failed save, nothing that may not be durable (a new tag) leaves. */
	if (net->save_err < 0)
		return;
	for (uint32_t m = 0; m < out->message_count; m++) {
		ASSERT(out->messages[m].dest == CRDT_DEST_PEERS);
		for (uint32_t p = 0; p < net->opts->peer_count; p++) {
			const struct sockaddr_in *to = &net->opts->peer_addrs[p];

			/* Lost datagrams are repaired by the next anti-entropy round. */
			if (sendto(net->udp_fd, out->messages[m].bytes, out->messages[m].size,
				   MSG_DONTWAIT, (const struct sockaddr *)to, sizeof(*to)) < 0 &&
			    log_allowed(net))
				log_warn("send to peer %u (%s): %s", net->opts->peer_ids[p],
					 addr_str(to, buf, sizeof(buf)), strerror(errno));
		}
	}
}

/*
 * peer_known() - did @from come from a configured peer's gossip socket? Replicas send from
 * the socket they bind, so anything else (a stray or spoofing host) is not a replica.
 */
static bool peer_known(const struct net *net, const struct sockaddr_in *from)
{
	ASSERT(net->opts->peer_count < CRDT_REPLICAS_MAX);
	for (uint32_t p = 0; p < net->opts->peer_count; p++) {
		const struct sockaddr_in *a = &net->opts->peer_addrs[p];

		if (a->sin_addr.s_addr == from->sin_addr.s_addr && a->sin_port == from->sin_port)
			return true;
	}
	return false;
}

static void on_udp(struct net *net)
{
	for (int i = 0; i < CRDT_RECV_BATCH_MAX; i++) {
		struct sockaddr_in from;
		socklen_t from_size = sizeof(from);
		struct crdt_input in = { .kind = CRDT_INPUT_PEER, .bytes = net->datagram };
		char buf[64];
		ssize_t n = recvfrom(net->udp_fd, net->datagram, CRDT_DATAGRAM_BYTES_MAX + 1,
				     MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from,
				     &from_size);
		int err;

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && log_allowed(net))
				log_warn("gossip receive: %s", strerror(errno));
			return;
		}
		in.size = (size_t)n;
		if (from_size != sizeof(from) || from.sin_family != AF_INET ||
		    !peer_known(net, &from)) {
			if (log_allowed(net))
				log_warn("datagram from unknown source %s dropped",
					 addr_str(&from, buf, sizeof(buf)));
			continue;
		}
		if (in.size > CRDT_DATAGRAM_BYTES_MAX) {
			if (log_allowed(net))
				log_warn("peer %s: oversized datagram (%zd bytes) dropped",
					 addr_str(&from, buf, sizeof(buf)), n);
			continue;
		}
		err = crdt_step(net->replica, &in, monotime_ns(), net->outbox);
		if (err < 0 && log_allowed(net))
			log_warn("peer %s: datagram rejected: %s: %s",
				 addr_str(&from, buf, sizeof(buf)), net->outbox->eb.msg,
				 strerror(-err));
		persist(net);
		send_messages(net);
	}
}

static void on_tick(struct net *net)
{
	struct crdt_input in = { .kind = CRDT_INPUT_TICK };
	int err = crdt_step(net->replica, &in, monotime_ns(), net->outbox);

	ASSERT(err == 0);
	ASSERT(net->outbox->reply_size == 0);
	if (net->dirty)
		save(net);
	send_messages(net);
}

/* --- clients --- */

static void client_close(struct net *net, struct client *c)
{
	ASSERT(c->fd >= 0);
	close(c->fd);   /* also leaves the epoll set */
	c->fd = -1;
}

static void client_arm(struct net *net, struct client *c)
{
	uint32_t events = c->out_size > c->out_offset ? EPOLLOUT : EPOLLIN;
	uint64_t tag = TAG_CLIENT0 + (uint64_t)(c - net->clients);

	if (events == c->events)
		return;
	c->events = events;
	if (epoll_set(net, EPOLL_CTL_MOD, c->fd, events, tag) < 0)
		client_close(net, c);
}

/* client_flush() - write what is pending. Return: true if the client is still open. */
static bool client_flush(struct net *net, struct client *c)
{
	while (c->out_offset < c->out_size) {
		ssize_t n = send(c->fd, c->out + c->out_offset, c->out_size - c->out_offset,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			if (log_allowed(net))
				log_warn("client fd %d: send: %s", c->fd, strerror(errno));
			client_close(net, c);
			return false;
		}
		c->out_offset += (uint32_t)n;
	}
	if (c->out_offset == c->out_size) {
		c->out_offset = c->out_size = 0;
		if (c->closing) {
			client_close(net, c);
			return false;
		}
	}
	client_arm(net, c);
	return c->fd >= 0;
}

static void client_request(struct net *net, struct client *c, const char *line, size_t size)
{
	struct crdt_input in = { .kind = CRDT_INPUT_CLIENT };
	struct errbuf eb = { "" };
	int n;

	ASSERT(c->out_size == 0);
	if (crdt_request_parse(line, size, &in.request, &eb) < 0) {
		n = snprintf(c->out, sizeof(c->out), "err %s\n", eb.msg);
		ASSERT(n > 0 && (size_t)n < sizeof(c->out));
		c->out_size = (uint32_t)n;
		return;
	}
	n = crdt_step(net->replica, &in, monotime_ns(), net->outbox);
	ASSERT(n == 0);
	ASSERT(net->outbox->reply_size > 0 && net->outbox->reply_size <= sizeof(c->out));
	/* Durable before the ok and before the delta leaves (its tag must not be reused). */
	if (!persist(net)) {
		c->closing = true;      /* no reply: the client sees the update as unknown */
		return;
	}
	memcpy(c->out, net->outbox->reply, net->outbox->reply_size);
	c->out_size = net->outbox->reply_size;
	send_messages(net);
}

/* client_process() - answer the complete lines buffered, one reply in flight at a time. */
static void client_process(struct net *net, struct client *c)
{
	for (int i = 0; i < CRDT_REQUEST_BYTES_MAX && c->fd >= 0 && c->out_size == 0; i++) {
		char *nl = memchr(c->in, '\n', c->in_size);
		size_t used;

		if (!nl) {
			if (c->in_size < sizeof(c->in))
				return;
			c->out_size = (uint32_t)snprintf(c->out, sizeof(c->out),
							 "err line too long\n");
			c->closing = true;
			client_flush(net, c);
			return;
		}
		used = (size_t)(nl - c->in) + 1;
		client_request(net, c, c->in, used);
		memmove(c->in, c->in + used, c->in_size - used);
		c->in_size -= (uint32_t)used;
		client_flush(net, c);
	}
}

static void on_client(struct net *net, struct client *c, uint32_t events)
{
	ssize_t n;

	if (c->out_size > c->out_offset && !client_flush(net, c))
		return;
	if (c->out_size == 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		n = recv(c->fd, c->in + c->in_size, sizeof(c->in) - c->in_size, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			if (n < 0 && log_allowed(net))
				log_warn("client fd %d: receive: %s", c->fd, strerror(errno));
			client_close(net, c);
			return;
		}
		c->in_size += (uint32_t)n;
	}
	client_process(net, c);
}

static void on_accept(struct net *net)
{
	for (int i = 0; i < ACCEPT_BATCH_MAX; i++) {
		int fd = accept4(net->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c = NULL;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && log_allowed(net))
				log_warn("accept: %s", strerror(errno));
			return;
		}
		for (uint32_t k = 0; k < CRDT_CLIENTS_MAX && !c; k++)
			c = net->clients[k].fd < 0 ? &net->clients[k] : NULL;
		if (!c || epoll_set(net, EPOLL_CTL_ADD, fd, EPOLLIN,
				    TAG_CLIENT0 + (uint64_t)(c - net->clients)) < 0) {
			if (log_allowed(net))
				log_warn("refusing client: %d connections open", CRDT_CLIENTS_MAX);
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

static int open_socket(int type, const struct sockaddr_in *addr, struct errbuf *eb)
{
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, err;
	int bytes = SOCKET_BUFFER_BYTES;
	char buf[64];

	if (fd < 0)
		return errbuf_set(eb, -errno, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (type == SOCK_DGRAM) {
		/* Best effort: the kernel caps these at rmem_max / wmem_max. */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
	}
	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) < 0)) {
		err = -errno;
		close(fd);
		return errbuf_set(eb, err, "bind %s", addr_str(addr, buf, sizeof(buf)));
	}
	return fd;
}

static int net_open(struct net *net, struct errbuf *eb)
{
	sigset_t mask;
	int err;

	net->outbox = calloc(1, sizeof(*net->outbox));
	net->clients = calloc(CRDT_CLIENTS_MAX, sizeof(net->clients[0]));
	net->datagram = calloc(1, CRDT_DATAGRAM_BYTES_MAX + 1);
	if (!net->outbox || !net->clients || !net->datagram)
		return errbuf_set(eb, -ENOMEM, "daemon buffers");
	for (uint32_t i = 0; i < CRDT_CLIENTS_MAX; i++)
		net->clients[i].fd = -1;
	net->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (net->epoll_fd < 0)
		return errbuf_set(eb, -errno, "epoll_create1");
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	net->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (net->signal_fd < 0)
		return errbuf_set(eb, -errno, "signalfd");
	net->listen_fd = open_socket(SOCK_STREAM, &net->opts->client_addr, eb);
	if (net->listen_fd < 0)
		return net->listen_fd;
	net->udp_fd = open_socket(SOCK_DGRAM, &net->opts->gossip_addr, eb);
	if (net->udp_fd < 0)
		return net->udp_fd;
	err = epoll_set(net, EPOLL_CTL_ADD, net->listen_fd, EPOLLIN, TAG_LISTEN);
	if (err == 0)
		err = epoll_set(net, EPOLL_CTL_ADD, net->udp_fd, EPOLLIN, TAG_UDP);
	if (err == 0)
		err = epoll_set(net, EPOLL_CTL_ADD, net->signal_fd, EPOLLIN, TAG_SIGNAL);
	return err < 0 ? errbuf_set(eb, err, "epoll_ctl") : 0;
}

static void net_close(struct net *net)
{
	for (uint32_t i = 0; net->clients && i < CRDT_CLIENTS_MAX; i++) {
		if (net->clients[i].fd >= 0)
			client_close(net, &net->clients[i]);
	}
	if (net->udp_fd >= 0)
		close(net->udp_fd);
	if (net->listen_fd >= 0)
		close(net->listen_fd);
	if (net->signal_fd >= 0)
		close(net->signal_fd);
	if (net->epoll_fd >= 0)
		close(net->epoll_fd);
	free(net->datagram);
	free(net->clients);
	free(net->outbox);
}

static int wait_ms(const struct net *net)
{
	int64_t next = crdt_replica_next_tick_ns(net->replica), now = monotime_ns();

	if (next <= now)
		return 0;
	if (next - now >= (int64_t)WAIT_MS_MAX * 1000000)
		return WAIT_MS_MAX;
	return (int)((next - now + 999999) / 1000000);
}

static void dispatch(struct net *net, const struct epoll_event *ev)
{
	struct signalfd_siginfo info;

	switch (ev->data.u64) {
	case TAG_LISTEN:
		on_accept(net);
		break;
	case TAG_UDP:
		on_udp(net);
		break;
	case TAG_SIGNAL:
		if (read(net->signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
			log_info("signal %u: stopping", info.ssi_signo);
			net->stop = true;
		}
		break;
	default:
		ASSERT(ev->data.u64 >= TAG_CLIENT0);
		ASSERT(ev->data.u64 < TAG_CLIENT0 + CRDT_CLIENTS_MAX);
		if (net->clients[ev->data.u64 - TAG_CLIENT0].fd >= 0)
			on_client(net, &net->clients[ev->data.u64 - TAG_CLIENT0], ev->events);
		break;
	}
}

int crdt_net_run(struct crdt_replica *r, const struct crdt_net_opts *opts, struct errbuf *eb)
{
	struct net net = { .replica = r, .opts = opts, .epoll_fd = -1, .listen_fd = -1,
			   .udp_fd = -1, .signal_fd = -1 };
	struct epoll_event events[EVENTS_MAX];
	char buf[64];
	int err = net_open(&net, eb);

	if (err < 0)
		goto out;
	log_info("clients on tcp %s", addr_str(&opts->client_addr, buf, sizeof(buf)));
	log_info("gossip on udp %s", addr_str(&opts->gossip_addr, buf, sizeof(buf)));
	/* The event loop is the one unbounded loop (STYLE S18); it ends on a signal. */
	while (!net.stop) {
		int n = epoll_wait(net.epoll_fd, events, EVENTS_MAX, wait_ms(&net));

		if (n < 0 && errno != EINTR) {
			err = errbuf_set(eb, -errno, "epoll_wait");
			break;
		}
		for (int i = 0; i < n; i++)
			dispatch(&net, &events[i]);
		if (monotime_ns() >= crdt_replica_next_tick_ns(r))
			on_tick(&net);
	}
	if (err == 0 && net.dirty)
		save(&net);
	if (err == 0 && net.save_err < 0) {
		*eb = net.save_eb;
		err = net.save_err;
	}
out:
	net_close(&net);
	return err;
}
