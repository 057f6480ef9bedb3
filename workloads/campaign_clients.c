/* SPDX-License-Identifier: MIT */
/* campaign_clients.c - the client threads, the wait for quiet replicas and the final reads. */
#include "campaign_clients.h"

#include "campaign_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "monotime.h"

enum {
	QUIET_PROBE_NS = 200 * 1000000,         /* between two probe rounds */
	QUIET_ROUNDS = 5,                       /* unchanged rounds that make "quiet" (1 s) */
	QUIET_DOWN_DIGEST = 0x646f776e,         /* a probe's digest for a replica that is down */
	READY_TIMEOUT_NS = 10 * 1000000000ll,   /* nodes must accept clients by then */
};

struct client_thread {
	struct campaign *cp;
	uint32_t slot;
	pthread_t thread;
	struct system_thread *conns;            /* one client per node, connected on demand */
	int err;
	struct errbuf eb;
};

static struct client_thread *client_threads;
static uint32_t client_threads_started;

static void count_completion(struct campaign *cp, enum op_type type)
{
	if (type == OP_OK)
		atomic_fetch_add(&cp->ok, 1);
	else if (type == OP_FAIL)
		atomic_fetch_add(&cp->fail, 1);
	else
		atomic_fetch_add(&cp->info, 1);
}

/* Invokes the recorded @inv on @conn and records its completion. */
static int complete(struct campaign *cp, struct client *conn, struct in_addr addr,
		    const struct op *inv, struct client_result *res, struct errbuf *eb)
{
	struct op_note note = { .node = op_node(inv) };
	struct op done;
	int err;

	if (!client_connected(conn) && client_open(conn, addr, NULL) < 0) {
		/* Nothing was sent: the op certainly did not happen. */
		res->type = OP_FAIL;
		res->value.kind = OP_VALUE_NULL;
		snprintf(res->error, sizeof(res->error), "connect refused or timed out");
	} else {
		err = client_invoke(conn, inv, res, eb);
		if (err < 0)
			return err;
	}
	done = *inv;
	done.type = res->type;
	if (res->type == OP_OK && (res->value_set || strcmp(inv->f, "read") == 0))
		done.value = res->value;
	note.error = res->error[0] ? res->error : NULL;
	done.note = &note;
	err = campaign_record(cp, &done, eb);
	if (err < 0)
		return err;
	count_completion(cp, res->type);
	if (res->type == OP_INFO)
		client_close(conn);             /* the connection's state is unknown */
	return 0;
}

/* Records the invocation, then completes it. */
static int perform(struct campaign *cp, struct client *conn, struct in_addr addr,
		   struct op *inv, struct client_result *res, struct errbuf *eb)
{
	int err = campaign_record(cp, inv, eb);

	return err < 0 ? err : complete(cp, conn, addr, inv, res, eb);
}

/* No number at or past @k will be recorded: wakes every thread waiting for its turn. */
static void sequence_close(struct op_sequence *seq, uint64_t k)
{
	pthread_mutex_lock(&seq->lock);
	if (k < seq->end)
		seq->end = k;
	pthread_cond_broadcast(&seq->turn);
	pthread_mutex_unlock(&seq->lock);
}

static uint64_t sequence_take(struct op_sequence *seq)
{
	uint64_t k;

	pthread_mutex_lock(&seq->lock);
	k = seq->next_take++;
	pthread_mutex_unlock(&seq->lock);
	return k;
}

/* Waits for op @k's turn and records @inv then. Return: 1 recorded, 0 closed, -errno. */
static int sequence_record(struct campaign *cp, uint64_t k, struct op *inv, struct errbuf *eb)
{
	struct op_sequence *seq = &cp->sequence;
	int err;

	pthread_mutex_lock(&seq->lock);
	while (seq->next_record != k && k < seq->end)
		pthread_cond_wait(&seq->turn, &seq->lock);
	if (k >= seq->end) {
		err = 0;
	} else {
		err = campaign_record(cp, inv, eb);
		seq->next_record++;
		pthread_cond_broadcast(&seq->turn);
		err = err < 0 ? err : 1;
	}
	pthread_mutex_unlock(&seq->lock);
	return err;
}

