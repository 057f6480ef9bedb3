/* SPDX-License-Identifier: MIT */
/* pbft_net.c - pbft-node's callbacks: datagrams and ticks into pbft_step(), its sends sealed
 * per receiver onto UDP, its events into the evidence log, the incarnation file, the run;
 * the TCP lines are pbft_line.c, --unreplicated pbft_unreplicated.c. */
#include "pbft_net.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "monotime.h"
#include "pbft.h"
#include "pbft_bundle.h"
#include "pbft_evlog.h"
#include "pbft_kv.h"
#include "pbft_net_internal.h"
#include "replica_args.h"
#include "replica_server.h"

enum {
	TCP_CLIENTS_MAX = 16,
	RECV_BATCH_MAX = 64,
	UDP_BUFFER_BYTES = 4 << 20,     /* a retransmission tick sends hundreds of datagrams */
	/* The state file: "PBFTNODE", u32 version, u32 id, u32 replicas, u32 0,
	 * u64 incarnation, u64 FNV-1a of the 32 bytes before it; little-endian. */
	STATE_VERSION = 1,
	STATE_BYTES = 40,
	STATE_SUM_OFFSET = 32,
};

static const uint8_t state_magic[8] = { 'P', 'B', 'F', 'T', 'N', 'O', 'D', 'E' };

STATIC_ASSERT(PBFT_SEALED_BYTES_MAX <= 65507, "a sealed message fits one datagram");
STATIC_ASSERT((int)PBFT_REPLICAS_MAX <= (int)REPLICA_ARGS_REPLICAS_MAX,
	      "replica ids are replica_args's");
STATIC_ASSERT(PBFT_CLIENTS_MAX <= 64, "the clients seen are a u64 mask");

/* --- mode lists --- */

static void copy_bad(const char *name, size_t size, char *bad, size_t bad_size)
{
	size_t n = size < bad_size - 1 ? size : bad_size - 1;

	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';

		bad[i] = plain ? c : '?';
	}
	bad[n] = '\0';
}

int pbft_net_modes_parse(const char *list, uint32_t *flags, char *bad, size_t bad_size)
{
	size_t size = strnlen(list, PBFT_NET_MODES_BYTES_MAX);

	ASSERT(bad && bad_size >= 1);
	*flags = 0;
	bad[0] = '\0';
	if (size == 0 || size == PBFT_NET_MODES_BYTES_MAX)
		return -EINVAL;
	/* Bounded by the list's size: each pass consumes a name and its comma. */
	for (const char *p = list; p <= list + size;) {
		const char *end = memchr(p, ',', (size_t)(list + size - p));
		size_t n = end ? (size_t)(end - p) : (size_t)(list + size - p);
		char name[PBFT_NET_MODE_BYTES_MAX];
		uint32_t flag = 0;

		if (n > 0 && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
		}
		if (n == 0 || n >= sizeof(name) ||
		    (strcmp(name, "none") != 0 && pbft_byzantine_parse(name, &flag) < 0)) {
			copy_bad(p, n, bad, bad_size);
			return -EINVAL;
		}
		*flags |= flag;
		p += n + 1;
	}
	return 0;
}

/* --- the core's outputs --- */

/* seal() - @plain sealed from this replica to @target into sh->sealed. Return: its size. */
static size_t seal(struct pbft_shell *sh, uint8_t kind, uint32_t target, const uint8_t *plain,
		   size_t size)
{
	ssize_t n = pbft_replica_seal(sh->r, kind, target, plain, size, sh->sealed,
				      sizeof(sh->sealed));

	ASSERT(n > 0 && (size_t)n <= sizeof(sh->sealed));
	return (size_t)n;
}

static void seal_send(struct replica_server *s, struct pbft_shell *sh, uint8_t kind,
		      uint32_t target, const struct pbft_send *send, const struct sockaddr_in *to)
{
	size_t n = seal(sh, kind, target, sh->out.bytes + send->offset, send->size);

	replica_server_send_to(s, to, sh->sealed, n);
}

/* bundle_flush() - what @b holds, to @to (one datagram, if anything); @b is empty again. */
static void bundle_flush(struct replica_server *s, struct pbft_shell *sh, struct pbft_bundle *b,
			 const struct sockaddr_in *to)
{
	size_t n;

	sh->bundle_count += b->count > 1;
	n = pbft_bundle_finish(b);
	if (n > 0)
		replica_server_send_to(s, to, b->buf, n);
}

