/* SPDX-License-Identifier: MIT */
/* bench_chord_nodes.c - Chord figures from real chord-node processes talking UDP across
 * network namespaces (a cluster of up to 64, on its bridge; past 64 nodes several share
 * one) or over 127.0.0.1 (--loopback): lookup hops on rings of up to 256 nodes grown by
 * joins, lookup latency and throughput, and the time until a ring is ideal again after a
 * quarter more nodes join. Prints figures; asserts no timing. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chord.h"
#include "cli_parse.h"
#include "cluster.h"
#include "chord_load.h"
#include "chord_procs.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"
#include "prng.h"

enum {
	LIST_MAX = 8,                   /* sizes in one list option */
	NODES_MIN = 8,                  /* a base of r + 1 = 4 and as many joiners */
	CONVERGE_NODES_MAX = CPROCS_NODES_MAX * 4 / 5,  /* N + N/4 processes fit */
	LOOKUPS_DEFAULT = 2000,
	LOOKUPS_MAX = 1000000,
	HOPS_OUTSTANDING = 8,           /* section 1: lookups in flight (no hop count changes) */
	TICK_MS_DEFAULT = 10,           /* chord-node's own default */
	TICK_MS_MAX = 1000,
	POLL_MS_DEFAULT = 100,
	TIMEOUT_S_DEFAULT = 300,
	TIMEOUT_S_MAX = 3600,
	IDLE_MS = 1000,                 /* section 1: the nodes' CPU measured this long, quiet */
	PORT_FIRST_DEFAULT = 21000,
	EXIT_FAILED = 1,
	EXIT_USAGE = 64,
	EXIT_INTERNAL = 70,
	EXIT_INTERRUPTED = 130,
};

struct bench_opts {
	uint32_t sizes[LIST_MAX], size_count;           /* section 1 */
	uint32_t outstanding[LIST_MAX], outstanding_count;      /* section 2 */
	uint32_t converge[LIST_MAX], converge_count;    /* section 3 */
	uint32_t latency_nodes;
	uint32_t lookups, tick_ms, poll_ms, timeout_s, base;
	const char *bug, *exe, *sections;
	uint64_t seed;
	uint32_t port_first;
	bool keep_logs, loopback;
};

