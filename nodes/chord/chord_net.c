/* SPDX-License-Identifier: MIT */
/* chord_net.c - chord-node's callbacks: datagrams (peers' messages, clients' lookups) and
 * ticks into chord_step(), its sends onto UDP, its events into the evidence log and the
 * clients' replies, the state line, and the incarnation file. */
#include "chord_net.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chord_wire.h"
#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "monotime.h"
#include "replica_args.h"
#include "replica_server.h"

enum {
	TCP_CLIENTS_MAX = 16,
	RECV_BATCH_MAX = 64,
	PENDING_MAX = 64,               /* client lookups in progress */
	TAG_BYTES_MAX = 33,             /* a client's tag and its NUL */
	LINE_REQUEST_BYTES_MAX = 64,
	LINE_REPLY_BYTES_MAX = 8192,    /* the state line */
	/* The largest datagram sent or taken: a client's reply with a long path, not only a
	 * node's message (a lookup of 8 hops over 32-bit ids passes 136 bytes). */
	DATAGRAM_BYTES_MAX = CHORD_NET_REPLY_BYTES_MAX,
	ERROR_REPLY_BYTES_MAX = 160,
	EVIDENCE_LINE_BYTES_MAX = 2048,
	/* The state file: "CHORDNOD", u32 version, u32 id, u64 incarnation, u64 FNV-1a of
	 * the 24 bytes before it; little-endian. */
	STATE_VERSION = 1,
	STATE_BYTES = 32,
	STATE_SUM_OFFSET = 24,
};

static const uint8_t state_magic[8] = { 'C', 'H', 'O', 'R', 'D', 'N', 'O', 'D' };

STATIC_ASSERT(CHORD_WIRE_BYTES_MAX <= 65507, "a message fits one datagram");
STATIC_ASSERT(CHORD_NET_REPLY_BYTES_MAX >= 64 + CHORD_PATH_MAX * 21,
	      "a lookup reply holds its whole path");
STATIC_ASSERT((int)DATAGRAM_BYTES_MAX >= (int)CHORD_WIRE_BYTES_MAX &&
	      DATAGRAM_BYTES_MAX >= ERROR_REPLY_BYTES_MAX && DATAGRAM_BYTES_MAX <= 65507,
	      "every datagram a node sends fits the server's bound");

struct pending {
	bool used;
	struct sockaddr_in client;
	char tag[TAG_BYTES_MAX];
};

struct shell {
	struct chord_node *core;
	const struct chord_config *config;
	const struct replica_args *args;
	uint32_t base_count;
	uint32_t nodes;                 /* args->replicas */
	uint64_t ids[REPLICA_ARGS_REPLICAS_MAX];
	struct sockaddr_in addrs[REPLICA_ARGS_REPLICAS_MAX];
	int64_t tick_ns, next_tick_ns;
	bool joined, join_in_flight;
	bool idle;                      /* a spare, or left: joins only when told */
	uint32_t join_wait, join_next;
	uint32_t merge_wait, merge_next;
	uint64_t incarnation;
	struct pending pending[PENDING_MAX];
	struct chord_outputs out;
	int evidence_fd;
	uint64_t evidence_lines, evidence_errors, bad_datagrams, busy_count;
};

const char *chord_net_status_name(uint8_t status)
{
	static const char *const names[] = {
		[CHORD_LOOKUP_OK] = "ok", [CHORD_LOOKUP_TIMEOUT] = "timeout",
		[CHORD_LOOKUP_NO_PROGRESS] = "no-progress", [CHORD_LOOKUP_TOO_LONG] = "too-long",
		[CHORD_LOOKUP_BUSY] = "busy", [CHORD_LOOKUP_NOT_JOINED] = "not-joined",
	};

	return status < sizeof(names) / sizeof(names[0]) && names[status] ? names[status] : "?";
}

static struct chord_peer peer_of(const struct shell *sh, uint32_t i)
{
	return (struct chord_peer){ .id = sh->ids[i], .addr = i + 1 };
}

/* --- evidence: one JSON line per event, one write each --- */

static void peer_json(char *buf, size_t size, size_t *at, struct chord_peer p)
{
	int n = snprintf(buf + *at, size - *at, "{\"id\":%" PRIu64 ",\"node\":\"n%" PRIu32 "\"}",
			 p.id, p.addr);

	*at += n > 0 && (size_t)n < size - *at ? (size_t)n : 0;
}

