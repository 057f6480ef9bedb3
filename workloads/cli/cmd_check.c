/* SPDX-License-Identifier: MIT */
/*
 * cmd_check.c - `faultline check <run-dir|history> [--model M] [--initial V]
 * [--null-read any|empty] [--json] [--quiet]`: check one run with a checker of the registry
 * (checker_table.h); or `faultline check --transcript FILE`: judge a window transcript
 * (checker_transcript_check(), checker_table.h). Prints a summary (or, with --json, the
 * results.json document) on stdout, errors and warnings on stderr as "faultline check: ...". Exit
 * codes: 0 valid, 1 invalid, 2 unknown or error, 64 usage.
 */
#include "cmd.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check_dir.h"
#include "checker_table.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "linear.h"
#include "results.h"

static void usage(FILE *out)
{
	const struct checker_entry *e;
	char lead[64];

	fprintf(out,
		"usage: faultline check <run-dir|history> [--model M] [--initial V]\n"
		"                       [--null-read any|empty] [--add-f F] [--read-f F]\n"
		"                       [--linearizable] [--strict] [--json] [--quiet]\n"
		"       faultline check --transcript FILE [--json] [--quiet]\n"
		"  Check a history (a run directory's history.jsonl, or a file) and write\n"
		"  results.json beside it. The checker comes from --model, else the run's\n"
		"  config.json (its \"model\", or its \"system\"), else the ops' shape (the\n"
		"  first checker below that recognizes it; checker/CHECKS.md says how).\n"
		"  Ops that report clocks add a clock skew summary (\"skew\" in results.json).\n"
		"  The history may also be a Jepsen one: EDN op maps or a console log. What\n"
		"  Jepsen writes but our format does not allow (nemesis ops as two :info\n"
		"  lines, :time going back, a process reused after :info, a sparse :index,\n"
		"  independent [key value] tuples) is read with a warning naming its line.\n"
		"  --model M   the checker, one of:\n");
	for (size_t i = 0; (e = checker_entry_at(i)); i++) {
		if (e->hidden)
			continue;
		snprintf(lead, sizeof(lead), "      %s", e->name);
		fprintf(out, "%-20s %s\n", lead, e->help);
	}
	fprintf(out,
		"  --initial V cas-register/kv: the initial value (default nil; kv \"\")\n"
		"  --null-read any|empty  a read of nil constrains nothing (any) or means the\n"
		"              register is empty (empty, the default)\n"
		"  --add-f F, --read-f F  set, set-full, broadcast: the f of an add and of a\n"
		"              read (default add and read; broadcast adds with broadcast)\n"
		"  --linearizable  set-full: an element read late (stale) is invalid\n"
		"  --strict    refuse those Jepsen oddities instead (exit 2, same line)\n"
		"  --json      print the results.json document instead of the summary\n"
		"  --quiet     print nothing but errors; the exit code tells the verdict\n"
		"  --transcript FILE  judge a window transcript (YAML: a job, its inputs,\n"
		"              watermarks and expected outputs; checker/CHECKS.md \"Window\n"
		"              transcripts\") with the window checker instead of a history. An\n"
		"              option, not a guess from the file name: a transcript is no run,\n"
		"              and nothing is written beside it\n"
		"exit codes: 0 valid, 1 invalid, 2 unknown or error, 64 usage error\n");
}

struct check_cmd_opts {
	const char *target;
	const char *model;              /* NULL: config.json or inference */
	struct linear_opts linear;      /* cas-register and kv */
	bool linear_set;                /* --initial or --null-read given */
	bool strict;                    /* --strict: imports refuse Jepsen's oddities */
	const char *add_f, *read_f;     /* --add-f, --read-f */
	bool linearizable;              /* --linearizable */
	bool json;
	bool quiet;
	const char *transcript;         /* --transcript: a window transcript, not a history */
};

static const struct check_cmd_opts check_cmd_defaults = {
	.target = NULL,
	.model = NULL,
	.json = false,
	.quiet = false,
};

enum {
	OPT_MODEL = 256, OPT_INITIAL, OPT_NULL_READ, OPT_ADD_F, OPT_READ_F, OPT_LINEARIZABLE,
	OPT_STRICT, OPT_JSON, OPT_QUIET, OPT_TRANSCRIPT, OPT_HELP
};

static const struct option long_options[] = {
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "initial", required_argument, NULL, OPT_INITIAL },
	{ "null-read", required_argument, NULL, OPT_NULL_READ },
	{ "add-f", required_argument, NULL, OPT_ADD_F },
	{ "read-f", required_argument, NULL, OPT_READ_F },
	{ "linearizable", no_argument, NULL, OPT_LINEARIZABLE },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "transcript", required_argument, NULL, OPT_TRANSCRIPT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* --initial and --null-read. Return: 0 or -EINVAL (printed). */
static int parse_linear(int c, const char *arg, struct check_cmd_opts *o)
{
	o->linear_set = true;
	if (c == OPT_INITIAL && linear_initial_parse(arg, o->linear.initial,
						     sizeof(o->linear.initial)) == 0)
		return 0;
	if (c == OPT_NULL_READ && (strcmp(arg, "any") == 0 || strcmp(arg, "empty") == 0)) {
		o->linear.null_read_any = strcmp(arg, "any") == 0;
		return 0;
	}
	fprintf(stderr, "faultline check: --%s: expected %s, got \"%s\"\n",
		c == OPT_INITIAL ? "initial" : "null-read",
		c == OPT_INITIAL ? "a value (nil, an integer, JSON or text)" : "any or empty", arg);
	return -EINVAL;
}