/* A run's shared state: the folder of the logs, the client socket, the seeded choices. */
struct bench {
	struct bench_opts o;
	char dir[CPROCS_PATH_BYTES_MAX];
	int fd;                         /* UDP, for the lookups */
	struct cluster *hosts;          /* the namespaces the nodes run in; NULL: loopback */
	struct prng prng;
	uint32_t failures;              /* rows that failed: the exit code */
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static double ns_s(int64_t ns)
{
	return (double)ns / 1e9;
}

static double target_hops(uint32_t nodes)
{
	return 0.5 * log2((double)nodes) + 0.5;
}

/* ---- Rings --------------------------------------------------------------------------- */

/* Start @count nodes, the first @members members (a base, the rest joining), the others
 * spares; NULL after printing why (and counting a failure). */
static struct cprocs *ring_start(struct bench *b, uint32_t count, uint32_t members,
				 const char *bug, int *err)
{
	const struct cprocs_opts co = {
		.exe = b->o.exe, .dir = b->dir, .count = count, .members = members,
		.base = b->o.base < members ? b->o.base : members, .tick_ms = b->o.tick_ms,
		.bug = bug, .port_first = b->o.port_first, .seed = b->o.seed, .stop = &stopping,
		.cluster = b->hosts,
	};
	struct errbuf eb = { "" };
	struct cprocs *c;

	*err = cprocs_start(&c, &co, &eb);
	if (*err == 0)
		return c;
	if (*err != -EINTR) {
		printf("  %" PRIu32 " nodes did not start: %s\n", count, eb.msg);
		b->failures++;
	}
	return NULL;
}

/* Wait for the ring (and its fingers, if @fingers) from @start_ns; print why it did not
 * become so, on a line of its own that names @what. */
static int ring_wait(struct bench *b, struct cprocs *c, bool fingers, int64_t start_ns,
		     const char *what, struct cprocs_times *t)
{
	int64_t deadline = monotime_ns() + b->o.timeout_s * 1000000000ll;
	struct errbuf eb = { "" };
	int err = cprocs_wait(c, fingers, start_ns, deadline, b->o.poll_ms, t, &eb);

	if (err == -ETIMEDOUT)
		printf("  %s: not %s after %" PRIu32 " s: %" PRIu32 " of %" PRIu32 " nodes off; "
		       "%s\n", what, fingers ? "ideal" : "a ring", b->o.timeout_s,
		       fingers ? t->last.ideal_bad : t->last.ring_bad, c->opts.count,
		       fingers ? t->last.why_ideal : t->last.why_ring);
	else if (err < 0 && err != -EINTR)
		printf("  %s: %s\n", what, eb.msg);
	return err;
}

/* @b->o.lookups lookups with @outstanding in flight on @c. */
static int lookups(struct bench *b, struct cprocs *c, uint32_t outstanding,
		   struct cload_stats *st)
{
	return cload_run(c, b->fd, &b->prng, &stopping, b->o.lookups, outstanding, st);
}

/* ---- Section 1: hops ----------------------------------------------------------------- */

/* The cores @c's nodes use over IDLE_MS with nobody asking them anything; -1: interrupted. */
static double idle_cores(struct cprocs *c)
{
	int64_t start = monotime_ns(), end = start + IDLE_MS * 1000000ll, now;
	double cpu = cprocs_cpu_s(c);

	while (!stopping && (now = monotime_ns()) < end) {
		struct timespec pause = { .tv_nsec = (long)(end - now) };

		nanosleep(&pause, NULL);
	}
	if (stopping)
		return -1;
	return (cprocs_cpu_s(c) - cpu) / ns_s(monotime_ns() - start);
}

static void hops_print(struct cload_stats *st, uint32_t nodes)
{
	uint32_t max = 0;

	for (uint32_t h = 0; h <= CLOAD_HOPS_MAX; h++) {
		if (st->hops[h])
			max = h;
	}
	printf(" %7" PRIu32 " %6.3f %4u %4u %4u %6.3f %-4s %5" PRIu32 " %6" PRIu32 " %4" PRIu32,
	       st->sent, cload_hops_mean(st), cload_hops_quantile(st, 0.5),
	       cload_hops_quantile(st, 0.99), max, target_hops(nodes),
	       cload_hops_mean(st) <= target_hops(nodes) ? "ok" : "OVER", st->wrong, st->failed,
	       st->lost);
}

/* One row: @n nodes, a base and joiners (with @bug, if any), ready, then the lookups. A
 * bug build that never becomes a ring still gets its lookups ("never"). */
static int hops_row(struct bench *b, uint32_t n, const char *bug)
{
	struct cload_stats st = { 0 };
	struct cprocs_times t;
	struct cprocs *c;
	char what[48];
	double up_s, idle = 0;
	int err;

	c = ring_start(b, n, n, bug, &err);
	if (!c)
		return err == -EINTR ? err : 0;
	up_s = ns_s(monotime_ns() - c->started_ns);
	snprintf(what, sizeof(what), "%" PRIu32 " nodes, %s", n, bug ? bug : "correct");
	err = ring_wait(b, c, !bug, c->started_ns, what, &t);
	if (err == 0 || (err == -ETIMEDOUT && bug)) {
		idle = idle_cores(c);
		err = idle < 0 ? -EINTR : lookups(b, c, HOPS_OUTSTANDING, &st);
	}
	if (err == 0) {
		printf("%6" PRIu32 " %-14s %6.2f", n, bug ? bug : "correct", up_s);
		if ((bug ? t.ring_ns : t.ideal_ns) >= 0)
			printf(" %7.2f", ns_s(bug ? t.ring_ns : t.ideal_ns));
		else
			printf(" %7s", "never");
		hops_print(&st, n);
		printf(" %5.2f %5.2f\n", idle, st.cpu_s / st.seconds);
		if (!bug)
			b->failures += st.wrong + st.failed + st.lost > 0;
	} else if (err != -EINTR && !bug) {
		b->failures++;
	}
	cload_free(&st);
	cprocs_stop(c, b->o.keep_logs);
	return err == -EINTR ? err : 0;
}

static int section_hops(struct bench *b)
{
	printf("\n1. Hops: N chord-node processes (where: above), a base of %" PRIu32 " (--base),"
	       " the others\n   joining at once; up = every node listens, ready = every state"
	       " line exact\n   (correct build: pred, successor list and 32 fingers; a --bug "
	       "build: pred\n   and successor list), both from the first spawn. Then %" PRIu32
	       " lookups of\n   random keys from random nodes, %d in flight. idle: the nodes' "
	       "CPU seconds per\n   second over %d ms with no lookups; cpu: the same during the "
	       "lookups.\n", b->o.base, b->o.lookups, HOPS_OUTSTANDING, IDLE_MS);
	printf("%6s %-14s %6s %7s %7s %6s %4s %4s %4s %6s %-4s %5s %6s %4s %5s %5s\n",
	       "nodes", "build", "up s", "ready s", "lookups", "mean", "p50", "p99", "max",
	       "target", "", "wrong", "failed", "lost", "idle", "cpu");
	for (uint32_t z = 0; z < b->o.size_count; z++) {
		if (hops_row(b, b->o.sizes[z], NULL) < 0)
			return -EINTR;
		if (b->o.bug && hops_row(b, b->o.sizes[z], b->o.bug) < 0)
			return -EINTR;
	}
	return 0;
}

/* ---- Section 2: latency -------------------------------------------------------------- */

static int section_latency(struct bench *b)
{
	uint32_t n = b->o.latency_nodes;
	struct cprocs_times t;
	struct cprocs *c;
	int err;

	printf("\n2. Latency: a ring of %" PRIu32 " nodes, once ideal; %" PRIu32 " lookups per "
	       "row in a closed loop\n   with K in flight; µs from the request's send to its "
	       "reply (ok ones).\n", n, b->o.lookups);
	printf("%6s %4s %7s %9s %7s %7s %7s %6s %5s %6s %4s %5s\n", "nodes", "K", "lookups",
	       "lookups/s", "p50 µs", "p99 µs", "max µs", "mean", "wrong", "failed", "lost",
	       "cpu");
	c = ring_start(b, n, n, NULL, &err);
	if (!c)
		return err == -EINTR ? err : 0;
	err = ring_wait(b, c, true, c->started_ns, "latency ring", &t);
	for (uint32_t k = 0; err == 0 && k < b->o.outstanding_count; k++) {
		struct cload_stats st = { 0 };

		err = lookups(b, c, b->o.outstanding[k], &st);
		if (err == 0) {
			printf("%6" PRIu32 " %4" PRIu32 " %7" PRIu32 " %9.0f %7" PRIu32 " %7" PRIu32
			       " %7" PRIu32 " %6.3f %5" PRIu32 " %6" PRIu32 " %4" PRIu32 " %5.2f\n",
			       n, b->o.outstanding[k], st.sent, st.ok / st.seconds,
			       cload_latency_quantile(&st, 0.5), cload_latency_quantile(&st, 0.99),
			       cload_latency_quantile(&st, 1.0), cload_hops_mean(&st), st.wrong,
			       st.failed, st.lost, st.cpu_s / st.seconds);
			b->failures += st.wrong + st.failed + st.lost > 0;
		}
		cload_free(&st);
	}
	if (err < 0 && err != -EINTR)
		b->failures++;
	cprocs_stop(c, b->o.keep_logs);
	return err == -EINTR ? err : 0;
}

/* ---- Section 3: convergence ---------------------------------------------------------- */

static int converge_row(struct bench *b, uint32_t n)
{
	uint32_t joiners = n / 4;
	struct errbuf eb = { "" };
	struct cprocs_times t;
	struct cprocs *c;
	char what[48];
	double start_s = 0, cpu = 0;
	int64_t start = 0;
	int err;

	c = ring_start(b, n + joiners, n, NULL, &err);
	if (!c)
		return err == -EINTR ? err : 0;
	snprintf(what, sizeof(what), "%" PRIu32 " nodes before the joins", n);
	err = ring_wait(b, c, true, c->started_ns, what, &t);
	if (err == 0) {
		start_s = ns_s(t.ideal_ns);
		cpu = cprocs_cpu_s(c);
		start = monotime_ns();
		err = cprocs_join(c, &eb);
		if (err < 0)
			printf("  %s: %s\n", what, eb.msg);
	}
	snprintf(what, sizeof(what), "%" PRIu32 " nodes after %" PRIu32 " joins", n, joiners);
	if (err == 0)
		err = ring_wait(b, c, true, start, what, &t);
	if (err == 0)
		printf("%6" PRIu32 " %7" PRIu32 " %7.2f %7.2f %8.2f %6" PRIu32 " %5.2f\n", n,
		       joiners, start_s, ns_s(t.ring_ns), ns_s(t.ideal_ns), t.rounds,
		       (cprocs_cpu_s(c) - cpu) / ns_s(monotime_ns() - start));
	if (err < 0 && err != -EINTR)
		b->failures++;
	cprocs_stop(c, b->o.keep_logs);
	return err == -EINTR ? err : 0;
}

static int section_converge(struct bench *b)
{
	printf("\n3. Convergence: a ring of N, once ideal (start s, from the first spawn), then "
	       "N/4\n   spares are told \"join\" at once; seconds until every node's pred and "
	       "successor\n   list are exact over all 5N/4 (ring s), and the fingers too (ideal "
	       "s); state\n   lines every %" PRIu32 " ms (rounds); cpu over the joins.\n",
	       b->o.poll_ms);
	printf("%6s %7s %7s %7s %8s %6s %5s\n", "nodes", "joiners", "start s", "ring s",
	       "ideal s", "rounds", "cpu");
	for (uint32_t z = 0; z < b->o.converge_count; z++) {
		if (converge_row(b, b->o.converge[z]) < 0)
			return -EINTR;
	}
	return 0;
}

/* ---- Options and main ---------------------------------------------------------------- */

static const struct bench_opts bench_defaults = {
	.sizes = { 16, 32, 64, 128, 256 }, .size_count = 5,
	.outstanding = { 1, 4, 16 }, .outstanding_count = 3,
	.converge = { 64 }, .converge_count = 1,
	.latency_nodes = 64, .lookups = LOOKUPS_DEFAULT, .tick_ms = TICK_MS_DEFAULT,
	.poll_ms = POLL_MS_DEFAULT, .timeout_s = TIMEOUT_S_DEFAULT, .base = CPROCS_SUCC_R + 1,
	.exe = CHORD_NODE_EXE, .sections = "123", .seed = 20261207,
	.port_first = PORT_FIRST_DEFAULT,
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench-chord-nodes [--sizes N,..] [--lookups L] [--latency-nodes N]\n"
		"         [--outstanding K,..] [--converge N,..] [--sections 123] [--bug NAME]\n"
		"         [--base K] [--tick-ms MS] [--poll-ms MS] [--timeout-s S] [--seed S]\n"
		"         [--port-first P] [--node-exe PATH] [--keep-logs] [--loopback]\n"
		"  --sizes N,..       section 1's rings, %d..%d nodes (default 16,32,64,128,256)\n"
		"  --lookups L        lookups per row, 1..%d (default %d)\n"
		"  --latency-nodes N  section 2's ring (default 64)\n"
		"  --outstanding K,.. section 2's lookups in flight, 1..%d (default 1,4,16)\n"
		"  --converge N,..    section 3's rings before N/4 join, %d..%d (default 64)\n"
		"  --sections LIST    the sections to run (default 123)\n"
		"  --bug NAME         section 1 also runs every size with chord-node --bug NAME\n"
		"  --base K           chord-node --base: the stable base, 4..256 (default 4: r+1)\n"
		"  --tick-ms MS       chord-node --gossip-ms, 1..%d (default %d)\n"
		"  --poll-ms MS       state lines every MS while waiting (default %d)\n"
		"  --timeout-s S      a ring not ideal after S s fails (default %d)\n"
		"  --seed S           keys and origins (default %" PRIu64 ")\n"
		"  --port-first P     node ports probed from P up to %d (default %d)\n"
		"  --node-exe PATH    chord-node (default the build's)\n"
		"  --keep-logs        keep the nodes' logs and print their folder\n"
		"  --loopback         nodes on 127.0.0.1 here, not in %d network namespaces on a\n"
		"                     bridge (which needs root; past %d nodes several share one)\n"
		"exit: 0 figures printed; %d a node did not start or died, a correct ring was\n"
		"not ideal in time, or a lookup on it was wrong, failed or lost; %d usage; %d\n"
		"internal error; %d interrupted (every node is stopped either way)\n",
		NODES_MIN, CPROCS_NODES_MAX, LOOKUPS_MAX, LOOKUPS_DEFAULT, CLOAD_OUTSTANDING_MAX,
		NODES_MIN, CONVERGE_NODES_MAX, TICK_MS_MAX, TICK_MS_DEFAULT, POLL_MS_DEFAULT,
		TIMEOUT_S_DEFAULT, bench_defaults.seed, CPROCS_PORT_LAST, PORT_FIRST_DEFAULT,
		CLUSTER_NODES_MAX, CLUSTER_NODES_MAX, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL,
		EXIT_INTERRUPTED);
}