static void text(char *buf, size_t size, size_t *at, const char *s)
{
	int n = snprintf(buf + *at, size - *at, "%s", s);

	*at += n > 0 && (size_t)n < size - *at ? (size_t)n : 0;
}

static void evidence(struct shell *sh, const struct chord_event *e)
{
	char line[EVIDENCE_LINE_BYTES_MAX];
	size_t at = 0;
	int n;

	if (sh->evidence_fd < 0 || e->type == CHORD_EV_LOOKUP || e->type == CHORD_EV_KV)
		return;
	n = snprintf(line, sizeof(line), "{\"time_ns\":%" PRId64 ",\"node\":\"n%" PRIu32 "\","
		     "\"id\":%" PRIu64 ",\"incarnation\":%" PRIu64 ",\"event\":\"%s\"",
		     realtime_ns(), sh->config->self.addr, sh->config->self.id, sh->incarnation,
		     e->type == CHORD_EV_JOINED ? "joined" : e->type == CHORD_EV_JOIN_FAILED
		     ? "join-failed" : e->type == CHORD_EV_SUCC ? "succ" : e->type == CHORD_EV_PRED
		     ? "pred" : e->type == CHORD_EV_LEFT ? "left" : e->type == CHORD_EV_STORED
		     ? "stored" : "finger");
	ASSERT(n > 0 && (size_t)n < sizeof(line));
	at = (size_t)n;
	if (e->type == CHORD_EV_STORED) {
		n = snprintf(line + at, sizeof(line) - at, ",\"key\":%" PRIu64 ",\"value\":%"
			     PRId64 ",\"version\":%" PRIu64, e->stored.key, e->stored.value,
			     e->stored.version);
		at += n > 0 && (size_t)n < sizeof(line) - at ? (size_t)n : 0;
	}
	if (e->type == CHORD_EV_JOINED || e->type == CHORD_EV_SUCC) {
		text(line, sizeof(line), &at, ",\"succ\":[");
		for (uint32_t k = 0; k < e->succ_count; k++) {
			if (k)
				text(line, sizeof(line), &at, ",");
			peer_json(line, sizeof(line), &at, e->succ[k]);
		}
		text(line, sizeof(line), &at, "]");
	}
	if (e->type == CHORD_EV_FINGER) {
		n = snprintf(line + at, sizeof(line) - at, ",\"index\":%" PRIu32, e->index);
		at += n > 0 && (size_t)n < sizeof(line) - at ? (size_t)n : 0;
	}
	if (e->type == CHORD_EV_PRED || e->type == CHORD_EV_FINGER) {
		text(line, sizeof(line), &at, ",\"peer\":");
		if (e->has_peer)
			peer_json(line, sizeof(line), &at, e->peer);
		else
			text(line, sizeof(line), &at, "null");
	}
	text(line, sizeof(line), &at, "}\n");
	if (at + 1 >= sizeof(line) || write(sh->evidence_fd, line, at) != (ssize_t)at)
		sh->evidence_errors++;
	else
		sh->evidence_lines++;
}

/* --- clients' lookups --- */

static void reply_lookup(struct replica_server *s, struct shell *sh,
			 const struct chord_lookup_result *r)
{
	char reply[CHORD_NET_REPLY_BYTES_MAX];
	struct pending *p;
	size_t at = 0;
	int n;

	if (r->tag >= PENDING_MAX || !sh->pending[r->tag].used)
		return;
	p = &sh->pending[r->tag];
	if (r->status == CHORD_LOOKUP_OK)
		n = snprintf(reply, sizeof(reply), "lookup %s ok %" PRIu64 " n%" PRIu32 " %" PRIu32
			     " ", p->tag, r->owner.id, r->owner.addr, r->hops);
	else
		n = snprintf(reply, sizeof(reply), "lookup %s %s %" PRIu32 " ", p->tag,
			     chord_net_status_name(r->status), r->hops);
	ASSERT(n > 0 && (size_t)n < sizeof(reply));
	at = (size_t)n;
	for (uint32_t k = 0; k < r->path_count; k++) {
		n = snprintf(reply + at, sizeof(reply) - at, "%s%" PRIu64, k ? "," : "",
			     r->path[k]);
		ASSERT(n > 0 && (size_t)n < sizeof(reply) - at);
		at += (size_t)n;
	}
	reply[at++] = '\n';
	replica_server_send_to(s, &p->client, reply, at);
	p->used = false;
}

