/* SPDX-License-Identifier: MIT */
/* campaign.c - runs one campaign from cluster set-up to verdict; cleanup has one path. */
#include "campaign_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "campaign_clients.h"
#include "campaign_config.h"
#include "campaign_nemesis.h"
#include "capture.h"
#include "check_dir.h"
#include "clock.h"
#include "cluster.h"
#include "errbuf.h"
#include "fault.h"
#include "fl_assert.h"
#include "log.h"
#include "monotime.h"
#include "nemesis.h"

const struct campaign_opts campaign_defaults = {
	.node_count = 0,                /* the system's default */
	.time_s = 20,
	.rate = 50,
	.concurrency = 10,
	.faults = { { NEM_F_PARTITION, 3, 1 } },
	.fault_count = 1,
	.nemesis_interval_s = 3,
	.shapes = { "isolate", "halves", "bridge", "majorities-ring", "random", NULL },
	.store_root = "store",
	.capture = true,
	.capture_bytes_max = 64ull << 20,
	.op_timeout_ns = 1000000000ll,
	.quiet_timeout_ns = 15000000000ll,
};

static void active_fault_names(const struct system_desc *system, uint32_t faults, char *out,
			       size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (uint32_t bit = 1; bit && used < size; bit <<= 1) {
		const struct fault_kind *k = faults & bit ? fault_of(system, bit) : NULL;
		const char *name = k ? k->name : NULL;

		if (name)
			used += (size_t)snprintf(out + used, size - used, "%s%s", used ? "," : "",
						 name);
	}
	if (!out[0])
		snprintf(out, size, "none");
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
		char faults[96];

		active_fault_names(cp->opts->system, atomic_load(&cp->active_faults), faults,
				   sizeof(faults));
		fprintf(stderr, "\r%6.1fs/%gs  ok %" PRIuFAST64 "  fail %" PRIuFAST64
			"  info %" PRIuFAST64 "  %s%-24s", elapsed, cp->opts->time_s,
			atomic_load(&cp->ok), atomic_load(&cp->fail), atomic_load(&cp->info),
			final ? "final phase: heal, wait for quiet, final reads" : "faults: ",
			final ? "" : faults);
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "\n");
	return NULL;
}

static int start_nodes(struct campaign *cp, struct errbuf *eb)
{
	for (uint32_t i = 0; i < cp->opts->node_count; i++) {
		int err = campaign_start_node(cp, i, eb);

		if (err < 0)
			return errbuf_prefix(eb, err, "starting %s: ",
					     cluster_node_name(cp->cluster, i));
		campaign_crash_point("node started");
	}
	return 0;
}

/*
 * The recorded part: clients in their threads while this thread runs the fault schedule;
 * then the final heal, the wait for quiet replicas and the final reads.
 */
static int run_workload(struct campaign *cp, struct errbuf *eb)
{
	char path[HIST_PATH_BYTES_MAX + 32];
	struct progress progress = { .cp = cp };
	int err, err2;

	hist_run_file(path, sizeof(path), cp->report->run_dir, HIST_RUN_HISTORY);
	cp->start_ns = monotime_ns();
	err = hist_writer_open(&cp->writer, path, cp->start_ns, eb);
	if (err < 0)
		return err;
	campaign_crash_point("history opened");
	err = campaign_record_start_faults(cp, eb);
	if (err < 0) {
		hist_writer_close(cp->writer);
		cp->writer = NULL;
		return err;
	}
	if (cp->opts->progress)
		pthread_create(&progress.thread, NULL, progress_main, &progress);
	err = campaign_clients_start(cp, eb);
	if (err == 0)
		err = campaign_schedule_run(cp, eb);
	err2 = campaign_clients_join(cp, err < 0 ? NULL : eb);
	err = err < 0 ? err : err2;
	atomic_store(&cp->clients_done, true);
	campaign_crash_point("clients joined");
	if (err == 0)
		err = campaign_final_heal(cp, eb);
	if (err == 0)
		err = campaign_final_reads(cp, eb);
	campaign_crash_point("final reads");
	if (cp->opts->progress) {
		atomic_store(&progress.done, true);
		pthread_join(progress.thread, NULL);
	}
	err2 = hist_writer_close(cp->writer);
	cp->writer = NULL;
	return err < 0 ? err : err2;
}

static int start_capture(struct campaign *cp, struct errbuf *eb)
{
	struct capture_opts copts = { .bytes_max = cp->opts->capture_bytes_max };
	char path[HIST_PATH_BYTES_MAX + 32];

	if (!cp->opts->capture)
		return 0;
	hist_run_file(path, sizeof(path), cp->report->run_dir, HIST_RUN_CAPTURE);
	return capture_start(&cp->capture, cp->cluster, path, &copts, eb);
}

static void stop_capture(struct campaign *cp)
{
	struct capture_stats stats = { 0 };
	struct errbuf eb = { "" };

	if (!cp->capture)
		return;
	if (capture_stop(cp->capture, &stats, &eb) < 0)
		log_warn("capture: %s", eb.msg);
	cp->capture = NULL;
	cp->report->captured_packets = stats.packets;
	cp->report->capture_capped = stats.capped;
}