static int parse_u32(const char *text, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (cli_parse_u64_in(text, min, max, &v) < 0)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* "A,B,C" into @out[LIST_MAX], each in [@min, @max]. Return: 0, or -EINVAL. */
static int parse_list(const char *text, uint32_t min, uint32_t max, uint32_t *out,
		      uint32_t *count)
{
	char buf[128], *save = NULL;

	if (snprintf(buf, sizeof(buf), "%s", text) >= (int)sizeof(buf))
		return -EINVAL;
	*count = 0;
	for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (*count == LIST_MAX || parse_u32(item, min, max, &out[*count]) < 0)
			return -EINVAL;
		(*count)++;
	}
	return *count ? 0 : -EINVAL;
}

static int parse_opt(int opt, const char *arg, struct bench_opts *o)
{
	uint32_t bug;

	switch (opt) {
	case 'z':
		return parse_list(arg, NODES_MIN, CPROCS_NODES_MAX, o->sizes, &o->size_count);
	case 'l':
		return parse_u32(arg, 1, LOOKUPS_MAX, &o->lookups);
	case 'L':
		return parse_u32(arg, NODES_MIN, CPROCS_NODES_MAX, &o->latency_nodes);
	case 'k':
		return parse_list(arg, 1, CLOAD_OUTSTANDING_MAX, o->outstanding,
				  &o->outstanding_count);
	case 'c':
		return parse_list(arg, NODES_MIN, CONVERGE_NODES_MAX, o->converge,
				  &o->converge_count);
	case 'S':
		o->sections = arg;
		return strspn(arg, "123") == strlen(arg) ? 0 : -EINVAL;
	case 'b':
		o->bug = arg;
		return chord_bug_parse(arg, &bug);
	case 'B':
		return parse_u32(arg, CPROCS_SUCC_R + 1, CPROCS_NODES_MAX, &o->base);
	case 't':
		return parse_u32(arg, 1, TICK_MS_MAX, &o->tick_ms);
	case 'p':
		return parse_u32(arg, 1, 10000, &o->poll_ms);
	case 'T':
		return parse_u32(arg, 1, TIMEOUT_S_MAX, &o->timeout_s);
	case 's':
		return cli_parse_u64_in(arg, 0, UINT64_MAX, &o->seed);
	case 'P':
		return parse_u32(arg, 1024, CPROCS_PORT_LAST, &o->port_first);
	case 'x':
		o->exe = arg;
		return 0;
	case 'K':
		o->keep_logs = true;
		return 0;
	case 'o':
		o->loopback = true;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Return: 0; 1 for --help; -EINVAL. */
static int parse_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "sizes", required_argument, NULL, 'z' },
		{ "lookups", required_argument, NULL, 'l' },
		{ "latency-nodes", required_argument, NULL, 'L' },
		{ "outstanding", required_argument, NULL, 'k' },
		{ "converge", required_argument, NULL, 'c' },
		{ "sections", required_argument, NULL, 'S' },
		{ "bug", required_argument, NULL, 'b' },
		{ "base", required_argument, NULL, 'B' },
		{ "tick-ms", required_argument, NULL, 't' },
		{ "poll-ms", required_argument, NULL, 'p' },
		{ "timeout-s", required_argument, NULL, 'T' },
		{ "seed", required_argument, NULL, 's' },
		{ "port-first", required_argument, NULL, 'P' },
		{ "node-exe", required_argument, NULL, 'x' },
		{ "keep-logs", no_argument, NULL, 'K' },
		{ "loopback", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	*o = bench_defaults;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (opt == 'h')
			return 1;
		if (parse_opt(opt, optarg, o) < 0)
			return -EINVAL;
	}
	return optind == argc ? 0 : -EINVAL;
}

