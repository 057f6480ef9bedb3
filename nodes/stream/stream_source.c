/* SPDX-License-Identifier: MIT */
/* stream_source.c - a source: events from clients into a durable partition log (fsynced before
 * the ok, as a Kafka partition with acks=all), watermarks, idleness and barriers in the same
 * log, served to the operators that pull it. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "append_file.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "monotime.h"
#include "replica_server.h"
#include "stream_node.h"
#include "stream_wire.h"

enum {
	SOURCE_LOG_RECORDS_MAX = 1 << 21,       /* records a partition log holds */
	SOURCE_SCAN_MAX = 4096,                 /* records one pull looks at */
	SOURCE_BATCH_MAX = 4,                   /* records one step appends */
};

#define SOURCE_LOG_NAME "log.txt"

struct source {
	const struct replica_args *args;
	const struct stream_job *job;
	int log_fd;
	struct stream_record *log;              /* the whole log, in memory */
	uint64_t log_count, log_capacity;
	uint64_t events;
	int64_t max_time_ms;                    /* INT64_MIN before the first event */
	int64_t watermark_ms;                   /* the last in the log; INT64_MIN: none */
	uint64_t barrier;                       /* the last barrier's number; 0: none */
	uint64_t data_end;                      /* one past the last record not a barrier */
	bool idle, ended;
	int64_t last_event_ns, next_barrier_ns, next_tick_ns, last_tick_ns;
	uint8_t datagram[STREAM_WIRE_DATAGRAM_BYTES_MAX];
	struct stream_msg msg;
};

static int log_reserve(struct source *src, uint64_t more, struct errbuf *eb)
{
	uint64_t want = src->log_count + more, cap = src->log_capacity;
	struct stream_record *grown;

	if (want <= cap)
		return 0;
	if (want > SOURCE_LOG_RECORDS_MAX)
		return errbuf_set(eb, -ENOSPC, "partition log full (%d records)",
				  SOURCE_LOG_RECORDS_MAX);
	cap = cap ? cap : 4096;
	while (cap < want)
		cap *= 2;
	grown = realloc(src->log, cap * sizeof(*grown));
	if (!grown)
		return errbuf_set(eb, -ENOMEM, "out of memory for the partition log");
	src->log = grown;
	src->log_capacity = cap;
	return 0;
}

/* What a record changes in the source's state (also when read back at start). */
static void record_apply(struct source *src, const struct stream_record *r)
{
	switch (r->kind) {
	case STREAM_RECORD_EVENT:
		src->events++;
		if (r->time_ms > src->max_time_ms)
			src->max_time_ms = r->time_ms;
		break;
	case STREAM_RECORD_WATERMARK:
		src->watermark_ms = r->time_ms;
		break;
	case STREAM_RECORD_IDLE:
	case STREAM_RECORD_ACTIVE:
		src->idle = r->kind == STREAM_RECORD_IDLE;
		break;
	case STREAM_RECORD_BARRIER:
		src->barrier = r->id;
		return;         /* no data: the operators need not wait for it */
	case STREAM_RECORD_END:
		src->ended = true;
		break;
	}
	src->data_end = r->offset + 1;
}

/* Append @n records durably (written and fdatasynced), then to memory. */
static int log_append(struct source *src, struct stream_record *recs, uint32_t n,
		      struct errbuf *eb)
{
	char text[SOURCE_BATCH_MAX * STREAM_WIRE_LINE_BYTES_MAX];
	size_t used = 0;
	int err;

	ASSERT(n <= SOURCE_BATCH_MAX);
	err = log_reserve(src, n, eb);
	if (err < 0)
		return err;
	for (uint32_t i = 0; i < n; i++)
		used += stream_record_line(&recs[i], text + used);
	if (write(src->log_fd, text, used) != (ssize_t)used || fdatasync(src->log_fd) < 0)
		return errbuf_set(eb, -EIO, "partition log: cannot write: %s", strerror(errno));
	for (uint32_t i = 0; i < n; i++) {
		recs[i].offset = src->log_count;
		src->log[src->log_count++] = recs[i];
		record_apply(src, &recs[i]);
	}
	return 0;
}

/* Read the log back at start; a torn last line was cut when it was opened. */
static int log_load(struct source *src, struct errbuf *eb)
{
	FILE *f = fdopen(dup(src->log_fd), "r");
	char line[STREAM_WIRE_LINE_BYTES_MAX + 2];
	uint64_t number = 0;
	int err = 0;

	if (!f)
		return errbuf_set(eb, -errno, "partition log: cannot read");
	rewind(f);
	while (err == 0 && fgets(line, sizeof(line), f)) {
		struct stream_record r;
		size_t len = strlen(line);

		number++;
		if (len == 0 || line[len - 1] != '\n' ||
		    stream_record_parse(line, len - 1, &r) < 0) {
			err = errbuf_set(eb, -EBADMSG, "%s/%s:%" PRIu64 ": expected a log record",
					 src->args->data_dir, SOURCE_LOG_NAME, number);
			break;
		}
		err = log_reserve(src, 1, eb);
		if (err == 0) {
			r.offset = src->log_count;
			src->log[src->log_count++] = r;
			record_apply(src, &r);
		}
	}
	fclose(f);
	return err;
}

