/* SPDX-License-Identifier: MIT */
/* test_nemesis_faults.c - loss, dup (tc eBPF), bandwidth (tbf) and the netem probe, for real. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/pkt_sched.h>
#include <netlink/netlink.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster.h"
#include "errbuf.h"
#include "monotime.h"
#include "nemesis.h"
#include "netns_probe.h"
#include "partition.h"
#include "prng.h"
#include "qdisc.h"

enum {
	UDP_PORT = 7101,
	TCP_PORT = 7102,
	PROBES_MAX = 1000,
	FOREIGN_HANDLE = 0x1234,
};

static void skip_unless_netns(void)
{
	const char *why = netns_skip_reason();

	if (why)
		cr_skip_test("%s", why);
}

TestSuite(nemesis_faults, .init = skip_unless_netns);

static struct cluster *cluster_make(uint32_t n, const char *tag)
{
	struct cluster_opts opts = { .node_count = n };
	struct cluster *c = NULL;
	struct errbuf eb = { "" };
	char run_id[16];

	snprintf(run_id, sizeof(run_id), "%s%x", tag, (unsigned)getpid() & 0xffff);
	opts.run_id = run_id;
	cr_assert_eq(cluster_setup(&c, &opts, &eb), 0, "cluster_setup: %s", eb.msg);
	return c;
}

/* A socket opened inside @ns_fd stays there; the thread comes back. */
static int socket_in(int ns_fd, int type)
{
	int home, fd = -1;

	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(home, 0);
	cr_assert_eq(setns(ns_fd, CLONE_NEWNET), 0);
	fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	cr_assert_eq(setns(home, CLONE_NEWNET), 0);
	close(home);
	cr_assert_geq(fd, 0);
	return fd;
}

/* Counts of one UDP run: datagrams sent, distinct ones received, copies received. */
struct udp_run {
	uint32_t sent, unique, total;
};

static void udp_drain(int rx, uint8_t *seen, struct udp_run *r)
{
	uint32_t seq;

	while (recv(rx, &seq, sizeof(seq), MSG_DONTWAIT) == sizeof(seq)) {
		cr_assert_lt(seq, r->sent);
		r->unique += !seen[seq];
		r->total++;
		seen[seq]++;
	}
}

/* Sends @count numbered datagrams from node @from to node @to and counts what arrives. */
static struct udp_run udp_probe(struct cluster *c, uint32_t from, uint32_t to, uint32_t count)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(UDP_PORT) };
	static uint8_t seen[PROBES_MAX];
	struct udp_run r = { .sent = count };
	int rx, tx, big = 4 << 20;
	struct pollfd pfd;

	cr_assert_leq(count, PROBES_MAX);
	memset(seen, 0, sizeof(seen));
	rx = socket_in(cluster_node_ns_fd(c, to), SOCK_DGRAM);
	cr_assert_eq(setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)), 0);
	cr_assert_eq(bind(rx, (struct sockaddr *)&addr, sizeof(addr)), 0);
	tx = socket_in(cluster_node_ns_fd(c, from), SOCK_DGRAM);
	addr.sin_addr = cluster_node_addr(c, to);
	cr_assert_eq(connect(tx, (struct sockaddr *)&addr, sizeof(addr)), 0);
	for (uint32_t seq = 0; seq < count; seq++) {
		cr_assert_eq(send(tx, &seq, sizeof(seq), 0), (ssize_t)sizeof(seq));
		udp_drain(rx, seen, &r);
	}
	pfd = (struct pollfd){ .fd = rx, .events = POLLIN };
	while (poll(&pfd, 1, 200) > 0)
		udp_drain(rx, seen, &r);
	close(tx);
	close(rx);
	return r;
}

static void invoke_ok(struct nemesis *nem, const char *f, const struct nem_params *params,
		      const char *want_value)
{
	struct nem_request request = { .f = f, .params = params };
	struct nem_completion done;
	struct errbuf eb = { "" };
	struct prng prng;

	prng_init(&prng, 7);
	cr_assert_eq(nem_invoke(nem, &request, &prng, &done, &eb), 0, "%s: %s", f, eb.msg);
	if (want_value)
		cr_assert_str_eq(done.value, want_value, "%s", f);
}

static int invoke_err(struct nemesis *nem, const char *f, const struct nem_params *params)
{
	struct nem_request request = { .f = f, .params = params };
	struct nem_completion done;
	struct prng prng;

	prng_init(&prng, 7);
	return nem_invoke(nem, &request, &prng, &done, NULL);
}