/*
 * The namespaces (unless --loopback): one per node up to CLUSTER_NODES_MAX, each with its
 * address on the cluster's bridge, and this process in the switch namespace, where the
 * lookups leave from. Before any thread starts. Return: 0 or -errno (printed).
 */
static int hosts_open(struct bench *b)
{
	struct cluster_opts opts = { .node_count = CLUSTER_NODES_MAX };
	struct errbuf eb = { "" };
	char run_id[CLUSTER_RUN_ID_CHARS_MAX + 1];
	int err;

	if (b->o.loopback)
		return 0;
	snprintf(run_id, sizeof(run_id), "bc%x", (unsigned)getpid() & 0xffffu);
	opts.run_id = run_id;
	err = cluster_setup(&b->hosts, &opts, &eb);
	if (err == 0)
		err = cluster_enter_switch(b->hosts, &eb);
	if (err < 0)
		fprintf(stderr, "bench-chord-nodes: namespaces: %s (root needed; or --loopback)\n",
			eb.msg);
	return err;
}

/* The folder of the logs and the client's UDP socket. Return: 0 or -errno (printed). */
static int bench_open(struct bench *b)
{
	in_addr_t where = b->hosts ? INADDR_ANY : INADDR_LOOPBACK;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(where) };
	int bytes = 1 << 20;

	snprintf(b->dir, sizeof(b->dir), "/tmp/bench-chord-nodes-XXXXXX");
	if (!mkdtemp(b->dir)) {
		fprintf(stderr, "bench-chord-nodes: mkdtemp: %s\n", strerror(errno));
		return -errno;
	}
	b->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (b->fd < 0 || bind(b->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "bench-chord-nodes: UDP socket: %s\n", strerror(errno));
		return -errno;
	}
	setsockopt(b->fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	return 0;
}

