/* SPDX-License-Identifier: MIT */
/* replica_peers.c - the replica server's UDP side: sends (at once or queued for sendmmsg(2))
 * and receives (recvfrom(2) or recvmmsg(2)), telling configured peers from strangers. */
#include "replica_server_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "fl_assert.h"
#include "log.h"

/* send_now() - one datagram to @to without blocking. Return: 0 or errno (not logged). */
static int send_now(const struct replica_server *s, const struct sockaddr_in *to,
		    const void *bytes, size_t size)
{
	return sendto(s->udp_fd, bytes, size, MSG_DONTWAIT, (const struct sockaddr *)to,
		      sizeof(*to)) < 0 ? errno : 0;
}

static void log_send_error(struct replica_server *s, const struct sockaddr_in *to, int err)
{
	char buf[REPLICA_ARGS_ADDR_TEXT_BYTES];

	if (replica_server_log_allowed(s))
		log_warn("send to %s: %s", replica_args_addr_text(to, buf, sizeof(buf)),
			 strerror(err));
}

/* replica_peers_flush() - the queued datagrams, in order, by sendmmsg(2); a failed one is
 * logged. */
void replica_peers_flush(struct replica_server *s)
{
	struct replica_udp_batch *b = s->batch;
	uint32_t done = 0;

	/* Bounded: each pass sends at least one datagram or gives one up. */
	while (b && done < b->out_count) {
		int n = sendmmsg(s->udp_fd, b->out_msgs + done, b->out_count - done,
				 MSG_DONTWAIT);

		if (n > 0) {
			done += (uint32_t)n;
			continue;
		}
		log_send_error(s, &b->out_to[done], n < 0 ? errno : EIO);
		done++;
	}
	if (b) {
		b->out_count = 0;
		b->out_used = 0;
	}
}

/*
 * send_one() - one datagram to @to: at once, or into the queue with udp_batch (flushed
 * first if full; one larger than the whole arena goes at once, after the queue).
 * Return: 0 or errno (not logged).
 */
static int send_one(struct replica_server *s, const struct sockaddr_in *to,
		    const void *bytes, size_t size)
{
	struct replica_udp_batch *b = s->batch;
	uint32_t i;

	if (!b)
		return send_now(s, to, bytes, size);
	if (b->out_count == REPLICA_SERVER_SEND_QUEUE_MAX ||
	    sizeof(b->out_bytes) - b->out_used < size)
		replica_peers_flush(s);
	if (size > sizeof(b->out_bytes))
		return send_now(s, to, bytes, size);
	i = b->out_count++;
	memcpy(b->out_bytes + b->out_used, bytes, size);
	b->out_to[i] = *to;
	b->out_iov[i] = (struct iovec){ b->out_bytes + b->out_used, size };
	b->out_msgs[i].msg_hdr = (struct msghdr){ .msg_name = &b->out_to[i],
						  .msg_namelen = sizeof(b->out_to[i]),
						  .msg_iov = &b->out_iov[i], .msg_iovlen = 1 };
	b->out_used += size;
	return 0;
}

void replica_server_send_peers(struct replica_server *s, const void *bytes, size_t size)
{
	const struct replica_addrs *addrs = &s->config.addrs;
	char buf[REPLICA_ARGS_ADDR_TEXT_BYTES];

	ASSERT(size > 0 && size <= s->config.datagram_bytes_max);
	ASSERT(addrs->peer_count < REPLICA_ARGS_REPLICAS_MAX);
	if (s->save_err < 0)
		return;
	for (uint32_t p = 0; p < addrs->peer_count; p++) {
		const struct sockaddr_in *to = &addrs->peer_addrs[p];
		int err = send_one(s, to, bytes, size);

		if (err && replica_server_log_allowed(s))
			log_warn("send to peer %u (%s): %s", addrs->peer_ids[p],
				 replica_args_addr_text(to, buf, sizeof(buf)), strerror(err));
	}
}

void replica_server_send_to(struct replica_server *s, const struct sockaddr_in *to,
			    const void *bytes, size_t size)
{
	int err;

	ASSERT(to && to->sin_family == AF_INET);
	ASSERT(size > 0 && size <= s->config.datagram_bytes_max);
	if (s->save_err < 0)
		return;
	err = send_one(s, to, bytes, size);
	if (err)
		log_send_error(s, to, err);
}

/*
 * peer_known() - did @from come from a configured peer's gossip socket? Replicas send from
 * the socket they bind, so anything else (a stray or spoofing host) is not a replica.
 */
static bool peer_known(const struct replica_server *s, const struct sockaddr_in *from)
{
	const struct replica_addrs *addrs = &s->config.addrs;

	ASSERT(addrs->peer_count < REPLICA_ARGS_REPLICAS_MAX);
	for (uint32_t p = 0; p < addrs->peer_count; p++) {
		const struct sockaddr_in *a = &addrs->peer_addrs[p];

		if (a->sin_addr.s_addr == from->sin_addr.s_addr && a->sin_port == from->sin_port)
			return true;
	}
	return false;
}

/* on_udp_batch() - up to recv_batch_max datagrams by one recvmmsg(2), each to ops->datagram. */
static void on_udp_batch(struct replica_server *s)
{
	struct replica_udp_batch *b = s->batch;
	int n;

	for (uint32_t i = 0; i < s->config.recv_batch_max; i++) {
		b->in_from[i] = (struct sockaddr_in){ .sin_family = AF_UNSPEC };
		b->in_msgs[i].msg_hdr.msg_namelen = sizeof(b->in_from[i]);
	}
	n = recvmmsg(s->udp_fd, b->in_msgs, s->config.recv_batch_max, MSG_DONTWAIT | MSG_TRUNC,
		     NULL);
	if (n < 0 && !replica_would_block(errno) && replica_server_log_allowed(s))
		log_warn("gossip receive: %s", strerror(errno));
	for (int i = 0; i < n; i++) {
		const struct sockaddr_in *from = &b->in_from[i];
		bool from_peer = b->in_msgs[i].msg_hdr.msg_namelen == sizeof(*from) &&
				 from->sin_family == AF_INET && peer_known(s, from);

		s->ops->datagram(s, s->ctx, from, from_peer, b->in_iov[i].iov_base,
				 b->in_msgs[i].msg_len);
	}
}

void replica_peers_receive(struct replica_server *s)
{
	if (s->batch) {
		on_udp_batch(s);
		return;
	}
	for (uint32_t i = 0; i < s->config.recv_batch_max; i++) {
		struct sockaddr_in from = { .sin_family = AF_UNSPEC };
		socklen_t from_size = sizeof(from);
		ssize_t n = recvfrom(s->udp_fd, s->datagram, s->config.datagram_bytes_max + 1,
				     MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from,
				     &from_size);
		bool from_peer;

		if (n < 0) {
			if (!replica_would_block(errno) && replica_server_log_allowed(s))
				log_warn("gossip receive: %s", strerror(errno));
			return;
		}
		from_peer = from_size == sizeof(from) && from.sin_family == AF_INET &&
			    peer_known(s, &from);
		s->ops->datagram(s, s->ctx, &from, from_peer, s->datagram, (size_t)n);
	}
}
