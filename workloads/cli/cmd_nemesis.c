/* SPDX-License-Identifier: MIT */
/* cmd_nemesis.c - `faultline nemesis`: one fault by hand on the live cluster of a --keep run. */
#include "cmd.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cli_parse.h"
#include "cluster.h"
#include "errbuf.h"
#include "fault.h"
#include "fl_assert.h"
#include "monotime.h"
#include "nemesis.h"
#include "nfqueue.h"
#include "partition.h"
#include "partition_shape.h"
#include "prng.h"
#include "proc.h"
#include "qdisc.h"

STATIC_ASSERT((int)CLUSTER_NODES_MAX <= (int)NEM_NODES_MAX, "a node set fits nem_params");

enum {
	LIVE_LIST_MAX = 256,            /* clusters shown by --list */
	LIST_TEXT_BYTES_MAX = 1024,     /* a --nodes or --pairs argument */
	HOLD_SLICE_MS = 500,            /* a hold checks this often that the run still lives */
};
#define HOLD_S_MAX (366.0 * 86400)
#define MS_MAX 60000.0                  /* the delayer holds a packet at most 60 s */

/* Options that only some faults take; the rest (--run, --seed) go with every fault. */
enum hand_opt {
	OPT_SHAPE = 1u << 0, OPT_P = 1u << 1, OPT_PAIRS = 1u << 2, OPT_MS = 1u << 3,
	OPT_JITTER = 1u << 4, OPT_KBIT = 1u << 5, OPT_NODES = 1u << 6, OPT_FOR = 1u << 7,
	OPT_COUNT = 8,
};

static const char *const opt_names[OPT_COUNT] = {
	"--shape", "--p", "--pairs", "--ms", "--jitter-ms", "--kbit", "--nodes", "--for",
};
static const char *const opt_args[OPT_COUNT] = { "SHAPE", "P", "n1-n2,..", "MS", "MS", "K",
						 "n1,..", "S" };

/*
 * The faults this command applies by hand: the fault kinds of the one table (fault.h),
 * with the options a user gives instead of the schedule's draws. A network fault (@hold)
 * holds from the kind's start to its stop; a process fault is one op, the kind's start
 * (or, @as_stop, its stop: resume is pause's).
 */
struct hand_fault {
	const char *name;               /* the command's word */
	const char *kind;               /* the fault kind's name in fault.h */
	bool as_stop, hold;
	uint32_t allowed, required;     /* enum hand_opt */
	const char *help;               /* NULL: the fault kind's */
};

static const struct hand_fault faults[] = {
	{ "partition", "partition", false, true, OPT_SHAPE | OPT_FOR, 0, NULL },
	{ "loss", "loss", false, true, OPT_P | OPT_PAIRS | OPT_FOR, OPT_P, NULL },
	{ "dup", "dup", false, true, OPT_P | OPT_PAIRS | OPT_FOR, OPT_P, NULL },
	{ "delay", "delay", false, true, OPT_MS | OPT_JITTER | OPT_PAIRS | OPT_FOR, OPT_MS,
	  "delay packets (NFQUEUE)" },
	{ "reorder", "reorder", false, true, OPT_P | OPT_MS | OPT_PAIRS | OPT_FOR,
	  OPT_P | OPT_MS, NULL },
	{ "bandwidth", "bandwidth", false, true, OPT_KBIT | OPT_NODES | OPT_FOR, OPT_KBIT, NULL },
	{ "kill", "kill", false, false, OPT_NODES, OPT_NODES,
	  "kill node processes (cgroup.kill); not restarted" },
	{ "pause", "pause", false, false, OPT_NODES, OPT_NODES,
	  "freeze node processes (cgroup.freeze) until resume" },
	{ "resume", "pause", true, false, OPT_NODES, OPT_NODES, "thaw paused nodes" },
};

static const struct fault_kind *hand_kind(const struct hand_fault *hf)
{
	const struct fault_kind *k = fault_find(NULL, hf->kind);

	ASSERT(k);              /* every row names a generic fault kind */
	return k;
}

/* The op that starts (or, for a process fault, is) the fault, and the one that stops it
 * (NULL for a process fault). */
static const char *hand_f_start(const struct hand_fault *hf)
{
	return hf->as_stop ? hand_kind(hf)->stop : hand_kind(hf)->start;
}

static const char *hand_f_stop(const struct hand_fault *hf)
{
	return hf->hold ? hand_kind(hf)->stop : NULL;
}