/* Op @k of the sequence, drawn from (seed, k) alone. */
static void draw_op(struct campaign *cp, uint64_t k, int32_t process, struct gen_op *g)
{
	struct prng prng;
	struct gen_ctx ctx = { .op_number = k, .process = process,
			       .node_count = cp->opts->node_count, .prng = &prng };
	enum gen_status status;

	prng_init(&prng, cp->opts->seed ^ (k + 1) * 0xbf58476d1ce4e5b9ull);
	status = gen_op(cp->sys->gen, &ctx, g);
	ASSERT(status == GEN_OP);       /* the generators always have an op */
	g->op.type = OP_INVOKE;
	g->op.process = process;
	g->note = (struct op_note){ .node = cluster_node_name(cp->cluster, g->node) };
	g->op.note = &g->note;
}

static void *client_thread_main(void *arg)
{
	struct client_thread *t = arg;
	struct campaign *cp = t->cp;
	const struct campaign_opts *o = cp->opts;
	int64_t interval = (int64_t)(1e9 / o->rate);
	int64_t deadline = cp->start_ns + (int64_t)(o->time_s * 1e9);
	int32_t process = (int32_t)t->slot;
	struct client_result *res = malloc(sizeof(*res));

	if (!res) {
		t->err = errbuf_set(&t->eb, -ENOMEM, "client %u: out of memory", t->slot);
		return NULL;
	}
	for (;;) {
		uint64_t k = sequence_take(&cp->sequence);
		int64_t due = cp->start_ns + (int64_t)k * interval;
		struct gen_op g;
		int recorded;

		/* Past the end, stop even if ops are still due: a stalled system would else
		 * be fed its whole backlog, one op timeout at a time. */
		if (due >= deadline || monotime_ns() >= deadline || campaign_stopping()) {
			sequence_close(&cp->sequence, k);
			break;
		}
		campaign_sleep_until(due);
		draw_op(cp, k, process, &g);
		recorded = sequence_record(cp, k, &g.op, &t->eb);
		if (recorded <= 0) {
			t->err = recorded;
			break;
		}
		t->err = complete(cp, system_thread_client(t->conns, g.node),
				  cluster_node_addr(cp->cluster, g.node), &g.op, res, &t->eb);
		if (t->err < 0)
			break;
		/* Jepsen: a process whose op is indeterminate never invokes again. */
		if (res->type == OP_INFO)
			process = (int32_t)atomic_fetch_add(&cp->next_process, 1);
	}
	if (t->err < 0)
		campaign_stop();
	free(res);
	return NULL;
}

int campaign_clients_start(struct campaign *cp, struct errbuf *eb)
{
	const struct campaign_opts *o = cp->opts;
	int err = 0;

	client_threads = calloc(o->concurrency, sizeof(*client_threads));
	if (!client_threads)
		return errbuf_set(eb, -ENOMEM, "out of memory for %u clients", o->concurrency);
	pthread_mutex_init(&cp->sequence.lock, NULL);
	pthread_cond_init(&cp->sequence.turn, NULL);
	cp->sequence.end = UINT64_MAX;
	atomic_store(&cp->next_process, (int_fast32_t)o->concurrency);
	for (client_threads_started = 0; client_threads_started < o->concurrency;
	     client_threads_started++) {
		struct client_thread *t = &client_threads[client_threads_started];

		t->cp = cp;
		t->slot = client_threads_started;
		err = system_thread_new(cp->sys, o->node_count, &t->conns, eb);
		if (err < 0)
			break;
		err = -pthread_create(&t->thread, NULL, client_thread_main, t);
		if (err < 0) {
			system_thread_free(t->conns);
			errbuf_set(eb, err, "cannot start client thread %u", t->slot);
			break;
		}
	}
	if (err < 0)
		campaign_stop();
	return err;
}

int campaign_clients_join(struct campaign *cp, struct errbuf *eb)
{
	int err = 0;

	for (uint32_t i = 0; i < client_threads_started; i++) {
		struct client_thread *t = &client_threads[i];

		pthread_join(t->thread, NULL);
		system_thread_free(t->conns);
		if (t->err < 0 && err == 0) {
			err = t->err;
			if (eb)
				*eb = t->eb;
		}
	}
	free(client_threads);
	client_threads = NULL;
	client_threads_started = 0;
	pthread_mutex_destroy(&cp->sequence.lock);
	pthread_cond_destroy(&cp->sequence.turn);
	return err;
}