static int accept_event(struct source *src, const struct stream_record *ev, struct errbuf *eb)
{
	struct stream_record batch[SOURCE_BATCH_MAX];
	uint32_t n = 0;
	int64_t max_before = src->max_time_ms;
	int err;

	if (src->ended)
		return errbuf_set(eb, -EPIPE, "the input has ended");
	if (src->idle)
		batch[n++] = (struct stream_record){ .kind = STREAM_RECORD_ACTIVE };
	batch[n++] = *ev;
	if (ev->time_ms > max_before) {
		int64_t bound = src->args->bugs & STREAM_NODE_BUG_WATERMARK_NO_DELAY
				? 0 : src->job->out_of_order_ms;
		int64_t wm = ev->time_ms - bound;

		if (wm > src->watermark_ms)
			batch[n++] = (struct stream_record){ .kind = STREAM_RECORD_WATERMARK,
							     .time_ms = wm };
	}
	err = log_append(src, batch, n, eb);
	if (err == 0)
		src->last_event_ns = monotime_ns();
	return err;
}

static ssize_t status_reply(const struct source *src, const char *prefix, char *reply,
			    size_t size)
{
	int n = snprintf(reply, size, "%s{\"role\":\"source\",\"events\":%" PRIu64
			 ",\"ended\":%s}\n", prefix, src->events, src->ended ? "true" : "false");

	ASSERT(n > 0 && (size_t)n < size);
	return n;
}

static ssize_t on_request(struct replica_server *s, void *ctx, const char *line, size_t size,
			  char *reply, size_t reply_size)
{
	struct source *src = ctx;
	struct errbuf eb = { "" };
	struct stream_record ev = { .kind = STREAM_RECORD_EVENT };
	char text[STREAM_NODE_REQUEST_BYTES_MAX];
	unsigned long long id, key;
	long long t, v;
	int err = 0, used = 0;

	(void)s;
	snprintf(text, sizeof(text), "%.*s", (int)(size ? size - 1 : 0), line);
	if (strcmp(text, "read") == 0) {
		if (!src->ended) {
			struct stream_record end = { .kind = STREAM_RECORD_END };

			err = log_append(src, &end, 1, &eb);
		}
		if (err == 0)
			return status_reply(src, "ok ", reply, reply_size);
	} else if (sscanf(text, "send %llu %llu %lld %lld%n", &id, &key, &t, &v, &used) == 4 &&
		   (size_t)used == strlen(text) && id > 0 && key <= UINT32_MAX &&
		   stream_window_time_valid(t) && v >= 0) {
		ev.id = id, ev.key = key, ev.time_ms = t, ev.value = v;
		err = accept_event(src, &ev, &eb);
		if (err == 0)
			return snprintf(reply, reply_size, "ok %" PRIu64 "\n", src->log_count - 1);
	} else {
		err = errbuf_set(&eb, -EINVAL, "expected 'send ID KEY T V' or 'read'");
	}
	return snprintf(reply, reply_size, "error %s\n", eb.msg);
}

/* A pull: up to RECORDS_MAX records of the operator's keys (and every non-event), from. */
static void on_pull(struct replica_server *s, struct source *src, const struct sockaddr_in *to,
		    const struct stream_msg *pull)
{
	struct stream_msg *m = &src->msg;
	uint64_t at = pull->from, stop;
	struct errbuf eb = { "" };
	size_t n;

	/* Behind an operator's highest barrier: append it at once, so every source's barrier N
	 * lands within a pull of the first one. Left to their own ticks, sources' barriers
	 * would differ by up to an interval, and alignment would hold one input back by that
	 * much: an idle source's first events after it woke would then meet a watermark the
	 * other inputs had already moved past them. */
	if (pull->want_barrier > src->barrier) {
		struct stream_record b = { .kind = STREAM_RECORD_BARRIER,
					   .id = pull->want_barrier };

		if (log_append(src, &b, 1, &eb) < 0 && replica_server_log_allowed(s))
			log_warn("barrier %" PRIu64 ": %s", b.id, eb.msg);
	}
	*m = (struct stream_msg){ .type = STREAM_MSG_RECORDS, .node = src->args->id,
				  .from = pull->from };
	if (at > src->log_count)
		at = src->log_count;    /* asks past the end: a log lost? send none */
	stop = at + SOURCE_SCAN_MAX < src->log_count ? at + SOURCE_SCAN_MAX : src->log_count;
	for (; at < stop && m->count < STREAM_WIRE_RECORDS_MAX; at++) {
		const struct stream_record *r = &src->log[at];

		if (r->kind == STREAM_RECORD_EVENT &&
		    stream_key_partition(r->key, pull->operators) != pull->node)
			continue;
		m->records[m->count++] = *r;
	}
	m->next = at;
	m->data_end = src->data_end;
	n = stream_msg_encode(m, src->datagram);
	replica_server_send_to(s, to, src->datagram, n);
}

