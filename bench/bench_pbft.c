/* SPDX-License-Identifier: MIT */
/* bench_pbft.c - KV throughput and latency of pbft-node in namespaces: a 4-replica PBFT
 * cluster (n1..n4), an unreplicated node (n5), a 4-replica cluster on the fast path
 * (n6..n9: --tentative, reads as READ-ONLY, 2f+1 matching replies) and the plain cluster
 * again with --data-dir (n10..n13: promises written before they leave, as in campaigns),
 * measured in one run by one closed-loop, single-threaded load of sealed UDP requests from
 * the switch namespace. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "cluster.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "line_conn.h"
#include "monotime.h"
#include "pbft_evlog.h"
#include "pbft_limits.h"
#include "pbft_load.h"
#include "pbft_promise_file.h"
#include "pbft_wire.h"

enum {
	NODES = 13,
	REPLICAS = LOAD_REPLICAS_MAX,   /* n1..n4: PBFT, f = 1 */
	UNREP_NODE = 4,                 /* n5: --unreplicated */
	FAST_FIRST = 5,                 /* n6..n9: PBFT on the fast path */
	DURABLE_FIRST = 9,              /* n10..n13: PBFT with --data-dir (promises) */
	TARGETS = 4,                    /* pbft, unreplicated, pbft fast, pbft durable */
	NODE_TEXTS = REPLICAS + 4,      /* node_argv()'s texts */
	PHASES = 2 * TARGETS,           /* each target at C clients, then at 1 */
	SECONDS_MAX = 3600,
	WARMUP_MS = 1000,
	SLICE_MS = 100,                 /* the 1-client phases take turns this long */
	STATUS_PORT = 7000,
	GOSSIP_PORT = 7001,
	READY_MS = 5000,
	GOAL_OPS_PER_S = 20000,
	PATH_BYTES_MAX = 512,
	LINE_BYTES_MAX = 512,
	EXIT_USAGE = 64,
	EXIT_INTERNAL = 70,
};
#define GOAL_LATENCY_RATIO 2.0

struct bench_opts {
	uint32_t clients;               /* 1..PBFT_CLIENTS_MAX */
	uint32_t seconds;
	uint32_t batch_max;             /* 1..PBFT_BATCH_MAX */
	const char *node_exe;
};

struct figures {
	const char *target;
	uint32_t clients;
	uint64_t ops, retransmits, reads;
	double ops_per_s, mean_us, p50_us, p99_us, read_mean_us, write_mean_us;
};

struct bench {
	struct bench_opts opts;
	struct cluster *cluster;
	char log_dir[64];
	char secret_hex[2 * PBFT_SECRET_BYTES + 1];
	uint8_t secret[PBFT_SECRET_BYTES];
	struct load *load;              /* its socket is in the switch namespace */
	struct load_target targets[TARGETS];
	struct load_phase phases[PHASES];       /* target i % TARGETS; C clients, then 1 */
	struct figures figures[PHASES];
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: bench-pbft [--clients N] [--seconds S] [--batch-max B]"
		" [--node-exe PATH]\n"
		"Builds a %d-node cluster in namespaces (needs root): pbft-node on n1..n4 as a\n"
		"4-replica PBFT cluster, n5 --unreplicated, n6..n9 a 4-replica cluster on the\n"
		"fast path (--tentative; reads sent as READ-ONLY, resent in order if no 2f+1\n"
		"match). Then drives a closed loop of N clients (default %d, at most %d;\n"
		"write/read on %d keys; a write to the primary, a read on the fast path to\n"
		"every replica; done at f+1 matching authentic replies, 2f+1 on the fast path;\n"
		"resent to every replica after %d ms) against each in turn: %d ms of warm-up,\n"
		"then S seconds (default 5). Then with 1 client, the three taking turns of %d\n"
		"ms for S seconds each, so that the latency ratios compare like with like.\n"
		"--batch-max: pbft-node's (default %d). --node-exe: default\n"
		"../nodes/pbft/pbft-node beside this program. The nodes run on the CPUs this\n"
		"program may use (printed; `taskset -c LIST bench-pbft` to choose them).\n"
		"Prints figures and the goals; asserts nothing.\n"
		"Exit codes: 0 done, 64 usage, 70 internal or system error.\n", NODES,
		PBFT_CLIENTS_MAX, PBFT_CLIENTS_MAX, LOAD_KEYS, LOAD_RETRANSMIT_MS, WARMUP_MS,
		SLICE_MS, PBFT_BATCH_MAX);
}

