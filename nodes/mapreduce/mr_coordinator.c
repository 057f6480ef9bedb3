/* SPDX-License-Identifier: MIT */
/* mr_coordinator.c - node 0: the coordinator's shell around mr_coord (PROTOCOL.md). A replica
 * server: workers' and the client's request lines in, the step's records to the evidence log,
 * the state file saved before any reply that followed a decision, a tick for timeouts. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "append_file.h"
#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "monotime.h"
#include "mr_coord.h"
#include "mr_node.h"
#include "mr_wire.h"
#include "replica_server.h"

#define EVIDENCE_NAME "evidence.jsonl"

enum { EVIDENCE_LINE_BYTES_MAX = 512 };

/* Jobs run one at a time: job is the current one's number (0: none submitted yet), and coord
 * its decisions; an earlier job is done, a later one not submitted. */
struct coordinator {
	const struct replica_args *a;
	struct mr_coord_config config;
	uint64_t job;
	struct mr_coord *coord;         /* NULL until a job is submitted or the state loaded */
	struct mr_records out;
	int evidence_fd;
	int64_t next_tick_ns;
	struct mr_wire_assignment assignment;
};

static const char *const record_names[] = {
	[MR_RECORD_ASSIGN] = "assign", [MR_RECORD_DONE] = "done",
	[MR_RECORD_DUPLICATE] = "duplicate", [MR_RECORD_REEXEC] = "reexec",
	[MR_RECORD_WORKER_LOST] = "worker-lost", [MR_RECORD_JOB_DONE] = "job-done",
	[MR_RECORD_JOB_START] = "job-start",
};

static const char *const reason_names[] = {
	[MR_REEXEC_WORKER_LOST] = "worker-lost", [MR_REEXEC_TIMEOUT] = "timeout",
	[MR_REEXEC_FETCH_FAILED] = "fetch-failed", [MR_REEXEC_UNREPORTED] = "unreported",
};

/* One record as an evidence line; @digest (a reduce's commit) if not NULL. */
static int evidence_line(uint64_t job, const struct mr_record *r, const uint64_t *digest,
			 const uint64_t *counters, char *buf, size_t size)
{
	int n = snprintf(buf, size, "{\"t_ms\":%" PRId64 ",\"wall_ns\":%" PRId64 ",\"job\":%"
			 PRIu64 ",\"kind\":\"%s\"", r->time_ms, realtime_ns(), job,
			 record_names[r->kind]);

	if (r->kind != MR_RECORD_WORKER_LOST && r->kind != MR_RECORD_JOB_DONE &&
	    r->kind != MR_RECORD_JOB_START)
		n += snprintf(buf + n, size - (size_t)n, ",\"task\":\"%s\",\"index\":%u,"
			      "\"attempt\":%u", r->task_kind == MR_MAP ? "map" : "reduce",
			      r->index, r->attempt);
	if (r->worker != MR_WORKER_NONE)
		n += snprintf(buf + n, size - (size_t)n, ",\"worker\":%u", r->worker);
	if (r->kind == MR_RECORD_ASSIGN)
		n += snprintf(buf + n, size - (size_t)n, ",\"backup\":%s",
			      r->backup ? "true" : "false");
	if (r->kind == MR_RECORD_REEXEC)
		n += snprintf(buf + n, size - (size_t)n, ",\"reason\":\"%s\"",
			      reason_names[r->reason]);
	if (digest)
		n += snprintf(buf + n, size - (size_t)n, ",\"digest\":\"%016" PRIx64 "\"", *digest);
	if (counters)
		n += snprintf(buf + n, size - (size_t)n, ",\"counters\":[%" PRIu64 ",%" PRIu64 ",%"
			      PRIu64 ",%" PRIu64 "]", counters[0], counters[1], counters[2],
			      counters[3]);
	n += snprintf(buf + n, size - (size_t)n, "}\n");
	ASSERT(n > 0 && (size_t)n < size);
	return n;
}

