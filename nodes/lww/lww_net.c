/* SPDX-License-Identifier: MIT */
/* lww_net.c - epoll loop: TCP clients (text lines), UDP gossip, ticks and signals. */
#include "lww_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "lww.h"
#include "lww_disk.h"
#include "monotime.h"

enum {
	TAG_LISTEN = 0,
	TAG_UDP = 1,
	TAG_SIGNAL = 2,
	TAG_CLIENT0 = 16,               /* client slot i is TAG_CLIENT0 + i */
	EVENTS_MAX = 64,
	ACCEPT_BATCH_MAX = 16,
	LISTEN_BACKLOG = 128,
	LOG_PER_SECOND_MAX = 5,         /* peer and client error lines; the rest are counted */
	WAIT_MS_MAX = 1000,
	ADDR_TEXT_BYTES = 32,           /* "255.255.255.255:65535" */
};

/* A client connection: one request is answered before the next is read (no pipelining). */
struct client {
	int fd;                         /* -1: free slot */
	bool closing;                   /* close once the reply is out */
	uint32_t events;                /* current epoll interest */
	uint32_t in_size;               /* <= sizeof(in) */
	uint32_t out_offset, out_size;  /* out_offset <= out_size <= LWW_REPLY_BYTES_MAX */
	char in[LWW_REQUEST_BYTES_MAX];
	char out[LWW_REPLY_BYTES_MAX + 1];
};

struct ratelimit {
	int64_t window_ns;
	uint32_t logged;
	uint64_t suppressed;
};

struct net {
	struct lww_node *node;
	const struct lww_net_opts *opts;
	struct client *clients;         /* [LWW_CLIENTS_MAX], allocated at start-up */
	uint8_t datagram[LWW_DATAGRAM_BYTES_MAX + 1];   /* + 1: detects oversized ones */
	int epoll_fd, listen_fd, udp_fd, signal_fd;
	bool stop;
	bool dirty;                     /* merged state not yet saved (peers still hold it) */
	int save_err;                   /* a failed save: stop, exit with it */
	struct errbuf save_eb;
	int64_t next_gossip_ns;         /* monotonic */
	uint64_t bad_datagram_count;
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

/* save() - write the whole state durably. Return: true, or false after a fatal failure. */
static bool save(struct net *net)
{
	struct lww_disk *disk = net->opts->disk;
	ssize_t n;

	if (!disk)
		return true;
	if (net->save_err < 0)
		return false;
	n = lww_node_save(net->node, disk->buf, sizeof(disk->buf));
	ASSERT(n >= LWW_STORE_HEADER_BYTES);
	net->save_err = lww_disk_write(disk, (size_t)n, &net->save_eb);
	if (net->save_err < 0) {
		/* Never acknowledge what is not durable: stop (exit 70) instead. */
		net->stop = true;
		return false;
	}
	net->dirty = false;
	return true;
}

/* --- peers --- */

static void on_gossip_tick(struct net *net)
{
	ssize_t n = lww_node_gossip(net->node, net->datagram, LWW_DATAGRAM_BYTES_MAX);
	char buf[ADDR_TEXT_BYTES];

	ASSERT(n >= LWW_WIRE_HEADER_BYTES && n <= LWW_DATAGRAM_BYTES_MAX);
	net->next_gossip_ns = monotime_ns() + net->opts->gossip_interval_ns;
	if (net->dirty && !save(net))
		return;
	ASSERT(net->opts->peer_count < LWW_REPLICAS_MAX);
	for (uint32_t p = 0; p < net->opts->peer_count; p++) {
		const struct sockaddr_in *to = &net->opts->peer_addrs[p];

		/* A lost datagram is repaired by the next round: the whole state goes each time. */
		if (sendto(net->udp_fd, net->datagram, (size_t)n, MSG_DONTWAIT,
			   (const struct sockaddr *)to, sizeof(*to)) < 0 && log_allowed(net))
			log_warn("send to peer %u (%s): %s", net->opts->peer_ids[p],
				 addr_str(to, buf, sizeof(buf)), strerror(errno));
	}
}

/*
 * peer_known() - did @from come from a configured peer's gossip socket? Nodes send from
 * the socket they bind, so anything else (a stray or spoofing host) is not a replica.
 */
static bool peer_known(const struct net *net, const struct sockaddr_in *from)
{
	ASSERT(net->opts->peer_count < LWW_REPLICAS_MAX);
	for (uint32_t p = 0; p < net->opts->peer_count; p++) {
		const struct sockaddr_in *a = &net->opts->peer_addrs[p];

		if (a->sin_addr.s_addr == from->sin_addr.s_addr && a->sin_port == from->sin_port)
			return true;
	}
	return false;
}

/* on_datagram() - check the source and the size, then merge; count and log what fails. */
static void on_datagram(struct net *net, const struct sockaddr_in *from, size_t size)
{
	struct errbuf eb = { "" };
	char buf[ADDR_TEXT_BYTES];
	bool changed;
	int err;

	if (!peer_known(net, from)) {
		err = errbuf_set(&eb, -EPERM, "not a configured peer");
	} else if (size > LWW_DATAGRAM_BYTES_MAX) {
		err = errbuf_set(&eb, -EMSGSIZE, "oversized datagram (%zu bytes)", size);
	} else {
		err = lww_node_receive(net->node, net->datagram, size, realtime_ns(), &changed,
				       &eb);
		net->dirty |= changed && net->opts->disk != NULL;
	}
	if (err == 0)
		return;
	net->bad_datagram_count++;
	if (log_allowed(net))
		log_warn("datagram from %s: %s: %s (%llu bad so far)",
			 addr_str(from, buf, sizeof(buf)), eb.msg, strerror(-err),
			 (unsigned long long)net->bad_datagram_count);
}

static void on_udp(struct net *net)
{
	for (int i = 0; i < LWW_RECV_BATCH_MAX; i++) {
		struct sockaddr_in from;
		socklen_t from_size = sizeof(from);
		ssize_t n = recvfrom(net->udp_fd, net->datagram, sizeof(net->datagram),
				     MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from,
				     &from_size);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && log_allowed(net))
				log_warn("gossip receive: %s", strerror(errno));
			return;
		}
		if (from_size != sizeof(from) || from.sin_family != AF_INET)
			continue;
		on_datagram(net, &from, (size_t)n);
	}
}