struct nemesis_opts {
	const char *run_id;
	bool list;
	const struct hand_fault *fault;
	const char *shape;              /* NULL: drawn from the seed */
	const char *nodes_text;         /* "n1,n2" */
	const char *pairs_text;         /* "n1-n2,n3-n1": from-to */
	double for_s;                   /* 0: until SIGINT, SIGTERM or SIGHUP */
	double p, ms, jitter_ms, kbit;
	uint64_t seed;
	uint32_t given;                 /* enum hand_opt */
};

static const struct nemesis_opts nemesis_defaults = { .for_s = 0 };

/* "--p P [--pairs n1-n2,..]": the options @hf takes, the optional ones in brackets. */
static void hand_options(const struct hand_fault *hf, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < OPT_COUNT && used < size; i++) {
		bool required = hf->required & (1u << i);

		if (!(hf->allowed & (1u << i)) || i == 7)       /* --for: said once below */
			continue;
		used += (size_t)snprintf(out + used, size - used, " %s%s %s%s", required ? "" : "[",
					 opt_names[i], opt_args[i], required ? "" : "]");
	}
}

static void usage(FILE *out)
{
	char lead[96];

	fprintf(out,
		"usage: faultline nemesis --run ID FAULT [options]\n"
		"       faultline nemesis --list\n\n"
		"Applies one fault by hand to the live cluster of `faultline run --keep`.\n"
		"Network faults hold until --for S seconds pass or Ctrl-C/SIGTERM, then heal;\n"
		"process faults act at once on the nodes' cgroups and return:\n");
	for (size_t i = 0; i < ARRAY_SIZE(faults); i++) {
		const struct hand_fault *hf = &faults[i];

		snprintf(lead, sizeof(lead), "  %s", hf->name);
		hand_options(hf, lead + strlen(lead), sizeof(lead) - strlen(lead));
		fprintf(out, "%-44s%s%s\n", lead, strlen(lead) < 44 ? " " : "\n      ",
			hf->help ? hf->help : hand_kind(hf)->help);
	}
	fprintf(out,
		"\n"
		"  --run ID        run id printed by `faultline run --keep`\n"
		"  --list          list live --keep clusters: run ids, node counts\n"
		"  --for S         hold a network fault S seconds (default: until a signal)\n"
		"  --pairs LIST    from-to node pairs (default: every ordered pair)\n"
		"  --nodes LIST    nodes (bandwidth default: all)\n"
		"  --seed X        seed for random choices (default: random, printed)\n"
		"Pairs: n1-n2 is traffic from n1 to n2. Default shape: drawn from the seed.\n"
		"Killed nodes stay down: `faultline run` starts nodes, this command does not.\n"
		"\nexit codes: 0 done, 64 usage, 70 system error (e.g. no such run)\n");
}

static int parse_option(int c, struct nemesis_opts *o, struct errbuf *eb)
{
	switch (c) {
	case 'r': o->run_id = optarg; return 0;
	case 'l': o->list = true; return 0;
	case 'S': o->shape = optarg; o->given |= OPT_SHAPE; return 0;
	case 'n': o->nodes_text = optarg; o->given |= OPT_NODES; return 0;
	case 'P': o->pairs_text = optarg; o->given |= OPT_PAIRS; return 0;
	case 'f':
		o->given |= OPT_FOR;
		return cli_parse_double(optarg, 1e-3, HOLD_S_MAX, &o->for_s) < 0
			? errbuf_set(eb, -EINVAL, "--for: expected seconds > 0") : 0;
	case 'p':
		o->given |= OPT_P;
		return cli_parse_double(optarg, 0, 1, &o->p) < 0 || o->p == 0
			? errbuf_set(eb, -EINVAL, "--p: expected a probability in (0, 1]") : 0;
	case 'm':
		o->given |= OPT_MS;
		return cli_parse_double(optarg, 1e-3, MS_MAX, &o->ms) < 0
			? errbuf_set(eb, -EINVAL, "--ms: expected 0.001..%g ms", MS_MAX) : 0;
	case 'j':
		o->given |= OPT_JITTER;
		return cli_parse_double(optarg, 0, MS_MAX, &o->jitter_ms) < 0
			? errbuf_set(eb, -EINVAL, "--jitter-ms: expected 0..%g ms", MS_MAX) : 0;
	case 'k':
		o->given |= OPT_KBIT;
		return cli_parse_double(optarg, (double)QDISC_TBF_RATE_BYTES_PER_S_MIN * 8 / 1000,
				    (double)QDISC_TBF_RATE_BYTES_PER_S_MAX * 8 / 1000,
				    &o->kbit) < 0
			? errbuf_set(eb, -EINVAL, "--kbit: expected 1..%llu",
				     QDISC_TBF_RATE_BYTES_PER_S_MAX * 8 / 1000) : 0;
	case 's':
		return cli_parse_u64(optarg, &o->seed) < 0
			? errbuf_set(eb, -EINVAL, "--seed: expected an unsigned 64-bit integer")
			: 0;
	default:
		return errbuf_set(eb, -EINVAL, "bad option");
	}
}

