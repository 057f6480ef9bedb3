/* SPDX-License-Identifier: MIT */
/* cmd_run.c - `faultline run crdt|lww ...`: parse, validate across fields, run one campaign. */
#include "cmd.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "campaign.h"
#include "cli_parse.h"
#include "cluster.h"
#include "checker.h"
#include "errbuf.h"
#include "partition_shape.h"
#include "pbft_limits.h"
#include "system.h"


static void usage(FILE *out)
{
	fprintf(out,
		"usage: faultline run crdt|lww|pbft [options]\n\n"
		"  crdt                          CRDT replicas (crdt-node), checked for\n"
		"                                convergence and lost or phantom updates\n"
		"  lww                           last-writer-wins registers (lww-node) with\n"
		"                                HLC timestamps, checked for causality\n"
		"  pbft                          PBFT replicas (pbft-node), 3f+1 of them,\n"
		"                                checked for agreement, integrity, total\n"
		"                                order and linearizability (cas-register)\n"
		"  --model gcounter|gset|orset   crdt only: CRDT under test (default gset)\n"
		"  --nodes N                     replicas, 1..%d (default 5; pbft: 4, 7\n"
		"                                or 10, default 4)\n"
		"  --time S                      seconds of client load (default 20)\n"
		"  --rate R                      ops/s over all clients (default 50)\n"
		"  --concurrency C               client threads (default 10)\n"
		"  --nemesis LIST                faults, comma-separated, each given as\n"
		"                                name[:interval_s[:probability]]; names:\n"
		"                                partition, loss, dup, delay, reorder,\n"
		"                                bandwidth, kill, pause, clock,\n"
		"                                byzantine (pbft), msgdrop; or none\n"
		"                                (default partition)\n"
		"  --nemesis-interval S          default interval: every S seconds each\n"
		"                                fault starts (with its probability) or\n"
		"                                stops (default 3)\n"
		"  --shapes LIST                 partition shapes drawn at random, comma-\n"
		"                                separated, from isolate, halves, bridge,\n"
		"                                majorities-ring and random (default: all)\n"
		"  --seed X                      seed for every random choice (default: random)\n"
		"  --bug NAME                    run deliberately broken nodes: crdt:\n"
		"                                gcounter-sum-merge, orset-remove-wins,\n"
		"                                no-retransmit, restart-empty; lww:\n"
		"                                wallclock-lww (wall-clock timestamps);\n"
		"                                pbft: quorum-2f, no-digest-check,\n"
		"                                count-messages-not-senders,\n"
		"                                view-change-drops-prepared,\n"
		"                                client-first-reply\n"
		"  --byzantine MODE[,MODE]       pbft: replica i starts with the i-th mode:\n"
		"                                silent, equivocate, corrupt-digest,\n"
		"                                conflicting-votes, wrong-results, replay,\n"
		"                                forge-sender, fake-certificates, or none\n"
		"  --fast                        pbft: the fast path: replicas execute\n"
		"                                tentatively (--tentative), clients send reads\n"
		"                                as READ-ONLY and wait for 2f+1 matching\n"
		"                                replies\n"
		"  --store DIR                   where runs are written (default store)\n"
		"  --keep                        name the namespaces fl-<id>-*, so that\n"
		"                                `ip netns exec` works; `faultline clean`\n"
		"                                removes them if the run dies\n"
		"  --op-timeout-ms MS            client op timeout, then info (default 1000)\n"
		"  --no-capture                  do not record packets (default: every node's\n"
		"                                traffic into capture.pcapng in the run dir)\n"
		"  --capture-max-mb MB           cap on the capture file (default 64)\n"
		"\nexit codes: 0 valid, 1 invalid, 2 unknown, 64 usage, 70 internal error\n",
		CLUSTER_NODES_MAX);
}

/* Splits @list in place into @opts->shapes; -EINVAL names the bad shape in @eb. */
static int parse_shapes(char *list, struct campaign_opts *o, struct errbuf *eb)
{
	uint32_t n = 0;

	for (char *save, *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (partition_shape_parse(s) < 0)
			return errbuf_set(eb, -EINVAL, "--shapes: unknown shape '%s'", s);
		if (n + 1 >= CAMPAIGN_SHAPES_MAX)
			return errbuf_set(eb, -E2BIG, "--shapes: at most %d shapes",
					  CAMPAIGN_SHAPES_MAX - 1);
		o->shapes[n++] = s;
	}
	if (n == 0)
		return errbuf_set(eb, -EINVAL, "--shapes: empty list");
	o->shapes[n] = NULL;
	return 0;
}

