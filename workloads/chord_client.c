/* SPDX-License-Identifier: MIT */
/* chord_client.c - a lookup is "lookup TAG ID\n" to the node asked, and its one-line reply
 * (chord_net.h); a reply with another tag answers an earlier, timed-out lookup. A state
 * dump is "state\n" on the node's TCP line port, its JSON line kept with ids only. */
#include "chord_client.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "errbuf.h"
#include "chord_id.h"
#include "fl_assert.h"
#include "line_conn.h"
#include "monotime.h"
#include "textbuf.h"

static int chord_client_open(struct client *base, struct in_addr addr, struct errbuf *eb)
{
	struct chord_client *c = container_of(base, struct chord_client, base);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(c->port),
				  .sin_addr = addr };

	ASSERT(c->fd < 0);
	c->addr = addr;
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

/* @result is ok with the JSON value written into its buffer by @t; false if it overflowed. */
static bool json_ok(struct client_result *result, const struct textbuf *t)
{
	if (t->full)
		return false;
	result->type = OP_OK;
	result->value = (struct op_value){ .kind = OP_VALUE_JSON, .json = result->json };
	result->value_set = true;
	return true;
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
	return json_ok(result, &t) ? 1 : -EBADMSG;
}

/* A peer of the state line, {"id":ID,"node":"nX"} or null, as its id or null. */
static bool peer_id(struct textbuf *t, const json_t *peer)
{
	const json_t *id = json_object_get(peer, "id");

	if (json_is_null(peer)) {
		textbuf_put(t, "null");
		return true;
	}
	if (!json_is_integer(id) || json_integer_value(id) < 0)
		return false;
	textbuf_put(t, "%" PRId64, (int64_t)json_integer_value(id));
	return true;
}

static bool peers_ids(struct textbuf *t, const json_t *list)
{
	size_t k;
	json_t *peer;

	if (!json_is_array(list))
		return false;
	textbuf_put(t, "[");
	json_array_foreach(list, k, peer) {
		textbuf_put(t, "%s", k ? "," : "");
		if (json_is_null(peer) || !peer_id(t, peer))
			return false;
	}
	textbuf_put(t, "]");
	return true;
}

/* ,"keys":[[ID,VERSION],...] from the state line's list of the same; nothing if absent. */
static bool keys_json(struct textbuf *t, const json_t *keys)
{
	size_t k;
	json_t *pair;

	if (!keys)
		return true;
	if (!json_is_array(keys))
		return false;
	textbuf_put(t, ",\"keys\":[");
	json_array_foreach(keys, k, pair) {
		json_t *id = json_array_get(pair, 0), *version = json_array_get(pair, 1);

		if (!json_is_integer(id) || !json_is_integer(version))
			return false;
		textbuf_put(t, "%s[%" PRId64 ",%" PRId64 "]", k ? "," : "",
			    (int64_t)json_integer_value(id), (int64_t)json_integer_value(version));
	}
	textbuf_put(t, "]");
	return true;
}

int chord_client_parse_state(const char *line, struct client_result *result)
{
	json_t *root = json_loads(line, 0, NULL), *fingers;
	json_t *joined = json_object_get(root, "joined");
	json_t *incarnation = json_object_get(root, "incarnation");
	struct textbuf t;
	bool ok;
	size_t k;
	json_t *peer;

	fingers = json_object_get(root, "fingers");
	ok = json_is_boolean(joined) && json_is_integer(incarnation) && json_is_array(fingers);
	textbuf_init(&t, result->json, sizeof(result->json));
	if (ok) {
		textbuf_put(&t, "{\"joined\":%s,\"incarnation\":%" PRId64 ",\"pred\":",
			    json_is_true(joined) ? "true" : "false",
			    (int64_t)json_integer_value(incarnation));
		ok = peer_id(&t, json_object_get(root, "pred"));
		textbuf_put(&t, ",\"succ\":");
		ok = ok && peers_ids(&t, json_object_get(root, "succ"));
		textbuf_put(&t, ",\"fingers\":[");
		json_array_foreach(fingers, k, peer) {
			textbuf_put(&t, "%s", k ? "," : "");
			ok = ok && peer_id(&t, peer);
		}
		textbuf_put(&t, "]");
		ok = ok && keys_json(&t, json_object_get(root, "keys"));
		textbuf_put(&t, "}");
	}
	json_decref(root);
	return ok && json_ok(result, &t) ? 0 : -EBADMSG;
}

/* A state dump reads the node and changes nothing: a failure is a plain fail. */
static void state_dump(struct chord_client *c, struct client_result *result)
{
	int64_t deadline = monotime_ns() + c->timeout_ns;
	struct line_conn conn;
	ssize_t got;
	int err;

	line_conn_init(&conn, CHORD_STATE_PORT, c->state, sizeof(c->state));
	err = line_conn_open(&conn, c->addr, deadline, NULL);
	if (err == 0)
		err = line_conn_send(&conn, "state\n", 6, deadline);
	got = err == 0 ? line_conn_recv(&conn, deadline) : err;
	line_conn_close(&conn);
	if (got < 0) {
		client_result_fail(result, OP_FAIL, (int)got);
	} else if (chord_client_parse_state(c->state, result) < 0) {
		client_result_fail(result, OP_FAIL, -EBADMSG);
		snprintf(result->error, sizeof(result->error), "malformed state line");
	}
}

int chord_client_parse_kv(const char *line, const char *verb, uint64_t tag,
			  struct client_result *result)
{
	char got_verb[8], status[24], owner[24];
	unsigned long long got, version = 0, owner_id = 0;
	long long value = 0;
	unsigned hops = 0;
	bool put = strcmp(verb, "put") == 0, ok;
	struct textbuf t;
	int n = 0;

