/* SPDX-License-Identifier: MIT */
/* pbft_client.c - requests to the primary or every replica, retransmitted to all; replies
 * counted per replica. */
#include "pbft_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"

/* The plain bytes of a request message: a header and one request. */
enum { REQUEST_PLAIN_BYTES = PBFT_HEADER_BYTES + PBFT_REQUEST_BYTES };

static int pbft_client_open(struct client *base, struct in_addr addr, struct errbuf *eb)
{
	struct pbft_client *c = container_of(base, struct pbft_client, base);

	(void)addr;                     /* requests go to the primary or all, not to a node */
	if (c->fd >= 0)
		return 0;
	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return errbuf_set(eb, -errno, "pbft client: socket: %s", strerror(errno));
	return 0;
}

static void pbft_client_close(struct client *base)
{
	struct pbft_client *c = container_of(base, struct pbft_client, base);

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->session->announced == c)
		c->session->announced = NULL;   /* a new socket will have a new port */
}

static bool pbft_client_connected(const struct client *base)
{
	return container_of(base, const struct pbft_client, base)->fd >= 0;
}

/* "k<K>" with K < PBFT_KEYS_MAX, digits only. */
static int key_parse(const char *key, uint32_t *out)
{
	uint32_t k = 0;

	if (!key || key[0] != 'k' || !key[1] || strlen(key) > 3)
		return -EINVAL;
	for (const char *p = key + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		k = k * 10 + (uint32_t)(*p - '0');
	}
	if (k >= PBFT_KEYS_MAX)
		return -EINVAL;
	*out = k;
	return 0;
}

static struct pbft_value value_of(int64_t v)
{
	return (struct pbft_value){ .present = true, .v = v };
}

int pbft_client_request(const struct op *inv, uint32_t client, uint64_t timestamp,
			struct pbft_request *out, struct errbuf *eb)
{
	const struct op_value *v = &inv->value;

	memset(out, 0, sizeof(*out));
	out->client = client;
	out->timestamp = timestamp;
	if (key_parse(inv->key, &out->op.key) < 0)
		return errbuf_set(eb, -EINVAL, "pbft: key '%s' is not k0..k%d",
				  inv->key ? inv->key : "(none)", PBFT_KEYS_MAX - 1);
	if (strcmp(inv->f, "read") == 0) {
		out->op.verb = PBFT_VERB_READ;
	} else if (strcmp(inv->f, "write") == 0 && v->kind == OP_VALUE_INT) {
		out->op.verb = PBFT_VERB_WRITE;
		out->op.a = value_of(v->integer);
	} else if (strcmp(inv->f, "cas") == 0 && v->kind == OP_VALUE_INTS && v->count == 2) {
		out->op.verb = PBFT_VERB_CAS;
		out->op.a = value_of(v->ints[0]);
		out->op.b = value_of(v->ints[1]);
	} else {
		return errbuf_set(eb, -EINVAL, "pbft: expected read, write of an int or cas of "
				  "[old, new], not %s", inv->f);
	}
	return 0;
}

void pbft_client_result(const struct op *inv, const struct pbft_result *reply,
			struct client_result *result)
{
	result->type = reply->ok ? OP_OK : OP_FAIL;
	if (!reply->ok) {
		snprintf(result->error, sizeof(result->error), "%s",
			 strcmp(inv->f, "cas") == 0 ? "cas: old value did not match" : "refused");
		return;
	}
	if (strcmp(inv->f, "read") == 0) {
		result->value_set = true;
		result->value = reply->value.present
			? (struct op_value){ .kind = OP_VALUE_INT, .integer = reply->value.v }
			: (struct op_value){ .kind = OP_VALUE_NULL };
	}
}

/* The sealed request to replica @i; lost datagrams are what retransmission is for. */
static void send_to(struct pbft_client *c, uint32_t i, const uint8_t *plain, size_t size)
{
	const struct pbft_client_config *cfg = c->config;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(cfg->port),
				  .sin_addr = cfg->addrs[i] };
	ssize_t n = pbft_seal(c->send_keys[i], plain, size, c->buf, sizeof(c->buf));

	ASSERT(n > 0);
	(void)sendto(c->fd, c->buf, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to));
}

/*
 * send_request() - an ordered request's first send goes to the primary of the session's
 * view alone (PBFT 4.1: the pre-prepare carries it to the backups) when every replica
 * already has this socket as the client's reply address; anything else goes to every
 * replica. A resend goes to all, so a silent or deposed primary costs one retransmission
 * period and the backups' view-change timers start.
 */
