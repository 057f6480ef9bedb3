/* SPDX-License-Identifier: MIT */
/* test_nfqueue_netns.c - the nfqueue nemesis on real namespaces: delay, reorder, teardown. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "errbuf.h"
#include "iptables.h"
#include "nemesis.h"
#include "netns_probe.h"
#include "nfqueue.h"
#include "prng.h"
#include "udp_rtt.h"

enum {
	NODES = 3,
	PINGS = 15,
	PING_TIMEOUT_MS = 1000,
	BURST = 100,
	READY_TRIES = 30,
	READY_TIMEOUT_MS = 100,
	NODE_A = 0,                     /* n1: answers */
	NODE_B = 1,                     /* n2: asks */
};
#define MS 1000000ll
#define DELAY_50_ALL                                                                   \
	"{\"backend\":\"nfqueue\",\"delay_ms\":50,\"jitter_ms\":0,\"pairs\":\"all\"}"

/* One cluster, the nemesis on it, and UDP sockets: a client in B, a server in A. */
struct rig {
	struct cluster *cluster;
	struct nemesis *nem;
	struct prng prng;
	int client_fd, server_fd, burst_fd;
	struct sockaddr_in server, burst;
};

static void skip_unless_netns(void)
{
	const char *why = netns_skip_reason();

	if (why)
		cr_skip_test("%s", why);
}

static void rig_sockets(struct rig *r)
{
	struct in_addr a = cluster_node_addr(r->cluster, NODE_A);
	struct in_addr any = { .s_addr = htonl(INADDR_ANY) };

	r->server_fd = udp_open_in(cluster_node_ns_fd(r->cluster, NODE_A), a, UDP_RTT_PORT);
	r->burst_fd = udp_open_in(cluster_node_ns_fd(r->cluster, NODE_A), a, UDP_BURST_PORT);
	r->client_fd = udp_open_in(cluster_node_ns_fd(r->cluster, NODE_B), any, 0);
	cr_assert_geq(r->server_fd, 0);
	cr_assert_geq(r->burst_fd, 0);
	cr_assert_geq(r->client_fd, 0);
	r->server = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr = a,
					  .sin_port = htons(UDP_RTT_PORT) };
	r->burst = r->server;
	r->burst.sin_port = htons(UDP_BURST_PORT);
}

/*
 * Fresh veths report carrier through the kernel's linkwatch, up to a second after setup;
 * until then a packet may vanish. Wait for one ping to come back before measuring.
 */
static void rig_ready(struct rig *r)
{
	int64_t rtt;
	int tries;

	for (tries = 0; tries < READY_TRIES; tries++) {
		if (udp_rtt_sample(r->client_fd, r->server_fd, r->server, 1, READY_TIMEOUT_MS,
				   &rtt) == 1)
			return;
	}
	cr_assert_fail("no ping answered in %d ms after setup", READY_TRIES * READY_TIMEOUT_MS);
}

static void rig_up(struct rig *r, const char *tag)
{
	struct cluster_opts opts = { .node_count = NODES };
	struct errbuf eb = { "" };
	char run_id[16];
	int err;

	skip_unless_netns();
	memset(r, 0, sizeof(*r));
	snprintf(run_id, sizeof(run_id), "%s%x", tag, (unsigned)getpid() & 0xffff);
	opts.run_id = run_id;
	err = cluster_setup(&r->cluster, &opts, &eb);
	cr_assert_eq(err, 0, "cluster_setup: %s (%d)", eb.msg, err);
	cr_assert_eq(nem_nfqueue_new(&r->nem, 42, &eb), 0);
	err = nem_setup(r->nem, r->cluster, &eb);
	cr_assert_eq(err, 0, "nfqueue setup: %s (%d)", eb.msg, err);
	prng_init(&r->prng, 42);
	rig_sockets(r);
	rig_ready(r);
}

static void rig_down(struct rig *r)
{
	struct errbuf eb = { "" };

	close(r->client_fd);
	close(r->server_fd);
	close(r->burst_fd);
	cr_assert_eq(nem_teardown(r->nem, &eb), 0, "teardown: %s", eb.msg);
	nem_free(r->nem);
	cr_assert_eq(cluster_teardown(r->cluster, &eb), 0, "cluster_teardown: %s", eb.msg);
}

/* A lost ping fails the test; this says which and what the delayer saw, for the flake log. */
static void losses_explain(struct rig *r, const int64_t *rtt)
{
	struct delayer_counters k;
	uint32_t i;

	for (i = 0; i < PINGS; i++) {
		if (rtt[i] < 0)
			fprintf(stderr, "ping %u lost\n", i);
	}
	nem_nfqueue_counters(r->nem, &k);
	fprintf(stderr, "delayer: seen %" PRIu64 " held %" PRIu64 " passed %" PRIu64
		" overflowed %" PRIu64 " verdict_errors %" PRIu64 "\n", k.seen, k.held, k.passed,
		k.overflowed, k.verdict_errors);
}

