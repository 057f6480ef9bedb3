/* SPDX-License-Identifier: MIT */
/* lww_net.c - lww-node's callbacks: client lines, gossip datagrams and ticks into lww.h. */
#include "lww_net.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "lww.h"
#include "monotime.h"
#include "replica_args.h"
#include "replica_server.h"

STATIC_ASSERT((int)LWW_REPLICAS_MAX <= (int)REPLICA_ARGS_REPLICAS_MAX,
	      "node ids are replica_args's (lww_main.c caps --replicas at ours)");
STATIC_ASSERT((int)LWW_GOSSIP_MS_MAX == (int)REPLICA_ARGS_GOSSIP_MS_MAX,
	      "one bound on --gossip-ms");

/* The node, its gossip timer and what was refused; about 3.3 KB with the datagram. */
struct shell {
	struct lww_node *node;
	int64_t gossip_interval_ns;     /* > 0 */
	int64_t next_gossip_ns;         /* monotonic; 0: gossip at once */
	uint64_t bad_datagram_count;
	uint8_t datagram[LWW_DATAGRAM_BYTES_MAX];       /* the state sent each tick */
};

static ssize_t on_request(struct replica_server *s, void *ctx, const char *line, size_t size,
			  char *reply, size_t reply_size)
{
	struct shell *sh = ctx;
	struct lww_request req;
	struct lww_reply r;
	struct errbuf eb = { "" };
	ssize_t n;

	if (lww_request_parse(line, size, &req, &eb) < 0) {
		memset(&r, 0, sizeof(r));
		r.error = eb.msg;
	} else {
		lww_node_serve(sh->node, &req, realtime_ns(), &r);
	}
	/* Durable before the ok. */
	if (r.persist && !replica_server_save(s))
		return -EIO;    /* no reply: the client sees the write as unknown */
	n = lww_reply_format(&r, reply, reply_size);
	ASSERT(n > 0 && (size_t)n < reply_size);
	return n;
}

/* on_datagram() - check the source and the size, then merge; count and log what fails. */
static void on_datagram(struct replica_server *s, void *ctx, const struct sockaddr_in *from,
			bool from_peer, const uint8_t *bytes, size_t size)
{
	struct shell *sh = ctx;
	struct errbuf eb = { "" };
	char buf[REPLICA_ARGS_ADDR_TEXT_BYTES];
	bool changed = false;
	int err;

	if (!from_peer) {
		err = errbuf_set(&eb, -EPERM, "not a configured peer");
	} else if (size > LWW_DATAGRAM_BYTES_MAX) {
		err = errbuf_set(&eb, -EMSGSIZE, "oversized datagram (%zu bytes)", size);
	} else {
		err = lww_node_receive(sh->node, bytes, size, realtime_ns(), &changed, &eb);
		if (changed)
			replica_server_mark_dirty(s);
	}
	if (err == 0)
		return;
	sh->bad_datagram_count++;
	if (replica_server_log_allowed(s))
		log_warn("datagram from %s: %s: %s (%llu bad so far)",
			 replica_args_addr_text(from, buf, sizeof(buf)), eb.msg, strerror(-err),
			 (unsigned long long)sh->bad_datagram_count);
}

/* on_tick() - the whole state to every peer; a lost datagram is repaired by the next one. */
static void on_tick(struct replica_server *s, void *ctx)
{
	struct shell *sh = ctx;
	ssize_t n = lww_node_gossip(sh->node, sh->datagram, sizeof(sh->datagram));

	ASSERT(n >= LWW_WIRE_HEADER_BYTES && n <= LWW_DATAGRAM_BYTES_MAX);
	sh->next_gossip_ns = monotime_ns() + sh->gossip_interval_ns;
	replica_server_send_peers(s, sh->datagram, (size_t)n);
}

static int64_t next_tick_ns(void *ctx)
{
	const struct shell *sh = ctx;

	return sh->next_gossip_ns;
}

static int on_load(void *ctx, const char *path, const uint8_t *bytes, size_t size,
		   struct errbuf *eb)
{
	struct shell *sh = ctx;
	int err = lww_node_load(sh->node, bytes, size, eb);

	if (err < 0)
		return err;
	log_info("%s: %zu bytes, %u keys restored, HLC from %" PRIu64, path, size,
		 sh->node->store.count, hlc_pack(&sh->node->hlc.last));
	return 0;
}

static ssize_t on_save(void *ctx, uint8_t *buf, size_t size)
{
	const struct shell *sh = ctx;
	ssize_t n = lww_node_save(sh->node, buf, size);

	ASSERT(n >= LWW_STORE_HEADER_BYTES);
	return n;
}

int lww_net_run(struct lww_node *node, const struct replica_args *args, struct errbuf *eb)
{
	static const struct replica_server_ops ops = {
		.request = on_request, .datagram = on_datagram, .tick = on_tick,
		.next_tick_ns = next_tick_ns, .load = on_load, .save = on_save,
	};
	const struct replica_server_config config = {
		.addrs = args->addrs, .data_dir = args->data_dir,
		.state_bytes_max = LWW_STORE_BYTES_MAX, .clients_max = LWW_CLIENTS_MAX,
		.request_bytes_max = LWW_REQUEST_BYTES_MAX,
		.reply_bytes_max = LWW_REPLY_BYTES_MAX + 1,
		.datagram_bytes_max = LWW_DATAGRAM_BYTES_MAX,
		.recv_batch_max = LWW_RECV_BATCH_MAX, .udp_shared = false,
	};
	struct shell sh = { .node = node, .gossip_interval_ns = args->gossip_ms * 1000000 };
	struct replica_server *s = NULL;
	int err;

	ASSERT(sh.gossip_interval_ns > 0);
	err = replica_server_open(&s, &config, &ops, &sh, eb);
	if (err == 0) {
		err = replica_server_run(s, eb);
		log_info("%llu bad datagrams, %llu gossip registers refused",
			 (unsigned long long)sh.bad_datagram_count,
			 (unsigned long long)node->refused_count);
	}
	replica_server_close(s);
	return err;
}
