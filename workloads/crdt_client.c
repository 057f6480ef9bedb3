/* SPDX-License-Identifier: MIT */
/* crdt_client.c - one TCP connection to a crdt-node, one request line and one reply at a time. */
#include "crdt_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
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

static int crdt_client_open(struct client *base, struct in_addr addr, struct errbuf *eb)
{
	struct crdt_client *c = container_of(base, struct crdt_client, base);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(c->port),
				  .sin_addr = addr };
	int64_t deadline = monotime_ns() + c->timeout_ns;
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
		r = poll(&pfd, 1, remaining_ms(deadline));
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
	c->buffer_used = 0;
	return 0;
fail:
	close(fd);
	return errbuf_set(eb, err, "connect %s:%u: %s", inet_ntoa(addr), c->port, strerror(-err));
}

static void crdt_client_close(struct client *base)
{
	struct crdt_client *c = container_of(base, struct crdt_client, base);

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->buffer_used = 0;
}

/* Sends all of @line before @deadline; -ETIMEDOUT or -errno otherwise. */
static int send_line(struct crdt_client *c, const char *line, size_t size, int64_t deadline)
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
		if (poll(&pfd, 1, remaining_ms(deadline)) == 0)
			return -ETIMEDOUT;
	}
	return 0;
}

/* Receives one line into c->buffer (NUL replaces the newline); returns its length. */
static ssize_t recv_line(struct crdt_client *c, int64_t deadline)
{
	for (;;) {
		char *nl = memchr(c->buffer, '\n', c->buffer_used);
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t n;

		if (nl) {
			*nl = '\0';
			return nl - c->buffer;
		}
		if (c->buffer_used >= sizeof(c->buffer) - 1)
			return -EMSGSIZE;
		n = recv(c->fd, c->buffer + c->buffer_used,
			 sizeof(c->buffer) - 1 - c->buffer_used, 0);
		if (n > 0) {
			c->buffer_used += (uint32_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (poll(&pfd, 1, remaining_ms(deadline)) == 0)
			return -ETIMEDOUT;
	}
}

static int parse_ints(char *text, struct client_result *result)
{
	uint32_t count = 0;
	char *p = text;

	while (*p == ' ')
		p++;
	while (*p) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(p, &end, 10);
		if (end == p || errno || (*end != ' ' && *end != '\0'))
			return -EBADMSG;
		if (count >= CLIENT_VALUE_INTS_MAX)
			return -EBADMSG;
		result->ints[count++] = v;
		p = end;
		while (*p == ' ')
			p++;
	}
	result->value = (struct op_value){ .kind = OP_VALUE_INTS, .count = count,
					   .ints = count ? result->ints : NULL };
	return 0;
}

int crdt_client_parse_reply(enum crdt_model model, const char *f, char *line,
			    struct client_result *result)
{
	ASSERT(line && f);
	if (strncmp(line, "err", 3) == 0 && (line[3] == ' ' || line[3] == '\0')) {
		result->type = OP_FAIL;
		snprintf(result->error, sizeof(result->error), "%s", line[3] ? line + 4 : "error");
		return 0;
	}
	if (strncmp(line, "ok", 2) != 0 || (line[2] != ' ' && line[2] != '\0'))
		return -EBADMSG;
	result->type = OP_OK;
	if (strcmp(f, "read") != 0)
		return line[2] == '\0' ? 0 : -EBADMSG;
	if (model == CRDT_MODEL_GCOUNTER) {
		char *end;

		errno = 0;
		result->value.kind = OP_VALUE_INT;
		result->value.integer = strtoll(line + 2, &end, 10);
		if (line[2] == '\0' || errno || *end != '\0')
			return -EBADMSG;
		return 0;
	}
	return parse_ints(line + 2, result);
}

static int format_request(const struct crdt_client *c, const struct op *inv, char *out, size_t size)
{
	int n;

	if (strcmp(inv->f, "read") == 0) {
		n = snprintf(out, size, "read %s %s\n", crdt_model_name(c->model), c->object);
	} else if (strcmp(inv->f, "add") == 0 || strcmp(inv->f, "remove") == 0) {
		if (inv->value.kind != OP_VALUE_INT)
			return -EINVAL;
		n = snprintf(out, size, "%s %s %s %" PRId64 "\n", inv->f, crdt_model_name(c->model),
			     c->object, inv->value.integer);
	} else {
		return -EINVAL;
	}
	ASSERT(n > 0 && (size_t)n < size);
	return n;
}

/* What a broken exchange means: nothing sent yet is a certain failure, anything later is info. */
static void fail_result(struct client_result *result, enum op_type type, int err)
{
	result->type = type;
	snprintf(result->error, sizeof(result->error), "%s",
		 err == -ETIMEDOUT ? "timeout" : strerror(-err));
}

static int crdt_client_invoke(struct client *base, const struct op *inv,
			      struct client_result *result, struct errbuf *eb)
{
	struct crdt_client *c = container_of(base, struct crdt_client, base);
	int64_t deadline = monotime_ns() + c->timeout_ns;
	char request[160];
	ssize_t n;
	int err;

	result->value = (struct op_value){ .kind = OP_VALUE_NULL };
	result->error[0] = '\0';
	n = format_request(c, inv, request, sizeof(request));
	if (n < 0)
		return errbuf_set(eb, (int)n, "crdt client: unsupported op f=%s", inv->f);
	if (c->fd < 0) {
		fail_result(result, OP_FAIL, -ENOTCONN);
		return 0;
	}
	err = send_line(c, request, (size_t)n, deadline);
	if (err < 0) {
		/* A partial send may still reach the node: unknown outcome. */
		fail_result(result, OP_INFO, err);
		return 0;
	}
	n = recv_line(c, deadline);
	if (n < 0) {
		fail_result(result, OP_INFO, (int)n);
		return 0;
	}
	c->buffer_used = 0;
	if (crdt_client_parse_reply(c->model, inv->f, c->buffer, result) < 0) {
		result->type = OP_INFO;
		snprintf(result->error, sizeof(result->error), "malformed reply");
	}
	return 0;
}

static const struct client_ops crdt_client_ops = {
	.name = "crdt",
	.open = crdt_client_open,
	.invoke = crdt_client_invoke,
	.close = crdt_client_close,
};

void crdt_client_init(struct crdt_client *c, enum crdt_model model, const char *object,
		      uint16_t port, int64_t timeout_ns)
{
	ASSERT(model != CRDT_MODEL_NONE);
	ASSERT(timeout_ns > 0);
	c->base.ops = &crdt_client_ops;
	c->model = model;
	c->object = object;
	c->port = port;
	c->timeout_ns = timeout_ns;
	c->fd = -1;
	c->buffer_used = 0;
}