/*
 * Fresh veths may take a moment to get carrier (linkwatch), and ARP must resolve: probe every
 * pair until one datagram gets through, for up to 2 s, before any fault is applied.
 */
static void warm_up(struct cluster *c)
{
	uint32_t n = cluster_node_count(c), from, to;
	int tries;

	for (from = 0; from < n; from++) {
		for (to = 0; to < n; to++) {
			for (tries = 0; from != to && tries < 10; tries++) {
				if (udp_probe(c, from, to, 1).unique == 1)
					break;
			}
			cr_assert_lt(tries, 10, "n%u -> n%u never reached", from + 1, to + 1);
		}
	}
}

/*
 * The first program named fl_partition with an id above @after, or 0. Names are global and
 * other test runs may hold their own fl_partition, so tests follow theirs by id.
 */
static uint32_t prog_id_named(const char *name, uint32_t after)
{
	struct bpf_prog_info info;
	uint32_t id = after, len;
	int fd;

	while (!bpf_prog_get_next_id(id, &id)) {
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;       /* freed meanwhile */
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, name)) {
			close(fd);
			return id;
		}
		close(fd);
	}
	return 0;
}

static uint32_t prog_id_last(void)
{
	uint32_t id = 0;

	while (!bpf_prog_get_next_id(id, &id))
		continue;
	return id;
}

static uint32_t our_prog_id;

static struct nemesis *partition_up(struct cluster *c)
{
	struct errbuf eb = { "" };
	struct nemesis *nem;
	uint32_t mark;

	cr_assert_eq(nem_partition_new(&nem, &eb), 0);
	cr_assert(nem->ops->fs & NEM_F_LOSS);
	cr_assert(nem->ops->fs & NEM_F_DUP);
	mark = prog_id_last();
	cr_assert_eq(nem_setup(nem, c, &eb), 0, "%s", eb.msg);
	our_prog_id = prog_id_named("fl_partition", mark);
	cr_assert_gt(our_prog_id, 0, "setup loaded fl_partition");
	warm_up(c);
	return nem;
}

/* Frees the nemesis and proves the program is gone, then removes the cluster. */
static void partition_down(struct cluster *c, struct nemesis *nem)
{
	struct errbuf eb = { "" };
	bool left = true;

	nem_free(nem);
	for (int tries = 0; left && tries < 50; tries++) {
		int fd = bpf_prog_get_fd_by_id(our_prog_id);

		left = fd >= 0;
		if (left) {
			close(fd);
			usleep(20000);
		}
	}
	cr_assert_not(left, "fl_partition survived nem_free()");
	cr_assert_eq(cluster_teardown(c, &eb), 0, "%s", eb.msg);
}

Test(nemesis_faults, loss_drops_about_p_and_stops)
{
	struct nem_params params = { .probability = 0.3 };
	struct nem_partition_counters counters;
	struct cluster *c = cluster_make(2, "la");
	struct nemesis *nem = partition_up(c);
	struct errbuf eb = { "" };
	struct udp_run r;

	invoke_ok(nem, "start-loss", &params, "{\"p\":0.3,\"pairs\":\"all\"}");
	r = udp_probe(c, 0, 1, 500);
	fprintf(stderr, "loss 30%%: %u of %u arrived\n", r.unique, r.sent);
	cr_assert(r.unique >= 275 && r.unique <= 425, "arrived %u of 500", r.unique);
	cr_assert_eq(r.total, r.unique, "no duplicates");
	cr_assert_eq(nem_partition_counters(nem, &counters, &eb), 0, "%s", eb.msg);
	cr_assert_geq(counters.losses, 500 - r.unique);
	cr_assert_eq(counters.drops, 0);
	invoke_ok(nem, "stop-loss", NULL, "{\"healed\":\"loss\"}");
	r = udp_probe(c, 0, 1, 500);
	cr_assert_geq(r.unique, 499, "after stop-loss: %u of 500", r.unique);
	invoke_ok(nem, "stop-loss", NULL, "{\"healed\":\"loss\"}");    /* idempotent */
	partition_down(c, nem);
}