/* "put TAG ok VERSION OWNER-ID OWNER-NODE HOPS", "get TAG ok VALUE VERSION OWNER-ID
 * OWNER-NODE HOPS", or "VERB TAG STATUS ..." (chord_net.h). */
static void reply_kv(struct replica_server *s, struct shell *sh, const struct chord_kv_result *r)
{
	static const char *const statuses[] = {
		[CHORD_KV_OK] = "ok", [CHORD_KV_NOT_FOUND] = "not-found",
		[CHORD_KV_NO_OWNER] = "no-owner", [CHORD_KV_NOT_OWNER] = "not-owner",
		[CHORD_KV_UNKNOWN] = "unknown", [CHORD_KV_FULL] = "full",
	};
	const char *verb = r->op == CHORD_KV_PUT ? "put" : "get";
	char reply[CHORD_NET_REPLY_BYTES_MAX];
	struct pending *p;
	int n;

	if (r->tag >= PENDING_MAX || !sh->pending[r->tag].used ||
	    r->status >= sizeof(statuses) / sizeof(statuses[0]) || !statuses[r->status])
		return;
	p = &sh->pending[r->tag];
	if (r->status == CHORD_KV_NO_OWNER)
		n = snprintf(reply, sizeof(reply), "%s %s no-owner %s %" PRIu32 "\n", verb, p->tag,
			     chord_net_status_name(r->lookup_status), r->hops);
	else if (r->status == CHORD_KV_OK && r->op == CHORD_KV_GET)
		n = snprintf(reply, sizeof(reply), "get %s ok %" PRId64 " %" PRIu64 " %" PRIu64
			     " n%" PRIu32 " %" PRIu32 "\n", p->tag, r->value, r->version,
			     r->owner.id, r->owner.addr, r->hops);
	else
		n = snprintf(reply, sizeof(reply), "%s %s %s %" PRIu64 " %" PRIu64 " n%" PRIu32
			     " %" PRIu32 "\n", verb, p->tag, statuses[r->status], r->version,
			     r->owner.id, r->owner.addr, r->hops);
	ASSERT(n > 0 && (size_t)n < sizeof(reply));
	replica_server_send_to(s, &p->client, reply, (size_t)n);
	p->used = false;
}

static void outputs(struct replica_server *s, struct shell *sh)
{
	uint8_t buf[CHORD_WIRE_BYTES_MAX];

	for (uint32_t k = 0; k < sh->out.send_count; k++) {
		const struct chord_send *send = &sh->out.sends[k];
		ssize_t n;

		if (send->to < 1 || send->to > sh->nodes || send->to == sh->config->self.addr)
			continue;       /* no such node: a peer's message named it */
		n = chord_encode(&send->msg, buf, sizeof(buf));
		ASSERT(n > 0);
		replica_server_send_to(s, &sh->addrs[send->to - 1], buf, (size_t)n);
	}
	for (uint32_t k = 0; k < sh->out.event_count; k++) {
		const struct chord_event *e = &sh->out.events[k];

		evidence(sh, e);
		if (e->type == CHORD_EV_JOINED) {
			sh->joined = true;
			sh->join_in_flight = false;
			log_info("joined: successor n%" PRIu32,
				 e->succ_count ? e->succ[0].addr : 0);
		} else if (e->type == CHORD_EV_JOIN_FAILED) {
			sh->join_in_flight = false;
			sh->join_wait = CHORD_NET_JOIN_RETRY_TICKS;
		} else if (e->type == CHORD_EV_LEFT) {
			sh->joined = false;
			sh->join_in_flight = false;
			sh->idle = true;
			log_info("left the ring");
		} else if (e->type == CHORD_EV_LOOKUP) {
			reply_lookup(s, sh, &e->lookup);
		} else if (e->type == CHORD_EV_KV) {
			reply_kv(s, sh, &e->kv);
		}
	}
}

static void step(struct replica_server *s, struct shell *sh, const struct chord_input *in)
{
	int err = chord_step(sh->core, in, &sh->out);

	ASSERT(err == 0);
	outputs(s, sh);
}