static void on_datagram(struct replica_server *s, void *ctx, const struct sockaddr_in *from,
			bool from_peer, const uint8_t *bytes, size_t size)
{
	struct source *src = ctx;
	struct errbuf eb = { "" };
	struct stream_msg *pull = &src->msg;
	int err = -EPERM;

	if (from_peer && size <= STREAM_WIRE_DATAGRAM_BYTES_MAX)
		err = stream_msg_decode(bytes, size, pull, &eb);
	if (err == 0 && (pull->type != STREAM_MSG_PULL || pull->operators != src->job->operators ||
			 pull->node >= pull->operators))
		err = errbuf_set(&eb, -EPROTO, "not a pull of one of %u operators",
				 src->job->operators);
	if (err == 0) {
		const struct stream_msg request = { .type = pull->type, .node = pull->node,
						    .operators = pull->operators,
						    .from = pull->from,
						    .want_barrier = pull->want_barrier };

		on_pull(s, src, from, &request);    /* the reply is built in src->msg */
	}
	else if (replica_server_log_allowed(s))
		log_warn("datagram refused: %s", eb.msg[0] ? eb.msg : "not from a peer");
}

/*
 * Idleness after the timeout without events; a barrier every checkpoint interval. A source
 * that was not running (frozen, or starved of the CPU: ticks far apart) has not watched its
 * clients for that long, so the wait for events starts again (without it, a paused source
 * would call itself idle on waking, before its clients' queued events, and let the
 * operators' watermark run past them).
 */
static void on_tick(struct replica_server *s, void *ctx)
{
	struct source *src = ctx;
	int64_t now = monotime_ns();
	int64_t idle_ns = src->args->bugs & STREAM_NODE_BUG_IDLE_FLIP_FLOP
			  ? STREAM_NODE_TICK_MS * INT64_C(1000000)
			  : src->job->idle_timeout_ms * 1000000;
	struct stream_record r = { 0 };
	struct errbuf eb = { "" };

	src->next_tick_ns = now + STREAM_NODE_TICK_MS * INT64_C(1000000);
	if (src->last_tick_ns && now - src->last_tick_ns > STREAM_NODE_STALL_MS * INT64_C(1000000))
		src->last_event_ns = now;
	src->last_tick_ns = now;
	if (!src->ended && !src->idle && now - src->last_event_ns >= idle_ns &&
	    !(src->args->bugs & STREAM_NODE_BUG_NO_IDLE_TIMEOUT)) {
		r.kind = STREAM_RECORD_IDLE;
		if (log_append(src, &r, 1, &eb) < 0 && replica_server_log_allowed(s))
			log_warn("idle: %s", eb.msg);
	}
	if (now >= src->next_barrier_ns) {
		src->next_barrier_ns = now + src->job->checkpoint_ms * 1000000;
		r = (struct stream_record){ .kind = STREAM_RECORD_BARRIER, .id = src->barrier + 1 };
		if (log_append(src, &r, 1, &eb) < 0 && replica_server_log_allowed(s))
			log_warn("barrier: %s", eb.msg);
	}
}

static int64_t next_tick_ns(void *ctx)
{
	return ((const struct source *)ctx)->next_tick_ns;
}

int stream_source_run(const struct replica_args *a, const struct stream_job *job,
		      struct errbuf *eb)
{
	static const struct replica_server_ops ops = {
		.request = on_request, .datagram = on_datagram, .tick = on_tick,
		.next_tick_ns = next_tick_ns,
	};
	struct source *src = calloc(1, sizeof(*src));
	int err;

	if (!src)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	*src = (struct source){ .args = a, .job = job, .max_time_ms = INT64_MIN,
				.watermark_ms = INT64_MIN, .last_event_ns = monotime_ns() };
	err = a->data_dir ? 0 : errbuf_set(eb, -EINVAL, "a source needs --data-dir");
	if (err == 0)
		err = src->log_fd = append_file_open(a->data_dir, SOURCE_LOG_NAME, eb);
	if (err >= 0)
		err = log_load(src, eb);
	if (err == 0) {
		log_info("source %u: %" PRIu64 " log records, %" PRIu64 " events, barrier %"
			 PRIu64 "%s", a->id, src->log_count, src->events, src->barrier,
			 src->ended ? ", ended" : "");
		err = stream_node_serve(a, &ops, src, eb);
	}
	if (src->log_fd > 0)
		close(src->log_fd);
	free(src->log);
	free(src);
	return err;
}
