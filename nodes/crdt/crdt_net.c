/* SPDX-License-Identifier: MIT */
/* crdt_net.c - crdt-node's callbacks: client lines, datagrams and ticks into crdt_step(). */
#include "crdt_net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crdt.h"
#include "crdt_store.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "monotime.h"
#include "replica_args.h"
#include "replica_server.h"

STATIC_ASSERT((int)CRDT_REPLICAS_MAX <= (int)REPLICA_ARGS_REPLICAS_MAX,
	      "replica ids are replica_args's (crdt_main.c caps --replicas at ours)");
STATIC_ASSERT((int)CRDT_GOSSIP_MS_MAX == (int)REPLICA_ARGS_GOSSIP_MS_MAX,
	      "one bound on --gossip-ms");

/* The replica and the outbox its steps fill (large: allocated once, at start-up). */
struct shell {
	struct crdt_replica *replica;
	struct crdt_outbox *outbox;
	uint32_t bugs;
};

/* persist() - act on the outbox's persist request. Return: false if the save failed. */
static bool persist(struct replica_server *s, const struct shell *sh)
{
	switch (sh->outbox->persist) {
	case CRDT_PERSIST_NOW:
		return replica_server_save(s);
	case CRDT_PERSIST_LAZY:
		replica_server_mark_dirty(s);
		return true;
	default:
		return true;
	}
}

static void send_messages(struct replica_server *s, const struct crdt_outbox *out)
{
	ASSERT(out->message_count <= CRDT_OUTBOX_MSGS_MAX);
	/* After a failed save, replica_server_send_peers() lets nothing (a new tag) leave. */
	for (uint32_t m = 0; m < out->message_count; m++) {
		ASSERT(out->messages[m].dest == CRDT_DEST_PEERS);
		replica_server_send_peers(s, out->messages[m].bytes, out->messages[m].size);
	}
}

static ssize_t on_request(struct replica_server *s, void *ctx, const char *line, size_t size,
			  char *reply, size_t reply_size)
{
	const struct shell *sh = ctx;
	struct crdt_input in = { .kind = CRDT_INPUT_CLIENT };
	struct errbuf eb = { "" };
	int n;

	if (crdt_request_parse(line, size, &in.request, &eb) < 0) {
		n = snprintf(reply, reply_size, "err %s\n", eb.msg);
		ASSERT(n > 0 && (size_t)n < reply_size);
		return n;
	}
	n = crdt_step(sh->replica, &in, monotime_ns(), sh->outbox);
	ASSERT(n == 0);
	ASSERT(sh->outbox->reply_size > 0 && sh->outbox->reply_size <= reply_size);
	/* Durable before the ok and before the delta leaves (its tag must not be reused). */
	if (!persist(s, sh))
		return -EIO;    /* no reply: the client sees the update as unknown */
	memcpy(reply, sh->outbox->reply, sh->outbox->reply_size);
	send_messages(s, sh->outbox);
	return sh->outbox->reply_size;
}

static void on_datagram(struct replica_server *s, void *ctx, const struct sockaddr_in *from,
			bool from_peer, const uint8_t *bytes, size_t size)
{
	const struct shell *sh = ctx;
	struct crdt_input in = { .kind = CRDT_INPUT_PEER, .bytes = bytes, .size = size };
	char buf[REPLICA_ARGS_ADDR_TEXT_BYTES];
	int err;

	if (!from_peer) {
		if (replica_server_log_allowed(s))
			log_warn("datagram from unknown source %s dropped",
				 replica_args_addr_text(from, buf, sizeof(buf)));
		return;
	}
	if (size > CRDT_DATAGRAM_BYTES_MAX) {
		if (replica_server_log_allowed(s))
			log_warn("peer %s: oversized datagram (%zu bytes) dropped",
				 replica_args_addr_text(from, buf, sizeof(buf)), size);
		return;
	}
	err = crdt_step(sh->replica, &in, monotime_ns(), sh->outbox);
	if (err < 0 && replica_server_log_allowed(s))
		log_warn("peer %s: datagram rejected: %s: %s",
			 replica_args_addr_text(from, buf, sizeof(buf)), sh->outbox->eb.msg,
			 strerror(-err));
	persist(s, sh);
	send_messages(s, sh->outbox);
}

static void on_tick(struct replica_server *s, void *ctx)
{
	const struct shell *sh = ctx;
	struct crdt_input in = { .kind = CRDT_INPUT_TICK };
	int err = crdt_step(sh->replica, &in, monotime_ns(), sh->outbox);

	ASSERT(err == 0);
	ASSERT(sh->outbox->reply_size == 0);
	send_messages(s, sh->outbox);
}

static int64_t next_tick_ns(void *ctx)
{
	const struct shell *sh = ctx;

	return crdt_replica_next_tick_ns(sh->replica);
}

static int on_load(void *ctx, const char *path, const uint8_t *bytes, size_t size,
		   struct errbuf *eb)
{
	const struct shell *sh = ctx;
	int err = crdt_replica_load(sh->replica, bytes, size, eb);

	if (err < 0)
		return err;
	if (sh->bugs & CRDT_BUG_RESTART_EMPTY)
		log_info("%s: %zu bytes valid but IGNORED (bug restart-empty)", path, size);
	else
		log_info("%s: %zu bytes, %u objects restored", path, size,
			 crdt_replica_object_count(sh->replica));
	return 0;
}

static ssize_t on_save(void *ctx, uint8_t *buf, size_t size)
{
	const struct shell *sh = ctx;
	ssize_t n = crdt_replica_save(sh->replica, buf, size);

	ASSERT(n > 0);
	return n;
}

int crdt_net_run(struct crdt_replica *r, const struct replica_args *args, struct errbuf *eb)
{
	static const struct replica_server_ops ops = {
		.request = on_request, .datagram = on_datagram, .tick = on_tick,
		.next_tick_ns = next_tick_ns, .load = on_load, .save = on_save,
	};
	const struct replica_server_config config = {
		.addrs = args->addrs, .data_dir = args->data_dir,
		.state_bytes_max = CRDT_STORE_BYTES_MAX, .clients_max = CRDT_CLIENTS_MAX,
		.request_bytes_max = CRDT_REQUEST_BYTES_MAX,
		.reply_bytes_max = CRDT_REPLY_BYTES_MAX + ERRBUF_BYTES_MAX,
		.datagram_bytes_max = CRDT_DATAGRAM_BYTES_MAX,
		.recv_batch_max = CRDT_RECV_BATCH_MAX, .udp_shared = true,
	};
	struct shell sh = { .replica = r, .bugs = args->bugs };
	struct replica_server *s = NULL;
	int err;

	sh.outbox = calloc(1, sizeof(*sh.outbox));
	if (!sh.outbox)
		return errbuf_set(eb, -ENOMEM, "outbox of %zu bytes", sizeof(*sh.outbox));
	err = replica_server_open(&s, &config, &ops, &sh, eb);
	if (err == 0)
		err = replica_server_run(s, eb);
	replica_server_close(s);
	free(sh.outbox);
	return err;
}