static const struct hand_fault *hand_fault_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(faults); i++) {
		if (!strcmp(faults[i].name, name))
			return &faults[i];
	}
	return NULL;
}

/* What can be checked without the cluster: the fault, its options, their combinations. */
static int check_cross_fields(struct nemesis_opts *o, const char *fault, struct errbuf *eb)
{
	uint32_t extra, missing;
	int i;

	if (o->list)
		return o->run_id || fault || o->given
			? errbuf_set(eb, -EINVAL, "--list takes no other option or fault") : 0;
	if (!o->run_id)
		return errbuf_set(eb, -EINVAL, "--run ID is required (ids: faultline nemesis "
				  "--list)");
	o->fault = fault ? hand_fault_find(fault) : NULL;
	if (!o->fault) {
		char names[160];
		size_t used = 0;

		for (size_t k = 0; k < ARRAY_SIZE(faults) && used < sizeof(names); k++)
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
						 k ? ", " : "", faults[k].name);
		return fault ? errbuf_set(eb, -EINVAL, "unknown fault '%s' (expected %s)", fault,
					  names)
			     : errbuf_set(eb, -EINVAL, "expected one fault: %s", names);
	}
	extra = o->given & ~o->fault->allowed;
	missing = o->fault->required & ~o->given;
	for (i = 0; i < OPT_COUNT; i++) {
		if (extra & (1u << i))
			return errbuf_set(eb, -EINVAL, "%s does not apply to %s", opt_names[i],
					  fault);
	}
	for (i = 0; i < OPT_COUNT; i++) {
		if (missing & (1u << i))
			return errbuf_set(eb, -EINVAL, "%s needs %s", fault, opt_names[i]);
	}
	if (o->shape && partition_shape_parse(o->shape) < 0)
		return errbuf_set(eb, -EINVAL, "--shape: unknown shape '%s'", o->shape);
	return 0;
}

static int parse_args(int argc, char **argv, struct nemesis_opts *o, struct errbuf *eb)
{
	static const struct option options[] = {
		{ "run", required_argument, NULL, 'r' },
		{ "list", no_argument, NULL, 'l' },
		{ "shape", required_argument, NULL, 'S' },
		{ "for", required_argument, NULL, 'f' },
		{ "p", required_argument, NULL, 'p' },
		{ "pairs", required_argument, NULL, 'P' },
		{ "ms", required_argument, NULL, 'm' },
		{ "jitter-ms", required_argument, NULL, 'j' },
		{ "kbit", required_argument, NULL, 'k' },
		{ "nodes", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool seeded = false;
	int c, err;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (c == 'h')
			return 1;
		if (c == '?')
			return errbuf_set(eb, -EINVAL, "bad option");
		seeded |= c == 's';
		err = parse_option(c, o, eb);
		if (err < 0)
			return err;
	}
	if (argc - optind > 1)
		return errbuf_set(eb, -EINVAL, "one fault at a time ('%s' is extra)",
				  argv[optind + 1]);
	err = check_cross_fields(o, optind < argc ? argv[optind] : NULL, eb);
	if (err < 0)
		return err;
	if (!seeded && getrandom(&o->seed, sizeof(o->seed), 0) != sizeof(o->seed))
		return errbuf_set(eb, -EIO, "cannot draw a random seed");
	return 0;
}

/* ---- the hand nemesis: attach, resolve names, run the fault ---- */

/*
 * One command's state. Invariants: @nem != NULL only between nemesis creation and
 * nem_free(); @usage: the error found is the user's (exit 64), not the system's.
 */
struct hand {
	const struct nemesis_opts *o;
	struct cluster *cluster;
	struct nemesis *nem;
	struct prng prng;
	struct nem_params params;
	sigset_t signals;               /* blocked; waited for during a hold */
	bool usage, no_run;
};

static int node_lookup(const struct cluster *c, const char *name, uint32_t *node)
{
	for (uint32_t i = 0; i < cluster_node_count(c); i++) {
		if (!strcmp(cluster_node_name(c, i), name)) {
			*node = i;
			return 0;
		}
	}
	return -ENOENT;
}

/* Splits a copy of @text at commas; calls @item_fn on each item. */
static int list_each(struct hand *h, const char *what, const char *text,
		     int (*item_fn)(struct hand *h, char *item, struct errbuf *eb),
		     struct errbuf *eb)
{
	char copy[LIST_TEXT_BYTES_MAX], *save, *item;
	int err, n = 0;

	if (strlen(text) >= sizeof(copy))
		return errbuf_set(eb, -E2BIG, "%s: over %d characters", what,
				  LIST_TEXT_BYTES_MAX - 1);
	memcpy(copy, text, strlen(text) + 1);
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		err = item_fn(h, item, eb);
		if (err)
			return errbuf_prefix(eb, err, "%s: ", what);
		n++;
	}
	return n ? 0 : errbuf_set(eb, -EINVAL, "%s: empty list", what);
}