/* "lookup TAG ID\n", "put TAG ID VALUE\n" or "get TAG ID\n": into the core, or an error
 * reply at once. */
static void client_request(struct replica_server *s, struct shell *sh,
			   const struct sockaddr_in *from, const uint8_t *bytes, size_t size)
{
	char line[CHORD_NET_CLIENT_BYTES_MAX + 1], tag[TAG_BYTES_MAX] = "-", why[64] = "";
	char verb[8] = "lookup";
	struct chord_input in = { .type = CHORD_IN_LOOKUP };
	unsigned long long id;
	long long value = 0;
	uint32_t slot;
	int used = 0, got = 0;

	if (size > CHORD_NET_CLIENT_BYTES_MAX) {
		snprintf(why, sizeof(why), "request over %d bytes", CHORD_NET_CLIENT_BYTES_MAX);
	} else {
		memcpy(line, bytes, size);
		line[size] = '\0';
		if (line[0] == 'p')
			got = sscanf(line, "%7s %32s %llu %lld\n%n", verb, tag, &id, &value,
				     &used) - 1;
		else
			got = sscanf(line, "%7s %32s %llu\n%n", verb, tag, &id, &used);
		in.type = strcmp(verb, "put") == 0 ? CHORD_IN_PUT : strcmp(verb, "get") == 0
			  ? CHORD_IN_GET : CHORD_IN_LOOKUP;
		if (got != 3 || (size_t)used != size || line[size - 1] != '\n' ||
		    (in.type == CHORD_IN_LOOKUP && strcmp(verb, "lookup") != 0))
			snprintf(why, sizeof(why), "expected \"lookup|get TAG ID\\n\" or \"put TAG "
				 "ID VALUE\\n\"");
		else if (id >= ((uint64_t)1 << sh->config->bits))
			snprintf(why, sizeof(why), "id %llu outside the %u-bit space", id,
				 sh->config->bits);
	}
	for (slot = 0; !why[0] && slot < PENDING_MAX && sh->pending[slot].used; slot++)
		;
	if (!why[0] && slot == PENDING_MAX) {
		sh->busy_count++;
		snprintf(why, sizeof(why), "busy: %d lookups in progress", PENDING_MAX);
	}
	if (why[0]) {
		char reply[ERROR_REPLY_BYTES_MAX];
		int n = snprintf(reply, sizeof(reply), "%s %s error %s\n",
				 strcmp(verb, "put") == 0 || strcmp(verb, "get") == 0 ? verb
				 : "lookup", tag, why);

		sh->bad_datagrams++;
		replica_server_send_to(s, from, reply, (size_t)n);
		return;
	}
	sh->pending[slot] = (struct pending){ .used = true, .client = *from };
	memcpy(sh->pending[slot].tag, tag, sizeof(tag));
	in.key = id;
	in.tag = slot;
	in.value = value;
	step(s, sh, &in);
}

static void on_datagram(struct replica_server *s, void *ctx, const struct sockaddr_in *from,
			bool from_peer, const uint8_t *bytes, size_t size)
{
	struct shell *sh = ctx;
	struct chord_input in = { .type = CHORD_IN_MESSAGE };
	struct chord_msg m;
	struct errbuf eb = { "" };
	char addr[REPLICA_ARGS_ADDR_TEXT_BYTES];

	if (size > 0 && (bytes[0] == 'l' || bytes[0] == 'p' || bytes[0] == 'g')) {
		client_request(s, sh, from, bytes, size);
		return;
	}
	if (!from_peer || chord_decode(bytes, size, &m, &eb) < 0) {
		sh->bad_datagrams++;
		if (replica_server_log_allowed(s))
			log_warn("datagram from %s: %s", replica_args_addr_text(from, addr,
				 sizeof(addr)), from_peer ? eb.msg : "not a peer");
		return;
	}
	if (m.from.addr < 1 || m.from.addr > sh->nodes || m.from.id != sh->ids[m.from.addr - 1])
		return;         /* a node that is not the one it claims */
	in.msg = &m;
	step(s, sh, &in);
}

/* Every CHORD_NET_MERGE_TICKS, look up our own id through the next node of the cluster, in
 * turn: after a partition, the rings it split find each other again this way. */
