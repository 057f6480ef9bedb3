/* SPDX-License-Identifier: MIT */
/* campaign.c - runs one campaign from cluster set-up to verdict; cleanup has one path. */
#include "campaign_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_cmd.h"
#include "cluster.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "monotime.h"
#include "nemesis.h"
#include "partition.h"

const struct campaign_opts campaign_defaults = {
	.system = "crdt",
	.model = CRDT_MODEL_GSET,
	.node_count = 5,
	.time_s = 20,
	.rate = 50,
	.concurrency = 10,
	.nemesis = "partition",
	.nemesis_interval_s = 3,
	.shapes = { "isolate", "halves", "bridge", "majorities-ring", "random", NULL },
	.store_root = "store",
	.op_timeout_ns = 1000000000ll,
	.quiet_timeout_ns = 15000000000ll,
};

static volatile sig_atomic_t stop_requested;

void campaign_stop(void)
{
	stop_requested = 1;
}

bool campaign_stopping(void)
{
	return stop_requested != 0;
}

int campaign_record(struct campaign *cp, struct op *op, struct errbuf *eb)
{
	int err = hist_writer_append(cp->writer, op, eb);

	/* The writer checks the same rules as the reader: a rejected op is a harness bug. */
	ASSERT(err != -EINVAL);
	return err;
}

struct progress {
	struct campaign *cp;
	pthread_t thread;
	atomic_bool done;
};

static void *progress_main(void *arg)
{
	struct progress *p = arg;
	struct campaign *cp = p->cp;

	while (!atomic_load(&p->done)) {
		struct timespec ts = { .tv_sec = 0, .tv_nsec = 250000000 };
		double elapsed = (double)(monotime_ns() - cp->start_ns) / 1e9;
		bool final = atomic_load(&cp->clients_done);

		fprintf(stderr, "\r%6.1fs/%gs  ok %" PRIuFAST64 "  fail %" PRIuFAST64
			"  info %" PRIuFAST64 "  %s%-16s", elapsed, cp->opts->time_s,
			atomic_load(&cp->ok), atomic_load(&cp->fail), atomic_load(&cp->info),
			final ? "final phase: heal, wait for quiet, final reads" : "fault: ",
			final ? "" : atomic_load(&cp->fault_name));
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "\n");
	return NULL;
}

static int start_nodes(struct campaign *cp, struct errbuf *eb)
{
	char log_path[HIST_PATH_BYTES_MAX + 64];

	for (uint32_t i = 0; i < cp->opts->node_count; i++) {
		int err;

		snprintf(log_path, sizeof(log_path), "%s/nodes/%s.log", cp->report->run_dir,
			 cluster_node_name(cp->cluster, i));
		err = db_start(&cp->db.base, cp->cluster, i, log_path, eb);
		if (err < 0)
			return errbuf_prefix(eb, err, "starting %s: ",
					     cluster_node_name(cp->cluster, i));
	}
	return 0;
}

/* The recorded part: clients and nemesis concurrently, final heal, quiet, final reads. */
static int run_workload(struct campaign *cp, struct errbuf *eb)
{
	char path[HIST_PATH_BYTES_MAX + 32];
	struct progress progress = { .cp = cp };
	bool with_nemesis = strcmp(cp->opts->nemesis, "none") != 0;
	pthread_t nemesis_thread;
	int err, err2;

	snprintf(path, sizeof(path), "%s/history.jsonl", cp->report->run_dir);
	cp->start_ns = monotime_ns();
	err = hist_writer_open(&cp->writer, path, cp->start_ns, eb);
	if (err < 0)
		return err;
	if (cp->opts->progress)
		pthread_create(&progress.thread, NULL, progress_main, &progress);
	if (with_nemesis)
		err = campaign_nemesis_start(cp, &nemesis_thread, eb);
	if (err == 0)
		err = campaign_clients_run(cp, eb);
	atomic_store(&cp->clients_done, true);
	if (with_nemesis) {
		err2 = campaign_nemesis_finish(cp, nemesis_thread, err < 0 ? NULL : eb);
		err = err < 0 ? err : err2;
	}
	if (err == 0)
		err = campaign_final_reads(cp, eb);
	if (cp->opts->progress) {
		atomic_store(&progress.done, true);
		pthread_join(progress.thread, NULL);
	}
	err2 = hist_writer_close(cp->writer);
	cp->writer = NULL;
	return err < 0 ? err : err2;
}

