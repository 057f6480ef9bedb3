/* SPDX-License-Identifier: MIT */
/* replica_clients.c - the replica server's TCP side: accepting connections and answering
 * their request lines, one reply in flight per connection. */
#include "replica_server_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fl_assert.h"
#include "log.h"

enum { ACCEPT_BATCH_MAX = 16 };

static void client_close(struct replica_client *c)
{
	ASSERT(c->fd >= 0);
	close(c->fd);   /* also leaves the epoll set */
	c->fd = -1;
}

static void client_arm(struct replica_server *s, struct replica_client *c)
{
	uint32_t events = c->out_size > c->out_offset ? EPOLLOUT : EPOLLIN;
	uint64_t tag = REPLICA_TAG_CLIENT0 + (uint64_t)(c - s->clients);

	if (events == c->events)
		return;
	c->events = events;
	if (replica_epoll_set(s, EPOLL_CTL_MOD, c->fd, events, tag) < 0)
		client_close(c);
}

/* client_flush() - write what is pending. Return: true if the client is still open. */
static bool client_flush(struct replica_server *s, struct replica_client *c)
{
	ASSERT(c->out_offset <= c->out_size);
	/* Bounded: each pass sends at least one byte, or leaves. */
	while (c->out_offset < c->out_size) {
		ssize_t n = send(c->fd, c->out + c->out_offset, c->out_size - c->out_offset,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && replica_would_block(errno))
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

static void client_request(struct replica_server *s, struct replica_client *c, size_t size)
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
static void client_process(struct replica_server *s, struct replica_client *c)
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

void replica_clients_serve(struct replica_server *s, struct replica_client *c, uint32_t events)
{
	ssize_t n;

	if (c->out_size > c->out_offset && !client_flush(s, c))
		return;
	if (c->out_size == 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		n = recv(c->fd, c->in + c->in_size, s->config.request_bytes_max - c->in_size,
			 MSG_DONTWAIT);
		if (n < 0 && replica_would_block(errno))
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

void replica_clients_accept(struct replica_server *s)
{
	for (int i = 0; i < ACCEPT_BATCH_MAX; i++) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct replica_client *c = NULL;

		if (fd < 0) {
			if (!replica_would_block(errno) && replica_server_log_allowed(s))
				log_warn("accept: %s", strerror(errno));
			return;
		}
		for (uint32_t k = 0; k < s->config.clients_max && !c; k++)
			c = s->clients[k].fd < 0 ? &s->clients[k] : NULL;
		if (!c || replica_epoll_set(s, EPOLL_CTL_ADD, fd, EPOLLIN,
					    REPLICA_TAG_CLIENT0 + (uint64_t)(c - s->clients)) < 0) {
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

void replica_clients_close_all(struct replica_server *s)
{
	for (uint32_t i = 0; s->clients && i < s->config.clients_max; i++) {
		if (s->clients[i].fd >= 0)
			client_close(&s->clients[i]);
	}
}