/* Median RTT of PINGS ping-pongs B -> A -> B, in ns; every ping must be answered. */
static int64_t rtt_median(struct rig *r)
{
	int64_t rtt[PINGS], min, median, max;
	uint32_t answered;

	answered = udp_rtt_sample(r->client_fd, r->server_fd, r->server, PINGS, PING_TIMEOUT_MS,
				  rtt);
	/*
	 * One lost ping of PINGS is tolerated: it happened twice in ~80 runs on a busy shared
	 * VM, cause not found (delayer counters are printed for that). Loss by the delayer
	 * itself is caught by the reorder test, which demands every packet.
	 */
	if (answered != PINGS)
		losses_explain(r, rtt);
	cr_assert_geq(answered, PINGS - 1, "%u of %d pings answered", answered, PINGS);
	udp_rtt_stats(rtt, PINGS, &min, &median, &max);
	fprintf(stderr, "rtt: min %.2f median %.2f max %.2f ms\n", (double)min / MS,
		(double)median / MS, (double)max / MS);
	return median;
}

static int invoke(struct rig *r, const char *f, const struct nem_params *params,
		  struct nem_completion *completion)
{
	struct nem_request request = { .f = f, .params = params };
	struct errbuf eb = { "" };
	int err;

	err = nem_invoke(r->nem, &request, &r->prng, completion, &eb);
	if (err)
		fprintf(stderr, "%s: %s (%d)\n", f, eb.msg, err);
	return err;
}

TestSuite(nfqueue, .timeout = 60);

Test(nfqueue, baseline_rtt_through_the_delayer_is_under_5ms)
{
	struct delayer_counters counters;
	struct rig r;

	rig_up(&r, "nqb");
	cr_expect_lt(rtt_median(&r), 5 * MS);
	nem_nfqueue_counters(r.nem, &counters);
	cr_expect_geq(counters.seen, 2 * PINGS, "the rule sends traffic to the delayer");
	cr_expect_eq(counters.held, 0);
	rig_down(&r);
}

Test(nfqueue, delay_on_all_pairs_applies_on_each_hop)
{
	struct nem_params p = { .delay_ns = 50 * MS };
	struct nem_completion c;
	int64_t rtt;
	struct rig r;

	rig_up(&r, "nqa");
	cr_assert_eq(invoke(&r, "start-delay", &p, &c), 0);
	cr_expect_str_eq(c.value, DELAY_50_ALL);
	rtt = rtt_median(&r);
	cr_expect(rtt >= 95 * MS && rtt <= 130 * MS, "rtt %.2f ms, want 95..130", (double)rtt / MS);
	rig_down(&r);
}

Test(nfqueue, delay_on_one_pair_delays_one_direction)
{
	struct nem_params p = { .delay_ns = 50 * MS };
	struct nem_completion c;
	int64_t rtt;
	struct rig r;

	rig_up(&r, "nqo");
	p.pairs[NODE_B] = 1ull << NODE_A;       /* from n1 to n2 only: the answers */
	cr_assert_eq(invoke(&r, "start-delay", &p, &c), 0);
	cr_expect_str_eq(c.value, "{\"backend\":\"nfqueue\",\"delay_ms\":50,\"jitter_ms\":0,"
				  "\"pairs\":[[\"n1\",\"n2\"]]}");
	rtt = rtt_median(&r);
	cr_expect(rtt >= 48 * MS && rtt <= 70 * MS, "rtt %.2f ms, want 48..70", (double)rtt / MS);
	rig_down(&r);
}

Test(nfqueue, stop_delay_restores_the_baseline)
{
	struct nem_completion c;
	int64_t rtt;
	struct rig r;

	rig_up(&r, "nqs");
	cr_assert_eq(invoke(&r, "start-delay", NULL, &c), 0);
	cr_expect_str_eq(c.value, DELAY_50_ALL);
	rtt = rtt_median(&r);
	cr_expect_geq(rtt, 95 * MS, "default delay 50 ms each way; rtt %.2f ms", (double)rtt / MS);
	cr_assert_eq(invoke(&r, "stop-delay", NULL, &c), 0);
	cr_expect_str_eq(c.value, "{\"healed\":\"delay\"}");
	cr_expect_lt(rtt_median(&r), 5 * MS);
	cr_assert_eq(invoke(&r, "stop-delay", NULL, &c), 0, "stop is idempotent");
	rig_down(&r);
}

