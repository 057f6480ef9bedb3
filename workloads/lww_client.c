/* SPDX-License-Identifier: MIT */
/* lww_client.c - lww-node's read and write over one line_conn; the session's causal token. */
#include "lww_client.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"

enum { REPLY_FIELDS_MAX = 5 };

/* The session's slot for @key, added if new; NULL when the session is full. */
static uint64_t *session_slot(struct lww_session *s, const char *key)
{
	for (uint32_t i = 0; i < s->key_count; i++) {
		if (strcmp(s->keys[i], key) == 0)
			return &s->seen_ts[i];
	}
	if (s->key_count >= LWW_SESSION_KEYS_MAX || strlen(key) >= LWW_KEY_BYTES_MAX)
		return NULL;
	snprintf(s->keys[s->key_count], LWW_KEY_BYTES_MAX, "%s", key);
	s->seen_ts[s->key_count] = 0;
	return &s->seen_ts[s->key_count++];
}

static int lww_client_open(struct client *base, struct in_addr addr, struct errbuf *eb)
{
	struct lww_client *c = container_of(base, struct lww_client, base);

	return line_conn_open(&c->conn, addr, monotime_ns() + c->timeout_ns, eb);
}

static void lww_client_close(struct client *base)
{
	line_conn_close(&container_of(base, struct lww_client, base)->conn);
}

static bool lww_client_connected(const struct client *base)
{
	return container_of(base, const struct lww_client, base)->conn.fd >= 0;
}

/* Splits @line (after "ok") at single spaces into @fields; returns the count or -EBADMSG. */
static int split_fields(const char *line, const char **fields, size_t *lens, int max)
{
	int n = 0;

	while (*line == ' ') {
		const char *start = ++line;

		while (*line && *line != ' ')
			line++;
		if (line == start || n >= max)
			return -EBADMSG;
		fields[n] = start;
		lens[n++] = (size_t)(line - start);
	}
	return *line ? -EBADMSG : n;
}

/* A decimal number of exactly @len characters ('-' only if @sign); -EBADMSG otherwise. */
static int field_int(const char *text, size_t len, bool sign, int64_t *out)
{
	char buf[24], *end;

	if (len == 0 || len >= sizeof(buf) || (!sign && text[0] == '-'))
		return -EBADMSG;
	memcpy(buf, text, len);
	buf[len] = '\0';
	errno = 0;
	*out = strtoll(buf, &end, 10);
	return errno || *end ? -EBADMSG : 0;
}

static bool field_is(const char *text, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(text, word, len) == 0;
}

/* read: VALUE TS WRITER WALL HLC; write: TS WRITER WALL HLC. "-" for an absent value. */
static int parse_ok(const char *f, int64_t written, const char *rest, int64_t host_ns,
		    struct client_result *r, uint64_t *ts_out)
{
	const char *fl[REPLY_FIELDS_MAX];
	size_t len[REPLY_FIELDS_MAX];
	int64_t value = written, ts, writer = -1, wall, hlc;
	bool read = strcmp(f, "read") == 0, empty = false;
	int n = split_fields(rest, fl, len, REPLY_FIELDS_MAX), i = 0, w;