Test(nemesis_faults, dup_doubles_every_packet_independently_of_loss)
{
	struct nem_params all = { .probability = 1.0 };
	struct nem_partition_counters counters;
	struct cluster *c = cluster_make(2, "lb");
	struct nemesis *nem = partition_up(c);
	struct errbuf eb = { "" };
	struct udp_run r;

	invoke_ok(nem, "start-dup", &all, "{\"p\":1,\"pairs\":\"all\"}");
	r = udp_probe(c, 0, 1, 200);
	cr_assert_eq(r.unique, 200);
	cr_assert_eq(r.total, 400, "every datagram twice, got %u copies", r.total);
	invoke_ok(nem, "start-loss", &all, NULL);
	cr_assert_eq(udp_probe(c, 0, 1, 50).total, 0, "loss comes before dup");
	invoke_ok(nem, "stop-loss", NULL, NULL);
	r = udp_probe(c, 1, 0, 100);
	cr_assert_eq(r.total, 200, "stop-loss kept dup: %u copies", r.total);
	cr_assert_eq(nem_partition_counters(nem, &counters, &eb), 0, "%s", eb.msg);
	cr_assert_geq(counters.dups, 300);
	cr_assert_geq(counters.losses, 50);
	invoke_ok(nem, "stop-dup", NULL, "{\"healed\":\"dup\"}");
	r = udp_probe(c, 0, 1, 200);
	cr_assert_eq(r.unique, 200);
	cr_assert_eq(r.total, 200, "after stop-dup: %u copies", r.total);
	partition_down(c, nem);
}

Test(nemesis_faults, loss_on_a_pair_subset_hits_only_that_pair)
{
	struct nem_params one = { .probability = 1.0 };
	struct cluster *c = cluster_make(3, "lc");
	struct nemesis *nem = partition_up(c);
	struct nem_params bad = one;

	one.pairs[1] = 1u << 0;         /* n1 -> n2 */
	invoke_ok(nem, "start-loss", &one, "{\"p\":1,\"pairs\":[[\"n1\",\"n2\"]]}");
	cr_assert_eq(udp_probe(c, 0, 1, 50).total, 0, "n1 -> n2 is lossy");
	cr_assert_eq(udp_probe(c, 1, 0, 50).total, 50, "n2 -> n1 is not");
	cr_assert_eq(udp_probe(c, 0, 2, 50).total, 50, "n1 -> n3 is not");
	cr_assert_eq(udp_probe(c, 2, 1, 50).total, 50, "n3 -> n2 is not");
	bad.pairs[0] = 1u << 0;         /* n1 -> n1 */
	cr_assert_eq(invoke_err(nem, "start-loss", &bad), -EINVAL);
	bad.pairs[0] = 1u << 5;         /* beyond 3 nodes */
	cr_assert_eq(invoke_err(nem, "start-loss", &bad), -EINVAL);
	bad = one;
	bad.probability = 0.0;
	cr_assert_eq(invoke_err(nem, "start-dup", &bad), -EINVAL);
	cr_assert_eq(udp_probe(c, 0, 1, 20).total, 0, "a refused request changed nothing");
	partition_down(c, nem);         /* teardown heals loss too */
}

/* Probe datagrams start with their number's low byte: numbers 4 and 7 (mod 256) are the
 * "types" dropped; everything else of the pair, and every other pair, passes. */
Test(nemesis_faults, msgdrop_drops_one_kind_of_datagram_on_chosen_pairs)
{
	struct nem_params drop = { .msg_types = (1u << 4) | (1u << 7) };
	struct nem_partition_counters counters;
	struct cluster *c = cluster_make(3, "md");
	struct nemesis *nem = partition_up(c);
	struct errbuf eb = { "" };
	struct nem_params none = drop;
	struct udp_run r;

	drop.pairs[1] = 1u << 0;        /* n1 -> n2 */
	invoke_ok(nem, "start-msgdrop", &drop, "{\"types\":[4,7],\"pairs\":[[\"n1\",\"n2\"]]}");
	r = udp_probe(c, 0, 1, 500);
	cr_assert_eq(r.unique, 496, "seqs 4, 7, 260, 263 lost: %u of 500 arrived", r.unique);
	cr_assert_eq(udp_probe(c, 1, 0, 500).unique, 500, "n2 -> n1 is untouched");
	cr_assert_eq(udp_probe(c, 0, 2, 500).unique, 500, "n1 -> n3 is untouched");
	cr_assert_eq(nem_partition_counters(nem, &counters, &eb), 0, "%s", eb.msg);
	cr_assert_eq(counters.typed, 4);
	cr_assert_eq(counters.losses + counters.drops, 0);
	none.msg_types = 0;
	cr_assert_eq(invoke_err(nem, "start-msgdrop", &none), -EINVAL, "no types");
	cr_assert_eq(invoke_err(nem, "start-msgdrop", NULL), -EINVAL, "no params");
	invoke_ok(nem, "stop-msgdrop", NULL, "{\"healed\":\"msgdrop\"}");
	cr_assert_eq(udp_probe(c, 0, 1, 500).unique, 500, "healed");
	partition_down(c, nem);
}

