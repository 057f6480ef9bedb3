/* SPDX-License-Identifier: MIT */
/* stream_task.c - a window operator node: pulls its keys from every source's partition log,
 * aligns the sources' barriers (Flink's aligned checkpoints), steps the pure window operator,
 * and sends what it emits to the sink once a checkpoint holds it (exactly-once) or at once
 * (at-least-once). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
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
#include "stream_task_internal.h"

void task_evidence(struct task *t, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n = snprintf(line, sizeof(line), "{\"incarnation\":%u,", t->incarnation);

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 2, fmt, ap);
	va_end(ap);
	ASSERT(n > 0 && (size_t)n < sizeof(line) - 2);
	line[n++] = '}';
	line[n++] = '\n';
	if (write(t->evidence_fd, line, (size_t)n) != n)
		log_warn("evidence.jsonl: cannot write: %s", strerror(errno));
}

static bool aligned(const struct task *t)
{
	return !(t->args->bugs & STREAM_NODE_BUG_NO_BARRIER_ALIGNMENT);
}

static void outbox_push(struct task *t, const struct stream_emit *e)
{
	ASSERT(t->next_seq - t->acked < TASK_OUTBOX_MAX);
	t->outbox[t->next_seq % TASK_OUTBOX_MAX] = *e;
	t->next_seq++;
	if (t->job->at_least_once)
		t->released = t->next_seq;
}

/* The step's outputs: panes and side output to the outbox, watermarks to the evidence. */
static void drain_outputs(struct task *t)
{
	int64_t pane_watermark = t->watermark_ms;

	for (uint32_t i = 0; i < t->outs.count; i++)
		if (t->outs.records[i].kind == STREAM_OUTPUT_WATERMARK)
			pane_watermark = t->outs.records[i].watermark_new_ms;
	for (uint32_t i = 0; i < t->outs.count; i++) {
		const struct stream_output *o = &t->outs.records[i];
		struct stream_emit e = { .key = o->key, .window_start_ms = o->window_start_ms,
					 .window_end_ms = o->window_end_ms };

		switch (o->kind) {
		case STREAM_OUTPUT_PANE:
			e.kind = STREAM_EMIT_PANE;
			e.value = o->value;
			e.timing = o->timing;
			e.pane_index = o->pane_index;
			e.watermark_ms = pane_watermark;
			outbox_push(t, &e);
			break;
		case STREAM_OUTPUT_LATE_EVENT:
			e.kind = STREAM_EMIT_LATE;
			e.event_id = o->event_id;
			e.time_ms = o->time_ms;
			outbox_push(t, &e);
			break;
		case STREAM_OUTPUT_WATERMARK:
			t->watermark_ms = o->watermark_new_ms;
			task_evidence(t, "\"watermark\":%" PRId64, t->watermark_ms);
			break;
		}
	}
	t->outs.count = 0;
	if (t->watermark_ms == INT64_MAX && !t->end_emitted) {
		outbox_push(t, &(struct stream_emit){ .kind = STREAM_EMIT_END });
		t->end_emitted = true;
	}
}

/* One record of source @s through the operator. Return: 0; -ENOSPC (state full) or -ENOMEM
 * (no memory to grow it): retry. */
static int step(struct task *t, uint32_t s, const struct stream_record *r, struct errbuf *eb)
{
	struct task_input *in = &t->inputs[s];
	int err = 0;

	switch (r->kind) {
	case STREAM_RECORD_EVENT:
		err = stream_operator_event(t->op, s, r->id, r->key, r->time_ms, r->value,
					    &t->outs, eb);
		break;
	case STREAM_RECORD_WATERMARK:
	case STREAM_RECORD_END: {
		int64_t wm = r->kind == STREAM_RECORD_END ? INT64_MAX : r->time_ms;

		task_evidence(t, "\"input\":%u,\"watermark\":%" PRId64, s, wm);
		err = stream_operator_watermark(t->op, s, wm, &t->outs, eb);
		break;
	}
	case STREAM_RECORD_IDLE:
	case STREAM_RECORD_ACTIVE:
		in->logged_idle = r->kind == STREAM_RECORD_IDLE;
		break;          /* the operator is told in idle_sync() */
	case STREAM_RECORD_BARRIER:
		if (r->id > in->barrier) {
			in->barrier = r->id;
			in->barrier_offset = r->offset + 1;
			in->blocked = aligned(t) && r->id > t->level;
		}
		break;
	}
	ASSERT(err == 0 || err == -ENOSPC || err == -ENOMEM);
	drain_outputs(t);
	return err;
}