static void teardown(struct campaign *cp)
{
	struct errbuf eb = { "" };

	/* Before the namespaces go: a vanishing interface would end its capture silently. */
	stop_capture(cp);
	campaign_nemesis_teardown(cp);
	campaign_crash_point("nemesis torn down");
	if (cluster_teardown(cp->cluster, &eb) < 0)
		log_warn("cluster teardown: %s", eb.msg);
	cp->cluster = NULL;
	campaign_crash_point("cluster torn down");
}

/*
 * The descriptors a campaign holds: per node, each client thread's connection, the probe's,
 * its namespace, switch-port link, time namespace and capture handle; then a fixed few
 * (history, capture file, eBPF objects, netlink sockets). With 64 nodes and the default 10
 * clients that passes the usual soft limit of 1024, so the soft limit is raised to what the
 * run needs, as far as the hard limit allows.
 */
static void nofile_raise(const struct campaign_opts *o)
{
	rlim_t want = (rlim_t)(o->concurrency + 5) * o->node_count + 128, had;
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) < 0 || r.rlim_cur >= want)
		return;
	had = r.rlim_cur;
	r.rlim_cur = r.rlim_max != RLIM_INFINITY && r.rlim_max < want ? r.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &r) < 0)
		r.rlim_cur = had;
	if (r.rlim_cur < want)
		log_warn("open files: %llu allowed, the run may need %llu (ulimit -n)",
			 (unsigned long long)r.rlim_cur, (unsigned long long)want);
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
	nofile_raise(o);
	err = cluster_setup(&cp->cluster, &copts, eb);
	if (err < 0)
		return err;
	if (cp->sys->ops->attach) {
		err = cp->sys->ops->attach(cp->sys, cp->cluster, eb);
		if (err < 0) {
			teardown(cp);
			return err;
		}
	}
	if (o->keep) {
		printf("keep: run id %s (namespaces fl-%s-*; faults by hand: faultline nemesis "
		       "--run %s partition --for 10)\n", run_id, run_id, run_id);
		fflush(stdout);
	}
	campaign_crash_point("cluster set up");
	/* The nemesis first: the clock nemesis makes what the nodes start under. */
	err = start_capture(cp, eb);
	if (err == 0)
		err = campaign_nemesis_setup(cp, eb);
	campaign_crash_point("nemesis set up");
	if (err == 0)
		err = start_nodes(cp, eb);
	if (err == 0)
		err = campaign_config_write(cp, run_id, eb);
	if (err == 0)
		err = cluster_enter_switch(cp->cluster, eb);
	if (err == 0)
		err = campaign_wait_ready(cp, eb);
	campaign_crash_point("nodes ready");
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

/* Prints the run's figures, checks its history and prints the verdict's context. */
static int report_and_check(struct campaign *cp, struct errbuf *eb)
{
	const struct campaign_opts *o = cp->opts;
	struct campaign_report *report = cp->report;
	struct check_result result;
	int err;

	if (o->capture)
		printf("capture: %" PRIu64 " packets in capture.pcapng%s\n",
		       report->captured_packets,
		       report->capture_capped ? " (cut at the size cap)" : "");
	printf("ops: %" PRIu64 " ok, %" PRIu64 " fail, %" PRIu64 " info; %" PRIu64
	       " nemesis ops; %s\n", report->ok, report->fail, report->info,
	       report->nemesis_ops, cp->sys->ops->agreed_reads
	       ? (report->quiet ? "every final read completed" : "a final read did NOT complete")
	       : (report->quiet ? "replicas went quiet before the final reads"
				: "replicas did NOT go quiet before the final reads"));
	campaign_crash_point("before the check");
	err = check_run_dir_model(report->run_dir, cp->sys->check_model, true, &result, eb);
	report->verdict = result.verdict;
	check_result_fini(&result);
	if (err < 0)
		return err;
	printf("reproduce: ");
	campaign_print_reproduce(o, stdout);
	printf("run: %s\n", report->run_dir);
	return 0;
}

int campaign_run(const struct campaign_opts *o, struct campaign_report *report,
		 struct errbuf *eb)
{
	static struct campaign cp;      /* one campaign per process; too big for the stack */
	char data_root[HIST_PATH_BYTES_MAX + 8];
	int err;

	ASSERT(o->node_count > 0 && o->node_count <= CLUSTER_NODES_MAX);
	ASSERT(o->concurrency > 0 && o->concurrency <= CAMPAIGN_CONCURRENCY_MAX);
	memset(&cp, 0, sizeof(cp));
	memset(report, 0, sizeof(*report));
	cp.opts = o;
	cp.report = report;
	ASSERT(o->system && o->system_opts);
	prng_init(&cp.prng, o->seed);
	printf("seed=%" PRIu64 "\n", o->seed);
	fflush(stdout);
	err = hist_run_dir_create(o->store_root, o->system->name, o->seed, report->run_dir, eb);
	if (err < 0)
		return err;
	hist_run_file(data_root, sizeof(data_root), report->run_dir, HIST_RUN_NODES);
	err = o->system->make(o, data_root, &cp.sys, eb);
	if (err < 0)
		return err;
	campaign_crash_point("run directory made");
	printf("run: %s\n", report->run_dir);
	fflush(stdout);
	err = run_cluster(&cp, eb);
	fill_report(&cp);
	if (err == 0)
		err = report_and_check(&cp, eb);
	system_free(cp.sys);
	cp.sys = NULL;
	return err;
}