/* bundle_put() - sh->sealed's @size bytes into @b for @to; a full bundle goes first. */
static void bundle_put(struct replica_server *s, struct pbft_shell *sh, struct pbft_bundle *b,
		       const struct sockaddr_in *to, size_t size)
{
	int err;

	if (!pbft_bundle_fits(b, size))
		bundle_flush(s, sh, b, to);
	err = pbft_bundle_add(b, sh->sealed, size);
	ASSERT(err == 0);       /* an empty bundle takes any sealed message */
}

/*
 * send_all() - the held COMMITs and then @plain (NULL: none) to every other replica, each
 * sealed for it, in as few datagrams as fit (one, unless @plain is large). Empties the hold.
 */
static void send_all(struct replica_server *s, struct pbft_shell *sh, const uint8_t *plain,
		     size_t plain_size)
{
	const struct pbft_held *h = &sh->held;
	struct pbft_bundle b;

	ASSERT(plain || h->count > 0);
	for (uint32_t j = 0; j < sh->config->replicas; j++) {
		const struct sockaddr_in *to = &sh->replica_addrs[j];

		if (j == sh->config->id)
			continue;
		if (h->count == 0) {    /* nothing to bundle: no copies */
			size_t n = seal(sh, PBFT_TO_REPLICA, j, plain, plain_size);

			replica_server_send_to(s, to, sh->sealed, n);
			continue;
		}
		pbft_bundle_init(&b, sh->bundle, sizeof(sh->bundle));
		for (uint32_t i = 0; i < h->count; i++)
			bundle_put(s, sh, &b, to,
				   seal(sh, PBFT_TO_REPLICA, j, h->plain[i], h->sizes[i]));
		if (plain)
			bundle_put(s, sh, &b, to, seal(sh, PBFT_TO_REPLICA, j, plain, plain_size));
		bundle_flush(s, sh, &b, to);
	}
	sh->held.count = 0;
}

/*
 * send_one() - one of the core's sends. On the fast path a COMMIT to all is held back (a
 * delay, as the network may add) and rides on the next message to all: the next request's
 * pre-prepare or prepare, which needs this commit before it can execute anyway. What is
 * held goes at the next tick, or at once while a READ-ONLY read waits for a commit.
 */
static void send_one(struct replica_server *s, struct pbft_shell *sh, const struct pbft_send *send)
{
	uint32_t n = sh->config->replicas;

	ASSERT(send->size > 0 && send->size <= PBFT_MSG_BYTES_MAX);
	ASSERT((uint64_t)send->offset + send->size <= sh->out.bytes_used);
	switch (send->target_kind) {
	case PBFT_TO_REPLICA:
		ASSERT(send->target < n && send->target != sh->config->id);
		seal_send(s, sh, PBFT_TO_REPLICA, send->target, send,
			  &sh->replica_addrs[send->target]);
		break;
	case PBFT_TO_ALL: {
		const uint8_t *plain = sh->out.bytes + send->offset;

		if (sh->hold_commits && plain[0] == PBFT_MSG_COMMIT &&
		    pbft_held_push(&sh->held, plain, send->size) == 0)
			break;
		send_all(s, sh, plain, send->size);
		break;
	}
	default:
		ASSERT(send->target_kind == PBFT_TO_CLIENT);
		ASSERT(send->target < PBFT_CLIENTS_MAX);
		if (!(sh->clients_seen & (1ull << send->target))) {
			sh->unroutable_count++;
			break;
		}
		seal_send(s, sh, PBFT_TO_CLIENT, send->target, send,
			  &sh->client_addrs[send->target]);
		break;
	}
}

/* Does this step send something that promises (a vote, a proposal, a view change)? */
static bool sends_promises(const struct pbft_shell *sh)
{
	for (uint32_t i = 0; i < sh->out.send_count; i++) {
		uint8_t type = sh->out.bytes[sh->out.sends[i].offset];

		if (type == PBFT_MSG_PRE_PREPARE || type == PBFT_MSG_PREPARE ||
		    type == PBFT_MSG_COMMIT || type == PBFT_MSG_VIEW_CHANGE ||
		    type == PBFT_MSG_NEW_VIEW)
			return true;
	}
	return false;
}

/* save_promises() - in DIR/promises before they leave (pbft_promises.c). */
static void save_promises(struct pbft_shell *sh)
{
	ssize_t size;

	if (!sh->promises.map || !sends_promises(sh))
		return;
	size = pbft_replica_promises(sh->r, sh->promises_buf, sizeof(sh->promises_buf));
	ASSERT(size > 0);
	pbft_promise_file_save(&sh->promises, sh->promises_buf, (size_t)size);
}

/* step() - one input; the evidence first (a reply is never ahead of its line), then the
 * promises, then sends. */
