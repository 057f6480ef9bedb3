/* SPDX-License-Identifier: MIT */
/* bench_nemesis.c - time a partition through the eBPF map against the same cut in iptables. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"
#include "nemesis.h"
#include "partition.h"
#include "prng.h"

#define IPTABLES_PATH "/usr/sbin/iptables-legacy"

enum {
	BENCH_NODES = 5,
	EXIT_USAGE = 64,
	EXIT_INTERNAL = 70,
};

struct bench_opts {
	uint64_t seed;
	uint32_t ebpf_rounds, iptables_rounds;
};

static const struct bench_opts bench_defaults = {
	.seed = 1, .ebpf_rounds = 1000, .iptables_rounds = 20,
};

static void usage(FILE *out)
{
	fprintf(out, "usage: bench-nemesis [--seed N] [--ebpf-rounds N] [--iptables-rounds N]\n"
		"Builds a %d-node cluster (needs root) and times a halves partition, apply and\n"
		"heal, through the fl_partition map and through %s rules in the switch\n"
		"namespace.\n"
		"Exit codes: 0 done, 64 usage, 70 internal or system error.\n", BENCH_NODES,
		IPTABLES_PATH);
}

/* iptables-legacy -w @verb FORWARD -s @from -d @to -j DROP, inside @ns_fd. Return: 0/-errno. */
static int iptables_rule(int ns_fd, const char *verb, struct in_addr from, struct in_addr to)
{
	char source[INET_ADDRSTRLEN], target[INET_ADDRSTRLEN];
	char *argv[] = { "iptables-legacy", "-w", (char *)verb, "FORWARD", "-s", source,
			 "-d", target, "-j", "DROP", NULL };
	int status;
	pid_t pid;

	inet_ntop(AF_INET, &from, source, sizeof(source));
	inet_ntop(AF_INET, &to, target, sizeof(target));
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (setns(ns_fd, CLONE_NEWNET))
			_exit(126);
		execv(IPTABLES_PATH, argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* One rule per directed pair of @g, added (@verb "-A") or deleted ("-D"). */
static int iptables_cut(struct cluster *c, const struct grudge *g, const char *verb)
{
	uint32_t i, j;
	int err;

	for (i = 0; i < g->node_count; i++) {
		for (j = 0; j < g->node_count; j++) {
			if (!grudge_blocks(g, i, j))
				continue;
			err = iptables_rule(cluster_switch_ns_fd(c), verb, cluster_node_addr(c, j),
					    cluster_node_addr(c, i));
			if (err)
				return err;
		}
	}
	return 0;
}

struct timing {
	double apply_ns, heal_ns;       /* means */
};

static int time_ebpf(struct nemesis *nem, const struct grudge *g, uint32_t rounds,
		     struct timing *out, struct errbuf *eb)
{
	int64_t apply = 0, heal = 0, start;
	int err;

	for (uint32_t r = 0; r < rounds; r++) {
		start = monotime_ns();
		err = nem_partition_apply(nem, g, eb);
		apply += monotime_ns() - start;
		if (err)
			return err;
		start = monotime_ns();
		err = nem_partition_heal(nem, eb);
		heal += monotime_ns() - start;
		if (err)
			return err;
	}
	out->apply_ns = (double)apply / rounds;
	out->heal_ns = (double)heal / rounds;
	return 0;
}

static int time_iptables(struct cluster *c, const struct grudge *g, uint32_t rounds,
			 struct timing *out, struct errbuf *eb)
{
	int64_t apply = 0, heal = 0, start;
	int err;

	for (uint32_t r = 0; r < rounds; r++) {
		start = monotime_ns();
		err = iptables_cut(c, g, "-A");
		apply += monotime_ns() - start;
		if (err) {
			iptables_cut(c, g, "-D");       /* best effort; the namespace goes anyway */
			return errbuf_set(eb, err, "%s -A FORWARD in the switch", IPTABLES_PATH);
		}
		start = monotime_ns();
		err = iptables_cut(c, g, "-D");
		heal += monotime_ns() - start;
		if (err)
			return errbuf_set(eb, err, "%s -D FORWARD in the switch", IPTABLES_PATH);
	}
	out->apply_ns = (double)apply / rounds;
	out->heal_ns = (double)heal / rounds;
	return 0;
}

static void print_line(const char *what, uint32_t rules, double ebpf_ns, double iptables_ns)
{
	printf("partition %-5s %d nodes (%u rules): ebpf %.1f us, iptables %.2f ms (%.0fx)\n",
	       what, BENCH_NODES, rules, ebpf_ns / 1e3, iptables_ns / 1e6, iptables_ns / ebpf_ns);
}

static uint32_t rules_of(const struct grudge *g)
{
	uint32_t rules = 0;

	for (uint32_t i = 0; i < g->node_count; i++)
		rules += (uint32_t)__builtin_popcountll(g->blocked_from[i]);
	return rules;
}

static int bench_run(const struct bench_opts *o, struct errbuf *eb)
{
	struct cluster_opts copts = { .node_count = BENCH_NODES };
	struct timing ebpf = { 0 }, iptables = { 0 };
	struct nemesis *nem = NULL;
	struct cluster *c = NULL;
	struct grudge g;
	struct prng prng;
	char run_id[16];
	int err;

	snprintf(run_id, sizeof(run_id), "bn%x", (unsigned)getpid() & 0xffff);
	copts.run_id = run_id;
	prng_init(&prng, o->seed);
	err = partition_shape_grudge(PARTITION_SHAPE_HALVES, BENCH_NODES, &prng, &g);
	ASSERT(err == 0);
	err = cluster_setup(&c, &copts, eb);
	if (err)
		return err;
	err = nem_partition_new(&nem, eb);
	if (!err)
		err = nem_setup(nem, c, eb);
	if (!err)
		err = time_ebpf(nem, &g, o->ebpf_rounds, &ebpf, eb);
	if (!err)
		err = time_iptables(c, &g, o->iptables_rounds, &iptables, eb);
	if (!err) {
		print_line("apply", rules_of(&g), ebpf.apply_ns, iptables.apply_ns);
		print_line("heal", rules_of(&g), ebpf.heal_ns, iptables.heal_ns);
		printf("(means: ebpf over %u rounds, iptables over %u rounds)\n", o->ebpf_rounds,
		       o->iptables_rounds);
	}
	nem_free(nem);
	cluster_teardown(c, NULL);
	return err;
}

static int parse(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longs[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ebpf-rounds", required_argument, NULL, 'e' },
		{ "iptables-rounds", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	char *end;
	int opt;

	*o = bench_defaults;
	while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(0);
		}
		if (opt == '?')
			return -EINVAL;
		errno = 0;
		v = strtoull(optarg, &end, 0);
		if (errno || *end || (opt != 's' && (v == 0 || v > 1000000)))
			return -EINVAL;
		if (opt == 's')
			o->seed = v;
		else if (opt == 'e')
			o->ebpf_rounds = (uint32_t)v;
		else
			o->iptables_rounds = (uint32_t)v;
	}
	return optind == argc ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	struct errbuf eb = { "" };
	struct bench_opts o;
	int err;

	if (parse(argc, argv, &o)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	printf("seed=%" PRIu64 "\n", o.seed);
	if (geteuid() != 0) {
		fprintf(stderr, "bench-nemesis: needs root (namespaces, BPF, iptables)\n");
		return EXIT_INTERNAL;
	}
	err = bench_run(&o, &eb);
	if (err) {
		fprintf(stderr, "bench-nemesis: %s: %s\n", eb.msg, strerror(-err));
		fprintf(stderr, "reproduce: bench-nemesis --seed %" PRIu64 "\n", o.seed);
		return EXIT_INTERNAL;
	}
	return 0;
}