/* --- clients --- */

static void client_close(struct client *c)
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
		client_close(c);
}

/* client_flush() - write what is pending. Return: true if the client is still open. */
static bool client_flush(struct net *net, struct client *c)
{
	ASSERT(c->out_offset <= c->out_size);
	while (c->out_offset < c->out_size) {
		ssize_t n = send(c->fd, c->out + c->out_offset, c->out_size - c->out_offset,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			if (log_allowed(net))
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
	client_arm(net, c);
	return c->fd >= 0;
}

static void client_request(struct net *net, struct client *c, const char *line, size_t size)
{
	struct lww_request req;
	struct lww_reply reply;
	struct errbuf eb = { "" };
	ssize_t n;

	ASSERT(c->out_size == 0);
	if (lww_request_parse(line, size, &req, &eb) < 0) {
		memset(&reply, 0, sizeof(reply));
		reply.error = eb.msg;
	} else {
		lww_node_serve(net->node, &req, realtime_ns(), &reply);
	}
	/* Durable before the ok. */
	if (reply.persist && !save(net)) {
		c->closing = true;      /* no reply: the client sees the write as unknown */
		return;
	}
	n = lww_reply_format(&reply, c->out, sizeof(c->out));
	ASSERT(n > 0 && (size_t)n < sizeof(c->out));
	c->out_size = (uint32_t)n;
}

/* client_process() - answer the complete lines buffered, one reply in flight at a time. */
static void client_process(struct net *net, struct client *c)
{
	for (int i = 0; i < LWW_REQUEST_BYTES_MAX && c->fd >= 0 && c->out_size == 0; i++) {
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
			client_close(c);
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
		for (uint32_t k = 0; k < LWW_CLIENTS_MAX && !c; k++)
			c = net->clients[k].fd < 0 ? &net->clients[k] : NULL;
		if (!c || epoll_set(net, EPOLL_CTL_ADD, fd, EPOLLIN,
				    TAG_CLIENT0 + (uint64_t)(c - net->clients)) < 0) {
			if (log_allowed(net))
				log_warn("refusing client: %d connections open", LWW_CLIENTS_MAX);
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
	char buf[ADDR_TEXT_BYTES];

	if (fd < 0)
		return errbuf_set(eb, -errno, "socket");
	/*
	 * TCP only: a restarted node must rebind over TIME_WAIT. On UDP, SO_REUSEADDR would let
	 * two nodes bind one gossip port and split its datagrams; a clash must fail instead.
	 */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, LISTEN_BACKLOG) < 0)) {
		err = -errno;
		close(fd);
		return errbuf_set(eb, err, "bind %s %s", type == SOCK_STREAM ? "tcp" : "udp",
				  addr_str(addr, buf, sizeof(buf)));
	}
	return fd;
}

static int net_open(struct net *net, struct errbuf *eb)
{
	sigset_t mask;
	int err;

	net->clients = calloc(LWW_CLIENTS_MAX, sizeof(net->clients[0]));
	if (!net->clients)
		return errbuf_set(eb, -ENOMEM, "%d client slots", LWW_CLIENTS_MAX);
	for (uint32_t i = 0; i < LWW_CLIENTS_MAX; i++)
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
	for (uint32_t i = 0; net->clients && i < LWW_CLIENTS_MAX; i++) {
		if (net->clients[i].fd >= 0)
			client_close(&net->clients[i]);
	}
	if (net->udp_fd >= 0)
		close(net->udp_fd);
	if (net->listen_fd >= 0)
		close(net->listen_fd);
	if (net->signal_fd >= 0)
		close(net->signal_fd);
	if (net->epoll_fd >= 0)
		close(net->epoll_fd);
	free(net->clients);
}

static int wait_ms(const struct net *net)
{
	int64_t now = monotime_ns();

	if (net->next_gossip_ns <= now)
		return 0;
	if (net->next_gossip_ns - now >= (int64_t)WAIT_MS_MAX * 1000000)
		return WAIT_MS_MAX;
	return (int)((net->next_gossip_ns - now + 999999) / 1000000);
}

static void dispatch(struct net *net, const struct epoll_event *ev)
{
	struct signalfd_siginfo info;
	uint64_t slot;

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
		ASSERT(ev->data.u64 < TAG_CLIENT0 + LWW_CLIENTS_MAX);
		slot = ev->data.u64 - TAG_CLIENT0;
		if (net->clients[slot].fd >= 0)
			on_client(net, &net->clients[slot], ev->events);
		break;
	}
}

