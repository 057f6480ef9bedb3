/* SPDX-License-Identifier: MIT */
/* cmd_run.c - `faultline run SYSTEM ...`: parse the common options and the system's own (both
 * from tables), check them across fields, run one campaign. */
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
#include "campaign_config.h"
#include "cli_parse.h"
#include "cluster.h"
#include "checker.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "fault.h"
#include "partition_shape.h"
#include "run_options.h"
#include "system.h"

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
 * The node program of @desc: $FAULTLINE_NODE_EXE if set, else beside the faultline binary in
 * its build tree (nodes/<system>/<program>), else the program name, found in $PATH.
 */
static const char *find_node_exe(const struct system_desc *desc, char *buf, size_t size)
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
			snprintf(buf, size, "%s/nodes/%s/%s", self, desc->name,
				 desc->node_program);
			if (access(buf, X_OK) == 0)
				return buf;
		}
	}
	return desc->node_program;
}

/*
 * --nemesis LIST: "none", or items name[:interval_s[:probability]] separated by commas, e.g.
 * "partition,kill:5:0.5". An item without an interval takes --nemesis-interval; without a
 * probability, 1 (every decision starts the fault). Parsed in place.
 */
static int parse_nemesis(char *list, struct campaign_opts *o, struct errbuf *eb)
{
	const struct fault_kind *kind;
	char names[256];

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
		kind = fault_find(o->system, item);
		if (!kind) {
			fault_names(o->system, names, sizeof(names));
			return errbuf_set(eb, -EINVAL, "--nemesis: %s has no fault '%s' (expected "
					  "%s, or none)", o->system->name, item, names);
		}
		f.fault = kind->bit;
		if (campaign_opts_has_fault(o, f.fault) || o->fault_count >= SCHEDULE_FAULTS_MAX)
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

static int check_faults(const struct campaign_opts *o, struct errbuf *eb)
{
	if (campaign_opts_has_fault(o, NEM_F_PARTITION) && o->node_count < 2)
		return errbuf_set(eb, -EINVAL, "a partition needs at least 2 nodes; "
				  "use --nemesis none for one node");
	return 0;
}

static int check_cross_fields(struct campaign_opts *o, bool shapes_given, bool nodes_given,
			      struct errbuf *eb)
{
	const struct system_desc *desc = o->system;
	int err;

	if (o->bug && !system_bug_find(desc, o->bug))
		return errbuf_set(eb, -EINVAL, "--bug: %s has no bug '%s'", desc->name, o->bug);
	if (!nodes_given)
		o->node_count = desc->nodes_default;
	if (o->node_count < desc->nodes_min || o->node_count > desc->nodes_max)
		return errbuf_set(eb, -EINVAL, "--nodes: %s runs %u..%u nodes", desc->name,
				  desc->nodes_min, desc->nodes_max);
	if (desc->nodes_check && (err = desc->nodes_check(o->node_count, eb)) < 0)
		return err;
	if (desc->opts_check && (err = desc->opts_check(o->system_opts, o, eb)) < 0)
		return err;
	if ((err = check_faults(o, eb)) < 0)
		return err;
	if (campaign_opts_has_fault(o, NEM_F_PARTITION)) {
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

enum {
	SYSTEM_OPTION_CODE = 1000,      /* getopt val of the system's i-th option: this + i */
	RUN_OPTIONS_MAX = 64,           /* common and system options, --help and the end */
	RUN_ARGS_MAX = 256,             /* a --bug's default arguments and the command line */
	BUG_WITH_BYTES_MAX = 256,       /* a --bug's default arguments, as text */
};

static char nemesis_copy[512], shapes_copy[256];   /* --nemesis, --shapes: cut in place */

/* @arg copied into @buf, or NULL when it does not fit. */
static char *copy_arg(const char *arg, char *buf, size_t size)
{
	return (size_t)snprintf(buf, size, "%s", arg) < size ? buf : NULL;
}

static int parse_option(int c, struct campaign_opts *o, char **nemesis_text,
			struct errbuf *eb)
{
	const struct system_option *so;
	double d;

	if (c >= SYSTEM_OPTION_CODE) {
		so = &o->system->options[c - SYSTEM_OPTION_CODE];
		return so->parse(o->system_opts, so->arg ? optarg : NULL, eb);
	}
	switch (c) {
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
	case 'N':
		/* Parsed later, in place: a copy, so the command line config.json records
		 * stays whole. */
		*nemesis_text = copy_arg(optarg, nemesis_copy, sizeof(nemesis_copy));
		return *nemesis_text ? 0 : errbuf_set(eb, -E2BIG, "--nemesis: list too long");
	case 'i':
		return cli_parse_double(optarg, 0.05, 3600, &o->nemesis_interval_s) < 0
			? errbuf_set(eb, -EINVAL, "--nemesis-interval: expected 0.05..3600 s") : 0;
	case 'S':
		/* o->shapes point into the copy, which lives as long as the process. */
		if (!copy_arg(optarg, shapes_copy, sizeof(shapes_copy)))
			return errbuf_set(eb, -E2BIG, "--shapes: list too long");
		return parse_shapes(shapes_copy, o, eb);
	case 's':
		return cli_parse_u64(optarg, &o->seed) < 0
			? errbuf_set(eb, -EINVAL, "--seed: expected an unsigned 64-bit integer")
			: 0;
	case 'b': o->bug = optarg; return 0;
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

/* Does option @name (up to '=' or the end) take an argument, in the common table or in
 * any system's? */
static bool takes_arg(const char *name)
{
	size_t len = strcspn(name, "=");
	const struct system_desc *d;

	for (const struct run_option *r = run_common_options; r->name; r++) {
		if (strlen(r->name) == len && strncmp(r->name, name, len) == 0)
			return r->arg != NULL;
	}
	for (size_t i = 0; (d = system_desc_at(i)); i++) {
		for (const struct system_option *so = d->options; so && so->name; so++) {
			if (strlen(so->name) == len && strncmp(so->name, name, len) == 0)
				return so->arg != NULL;
		}
	}
	return false;
}

/* Before getopt: the system named on the command line (the first operand) and --bug's
 * argument, so its options and the bug's default arguments can join the parse. */
static const char *prescan(int argc, char **argv, const char **bug)
{
	const char *system = NULL;

	*bug = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			return system ? system : (i + 1 < argc ? argv[i + 1] : NULL);
		} else if (strncmp(a, "--bug=", 6) == 0) {
			*bug = a + 6;
		} else if (strcmp(a, "--bug") == 0 && i + 1 < argc) {
			*bug = argv[++i];
		} else if (strncmp(a, "--", 2) == 0) {
			i += !strchr(a, '=') && takes_arg(a + 2);
		} else if (a[0] != '-' && !system) {
			system = a;
		}
	}
	return system;
}

/* The getopt table: the common options, --help, then @desc's own (NULL: none). */
static void build_options(const struct system_desc *desc, struct option *out)
{
	uint32_t n = 0;

	for (const struct run_option *r = run_common_options; r->name; r++)
		out[n++] = (struct option){ r->name, r->arg ? required_argument : no_argument,
					    NULL, r->code };
	out[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	for (uint32_t i = 0; desc && desc->options && desc->options[i].name; i++) {
		ASSERT(n + 1 < RUN_OPTIONS_MAX);
		out[n++] = (struct option){ desc->options[i].name,
					    desc->options[i].arg ? required_argument : no_argument,
					    NULL, SYSTEM_OPTION_CODE + (int)i };
	}
	out[n] = (struct option){ 0 };
}

/*
 * The arguments getopt reads: a bug's recommended settings (its "with": the faults, model
 * or Byzantine modes that expose it) as defaults, then the user's, which win wherever both
 * set one thing (a later --nemesis, --model or --byzantine replaces the earlier).
 */
static int bug_args(int argc, char **argv, const struct system_desc *desc, const char *bug,
		    char **out, int *out_count, struct errbuf *eb)
{
	static char with[BUG_WITH_BYTES_MAX];
	const struct system_bug *b = desc && bug ? system_bug_find(desc, bug) : NULL;
	int n = 0;

	if (argc + 1 > RUN_ARGS_MAX)
		return errbuf_set(eb, -E2BIG, "more than %d arguments", RUN_ARGS_MAX - 1);
	out[n++] = argv[0];
	if (b && b->with && b->with[0]) {
		snprintf(with, sizeof(with), "%s", b->with);
		char *save, *w;

		for (w = strtok_r(with, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
			if (n + argc >= RUN_ARGS_MAX)
				return errbuf_set(eb, -E2BIG, "--bug %s: too many arguments", bug);
			out[n++] = w;
		}
	}
	for (int i = 1; i < argc; i++)
		out[n++] = argv[i];
	out[n] = NULL;
	*out_count = n;
	return 0;
}

static int parse_args(int argc, char **argv, struct campaign_opts *o, bool *dry_run,
		      struct errbuf *eb)
{
	static struct option options[RUN_OPTIONS_MAX];
	static char *args[RUN_ARGS_MAX + 1];
	static _Alignas(max_align_t) unsigned char system_opts[SYSTEM_OPTS_BYTES_MAX];
	bool seeded = false, shapes_given = false, nodes_given = false;
	const char *bug, *name = prescan(argc, argv, &bug);
	const struct system_desc *desc = name ? system_desc_find(name) : NULL;
	char *nemesis_text = NULL;
	int c, err, count = 0;

	build_options(desc, options);
	if (desc) {
		ASSERT(desc->opts_size <= sizeof(system_opts));
		o->system = desc;
		o->system_opts = system_opts;
		if (desc->opts_defaults)
			desc->opts_defaults(system_opts);
	}
	err = bug_args(argc, argv, desc, bug, args, &count, eb);
	if (err < 0)
		return err;
	optind = 0;
	while ((c = getopt_long(count, args, "h", options, NULL)) != -1) {
		if (c == 'h')
			return 1;
		if (c == '?')
			return errbuf_set(eb, -EINVAL, "bad option (see --help)");
		if (c == 'D') {
			*dry_run = true;
			continue;
		}
		seeded |= c == 's';
		shapes_given |= c == 'S';
		nodes_given |= c == 'n';
		if (!desc)
			continue;       /* the error below names the systems */
		err = parse_option(c, o, &nemesis_text, eb);
		if (err < 0)
			return err;
	}
	if (!desc || optind + 1 != count)
		return errbuf_set(eb, -EINVAL, "expected one system: %s", system_desc_names());
	if (nemesis_text) {
		err = parse_nemesis(nemesis_text, o, eb);
		if (err < 0)
			return err;
	} else {
		o->faults[0].interval_s = o->nemesis_interval_s;
	}
	if (!seeded && getrandom(&o->seed, sizeof(o->seed), 0) != sizeof(o->seed))
		return errbuf_set(eb, -EIO, "cannot draw a random seed");
	return check_cross_fields(o, shapes_given, nodes_given, eb);
}

int cmd_run(int argc, char **argv)
{
	static struct campaign_opts o;
	struct campaign_report report;
	struct errbuf eb = { "" };
	char exe[PATH_MAX];
	bool dry_run = false;
	int err;

	o = campaign_defaults;
	err = parse_args(argc, argv, &o, &dry_run, &eb);
	if (err > 0) {
		run_help_print(stdout, o.system);
		return 0;
	}
	if (err < 0) {
		fprintf(stderr, "faultline: run: %s (see faultline run%s%s --help)\n", eb.msg,
			o.system ? " " : "", o.system ? o.system->name : "");
		return CMD_EXIT_USAGE;
	}
	o.node_exe = find_node_exe(o.system, exe, sizeof(exe));
	o.progress = isatty(STDERR_FILENO);
	o.argc = argc;
	o.argv = argv;
	if (dry_run) {
		campaign_print_reproduce(&o, stdout);
		printf("node program: %s\n", o.node_exe);
		return 0;
	}
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