/*
 * The node program of @kind: $FAULTLINE_NODE_EXE if set, else beside the faultline binary in
 * its build tree (nodes/<system>/<program>), else the program name, found in $PATH.
 */
static const char *find_node_exe(const struct system_kind *kind, char *buf, size_t size)
{
	const char *env = getenv("FAULTLINE_NODE_EXE");
	char self[PATH_MAX - 64];
	ssize_t n;

	if (env && *env)
		return env;
	/* Beside the faultline binary in the build tree, wherever that tree has moved. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, size, "%s/nodes/%s/%s", self, kind->name,
				 kind->node_exe_name);
			if (access(buf, X_OK) == 0)
				return buf;
		}
	}
	return kind->node_exe_name;
}

static bool has_fault(const struct campaign_opts *o, uint32_t fault)
{
	for (uint32_t i = 0; i < o->fault_count; i++) {
		if (o->faults[i].fault == fault)
			return true;
	}
	return false;
}

/*
 * --nemesis LIST: "none", or items name[:interval_s[:probability]] separated by commas, e.g.
 * "partition,kill:5:0.5". An item without an interval takes --nemesis-interval; without a
 * probability, 1 (every decision starts the fault). Parsed in place.
 */
static int parse_nemesis(char *list, struct campaign_opts *o, struct errbuf *eb)
{
	o->fault_count = 0;
	if (strcmp(list, "none") == 0)
		return 0;
	for (char *save, *item = strtok_r(list, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *interval = strchr(item, ':'), *probability = NULL;
		struct schedule_fault f = { .interval_s = o->nemesis_interval_s, .probability = 1 };

		if (interval) {
			*interval++ = '\0';
			probability = strchr(interval, ':');
			if (probability)
				*probability++ = '\0';
		}
		f.fault = schedule_fault_parse(item);
		if (!f.fault)
			return errbuf_set(eb, -EINVAL, "--nemesis: unknown fault '%s' (expected "
					  "partition, loss, dup, delay, reorder, bandwidth, kill, "
					  "pause, clock or none)", item);
		if (has_fault(o, f.fault) || o->fault_count >= SCHEDULE_FAULTS_MAX)
			return errbuf_set(eb, -EINVAL, "--nemesis: %s given twice", item);
		if (interval && cli_parse_double(interval, 0.05, 3600, &f.interval_s) < 0)
			return errbuf_set(eb, -EINVAL, "--nemesis: %s: interval '%s' is not "
					  "0.05..3600 s", item, interval);
		if (probability && cli_parse_double(probability, 0, 1, &f.probability) < 0)
			return errbuf_set(eb, -EINVAL, "--nemesis: %s: probability '%s' is not in "
					  "[0, 1]", item, probability);
		o->faults[o->fault_count++] = f;
	}
	return 0;
}

/* A cut needs two sides; a bridge or a ring of majorities needs a third node. */
static uint32_t shape_nodes_min(int shape)
{
	return shape == PARTITION_SHAPE_BRIDGE || shape == PARTITION_SHAPE_MAJORITIES_RING ? 3 : 2;
}

/* Without --shapes, the default list keeps only the shapes the cluster is big enough for. */
static void fit_default_shapes(struct campaign_opts *o)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; o->shapes[i]; i++) {
		if (o->node_count >= shape_nodes_min(partition_shape_parse(o->shapes[i])))
			o->shapes[kept++] = o->shapes[i];
	}
	o->shapes[kept] = NULL;
}

/* pbft: 3f+1 replicas (4 unless --nodes), modes for at most n replicas, and a client id
 * for every client thread, the readiness probe and the final reads. */
static int check_pbft(struct campaign_opts *o, bool nodes_given, struct errbuf *eb)
{
	char modes[CLUSTER_NODES_MAX][SYSTEM_MODE_BYTES_MAX];
	uint32_t count = 0, byzantine = 0, n;

	if (!nodes_given)
		o->node_count = 4;
	n = o->node_count;
	if (n < 4 || n > PBFT_REPLICAS_MAX || (n - 1) % 3 != 0)
		return errbuf_set(eb, -EINVAL, "--nodes: pbft needs 3f+1 replicas: 4, 7 or 10");
	if (o->byzantine) {
		int err = pbft_system_modes(o->byzantine, modes, n, &count, eb);

		if (err < 0)
			return err;
		for (uint32_t i = 0; i < count; i++)
			byzantine += strcmp(modes[i], "none") != 0;
		if (byzantine > (n - 1) / 3)
			fprintf(stderr, "faultline run: warning: %u Byzantine replicas, more than "
				"f = %u: safety is not promised\n", byzantine, (n - 1) / 3);
	}
	if (o->concurrency + 2 > PBFT_CLIENTS_MAX)
		return errbuf_set(eb, -EINVAL, "--concurrency: pbft has client ids for at most "
				  "%d client threads", PBFT_CLIENTS_MAX - 2);
	return 0;
}