/* Return: 0 parsed, 1 help shown, CMD_EXIT_USAGE. */
static int parse(int argc, char **argv, struct check_cmd_opts *o)
{
	char names[512];
	int c;

	optind = 0;             /* GNU: re-initialize, so the command can run more than once */
	while ((c = getopt_long(argc, argv, "hq", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_MODEL:
			if (!checker_entry_find(optarg)) {
				checker_entry_names(names, sizeof(names));
				fprintf(stderr, "faultline check: --model: unknown model \"%s\" "
					"(%s)\n", optarg, names);
				return CMD_EXIT_USAGE;
			}
			o->model = optarg;
			break;
		case OPT_INITIAL:
		case OPT_NULL_READ:
			if (parse_linear(c, optarg, o) != 0)
				return CMD_EXIT_USAGE;
			break;
		case OPT_ADD_F:
			o->add_f = optarg;
			break;
		case OPT_READ_F:
			o->read_f = optarg;
			break;
		case OPT_LINEARIZABLE:
			o->linearizable = true;
			break;
		case OPT_STRICT:
			o->strict = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'q':
		case OPT_QUIET:
			o->quiet = true;
			break;
		case OPT_TRANSCRIPT:
			o->transcript = optarg;
			break;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return CMD_EXIT_USAGE;
		}
	}
	if (o->transcript && argc - optind == 0)
		return 0;
	if (o->transcript) {
		fprintf(stderr, "faultline check: --transcript takes no run directory or "
			"history\n");
		return CMD_EXIT_USAGE;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "faultline check: expected exactly one run directory or history\n");
		usage(stderr);
		return CMD_EXIT_USAGE;
	}
	o->target = argv[optind];
	return 0;
}

static int exit_code(enum verdict verdict)
{
	return verdict == VERDICT_VALID ? CMD_EXIT_VALID :
	       verdict == VERDICT_INVALID ? CMD_EXIT_INVALID : CMD_EXIT_UNKNOWN;
}

/* --transcript: load, judge, print as a history's check does. Nothing is written. */
static int check_transcript(const struct check_cmd_opts *o)
{
	struct check_result result;
	struct errbuf eb = { .msg = "" };
	int rc, err;

	ASSERT(o->transcript);
	check_result_init(&result);
	err = checker_transcript_check(o->transcript, &result, &eb);
	if (err && !result.chosen[0]) {         /* refused before any check */
		fprintf(stderr, "faultline check: %s\n", eb.msg[0] ? eb.msg : strerror(-err));
		check_result_fini(&result);
		return CMD_EXIT_UNKNOWN;
	}
	if (err)
		fprintf(stderr, "faultline check: %s\n", eb.msg[0] ? eb.msg : strerror(-err));
	if (o->json)
		results_fprint_json(stdout, &result, o->transcript, NULL);
	else if (!o->quiet)
		check_summary_fprint(stdout, o->transcript, &result);
	rc = exit_code(result.verdict);
	ASSERT(!err || rc != CMD_EXIT_VALID);
	check_result_fini(&result);
	return rc;
}

int cmd_check(int argc, char **argv)
{
	struct check_cmd_opts o = check_cmd_defaults;
	struct check_result result;
	char history[PATH_MAX];
	struct errbuf eb = { .msg = "" };
	int rc, err;

	ASSERT(argc >= 1);
	ASSERT(argv);
	rc = parse(argc, argv, &o);
	if (rc)
		return rc == 1 ? CMD_EXIT_VALID : rc;
	if (o.json && o.quiet) {
		fprintf(stderr, "faultline check: --json and --quiet exclude each other\n");
		return CMD_EXIT_USAGE;
	}
	if (o.transcript && (o.model || o.linear_set || o.add_f || o.read_f || o.linearizable ||
			     o.strict)) {
		fprintf(stderr, "faultline check: --transcript takes only --json and --quiet\n");
		return CMD_EXIT_USAGE;
	}
	if (o.linear_set && (!o.model || linear_model_parse(o.model, &o.linear.model) != 0)) {
		fprintf(stderr, "faultline check: --initial and --null-read need --model "
			"cas-register or kv\n");
		return CMD_EXIT_USAGE;
	}
	if (o.transcript)
		return check_transcript(&o);
	err = check_run_dir(o.target, &(struct check_dir_opts){ .model = o.model,
				.linear = &o.linear, .strict_import = o.strict,
				.add_f = o.add_f, .read_f = o.read_f,
				.linearizable = o.linearizable,
				.print_summary = !o.json && !o.quiet }, &result, &eb);
	cmd_print_warnings(stderr, "faultline check: warning: ", result.warnings);
	if (err)
		fprintf(stderr, "faultline check: %s\n", eb.msg[0] ? eb.msg : strerror(-err));
	else if (eb.msg[0])
		fprintf(stderr, "faultline check: %s\n", eb.msg);
	if (o.json && check_paths_history(o.target, history, NULL) == 0)
		results_fprint_json(stdout, &result, history, NULL);
	rc = exit_code(result.verdict);
	if (err && rc == CMD_EXIT_VALID)
		rc = CMD_EXIT_UNKNOWN;        /* cannot happen (S25); belt and braces */
	check_result_fini(&result);
	return rc;
}