static void step(struct replica_server *s, struct pbft_shell *sh, const struct pbft_input *in)
{
	int err = pbft_step(sh->r, in, &sh->out);

	if (err == -E2BIG && replica_server_log_allowed(s))
		log_warn("pbft step: an output bound was hit; something was not sent");
	ASSERT(err == 0 || err == -E2BIG);
	ASSERT(sh->out.send_count <= PBFT_OUT_SENDS_MAX);
	err = pbft_evlog_events(&sh->evidence, sh->out.events, sh->out.event_count);
	if (err < 0 && replica_server_log_allowed(s))
		log_error("evidence log: %s (%llu steps lost)", strerror(-err),
			  (unsigned long long)sh->evidence.write_error_count);
	save_promises(sh);
	for (uint32_t i = 0; i < sh->out.send_count; i++)
		send_one(s, sh, &sh->out.sends[i]);
	if (sh->held.count > 0 && pbft_replica_read_waiting(sh->r))
		send_all(s, sh, NULL, 0);       /* a read waits for something to commit */
}

/* --- the replica --- */

/* learn_client() - a client's authentic request: its replies go back to where it came from. */
static void learn_client(struct pbft_shell *sh, const struct sockaddr_in *from,
			 const uint8_t *bytes, size_t size)
{
	uint32_t sender, c;
	size_t plain_size;

	if (pbft_sender_peek(bytes, size, &sender) < 0 || sender < sh->config->replicas ||
	    sender - sh->config->replicas >= PBFT_CLIENTS_MAX)
		return;
	c = sender - sh->config->replicas;
	if ((sh->clients_seen & (1ull << c)) &&
	    sh->client_addrs[c].sin_addr.s_addr == from->sin_addr.s_addr &&
	    sh->client_addrs[c].sin_port == from->sin_port)
		return;         /* nothing new: spare a MAC check (the core checks it anyway) */
	if (pbft_mac_open(&sh->client_keys[c], bytes, size, &plain_size) < 0 ||
	    plain_size == 0 || (bytes[0] != PBFT_MSG_REQUEST && bytes[0] != PBFT_MSG_READ_ONLY))
		return;
	sh->client_addrs[c] = *from;
	sh->clients_seen |= 1ull << c;
}

/* step_bundle() - each part of a bundle as a message of its own; none if it does not split. */
static void step_bundle(struct replica_server *s, struct pbft_shell *sh,
			const struct sockaddr_in *from, const uint8_t *bytes, size_t size)
{
	struct pbft_bundle_part parts[PBFT_BUNDLE_PARTS_MAX];
	char buf[REPLICA_ARGS_ADDR_TEXT_BYTES];
	int count = pbft_bundle_split(bytes, size, parts);

	if (count < 0) {
		sh->bad_bundle_count++;
		if (replica_server_log_allowed(s))
			log_warn("datagram from %s: %zu bytes marked as a bundle that does not "
				 "split", replica_args_addr_text(from, buf, sizeof(buf)), size);
		return;
	}
	for (int i = 0; i < count; i++) {
		const struct pbft_input in = { .type = PBFT_IN_MESSAGE, .bytes = parts[i].bytes,
					       .size = parts[i].size };

		step(s, sh, &in);
	}
}

/* on_datagram() - from anyone: the MAC, not the address, says who sent it. */
static void on_datagram(struct replica_server *s, void *ctx, const struct sockaddr_in *from,
			bool from_peer, const uint8_t *bytes, size_t size)
{
	struct pbft_shell *sh = ctx;
	struct pbft_input in = { .type = PBFT_IN_MESSAGE, .bytes = bytes, .size = size };
	char buf[REPLICA_ARGS_ADDR_TEXT_BYTES];

	(void)from_peer;
	if (size > PBFT_SEALED_BYTES_MAX) {
		sh->oversized_count++;
		if (replica_server_log_allowed(s))
			log_warn("datagram from %s: %zu bytes, more than a message",
				 replica_args_addr_text(from, buf, sizeof(buf)), size);
		return;
	}
	if (!sh->r) {
		pbft_unreplicated_datagram(s, sh, from, bytes, size);
		return;
	}
	if (pbft_bundle_is(bytes, size)) {
		step_bundle(s, sh, from, bytes, size);
		return;
	}
	if (from->sin_family == AF_INET)
		learn_client(sh, from, bytes, size);
	step(s, sh, &in);
}

