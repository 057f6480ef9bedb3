/* SPDX-License-Identifier: MIT */
/* stream_client.c - one line per op to a stream-node. */
#include "stream_client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"

static int stream_client_open(struct client *base, struct in_addr addr, struct errbuf *eb)
{
	struct stream_client *c = container_of(base, struct stream_client, base);

	return line_conn_open(&c->conn, addr, monotime_ns() + c->timeout_ns, eb);
}

static void stream_client_close(struct client *base)
{
	line_conn_close(&container_of(base, struct stream_client, base)->conn);
}

static bool stream_client_connected(const struct client *base)
{
	return container_of(base, const struct stream_client, base)->conn.fd >= 0;
}

/* The request line for @inv; -EINVAL for an op this client does not know. */
static int format_request(const struct op *inv, char *out, size_t size)
{
	unsigned long long id, key;
	long long t, v;
	unsigned source;
	int n = -1;

	if (strcmp(inv->f, "read") == 0)
		n = snprintf(out, size, "read\n");
	else if (strcmp(inv->f, "send") == 0 && inv->value.kind == OP_VALUE_JSON &&
		 sscanf(inv->value.json, "{\"id\":%llu,\"key\":%llu,\"t\":%lld,\"v\":%lld,"
			"\"source\":%u}", &id, &key, &t, &v, &source) == 5)
		n = snprintf(out, size, "send %llu %llu %lld %lld\n", id, key, t, v);
	return n > 0 && (size_t)n < size ? n : -EINVAL;
}

static int stream_client_invoke(struct client *base, const struct op *inv,
				struct client_result *result, struct errbuf *eb)
{
	struct stream_client *c = container_of(base, struct stream_client, base);
	char request[STREAM_CLIENT_LINE_BYTES_MAX];
	const char *line = c->buffer;
	int n;

	client_result_reset(result);
	n = format_request(inv, request, sizeof(request));
	if (n < 0)
		return errbuf_set(eb, n, "stream client: unsupported op f=%s", inv->f);
	if (client_line_exchange(&c->conn, request, (size_t)n, monotime_ns() + c->timeout_ns,
				 result) < 0)
		return 0;
	if (strncmp(line, "error ", 6) == 0) {
		result->type = OP_FAIL;         /* refused: the event is not in the log */
		snprintf(result->error, sizeof(result->error), "%s", line + 6);
	} else if (strncmp(line, "ok ", 3) == 0 && strcmp(inv->f, "read") == 0 &&
		   line[3] == '{' && strlen(line + 3) < sizeof(result->json)) {
		result->type = OP_OK;
		snprintf(result->json, sizeof(result->json), "%s", line + 3);
		result->value = (struct op_value){ .kind = OP_VALUE_JSON, .json = result->json };
		result->value_set = true;
	} else if (strncmp(line, "ok ", 3) == 0 && strcmp(inv->f, "send") == 0) {
		result->type = OP_OK;
	} else {
		result->type = OP_INFO;
		snprintf(result->error, sizeof(result->error), "malformed reply");
	}
	return 0;
}

static const struct client_ops stream_client_ops = {
	.name = "stream",
	.open = stream_client_open,
	.invoke = stream_client_invoke,
	.close = stream_client_close,
	.connected = stream_client_connected,
};

void stream_client_init(struct stream_client *c, uint16_t port, int64_t timeout_ns)
{
	ASSERT(timeout_ns > 0);
	c->base.ops = &stream_client_ops;
	c->timeout_ns = timeout_ns;
	line_conn_init(&c->conn, port, c->buffer, sizeof(c->buffer));
}
