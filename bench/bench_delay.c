/* SPDX-License-Identifier: MIT */
/* bench_delay.c - accuracy and throughput of the nfqueue delayer on a 2-node cluster. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "errbuf.h"
#include "monotime.h"
#include "nemesis.h"
#include "nfqueue.h"
#include "prng.h"
#include "qdisc.h"
#include "udp_rtt.h"

enum {
	NODE_A = 0,                     /* n1: answers */
	NODE_B = 1,                     /* n2: asks */
	PINGS = 50,
	PING_TIMEOUT_MS = 1000,
	READY_TRIES = 30,
	FLOOD_PACKETS = 200000,
	FLOOD_PAYLOAD_BYTES = 1000,
	FLOOD_QUIET_MS = 500,
	FLOOD_BUDGET_MS = 5000,        /* the flood stops after 5 s, whatever was sent */
	EXIT_FAILURE_INTERNAL = 70,
};
#define MS 1e6
#define DELAY_NS (50ll * 1000000)
#define TOLERANCE_NS (2ll * 1000000)

struct bench {
	struct cluster *cluster;
	struct nemesis *nem;
	struct prng prng;
	int client_fd, server_fd, flood_fd;
	struct sockaddr_in server, flood;
};

static int bench_invoke(struct bench *b, const char *f, const struct nem_params *params)
{
	struct nem_request request = { .f = f, .params = params };
	struct nem_completion completion;
	struct errbuf eb = { "" };
	int err;

	err = nem_invoke(b->nem, &request, &b->prng, &completion, &eb);
	if (err)
		fprintf(stderr, "bench-delay: %s: %s: %s\n", f, eb.msg, strerror(-err));
	else
		printf("  %s -> %s\n", f, completion.value);
	return err;
}

static int sockets_open(struct bench *b)
{
	struct in_addr a = cluster_node_addr(b->cluster, NODE_A);
	struct in_addr any = { .s_addr = htonl(INADDR_ANY) };
	int64_t rtt;
	int i;

	b->server_fd = udp_open_in(cluster_node_ns_fd(b->cluster, NODE_A), a, UDP_RTT_PORT);
	b->flood_fd = udp_open_in(cluster_node_ns_fd(b->cluster, NODE_A), a, UDP_BURST_PORT);
	b->client_fd = udp_open_in(cluster_node_ns_fd(b->cluster, NODE_B), any, 0);
	if (b->server_fd < 0 || b->flood_fd < 0 || b->client_fd < 0)
		return -EIO;
	b->server = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr = a,
					  .sin_port = htons(UDP_RTT_PORT) };
	b->flood = b->server;
	b->flood.sin_port = htons(UDP_BURST_PORT);
	for (i = 0; i < READY_TRIES; i++) {     /* fresh veths: carrier comes up late */
		if (udp_rtt_sample(b->client_fd, b->server_fd, b->server, 1, 100, &rtt) == 1)
			return 0;
	}
	return -ETIMEDOUT;
}

/* Prints min/median/max of PINGS ping-pongs; *median_ns < 0 if none was answered. */
static void rtt_report(struct bench *b, const char *label, int64_t *median_ns)
{
	int64_t rtt[PINGS], min, max;
	uint32_t answered;

	udp_rtt_sample(b->client_fd, b->server_fd, b->server, PINGS, PING_TIMEOUT_MS, rtt);
	answered = udp_rtt_stats(rtt, PINGS, &min, median_ns, &max);
	printf("%-28s rtt min %8.3f  median %8.3f  max %8.3f ms  (%u/%d answered)\n", label,
	       (double)min / MS, (double)*median_ns / MS, (double)max / MS, answered, PINGS);
}

static int bench_rtt(struct bench *b)
{
	struct nem_params p = { .delay_ns = DELAY_NS };
	int64_t base, delayed, error;

	rtt_report(b, "baseline (rule, no fault)", &base);
	p.pairs[NODE_A] = 1ull << NODE_B;       /* n2 -> n1 only: one direction */
	if (bench_invoke(b, "start-delay", &p))
		return -EIO;
	rtt_report(b, "delay 50 ms n2->n1", &delayed);
	if (base < 0 || delayed < 0)
		return -EIO;
	error = delayed - base - DELAY_NS;
	printf("delay error vs 50 ms: median - base - 50 = %+.3f ms (target +-2 ms): %s\n",
	       (double)error / MS, error >= -TOLERANCE_NS && error <= TOLERANCE_NS ? "ok" : "MISS");
	printf("median - 50 ms (base included) = %+.3f ms\n", (double)(delayed - DELAY_NS) / MS);
	return bench_invoke(b, "stop-delay", NULL);
}