static void merge(struct replica_server *s, struct shell *sh)
{
	uint32_t via;

	if (sh->merge_wait > 0) {
		sh->merge_wait--;
		return;
	}
	sh->merge_wait = CHORD_NET_MERGE_TICKS;
	via = sh->merge_next++ % sh->nodes;
	if (via == sh->args->id)
		via = sh->merge_next++ % sh->nodes;
	if (via == sh->args->id)
		return;                 /* alone in the cluster */
	const struct chord_input in = { .type = CHORD_IN_MERGE, .via = peer_of(sh, via) };
	step(s, sh, &in);
}

static void on_tick(struct replica_server *s, void *ctx)
{
	struct shell *sh = ctx;
	const struct chord_input tick = { .type = CHORD_IN_TICK };

	/* Missed ticks (a paused process) are not made up: one tick per wake-up at most. */
	sh->next_tick_ns = monotime_ns() + sh->tick_ns;
	step(s, sh, &tick);
	if (sh->joined) {
		merge(s, sh);
		return;
	}
	if (sh->join_in_flight || sh->idle)
		return;
	if (sh->join_wait > 0) {
		sh->join_wait--;
		return;
	}
	/* Join through every other node in turn, the base first: under churn the base may be
	 * gone, and any member will do (a non-member does not answer: the next is tried). The
	 * core reports success or failure. */
	uint32_t via = sh->join_next++ % sh->nodes;

	if (via + 1 == sh->config->self.addr)
		via = sh->join_next++ % sh->nodes;
	const struct chord_input join = { .type = CHORD_IN_JOIN, .via = peer_of(sh, via) };
	sh->join_in_flight = true;
	step(s, sh, &join);
}

static int64_t next_tick_ns(void *ctx)
{
	return ((const struct shell *)ctx)->next_tick_ns;
}

/* --- the TCP lines: "state" dumps the pointers, "ping" answers "pong", "join" and
 * "leave" change membership (the churn nemesis's commands) --- */

static bool is_line(const char *line, size_t size, const char *want)
{
	return size == strlen(want) && memcmp(line, want, size) == 0;
}

/* "join": a node told to join (a spare, or one that left) starts to on its next tick;
 * "leave": a member leaves gracefully now. The reply says where the node stands. */
static ssize_t membership(struct replica_server *s, struct shell *sh, bool join, char *reply,
			  size_t reply_size)
{
	const struct chord_input leave = { .type = CHORD_IN_LEAVE };

	if (join) {
		sh->idle = false;
		return snprintf(reply, reply_size, "ok %s\n", sh->joined ? "joined" : "joining");
	}
	if (sh->joined || sh->join_in_flight)
		step(s, sh, &leave);
	sh->idle = true;
	sh->joined = sh->join_in_flight = false;
	return snprintf(reply, reply_size, "ok left\n");
}

static ssize_t on_line(struct replica_server *s, void *ctx, const char *line, size_t size,
		       char *reply, size_t reply_size)
{
	struct shell *sh = ctx;
	struct chord_view v;
	struct chord_stored keys[CHORD_KV_KEYS_MAX];
	uint32_t count;
	size_t at = 0;
	int n;

	if (is_line(line, size, "ping\n"))
		return snprintf(reply, reply_size, "pong\n");
	if (is_line(line, size, "join\n") || is_line(line, size, "leave\n"))
		return membership(s, sh, line[0] == 'j', reply, reply_size);
	if (!is_line(line, size, "state\n"))
		return snprintf(reply, reply_size,
				"error expected \"state\", \"ping\", \"join\" or \"leave\"\n");
	chord_node_view(sh->core, &v);
	n = snprintf(reply, reply_size, "{\"node\":\"n%" PRIu32 "\",\"id\":%" PRIu64 ",\"bits\":%"
		     PRIu32 ",\"incarnation\":%" PRIu64 ",\"joined\":%s,\"idle\":%s,\"pred\":",
		     sh->config->self.addr, sh->config->self.id, sh->config->bits,
		     sh->incarnation, v.joined ? "true" : "false", sh->idle ? "true" : "false");
	ASSERT(n > 0 && (size_t)n < reply_size);
	at = (size_t)n;
	if (v.has_pred)
		peer_json(reply, reply_size, &at, v.pred);
	else
		text(reply, reply_size, &at, "null");
	text(reply, reply_size, &at, ",\"succ\":[");
	for (uint32_t k = 0; k < v.succ_count; k++) {
		if (k)
			text(reply, reply_size, &at, ",");
		peer_json(reply, reply_size, &at, v.succ[k]);
	}
	text(reply, reply_size, &at, "],\"fingers\":[");
	for (uint32_t j = 0; j < sh->config->bits; j++) {
		if (j)
			text(reply, reply_size, &at, ",");
		if (v.finger_set[j])
			peer_json(reply, reply_size, &at, v.finger[j]);
		else
			text(reply, reply_size, &at, "null");
	}
	text(reply, reply_size, &at, "],\"keys\":[");
	count = chord_node_keys(sh->core, keys, CHORD_KV_KEYS_MAX);
	for (uint32_t k = 0; k < count; k++) {
		int m = snprintf(reply + at, reply_size - at, "%s[%" PRIu64 ",%" PRIu64 "]",
				 k ? "," : "", keys[k].key, keys[k].version);

		at += m > 0 && (size_t)m < reply_size - at ? (size_t)m : 0;
	}
	text(reply, reply_size, &at, "]}\n");
	/* LINE_REPLY_BYTES_MAX holds 32 fingers and CHORD_KV_KEYS_MAX keys */
	ASSERT(at + 1 < reply_size);
	return (ssize_t)at;
}

