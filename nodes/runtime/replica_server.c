/* SPDX-License-Identifier: MIT */
/* replica_server.c - epoll loop: the state file, setup, ticks and signals; the UDP side is
 * replica_peers.c, the TCP clients replica_clients.c. */
#include "replica_server.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "durable_file.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "monotime.h"
#include "replica_server_internal.h"

enum {
	EVENTS_MAX = 64,
	LISTEN_BACKLOG = 128,
	UDP_BUFFER_BYTES = 4 << 20,     /* with udp_shared (or udp_buffer_bytes if larger) */
	LOG_PER_SECOND_MAX = 5,         /* peer and client error lines; the rest are counted */
	WAIT_MS_MAX = 1000,
	DATAGRAM_BYTES_LIMIT = 65507,   /* the largest UDP/IPv4 payload */
	REPLY_BYTES_MIN = 32,           /* "err line too long\n" fits */
};

bool replica_server_log_allowed(struct replica_server *s)
{
	int64_t now = monotime_ns();

	if (now - s->limit.window_ns >= 1000000000ll) {
		if (s->limit.suppressed)
			log_warn("%llu similar messages suppressed",
				 (unsigned long long)s->limit.suppressed);
		s->limit = (struct replica_ratelimit){ .window_ns = now };
	}
	if (s->limit.logged < LOG_PER_SECOND_MAX) {
		s->limit.logged++;
		return true;
	}
	s->limit.suppressed++;
	return false;
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
	ASSERT(c->clients_max >= 1 && c->clients_max <= UINT32_MAX - REPLICA_TAG_CLIENT0);
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
	struct replica_udp_batch *b = s->batch = calloc(1, sizeof(*b));

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

static void free_batch(struct replica_udp_batch *b)
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
	err = replica_epoll_set(s, EPOLL_CTL_ADD, s->listen_fd, EPOLLIN, REPLICA_TAG_LISTEN);
	if (err == 0)
		err = replica_epoll_set(s, EPOLL_CTL_ADD, s->udp_fd, EPOLLIN, REPLICA_TAG_UDP);
	if (err == 0)
		err = replica_epoll_set(s, EPOLL_CTL_ADD, s->signal_fd, EPOLLIN,
					REPLICA_TAG_SIGNAL);
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
	case REPLICA_TAG_LISTEN:
		replica_clients_accept(s);
		break;
	case REPLICA_TAG_UDP:
		replica_peers_receive(s);
		break;
	case REPLICA_TAG_SIGNAL:
		if (read(s->signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
			log_info("signal %u: stopping", info.ssi_signo);
			s->stop = true;
		}
		break;
	default:
		ASSERT(ev->data.u64 >= REPLICA_TAG_CLIENT0);
		ASSERT(ev->data.u64 < REPLICA_TAG_CLIENT0 + (uint64_t)s->config.clients_max);
		slot = ev->data.u64 - REPLICA_TAG_CLIENT0;
		if (s->clients[slot].fd >= 0)
			replica_clients_serve(s, &s->clients[slot], ev->events);
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
		replica_peers_flush(s);  /* what this wake-up queued, before waiting again */
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
	replica_clients_close_all(s);
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
