/* SPDX-License-Identifier: MIT */
/* chord_procs.c - chord-node processes in a cluster's namespaces or on 127.0.0.1: ports,
 * spawning, state lines judged against the ideal ring of their ids, joins, CPU time, and
 * stopping them all. */
#include "chord_procs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "errbuf.h"
#include "loopback_ports.h"
#include "fl_assert.h"
#include "monotime.h"
#include "node_procs.h"

enum {
	ARG_BYTES_MAX = 40,             /* "255=10.77.0.254:65535", a number */
	ARGS_FIXED = 32,                /* argv entries besides the --peer pairs */
	CONNECT_MS_MIN = 10000,         /* a node's start-up: at least this, ... */
	CONNECT_MS_PER_NODE = 100,      /* ... and this much per node spawned */
	NAME_BYTES_MAX = 16,            /* "n256" and its NUL */
};

/* A node's command line: the strings every node shares, and its own. */
struct command {
	char peers[CPROCS_NODES_MAX][ARG_BYTES_MAX];    /* "J=ADDRESS:UDP" */
	char id[ARG_BYTES_MAX], count[ARG_BYTES_MAX], listen[ARG_BYTES_MAX];
	char port[ARG_BYTES_MAX], base[ARG_BYTES_MAX], tick[ARG_BYTES_MAX];
	char seed[ARG_BYTES_MAX], bits[ARG_BYTES_MAX], succ[ARG_BYTES_MAX];
	char *argv[2 * CPROCS_NODES_MAX + ARGS_FIXED];
};

static int64_t ms_ns(int64_t ms)
{
	return ms * 1000000;
}

/* The nodes' pids into @pids[CPROCS_NODES_MAX]. */
static void pids_get(const struct cprocs *c, pid_t *pids)
{
	for (uint32_t i = 0; i < c->opts.count; i++)
		pids[i] = c->nodes[i].pid;
}

/* The nodes' pids back from @pids, where node_procs reaped some. */
static void pids_put(struct cprocs *c, const pid_t *pids)
{
	for (uint32_t i = 0; i < c->opts.count; i++)
		c->nodes[i].pid = pids[i];
}

int cprocs_alive(struct cprocs *c, struct errbuf *eb)
{
	pid_t pids[CPROCS_NODES_MAX];
	int err;

	pids_get(c, pids);
	err = node_procs_alive(pids, c->opts.count, c->opts.dir, eb);
	pids_put(c, pids);
	return err;
}

/* ---- Ports --------------------------------------------------------------------------- */

/* Node i: TCP first + 2i, UDP first + 2i + 1, in the first window of free ones (the
 * cluster's namespaces are ours alone: every port is free there). */
static int ports_pick(struct cprocs *c, struct errbuf *eb)
{
	uint32_t first = c->opts.port_first;
	int err = c->opts.cluster ? 0 : loopback_ports_find(c->opts.count, c->opts.port_first,
							    CPROCS_PORT_LAST, &first, eb);

	if (err < 0)
		return err;
	for (uint32_t i = 0; i < c->opts.count; i++) {
		c->nodes[i].tcp_port = (uint16_t)(first + 2 * i);
		c->nodes[i].udp_port = (uint16_t)(first + 2 * i + 1);
	}
	return 0;
}

/* ---- Spawning ------------------------------------------------------------------------ */

enum { ADDR_PORT_BYTES = INET_ADDRSTRLEN + 6 };        /* "A.B.C.D:PORT" and its NUL */

/* "A.B.C.D:PORT" into @buf[ADDR_PORT_BYTES]. */
static void addr_port(struct in_addr addr, uint16_t port, char *buf)
{
	char text[INET_ADDRSTRLEN];
	int n;

	ASSERT(inet_ntop(AF_INET, &addr, text, sizeof(text)));
	n = snprintf(buf, ADDR_PORT_BYTES, "%s:%u", text, port);
	ASSERT(n > 0 && n < ADDR_PORT_BYTES);
}

