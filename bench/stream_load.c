/* SPDX-License-Identifier: MIT */
/* stream_load.c - the bench's clients of the sources: a fixed-rate schedule of events over
 * non-blocking pipelined connections, each reply matched to its request's window. */
#include "stream_load.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"

enum { CONNECT_S_MAX = 5 };

static int conn_open(struct sload_conn *c, struct in_addr addr, uint16_t port, struct errbuf *eb)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = addr };
	struct timeval limit = { .tv_sec = CONNECT_S_MAX };
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return errbuf_set(eb, -errno, "socket");
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0)
		return errbuf_set(eb, -errno, "connect to source %" PRIu32 " port %u: %s",
				  c->source, port, strerror(errno));
	return 0;
}

int sload_open(struct sload *l, const struct sload_opts *o, const struct prng *prng,
	       struct errbuf *eb)
{
	int err = 0;

	ASSERT(o->sources >= 1 && o->sources <= STREAM_JOB_SOURCES_MAX);
	ASSERT(o->conns >= 1 && o->conns <= SLOAD_CONNS_MAX);
	ASSERT(o->in_flight >= 1 && o->in_flight <= SLOAD_IN_FLIGHT_MAX);
	ASSERT(o->rate > 0 && o->duration_ms > 0 && o->jitter_ms >= 0 && o->keys >= 1);
	*l = (struct sload){ .o = *o, .prng = *prng, .count = o->sources * o->conns };
	l->planned = (uint64_t)(o->rate * (double)o->duration_ms / 1000.0);
	l->conns = calloc(l->count, sizeof(l->conns[0]));
	l->windows = calloc(o->grid.count, sizeof(l->windows[0]));
	if (!l->conns || !l->windows) {
		sload_close(l);
		return errbuf_set(eb, -ENOMEM, "%" PRIu32 " connections", l->count);
	}
	for (uint32_t i = 0; i < l->count; i++)
		l->conns[i].fd = -1;
	for (uint32_t i = 0; i < l->count && err == 0; i++) {
		uint32_t s = i / o->conns;

		l->conns[i].source = s;
		err = conn_open(&l->conns[i], o->addrs[s], o->ports[s], eb);
	}
	if (err < 0)
		sload_close(l);
	return err;
}

void sload_close(struct sload *l)
{
	for (uint32_t i = 0; l->conns && i < l->count; i++) {
		if (l->conns[i].fd >= 0)
			close(l->conns[i].fd);
	}
	free(l->conns);
	free(l->windows);
	l->conns = NULL;
	l->windows = NULL;
}

void sload_start(struct sload *l, int64_t zero_ns)
{
	l->zero_ns = zero_ns;
}

uint64_t sload_in_flight(const struct sload *l)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < l->count; i++)
		n += l->conns[i].count;
	return n;
}