/* libnl, in @ns_fd: how many qdiscs of @kind (and handle major @major, if not 0) exist. */
static int qdiscs_counted(int ns_fd, const char *kind, uint32_t major, int ifindex)
{
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	struct nl_sock *sk;
	int home, count = 0;

	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	sk = nl_socket_alloc();
	cr_assert(home >= 0 && sk);
	cr_assert_eq(setns(ns_fd, CLONE_NEWNET), 0);
	cr_assert_eq(nl_connect(sk, NETLINK_ROUTE), 0);
	cr_assert_eq(setns(home, CLONE_NEWNET), 0);
	close(home);
	cr_assert_eq(rtnl_qdisc_alloc_cache(sk, &cache), 0);
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_tc *tc = TC_CAST(o);
		const char *k = rtnl_tc_get_kind(tc);

		if (!k || strcmp(k, kind))
			continue;
		if (major && rtnl_tc_get_handle(tc) != TC_HANDLE(major, 0))
			continue;
		count += !ifindex || rtnl_tc_get_ifindex(tc) == ifindex;
	}
	nl_cache_free(cache);
	nl_socket_free(sk);
	return count;
}

/* Adds (or deletes) a tbf that is not ours, handle FOREIGN_HANDLE, on the port towards @node. */
static void foreign_tbf(struct cluster *c, uint32_t node, bool add)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct nl_sock *sk = nl_socket_alloc();
	int home;

	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	cr_assert(home >= 0 && sk && q);
	cr_assert_eq(setns(cluster_switch_ns_fd(c), CLONE_NEWNET), 0);
	cr_assert_eq(nl_connect(sk, NETLINK_ROUTE), 0);
	cr_assert_eq(setns(home, CLONE_NEWNET), 0);
	close(home);
	rtnl_tc_set_ifindex(TC_CAST(q), cluster_port_ifindex(c, node));
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(FOREIGN_HANDLE, 0));
	cr_assert_eq(rtnl_tc_set_kind(TC_CAST(q), "tbf"), 0);
	rtnl_qdisc_tbf_set_rate(q, 10000000, 100000, 0);
	rtnl_qdisc_tbf_set_limit(q, 1000000);
	if (add)
		cr_assert_eq(rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_EXCL), 0);
	else
		cr_assert_eq(rtnl_qdisc_delete(sk, q), 0);
	rtnl_qdisc_put(q);
	nl_socket_free(sk);
}