/* The arguments every node shares, then the --peer list but node @i's own. */
static void command_fill(const struct cprocs *c, struct command *cmd, uint32_t i)
{
	const struct cprocs_opts *o = &c->opts;
	uint32_t n = 0;

	snprintf(cmd->id, ARG_BYTES_MAX, "%" PRIu32, i);
	addr_port(c->nodes[i].addr, c->nodes[i].udp_port, cmd->listen);
	snprintf(cmd->port, ARG_BYTES_MAX, "%u", c->nodes[i].tcp_port);
	node_procs_argv_add(cmd->argv, ARRAY_SIZE(cmd->argv), &n, (char *)o->exe, "--id", cmd->id,
			    "--replicas", cmd->count, "--listen", cmd->listen, "--client-port",
			    cmd->port, "--base", cmd->base, "--bits", cmd->bits, "--succ-list",
			    cmd->succ, "--gossip-ms", cmd->tick, "--seed", cmd->seed, NULL);
	if (o->bug)
		node_procs_argv_add(cmd->argv, ARRAY_SIZE(cmd->argv), &n, "--bug", (char *)o->bug,
				    NULL);
	if (i >= o->members)
		node_procs_argv_add(cmd->argv, ARRAY_SIZE(cmd->argv), &n, "--spare", NULL);
	for (uint32_t j = 0; j < o->count; j++) {
		if (j != i)
			node_procs_argv_add(cmd->argv, ARRAY_SIZE(cmd->argv), &n, "--peer",
					    cmd->peers[j], NULL);
	}
}

/* Node @i's namespace, or -1 on 127.0.0.1. */
static int host_ns_fd(const struct cprocs *c, uint32_t i)
{
	const struct cluster *cl = c->opts.cluster;

	return cl ? cluster_node_ns_fd(cl, i % cluster_node_count(cl)) : -1;
}

static int spawn_all(struct cprocs *c, struct errbuf *eb)
{
	const struct cprocs_opts *o = &c->opts;
	struct command *cmd = calloc(1, sizeof(*cmd));
	int err = 0;

	if (!cmd)
		return errbuf_set(eb, -ENOMEM, "command lines");
	for (uint32_t j = 0; j < o->count; j++) {
		char at[ADDR_PORT_BYTES];

		addr_port(c->nodes[j].addr, c->nodes[j].udp_port, at);
		snprintf(cmd->peers[j], ARG_BYTES_MAX, "%" PRIu32 "=%s", j, at);
	}
	snprintf(cmd->count, ARG_BYTES_MAX, "%" PRIu32, o->count);
	snprintf(cmd->base, ARG_BYTES_MAX, "%" PRIu32, o->base);
	snprintf(cmd->tick, ARG_BYTES_MAX, "%" PRIu32, o->tick_ms);
	snprintf(cmd->seed, ARG_BYTES_MAX, "%" PRIu64, o->seed);
	snprintf(cmd->bits, ARG_BYTES_MAX, "%d", CPROCS_BITS);
	snprintf(cmd->succ, ARG_BYTES_MAX, "%d", CPROCS_SUCC_R);
	c->started_ns = monotime_ns();
	for (uint32_t i = 0; i < o->count && err == 0; i++) {
		command_fill(c, cmd, i);
		err = node_procs_spawn(cmd->argv, o->dir, i, host_ns_fd(c, i), &c->nodes[i].pid,
				       eb);
	}
	free(cmd);
	return err;
}

/* Connect to every node's state port, retried while it starts up. */
static int connect_all(struct cprocs *c, struct errbuf *eb)
{
	int64_t deadline = monotime_ns() + ms_ns(CONNECT_MS_MIN) +
			   ms_ns(CONNECT_MS_PER_NODE) * c->opts.count;
	const struct timespec pause = { .tv_nsec = 10000000 };
	struct errbuf why = { "" };

	for (uint32_t i = 0; i < c->opts.count; i++) {
		struct cprocs_node *n = &c->nodes[i];

		line_conn_init(&n->conn, n->tcp_port, c->state, sizeof(c->state));
		while (line_conn_open(&n->conn, n->addr, deadline, &why) < 0) {
			if (*c->opts.stop)
				return -EINTR;
			if (cprocs_alive(c, eb) < 0)
				return -ECHILD;
			if (monotime_ns() >= deadline)
				return errbuf_set(eb, -ETIMEDOUT, "n%" PRIu32 " not listening: %s",
						  i + 1, why.msg);
			nanosleep(&pause, NULL);
		}
	}
	return 0;
}