/* Write what is queued, without blocking. Return: 0; -errno. */
static int conn_flush(struct sload_conn *c)
{
	while (c->out_sent < c->out_used) {
		ssize_t n = send(c->fd, c->out + c->out_sent, c->out_used - c->out_sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		c->out_sent += (uint32_t)n;
	}
	c->out_sent = c->out_used = 0;
	return 0;
}

/* Queue @text (a whole request line) and its FIFO slot. The FIFO's bound keeps room. */
static void conn_queue(struct sload_conn *c, const char *text, size_t size, int32_t slot)
{
	ASSERT(c->count < SLOAD_IN_FLIGHT_MAX && size <= SLOAD_LINE_BYTES_MAX);
	if (c->out_used + size > sizeof(c->out)) {
		memmove(c->out, c->out + c->out_sent, c->out_used - c->out_sent);
		c->out_used -= c->out_sent;
		c->out_sent = 0;
	}
	ASSERT(c->out_used + size <= sizeof(c->out));
	memcpy(c->out + c->out_used, text, size);
	c->out_used += (uint32_t)size;
	c->slots[(c->head + c->count++) % SLOAD_IN_FLIGHT_MAX] = slot;
}

/* A connection of source @s with room, from the @turn-th one on; NULL if none has. */
static struct sload_conn *pick(struct sload *l, uint32_t s, uint64_t turn)
{
	for (uint32_t k = 0; k < l->o.conns; k++) {
		struct sload_conn *c = &l->conns[s * l->o.conns + (turn + k) % l->o.conns];

		if (c->count < l->o.in_flight)
			return c;
	}
	return NULL;
}

int64_t sload_next_due_ns(const struct sload *l)
{
	if (l->sent == l->planned)
		return INT64_MAX;
	return l->zero_ns + (int64_t)((double)l->sent * 1e9 / l->o.rate);
}

void sload_send_due(struct sload *l, int64_t now_ns)
{
	const double ns_per_event = 1e9 / l->o.rate, ms_per_event = 1000.0 / l->o.rate;
	char text[SLOAD_LINE_BYTES_MAX + 1];

	while (l->sent < l->planned) {
		uint64_t k = l->sent;
		int64_t due = l->zero_ns + (int64_t)((double)k * ns_per_event), t, slot;
		uint32_t s = (uint32_t)(k % l->o.sources);
		struct sload_conn *c;
		int n;

		if (due > now_ns || !(c = pick(l, s, k / l->o.sources)))
			break;
		t = (int64_t)((double)k * ms_per_event) -
		    (int64_t)prng_below(&l->prng, (uint64_t)l->o.jitter_ms + 1);
		n = snprintf(text, sizeof(text), "send %" PRIu64 " %" PRIu64 " %" PRId64 " 1\n",
			     k + 1, prng_below(&l->prng, l->o.keys), t);
		ASSERT(n > 0 && n <= SLOAD_LINE_BYTES_MAX);
		slot = stail_slot(&l->o.grid, t);
		conn_queue(c, text, (size_t)n, slot < 0 ? SLOAD_SLOT_OFF_GRID : (int32_t)slot);
		if (slot >= 0)
			l->windows[slot].sent++;
		if (now_ns - due > l->lag_max_ns)
			l->lag_max_ns = now_ns - due;
		l->sent++;
	}
	for (uint32_t i = 0; i < l->count; i++) {
		if (l->conns[i].out_used > l->conns[i].out_sent)
			(void)conn_flush(&l->conns[i]);         /* an error: sload_io() says */
	}
}

void sload_end_input(struct sload *l)
{
	for (uint32_t s = 0; s < l->o.sources; s++) {
		struct sload_conn *c = &l->conns[s * l->o.conns];

		conn_queue(c, "read\n", 5, SLOAD_SLOT_READ);
		(void)conn_flush(c);
	}
}

uint32_t sload_pollfds(const struct sload *l, struct pollfd *fds)
{
	for (uint32_t i = 0; i < l->count; i++) {
		const struct sload_conn *c = &l->conns[i];

		fds[i] = (struct pollfd){ .fd = c->fd, .events = (short)(POLLIN |
			  (c->out_used > c->out_sent ? POLLOUT : 0)) };
	}
	return l->count;
}

/* One reply line (NUL-ended) to the oldest request in flight on @c. */
static int reply(struct sload *l, struct sload_conn *c, const char *text, struct errbuf *eb)
{
	int32_t slot;
	bool ok = strncmp(text, "ok ", 3) == 0;

	if (c->count == 0)
		return errbuf_set(eb, -EPROTO, "source %" PRIu32 ": a reply to nothing: %.60s",
				  c->source, text);
	slot = c->slots[c->head];
	c->head = (c->head + 1) % SLOAD_IN_FLIGHT_MAX;
	c->count--;
	if (!ok && !l->error[0])
		snprintf(l->error, sizeof(l->error), "source %" PRIu32 ": %.100s", c->source, text);
	if (slot == SLOAD_SLOT_READ) {
		l->reads_ok += ok;
		return 0;
	}
	l->acked += ok;
	l->failed += !ok;
	if (slot == SLOAD_SLOT_OFF_GRID)
		l->off_grid_acked += ok;
	else if (ok)
		l->windows[slot].acked++;
	else
		l->windows[slot].failed++;
	return 0;
}

/* Read and answer what @c received. Return: 0; -ECONNRESET; -EPROTO; -errno. */
static int conn_read(struct sload *l, struct sload_conn *c, struct errbuf *eb)
{
	ssize_t n = recv(c->fd, c->in + c->in_used, sizeof(c->in) - 1 - c->in_used, MSG_DONTWAIT);
	char *at = c->in, *end, *nl;
	int err = 0;

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n <= 0)
		return errbuf_set(eb, n < 0 ? -errno : -ECONNRESET, "source %" PRIu32
				  ": connection %s", c->source, n < 0 ? strerror(errno) : "closed");
	end = c->in + c->in_used + n;
	while (err == 0 && (nl = memchr(at, '\n', (size_t)(end - at)))) {
		*nl = '\0';
		err = reply(l, c, at, eb);
		at = nl + 1;
	}
	c->in_used = (uint32_t)(end - at);
	if (c->in_used == sizeof(c->in) - 1)
		return errbuf_set(eb, -EPROTO, "source %" PRIu32 ": a reply line too long",
				  c->source);
	memmove(c->in, at, c->in_used);
	return err;
}

int sload_io(struct sload *l, const struct pollfd *fds, struct errbuf *eb)
{
	for (uint32_t i = 0; i < l->count; i++) {
		struct sload_conn *c = &l->conns[i];
		int err = 0;

		if (fds[i].revents & POLLOUT)
			err = conn_flush(c);
		if (err == 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
			err = conn_read(l, c, eb);
		if (err < 0)
			return eb->msg[0] ? err : errbuf_set(eb, err, "source %" PRIu32 ": %s",
							     c->source, strerror(-err));
	}
	return 0;
}