/*
 * Tell the operator input @s is idle only while its source said so and there is nothing
 * but barriers left to read from it. A source idle in its log that has data again (read
 * later: behind a barrier, or in a backlog after a restore) holds the watermark from the
 * moment the operator knows, so the other inputs cannot carry it past that data.
 */
static void idle_sync(struct task *t, uint32_t s)
{
	struct task_input *in = &t->inputs[s];
	bool idle = in->logged_idle && in->data_end != UINT64_MAX && in->offset >= in->data_end;
	struct errbuf eb = { "" };
	int err;

	if (idle == in->idle)
		return;
	in->idle = idle;
	task_evidence(t, "\"input\":%u,\"idle\":%s", s, idle ? "true" : "false");
	err = stream_operator_idle(t->op, s, idle, &t->outs, &eb);
	ASSERT(err == 0);
	drain_outputs(t);
}

static void pull(struct replica_server *s, struct task *t, uint32_t i)
{
	struct task_input *in = &t->inputs[i];
	struct stream_msg *m = &t->out_msg;
	uint64_t want = 0;
	size_t n;

	/* Ask the source for the highest barrier seen, so alignment holds the others back no
	 * longer than a pull. BUG no-barrier-alignment: nothing is aligned, nothing asked. */
	for (uint32_t j = 0; j < t->job->sources && aligned(t); j++)
		want = t->inputs[j].barrier > want ? t->inputs[j].barrier : want;
	*m = (struct stream_msg){ .type = STREAM_MSG_PULL, .node = t->index,
				  .operators = t->job->operators, .from = in->offset,
				  .want_barrier = want };
	n = stream_msg_encode(m, t->datagram);
	in->pulling = true;
	in->pull_sent_ns = monotime_ns();
	replica_server_send_to(s, stream_node_peer(t->args, i), t->datagram, n);
}

static bool outbox_has_room(const struct task *t)
{
	return TASK_OUTBOX_MAX - (t->next_seq - t->acked) >= 2 * stream_operator_outputs_max(t->op);
}

/* Every input has passed a barrier above the last checkpoint: take one at the lowest. */
static void try_checkpoint(struct replica_server *s, struct task *t)
{
	uint64_t low = UINT64_MAX, offsets[STREAM_JOB_SOURCES_MAX];

	for (uint32_t i = 0; i < t->job->sources; i++) {
		low = t->inputs[i].barrier < low ? t->inputs[i].barrier : low;
		offsets[i] = aligned(t) ? t->inputs[i].offset : t->inputs[i].barrier_offset;
	}
	if (low <= t->level)
		return;
	t->level = low;
	if (task_checkpoint_encode(t, offsets) < 0) {
		log_error("checkpoint %" PRIu64 ": out of memory", low);
		return;
	}
	if (!replica_server_save(s))
		return;         /* the loop stops: nothing is released */
	t->released = t->next_seq;
	for (uint32_t i = 0; i < t->job->sources; i++) {
		t->inputs[i].blocked = aligned(t) && t->inputs[i].barrier > t->level;
		if (!t->inputs[i].blocked && !t->inputs[i].pulling)
			pull(s, t, i);
	}
}

static void on_records(struct replica_server *s, struct task *t, const struct stream_msg *m)
{
	struct task_input *in = &t->inputs[m->node];
	struct errbuf eb = { "" };
	bool stopped = false;

	if (!in->pulling || m->from != in->offset)
		return;         /* an answer to an older pull */
	in->pulling = false;
	if (in->data_end == UINT64_MAX || m->data_end > in->data_end)
		in->data_end = m->data_end;
	for (uint32_t i = 0; i < m->count && !stopped; i++) {
		const struct stream_record *r = &m->records[i];

		if (r->offset < in->offset)
			continue;
		if (in->blocked || !outbox_has_room(t)) {
			stopped = true;
			break;
		}
		if (step(t, m->node, r, &eb) < 0) {
			if (t->steps_refused++ == 0 || replica_server_log_allowed(s))
				log_warn("source %u offset %" PRIu64 ": %s", m->node, r->offset,
					 eb.msg);
			stopped = true;
			break;
		}
		in->offset = r->offset + 1;
		if (r->kind == STREAM_RECORD_IDLE || r->kind == STREAM_RECORD_ACTIVE)
			idle_sync(t, m->node);
		stopped = in->blocked;
	}
	if (!stopped && m->next > in->offset)
		in->offset = m->next;
	idle_sync(t, m->node);
	try_checkpoint(s, t);
	if (!in->blocked && !in->pulling && m->next > m->from && !stopped)
		pull(s, t, m->node);
}