static void send_request(struct pbft_client *c, const uint8_t *plain, size_t size, bool first)
{
	struct pbft_session *ses = c->session;
	uint32_t n = c->config->replicas;

	if (first && plain[0] == PBFT_MSG_REQUEST && ses->announced == c) {
		send_to(c, (uint32_t)(ses->view % n), plain, size);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		send_to(c, i, plain, size);
	ses->announced = c;
}

/* learn_view() - the view the replies to the accepted op name, as pbft_replies_view()
 * reads them. */
static void learn_view(struct pbft_client *c)
{
	uint64_t view;

	if (pbft_replies_view(c->reply_views, c->reply_mask, c->config->replicas, &view))
		c->session->view = view;
}

/*
 * One datagram: if it is an authentic reply to (client, @timestamp) from a replica, keep it.
 * Return: true once a reply is accepted (f+1 matching, or any one under the bug), with its
 * replica in *@accepted.
 */
static bool take_reply(struct pbft_client *c, size_t size, uint64_t timestamp,
		       uint32_t *accepted)
{
	uint32_t n = c->config->replicas, f = (n - 1) / 3, sender;
	struct pbft_msg *m = &c->msg;
	size_t plain;

	if (pbft_sender_peek(c->buf, size, &sender) < 0 || sender >= n ||
	    pbft_open(c->recv_keys[sender], c->buf, size, &plain) < 0 ||
	    pbft_decode(c->buf, plain, n + PBFT_CLIENTS_MAX, m, NULL) < 0)
		return false;
	if (m->type != PBFT_MSG_REPLY || m->sender != sender ||
	    m->result.client != c->session->client || m->result.timestamp != timestamp)
		return false;
	c->replies[sender] = m->result;
	c->reply_views[sender] = m->view;
	c->reply_mask |= 1u << sender;
	*accepted = sender;
	return c->config->first_reply ||
	       pbft_replies_matching(c->replies, c->reply_mask, n, &m->result) >=
		       (c->config->fast ? 2 * f + 1 : f + 1);
}

/* Reads every waiting datagram. Return: true once a reply is accepted (in *@accepted). */
static bool drain(struct pbft_client *c, uint64_t timestamp, uint32_t *accepted)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->buf, sizeof(c->buf), MSG_DONTWAIT);

		if (n < 0)
			return false;   /* EAGAIN, or an error the deadline will turn into info */
		if ((size_t)n < sizeof(c->buf) && take_reply(c, (size_t)n, timestamp, accepted))
			return true;
	}
}

static int pbft_client_invoke(struct client *base, const struct op *inv,
			      struct client_result *res, struct errbuf *eb)
{
	struct pbft_client *c = container_of(base, struct pbft_client, base);
	uint8_t plain[REQUEST_PLAIN_BYTES];
	int64_t now = monotime_ns(), deadline = now + c->timeout_ns, next_send = now;
	uint64_t timestamp = inv->index + 1;
	uint32_t accepted;
	bool sent = false;
	ssize_t size;
	int err;

	client_result_reset(res);
	memset(&c->msg, 0, sizeof(c->msg));
	c->msg.type = PBFT_MSG_REQUEST;
	c->msg.sender = c->config->replicas + c->session->client;
	err = pbft_client_request(inv, c->session->client, timestamp, &c->msg.request, eb);
	if (err < 0)
		return err;
	size = pbft_encode(&c->msg, plain, sizeof(plain));
	ASSERT(size == (ssize_t)sizeof(plain));
	if (c->fd < 0) {
		client_result_fail(res, OP_FAIL, -ENOTCONN);
		return 0;
	}
	c->reply_mask = 0;
	if (c->config->fast && c->msg.request.op.verb == PBFT_VERB_READ)
		plain[0] = PBFT_MSG_READ_ONLY;
	for (;;) {
		int64_t wake;

		if (plain[0] == PBFT_MSG_READ_ONLY && sent &&
		    (now >= next_send || c->reply_mask == (1u << c->config->replicas) - 1)) {
			/* No 2f+1 match (a write raced it): in order now, counted afresh. */
			plain[0] = PBFT_MSG_REQUEST;
			c->reply_mask = 0;
			next_send = now;
		}
		if (now >= next_send) {
			send_request(c, plain, (size_t)size, !sent);
			sent = true;
			next_send = now + PBFT_CLIENT_RETRANSMIT_NS;
		}
		wake = next_send < deadline ? next_send : deadline;
		(void)poll(&(struct pollfd){ .fd = c->fd, .events = POLLIN }, 1,
			   (int)((wake - now + 999999) / 1000000));
		if (drain(c, timestamp, &accepted)) {
			learn_view(c);
			pbft_client_result(inv, &c->replies[accepted], res);
			return 0;
		}
		now = monotime_ns();
		if (now >= deadline) {
			/* Sent: it may still execute. */
			client_result_fail(res, OP_INFO, -ETIMEDOUT);
			return 0;
		}
	}
}

static const struct client_ops pbft_client_ops = {
	.name = "pbft",
	.open = pbft_client_open,
	.invoke = pbft_client_invoke,
	.close = pbft_client_close,
	.connected = pbft_client_connected,
};

void pbft_client_init(struct pbft_client *c, const struct pbft_client_config *config,
		      struct pbft_session *session, uint32_t client_id, int64_t timeout_ns)
{
	uint32_t me;

	ASSERT(config->replicas >= 4 && config->replicas <= PBFT_REPLICAS_MAX);
	ASSERT(client_id < PBFT_CLIENTS_MAX);
	memset(c, 0, sizeof(*c));
	c->base.ops = &pbft_client_ops;
	c->config = config;
	c->session = session;
	c->timeout_ns = timeout_ns;
	c->fd = -1;
	if (!session->assigned) {
		session->assigned = true;
		session->client = client_id;
	}
	me = config->replicas + session->client;
	for (uint32_t i = 0; i < config->replicas; i++) {
		pbft_key_derive(config->secret, me, i, c->send_keys[i]);
		pbft_key_derive(config->secret, i, me, c->recv_keys[i]);
	}
}