static void on_tick(struct replica_server *s, void *ctx)
{
	struct pbft_shell *sh = ctx;
	const struct pbft_input in = { .type = PBFT_IN_TICK };

	/* Missed ticks (a paused process) are not made up: one tick per wake-up at most. */
	sh->next_tick_ns = monotime_ns() + sh->tick_ns;
	if (!sh->r)
		return;
	step(s, sh, &in);
	if (sh->held.count > 0)
		send_all(s, sh, NULL, 0);       /* held for a tick at most */
}

static int64_t next_tick_ns(void *ctx)
{
	const struct pbft_shell *sh = ctx;

	return sh->r ? sh->next_tick_ns : INT64_MAX;    /* unreplicated: nothing to time */
}

/* --- the state file: the incarnation only --- */

static int on_load(void *ctx, const char *path, const uint8_t *bytes, size_t size,
		   struct errbuf *eb)
{
	struct pbft_shell *sh = ctx;
	uint64_t incarnation;

	if (size != STATE_BYTES || memcmp(bytes, state_magic, sizeof(state_magic)) != 0)
		return errbuf_set(eb, -EBADMSG, "%zu bytes, not a pbft-node state file", size);
	if (codec_get_le(bytes + STATE_SUM_OFFSET, 8) !=
	    codec_fnv1a(CODEC_FNV1A_BASIS, bytes, STATE_SUM_OFFSET))
		return errbuf_set(eb, -EBADMSG, "checksum mismatch");
	if (codec_get_le(bytes + 8, 4) != STATE_VERSION)
		return errbuf_set(eb, -EPROTO, "version %" PRIu64 ", we know %d",
				  codec_get_le(bytes + 8, 4), STATE_VERSION);
	if (codec_get_le(bytes + 12, 4) != sh->config->id ||
	    codec_get_le(bytes + 16, 4) != sh->config->replicas)
		return errbuf_set(eb, -EPROTO, "written by replica %" PRIu64 " of %" PRIu64
				  ", we are %" PRIu32 " of %" PRIu32, codec_get_le(bytes + 12, 4),
				  codec_get_le(bytes + 16, 4), sh->config->id,
				  sh->config->replicas);
	incarnation = codec_get_le(bytes + 24, 8);
	if (incarnation == 0 || incarnation == UINT64_MAX || codec_get_le(bytes + 20, 4) != 0)
		return errbuf_set(eb, -EBADMSG, "incarnation %" PRIu64, incarnation);
	sh->incarnation = incarnation + 1;
	log_info("%s: incarnation %" PRIu64 " before, %" PRIu64 " now", path, incarnation,
		 sh->incarnation);
	return 0;
}

static ssize_t on_save(void *ctx, uint8_t *buf, size_t size)
{
	const struct pbft_shell *sh = ctx;

	ASSERT(size >= STATE_BYTES);
	memcpy(buf, state_magic, sizeof(state_magic));
	codec_put_le(buf + 8, STATE_VERSION, 4);
	codec_put_le(buf + 12, sh->config->id, 4);
	codec_put_le(buf + 16, sh->config->replicas, 4);
	codec_put_le(buf + 20, 0, 4);
	codec_put_le(buf + 24, sh->incarnation, 8);
	codec_put_le(buf + STATE_SUM_OFFSET, codec_fnv1a(CODEC_FNV1A_BASIS, buf, STATE_SUM_OFFSET),
		     8);
	return STATE_BYTES;
}

/* --- the run --- */

static struct pbft_shell *shell_new(struct pbft_replica *r, const struct pbft_config *config,
			       const struct replica_args *args)
{
	struct pbft_shell *sh;

	if (sodium_init() < 0)          /* done already with a replica; unreplicated, here */
		return NULL;
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		return NULL;
	sh->r = r;
	sh->config = config;
	sh->byzantine = config->byzantine;
	sh->incarnation = 1;
	sh->tick_ns = args->gossip_ms * 1000000;
	sh->hold_commits = r && config->tentative;
	sh->evidence.fd = -1;
	sh->promises.fd = -1;
	ASSERT(sh->tick_ns > 0);
	ASSERT(args->addrs.peer_count == config->replicas - 1);
	for (uint32_t p = 0; p < args->addrs.peer_count; p++) {
		ASSERT(args->addrs.peer_ids[p] < config->replicas);
		sh->replica_addrs[args->addrs.peer_ids[p]] = args->addrs.peer_addrs[p];
	}
	for (uint32_t c = 0; c < PBFT_CLIENTS_MAX; c++) {
		uint8_t key[PBFT_KEY_BYTES];

		pbft_key_derive(config->secret, config->replicas + c, config->id, key);
		pbft_mac_key_init(&sh->client_keys[c], key);
		pbft_key_derive(config->secret, 0, 1 + c, key);
		pbft_mac_key_init(&sh->unrep.reply_keys[c], key);
		sodium_memzero(key, sizeof(key));
	}
	pbft_kv_init(&sh->unrep.kv);
	return sh;
}