static int node_item(struct hand *h, char *item, struct errbuf *eb)
{
	uint32_t node;

	if (node_lookup(h->cluster, item, &node))
		return errbuf_set(eb, -EINVAL, "no node %s in run %s (it has n1..n%u)", item,
				  h->o->run_id, cluster_node_count(h->cluster));
	h->params.nodes |= 1ull << node;
	return 0;
}

static int pair_item(struct hand *h, char *item, struct errbuf *eb)
{
	char *dash = strchr(item, '-');
	uint32_t source, target;

	if (!dash)
		return errbuf_set(eb, -EINVAL, "'%s' is not FROM-TO", item);
	*dash = '\0';
	if (node_lookup(h->cluster, item, &source) || node_lookup(h->cluster, dash + 1, &target))
		return errbuf_set(eb, -EINVAL, "'%s-%s' names a node not in run %s (n1..n%u)",
				  item, dash + 1, h->o->run_id, cluster_node_count(h->cluster));
	if (source == target)
		return errbuf_set(eb, -EINVAL, "'%s-%s': a node to itself", item, dash + 1);
	h->params.pairs[target] |= 1ull << source;
	return 0;
}

/* The options that need the cluster: node names, and what the cluster must offer. */
static int params_resolve(struct hand *h, struct errbuf *eb)
{
	const struct nemesis_opts *o = h->o;
	uint32_t n = cluster_node_count(h->cluster);
	int err = 0, shape;

	h->usage = true;
	if (o->nodes_text)
		err = list_each(h, "--nodes", o->nodes_text, node_item, eb);
	if (!err && o->pairs_text)
		err = list_each(h, "--pairs", o->pairs_text, pair_item, eb);
	if (err)
		return err;
	if (!strcmp(o->fault->name, "partition")) {
		shape = o->shape ? partition_shape_parse(o->shape) : PARTITION_SHAPE_ISOLATE;
		if (n < 2 || (n < 3 && (shape == PARTITION_SHAPE_BRIDGE ||
					shape == PARTITION_SHAPE_MAJORITIES_RING)))
			return errbuf_set(eb, -EINVAL, "shape %s does not fit run %s's %u nodes",
					  o->shape ? o->shape : "of any kind", o->run_id, n);
	}
	h->usage = false;
	if (!o->fault->hold && !cluster_has_cgroups(h->cluster))
		return errbuf_set(eb, -EOPNOTSUPP, "run %s's nodes have no cgroups (v2 "
				  "fl-%s-nX), which %s acts through", o->run_id, o->run_id,
				  o->fault->name);
	h->params.probability = o->p;
	h->params.delay_ns = (int64_t)(o->ms * 1e6);
	h->params.jitter_ns = (int64_t)(o->jitter_ms * 1e6);
	h->params.rate_bytes_per_s = (uint64_t)(o->kbit * 1000 / 8);
	return 0;
}