static int check_cross_fields(struct campaign_opts *o, bool shapes_given, bool model_given,
			      bool nodes_given, struct errbuf *eb)
{
	const struct system_kind *kind = system_kind_find(o->system);
	bool found = o->bug == NULL;

	for (size_t i = 0; kind->bugs[i] && !found; i++)
		found = strcmp(o->bug, kind->bugs[i]) == 0;
	if (!found)
		return errbuf_set(eb, -EINVAL, "--bug: %s has no bug '%s'", o->system, o->bug);
	if (!kind->has_models && model_given)
		return errbuf_set(eb, -EINVAL, "--model: %s has one model", o->system);
	if ((o->byzantine || has_fault(o, NEM_F_BYZANTINE)) && !kind->has_byzantine)
		return errbuf_set(eb, -EINVAL, "%s has no Byzantine modes (--byzantine, --nemesis "
				  "byzantine)", o->system);
	if (o->fast && !kind->has_byzantine)
		return errbuf_set(eb, -EINVAL, "--fast: only pbft has a fast path");
	if (o->byzantine && has_fault(o, NEM_F_BYZANTINE))
		return errbuf_set(eb, -EINVAL, "--byzantine and --nemesis byzantine together could "
				  "make more than f replicas Byzantine; pick one");
	if (kind->has_byzantine) {
		int err = check_pbft(o, nodes_given, eb);

		if (err < 0)
			return err;
	}
	if (has_fault(o, NEM_F_PARTITION) && o->node_count < 2)
		return errbuf_set(eb, -EINVAL, "a partition needs at least 2 nodes; "
				  "use --nemesis none for one node");
	if (has_fault(o, NEM_F_PARTITION)) {
		if (!shapes_given)
			fit_default_shapes(o);
		for (uint32_t i = 0; o->shapes[i]; i++) {
			uint32_t min = shape_nodes_min(partition_shape_parse(o->shapes[i]));

			if (o->node_count < min)
				return errbuf_set(eb, -EINVAL, "shape %s needs at least %u nodes "
						  "(--nodes %u); pick others with --shapes",
						  o->shapes[i], min, o->node_count);
		}
	}
	if (o->rate / o->concurrency > 1000)
		return errbuf_set(eb, -EINVAL, "--rate %g is over 1000 ops/s per client", o->rate);
	return 0;
}

static void on_signal(int sig)
{
	campaign_stop();
	signal(sig, SIG_DFL);           /* a second Ctrl-C ends the process at once */
}

static int parse_option(int c, struct campaign_opts *o, char **nemesis_text,
			struct errbuf *eb)
{
	double d;

	switch (c) {
	case 'm':
		return crdt_model_parse(optarg, &o->model) < 0
			? errbuf_set(eb, -EINVAL, "--model: expected gcounter, gset or orset") : 0;
	case 'n':
		if (cli_parse_double(optarg, 1, CLUSTER_NODES_MAX, &d) < 0 || d != (uint32_t)d)
			return errbuf_set(eb, -EINVAL, "--nodes: expected 1..%d",
					  CLUSTER_NODES_MAX);
		o->node_count = (uint32_t)d;
		return 0;
	case 't':
		return cli_parse_double(optarg, 0.1, 86400, &o->time_s) < 0
			? errbuf_set(eb, -EINVAL, "--time: expected seconds, 0.1..86400") : 0;
	case 'r':
		return cli_parse_double(optarg, 0.1, 1e6, &o->rate) < 0
			? errbuf_set(eb, -EINVAL, "--rate: expected ops/s, 0.1..1e6") : 0;
	case 'c':
		if (cli_parse_double(optarg, 1, CAMPAIGN_CONCURRENCY_MAX, &d) < 0 ||
		    d != (uint32_t)d)
			return errbuf_set(eb, -EINVAL, "--concurrency: expected 1..%d",
					  CAMPAIGN_CONCURRENCY_MAX);
		o->concurrency = (uint32_t)d;
		return 0;
	case 'N': *nemesis_text = optarg; return 0;
	case 'i':
		return cli_parse_double(optarg, 0.05, 3600, &o->nemesis_interval_s) < 0
			? errbuf_set(eb, -EINVAL, "--nemesis-interval: expected 0.05..3600 s") : 0;
	case 'S': return parse_shapes(optarg, o, eb);
	case 's':
		return cli_parse_u64(optarg, &o->seed) < 0
			? errbuf_set(eb, -EINVAL, "--seed: expected an unsigned 64-bit integer")
			: 0;
	case 'b': o->bug = optarg; return 0;
	case 'B': o->byzantine = optarg; return 0;
	case 'F': o->fast = true; return 0;
	case 'd': o->store_root = optarg; return 0;
	case 'k': o->keep = true; return 0;
	case 'C': o->capture = false; return 0;
	case 'M':
		if (cli_parse_double(optarg, 0.01, 1 << 20, &d) < 0)
			return errbuf_set(eb, -EINVAL, "--capture-max-mb: expected 0.01..1048576");
		o->capture_bytes_max = (uint64_t)(d * (1 << 20));
		return 0;
	case 'o':
		if (cli_parse_double(optarg, 1, 600000, &d) < 0)
			return errbuf_set(eb, -EINVAL, "--op-timeout-ms: expected 1..600000");
		o->op_timeout_ns = (int64_t)(d * 1e6);
		return 0;
	default:
		return errbuf_set(eb, -EINVAL, "unknown option");
	}
}