/* --- the state file: the incarnation only (a restart begins empty and joins again) --- */

static int on_load(void *ctx, const char *path, const uint8_t *bytes, size_t size,
		   struct errbuf *eb)
{
	struct shell *sh = ctx;
	uint64_t incarnation;

	if (size != STATE_BYTES || memcmp(bytes, state_magic, sizeof(state_magic)) != 0)
		return errbuf_set(eb, -EBADMSG, "%zu bytes, not a chord-node state file", size);
	if (codec_get_le(bytes + STATE_SUM_OFFSET, 8) !=
	    codec_fnv1a(CODEC_FNV1A_BASIS, bytes, STATE_SUM_OFFSET))
		return errbuf_set(eb, -EBADMSG, "checksum mismatch");
	if (codec_get_le(bytes + 8, 4) != STATE_VERSION)
		return errbuf_set(eb, -EPROTO, "version %" PRIu64 ", we know %d",
				  codec_get_le(bytes + 8, 4), STATE_VERSION);
	if (codec_get_le(bytes + 12, 4) != sh->args->id)
		return errbuf_set(eb, -EPROTO, "written by node %" PRIu64 ", we are %" PRIu32,
				  codec_get_le(bytes + 12, 4), sh->args->id);
	incarnation = codec_get_le(bytes + 16, 8);
	if (incarnation == 0 || incarnation == UINT64_MAX)
		return errbuf_set(eb, -EBADMSG, "incarnation %" PRIu64, incarnation);
	sh->incarnation = incarnation + 1;
	log_info("%s: incarnation %" PRIu64 " before, %" PRIu64 " now", path, incarnation,
		 sh->incarnation);
	return 0;
}

static ssize_t on_save(void *ctx, uint8_t *buf, size_t size)
{
	const struct shell *sh = ctx;

	ASSERT(size >= STATE_BYTES);
	memcpy(buf, state_magic, sizeof(state_magic));
	codec_put_le(buf + 8, STATE_VERSION, 4);
	codec_put_le(buf + 12, sh->args->id, 4);
	codec_put_le(buf + 16, sh->incarnation, 8);
	codec_put_le(buf + STATE_SUM_OFFSET, codec_fnv1a(CODEC_FNV1A_BASIS, buf, STATE_SUM_OFFSET),
		     8);
	return STATE_BYTES;
}

/* --- the run --- */

static int evidence_open(struct shell *sh, const char *data_dir, struct errbuf *eb)
{
	char path[512];

	sh->evidence_fd = -1;
	if (!data_dir)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/evidence.jsonl", data_dir) >= sizeof(path))
		return errbuf_set(eb, -ENAMETOOLONG, "evidence log in '%s'", data_dir);
	sh->evidence_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (sh->evidence_fd < 0)
		return errbuf_set(eb, -errno, "open %s", path);
	return 0;
}

