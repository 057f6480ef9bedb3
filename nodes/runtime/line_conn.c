/* SPDX-License-Identifier: MIT */
/* line_conn.c - non-blocking socket, poll() against a deadline; one request, one reply line. */
#include "line_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"

static int remaining_ms(int64_t deadline_ns)
{
	int64_t left = deadline_ns - monotime_ns();

	if (left <= 0)
		return 0;
	return (int)((left + 999999) / 1000000);
}

void line_conn_init(struct line_conn *c, uint16_t port, char *buffer, uint32_t size)
{
	ASSERT(buffer && size >= 2);
	*c = (struct line_conn){ .fd = -1, .port = port, .buffer = buffer, .size = size };
}

int line_conn_open(struct line_conn *c, struct in_addr addr, int64_t deadline_ns,
		   struct errbuf *eb)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(c->port),
				  .sin_addr = addr };
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, err = 0, r;

	ASSERT(c->fd < 0);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return errbuf_set(eb, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		err = -errno;
		goto fail;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
	do {
		r = poll(&pfd, 1, remaining_ms(deadline_ns));
	} while (r < 0 && errno == EINTR);
	if (r == 0) {
		err = -ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
		err = err ? -err : -errno;
		goto fail;
	}
	c->fd = fd;
	c->used = 0;
	return 0;
fail:
	close(fd);
	return errbuf_set(eb, err, "connect %s:%u: %s", inet_ntoa(addr), c->port, strerror(-err));
}

void line_conn_close(struct line_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->used = 0;
}

int line_conn_send(struct line_conn *c, const char *line, size_t size, int64_t deadline_ns)
{
	size_t sent = 0;

	while (sent < size) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
		ssize_t n = send(c->fd, line + sent, size - sent, MSG_NOSIGNAL);

		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (poll(&pfd, 1, remaining_ms(deadline_ns)) == 0)
			return -ETIMEDOUT;
	}
	return 0;
}

ssize_t line_conn_recv(struct line_conn *c, int64_t deadline_ns)
{
	c->used = 0;
	for (;;) {
		char *nl = memchr(c->buffer, '\n', c->used);
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t n;

		if (nl) {
			*nl = '\0';
			return nl - c->buffer;
		}
		if (c->used >= c->size - 1)
			return -EMSGSIZE;
		n = recv(c->fd, c->buffer + c->used, c->size - 1 - c->used, 0);
		if (n > 0) {
			c->used += (uint32_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (poll(&pfd, 1, remaining_ms(deadline_ns)) == 0)
			return -ETIMEDOUT;
	}
}