	if (sscanf(line, "%7s %llu %23s %n", got_verb, &got, status, &n) != 3 ||
	    strcmp(got_verb, verb) != 0)
		return strcmp(got_verb, "lookup") == 0 || strcmp(got_verb, "put") == 0 ||
		       strcmp(got_verb, "get") == 0 ? 0 : -EBADMSG;  /* a late reply to another */
	if (got != tag)
		return 0;
	ok = strcmp(status, "ok") == 0;
	if (!ok && strcmp(status, "not-found") != 0) {
		char why[24] = "";

		/* unknown: the owner may have stored a put; anything else did nothing. */
		result->type = put && strcmp(status, "unknown") == 0 ? OP_INFO : OP_FAIL;
		if (strcmp(status, "no-owner") == 0 && sscanf(line + n, "%23s", why) == 1)
			snprintf(result->error, sizeof(result->error), "no-owner: lookup %s", why);
		else
			snprintf(result->error, sizeof(result->error), "%s",
				 strcmp(status, "error") == 0 ? line + n : status);
		return 1;
	}
	if (ok && !put ? sscanf(line + n, "%lld %llu %llu %23s %u", &value, &version, &owner_id,
				owner, &hops) != 5
		       : sscanf(line + n, "%llu %llu %23s %u", &version, &owner_id, owner,
				&hops) != 4)
		return -EBADMSG;
	textbuf_init(&t, result->json, sizeof(result->json));
	textbuf_put(&t, "{\"status\":\"%s\"", status);
	if (ok && !put)
		textbuf_put(&t, ",\"value\":%lld", value);
	textbuf_put(&t, ",\"version\":%llu,\"owner\":\"%s\",\"owner_id\":%llu,\"hops\":%u}",
		    version, owner, owner_id, hops);
	return json_ok(result, &t) ? 1 : -EBADMSG;
}

/* The request line of @inv into @request; false if @inv is no chord op. */
static bool request_of(const struct chord_client *c, const struct op *inv, uint64_t tag,
		       char *request, size_t size)
{
	uint64_t id = inv->key ? chord_hash(&c->space, inv->key, strlen(inv->key)) : 0;

	if (strcmp(inv->f, "lookup") == 0 && inv->value.kind == OP_VALUE_INT)
		snprintf(request, size, "lookup %" PRIu64 " %" PRId64 "\n", tag,
			 inv->value.integer);
	else if (strcmp(inv->f, "put") == 0 && inv->key && inv->value.kind == OP_VALUE_INT)
		snprintf(request, size, "put %" PRIu64 " %" PRIu64 " %" PRId64 "\n", tag, id,
			 inv->value.integer);
	else if (strcmp(inv->f, "get") == 0 && inv->key)
		snprintf(request, size, "get %" PRIu64 " %" PRIu64 "\n", tag, id);
	else
		return false;
	return true;
}

static int chord_client_invoke(struct client *base, const struct op *inv,
			       struct client_result *result, struct errbuf *eb)
{
	struct chord_client *c = container_of(base, struct chord_client, base);
	int64_t deadline = monotime_ns() + c->timeout_ns;
	bool lookup = strcmp(inv->f, "lookup") == 0, put = strcmp(inv->f, "put") == 0;
	char request[96];
	uint64_t tag = ++c->serial;
	int n;

	client_result_reset(result);
	if (strcmp(inv->f, "state") == 0 && c->fd >= 0) {
		state_dump(c, result);
		return 0;
	}
	if (strcmp(inv->f, "state") != 0 && !request_of(c, inv, tag, request, sizeof(request)))
		return errbuf_set(eb, -EINVAL, "chord client: f \"%s\": expected a lookup of an "
				  "id, a put of an integer or a get of a key, or a state dump",
				  inv->f);
	if (c->fd < 0) {
		client_result_fail(result, OP_FAIL, -ENOTCONN);
		return 0;
	}
	n = (int)strlen(request);
	if (send(c->fd, request, (size_t)n, 0) != n) {
		client_result_fail(result, OP_FAIL, -errno);    /* nothing left: nothing done */
		return 0;
	}
	/* Bounded by the deadline: each pass waits for one datagram. */
	for (;;) {
		int64_t left = deadline - monotime_ns();
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		ssize_t got;

		if (left <= 0 || poll(&p, 1, (int)(left / 1000000) + 1) <= 0) {
			/* A lookup or a get changes nothing: unanswered, it did nothing. A put
			 * may have been stored. */
			client_result_fail(result, put ? OP_INFO : OP_FAIL, -ETIMEDOUT);
			return 0;
		}
		got = recv(c->fd, c->reply, sizeof(c->reply) - 1, 0);
		if (got <= 0)
			continue;       /* ICMP refused while the node restarts: wait on */
		c->reply[got] = '\0';
		c->reply[strcspn(c->reply, "\n")] = '\0';
		n = lookup ? chord_client_parse_reply(c->reply, tag, result)
			   : chord_client_parse_kv(c->reply, inv->f, tag, result);
		if (n == 1)
			return 0;
		if (n < 0) {
			client_result_fail(result, put ? OP_INFO : OP_FAIL, -EBADMSG);
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

void chord_client_init(struct chord_client *c, uint16_t port, int64_t timeout_ns,
		       unsigned bits)
{
	*c = (struct chord_client){ .base = { .ops = &chord_client_ops }, .fd = -1, .port = port,
				    .timeout_ns = timeout_ns };
	ASSERT(chord_space_init(&c->space, bits) == 0);
}