/* Log the step's records (one write each, so a kill leaves whole lines), then clear them. */
static void evidence_write(struct coordinator *c, const struct mr_wire_msg *msg)
{
	char line[EVIDENCE_LINE_BYTES_MAX];
	uint64_t counters[MR_COUNTERS];

	for (uint32_t i = 0; i < c->out.count; i++) {
		const struct mr_record *r = &c->out.items[i];
		bool commit = msg && msg->kind == MR_WIRE_REDUCE_DONE &&
			      (r->kind == MR_RECORD_DONE || r->kind == MR_RECORD_DUPLICATE) &&
			      r->task_kind == MR_REDUCE;
		bool done = r->kind == MR_RECORD_JOB_DONE;
		int n;

		if (done)
			mr_coord_counters(c->coord, counters); /* the job's, once each task */
		n = evidence_line(c->job, r, commit ? &msg->digest : NULL, done ? counters : NULL,
				  line, sizeof(line));

		if (write(c->evidence_fd, line, (size_t)n) != n)
			log_warn("coordinator: evidence write: %s", strerror(errno));
	}
}

static int64_t now_ms(void)
{
	return monotime_ns() / 1000000;
}

/* The reply to a request: the assignment, with every map's holder for a reduce. */
static int assignment_reply(struct coordinator *c, const struct mr_assignment *a, char *reply,
			    size_t size)
{
	c->assignment.a = *a;
	c->assignment.job = c->job;
	c->assignment.maps = 0;
	if (a->reply == MR_REPLY_TASK && a->kind == MR_REDUCE) {
		c->assignment.maps = c->config.maps;
		for (uint32_t m = 0; m < c->config.maps; m++)
			if (!mr_coord_map_output(c->coord, m, a->index, &c->assignment.holders[m],
						 &c->assignment.sizes[m]))
				c->assignment.holders[m] = MR_WORKER_NONE;
	}
	return mr_wire_assignment_format(&c->assignment, reply, size);
}

/* Start job @job: a coordinator with every task idle, and a JOB_START record. */
static int job_start(struct coordinator *c, uint64_t job, struct errbuf *eb)
{
	struct mr_coord *coord;
	int err = mr_coord_new(&c->config, &coord, eb);

	if (err)
		return err;
	mr_coord_free(c->coord);
	c->coord = coord;
	c->job = job;
	c->out.items[c->out.count++] = (struct mr_record){ .kind = MR_RECORD_JOB_START,
							   .worker = MR_WORKER_NONE,
							   .time_ms = now_ms() };
	return 0;
}

static bool job_running(const struct coordinator *c)
{
	return c->coord && !mr_coord_job_done(c->coord);
}

/* The client's lines: "submit J" starts job J once the current one is done; "status J";
 * "last". */
static int client_reply(struct coordinator *c, const struct mr_wire_msg *m, char *reply,
			size_t size, struct errbuf *eb)
{
	if (m->kind == MR_WIRE_LAST && c->job == 0)
		return snprintf(reply, size, "none\n");
	if (m->kind == MR_WIRE_LAST)
		return snprintf(reply, size, "%" PRIu64 " %s\n", c->job,
				job_running(c) ? "running" : "done");
	if (m->kind == MR_WIRE_SUBMIT && m->job > c->job && job_running(c))
		return snprintf(reply, size, "busy %" PRIu64 "\n", c->job);
	if (m->kind == MR_WIRE_SUBMIT && m->job > c->job) {
		int err = job_start(c, m->job, eb);

		return err ? err : snprintf(reply, size, "ok\n");
	}
	if (m->kind == MR_WIRE_SUBMIT)
		return snprintf(reply, size, "ok\n"); /* again: a retry, or an earlier job */
	if (m->job > c->job)
		return snprintf(reply, size, "none\n");
	return snprintf(reply, size, "%s\n", m->job < c->job || !job_running(c) ? "done" :
					     "running");
}

