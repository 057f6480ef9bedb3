/* SPDX-License-Identifier: MIT */
/* test_cluster_netns.c - real namespaces: topology, node processes, partitions, teardown. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster.h"
#include "errbuf.h"
#include "monotime.h"
#include "nemesis.h"
#include "netns_probe.h"
#include "partition.h"
#include "prng.h"

enum { REACH_MS = 1500, CUT_MS = 400 };

typedef bool matrix_t[CLUSTER_NODES_MAX + 1][CLUSTER_NODES_MAX];

/* What a test made, to prove afterwards that none of it is left. */
struct trace {
	char run_id[16];
	uint32_t ns_count;
	dev_t ns_dev[CLUSTER_NODES_MAX + 1];
	ino_t ns_ino[CLUSTER_NODES_MAX + 1];
	pid_t echo[CLUSTER_NODES_MAX];
};

static void skip_unless_netns(void)
{
	const char *why = netns_skip_reason();

	if (why)
		cr_skip_test("%s", why);
}

static void ns_remember(struct trace *t, int fd)
{
	struct stat st;

	cr_assert_eq(fstat(fd, &st), 0);
	t->ns_dev[t->ns_count] = st.st_dev;
	t->ns_ino[t->ns_count++] = st.st_ino;
}

static struct cluster *cluster_make(struct trace *t, uint32_t n, bool keep, const char *tag)
{
	struct cluster_opts opts = { .node_count = n, .keep = keep };
	struct cluster *c = NULL;
	struct errbuf eb = { "" };
	int64_t start;
	int err;

	memset(t, 0, sizeof(*t));
	snprintf(t->run_id, sizeof(t->run_id), "%s%x", tag, (unsigned)getpid() & 0xffff);
	opts.run_id = t->run_id;
	start = monotime_ns();
	err = cluster_setup(&c, &opts, &eb);
	cr_assert_eq(err, 0, "cluster_setup: %s (%d)", eb.msg, err);
	fprintf(stderr, "timing: cluster_setup n=%u keep=%d: %.2f ms\n", n, keep,
		(double)(monotime_ns() - start) / 1e6);
	ns_remember(t, cluster_switch_ns_fd(c));
	for (uint32_t i = 0; i < n; i++) {
		ns_remember(t, cluster_node_ns_fd(c, i));
		t->echo[i] = echo_start(cluster_node_ns_fd(c, i));
		cr_assert_gt(t->echo[i], 0);
	}
	return c;
}

static void nodes_start_sleepers(struct cluster *c)
{
	char *argv[] = { "/bin/sleep", "1000", NULL };
	struct errbuf eb = { "" };
	int err;

	for (uint32_t i = 0; i < cluster_node_count(c); i++) {
		err = cluster_node_start(c, i, argv, "/dev/null", &eb);
		cr_assert_eq(err, 0, "%s", eb.msg);
		cr_assert_gt(cluster_node_pid(c, i), 0);
		cr_assert(cluster_node_alive(c, i));
		cr_assert_eq(cluster_node_start(c, i, argv, NULL, &eb), -EBUSY);
	}
}

/* Every node hears from the switch; node pairs exactly as the grudge says (NULL: all). */
static void assert_reachability(const struct cluster *c, const struct grudge *g)
{
	uint32_t n = cluster_node_count(c), s, d;
	matrix_t reached;

	probe_matrix(c, g ? CUT_MS * 2 : REACH_MS, reached);
	for (d = 0; d < n; d++)
		cr_assert(reached[n][d], "switch -> %s", cluster_node_name(c, d));
	for (s = 0; s < n; s++) {
		for (d = 0; d < n; d++) {
			bool want = s != d && !(g && (grudge_blocks(g, d, s) ||
						      grudge_blocks(g, s, d)));

			if (s != d)
				cr_assert_eq(reached[s][d], want, "%s -> %s: reached %d, want %d",
					     cluster_node_name(c, s), cluster_node_name(c, d),
					     reached[s][d], want);
		}
	}
}