/* Released records not yet acked to the sink, a few datagrams a tick. */
static void send_output(struct replica_server *s, struct task *t)
{
	const struct sockaddr_in *sink = stream_node_peer(t->args, t->job->sources +
								 t->job->operators);
	struct stream_msg *m = &t->out_msg;
	uint64_t seq = t->acked;

	for (uint32_t d = 0; d < TASK_OUT_DATAGRAMS_PER_TICK && seq < t->released; d++) {
		*m = (struct stream_msg){ .type = STREAM_MSG_OUT, .node = t->index,
					  .incarnation = t->incarnation, .from = seq };
		while (m->count < STREAM_WIRE_EMITS_MAX && seq < t->released)
			m->emits[m->count++] = t->outbox[seq++ % TASK_OUTBOX_MAX];
		replica_server_send_to(s, sink, t->datagram, stream_msg_encode(m, t->datagram));
	}
}

static void on_datagram(struct replica_server *s, void *ctx, const struct sockaddr_in *from,
			bool from_peer, const uint8_t *bytes, size_t size)
{
	struct task *t = ctx;
	struct stream_msg *m = &t->msg;
	struct errbuf eb = { "" };
	int64_t peer = from_peer ? stream_node_peer_id(t->args, from) : -1;
	int err = -EPERM;

	if (peer >= 0 && size <= STREAM_WIRE_DATAGRAM_BYTES_MAX)
		err = stream_msg_decode(bytes, size, m, &eb);
	if (err == 0 && m->type == STREAM_MSG_RECORDS && m->node == peer &&
	    m->node < t->job->sources) {
		on_records(s, t, m);
	} else if (err == 0 && m->type == STREAM_MSG_ACK && m->node == t->index &&
		   peer == t->job->sources + t->job->operators) {
		if ((t->job->at_least_once && m->incarnation != t->incarnation) ||
		    m->next <= t->acked || m->next > t->released)
			return;         /* stale, or another incarnation's */
		t->acked = m->next;
	} else if (replica_server_log_allowed(s)) {
		log_warn("datagram refused: %s", eb.msg[0] ? eb.msg : "not from the right peer");
	}
}

static void on_tick(struct replica_server *s, void *ctx)
{
	struct task *t = ctx;
	int64_t now = monotime_ns();

	t->next_tick_ns = now + STREAM_NODE_TICK_MS * INT64_C(1000000);
	for (uint32_t i = 0; i < t->job->sources; i++) {
		struct task_input *in = &t->inputs[i];

		if (in->pulling && now - in->pull_sent_ns < STREAM_NODE_PULL_TIMEOUT_MS * 1000000)
			continue;
		if (outbox_has_room(t))
			pull(s, t, i);  /* blocked too: to learn what data it has (data_end) */
	}
	send_output(s, t);
}

static int64_t next_tick_ns(void *ctx)
{
	return ((const struct task *)ctx)->next_tick_ns;
}

static ssize_t on_request(struct replica_server *s, void *ctx, const char *line, size_t size,
			  char *reply, size_t reply_size)
{
	struct task *t = ctx;
	struct stream_operator_status st;

	(void)s;
	if (size != 5 || memcmp(line, "read\n", 5) != 0)
		return snprintf(reply, reply_size, "error expected 'read'\n");
	stream_operator_status(t->op, &st);
	return snprintf(reply, reply_size, "ok {\"role\":\"operator\",\"watermark\":%" PRId64
			",\"events\":%" PRIu64 ",\"unacked\":%" PRIu64 ",\"ended\":%s}\n",
			t->watermark_ms, st.events, t->next_seq - t->acked,
			t->end_emitted ? "true" : "false");
}