static int setup_nemesis(struct campaign *cp, struct errbuf *eb)
{
	int err;

	if (strcmp(cp->opts->nemesis, "none") == 0)
		return 0;
	ASSERT(strcmp(cp->opts->nemesis, "partition") == 0);
	err = nem_partition_new(&cp->nemesis, eb);
	if (err < 0)
		return err;
	return nem_setup(cp->nemesis, cp->cluster, eb);
}

static void teardown(struct campaign *cp)
{
	struct errbuf eb = { "" };

	if (cp->nemesis && nem_teardown(cp->nemesis, &eb) < 0)
		log_warn("nemesis teardown: %s", eb.msg);
	nem_partition_free(cp->nemesis);
	cp->nemesis = NULL;
	if (cluster_teardown(cp->cluster, &eb) < 0)
		log_warn("cluster teardown: %s", eb.msg);
	cp->cluster = NULL;
}

static int run_cluster(struct campaign *cp, struct errbuf *eb)
{
	const struct campaign_opts *o = cp->opts;
	char run_id[16];
	struct cluster_opts copts = { .node_count = o->node_count, .run_id = run_id,
				      .keep = o->keep };
	int err;

	/* The pid is unique among live runs, which is what names must be. */
	snprintf(run_id, sizeof(run_id), "%x", (unsigned)getpid() & 0xffffffu);
	err = cluster_setup(&cp->cluster, &copts, eb);
	if (err < 0)
		return err;
	err = campaign_config_write(cp, run_id, eb);
	if (err == 0)
		err = start_nodes(cp, eb);
	if (err == 0)
		err = setup_nemesis(cp, eb);
	if (err == 0)
		err = cluster_enter_switch(cp->cluster, eb);
	if (err == 0)
		err = campaign_wait_ready(cp, eb);
	if (err == 0)
		err = run_workload(cp, eb);
	teardown(cp);
	return err;
}

static void fill_report(struct campaign *cp)
{
	cp->report->ok = atomic_load(&cp->ok);
	cp->report->fail = atomic_load(&cp->fail);
	cp->report->info = atomic_load(&cp->info);
	cp->report->nemesis_ops = atomic_load(&cp->nemesis_ops);
	cp->report->interrupted = campaign_stopping();
}

int campaign_run(const struct campaign_opts *o, struct campaign_report *report,
		 struct errbuf *eb)
{
	static struct campaign cp;      /* one campaign per process; too big for the stack */
	struct check_result result;
	int err;

	ASSERT(o->node_count > 0 && o->node_count <= CLUSTER_NODES_MAX);
	ASSERT(o->concurrency > 0 && o->concurrency <= CAMPAIGN_CONCURRENCY_MAX);
	memset(&cp, 0, sizeof(cp));
	memset(report, 0, sizeof(*report));
	cp.opts = o;
	cp.report = report;
	atomic_store(&cp.fault_name, "none");
	snprintf(cp.object, sizeof(cp.object), "x");
	prng_init(&cp.prng, o->seed);
	crdt_gen_init(&cp.gen, o->model);
	printf("seed=%" PRIu64 "\n", o->seed);
	fflush(stdout);
	err = crdt_db_init(&cp.db, o->node_exe, o->bug, o->seed);
	if (err < 0)
		return errbuf_set(eb, err, "node binary path too long: %s", o->node_exe);
	err = hist_run_dir_create(o->store_root, o->system, o->seed, report->run_dir, eb);
	if (err < 0)
		return err;
	printf("run: %s\n", report->run_dir);
	fflush(stdout);
	err = run_cluster(&cp, eb);
	fill_report(&cp);
	if (err < 0)
		return err;
	printf("ops: %" PRIu64 " ok, %" PRIu64 " fail, %" PRIu64 " info; %" PRIu64
	       " nemesis ops; replicas %s before the final reads\n", report->ok, report->fail,
	       report->info, report->nemesis_ops,
	       report->quiet ? "went quiet" : "did NOT go quiet");
	err = check_run_dir(report->run_dir, o->model, true, &result, eb);
	if (err < 0)
		return err;
	report->verdict = result.verdict;
	check_result_fini(&result);
	printf("reproduce: ");
	campaign_print_reproduce(o, stdout);
	printf("run: %s\n", report->run_dir);
	return 0;
}
