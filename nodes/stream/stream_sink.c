/* SPDX-License-Identifier: MIT */
/* stream_sink.c - the sink: the operators' emitted records into output.jsonl, each stored once
 * (an idempotent upsert by operator and sequence number), fsynced before the ack. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "append_file.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "replica_server.h"
#include "stream_node.h"
#include "stream_wire.h"

enum {
	SINK_STREAMS_MAX = 4096,        /* at-least-once: (operator, incarnation) pairs */
	SINK_LINE_BYTES_MAX = 320,
};

#define SINK_OUTPUT_NAME "output.jsonl"

/* One producer's next expected sequence number: an operator (exactly-once: its outputs are
 * numbered across restarts) or one incarnation of it (at-least-once: each restart replays). */
struct sink_stream {
	uint32_t operator_index, incarnation;
	uint64_t next;
};

struct sink {
	const struct replica_args *args;
	const struct stream_job *job;
	int out_fd;
	uint64_t records;
	uint32_t ended;                         /* bit w: operator w's end is stored */
	struct sink_stream streams[SINK_STREAMS_MAX];
	uint32_t stream_count;
	char text[STREAM_WIRE_EMITS_MAX * SINK_LINE_BYTES_MAX];
	uint8_t datagram[STREAM_WIRE_DATAGRAM_BYTES_MAX];
	struct stream_msg msg;                  /* the datagram received */
	struct stream_msg ack;                  /* the one sent */
};

/* The stream records of (@w, @inc) count in; NULL when the table is full. */
static struct sink_stream *stream_of(struct sink *k, uint32_t w, uint32_t inc)
{
	if (!k->job->at_least_once)
		inc = 0;
	for (uint32_t i = 0; i < k->stream_count; i++)
		if (k->streams[i].operator_index == w && k->streams[i].incarnation == inc)
			return &k->streams[i];
	if (k->stream_count == SINK_STREAMS_MAX)
		return NULL;
	k->streams[k->stream_count] = (struct sink_stream){ .operator_index = w,
							    .incarnation = inc };
	return &k->streams[k->stream_count++];
}

static size_t emit_line(const struct stream_emit *e, uint32_t w, uint32_t inc, uint64_t seq,
			char *buf)
{
	int n = snprintf(buf, SINK_LINE_BYTES_MAX, "{\"operator\":%u,\"incarnation\":%u,\"seq\":%"
			 PRIu64 ",", w, inc, seq);

	switch (e->kind) {
	case STREAM_EMIT_PANE:
		n += snprintf(buf + n, SINK_LINE_BYTES_MAX - (size_t)n,
			      "\"kind\":\"pane\",\"key\":%" PRIu64 ",\"start\":%" PRId64
			      ",\"end\":%" PRId64 ",\"value\":%" PRId64
			      ",\"timing\":\"%s\",\"pane\":%" PRIu64 ",\"watermark\":%" PRId64
			      "}\n", e->key, e->window_start_ms, e->window_end_ms, e->value,
			      e->timing == STREAM_PANE_ON_TIME ? "on-time" : "late", e->pane_index,
			      e->watermark_ms);
		break;
	case STREAM_EMIT_LATE:
		n += snprintf(buf + n, SINK_LINE_BYTES_MAX - (size_t)n,
			      "\"kind\":\"late\",\"event\":%" PRIu64 ",\"key\":%" PRIu64
			      ",\"t\":%" PRId64 ",\"start\":%" PRId64
			      ",\"end\":%" PRId64 "}\n", e->event_id, e->key, e->time_ms,
			      e->window_start_ms, e->window_end_ms);
		break;
	case STREAM_EMIT_END:
		n += snprintf(buf + n, SINK_LINE_BYTES_MAX - (size_t)n, "\"kind\":\"end\"}\n");
		break;
	}
	ASSERT(n > 0 && n < SINK_LINE_BYTES_MAX);
	return (size_t)n;
}

/* Read output.jsonl back: the next sequence number of every producer, the ends. */
static int output_load(struct sink *k, struct errbuf *eb)
{
	FILE *f = fdopen(dup(k->out_fd), "r");
	char line[SINK_LINE_BYTES_MAX + 2];
	int err = 0;

	if (!f)
		return errbuf_set(eb, -errno, "%s: cannot read", SINK_OUTPUT_NAME);
	rewind(f);
	while (err == 0 && fgets(line, sizeof(line), f)) {
		unsigned w, inc;
		unsigned long long seq;
		struct sink_stream *st;

		if (sscanf(line, "{\"operator\":%u,\"incarnation\":%u,\"seq\":%llu,", &w, &inc,
			   &seq) != 3 || w >= k->job->operators ||
		    !(st = stream_of(k, w, inc)) || seq != st->next) {
			err = errbuf_set(eb, -EBADMSG, "%s/%s:%" PRIu64 ": expected the next "
					 "record of an operator", k->args->data_dir,
					 SINK_OUTPUT_NAME, k->records + 1);
			break;
		}
		st->next++;
		k->records++;
		if (strstr(line, "\"kind\":\"end\""))
			k->ended |= 1u << w;
	}
	fclose(f);
	return err;
}