static void cluster_destroy(struct cluster *c, struct trace *t)
{
	struct errbuf eb = { "" };
	char entry[64];
	bool left = true;

	for (uint32_t i = 0; i < cluster_node_count(c); i++)
		echo_stop(t->echo[i]);
	cr_assert_eq(cluster_teardown(c, &eb), 0, "%s", eb.msg);
	cr_assert_not(process_with_env(t->run_id), "a node process survived teardown");
	snprintf(entry, sizeof(entry), CLUSTER_PREFIX "%s-", t->run_id);
	cr_assert_not(netns_named(entry), "/run/netns/%s* survived teardown", entry);
	/* Namespace and BPF program freeing is asynchronous: allow about a second, and 50 ms
	 * more per namespace (the kernel frees them in batches). */
	for (int tries = 0; left && tries < 50 + 3 * (int)t->ns_count; tries++) {
		left = bpf_prog_named("fl_partition");
		for (uint32_t i = 0; !left && i < t->ns_count; i++)
			left = netns_in_use(t->ns_dev[i], t->ns_ino[i]);
		if (left)
			usleep(20000);
	}
	cr_assert_not(left, "a namespace or the fl_partition program survived teardown");
}

static void time_apply_heal(struct nemesis *nem, const struct grudge *g)
{
	struct errbuf eb = { "" };
	int64_t apply_ns = 0, heal_ns = 0, start;
	enum { ROUNDS = 200 };

	for (int i = 0; i < ROUNDS; i++) {
		start = monotime_ns();
		cr_assert_eq(nem_partition_apply(nem, g, &eb), 0, "%s", eb.msg);
		apply_ns += monotime_ns() - start;
		start = monotime_ns();
		cr_assert_eq(nem_partition_heal(nem, &eb), 0, "%s", eb.msg);
		heal_ns += monotime_ns() - start;
	}
	fprintf(stderr, "timing: n=%u apply %.1f us, heal %.1f us (mean of %d)\n", g->node_count,
		(double)apply_ns / ROUNDS / 1e3, (double)heal_ns / ROUNDS / 1e3, ROUNDS);
}

static void describe_expected(const struct cluster *c, const struct grudge *g, char *buf,
			      size_t size)
{
	const char *names[CLUSTER_NODES_MAX];

	for (uint32_t i = 0; i < cluster_node_count(c); i++)
		names[i] = cluster_node_name(c, i);
	cr_assert_gt(grudge_describe(g, names, buf, size), 0);
}

static void partition_halves_and_heal(struct cluster *c, struct nemesis *nem)
{
	struct nem_request start = { .f = "start-partition", .arg = "\"halves\"" };
	struct nem_request stop = { .f = "stop-partition", .arg = NULL };
	uint32_t n = cluster_node_count(c);
	char want[NEM_VALUE_BYTES_MAX];
	struct nem_completion done;
	struct errbuf eb = { "" };
	struct prng prng, replay;
	uint64_t drops = 0;
	struct grudge g;

	prng_init(&prng, 99 + n);
	replay = prng;
	cr_assert_eq(nem_invoke(nem, &start, &prng, &done, &eb), 0, "%s", eb.msg);
	cr_assert_eq(partition_shape_grudge(PARTITION_SHAPE_HALVES, n, &replay, &g), 0);
	describe_expected(c, &g, want, sizeof(want));
	cr_assert_str_eq(done.value, want);
	fprintf(stderr, "n=%u start-partition -> %s\n", n, done.value);
	assert_reachability(c, &g);
	cr_assert_eq(nem_partition_drops(nem, &drops, &eb), 0, "%s", eb.msg);
	cr_assert_gt(drops, 0, "the drop counter moved");
	cr_assert_eq(nem_invoke(nem, &stop, &prng, &done, &eb), 0, "%s", eb.msg);
	cr_assert_str_eq(done.value, "{\"cut\":{}}");
	assert_reachability(c, NULL);
	time_apply_heal(nem, &g);
}