/* parse_u32() - a whole decimal in [@min, @max]. Return: 0 or -EINVAL. */
static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* cpus_print() - the CPUs the nodes and the load may run on (they inherit this process's
 * affinity, so `taskset -c 0 bench-pbft` measures on one): the latency ratios depend on
 * them, since at 1 client a PBFT op keeps more processes busy than there are CPUs here. */
static void cpus_print(void)
{
	cpu_set_t set;
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		printf("cpus: %ld online (affinity unknown: %s)\n", online, strerror(errno));
	else
		printf("cpus: %d of %ld online\n", CPU_COUNT(&set), online);
}

/* default_node_exe() - ../nodes/pbft/pbft-node beside this program, as faultline finds it. */
static const char *default_node_exe(char *buf, size_t size)
{
	char self[PATH_BYTES_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return "pbft-node";
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return "pbft-node";
	*slash = '\0';
	if (snprintf(buf, size, "%s/../nodes/pbft/pbft-node", self) >= (int)size)
		return "pbft-node";
	return buf;
}

static int parse_opts(int argc, char **argv, struct bench_opts *o, char *exe, size_t size)
{
	static const struct option longs[] = {
		{ "clients", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "batch-max", required_argument, NULL, 'B' },
		{ "node-exe", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, err = 0;

	*o = (struct bench_opts){ .clients = PBFT_CLIENTS_MAX, .seconds = 5,
				  .batch_max = PBFT_BATCH_MAX };
	while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1 && err == 0) {
		if (opt == 'c')
			err = parse_u32(optarg, 1, PBFT_CLIENTS_MAX, &o->clients);
		else if (opt == 's')
			err = parse_u32(optarg, 1, SECONDS_MAX, &o->seconds);
		else if (opt == 'B')
			err = parse_u32(optarg, 1, PBFT_BATCH_MAX, &o->batch_max);
		else if (opt == 'x')
			o->node_exe = optarg;
		else if (opt == 'h')
			return 1;
		else
			err = -EINVAL;
	}
	if (err == 0 && optind < argc)
		err = -EINVAL;
	if (!o->node_exe)
		o->node_exe = default_node_exe(exe, size);
	return err;
}

/* --- the cluster --- */

static void target_init(struct bench *b, struct load_target *t, const char *name,
			uint32_t first, uint32_t n)
{
	struct in_addr addrs[REPLICAS];

	for (uint32_t j = 0; j < n; j++)
		addrs[j] = cluster_node_addr(b->cluster, first + j);
	load_target_init(t, name, addrs, n, GOSSIP_PORT, b->secret);
}

/* node_argv() - pbft-node's command line for @node into @argv, its texts in @text. */
static void node_argv(const struct bench *b, uint32_t node, char *argv[CLUSTER_ARGS_MAX],
		      char text[NODE_TEXTS][PATH_BYTES_MAX])
{
	uint32_t argc = 0, k = 0;
	bool unrep = node == UNREP_NODE, durable = node >= DURABLE_FIRST;
	bool fast = node >= FAST_FIRST && !durable;
	uint32_t first = fast ? FAST_FIRST : durable ? DURABLE_FIRST : 0;
	uint32_t id = unrep ? 0 : node - first;
	struct in_addr addr;

	argv[argc++] = (char *)b->opts.node_exe;
	if (unrep)
		argv[argc++] = "--unreplicated";
	if (fast)
		argv[argc++] = "--tentative";
	if (durable) {
		snprintf(text[k], PATH_BYTES_MAX, "%s/n%u.data", b->log_dir, node + 1);
		argv[argc++] = "--data-dir";
		argv[argc++] = text[k++];
	}
	snprintf(text[k], PATH_BYTES_MAX, "%u", id);
	argv[argc++] = "--id";
	argv[argc++] = text[k++];
	argv[argc++] = "--replicas";
	argv[argc++] = unrep ? "1" : "4";
	addr = cluster_node_addr(b->cluster, node);
	inet_ntop(AF_INET, &addr, text[k], PATH_BYTES_MAX);
	argv[argc++] = "--listen";
	argv[argc++] = text[k++];
	argv[argc++] = "--secret";
	argv[argc++] = (char *)b->secret_hex;
	snprintf(text[k], PATH_BYTES_MAX, "%u", b->opts.batch_max);
	argv[argc++] = "--batch-max";
	argv[argc++] = text[k++];
	for (uint32_t j = 0; j < REPLICAS && !unrep; j++) {
		char peer[INET_ADDRSTRLEN];

		if (j == id)
			continue;
		addr = cluster_node_addr(b->cluster, first + j);
		inet_ntop(AF_INET, &addr, peer, sizeof(peer));
		snprintf(text[k], PATH_BYTES_MAX, "%u=%s", j, peer);
		argv[argc++] = "--peer";
		argv[argc++] = text[k++];
	}
	ASSERT(k <= NODE_TEXTS && argc < CLUSTER_ARGS_MAX);
	argv[argc] = NULL;
}

static int nodes_start(struct bench *b, struct errbuf *eb)
{
	for (uint32_t node = 0; node < NODES; node++) {
		static char text[NODE_TEXTS][PATH_BYTES_MAX];
		char *argv[CLUSTER_ARGS_MAX], log[PATH_BYTES_MAX];
		int err;

		node_argv(b, node, argv, text);
		snprintf(log, sizeof(log), "%s/%s.log", b->log_dir,
			 cluster_node_name(b->cluster, node));
		err = cluster_node_start(b->cluster, node, argv, log, eb);
		if (err)
			return err;
	}
	return 0;
}

/* nodes_ready() - every node's TCP status port accepts a connection. */
static int nodes_ready(struct bench *b, struct errbuf *eb)
{
	int64_t deadline = monotime_ns() + (int64_t)READY_MS * 1000000;
	char buf[8];

	for (uint32_t node = 0; node < NODES && !stopping; node++) {
		struct line_conn conn;
		int err = -ECONNREFUSED;

		line_conn_init(&conn, STATUS_PORT, buf, sizeof(buf));
		while (err < 0 && monotime_ns() < deadline && !stopping) {
			err = line_conn_open(&conn, cluster_node_addr(b->cluster, node), deadline,
					     eb);
			if (err < 0)
				usleep(20000);
		}
		line_conn_close(&conn);
		if (err < 0)
			return errbuf_set(eb, err, "%s (pbft-node) not up in %d ms; see %s",
					  cluster_node_name(b->cluster, node), READY_MS,
					  b->log_dir);
		if (!cluster_node_alive(b->cluster, node))
			return errbuf_set(eb, -ECHILD, "%s exited; see %s",
					  cluster_node_name(b->cluster, node), b->log_dir);
	}
	return stopping ? -EINTR : 0;
}

/* status_print() - each node's status line, for the counters behind the figures. */
static void status_print(struct bench *b)
{
	char buf[LINE_BYTES_MAX];
	struct errbuf eb = { "" };

	for (uint32_t node = 0; node < NODES; node++) {
		int64_t deadline = monotime_ns() + 1000000000ll;
		struct in_addr addr = cluster_node_addr(b->cluster, node);
		struct line_conn conn;
		ssize_t n = -1;

		line_conn_init(&conn, STATUS_PORT, buf, sizeof(buf));
		if (line_conn_open(&conn, addr, deadline, &eb) == 0 &&
		    line_conn_send(&conn, "status\n", 7, deadline) == 0)
			n = line_conn_recv(&conn, deadline);
		printf("  %s status: %s\n", cluster_node_name(b->cluster, node),
		       n >= 0 ? buf : "(no answer)");
		line_conn_close(&conn);
	}
}

/* --- figures --- */

static void phase_figures(const struct load_phase *p, struct figures *f)
{
	uint64_t writes = p->ops - p->reads;

	*f = (struct figures){ .target = p->t->name, .clients = p->clients, .ops = p->ops,
			       .retransmits = p->retransmits, .reads = p->reads };
	if (p->measured_ns > 0)
		f->ops_per_s = (double)p->ops * 1e9 / (double)p->measured_ns;
	if (p->ops == 0)
		return;
	f->mean_us = (double)p->latency_sum_ns / (double)p->ops / 1000.0;
	f->p50_us = load_percentile_us(p, 0.50);
	f->p99_us = load_percentile_us(p, 0.99);
	if (p->reads > 0)
		f->read_mean_us = (double)p->read_latency_sum_ns / (double)p->reads / 1000.0;
	if (writes > 0)
		f->write_mean_us = (double)(p->latency_sum_ns - p->read_latency_sum_ns) /
				   (double)writes / 1000.0;
}

static void figures_print(const struct figures *f)
{
	printf("%-13s %7u %10.0f %10.1f %10.0f %10.0f %10.1f %10.1f %11" PRIu64 " %10" PRIu64
	       "\n", f->target, f->clients, f->ops_per_s, f->mean_us, f->p50_us, f->p99_us,
	       f->read_mean_us, f->write_mean_us, f->retransmits, f->ops);
	fflush(stdout);
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* goal_print() - throughput and the latency ratio to unreplicated of PBFT target @t. */
static void goal_print(const struct bench *b, uint32_t t)
{
	const struct figures *many = &b->figures[t], *one = &b->figures[TARGETS + t];
	const struct figures *unrep_many = &b->figures[1], *unrep_one = &b->figures[TARGETS + 1];
	double r_many = ratio(many->mean_us, unrep_many->mean_us);
	double r_one = ratio(one->mean_us, unrep_one->mean_us);

	printf("%s: throughput >= %d ops/s: %s (%.0f ops/s at %u clients); latency <= %.0fx "
	       "unreplicated at 1 client: %s (mean %.2fx; reads %.2fx, writes %.2fx); at %u "
	       "clients %.2fx\n", many->target, GOAL_OPS_PER_S,
	       many->ops_per_s >= GOAL_OPS_PER_S ? "met" : "NOT met", many->ops_per_s,
	       many->clients, GOAL_LATENCY_RATIO,
	       one->ops > 0 && r_one > 0 && r_one <= GOAL_LATENCY_RATIO ? "met" : "NOT met",
	       r_one, ratio(one->read_mean_us, unrep_one->read_mean_us),
	       ratio(one->write_mean_us, unrep_one->write_mean_us), many->clients, r_many);
}

/* goals_print() - the goals, for the plain and the fast path. The latency goal is read at
 * 1 client, where latency is the protocol's; with C closed-loop clients every target is
 * saturated and its mean latency is C / throughput, so that ratio is the throughput ratio
 * (printed too). */
static void goals_print(const struct bench *b)
{
	const struct figures *plain = &b->figures[0], *durable = &b->figures[3];
	const struct figures *plain_one = &b->figures[TARGETS], *durable_one =
		&b->figures[TARGETS + 3];

	goal_print(b, 0);
	goal_print(b, 2);
	printf("promises (pbft durable / pbft n=4): mean latency at 1 client %.2fx (writes "
	       "%.2fx); throughput at %u clients %.2fx\n",
	       ratio(durable_one->mean_us, plain_one->mean_us),
	       ratio(durable_one->write_mean_us, plain_one->write_mean_us), plain->clients,
	       ratio(durable->ops_per_s, plain->ops_per_s));
}

/* phases_run() - each target at C clients in turn; then the three at 1 client taking turns
 * of SLICE_MS (after a warm-up each), so that a drift in the machine's speed (other load,
 * frequency) falls on all three alike. Return: 0, or -EINTR. */
static int phases_run(struct bench *b)
{
	int64_t warmup_ns = (int64_t)WARMUP_MS * 1000000, slice_ns = (int64_t)SLICE_MS * 1000000;
	uint32_t slices = b->opts.seconds * 1000 / SLICE_MS;
	int err = 0;

	for (uint32_t i = 0; i < TARGETS && err == 0; i++)
		err = load_run(b->load, &b->phases[i], warmup_ns,
			       (int64_t)b->opts.seconds * 1000000000, &stopping);
	for (uint32_t k = 0; k < slices && err == 0; k++) {
		for (uint32_t i = TARGETS; i < PHASES && err == 0; i++)
			err = load_run(b->load, &b->phases[i], k == 0 ? warmup_ns : 0, slice_ns,
				       &stopping);
	}
	return err;
}

static int load_report(struct bench *b)
{
	int err = 0;

	for (uint32_t i = 0; i < PHASES && err == 0; i++)
		err = load_phase_init(&b->phases[i], &b->targets[i % TARGETS],
				      i < TARGETS ? b->opts.clients : 1);
	if (err == -ENOMEM)
		fprintf(stderr, "bench-pbft: out of memory for the latency histograms\n");
	if (err == 0)
		err = phases_run(b);
	if (err == 0) {
		printf("%-13s %7s %10s %10s %10s %10s %10s %10s %11s %10s\n", "target",
		       "clients", "ops/s", "mean_us", "p50_us", "p99_us", "read_us", "write_us",
		       "retransmits", "ops");
		for (uint32_t i = 0; i < PHASES; i++) {
			phase_figures(&b->phases[i], &b->figures[i]);
			figures_print(&b->figures[i]);
		}
		goals_print(b);
		status_print(b);
	}
	for (uint32_t i = 0; i < PHASES; i++)
		load_phase_free(&b->phases[i]);
	return err;
}

/* --- set-up and teardown --- */

static int secret_make(struct bench *b, struct errbuf *eb)
{
	if (sodium_init() < 0)
		return errbuf_set(eb, -ENOMEM, "sodium_init");
	randombytes_buf(b->secret, sizeof(b->secret));
	for (uint32_t i = 0; i < PBFT_SECRET_BYTES; i++)
		snprintf(b->secret_hex + 2 * i, 3, "%02x", b->secret[i]);
	return 0;
}

static int bench_setup(struct bench *b, struct errbuf *eb)
{
	struct cluster_opts opts = { .node_count = NODES };
	char run_id[16];
	int err;

	snprintf(run_id, sizeof(run_id), "bp%x", (unsigned)getpid() & 0xffff);
	opts.run_id = run_id;
	err = secret_make(b, eb);
	if (err == 0)
		err = cluster_setup(&b->cluster, &opts, eb);
	if (err)
		return err;
	printf("cluster %s: n1..n4 pbft-node (n = 4, f = 1, batch-max %u), n5 --unreplicated, "
	       "n6..n9 pbft-node --tentative, n10..n13 pbft-node --data-dir; %s\n", run_id,
	       b->opts.batch_max, b->opts.node_exe);
	cpus_print();
	target_init(b, &b->targets[0], "pbft n=4", 0, REPLICAS);
	target_init(b, &b->targets[1], "unreplicated", UNREP_NODE, 1);
	target_init(b, &b->targets[2], "pbft fast", FAST_FIRST, REPLICAS);
	b->targets[2].fast = true;
	target_init(b, &b->targets[3], "pbft durable", DURABLE_FIRST, REPLICAS);
	err = nodes_start(b, eb);
	if (err == 0)
		err = cluster_enter_switch(b->cluster, eb);
	if (err == 0)
		err = nodes_ready(b, eb);
	if (err == 0)
		err = load_new(&b->load, eb);
	return err;
}

/* logs_remove() - the node logs and their directory (kept after an error, for a look). */
static void logs_remove(struct bench *b)
{
	char path[PATH_BYTES_MAX];

	static const char *const data_files[] = { PBFT_EVLOG_NAME, PBFT_PROMISE_FILE_NAME,
						  "state" };

	for (uint32_t node = 0; node < NODES; node++) {
		snprintf(path, sizeof(path), "%s/n%u.log", b->log_dir, node + 1);
		unlink(path);
		for (size_t f = 0; f < sizeof(data_files) / sizeof(data_files[0]); f++) {
			snprintf(path, sizeof(path), "%s/n%u.data/%s", b->log_dir, node + 1,
				 data_files[f]);
			unlink(path);
		}
		snprintf(path, sizeof(path), "%s/n%u.data", b->log_dir, node + 1);
		rmdir(path);
	}
	rmdir(b->log_dir);
}

static int bench_run(struct bench *b)
{
	struct errbuf eb = { "" };
	int err;

	snprintf(b->log_dir, sizeof(b->log_dir), "/tmp/bench-pbft-XXXXXX");
	if (!mkdtemp(b->log_dir)) {
		fprintf(stderr, "bench-pbft: mkdtemp: %s\n", strerror(errno));
		return -errno;
	}
	err = bench_setup(b, &eb);
	if (err && err != -EINTR)
		fprintf(stderr, "bench-pbft: setup: %s: %s\n", eb.msg, strerror(-err));
	if (err == 0)
		err = load_report(b);
	if (err == -EINTR)
		fprintf(stderr, "bench-pbft: interrupted\n");
	load_free(b->load);
	if (cluster_teardown(b->cluster, &eb))
		fprintf(stderr, "bench-pbft: teardown: %s\n", eb.msg);
	if (err == 0 || err == -EINTR)
		logs_remove(b);
	else
		fprintf(stderr, "bench-pbft: node logs kept in %s\n", b->log_dir);
	return err;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char exe[PATH_BYTES_MAX];
	struct bench *b = calloc(1, sizeof(*b));
	int err;

	if (!b)
		return EXIT_INTERNAL;
	err = parse_opts(argc, argv, &b->opts, exe, sizeof(exe));
	if (err) {
		usage(err > 0 ? stdout : stderr);
		free(b);
		return err > 0 ? 0 : EXIT_USAGE;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench-pbft: needs root (namespaces)\n");
		free(b);
		return EXIT_INTERNAL;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	err = bench_run(b);
	free(b);
	return err == 0 ? 0 : err == -EINTR ? 130 : EXIT_INTERNAL;
}