/* The members' ids, ascending. Return: false if two of them are the same. */
static bool sorted_update(struct cprocs *c)
{
	uint32_t m = 0;

	for (uint32_t i = 0; i < c->opts.count; i++) {
		if (c->nodes[i].member)
			c->sorted[m++] = c->nodes[i].id;
	}
	for (uint32_t k = 1; k < m; k++) {      /* insertion sort: 256 ids at most */
		uint64_t id = c->sorted[k];
		uint32_t j = k;

		for (; j > 0 && c->sorted[j - 1] > id; j--)
			c->sorted[j] = c->sorted[j - 1];
		c->sorted[j] = id;
	}
	c->member_count = m;
	for (uint32_t k = 1; k < m; k++) {
		if (c->sorted[k - 1] == c->sorted[k])
			return false;
	}
	return true;
}

static int cprocs_alloc(struct cprocs **out, const struct cprocs_opts *o, struct errbuf *eb)
{
	struct cprocs *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c || !(c->nodes = calloc(o->count, sizeof(c->nodes[0]))) ||
	    !(c->sorted = calloc(o->count, sizeof(c->sorted[0])))) {
		if (c)
			free(c->nodes);
		free(c);
		return errbuf_set(eb, -ENOMEM, "%" PRIu32 " nodes", o->count);
	}
	c->opts = *o;
	ASSERT(chord_space_init(&c->space, CPROCS_BITS) == 0);
	for (uint32_t i = 0; i < o->count; i++) {
		char name[NAME_BYTES_MAX];
		int size = snprintf(name, sizeof(name), "n%" PRIu32, i + 1);

		c->nodes[i] = (struct cprocs_node){ .pid = -1, .member = i < o->members,
						    .id = chord_hash(&c->space, name,
								     (size_t)size),
						    .addr.s_addr = htonl(INADDR_LOOPBACK) };
		if (o->cluster)
			c->nodes[i].addr = cluster_node_addr(o->cluster,
							     i % cluster_node_count(o->cluster));
		line_conn_init(&c->nodes[i].conn, 0, c->state, sizeof(c->state));
	}
	*out = c;
	return 0;
}

int cprocs_start(struct cprocs **out, const struct cprocs_opts *o, struct errbuf *eb)
{
	struct cprocs *c = NULL;
	int err;

	ASSERT(out && o && o->exe && o->dir && o->stop);
	ASSERT(o->count >= 1 && o->count <= CPROCS_NODES_MAX);
	ASSERT(o->base >= 1 && o->base <= o->members && o->members <= o->count);
	*out = NULL;
	err = cprocs_alloc(&c, o, eb);
	if (err < 0)
		return err;
	/* chord-node refuses repeated ids too; this says so before anything starts. */
	for (uint32_t i = 0; i < o->count; i++)
		c->nodes[i].member = true;
	if (!sorted_update(c)) {
		cprocs_stop(c, false);
		return errbuf_set(eb, -EINVAL, "two of n1 .. n%" PRIu32 " have the same id",
				  o->count);
	}
	for (uint32_t i = 0; i < o->count; i++)
		c->nodes[i].member = i < o->members;
	ASSERT(sorted_update(c));
	err = ports_pick(c, eb);
	if (err == 0)
		err = spawn_all(c, eb);
	if (err == 0)
		err = connect_all(c, eb);
	if (err < 0) {
		cprocs_stop(c, false);
		return err;
	}
	*out = c;
	return 0;
}

void cprocs_stop(struct cprocs *c, bool keep_logs)
{
	char path[CPROCS_PATH_BYTES_MAX];
	pid_t pids[CPROCS_NODES_MAX];

	if (!c)
		return;
	/* Our side closes first: TIME_WAIT stays on our ports, not on the nodes'. */
	for (uint32_t i = 0; i < c->opts.count; i++)
		line_conn_close(&c->nodes[i].conn);
	pids_get(c, pids);
	node_procs_stop(pids, c->opts.count);
	pids_put(c, pids);
	for (uint32_t i = 0; i < c->opts.count && !keep_logs; i++) {
		node_procs_path(c->opts.dir, i, ".log", path, sizeof(path));
		unlink(path);
	}
	free(c->sorted);
	free(c->nodes);
	free(c);
}

/* ---- Judging the state lines --------------------------------------------------------- */

