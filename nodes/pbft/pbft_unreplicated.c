/* SPDX-License-Identifier: MIT */
/* pbft_unreplicated.c - pbft-node --unreplicated: the same transport and MACs, no agreement;
 * one KV store under the core's reply cache rule, as a cluster of n = 1 (PROTOCOL.md). */
#include "pbft_net_internal.h"

#include <string.h>

#include "fl_assert.h"

/* unrep_reply() - @result to client @c, sealed with key(0, 1 + c), to its address. */
static void unrep_reply(struct replica_server *s, struct pbft_shell *sh, uint32_t c,
			const struct pbft_result *result)
{
	struct pbft_unrep *u = &sh->unrep;
	struct pbft_msg *m = &u->msg;
	ssize_t size, n;

	ASSERT(c < PBFT_CLIENTS_MAX && result->timestamp > 0 && result->client == c);
	m->type = PBFT_MSG_REPLY;
	m->sender = 0;
	m->view = m->seq = 0;
	memset(m->digest, 0, sizeof(m->digest));
	m->result = *result;
	size = pbft_encode(m, u->plain, sizeof(u->plain));
	ASSERT(size > 0);
	n = pbft_mac_seal(&u->reply_keys[c], u->plain, (size_t)size, sh->sealed,
			  sizeof(sh->sealed));
	ASSERT(n > 0);
	replica_server_send_to(s, &sh->client_addrs[c], sh->sealed, (size_t)n);
}

/*
 * unrep_execute() - the core's reply cache rule: a timestamp above the client's last is
 * executed (and logged as evidence), an equal one is answered from the cache, a lower one
 * is dropped. Return: true if a reply is due.
 */
static bool unrep_execute(struct pbft_shell *sh, const struct pbft_request *q)
{
	struct pbft_unrep *u = &sh->unrep;
	struct pbft_result *cached = &u->replies[q->client];
	struct pbft_event e = { .type = PBFT_EV_EXECUTE, .client = q->client,
				.timestamp = q->timestamp, .op = q->op };

	ASSERT(q->client < PBFT_CLIENTS_MAX && q->timestamp > 0);
	if (q->timestamp < cached->timestamp) {
		u->refused_count++;
		return false;
	}
	if (q->timestamp == cached->timestamp) {
		u->resent_count++;
		return true;
	}
	cached->client = q->client;
	cached->timestamp = q->timestamp;
	pbft_kv_apply(&u->kv, &q->op, cached);
	e.seq = ++u->executed_count;
	(void)pbft_evlog_events(&sh->evidence, &e, 1);  /* counted in write_error_count */
	return true;
}

void pbft_unreplicated_datagram(struct replica_server *s, struct pbft_shell *sh,
				const struct sockaddr_in *from, const uint8_t *bytes, size_t size)
{
	struct pbft_unrep *u = &sh->unrep;
	uint32_t sender, c;
	size_t plain;

	if (pbft_sender_peek(bytes, size, &sender) < 0) {
		u->malformed_count++;
		return;
	}
	c = sender - 1;                 /* client c is principal n + c, n = 1 */
	if (sender < 1 || c >= PBFT_CLIENTS_MAX ||
	    pbft_mac_open(&sh->client_keys[c], bytes, size, &plain) < 0) {
		u->forged_count++;
		return;
	}
	if (pbft_decode(bytes, plain, 1 + PBFT_CLIENTS_MAX, &u->msg, NULL) < 0) {
		u->malformed_count++;
		return;
	}
	if ((u->msg.type != PBFT_MSG_REQUEST && u->msg.type != PBFT_MSG_READ_ONLY) ||
	    u->msg.request.client != c || from->sin_family != AF_INET) {
		u->refused_count++;
		return;
	}
	sh->client_addrs[c] = *from;
	sh->clients_seen |= 1ull << c;
	if (u->msg.type == PBFT_MSG_READ_ONLY) {
		/* As the replicas do: read at once, not cached, not in the evidence. */
		struct pbft_result read = { .client = c, .timestamp = u->msg.request.timestamp };

		pbft_kv_apply(&u->kv, &u->msg.request.op, &read);
		unrep_reply(s, sh, c, &read);
	} else if (unrep_execute(sh, &u->msg.request)) {
		unrep_reply(s, sh, c, &u->replies[c]);
	}
}