static void partition_scenario(uint32_t n, bool keep, const char *tag)
{
	struct nem_request bogus = { .f = "start-chaos", .arg = NULL };
	struct nem_request bad_shape = { .f = "start-partition", .arg = "\"triangle\"" };
	struct nem_completion done;
	struct errbuf eb = { "" };
	struct nemesis *nem;
	struct cluster *c;
	struct trace t;
	struct prng prng;
	int64_t start;

	c = cluster_make(&t, n, keep, tag);
	nodes_start_sleepers(c);
	assert_reachability(c, NULL);
	cr_assert_eq(nem_partition_new(&nem, &eb), 0);
	cr_assert_str_eq(nem->ops->name, "partition");
	cr_assert(nem->ops->fs & NEM_F_PARTITION);
	start = monotime_ns();
	cr_assert_eq(nem_setup(nem, c, &eb), 0, "%s", eb.msg);
	fprintf(stderr, "timing: partition setup n=%u: %.2f ms\n", n,
		(double)(monotime_ns() - start) / 1e6);
	cr_assert(bpf_prog_named("fl_partition"));
	partition_halves_and_heal(c, nem);
	prng_init(&prng, 1);
	cr_assert_eq(nem_invoke(nem, &bogus, &prng, &done, &eb), -EINVAL);
	cr_assert_eq(nem_invoke(nem, &bad_shape, &prng, &done, &eb), -EINVAL);
	cr_assert_eq(nem_teardown(nem, &eb), 0, "%s", eb.msg);
	cr_assert_eq(nem_teardown(nem, &eb), 0, "teardown is idempotent");
	nem_free(nem);
	cr_assert_eq(cluster_node_kill(c, 0, &eb), 0, "%s", eb.msg);
	cr_assert_not(cluster_node_alive(c, 0));
	cr_assert_eq(cluster_node_pid(c, 0), 0);
	cluster_destroy(c, &t);
}

TestSuite(cluster_netns, .init = skip_unless_netns);

Test(cluster_netns, three_nodes_partition_and_heal)
{
	partition_scenario(3, false, "ta");
}

Test(cluster_netns, five_named_nodes_partition_and_heal)
{
	partition_scenario(5, true, "tb");
}

Test(cluster_netns, every_shape_cuts_what_it_describes)
{
	struct nem_completion done;
	struct errbuf eb = { "" };
	char want[NEM_VALUE_BYTES_MAX];
	char arg[40];
	struct nemesis *nem;
	struct cluster *c;
	struct prng prng, replay;
	struct grudge g;
	struct trace t;

	c = cluster_make(&t, 5, false, "tc");
	cr_assert_eq(nem_partition_new(&nem, &eb), 0);
	cr_assert_eq(nem_setup(nem, c, &eb), 0, "%s", eb.msg);
	prng_init(&prng, 5);
	for (int shape = 0; shape < PARTITION_SHAPE_COUNT; shape++) {
		struct nem_request start = { .f = "start-partition", .arg = arg };

		snprintf(arg, sizeof(arg), " \"%s\" ", partition_shape_name(
				 (enum partition_shape)shape));
		replay = prng;
		cr_assert_eq(nem_invoke(nem, &start, &prng, &done, &eb), 0, "%s", eb.msg);
		cr_assert_eq(partition_shape_grudge((enum partition_shape)shape, 5, &replay, &g),
			     0);
		describe_expected(c, &g, want, sizeof(want));
		cr_assert_str_eq(done.value, want);
		assert_reachability(c, &g);
	}
	struct nem_request random_start = { .f = "start-partition", .arg = NULL };

	cr_assert_eq(nem_invoke(nem, &random_start, &prng, &done, &eb), 0, "%s", eb.msg);
	cr_assert(strstr(done.value, "\"shape\":"));
	nem_free(nem);        /* tears down, which heals first */
	assert_reachability(c, NULL);
	cluster_destroy(c, &t);
}

Test(cluster_netns, node_start_reports_a_missing_binary)
{
	char *argv[] = { "/nonexistent/faultline-node", NULL };
	struct errbuf eb = { "" };
	struct cluster *c;
	struct trace t;

	c = cluster_make(&t, 1, false, "td");
	cr_assert_eq(cluster_node_start(c, 0, argv, NULL, &eb), -ENOENT);
	cr_assert(strstr(eb.msg, "exec"), "%s", eb.msg);
	cr_assert_eq(cluster_node_pid(c, 0), 0);
	cr_assert_not(cluster_node_alive(c, 0));
	cluster_destroy(c, &t);
}