/* One parsed message of a worker to the core; one of another job than the current changes
 * nothing. Return: 0 with the step's records in c->out, or -errno. */
static int dispatch(struct coordinator *c, const struct mr_wire_msg *m, struct mr_assignment *a,
		    struct errbuf *eb)
{
	struct mr_from from = { m->worker, m->incarnation, now_ms() };

	if (!c->coord || (m->kind != MR_WIRE_HEARTBEAT && m->kind != MR_WIRE_REQUEST &&
			  m->job != c->job))
		return 0;
	switch (m->kind) {
	case MR_WIRE_HEARTBEAT:
		return mr_coord_heartbeat(c->coord, &from, &c->out, eb);
	case MR_WIRE_REQUEST:
		if (mr_coord_job_done(c->coord))
			return mr_coord_heartbeat(c->coord, &from, &c->out, eb); /* wait */
		return mr_coord_request(c->coord, &from, a, &c->out, eb);
	case MR_WIRE_MAP_DONE:
		if (m->size_count != c->config.reduces)
			return errbuf_set(eb, -EINVAL, "mapdone: %u sizes, the job has %u reduces",
					  m->size_count, c->config.reduces);
		return mr_coord_map_done(c->coord, &from, m->index, m->attempt, m->sizes,
					 m->counters, &c->out, eb);
	case MR_WIRE_REDUCE_DONE:
		return mr_coord_reduce_done(c->coord, &from, m->index, m->attempt, m->counters,
					    &c->out, eb);
	case MR_WIRE_FETCH_FAILED:
		return mr_coord_fetch_failed(c->coord, &from, m->index, m->attempt, m->map,
					     m->holder, &c->out, eb);
	default:
		break;
	}
	return errbuf_set(eb, -EINVAL, "unknown message");
}

static ssize_t request_cb(struct replica_server *s, void *ctx, const char *line, size_t size,
			  char *reply, size_t reply_size)
{
	struct coordinator *c = ctx;
	struct mr_assignment a = { .reply = MR_REPLY_WAIT };
	struct mr_wire_msg msg;
	struct errbuf eb = { "" };
	int err = mr_wire_parse(line, size && line[size - 1] == '\n' ? size - 1 : size, &msg, &eb);
	int n = 0;

	c->out.count = 0;
	if (!err && (msg.kind == MR_WIRE_SUBMIT || msg.kind == MR_WIRE_STATUS ||
		     msg.kind == MR_WIRE_LAST))
		err = n = client_reply(c, &msg, reply, reply_size, &eb);
	else if (!err)
		err = dispatch(c, &msg, &a, &eb);
	if (err < 0)
		return snprintf(reply, reply_size, "err %s\n", eb.msg); /* 256 bytes fit */
	evidence_write(c, &msg);
	if (c->out.count > 0 && !replica_server_save(s))
		return -EIO; /* nothing said that is not on disk */
	if (n > 0)
		return n;
	if (msg.kind == MR_WIRE_REQUEST)
		return assignment_reply(c, &a, reply, reply_size);
	return snprintf(reply, reply_size, "ok\n");
}

static void datagram_cb(struct replica_server *s, void *ctx, const struct sockaddr_in *from,
			bool from_peer, const uint8_t *bytes, size_t size)
{
	(void)s, (void)ctx, (void)from, (void)from_peer, (void)bytes, (void)size; /* none used */
}

static void tick_cb(struct replica_server *s, void *ctx)
{
	struct coordinator *c = ctx;
	struct errbuf eb;

	c->next_tick_ns = monotime_ns() + MR_NODE_TICK_MS * 1000000ll;
	c->out.count = 0;
	if (!c->coord)
		return;
	if (mr_coord_tick(c->coord, now_ms(), &c->out, &eb) < 0) {
		log_error("coordinator: tick: %s", eb.msg);
		return;
	}
	evidence_write(c, NULL);
	if (c->out.count > 0)
		replica_server_mark_dirty(s);
}