static void on_out(struct replica_server *s, struct sink *k, const struct sockaddr_in *from,
		   const struct stream_msg *m)
{
	struct sink_stream *st = stream_of(k, m->node, m->incarnation);
	struct stream_msg *ack = &k->ack;
	uint64_t next, seq = m->from;
	uint32_t ended = k->ended, stored = 0;
	size_t used = 0, n;

	if (!st) {
		if (replica_server_log_allowed(s))
			log_warn("no room for operator %u incarnation %u", m->node, m->incarnation);
		return;
	}
	next = st->next;
	for (uint32_t i = 0; i < m->count && seq + i <= next; i++) {
		if (seq + i < next)
			continue;       /* stored before: the upsert keeps one */
		used += emit_line(&m->emits[i], m->node, m->incarnation, next, k->text + used);
		if (m->emits[i].kind == STREAM_EMIT_END)
			ended |= 1u << m->node;
		next++;
		stored++;
	}
	if (stored && (write(k->out_fd, k->text, used) != (ssize_t)used ||
		       fdatasync(k->out_fd) < 0)) {
		if (replica_server_log_allowed(s))
			log_error("%s: cannot write: %s", SINK_OUTPUT_NAME, strerror(errno));
		return;         /* no ack: the operator sends them again */
	}
	st->next = next;
	k->records += stored;
	k->ended = ended;
	*ack = (struct stream_msg){ .type = STREAM_MSG_ACK, .node = m->node,
				    .incarnation = m->incarnation, .next = next };
	n = stream_msg_encode(ack, k->datagram);
	replica_server_send_to(s, from, k->datagram, n);
}

static void on_datagram(struct replica_server *s, void *ctx, const struct sockaddr_in *from,
			bool from_peer, const uint8_t *bytes, size_t size)
{
	struct sink *k = ctx;
	struct stream_msg *m = &k->msg;
	struct errbuf eb = { "" };
	int err = -EPERM;

	if (from_peer && size <= STREAM_WIRE_DATAGRAM_BYTES_MAX)
		err = stream_msg_decode(bytes, size, m, &eb);
	if (err == 0 && (m->type != STREAM_MSG_OUT || m->node >= k->job->operators))
		err = errbuf_set(&eb, -EPROTO, "not the output of one of %u operators",
				 k->job->operators);
	if (err == 0)
		on_out(s, k, from, m);
	else if (replica_server_log_allowed(s))
		log_warn("datagram refused: %s", eb.msg[0] ? eb.msg : "not from a peer");
}

static ssize_t on_request(struct replica_server *s, void *ctx, const char *line, size_t size,
			  char *reply, size_t reply_size)
{
	const struct sink *k = ctx;
	uint32_t ends = 0;

	(void)s;
	for (uint32_t w = 0; w < k->job->operators; w++)
		ends += (k->ended >> w) & 1u;
	if (size != 5 || memcmp(line, "read\n", 5) != 0)
		return snprintf(reply, reply_size, "error expected 'read'\n");
	return snprintf(reply, reply_size, "ok {\"role\":\"sink\",\"records\":%" PRIu64
			",\"ends\":%u}\n", k->records, ends);
}

static void on_tick(struct replica_server *s, void *ctx)
{
	(void)s, (void)ctx;
}

static int64_t next_tick_ns(void *ctx)
{
	(void)ctx;
	return INT64_MAX;
}

int stream_sink_run(const struct replica_args *a, const struct stream_job *job,
		    struct errbuf *eb)
{
	static const struct replica_server_ops ops = {
		.request = on_request, .datagram = on_datagram, .tick = on_tick,
		.next_tick_ns = next_tick_ns,
	};
	struct sink *k = calloc(1, sizeof(*k));
	int err;

	STATIC_ASSERT(STREAM_JOB_OPERATORS_MAX <= 32, "ended is a 32-bit mask");
	if (!k)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	k->args = a;
	k->job = job;
	err = a->data_dir ? 0 : errbuf_set(eb, -EINVAL, "the sink needs --data-dir");
	if (err == 0)
		err = k->out_fd = append_file_open(a->data_dir, SINK_OUTPUT_NAME, eb);
	if (err >= 0)
		err = output_load(k, eb);
	if (err == 0) {
		log_info("sink: %" PRIu64 " records stored before", k->records);
		err = stream_node_serve(a, &ops, k, eb);
	}
	if (k->out_fd > 0)
		close(k->out_fd);
	free(k);
	return err;
}