Test(nfqueue, reorder_lets_later_packets_overtake_and_loses_none)
{
	struct nem_params p = { .delay_ns = 20 * MS, .probability = 0.5 };
	struct delayer_counters counters;
	struct nem_completion c;
	uint32_t order[BURST], received, inversions;
	struct rig r;

	rig_up(&r, "nqr");
	cr_assert_eq(invoke(&r, "start-reorder", &p, &c), 0);
	cr_expect_str_eq(c.value,
			 "{\"backend\":\"nfqueue\",\"p\":0.5,\"delay_ms\":20,\"pairs\":\"all\"}");
	received = udp_burst(r.client_fd, r.burst_fd, r.burst, BURST, 64, 500, 5000, order);
	inversions = udp_inversions(order, received);
	fprintf(stderr, "reorder: %u of %d arrived, %u inversions\n", received, BURST, inversions);
	cr_expect_eq(received, BURST);
	cr_expect_geq(inversions, 1);
	nem_nfqueue_counters(r.nem, &counters);
	cr_expect_gt(counters.held, 0);
	cr_expect_gt(counters.passed, 0);
	cr_assert_eq(invoke(&r, "stop-reorder", NULL, &c), 0);
	cr_expect_str_eq(c.value, "{\"healed\":\"reorder\"}");
	rig_down(&r);
}

Test(nfqueue, null_params_give_the_documented_reorder_defaults)
{
	struct nem_completion c;
	struct rig r;

	rig_up(&r, "nqd");
	cr_assert_eq(invoke(&r, "start-reorder", NULL, &c), 0);
	cr_expect_str_eq(c.value,
			 "{\"backend\":\"nfqueue\",\"p\":0.25,\"delay_ms\":20,\"pairs\":\"all\"}");
	rig_down(&r);
}

Test(nfqueue, bad_requests_are_einval_and_change_nothing)
{
	struct nem_params p = { .delay_ns = 50 * MS };
	struct nem_completion c;
	struct rig r;

	rig_up(&r, "nqe");
	cr_expect_eq(invoke(&r, "start-partition", NULL, &c), -EINVAL);
	p.pairs[NODE_A] = 1ull << NODE_A;
	cr_expect_eq(invoke(&r, "start-delay", &p, &c), -EINVAL, "a node to itself");
	p.pairs[NODE_A] = 1ull << NODES;
	cr_expect_eq(invoke(&r, "start-delay", &p, &c), -EINVAL, "a node beyond the cluster");
	p = (struct nem_params){ .delay_ns = -1 };
	cr_expect_eq(invoke(&r, "start-delay", &p, &c), -EINVAL);
	p = (struct nem_params){ .delay_ns = 20 * MS, .probability = 0 };
	cr_expect_eq(invoke(&r, "start-reorder", &p, &c), -EINVAL);
	cr_expect_lt(rtt_median(&r), 5 * MS);
	rig_down(&r);
}

Test(nfqueue, teardown_removes_the_rule_and_the_network_still_works)
{
	struct delayer_counters before, after;
	struct errbuf eb = { "" };
	struct nem_completion c;
	int sw_fd, err;
	struct rig r;

	rig_up(&r, "nqt");
	sw_fd = cluster_switch_ns_fd(r.cluster);
	err = iptables_queue_rule(sw_fd, IPTABLES_CHECK, NFQ_QUEUE_NUM, &eb);
	cr_assert_eq(err, 0, "rule present after setup: %s (%d)", eb.msg, err);
	cr_assert_eq(invoke(&r, "start-delay", NULL, &c), 0);
	cr_assert_eq(nem_teardown(r.nem, &eb), 0, "teardown: %s", eb.msg);
	err = iptables_queue_rule(sw_fd, IPTABLES_CHECK, NFQ_QUEUE_NUM, &eb);
	cr_expect_eq(err, -ENOENT, "rule gone after teardown: %s (%d)", eb.msg, err);
	nem_nfqueue_counters(r.nem, &before);
	cr_expect_lt(rtt_median(&r), 5 * MS, "no delay left behind");
	nem_nfqueue_counters(r.nem, &after);
	cr_expect_eq(after.seen, before.seen, "nothing reaches the stopped delayer");
	cr_assert_eq(nem_teardown(r.nem, &eb), 0, "a second teardown is a no-op");
	rig_down(&r);
}

Test(nfqueue, crashed_delayer_lets_packets_pass_by_queue_bypass)
{
	struct delayer_counters before, after;
	struct errbuf eb = { "" };
	struct nem_completion c;
	struct rig r;

	rig_up(&r, "nqk");
	cr_assert_eq(invoke(&r, "start-delay", NULL, &c), 0);
	cr_expect_geq(rtt_median(&r), 95 * MS);
	nem_nfqueue_crash_for_test(r.nem);
	cr_expect_eq(iptables_queue_rule(cluster_switch_ns_fd(r.cluster), IPTABLES_CHECK,
					 NFQ_QUEUE_NUM, &eb), 0, "the rule stays after a crash");
	nem_nfqueue_counters(r.nem, &before);
	cr_expect_lt(rtt_median(&r), 5 * MS, "bypass: no listener, no delay");
	nem_nfqueue_counters(r.nem, &after);
	cr_expect_eq(after.seen, before.seen);
	rig_down(&r);
}