/* The index among the members of successor(@key): the first id >= key, wrapping. */
static uint32_t owner_index(const struct cprocs *c, uint64_t key)
{
	uint32_t low = 0, high = c->member_count;

	ASSERT(c->member_count > 0);
	while (low < high) {
		uint32_t mid = low + (high - low) / 2;

		if (c->sorted[mid] < key)
			low = mid + 1;
		else
			high = mid;
	}
	return low % c->member_count;
}

uint64_t cprocs_owner(const struct cprocs *c, uint64_t key)
{
	return c->sorted[owner_index(c, key)];
}

/* The node named by @id, as "n<I>" into @buf; "?" when no node has it. */
static const char *name_of(const struct cprocs *c, uint64_t id, char *buf, size_t size)
{
	snprintf(buf, size, "id %" PRIu64 " (none of ours)", id);
	for (uint32_t i = 0; i < c->opts.count; i++) {
		if (c->nodes[i].id == id)
			snprintf(buf, size, "n%" PRIu32, i + 1);
	}
	return buf;
}

/* The id in {"id":N, ...}; false for null or anything else. */
static bool peer_id(const json_t *v, uint64_t *id)
{
	const json_t *x = json_is_object(v) ? json_object_get(v, "id") : NULL;

	if (!json_is_integer(x) || json_integer_value(x) < 0)
		return false;
	*id = (uint64_t)json_integer_value(x);
	return true;
}

/* Whether entry @got names @want; if not, says so into @why (when still empty). */
static bool expect_peer(const struct cprocs *c, uint32_t i, const char *what, uint32_t k,
			const json_t *got, uint64_t want, char *why)
{
	char a[NAME_BYTES_MAX + 32], b[NAME_BYTES_MAX + 32];
	uint64_t id;

	if (peer_id(got, &id) && id == want)
		return true;
	if (!why[0])
		snprintf(why, CPROCS_WHY_BYTES_MAX, "n%" PRIu32 ": %s[%" PRIu32 "] is %s, not %s",
			 i + 1, what, k, peer_id(got, &id) ? name_of(c, id, a, sizeof(a)) : "none",
			 name_of(c, want, b, sizeof(b)));
	return false;
}

/* Member node @i's predecessor and successor list. */
static bool exact_ring(const struct cprocs *c, uint32_t i, const json_t *dump, char *why)
{
	uint32_t m = c->member_count, p = owner_index(c, c->nodes[i].id);
	const json_t *succ = json_object_get(dump, "succ");
	bool ok;

	ASSERT(c->sorted[p] == c->nodes[i].id);
	ok = expect_peer(c, i, "pred", 0, json_object_get(dump, "pred"),
			 c->sorted[(p + m - 1) % m], why);
	for (uint32_t k = 0; ok && k < CPROCS_SUCC_R; k++)
		ok = expect_peer(c, i, "succ", k, json_array_get(succ, k),
				 c->sorted[(p + 1 + k) % m], why);
	if (ok && json_array_size(succ) != CPROCS_SUCC_R) {
		if (!why[0])
			snprintf(why, CPROCS_WHY_BYTES_MAX, "n%" PRIu32 ": %zu successors, not %d",
				 i + 1, json_array_size(succ), CPROCS_SUCC_R);
		ok = false;
	}
	return ok;
}

static bool exact_fingers(const struct cprocs *c, uint32_t i, const json_t *dump, char *why)
{
	const json_t *fingers = json_object_get(dump, "fingers");
	bool ok = true;

	for (uint32_t j = 0; ok && j < CPROCS_BITS; j++) {
		uint64_t start = chord_finger_start(&c->space, c->nodes[i].id, j);

		ok = expect_peer(c, i, "finger", j, json_array_get(fingers, j),
				 cprocs_owner(c, start), why);
	}
	return ok;
}

/* Node @i's state line in c->state, judged into @v. */
static void judge_node(const struct cprocs *c, uint32_t i, struct cprocs_verdict *v)
{
	json_t *dump = json_loads(c->state, 0, NULL);
	bool joined = json_is_true(json_object_get(dump, "joined"));
	bool ring = joined == c->nodes[i].member, ideal;

	if (!ring && !v->why_ring[0])
		snprintf(v->why_ring, sizeof(v->why_ring), "n%" PRIu32 ": %s", i + 1, !dump
			 ? "a state line that is not JSON" : joined ? "a spare, but joined"
			 : "not joined");
	if (ring && joined)
		ring = exact_ring(c, i, dump, v->why_ring);
	if (!ring && !v->why_ideal[0])
		snprintf(v->why_ideal, sizeof(v->why_ideal), "%s", v->why_ring);
	ideal = ring && (!joined || exact_fingers(c, i, dump, v->why_ideal));
	v->ring_bad += !ring;
	v->ideal_bad += !ideal;
	json_decref(dump);
}