/* The system's readiness probe, or else opening a client. Return: 0 or -errno. */
static int sys_ready(struct campaign *cp, struct client *probe, struct in_addr addr,
		     int64_t deadline, struct errbuf *eb)
{
	if (cp->sys->ops->ready)
		return cp->sys->ops->ready(cp->sys, addr, deadline, eb);
	return client_open(probe, addr, eb);
}

int campaign_wait_ready(struct campaign *cp, struct errbuf *eb)
{
	const struct campaign_opts *o = cp->opts;
	int64_t deadline = monotime_ns() + READY_TIMEOUT_NS;
	struct system_thread *probes = NULL;
	int err = system_thread_new(cp->sys, o->node_count, &probes, eb);

	for (uint32_t i = 0; i < o->node_count && err == 0; i++) {
		struct client *probe = system_thread_client(probes, i);
		struct in_addr addr = cluster_node_addr(cp->cluster, i);

		while ((err = sys_ready(cp, probe, addr, deadline, eb)) < 0) {
			if (!cluster_node_alive(cp->cluster, i)) {
				err = errbuf_set(eb, -ECHILD,
						 "node %s exited at start-up (see its log)",
						 cluster_node_name(cp->cluster, i));
				break;
			}
			if (monotime_ns() > deadline || campaign_stopping())
				break;
			campaign_sleep_until(monotime_ns() + 50000000);
		}
		client_close(probe);
	}
	system_thread_free(probes);
	return err;
}

/*
 * Probes every replica (unrecorded final reads) until no replica's state has changed for
 * QUIET_ROUNDS rounds, or the quiet timeout passes. Quiet is not convergence: a replica that
 * never hears from its peers is quiet too, and the checker judges what the final reads show.
 * A replica that takes no connection, or fails its reads, in all those rounds (one churn
 * crashed, or left down) is quiet as well: nothing of it can change; one that comes up is a
 * change.
 */
static bool wait_quiet(struct campaign *cp, struct system_thread *probes,
		       struct client_result *res)
{
	const struct campaign_opts *o = cp->opts;
	int64_t deadline = monotime_ns() + o->quiet_timeout_ns;
	uint64_t last[CLUSTER_NODES_MAX] = { 0 };
	struct op reads[SYSTEM_FINAL_READS_MAX];
	uint32_t stable = 0, nreads = cp->sys->ops->final_reads(cp->sys, reads,
								  SYSTEM_FINAL_READS_MAX);

	while (monotime_ns() < deadline) {
		bool same = true;

		for (uint32_t i = 0; i < o->node_count; i++) {
			struct client *probe = system_thread_client(probes, i);
			uint64_t digest = 0;

			if (client_open(probe, cluster_node_addr(cp->cluster, i), NULL) < 0)
				digest = QUIET_DOWN_DIGEST;
			for (uint32_t r = 0; r < nreads && client_connected(probe); r++) {
				if (client_invoke(probe, &reads[r], res, NULL) < 0)
					res->type = OP_FAIL;
				digest = digest * 31 + (res->type == OP_OK
							? cp->sys->ops->digest(res)
							: QUIET_DOWN_DIGEST + (uint64_t)res->type);
			}
			same &= digest == last[i];
			client_close(probe);
			last[i] = digest;
		}
		stable = same ? stable + 1 : 0;
		if (stable >= QUIET_ROUNDS)
			return true;
		/* Not campaign_sleep_until(): the final phase runs even after a stop request. */
		nanosleep(&(struct timespec){ .tv_nsec = QUIET_PROBE_NS }, NULL);
	}
	return false;
}

/*
 * Reads agreed by the replicas (pbft): nothing to wait for, but a read may time out while
 * the replicas recover (view change, state transfer); each key's read is retried, a new
 * process each time as after any info, until one is ok or the quiet timeout has passed
 * since the final heal. Whether that happened in time is the checker's liveness figure.
 */
static int agreed_final_reads(struct campaign *cp, struct system_thread *conns,
			      const struct op *reads, uint32_t nreads, struct client_result *res,
			      struct errbuf *eb)
{
	int64_t deadline = monotime_ns() + cp->opts->quiet_timeout_ns;
	struct client *conn = system_thread_client(conns, 0);
	int err = 0;

