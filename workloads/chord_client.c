/* SPDX-License-Identifier: MIT */
/* chord_client.c - a lookup is "lookup TAG ID\n" to the node asked, and its one-line reply
 * (chord_net.h); a reply with another tag answers an earlier, timed-out lookup. */
#include "chord_client.h"

#include <errno.h>
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
#include "textbuf.h"

static int chord_client_open(struct client *base, struct in_addr addr, struct errbuf *eb)
{
	struct chord_client *c = container_of(base, struct chord_client, base);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(c->port),
				  .sin_addr = addr };

	ASSERT(c->fd < 0);
	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return errbuf_set(eb, -errno, "socket");
	if (connect(c->fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		int err = -errno;

		close(c->fd);
		c->fd = -1;
		return errbuf_set(eb, err, "connect");
	}
	return 0;
}

static void chord_client_close(struct client *base)
{
	struct chord_client *c = container_of(base, struct chord_client, base);

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static bool chord_client_connected(const struct client *base)
{
	return container_of(base, const struct chord_client, base)->fd >= 0;
}

/* "a,b,c" (ids) into the JSON list at @t. */
static bool path_json(struct textbuf *t, const char *path)
{
	const char *p = path;

	textbuf_put(t, "[");
	/* Bounded by the line: each pass takes one id and its comma. */
	while (*p) {
		char *end;
		unsigned long long id = strtoull(p, &end, 10);

		if (end == p || (*end != ',' && *end != '\0'))
			return false;
		textbuf_put(t, "%s%llu", p == path ? "" : ",", id);
		p = *end ? end + 1 : end;
	}
	textbuf_put(t, "]");
	return true;
}

int chord_client_parse_reply(const char *line, uint64_t tag, struct client_result *result)
{
	char status[24], owner[24], path[CHORD_CLIENT_REPLY_BYTES_MAX] = "";
	unsigned long long got, owner_id = 0;
	unsigned hops = 0;
	struct textbuf t;
	int n = 0;

	if (sscanf(line, "lookup %llu %23s %n", &got, status, &n) != 2)
		return -EBADMSG;
	if (got != tag)
		return 0;
	if (strcmp(status, "error") == 0 || strcmp(status, "busy") == 0 ||
	    strcmp(status, "not-joined") == 0) {
		result->type = OP_FAIL;
		snprintf(result->error, sizeof(result->error), "%s", strcmp(status, "error") == 0
			 ? line + n : status);
		return 1;
	}
	if (strcmp(status, "ok") == 0 ?
	    sscanf(line + n, "%llu %23s %u %1023s", &owner_id, owner, &hops, path) != 4 :
	    sscanf(line + n, "%u %1023s", &hops, path) != 2)
		return -EBADMSG;
	textbuf_init(&t, result->json, sizeof(result->json));
	textbuf_put(&t, "{\"status\":\"%s\"", status);
	if (strcmp(status, "ok") == 0)
		textbuf_put(&t, ",\"owner\":\"%s\",\"owner_id\":%llu", owner, owner_id);
	textbuf_put(&t, ",\"hops\":%u,\"path\":", hops);
	if (!path_json(&t, path))
		return -EBADMSG;
	textbuf_put(&t, "}");
	if (t.full)
		return -EBADMSG;
	result->type = OP_OK;
	result->value = (struct op_value){ .kind = OP_VALUE_JSON, .json = result->json };
	result->value_set = true;
	return 1;
}

static int chord_client_invoke(struct client *base, const struct op *inv,
			       struct client_result *result, struct errbuf *eb)
{
	struct chord_client *c = container_of(base, struct chord_client, base);
	int64_t deadline = monotime_ns() + c->timeout_ns;
	char request[64];
	uint64_t tag = ++c->serial;
	int n;

	client_result_reset(result);
	if (strcmp(inv->f, "lookup") != 0 || inv->value.kind != OP_VALUE_INT)
		return errbuf_set(eb, -EINVAL, "chord client: f \"%s\": expected a lookup of an "
				  "id", inv->f);
	if (c->fd < 0) {
		client_result_fail(result, OP_FAIL, -ENOTCONN);
		return 0;
	}
	n = snprintf(request, sizeof(request), "lookup %" PRIu64 " %" PRId64 "\n", tag,
		     inv->value.integer);
	if (send(c->fd, request, (size_t)n, 0) != n) {
		client_result_fail(result, OP_FAIL, -errno);    /* nothing left: no lookup */
		return 0;
	}
	/* Bounded by the deadline: each pass waits for one datagram. */
	for (;;) {
		int64_t left = deadline - monotime_ns();
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		ssize_t got;

		if (left <= 0 || poll(&p, 1, (int)(left / 1000000) + 1) <= 0) {
			/* A lookup changes nothing: unanswered, it certainly did nothing. */
			client_result_fail(result, OP_FAIL, -ETIMEDOUT);
			return 0;
		}
		got = recv(c->fd, c->reply, sizeof(c->reply) - 1, 0);
		if (got <= 0)
			continue;       /* ICMP refused while the node restarts: wait on */
		c->reply[got] = '\0';
		c->reply[strcspn(c->reply, "\n")] = '\0';
		n = chord_client_parse_reply(c->reply, tag, result);
		if (n == 1)
			return 0;
		if (n < 0) {
			client_result_fail(result, OP_FAIL, -EBADMSG);
			snprintf(result->error, sizeof(result->error), "malformed reply");
			return 0;
		}
	}
}

static const struct client_ops chord_client_ops = {
	.name = "chord",
	.open = chord_client_open,
	.invoke = chord_client_invoke,
	.close = chord_client_close,
	.connected = chord_client_connected,
};

void chord_client_init(struct chord_client *c, uint16_t port, int64_t timeout_ns)
{
	*c = (struct chord_client){ .base = { .ops = &chord_client_ops }, .fd = -1, .port = port,
				    .timeout_ns = timeout_ns };
}