static int peer_id_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct chord_peer *)a)->id, y = ((const struct chord_peer *)b)->id;

	return x < y ? -1 : x > y;
}

static int start(struct replica_server *s, struct shell *sh, struct errbuf *eb)
{
	struct chord_peer base[REPLICA_ARGS_REPLICAS_MAX];
	int err;

	if (!replica_server_save(s)) {
		err = replica_server_run(s, eb);
		ASSERT(err < 0);
		return err;
	}
	err = evidence_open(sh, sh->args->data_dir, eb);
	/* A restarted base node joins like any other: its old pointers may all be stale. */
	if (err < 0 || sh->idle || sh->args->id >= sh->base_count || sh->incarnation > 1)
		return err;
	/* chord_node_start_base() takes 64 members; the base may be all 256 nodes: the same
	 * exact pointers from chord_node_start_ideal() over the base sorted here. */
	for (uint32_t i = 0; i < sh->base_count; i++)
		base[i] = peer_of(sh, i);
	qsort(base, sh->base_count, sizeof(base[0]), peer_id_cmp);
	for (uint32_t i = 1; i < sh->base_count; i++) {
		if (base[i].id == base[i - 1].id)
			return errbuf_set(eb, -EINVAL, "the base's ids repeat: use more bits");
	}
	if (chord_node_start_ideal(sh->core, base, sh->base_count) < 0)
		return errbuf_set(eb, -EINVAL, "node %" PRIu32 " not in its base of %" PRIu32,
				  sh->args->id, sh->base_count);
	sh->joined = true;
	log_info("a member of the stable base of %" PRIu32, sh->base_count);
	return 0;
}

int chord_net_run(struct chord_node *core, const struct chord_config *config,
		  const struct replica_args *args, uint32_t base_count, bool spare,
		  struct errbuf *eb)
{
	static const struct replica_server_ops ops = {
		.request = on_line, .datagram = on_datagram, .tick = on_tick,
		.next_tick_ns = next_tick_ns, .load = on_load, .save = on_save,
	};
	const struct replica_server_config server_config = {
		.addrs = args->addrs, .data_dir = args->data_dir, .state_bytes_max = STATE_BYTES,
		.clients_max = TCP_CLIENTS_MAX, .request_bytes_max = LINE_REQUEST_BYTES_MAX,
		.reply_bytes_max = LINE_REPLY_BYTES_MAX, .datagram_bytes_max = DATAGRAM_BYTES_MAX,
		.recv_batch_max = RECV_BATCH_MAX, .udp_batch = true,
	};
	struct chord_space space;
	struct replica_server *s = NULL;
	struct shell *sh = calloc(1, sizeof(*sh));
	int err;

	if (!sh)
		return errbuf_set(eb, -ENOMEM, "node shell");
	ASSERT(base_count >= 1 && base_count <= args->replicas);
	ASSERT(chord_space_init(&space, config->bits) == 0);
	*sh = (struct shell){ .core = core, .config = config, .args = args,
			      .base_count = base_count, .nodes = args->replicas,
			      .tick_ns = args->gossip_ms * 1000000, .incarnation = 1,
			      .idle = spare,
			      .evidence_fd = -1 };
	for (uint32_t i = 0; i < args->replicas; i++) {
		char name[16];
		int n = snprintf(name, sizeof(name), "n%" PRIu32, i + 1);

		sh->ids[i] = chord_hash(&space, name, (size_t)n);
	}
	for (uint32_t p = 0; p < args->addrs.peer_count; p++)
		sh->addrs[args->addrs.peer_ids[p]] = args->addrs.peer_addrs[p];
	sh->addrs[args->id] = args->addrs.gossip_addr;
	err = replica_server_open(&s, &server_config, &ops, sh, eb);
	if (err == 0)
		err = start(s, sh, eb);
	if (err == 0) {
		err = replica_server_run(s, eb);
		log_info("%llu evidence lines (%llu lost), %llu bad datagrams, %llu busy refusals",
			 (unsigned long long)sh->evidence_lines,
			 (unsigned long long)sh->evidence_errors,
			 (unsigned long long)sh->bad_datagrams, (unsigned long long)sh->busy_count);
	}
	replica_server_close(s);
	if (sh->evidence_fd >= 0)
		close(sh->evidence_fd);
	free(sh);
	return err;
}