	cp->report->quiet = true;
	for (uint32_t r = 0; r < nreads && err == 0; r++) {
		do {
			struct op inv = reads[r];
			struct op_note note = { .node = cluster_node_name(cp->cluster, 0) };

			inv.type = OP_INVOKE;
			inv.final = true;
			inv.process = (int32_t)atomic_fetch_add(&cp->next_process, 1);
			inv.note = &note;
			err = perform(cp, conn, cluster_node_addr(cp->cluster, 0), &inv, res, eb);
		} while (err == 0 && res->type != OP_OK && monotime_ns() < deadline);
		cp->report->quiet &= res->type == OP_OK;
	}
	return err;
}

/*
 * The @nreads reads on every node, recorded: @final ones each under a new process, as
 * after any op; a snapshot's (not @final) all under one new process, so the checker can
 * tell the round they belong to. A process that got an info result may not invoke again,
 * so a snapshot round ends at its first info: it then lacks dumps and is not judged.
 */
static int read_every_node(struct campaign *cp, struct system_thread *conns,
			   const struct op *reads, uint32_t nreads, bool final,
			   struct client_result *res, struct errbuf *eb)
{
	int32_t round = (int32_t)atomic_fetch_add(&cp->next_process, 1);
	bool round_over = false;
	int err = 0;

	for (uint32_t i = 0; i < cp->opts->node_count && err == 0 && !round_over; i++) {
		struct client *conn = system_thread_client(conns, i);

		for (uint32_t r = 0; r < nreads && err == 0 && !round_over; r++) {
			struct op inv = reads[r];
			struct op_note note = { .node = cluster_node_name(cp->cluster, i) };

			inv.type = OP_INVOKE;
			inv.final = final;
			inv.process = final && (i || r)
				      ? (int32_t)atomic_fetch_add(&cp->next_process, 1) : round;
			inv.note = &note;
			err = perform(cp, conn, cluster_node_addr(cp->cluster, i), &inv, res, eb);
			round_over = !final && err == 0 && res->type == OP_INFO;
		}
		client_close(conn);
	}
	return err;
}

int campaign_final_reads(struct campaign *cp, struct errbuf *eb)
{
	const struct campaign_opts *o = cp->opts;
	struct client_result *res = malloc(sizeof(*res));
	struct system_thread *conns = NULL;
	struct op reads[SYSTEM_FINAL_READS_MAX];
	uint32_t nreads = cp->sys->ops->final_reads(cp->sys, reads, SYSTEM_FINAL_READS_MAX);
	int err = res ? system_thread_new(cp->sys, o->node_count, &conns, eb)
		      : errbuf_set(eb, -ENOMEM, "out of memory");

	if (err == 0 && cp->sys->ops->agreed_reads) {
		err = agreed_final_reads(cp, conns, reads, nreads, res, eb);
		system_thread_free(conns);
		free(res);
		return err;
	}
	if (err == 0) {
		if (cp->sys->settle_ns > 0)     /* the final phase runs even after a stop */
			nanosleep(&(struct timespec){ .tv_sec = cp->sys->settle_ns / 1000000000,
						      .tv_nsec = cp->sys->settle_ns % 1000000000 },
				  NULL);
		cp->report->quiet = wait_quiet(cp, conns, res);
		if (!cp->report->quiet)
			log_warn("replicas did not go quiet within %.1f s; taking final reads "
				 "anyway", (double)o->quiet_timeout_ns / 1e9);
	}
	if (err == 0)
		err = read_every_node(cp, conns, reads, nreads, true, res, eb);
	system_thread_free(conns);
	free(res);
	return err;
}

int campaign_snapshot(struct campaign *cp, struct errbuf *eb)
{
	struct client_result *res = malloc(sizeof(*res));
	struct system_thread *conns = NULL;
	struct op reads[SYSTEM_FINAL_READS_MAX];
	uint32_t nreads = cp->sys->ops->final_reads(cp->sys, reads, SYSTEM_FINAL_READS_MAX);
	int err = res ? system_thread_new(cp->sys, cp->opts->node_count, &conns, eb)
		      : errbuf_set(eb, -ENOMEM, "out of memory");

	if (err == 0)
		err = read_every_node(cp, conns, reads, nreads, false, res, eb);
	system_thread_free(conns);
	free(res);
	return err;
}