static int invoke_print(struct hand *h, const char *f, const char *arg,
			const struct nem_params *params, struct errbuf *eb)
{
	struct nem_request req = { .f = f, .arg = arg, .params = params };
	static struct nem_completion done;
	int err;

	err = nem_invoke(h->nem, &req, &h->prng, &done, eb);
	if (err)
		return errbuf_prefix(eb, err, "%s: ", f);
	ASSERT(done.value[0] == '{');
	printf("%s %s\n", f, done.value);
	fflush(stdout);
	return 0;
}

/* The restart callback nem_proc needs: the run that launched the nodes owns restarts. */
static int restart_refuse(void *ctx, uint32_t node, struct errbuf *eb)
{
	(void)ctx;
	return errbuf_set(eb, -EOPNOTSUPP, "node n%u: faultline nemesis does not start nodes",
			  node + 1);
}

static int nemesis_create(struct hand *h, struct errbuf *eb)
{
	const char *name = h->o->fault->name;

	ASSERT(!h->nem);
	if (!strcmp(name, "partition") || !strcmp(name, "loss") || !strcmp(name, "dup")) {
		return nem_partition_new(&h->nem, eb);
	}
	if (!strcmp(name, "delay") || !strcmp(name, "reorder")) {
		return nem_nfqueue_new_on(&h->nem, prng_next(&h->prng), NFQ_QUEUE_NUM_HAND, eb);
	}
	if (!strcmp(name, "bandwidth")) {
		return nem_qdisc_bandwidth_new(&h->nem, eb);
	}
	return nem_proc_new(&h->nem, restart_refuse, NULL, eb);
}

/* Waits out --for, a signal, or the end of the run; returns the reason as text. */
static const char *hold_wait(struct hand *h)
{
	int64_t deadline = monotime_ns() + (int64_t)(h->o->for_s * 1e9), left;
	struct timespec slice;
	int sig;

	/* Unbounded without --for, by design: the user ends the hold. */
	for (;;) {
		left = h->o->for_s > 0 ? deadline - monotime_ns() : HOLD_SLICE_MS * 1000000ll;
		if (left <= 0)
			return "time is up";
		if (left > HOLD_SLICE_MS * 1000000ll)
			left = HOLD_SLICE_MS * 1000000ll;
		slice.tv_sec = left / 1000000000;
		slice.tv_nsec = left % 1000000000;
		sig = sigtimedwait(&h->signals, NULL, &slice);
		if (sig > 0)
			return strsignal(sig);
		if (!cluster_attached_live(h->cluster))
			return "the run has ended";
	}
}

/* setup, start, hold, stop, teardown; the stop is sent whenever the start was. */
static int hold_run(struct hand *h, struct errbuf *eb)
{
	const struct hand_fault *fault = h->o->fault;
	char arg[64];
	int err, err_stop;

	err = nem_setup(h->nem, h->cluster, eb);
	if (err)
		return errbuf_prefix(eb, err, "%s setup: ", fault->name);
	if (h->o->shape)
		snprintf(arg, sizeof(arg), "\"%s\"", h->o->shape);
	err = invoke_print(h, hand_f_start(fault), h->o->shape ? arg : NULL, &h->params, eb);
	if (!err) {
		fprintf(stderr, "faultline: nemesis: %s holds", fault->name);
		if (h->o->for_s > 0)
			fprintf(stderr, " for %g s", h->o->for_s);
		fprintf(stderr, " (Ctrl-C heals)\n");
		fprintf(stderr, "faultline: nemesis: %s; healing\n", hold_wait(h));
		err = invoke_print(h, hand_f_stop(fault), NULL, NULL, eb);
	}
	err_stop = nem_teardown(h->nem, err ? NULL : eb);
	return err ? err : err_stop;
}

static void nodes_print(const struct cluster *c, const char *key, uint64_t set)
{
	const char *sep = "";

	printf("\"%s\":[", key);
	for (uint32_t i = 0; i < cluster_node_count(c); i++) {
		if (set & (1ull << i)) {
			printf("%s\"%s\"", sep, cluster_node_name(c, i));
			sep = ",";
		}
	}
	printf("]");
}

/*
 * kill and resume go through nem_proc; pause does not, because nem_proc's teardown resumes
 * what it paused and a hand pause must outlast this command. The value has nem_proc's form;
 * as there, an error on one node does not stop the others, and the first is returned.
 */