static int bench_flood(struct bench *b, int64_t delay_ns)
{
	struct nem_params p = { .delay_ns = delay_ns };
	struct delayer_counters before, after;
	uint32_t received;
	int64_t start, elapsed;
	double seconds;

	if (bench_invoke(b, delay_ns ? "start-delay" : "stop-delay", &p))
		return -EIO;
	nem_nfqueue_counters(b->nem, &before);
	start = monotime_ns();
	received = udp_burst(b->client_fd, b->flood_fd, b->flood, FLOOD_PACKETS,
			     FLOOD_PAYLOAD_BYTES, FLOOD_QUIET_MS, FLOOD_BUDGET_MS, NULL);
	elapsed = monotime_ns() - start;
	if (received < FLOOD_PACKETS)
		elapsed -= (int64_t)FLOOD_QUIET_MS * 1000000;
	nem_nfqueue_counters(b->nem, &after);
	seconds = (double)elapsed / 1e9;
	printf("flood delay %2" PRId64 " ms: %u/%d received in %.3f s: %.0f packets/s, "
	       "%.1f Mbit/s (%d-byte payloads)\n", delay_ns / 1000000, received, FLOOD_PACKETS,
	       seconds, received / seconds, received * FLOOD_PAYLOAD_BYTES * 8.0 / seconds / 1e6,
	       FLOOD_PAYLOAD_BYTES);
	printf("  delayer: seen %" PRIu64 " held %" PRIu64 " passed %" PRIu64
	       " overflowed %" PRIu64 " held_max %" PRIu64 " verdict_errors %" PRIu64
	       "; fail-open past the delayer ~%" PRId64 "\n",
	       after.seen - before.seen, after.held - before.held, after.passed - before.passed,
	       after.overflowed - before.overflowed, after.held_max,
	       after.verdict_errors - before.verdict_errors,
	       (int64_t)received - (int64_t)(after.seen - before.seen));
	return bench_invoke(b, "stop-delay", NULL);
}

/* The same one-way 50 ms RTT with netem on switch port p1 (towards n1), where netem exists. */
static void bench_netem(struct bench *b)
{
	struct nem_params p = { .delay_ns = DELAY_NS };
	struct nemesis *nem = NULL;
	struct errbuf eb = { "" };
	int64_t delayed;
	int err;

	err = nem_netem_probe(b->cluster, &eb);
	if (err == -EOPNOTSUPP) {
		printf("netem: unavailable on this kernel\n");
		return;
	}
	if (err) {
		printf("netem: probe failed: %s: %s\n", eb.msg, strerror(-err));
		return;
	}
	err = nem_qdisc_netem_new(&nem, &eb);
	if (!err)
		err = nem_setup(nem, b->cluster, &eb);
	if (err) {
		printf("netem: setup failed: %s: %s\n", eb.msg, strerror(-err));
		nem_free(nem);
		return;
	}
	p.pairs[NODE_A] = 1ull << NODE_B;
	b->nem = nem;
	if (!bench_invoke(b, "start-delay", &p)) {
		rtt_report(b, "netem delay 50 ms n2->n1", &delayed);
		printf("netem: median - 50 ms (base included) = %+.3f ms\n",
		       (double)(delayed - DELAY_NS) / MS);
	}
	b->nem = NULL;
	nem_free(nem);
}

static int bench_run(struct bench *b, uint64_t seed)
{
	struct cluster_opts opts = { .node_count = 2 };
	struct errbuf eb = { "" };
	char run_id[16];
	int err;

	snprintf(run_id, sizeof(run_id), "bd%x", (unsigned)getpid() & 0xffff);
	opts.run_id = run_id;
	err = cluster_setup(&b->cluster, &opts, &eb);
	if (err) {
		fprintf(stderr, "bench-delay: cluster_setup: %s: %s\n", eb.msg, strerror(-err));
		return err;
	}
	err = nem_nfqueue_new(&b->nem, seed, &eb);
	if (!err)
		err = nem_setup(b->nem, b->cluster, &eb);
	if (!err)
		err = sockets_open(b);
	if (err)
		fprintf(stderr, "bench-delay: setup: %s: %s\n", eb.msg, strerror(-err));
	if (!err)
		err = bench_rtt(b);
	if (!err)
		err = bench_flood(b, 0);
	if (!err)
		err = bench_flood(b, 10 * 1000000ll);
	nem_free(b->nem);       /* netem is measured without the NFQUEUE rule */
	b->nem = NULL;
	if (!err)
		bench_netem(b);
	cluster_teardown(b->cluster, NULL);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench b = { .client_fd = -1, .server_fd = -1, .flood_fd = -1 };
	uint64_t seed = 1;
	int opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt != 's') {
			fprintf(stderr, "usage: bench-delay [--seed N]\n"
				"  needs root; exit 0 ok, 64 usage, 70 error\n");
			return 64;
		}
		seed = strtoull(optarg, NULL, 0);
	}
	printf("seed=%" PRIu64 "\n", seed);
	if (geteuid() != 0) {
		fprintf(stderr, "bench-delay: needs root (namespaces, iptables, NFQUEUE)\n");
		return EXIT_FAILURE_INTERNAL;
	}
	prng_init(&b.prng, seed);
	return bench_run(&b, seed) ? EXIT_FAILURE_INTERNAL : 0;
}