/* A state file of one '\n' holds no checkpoint (one was never taken). */
static int on_load(void *ctx, const char *path, const uint8_t *bytes, size_t size,
		   struct errbuf *eb)
{
	(void)path;
	if (size == 1 && bytes[0] == '\n')
		return 0;
	return task_checkpoint_restore(ctx, bytes, size, eb);
}

static ssize_t on_save(void *ctx, uint8_t *buf, size_t size)
{
	const struct task *t = ctx;

	if (t->checkpoint_size == 0) {
		buf[0] = '\n';
		return 1;
	}
	ASSERT(t->checkpoint_size <= size);
	memcpy(buf, t->checkpoint, t->checkpoint_size);
	return (ssize_t)t->checkpoint_size;
}

static const struct replica_server_ops task_ops = {
	.request = on_request, .datagram = on_datagram, .tick = on_tick,
	.next_tick_ns = next_tick_ns, .load = on_load, .save = on_save,
};

static int task_new(struct task *t, const struct replica_args *a, const struct stream_job *job,
		    struct errbuf *eb)
{
	const struct stream_operator_config config = {
		.spec = job->spec, .aggregate = job->aggregate, .lateness_ms = job->lateness_ms,
		.inputs = job->sources, .pane_entries_max = TASK_PANE_ENTRIES_MAX,
		.window_entries_max = TASK_WINDOW_ENTRIES_MAX,
		.bugs = a->bugs & STREAM_BUGS_ALL,
	};
	int err;

	*t = (struct task){ .args = a, .job = job, .index = a->id - job->sources,
			    .watermark_ms = INT64_MIN, .evidence_fd = -1 };
	for (uint32_t i = 0; i < STREAM_JOB_SOURCES_MAX; i++)
		t->inputs[i].data_end = UINT64_MAX;
	if (!a->data_dir)
		return errbuf_set(eb, -EINVAL, "an operator needs --data-dir");
	err = stream_operator_new(&config, &t->op, eb);
	if (err < 0)
		return err;
	t->outs.capacity = stream_operator_outputs_max(t->op);
	t->outs.records = calloc(t->outs.capacity, sizeof(*t->outs.records));
	t->outbox = calloc(TASK_OUTBOX_MAX, sizeof(*t->outbox));
	if (!t->outs.records || !t->outbox)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	err = task_incarnation_next(a->data_dir, &t->incarnation, eb);
	if (err == 0)
		err = t->evidence_fd = append_file_open(a->data_dir, "evidence.jsonl", eb);
	return err < 0 ? err : 0;
}

static void task_free(struct task *t)
{
	stream_operator_free(t->op);
	free(t->outs.records);
	free(t->outbox);
	free(t->checkpoint);
	if (t->evidence_fd >= 0)
		close(t->evidence_fd);
}

/* After a restore: the watermark the operator has, in the evidence as "restored". */
static void evidence_start(struct task *t)
{
	struct stream_operator_status st;

	stream_operator_status(t->op, &st);
	t->watermark_ms = st.watermark_ms;
	for (uint32_t i = 0; i < t->job->sources; i++)
		t->inputs[i].idle = st.input_idle[i];
	if (st.watermark_ms == INT64_MIN)
		task_evidence(t, "\"restored\":%" PRIu64 ",\"watermark\":null", t->level);
	else
		task_evidence(t, "\"restored\":%" PRIu64 ",\"watermark\":%" PRId64, t->level,
			      st.watermark_ms);
	log_info("operator %u: incarnation %u, from checkpoint %" PRIu64 ", %" PRIu64
		 " records to send", t->index, t->incarnation, t->level, t->next_seq - t->acked);
	for (uint32_t i = 0; i < t->job->sources; i++)
		idle_sync(t, i);        /* nothing read yet: no input is idle */
}

int stream_task_run(const struct replica_args *a, const struct stream_job *job,
		    struct errbuf *eb)
{
	struct task *t = calloc(1, sizeof(*t));
	struct replica_server_config config;
	struct replica_server *s = NULL;
	int err;

	if (!t)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	err = task_new(t, a, job, eb);
	if (err == 0) {
		config = stream_node_server_config(a, task_checkpoint_bytes_max(t));
		err = replica_server_open(&s, &config, &task_ops, t, eb);
	}
	if (err == 0) {
		evidence_start(t);
		err = replica_server_run(s, eb);
	}
	replica_server_close(s);
	task_free(t);
	free(t);
	return err;
}