/* Sends @bytes over TCP from node @from to node @to; returns ms until the receiver had all. */
static double tcp_transfer_ms(struct cluster *c, uint32_t from, uint32_t to, size_t bytes)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(TCP_PORT) };
	static char buf[16384];
	int listen_fd, fd, one = 1, status;
	size_t left = bytes;
	int64_t start;
	ssize_t n;
	pid_t pid;
	char ack;

	listen_fd = socket_in(cluster_node_ns_fd(c, to), SOCK_STREAM);
	cr_assert_eq(setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	cr_assert_eq(bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	cr_assert_eq(listen(listen_fd, 1), 0);
	pid = fork();
	if (pid == 0) {
		fd = accept(listen_fd, NULL, NULL);
		while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			continue;
		_exit(fd >= 0 && write(fd, "k", 1) == 1 ? 0 : 1);
	}
	cr_assert_gt(pid, 0);
	close(listen_fd);
	fd = socket_in(cluster_node_ns_fd(c, from), SOCK_STREAM);
	addr.sin_addr = cluster_node_addr(c, to);
	start = monotime_ns();
	cr_assert_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	while (left > 0) {
		n = write(fd, buf, left < sizeof(buf) ? left : sizeof(buf));
		cr_assert_gt(n, 0);
		left -= (size_t)n;
	}
	cr_assert_eq(shutdown(fd, SHUT_WR), 0);
	cr_assert_eq(read(fd, &ack, 1), 1);
	close(fd);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return (double)(monotime_ns() - start) / 1e6;
}

Test(nemesis_faults, bandwidth_slows_the_named_node_and_stop_removes_only_ours)
{
	struct nem_params slow = { .rate_bytes_per_s = 100000, .nodes = 1u << 1 };
	struct cluster *c = cluster_make(2, "ba");
	int sw = cluster_switch_ns_fd(c);
	struct errbuf eb = { "" };
	struct nemesis *nem;
	double ms;

	cr_assert_eq(nem_qdisc_bandwidth_new(&nem, &eb), 0);
	cr_assert_eq(nem->ops->fs, NEM_F_BANDWIDTH);
	cr_assert_eq(nem_setup(nem, c, &eb), 0, "%s", eb.msg);
	foreign_tbf(c, 0, true);
	warm_up(c);
	ms = tcp_transfer_ms(c, 0, 1, 200000);
	fprintf(stderr, "200 kB unlimited: %.1f ms\n", ms);
	invoke_ok(nem, "start-bandwidth", &slow, "{\"rate_kbit\":800,\"nodes\":[\"n2\"]}");
	cr_assert_eq(qdiscs_counted(sw, "tbf", QDISC_HANDLE_TBF, cluster_port_ifindex(c, 1)), 1);
	ms = tcp_transfer_ms(c, 0, 1, 200000);
	fprintf(stderr, "200 kB at 100 kB/s: %.1f ms\n", ms);
	cr_assert(ms >= 1500 && ms < 10000, "200 kB at 100 kB/s took %.1f ms", ms);
	invoke_ok(nem, "stop-bandwidth", NULL, "{\"healed\":\"bandwidth\"}");
	cr_assert_eq(qdiscs_counted(sw, "tbf", QDISC_HANDLE_TBF, 0), 0);
	cr_assert_eq(qdiscs_counted(sw, "tbf", FOREIGN_HANDLE, 0), 1, "not ours: kept");
	ms = tcp_transfer_ms(c, 0, 1, 200000);
	cr_assert_lt(ms, 500, "after stop-bandwidth: %.1f ms", ms);
	foreign_tbf(c, 0, false);
	invoke_ok(nem, "start-bandwidth", NULL, "{\"rate_kbit\":1000,\"nodes\":[\"n1\",\"n2\"]}");
	cr_assert_eq(qdiscs_counted(sw, "tbf", QDISC_HANDLE_TBF, 0), 2);
	slow.nodes = 1u << 2;
	cr_assert_eq(invoke_err(nem, "start-bandwidth", &slow), -EINVAL);
	slow.nodes = 0;
	slow.rate_bytes_per_s = 1;
	cr_assert_eq(invoke_err(nem, "start-bandwidth", &slow), -EINVAL);
	cr_assert_eq(invoke_err(nem, "start-delay", NULL), -EINVAL);
	cr_assert_eq(qdiscs_counted(sw, "tbf", QDISC_HANDLE_TBF, 0), 2, "refusals change nothing");
	cr_assert_eq(nem_teardown(nem, &eb), 0, "%s", eb.msg);
	cr_assert_eq(qdiscs_counted(sw, "tbf", 0, 0), 0, "teardown removed every tbf");
	nem_free(nem);
	cr_assert_eq(cluster_teardown(c, &eb), 0, "%s", eb.msg);
}

Test(nemesis_faults, netem_probe_reports_no_netem_and_setup_refuses)
{
	struct cluster *c = cluster_make(2, "na");
	struct errbuf eb = { "" };
	struct nemesis *nem;
	int err;

	err = nem_netem_probe(c, &eb);
	fprintf(stderr, "netem probe: %d (%s)\n", err, eb.msg);
	if (err == 0)
		cr_skip_test("this kernel has sch_netem; the test expects a kernel without it");
	cr_assert_eq(err, -EOPNOTSUPP, "%s", eb.msg);
	cr_assert(strstr(eb.msg, "sch_netem"), "%s", eb.msg);
	cr_assert_eq(nem_qdisc_netem_new(&nem, &eb), 0);
	cr_assert_eq(nem->ops->fs, NEM_F_DELAY | NEM_F_REORDER);
	cr_assert_eq(nem_setup(nem, c, &eb), -EOPNOTSUPP);
	cr_assert_eq(invoke_err(nem, "start-delay", NULL), -EINVAL, "not set up");
	cr_assert_eq(nem_teardown(nem, &eb), 0);
	cr_assert_eq(qdiscs_counted(cluster_switch_ns_fd(c), "netem", 0, 0), 0);
	nem_free(nem);
	cr_assert_eq(cluster_teardown(c, &eb), 0, "%s", eb.msg);
}
