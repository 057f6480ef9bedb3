/* SPDX-License-Identifier: MIT */
/* crdt_client.c - crdt-node's text protocol over one line_conn: one request, one reply. */
#include "crdt_client.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"

static int crdt_client_open(struct client *base, struct in_addr addr, struct errbuf *eb)
{
	struct crdt_client *c = container_of(base, struct crdt_client, base);

	return line_conn_open(&c->conn, addr, monotime_ns() + c->timeout_ns, eb);
}

static void crdt_client_close(struct client *base)
{
	line_conn_close(&container_of(base, struct crdt_client, base)->conn);
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
static int crdt_client_invoke(struct client *base, const struct op *inv,
			      struct client_result *result, struct errbuf *eb)
{
	struct crdt_client *c = container_of(base, struct crdt_client, base);
	int64_t deadline = monotime_ns() + c->timeout_ns;
	char request[160];
	ssize_t n;

	client_result_reset(result);
	n = format_request(c, inv, request, sizeof(request));
	if (n < 0)
		return errbuf_set(eb, (int)n, "crdt client: unsupported op f=%s", inv->f);
	if (client_line_exchange(&c->conn, request, (size_t)n, deadline, result) < 0)
		return 0;
	if (crdt_client_parse_reply(c->model, inv->f, c->buffer, result) < 0) {
		result->type = OP_INFO;
		snprintf(result->error, sizeof(result->error), "malformed reply");
	}
	return 0;
}

static bool crdt_client_connected(const struct client *base)
{
	return container_of(base, const struct crdt_client, base)->conn.fd >= 0;
}

static const struct client_ops crdt_client_ops = {
	.name = "crdt",
	.open = crdt_client_open,
	.invoke = crdt_client_invoke,
	.close = crdt_client_close,
	.connected = crdt_client_connected,
};

void crdt_client_init(struct crdt_client *c, enum crdt_model model, const char *object,
		      uint16_t port, int64_t timeout_ns)
{
	ASSERT(model != CRDT_MODEL_NONE);
	ASSERT(timeout_ns > 0);
	c->base.ops = &crdt_client_ops;
	c->model = model;
	c->object = object;
	c->timeout_ns = timeout_ns;
	line_conn_init(&c->conn, port, c->buffer, sizeof(c->buffer));
}