/* A connection failed: a node that exited says why; else the error itself. */
static int round_failed(struct cprocs *c, uint32_t i, int err, struct errbuf *eb)
{
	if (cprocs_alive(c, eb) < 0)
		return -ECHILD;
	return errbuf_set(eb, err, "state line of n%" PRIu32 ": %s", i + 1, strerror(-err));
}

int cprocs_judge(struct cprocs *c, struct cprocs_verdict *v, struct errbuf *eb)
{
	int64_t deadline = monotime_ns() + ms_ns(CPROCS_ROUND_MS_MAX);
	int err;

	*v = (struct cprocs_verdict){ .ring = false };
	/* Every request first, then every reply: one round trip for the whole ring. */
	for (uint32_t i = 0; i < c->opts.count; i++) {
		err = line_conn_send(&c->nodes[i].conn, "state\n", 6, deadline);
		if (err < 0)
			return round_failed(c, i, err, eb);
	}
	for (uint32_t i = 0; i < c->opts.count; i++) {
		ssize_t n = line_conn_recv(&c->nodes[i].conn, deadline);

		if (n < 0)
			return round_failed(c, i, (int)n, eb);
		judge_node(c, i, v);
	}
	v->ring = v->ring_bad == 0;
	v->ideal = v->ideal_bad == 0;
	return 0;
}

int cprocs_wait(struct cprocs *c, bool fingers, int64_t start_ns, int64_t deadline_ns,
		uint32_t poll_ms, struct cprocs_times *t, struct errbuf *eb)
{
	int err;

	*t = (struct cprocs_times){ .ring_ns = -1, .ideal_ns = -1 };
	for (;;) {
		int64_t now, next;

		if (*c->opts.stop)
			return -EINTR;
		err = cprocs_judge(c, &t->last, eb);
		if (err < 0)
			return err;
		t->rounds++;
		now = monotime_ns();
		if (t->last.ring && t->ring_ns < 0)
			t->ring_ns = now - start_ns;
		if (t->last.ideal && t->ideal_ns < 0)
			t->ideal_ns = now - start_ns;
		if (fingers ? t->last.ideal : t->last.ring)
			return 0;
		if (now >= deadline_ns)
			return -ETIMEDOUT;
		next = now + ms_ns(poll_ms) < deadline_ns ? now + ms_ns(poll_ms) : deadline_ns;
		while (!*c->opts.stop && (now = monotime_ns()) < next) {
			struct timespec pause = { .tv_nsec = (long)(next - now) };

			nanosleep(&pause, NULL);
		}
	}
}

int cprocs_join(struct cprocs *c, struct errbuf *eb)
{
	int64_t deadline = monotime_ns() + ms_ns(CPROCS_ROUND_MS_MAX);
	int err;

	for (uint32_t i = c->opts.members; i < c->opts.count; i++) {
		err = line_conn_send(&c->nodes[i].conn, "join\n", 5, deadline);
		if (err < 0)
			return round_failed(c, i, err, eb);
	}
	for (uint32_t i = c->opts.members; i < c->opts.count; i++) {
		ssize_t n = line_conn_recv(&c->nodes[i].conn, deadline);

		if (n < 0)
			return round_failed(c, i, (int)n, eb);
		if (strncmp(c->state, "ok ", 3) != 0)
			return errbuf_set(eb, -EPROTO, "n%" PRIu32 " answered join: %s", i + 1,
					  c->state);
		c->nodes[i].member = true;
	}
	ASSERT(sorted_update(c));       /* all ids are distinct: cprocs_start() checked */
	return 0;
}

double cprocs_cpu_s(const struct cprocs *c)
{
	pid_t pids[CPROCS_NODES_MAX];

	pids_get(c, pids);
	return node_procs_cpu_s(pids, c->opts.count);
}