/* restore() - what this replica promised in its earlier lives, if it had any. */
static int restore(struct pbft_shell *sh, const char *data_dir, struct errbuf *eb)
{
	ssize_t size = pbft_promise_file_open(&sh->promises, data_dir, sh->config->id, eb);
	struct pbft_status st;
	int err;

	if (size <= 0)
		return (int)size;
	err = pbft_replica_restore(sh->r, pbft_promise_file_latest(&sh->promises), (size_t)size,
				   eb);
	if (err < 0)
		return errbuf_prefix(eb, err, "%s/%s", data_dir, PBFT_PROMISE_FILE_NAME);
	pbft_replica_status(sh->r, &st);
	log_info("promises restored: view %llu%s, stable checkpoint %llu, %u log slots",
		 (unsigned long long)st.view, st.view_changing ? " (changing)" : "",
		 (unsigned long long)st.stable_seq, st.log_slots_used);
	return 0;
}

/* start() - the incarnation on disk, then the evidence log and its start line. */
static int start(struct replica_server *s, struct pbft_shell *sh, const char *data_dir,
		 struct errbuf *eb)
{
	int err;

	/* A failed save stops the server: its run then returns the save's error at once. */
	if (!replica_server_save(s)) {
		err = replica_server_run(s, eb);
		ASSERT(err < 0);
		return err;
	}
	err = pbft_evlog_open(&sh->evidence, data_dir, sh->config->id, eb);
	if (err < 0)
		return err;
	if (data_dir)
		log_info("evidence in %s/%s, incarnation %" PRIu64, data_dir, PBFT_EVLOG_NAME,
			 sh->incarnation);
	else
		log_info("no evidence log (no --data-dir), incarnation 1");
	err = pbft_evlog_start(&sh->evidence, sh->config, sh->incarnation, realtime_ns());
	if (err < 0)
		return errbuf_set(eb, err, "evidence log: start line");
	return sh->r ? restore(sh, data_dir, eb) : 0;
}

int pbft_net_run(struct pbft_replica *r, const struct pbft_config *config,
		 const struct replica_args *args, struct errbuf *eb)
{
	static const struct replica_server_ops ops = {
		.request = pbft_line_request, .datagram = on_datagram, .tick = on_tick,
		.next_tick_ns = next_tick_ns, .load = on_load, .save = on_save,
	};
	const struct replica_server_config server_config = {
		.addrs = args->addrs, .data_dir = args->data_dir, .state_bytes_max = STATE_BYTES,
		.clients_max = TCP_CLIENTS_MAX, .request_bytes_max = PBFT_LINE_REQUEST_BYTES_MAX,
		.reply_bytes_max = PBFT_LINE_REPLY_BYTES_MAX,
		.datagram_bytes_max = PBFT_SEALED_BYTES_MAX,
		.recv_batch_max = RECV_BATCH_MAX, .udp_shared = false,
		.udp_buffer_bytes = UDP_BUFFER_BYTES, .udp_batch = true,
	};
	struct pbft_shell *sh = shell_new(r, config, args);
	struct replica_server *s = NULL;
	int err;

	if (!sh)
		return errbuf_set(eb, -ENOMEM, "replica shell");
	err = replica_server_open(&s, &server_config, &ops, sh, eb);
	if (err == 0)
		err = start(s, sh, args->data_dir, eb);
	if (err == 0) {
		err = replica_server_run(s, eb);
		log_info("%llu promise records written, %llu saves equal to the latest",
			 (unsigned long long)sh->promises.write_count,
			 (unsigned long long)sh->promises.skip_count);
		log_info("%llu evidence lines (%llu steps lost), %llu oversized datagrams, "
			 "%llu bad bundles, %llu replies to unknown clients",
			 (unsigned long long)sh->evidence.line_count,
			 (unsigned long long)sh->evidence.write_error_count,
			 (unsigned long long)sh->oversized_count,
			 (unsigned long long)sh->bad_bundle_count,
			 (unsigned long long)sh->unroutable_count);
		if (!r)
			log_info("unreplicated: %llu requests executed, %llu replies resent",
				 (unsigned long long)sh->unrep.executed_count,
				 (unsigned long long)sh->unrep.resent_count);
	}
	replica_server_close(s);
	pbft_evlog_close(&sh->evidence);
	pbft_promise_file_close(&sh->promises);
	free(sh);
	return err;
}
