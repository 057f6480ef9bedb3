/* SPDX-License-Identifier: MIT */
/* campaign_clients.c - the client threads, the wait for quiet replicas and the final reads. */
#include "campaign_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster.h"
#include "crdt_client.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "monotime.h"

enum {
	QUIET_PROBE_NS = 200 * 1000000,         /* between two probe rounds */
	QUIET_ROUNDS = 5,                       /* unchanged rounds that make "quiet" (1 s) */
	READY_TIMEOUT_NS = 10 * 1000000000ll,   /* nodes must accept clients by then */
};

struct client_thread {
	struct campaign *cp;
	uint32_t slot;
	pthread_t thread;
	struct prng prng;
	struct crdt_client *conns;              /* one per node, connected on demand */
	int err;
	struct errbuf eb;
};

static void sleep_until(int64_t deadline_ns)
{
	/* Sleeps in slices so a stop request is noticed within 50 ms. */
	for (;;) {
		int64_t left = deadline_ns - monotime_ns();
		struct timespec ts;

		if (left <= 0 || campaign_stopping())
			return;
		if (left > 50000000)
			left = 50000000;
		ts = (struct timespec){ .tv_sec = 0, .tv_nsec = left };
		nanosleep(&ts, NULL);
	}
}

static void count_completion(struct campaign *cp, enum op_type type)
{
	if (type == OP_OK)
		atomic_fetch_add(&cp->ok, 1);
	else if (type == OP_FAIL)
		atomic_fetch_add(&cp->fail, 1);
	else
		atomic_fetch_add(&cp->info, 1);
}

/* Invokes @inv on @conn and records the invocation and its completion. */
static int perform(struct campaign *cp, struct crdt_client *conn, struct in_addr addr,
		   struct op *inv, struct client_result *res, struct errbuf *eb)
{
	struct op done;
	int err;

	err = campaign_record(cp, inv, eb);
	if (err < 0)
		return err;
	if (conn->fd < 0 && client_open(&conn->base, addr, NULL) < 0) {
		/* Nothing was sent: the op certainly did not happen. */
		res->type = OP_FAIL;
		res->value.kind = OP_VALUE_NULL;
		snprintf(res->error, sizeof(res->error), "connect refused or timed out");
	} else {
		err = client_invoke(&conn->base, inv, res, eb);
		if (err < 0)
			return err;
	}
	done = *inv;
	done.type = res->type;
	if (res->type == OP_OK && strcmp(inv->f, "read") == 0)
		done.value = res->value;
	done.error = res->error[0] ? res->error : NULL;
	err = campaign_record(cp, &done, eb);
	if (err < 0)
		return err;
	count_completion(cp, res->type);
	if (res->type == OP_INFO)
		client_close(&conn->base);      /* the connection's state is unknown */
	return 0;
}

static void *client_thread_main(void *arg)
{
	struct client_thread *t = arg;
	struct campaign *cp = t->cp;
	const struct campaign_opts *o = cp->opts;
	int64_t interval = (int64_t)(1e9 * o->concurrency / o->rate);
	int64_t deadline = cp->start_ns + (int64_t)(o->time_s * 1e9);
	int64_t next = cp->start_ns + (int64_t)prng_below(&t->prng, (uint64_t)interval);
	int32_t process = (int32_t)t->slot;
	struct client_result *res = malloc(sizeof(*res));

	if (!res) {
		t->err = errbuf_set(&t->eb, -ENOMEM, "client %u: out of memory", t->slot);
		return NULL;
	}
	while (!campaign_stopping() && next < deadline) {
		struct gen_ctx ctx = { .time_ns = next - cp->start_ns, .process = process,
				       .node_count = o->node_count, .prng = &t->prng };
		struct gen_op g;

		sleep_until(next);
		if (campaign_stopping())
			break;
		/* Poisson-like spacing: uniform in [0.5, 1.5) of the mean interval. */
		next += interval / 2 + (int64_t)prng_below(&t->prng, (uint64_t)interval);
		if (gen_op(&cp->gen.base, &ctx, &g) != GEN_OP)
			break;
		g.op.type = OP_INVOKE;
		g.op.process = process;
		g.op.node = cluster_node_name(cp->cluster, g.node);
		t->err = perform(cp, &t->conns[g.node], cluster_node_addr(cp->cluster, g.node),
				 &g.op, res, &t->eb);
		if (t->err < 0)
			break;
		/* Jepsen: a process whose op is indeterminate never invokes again. */
		if (res->type == OP_INFO)
			process = (int32_t)atomic_fetch_add(&cp->next_process, 1);
	}
	free(res);
	return NULL;
}

static void close_all(struct client_thread *t, uint32_t node_count)
{
	for (uint32_t i = 0; i < node_count; i++)
		client_close(&t->conns[i].base);
	free(t->conns);
}