static int64_t next_tick_cb(void *ctx)
{
	return ((struct coordinator *)ctx)->next_tick_ns;
}

static int load_cb(void *ctx, const char *path, const uint8_t *bytes, size_t size,
		   struct errbuf *eb)
{
	struct coordinator *c = ctx;
	int err;

	mr_coord_free(c->coord);
	c->coord = NULL;
	if (size < 8)
		return errbuf_set(eb, -EBADMSG, "%s: %zu bytes, no job number", path, size);
	c->job = codec_get_le(bytes, 8);
	err = mr_coord_decode(&c->config, bytes + 8, size - 8, now_ms(), &c->coord, eb);
	if (err < 0)
		return errbuf_prefix(eb, -EBADMSG, "%s: ", path);
	log_info("coordinator: resumed job %" PRIu64 " from %s: %u maps and %u reduces "
		 "unfinished", c->job, path, mr_coord_unfinished(c->coord, MR_MAP),
		 mr_coord_unfinished(c->coord, MR_REDUCE));
	return 0;
}

static ssize_t save_cb(void *ctx, uint8_t *buf, size_t size)
{
	struct coordinator *c = ctx;
	int n;

	ASSERT(c->coord && size >= 8); /* saved only after a job started */
	codec_put_le(buf, c->job, 8);
	n = mr_coord_encode(c->coord, buf + 8, size - 8, NULL);
	ASSERT(n > 0); /* the server's buffer is 8 + mr_coord_encoded_max() */
	return 8 + n;
}

int mr_coordinator_run(const struct replica_args *a, const struct mr_job *job,
		       const struct mr_node_dirs *dirs, struct errbuf *eb)
{
	static const struct replica_server_ops ops = { request_cb, datagram_cb, tick_cb,
						       next_tick_cb, load_cb, save_cb };
	struct coordinator c = { .a = a, .evidence_fd = -1 };
	struct replica_server_config config = {
		.addrs = a->addrs, .data_dir = a->data_dir, .clients_max = MR_NODE_CLIENTS_MAX,
		.request_bytes_max = MR_WIRE_LINE_BYTES_MAX,
		.reply_bytes_max = MR_WIRE_LINE_BYTES_MAX, .datagram_bytes_max = 64,
		.recv_batch_max = 1,
	};
	struct replica_server *s = NULL;
	int err;

	(void)dirs;
	c.config = mr_job_coord_config(job, a->replicas - 1, a->bugs & 0xff);
	if (a->bugs & MR_NODE_BUG_SHORT_TIMEOUT)
		c.config.task_timeout_ms = MR_NODE_SHORT_TIMEOUT_MS; /* BUG short-timeout */
	err = mr_coord_new(&c.config, &c.coord, eb); /* for the sizes only: no job yet */
	if (err == 0) {
		c.out.capacity = mr_coord_records_max(c.coord) + 1; /* and a JOB_START */
		c.out.items = calloc(c.out.capacity, sizeof(*c.out.items));
		config.state_bytes_max = 8 + mr_coord_encoded_max(c.coord);
		if (!c.out.items)
			err = errbuf_set(eb, -ENOMEM, "coordinator: out of memory");
	}
	mr_coord_free(c.coord);
	c.coord = NULL;
	if (err == 0 && a->data_dir)
		err = c.evidence_fd = append_file_open(a->data_dir, EVIDENCE_NAME, eb);
	if (err >= 0)
		err = replica_server_open(&s, &config, &ops, &c, eb);
	if (err == 0)
		err = replica_server_run(s, eb);
	replica_server_close(s);
	if (c.evidence_fd >= 0)
		close(c.evidence_fd);
	free(c.out.items);
	mr_coord_free(c.coord);
	return err < 0 ? err : 0;
}