static int pause_run(struct hand *h, struct errbuf *eb)
{
	uint64_t done = 0, noop = 0, bit;
	int err, first = 0;
	uint32_t i;

	for (i = 0; i < cluster_node_count(h->cluster); i++) {
		bit = 1ull << i;
		if (!(h->params.nodes & bit))
			continue;
		if (!cluster_node_alive(h->cluster, i) || cluster_node_frozen(h->cluster, i)) {
			noop |= bit;
			continue;
		}
		err = cluster_node_freeze(h->cluster, i, first ? NULL : eb);
		if (err && !first)
			first = err;
		done |= err ? 0 : bit;
	}
	printf("pause {");
	nodes_print(h->cluster, "paused", done);
	if (noop) {
		printf(",");
		nodes_print(h->cluster, "noop", noop);
	}
	printf("}\n");
	fflush(stdout);
	return first;
}

static int proc_run(struct hand *h, struct errbuf *eb)
{
	int err;

	if (!strcmp(h->o->fault->name, "pause"))
		return pause_run(h, eb);
	err = nem_setup(h->nem, h->cluster, eb);
	if (!err)
		err = invoke_print(h, hand_f_start(h->o->fault), NULL, &h->params, eb);
	if (!err && !strcmp(h->o->fault->name, "kill"))
		fprintf(stderr, "faultline: nemesis: killed nodes stay down: `faultline run` "
			"launches nodes, this command does not; pause/resume is a reversible "
			"stop\n");
	return err;
}

static int hand_run(struct hand *h, struct errbuf *eb)
{
	int err;

	err = cluster_attach(&h->cluster, h->o->run_id, eb);
	if (err) {
		h->usage = err == -EINVAL;
		h->no_run = err == -ENOENT;
		return err;
	}
	err = params_resolve(h, eb);
	if (!err && strcmp(h->o->fault->name, "pause"))
		err = nemesis_create(h, eb);
	if (!err)
		err = h->o->fault->hold ? hold_run(h, eb) : proc_run(h, eb);
	if (h->nem)
		nem_free(h->nem);
	h->nem = NULL;
	cluster_teardown(h->cluster, NULL);
	h->cluster = NULL;
	return err;
}

/* ---- the command ---- */

static int list_print(void)
{
	static struct cluster_live live[LIVE_LIST_MAX];
	struct errbuf eb = { "" };
	uint32_t count, i;
	int err;

	err = cluster_list_live(live, LIVE_LIST_MAX, &count, &eb);
	if (err && err != -E2BIG) {
		fprintf(stderr, "faultline: nemesis: --list: %s: %s\n", eb.msg, strerror(-err));
		return CMD_EXIT_INTERNAL;
	}
	if (count == 0)
		printf("no live --keep clusters\n");
	else
		printf("%-8s  %s\n", "run id", "nodes");
	for (i = 0; i < count; i++)
		printf("%-8s  %u\n", live[i].run_id, live[i].node_count);
	if (err)
		fprintf(stderr, "faultline: nemesis: --list: %s; showing %u\n", eb.msg, count);
	return 0;
}

int cmd_nemesis(int argc, char **argv)
{
	static struct nemesis_opts o;
	static struct hand h;
	struct errbuf eb = { "" };
	int err;

	o = nemesis_defaults;
	err = parse_args(argc, argv, &o, &eb);
	if (err > 0) {
		usage(stdout);
		return 0;
	}
	if (err < 0) {
		fprintf(stderr, "faultline: nemesis: %s (see faultline nemesis --help)\n", eb.msg);
		return CMD_EXIT_USAGE;
	}
	if (o.list)
		return list_print();
	printf("seed=%" PRIu64 "\n", o.seed);
	fflush(stdout);
	h = (struct hand){ .o = &o };
	prng_init(&h.prng, o.seed);
	/* Blocked before any thread starts (the delayer's), so only sigtimedwait takes them. */
	sigemptyset(&h.signals);
	sigaddset(&h.signals, SIGINT);
	sigaddset(&h.signals, SIGTERM);
	sigaddset(&h.signals, SIGHUP);
	sigprocmask(SIG_BLOCK, &h.signals, NULL);
	err = hand_run(&h, &eb);
	if (!err)
		return 0;
	if (h.no_run) {
		fprintf(stderr, "faultline: nemesis: no live --keep cluster with run id %s (%s); "
			"see faultline nemesis --list\n", o.run_id, eb.msg);
		return CMD_EXIT_INTERNAL;
	}
	fprintf(stderr, "faultline: nemesis: %s: %s\n", eb.msg, strerror(-err));
	return h.usage ? CMD_EXIT_USAGE : CMD_EXIT_INTERNAL;
}