static void bench_close(struct bench *b)
{
	struct errbuf eb = { "" };

	if (b->fd >= 0)
		close(b->fd);
	if (b->hosts && cluster_teardown(b->hosts, &eb) < 0)
		fprintf(stderr, "bench-chord-nodes: teardown: %s\n", eb.msg);
	if (b->o.keep_logs)
		printf("node logs kept in %s\n", b->dir);
	else if (b->dir[0])
		rmdir(b->dir);
}

/* "machine: 2 CPUs online, load average 0.40 0.78 0.73" at the start. */
static void print_machine(void)
{
	double load[3] = { -1, -1, -1 };
	FILE *f = fopen("/proc/loadavg", "re");

	if (f) {
		if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
			load[0] = load[1] = load[2] = -1;
		fclose(f);
	}
	printf("machine: %ld CPUs online, load average %.2f %.2f %.2f\n",
	       sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1], load[2]);
}

static int bench_run(struct bench *b)
{
	int err = hosts_open(b);

	if (err == 0)
		err = bench_open(b);
	if (err < 0)
		return err;
	print_machine();
	if (b->hosts)
		printf("where: node i in network namespace i mod %u (10.77.0.x on one bridge; "
		       "one node each up to %u)\n", CLUSTER_NODES_MAX, CLUSTER_NODES_MAX);
	else
		printf("where: every node on 127.0.0.1 (--loopback)\n");
	printf("chord-node: %s; 32-bit ids chord_hash(\"n1\" ..), r = %d, tick %" PRIu32
	       " ms (--gossip-ms)\n", b->o.exe, CPROCS_SUCC_R, b->o.tick_ms);
	if (strchr(b->o.sections, '1'))
		err = section_hops(b);
	if (err == 0 && strchr(b->o.sections, '2'))
		err = section_latency(b);
	if (err == 0 && strchr(b->o.sections, '3'))
		err = section_converge(b);
	return err;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct bench b = { .fd = -1 };
	struct prng root;
	int64_t start = monotime_ns();
	int err = parse_opts(argc, argv, &b.o);

	if (err) {
		usage(err > 0 ? stdout : stderr);
		return err > 0 ? 0 : EXIT_USAGE;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("seed=%" PRIu64 "\n", b.o.seed);
	prng_init(&root, b.o.seed);
	prng_split(&root, 1, &b.prng);
	err = bench_run(&b);
	bench_close(&b);
	printf("\ntotal %.1f s; %" PRIu32 " row(s) failed\n", ns_s(monotime_ns() - start),
	       b.failures);
	if (err == -EINTR) {
		fprintf(stderr, "bench-chord-nodes: interrupted; every node stopped\n");
		return EXIT_INTERRUPTED;
	}
	if (err < 0)
		return EXIT_INTERNAL;
	return b.failures ? EXIT_FAILED : 0;
}