int campaign_clients_run(struct campaign *cp, struct errbuf *eb)
{
	const struct campaign_opts *o = cp->opts;
	struct client_thread *threads = calloc(o->concurrency, sizeof(*threads));
	uint32_t started = 0;
	int err = 0;

	if (!threads)
		return errbuf_set(eb, -ENOMEM, "out of memory for %u clients", o->concurrency);
	atomic_store(&cp->next_process, (int_fast32_t)o->concurrency);
	for (; started < o->concurrency; started++) {
		struct client_thread *t = &threads[started];

		t->cp = cp;
		t->slot = started;
		prng_split(&cp->prng, 1000 + started, &t->prng);
		t->conns = calloc(o->node_count, sizeof(*t->conns));
		if (!t->conns) {
			err = errbuf_set(eb, -ENOMEM, "out of memory for client connections");
			break;
		}
		for (uint32_t i = 0; i < o->node_count; i++)
			crdt_client_init(&t->conns[i], o->model, cp->object,
					 CRDT_CLIENT_PORT_DEFAULT, o->op_timeout_ns);
		err = -pthread_create(&t->thread, NULL, client_thread_main, t);
		if (err < 0) {
			free(t->conns);
			errbuf_set(eb, err, "cannot start client thread %u", started);
			break;
		}
	}
	if (err < 0)
		campaign_stop();
	for (uint32_t i = 0; i < started; i++) {
		pthread_join(threads[i].thread, NULL);
		close_all(&threads[i], o->node_count);
		if (threads[i].err < 0 && err == 0) {
			err = threads[i].err;
			if (eb)
				*eb = threads[i].eb;
		}
	}
	free(threads);
	return err;
}

int campaign_wait_ready(struct campaign *cp, struct errbuf *eb)
{
	const struct campaign_opts *o = cp->opts;
	int64_t deadline = monotime_ns() + READY_TIMEOUT_NS;
	struct crdt_client *probe = malloc(sizeof(*probe));
	int err = 0;

	if (!probe)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < o->node_count && err == 0; i++) {
		crdt_client_init(probe, o->model, cp->object, CRDT_CLIENT_PORT_DEFAULT, 200000000);
		struct in_addr addr = cluster_node_addr(cp->cluster, i);

		while ((err = client_open(&probe->base, addr, eb)) < 0) {
			if (!cluster_node_alive(cp->cluster, i)) {
				err = errbuf_set(eb, -ECHILD,
						 "node %s exited at start-up (see its log)",
						 cluster_node_name(cp->cluster, i));
				break;
			}
			if (monotime_ns() > deadline || campaign_stopping())
				break;
			sleep_until(monotime_ns() + 50000000);
		}
		client_close(&probe->base);
	}
	free(probe);
	return err;
}

/* A digest of one read, to tell whether a replica's state changed between probes. */
static uint64_t value_digest(const struct client_result *r)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)r->type;

	if (r->value.kind == OP_VALUE_INT)
		return h ^ (uint64_t)r->value.integer * 1099511628211ull;
	for (uint32_t i = 0; r->value.kind == OP_VALUE_INTS && i < r->value.count; i++)
		h = (h ^ (uint64_t)r->value.ints[i]) * 1099511628211ull;
	return h;
}

/*
 * Probes every replica (unrecorded reads) until no replica's state has changed for
 * QUIET_ROUNDS rounds, or the quiet timeout passes. Quiet is not convergence: a replica that
 * never hears from its peers is quiet too, and the checker judges what the final reads show.
 */
static bool wait_quiet(struct campaign *cp, struct crdt_client *probe, struct client_result *res)
{
	const struct campaign_opts *o = cp->opts;
	int64_t deadline = monotime_ns() + o->quiet_timeout_ns;
	uint64_t last[CLUSTER_NODES_MAX] = { 0 };
	uint32_t stable = 0;
	struct op read = { .f = "read", .value = { .kind = OP_VALUE_NULL } };

	while (monotime_ns() < deadline) {
		bool same = true;

		for (uint32_t i = 0; i < o->node_count; i++) {
			crdt_client_init(probe, o->model, cp->object, CRDT_CLIENT_PORT_DEFAULT,
					 o->op_timeout_ns);
			struct in_addr addr = cluster_node_addr(cp->cluster, i);

			if (client_open(&probe->base, addr, NULL) < 0 ||
			    client_invoke(&probe->base, &read, res, NULL) < 0)
				res->type = OP_FAIL;
			client_close(&probe->base);
			same &= res->type == OP_OK && value_digest(res) == last[i];
			last[i] = value_digest(res);
		}
		stable = same ? stable + 1 : 0;
		if (stable >= QUIET_ROUNDS)
			return true;
		sleep_until(monotime_ns() + QUIET_PROBE_NS);
	}
	return false;
}

int campaign_final_reads(struct campaign *cp, struct errbuf *eb)
{
	const struct campaign_opts *o = cp->opts;
	struct crdt_client *conn = malloc(sizeof(*conn));
	struct client_result *res = malloc(sizeof(*res));
	int err = 0;

	if (!conn || !res) {
		err = errbuf_set(eb, -ENOMEM, "out of memory");
		goto out;
	}
	cp->report->quiet = wait_quiet(cp, conn, res);
	if (!cp->report->quiet)
		log_warn("replicas did not go quiet within %.1f s; taking final reads anyway",
			 (double)o->quiet_timeout_ns / 1e9);
	for (uint32_t i = 0; i < o->node_count && err == 0; i++) {
		struct op inv = { .type = OP_INVOKE, .f = "read", .final = true,
				  .value = { .kind = OP_VALUE_NULL } };

		inv.process = (int32_t)atomic_fetch_add(&cp->next_process, 1);
		inv.node = cluster_node_name(cp->cluster, i);
		crdt_client_init(conn, o->model, cp->object, CRDT_CLIENT_PORT_DEFAULT,
				 o->op_timeout_ns);
		err = perform(cp, conn, cluster_node_addr(cp->cluster, i), &inv, res, eb);
		client_close(&conn->base);
	}
out:
	free(conn);
	free(res);
	return err;
}