	if (n != (read ? 5 : 4))
		return -EBADMSG;
	if (read && field_is(fl[0], len[0], "-"))
		empty = true;
	else if (read && field_int(fl[0], len[0], true, &value) < 0)
		return -EBADMSG;
	i = read ? 1 : 0;
	if (field_int(fl[i], len[i], false, &ts) < 0 ||
	    (!(empty && field_is(fl[i + 1], len[i + 1], "-")) &&
	     field_int(fl[i + 1], len[i + 1], false, &writer) < 0) ||
	    field_int(fl[i + 2], len[i + 2], false, &wall) < 0 ||
	    field_int(fl[i + 3], len[i + 3], false, &hlc) < 0 || (empty && ts != 0))
		return -EBADMSG;
	if (empty)
		w = snprintf(r->json, sizeof(r->json), "{\"value\":null,\"ts\":0,\"writer\":null,");
	else
		w = snprintf(r->json, sizeof(r->json), "{\"value\":%" PRId64 ",\"ts\":%" PRId64
			     ",\"writer\":%" PRId64 ",", value, ts, writer);
	ASSERT(w > 0 && (size_t)w < sizeof(r->json));
	w = snprintf(r->json + w, sizeof(r->json) - (size_t)w, "\"clock\":{\"wall\":%" PRId64
		     ",\"hlc\":%" PRId64 ",\"host\":%" PRId64 "}}", wall, hlc, host_ns);
	ASSERT(w > 0);
	r->type = OP_OK;
	r->value = (struct op_value){ .kind = OP_VALUE_JSON, .json = r->json };
	r->value_set = true;
	*ts_out = (uint64_t)ts;
	return 0;
}

int lww_client_parse_reply(const char *f, int64_t written, const char *line, int64_t host_ns,
			   struct client_result *result, uint64_t *ts_out)
{
	ASSERT(line && f);
	*ts_out = 0;
	if (strncmp(line, "err", 3) == 0 && (line[3] == ' ' || line[3] == '\0')) {
		result->type = OP_FAIL;
		snprintf(result->error, sizeof(result->error), "%s", line[3] ? line + 4 : "error");
		return 0;
	}
	if (strncmp(line, "ok ", 3) != 0)
		return -EBADMSG;
	return parse_ok(f, written, line + 2, host_ns, result, ts_out);
}

static int64_t host_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static int format_request(const struct op *inv, uint64_t after, char *out, size_t size)
{
	int n;

	if (!inv->key)
		return -EINVAL;
	if (strcmp(inv->f, "read") == 0)
		n = snprintf(out, size, "read %s\n", inv->key);
	else if (strcmp(inv->f, "write") == 0 && inv->value.kind == OP_VALUE_INT)
		n = snprintf(out, size, "write %s %" PRId64 " %" PRIu64 "\n", inv->key,
			     inv->value.integer, after);
	else
		return -EINVAL;
	return n > 0 && (size_t)n < size ? n : -EINVAL;
}

static int lww_client_invoke(struct client *base, const struct op *inv,
			     struct client_result *result, struct errbuf *eb)
{
	struct lww_client *c = container_of(base, struct lww_client, base);
	int64_t deadline = monotime_ns() + c->timeout_ns;
	uint64_t *seen = inv->key ? session_slot(c->session, inv->key) : NULL;
	char request[LWW_CLIENT_LINE_BYTES_MAX];
	uint64_t ts;
	ssize_t n;

	client_result_reset(result);
	n = seen ? format_request(inv, *seen, request, sizeof(request)) : -EINVAL;
	if (n < 0)
		return errbuf_set(eb, (int)n, "lww client: unsupported op f=%s key=%s", inv->f,
				  inv->key ? inv->key : "(none)");
	if (client_line_exchange(&c->conn, request, (size_t)n, deadline, result) < 0)
		return 0;
	if (lww_client_parse_reply(inv->f, inv->value.integer, c->buffer, host_realtime_ns(),
				   result, &ts) < 0) {
		result->type = OP_INFO;
		snprintf(result->error, sizeof(result->error), "malformed reply");
	} else if (result->type == OP_OK && ts > *seen) {
		*seen = ts;
	}
	return 0;
}

static const struct client_ops lww_client_ops = {
	.name = "lww",
	.open = lww_client_open,
	.invoke = lww_client_invoke,
	.close = lww_client_close,
	.connected = lww_client_connected,
};

void lww_client_init(struct lww_client *c, struct lww_session *session, uint16_t port,
		     int64_t timeout_ns)
{
	ASSERT(session && timeout_ns > 0);
	c->base.ops = &lww_client_ops;
	c->session = session;
	c->timeout_ns = timeout_ns;
	line_conn_init(&c->conn, port, c->buffer, sizeof(c->buffer));
}