static int parse_args(int argc, char **argv, struct campaign_opts *o, struct errbuf *eb)
{
	static const struct option options[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "nodes", required_argument, NULL, 'n' },
		{ "time", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 'r' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "nemesis", required_argument, NULL, 'N' },
		{ "nemesis-interval", required_argument, NULL, 'i' },
		{ "shapes", required_argument, NULL, 'S' },
		{ "seed", required_argument, NULL, 's' },
		{ "bug", required_argument, NULL, 'b' },
		{ "byzantine", required_argument, NULL, 'B' },
		{ "fast", no_argument, NULL, 'F' },
		{ "store", required_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' },
		{ "op-timeout-ms", required_argument, NULL, 'o' },
		{ "no-capture", no_argument, NULL, 'C' },
		{ "capture-max-mb", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool seeded = false, shapes_given = false, model_given = false, nodes_given = false;
	char *nemesis_text = NULL;
	int c, err;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (c == 'h')
			return 1;
		if (c == '?')
			return errbuf_set(eb, -EINVAL, "bad option (see --help)");
		seeded |= c == 's';
		shapes_given |= c == 'S';
		model_given |= c == 'm';
		nodes_given |= c == 'n';
		err = parse_option(c, o, &nemesis_text, eb);
		if (err < 0)
			return err;
	}
	if (optind + 1 != argc || !system_kind_find(argv[optind]))
		return errbuf_set(eb, -EINVAL, "expected one system: %s", system_kind_names());
	o->system = argv[optind];
	if (nemesis_text) {
		err = parse_nemesis(nemesis_text, o, eb);
		if (err < 0)
			return err;
	} else {
		o->faults[0].interval_s = o->nemesis_interval_s;
	}
	if (!seeded && getrandom(&o->seed, sizeof(o->seed), 0) != sizeof(o->seed))
		return errbuf_set(eb, -EIO, "cannot draw a random seed");
	return check_cross_fields(o, shapes_given, model_given, nodes_given, eb);
}

int cmd_run(int argc, char **argv)
{
	static struct campaign_opts o;
	struct campaign_report report;
	struct errbuf eb = { "" };
	char exe[PATH_MAX];
	int err;

	o = campaign_defaults;
	err = parse_args(argc, argv, &o, &eb);
	if (err > 0) {
		usage(stdout);
		return 0;
	}
	if (err < 0) {
		fprintf(stderr, "faultline: run: %s (see faultline run --help)\n", eb.msg);
		return CMD_EXIT_USAGE;
	}
	o.node_exe = find_node_exe(system_kind_find(o.system), exe, sizeof(exe));
	o.progress = isatty(STDERR_FILENO);
	o.argc = argc;
	o.argv = argv;
	if (geteuid() != 0)
		fprintf(stderr, "faultline: run: warning: not root; namespaces will likely fail\n");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	err = campaign_run(&o, &report, &eb);
	if (err < 0) {
		fprintf(stderr, "faultline: run: %s: %s\n", eb.msg, strerror(-err));
		if (report.run_dir[0])
			fprintf(stderr, "faultline: run: what was recorded is in %s\n",
				report.run_dir);
		return CMD_EXIT_INTERNAL;
	}
	return report.verdict == VERDICT_VALID ? CMD_EXIT_VALID
	       : report.verdict == VERDICT_INVALID ? CMD_EXIT_INVALID : CMD_EXIT_UNKNOWN;
}