int lww_net_run(struct lww_node *node, const struct lww_net_opts *opts, struct errbuf *eb)
{
	struct net loop, *net = &loop;  /* about 3.5 KB: the datagram buffer is inside */
	struct epoll_event events[EVENTS_MAX];
	char buf[ADDR_TEXT_BYTES];
	int err;

	ASSERT(opts->gossip_interval_ns > 0);
	ASSERT(opts->peer_count < LWW_REPLICAS_MAX);
	*net = (struct net){ .node = node, .opts = opts, .epoll_fd = -1, .listen_fd = -1,
			     .udp_fd = -1, .signal_fd = -1 };
	err = net_open(net, eb);
	if (err < 0)
		goto out;
	log_info("clients on tcp %s", addr_str(&opts->client_addr, buf, sizeof(buf)));
	log_info("gossip on udp %s", addr_str(&opts->gossip_addr, buf, sizeof(buf)));
	/* The event loop is the one unbounded loop (STYLE S18); it ends on a signal. */
	while (!net->stop) {
		int n = epoll_wait(net->epoll_fd, events, EVENTS_MAX, wait_ms(net));

		if (n < 0 && errno != EINTR) {
			err = errbuf_set(eb, -errno, "epoll_wait");
			break;
		}
		for (int i = 0; i < n; i++)
			dispatch(net, &events[i]);
		if (!net->stop && monotime_ns() >= net->next_gossip_ns)
			on_gossip_tick(net);
	}
	if (err == 0 && net->dirty)
		save(net);
	if (err == 0 && net->save_err < 0) {
		*eb = net->save_eb;
		err = net->save_err;
	}
	log_info("%llu bad datagrams, %llu gossip registers refused",
		 (unsigned long long)net->bad_datagram_count,
		 (unsigned long long)node->refused_count);
out:
	net_close(net);
	return err;
}