/*
 * The kernel's ARP table is one for all namespaces and takes 1024 learned entries by
 * default: a full mesh of 64 nodes and the switch needs 4160. Every pair must still reach.
 */
Test(cluster_netns, every_pair_of_64_nodes_reaches)
{
	struct rlimit nofile;
	struct cluster *c;
	struct trace t;

	/* One probe socket per ordered pair, and per switch-to-node pair. */
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &nofile), 0);
	if (nofile.rlim_cur < 8192 && nofile.rlim_max >= 8192) {
		nofile.rlim_cur = 8192;
		cr_assert_eq(setrlimit(RLIMIT_NOFILE, &nofile), 0);
	}
	if (nofile.rlim_cur < 8192)
		cr_skip_test("RLIMIT_NOFILE %llu is below the 8192 probe sockets",
			     (unsigned long long)nofile.rlim_cur);
	c = cluster_make(&t, CLUSTER_NODES_MAX, false, "tm");
	assert_reachability(c, NULL);
	cluster_destroy(c, &t);
}

/* Whatever the harness holds open without O_CLOEXEC stays out of node processes. */
Test(cluster_netns, a_node_inherits_no_descriptor_but_its_stdio)
{
	char log[] = "/tmp/faultline-fds-XXXXXX", line[64], leaked[16];
	char *argv[] = { "/bin/sh", "-c", "ls /proc/$$/fd", NULL };
	struct errbuf eb = { "" };
	struct cluster *c;
	struct trace t;
	bool seen = false;
	int fd, lines = 0;
	FILE *f;

	fd = mkstemp(log);
	cr_assert_geq(fd, 0);
	cr_assert_eq(dup2(fd, 200), 200);       /* no O_CLOEXEC, like libpcap's sockets */
	snprintf(leaked, sizeof(leaked), "%d\n", 200);
	c = cluster_make(&t, 1, false, "tf");
	cr_assert_eq(cluster_node_start(c, 0, argv, log, &eb), 0, "%s", eb.msg);
	for (int tries = 0; tries < 100 && cluster_node_alive(c, 0); tries++)
		usleep(20000);
	f = fopen(log, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		lines++;
		seen = seen || !strcmp(line, leaked);
	}
	fclose(f);
	cr_expect_geq(lines, 3, "ls listed %d descriptors, not even stdio", lines);
	cr_expect_not(seen, "descriptor 200 crossed exec into the node");
	close(200);
	close(fd);
	unlink(log);
	cluster_destroy(c, &t);
}

/* In a child, because entering the switch namespace is for good. */
static int switch_probe_child(struct cluster *c)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(PROBE_PORT) };
	struct timeval tv = { .tv_sec = 2 };
	char buf[16];
	int fd;

	if (cluster_enter_switch(c, NULL))
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	dst.sin_addr = cluster_node_addr(c, 1);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    sendto(fd, "hi", 2, 0, (struct sockaddr *)&dst, sizeof(dst)) != 2)
		return 2;
	return recv(fd, buf, sizeof(buf), 0) == 2 ? 0 : 3;
}

Test(cluster_netns, enter_switch_reaches_the_nodes)
{
	struct cluster *c;
	struct trace t;
	int status;
	pid_t pid;

	c = cluster_make(&t, 2, false, "te");
	pid = fork();
	if (pid == 0)
		_exit(switch_probe_child(c));
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	cluster_destroy(c, &t);
}

Test(cluster_netns, bad_options_are_einval)
{
	struct cluster_opts opts = { .node_count = 0, .run_id = "x" };
	struct cluster *c = NULL;

	cr_assert_eq(cluster_setup(&c, &opts, NULL), -EINVAL);
	opts.node_count = CLUSTER_NODES_MAX + 1;
	cr_assert_eq(cluster_setup(&c, &opts, NULL), -EINVAL);
	opts.node_count = 2;
	opts.run_id = "Bad-Id";
	cr_assert_eq(cluster_setup(&c, &opts, NULL), -EINVAL);
	opts.run_id = "toolongid";
	cr_assert_eq(cluster_setup(&c, &opts, NULL), -EINVAL);
	cr_assert_null(c);
}
