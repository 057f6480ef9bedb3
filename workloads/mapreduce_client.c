/* SPDX-License-Identifier: MIT */
/* mapreduce_client.c - jobs submitted to a mapreduce-node coordinator, and their output read. */
#include "mapreduce_client.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"
#include "mr_file.h"

static int mr_client_open(struct client *base, struct in_addr addr, struct errbuf *eb)
{
	struct mapreduce_client *c = container_of(base, struct mapreduce_client, base);

	c->addr = addr;
	return line_conn_open(&c->conn, addr, monotime_ns() + c->request_timeout_ns, eb);
}

static void mr_client_close(struct client *base)
{
	line_conn_close(&container_of(base, struct mapreduce_client, base)->conn);
}

static bool mr_client_connected(const struct client *base)
{
	return container_of(base, const struct mapreduce_client, base)->conn.fd >= 0;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One line to the coordinator and its reply, reconnecting once if the connection broke.
 * Return: the reply (in c->buffer), or NULL. */
static const char *ask(struct mapreduce_client *c, const char *line)
{
	for (int tries = 0; tries < 2; tries++) {
		int64_t deadline = monotime_ns() + c->request_timeout_ns;

		if (c->conn.fd < 0 && line_conn_open(&c->conn, c->addr, deadline, NULL) < 0)
			return NULL;
		if (line_conn_send(&c->conn, line, strlen(line), deadline) == 0 &&
		    line_conn_recv(&c->conn, deadline) >= 0)
			return c->buffer;
		line_conn_close(&c->conn);
	}
	return NULL;
}

/* Ask @line until the reply starts with @want (then true), or @deadline_ns passes. Other
 * replies ("busy", "running", none at all while the coordinator restarts) mean: again. */
static bool ask_until(struct mapreduce_client *c, const char *line, const char *want,
		      int64_t deadline_ns)
{
	while (monotime_ns() < deadline_ns) {
		const char *reply = ask(c, line);

		if (reply && strncmp(reply, want, strlen(want)) == 0)
			return true;
		sleep_ms(MAPREDUCE_CLIENT_POLL_MS);
	}
	return false;
}

/* The current job's number once it is done: "last" until "J done". 0: none at all. */
static bool last_done(struct mapreduce_client *c, int64_t deadline_ns, uint64_t *job)
{
	while (monotime_ns() < deadline_ns) {
		const char *reply = ask(c, "last\n");
		char state[16];

		if (reply && strncmp(reply, "none", 4) == 0) {
			*job = 0;
			return true;
		}
		if (reply && sscanf(reply, "%" SCNu64 " %15s", job, state) == 2 &&
		    strcmp(state, "done") == 0)
			return true;
		sleep_ms(MAPREDUCE_CLIENT_POLL_MS);
	}
	return false;
}

/* The job's output as it is now, as the op's value. */
static void output_value(struct mapreduce_client *c, uint64_t job, struct client_result *result)
{
	struct mr_output_snapshot snap = { 0 };
	char dir[MAPREDUCE_CLIENT_PATH_BYTES_MAX + 32];

	snprintf(dir, sizeof(dir), "%s/job-%" PRIu64, c->output, job);
	if (job > 0)
		mr_output_snapshot_take(dir, c->reduces, &snap, NULL);
	snprintf(result->json, sizeof(result->json), "{\"job\":%" PRIu64 ",\"digest\":\"%016"
		 PRIx64 "\",\"files\":%" PRIu32 ",\"whole\":%" PRIu32 "}", job, snap.digest,
		 snap.files, snap.whole);
	result->type = OP_OK;
	result->value = (struct op_value){ .kind = OP_VALUE_JSON, .json = result->json };
	result->value_set = true;
}

static int mr_client_invoke(struct client *base, const struct op *inv,
			    struct client_result *result, struct errbuf *eb)
{
	struct mapreduce_client *c = container_of(base, struct mapreduce_client, base);
	int64_t deadline = monotime_ns() + c->job_timeout_ns;
	char line[64];
	uint64_t job = 0;
	bool done;

	client_result_reset(result);
	if (strcmp(inv->f, "read") == 0) {
		done = last_done(c, deadline, &job);
	} else if (strcmp(inv->f, "job") == 0 && inv->value.kind == OP_VALUE_JSON &&
		   sscanf(inv->value.json, "{\"job\":%" SCNu64 "}", &job) == 1 && job > 0) {
		snprintf(line, sizeof(line), "submit %" PRIu64 "\n", job);
		done = ask_until(c, line, "ok", deadline);
		snprintf(line, sizeof(line), "status %" PRIu64 "\n", job);
		done = done && ask_until(c, line, "done", deadline);
	} else {
		return errbuf_set(eb, -EINVAL, "mapreduce client: unsupported op f=%s", inv->f);
	}
	if (!done) {
		client_result_fail(result, OP_INFO, -ETIMEDOUT);
		return 0;
	}
	output_value(c, job, result);
	return 0;
}

static const struct client_ops mapreduce_client_ops = {
	.name = "mapreduce",
	.open = mr_client_open,
	.invoke = mr_client_invoke,
	.close = mr_client_close,
	.connected = mr_client_connected,
};

void mapreduce_client_init(struct mapreduce_client *c, int64_t request_timeout_ns,
			   int64_t job_timeout_ns, const char *output, uint32_t reduces)
{
	ASSERT(request_timeout_ns > 0 && job_timeout_ns > 0 && reduces >= 1);
	c->base.ops = &mapreduce_client_ops;
	c->request_timeout_ns = request_timeout_ns;
	c->job_timeout_ns = job_timeout_ns;
	c->output = output;
	c->reduces = reduces;
	line_conn_init(&c->conn, MAPREDUCE_CLIENT_PORT, c->buffer, sizeof(c->buffer));
}
