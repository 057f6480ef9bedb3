/* SPDX-License-Identifier: MIT */
/* check_cmd.c - `faultline check`: load a run's history, check it, write results.json. */
#include "check_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"
#include "chk_limits.h"
#include "jepsen_import.h"
#include "linear.h"
#include "lww_check.h"
#include "liveness.h"
#include "pbft_check.h"
#include "results.h"
#include "skew.h"

struct check_paths {
	char history[PATH_MAX];
	char results[PATH_MAX];
	char config[PATH_MAX];          /* "" for a bare history file */
	char dir[PATH_MAX];             /* the run directory, or the history file's folder */
};

static int path_join(char *out, const char *dir, size_t dir_len, const char *name,
		     struct errbuf *eb)
{
	int n = snprintf(out, PATH_MAX, "%.*s%s%s", (int)dir_len, dir,
			 name[0] && dir_len && dir[dir_len - 1] != '/' ? "/" : "", name);

	if (n < 0 || n >= PATH_MAX)
		return errbuf_set(eb, -ENAMETOOLONG, "%s: path too long", dir);
	return 0;
}

static int paths_resolve(const char *arg, struct check_paths *p, struct errbuf *eb)
{
	const char *slash;
	struct stat st;
	int err;

	memset(p, 0, sizeof(*p));
	if (stat(arg, &st) != 0)
		return errbuf_set(eb, -errno, "%s: %s", arg, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		err = path_join(p->history, arg, strlen(arg), "history.jsonl", eb);
		if (!err)
			err = path_join(p->results, arg, strlen(arg), "results.json", eb);
		if (!err)
			err = path_join(p->config, arg, strlen(arg), "config.json", eb);
		if (!err)
			err = path_join(p->dir, arg, strlen(arg), "", eb);
		return err;
	}
	err = path_join(p->history, arg, strlen(arg), "", eb);
	slash = strrchr(arg, '/');
	if (!err)
		err = path_join(p->dir, slash ? arg : ".", slash ? (size_t)(slash - arg) + 1 : 1,
				"", eb);
	if (!err && slash)
		err = path_join(p->results, arg, (size_t)(slash - arg + 1), "results.json", eb);
	else if (!err)
		err = path_join(p->results, "", 0, "results.json", eb);
	return err;
}

/*
 * The model named by config.json: its "model" key, else "lww" when its "system" is "lww"
 * (an LWW campaign may name no model). A "system" of "pbft" picks "pbft" when the model is
 * absent or "cas-register" (which pbft checks too, plus the replicas' evidence). *@name is
 * left NULL when the file or the keys are absent; otherwise it points into @buf.
 */
static int config_model(const char *config, char *buf, size_t size, const char **name,
			struct errbuf *eb)
{
	json_error_t jerr;
	const char *model, *system;
	json_t *doc;

	*name = NULL;
	if (!config[0] || access(config, F_OK) != 0)
		return 0;
	doc = json_load_file(config, 0, &jerr);
	if (!doc)
		return errbuf_set(eb, -EINVAL, "%s:%d: %s", config, jerr.line, jerr.text);
	model = json_string_value(json_object_get(doc, "model"));
	system = json_string_value(json_object_get(doc, "system"));
	if (!model && system && strcmp(system, "lww") == 0)
		model = "lww";
	if ((!model || strcmp(model, "cas-register") == 0) && system &&
	    strcmp(system, "pbft") == 0)
		model = "pbft";
	if (model) {
		snprintf(buf, size, "%s", model);
		*name = buf;
	}
	json_decref(doc);
	return 0;
}

/* Which checker (and CRDT model) a model name selects; NULL @name selects none yet. */
struct model_choice {
	const struct checker *checker;          /* NULL: infer from the history */
	enum crdt_model crdt;
	struct linear_checker linear;           /* cas-register, kv, pbft: checker points here */
	bool pbft;                              /* also the replicas' evidence (pbft_check.h) */
};

/* pbft follows the parentheses: test_check_cmd pins the text inside them. */
#define MODEL_NAMES "(gcounter, gset, orset, lww, cas-register, kv) or pbft"

/* @linear: the linearizability options (its model is set here), NULL for the defaults. */
static int model_choose(const char *name, const struct linear_opts *linear,
			struct model_choice *out)
{
	struct linear_opts lo = { .model = LINEAR_MODEL_CAS_REGISTER };

	out->checker = NULL;
	out->crdt = CRDT_MODEL_NONE;
	out->pbft = false;
	if (!name)
		return 0;
	if (strcmp(name, "pbft") == 0) {
		/* cas-register with the default options (null reads mean empty). */
		linear_checker_init(&out->linear, &lo);
		out->checker = &out->linear.base;
		out->pbft = true;
		return 0;
	}
	if (linear_model_parse(name, &lo.model) == 0) {
		enum linear_model model = lo.model;

		if (linear)
			lo = *linear;
		lo.model = model;
		linear_checker_init(&out->linear, &lo);
		out->checker = &out->linear.base;
		return 0;
	}
	if (strcmp(name, "lww") == 0) {
		out->checker = &lww_checker;
		return 0;
	}
	if (crdt_model_parse(name, &out->crdt) != 0)
		return -EINVAL;
	out->checker = &crdt_checker;
	return 0;
}

/* An LWW history (read/write ops with a key and JSON results with "ts"), else the CRDT
 * checker, which infers its own model. */
static void model_infer(const struct history *h, struct model_choice *choice)
{
	if (choice->checker)
		return;
	choice->checker = lww_history_detect(h) ? &lww_checker : &crdt_checker;
}

/* The liveness line, when measured: a finding apart from the verdict. */
static void liveness_fprint(FILE *out, const struct check_liveness *l)
{
	if (!l->measured)
		return;
	if (l->first_ok_ns < 0)
		fprintf(out, "liveness (not part of the verdict): NO op completed ok after the "
			"final heal at %.3f s (bound %.0f s)\n", (double)l->heal_ns / 1e9,
			(double)l->bound_ns / 1e9);
	else
		fprintf(out, "liveness (not part of the verdict): an op completed ok %.3f s after "
			"the final heal (bound %.0f s): %s\n",
			(double)(l->first_ok_ns - l->heal_ns) / 1e9, (double)l->bound_ns / 1e9,
			liveness_within_bound(l) ? "within the bound" : "NOT within the bound");
}

/* @fig: the PBFT evidence figures, NULL when the model is not pbft. */
static void summary_print(FILE *out, const char *history_path, const struct check_result *r,
			  const struct pbft_figures *fig)
{
	uint32_t shown = r->anomaly_count < CHK_SUMMARY_ANOMALIES_MAX ?
			 r->anomaly_count : CHK_SUMMARY_ANOMALIES_MAX;

	fprintf(out, "history: %s (%" PRIu64 " ops, %" PRIu64 " final reads)\n", history_path,
		r->op_count, r->final_read_count);
	fprintf(out, "model: %s\n", r->model ? r->model : "(unknown)");
	fprintf(out, "anomalies: %" PRIu64 "\n", r->anomalies_total);
	for (uint32_t k = 0; k < shown; k++) {
		const struct anomaly *a = &r->anomalies[k];

		fprintf(out, "  %s: %s [ops", a->kind, a->message);
		for (uint32_t j = 0; j < a->op_count; j++)
			fprintf(out, " %" PRIu64, a->ops[j]);
		fprintf(out, "]\n");
	}
	if (r->anomalies_total > shown)
		fprintf(out, "  ... and %" PRIu64 " more\n", r->anomalies_total - shown);
	if (r->unknown_reason[0])
		fprintf(out, "unknown: %s\n", r->unknown_reason);
	skew_fprint(out, r->skew);
	pbft_figures_fprint(out, fig);
	liveness_fprint(out, &r->liveness);
	fprintf(out, "verdict: %s\n", verdict_name(r->verdict));
}

/* results.json is a convenience: failing to write it is a warning left in @warn. */
static void results_save(const struct check_paths *p, const struct check_result *r,
			 struct errbuf *warn)
{
	struct errbuf eb = { .msg = "" };

	if (!p->results[0])
		return;         /* an imported history: nothing is written beside it */
	if (results_write_json(p->results, r, p->history, &eb) != 0)
		errbuf_set(warn, 0, "warning: results not saved: %s", eb.msg);
}

/*
 * results.json goes beside our histories only: a Jepsen history (EDN or log, or an empty
 * file not named *.jsonl outside a run directory) may sit in a folder of reference data,
 * which checking must not change.
 */
static void results_skip_imported(struct check_paths *p, enum jepsen_form form)
{
	size_t size = strlen(p->history);
	bool jsonl = size >= 6 && strcmp(p->history + size - 6, ".jsonl") == 0;

	if (form == JEPSEN_FORM_EDN || form == JEPSEN_FORM_LOG ||
	    (form == JEPSEN_FORM_EMPTY && !p->config[0] && !jsonl))
		p->results[0] = '\0';
}

/* The model from @model, else config.json; -EINVAL for an unknown name (@eb says where). */
static int model_resolve(const char *model, const struct linear_opts *linear,
			 const struct check_paths *p, struct model_choice *choice,
			 struct errbuf *eb)
{
	char buf[64];
	const char *name = model;
	int err = 0;

	if (!name)
		err = config_model(p->config, buf, sizeof(buf), &name, eb);
	if (!err && model_choose(name, linear, choice) != 0)
		err = errbuf_set(eb, -EINVAL, "%s: unknown model \"%s\" " MODEL_NAMES,
				 model ? "--model" : p->config, name);
	return err;
}

/* The clock summary is data beside the verdict: failing to make it is only a warning. */
static void skew_attach(const struct history *h, struct check_result *out,
			struct errbuf *warn)
{
	struct errbuf eb = { .msg = "" };

	if (skew_summarize(h, &out->skew, &eb) != 0 && warn && !warn->msg[0])
		errbuf_set(warn, 0, "warning: no clock skew summary: %s", eb.msg);
}

/*
 * The pbft model: the evidence logs of the run's replicas, checked against each other and
 * the history, merged into @out (which holds the linearizability verdict). A torn last line
 * is a warning in @eb unless it already holds one.
 */
static int pbft_attach(const struct check_paths *p, const struct history *h,
		       struct check_result *out, struct pbft_figures *fig, struct errbuf *eb)
{
	struct errbuf local = { .msg = "" };
	int err;

	err = pbft_check_evidence_figures(p->dir, h, out, fig, &local);
	out->checker = "pbft";
	if (err)
		return errbuf_set(eb, err, "%s", local.msg);
	if (local.msg[0] && eb && !eb->msg[0])
		errbuf_set(eb, 0, "%s", local.msg);
	return 0;
}

int check_run_dir_model(const char *run_dir_or_file, const char *model, bool print_summary,
			struct check_result *out, struct errbuf *eb)
{
	return check_run_dir_linear(run_dir_or_file, model, NULL, print_summary, out, eb);
}

int check_run_dir_linear(const char *run_dir_or_file, const char *model,
			 const struct linear_opts *linear, bool print_summary,
			 struct check_result *out, struct errbuf *eb)
{
	struct model_choice choice = { .checker = NULL, .crdt = CRDT_MODEL_NONE };
	struct check_opts opts = { .model = CRDT_MODEL_NONE };
	enum jepsen_form form = JEPSEN_FORM_JSONL;
	struct pbft_figures fig = { .loaded = false };
	struct history h;
	struct check_paths p;
	int err;

	ASSERT(run_dir_or_file);
	ASSERT(out);
	check_result_init(out);
	out->checker = crdt_checker.ops->name;
	errbuf_clear(eb);
	memset(&h, 0, sizeof(h));
	err = paths_resolve(run_dir_or_file, &p, eb);
	if (err) {
		check_result_set_unknown(out, "%s", eb ? eb->msg : "bad path");
		return err;
	}
	err = model_resolve(model, linear, &p, &choice, eb);
	if (choice.checker)
		out->checker = choice.checker->ops->name;
	if (!err)
		err = jepsen_import_load(&h, p.history, &form, eb);
	results_skip_imported(&p, form);
	if (err) {
		check_result_set_unknown(out, "history not checked: %s", eb ? eb->msg : "error");
		results_save(&p, out, NULL);
		return err;
	}
	model_infer(&h, &choice);
	opts.model = choice.crdt;
	err = check_history(choice.checker, &h, &opts, out, eb);
	if (!err && h.warning[0])
		errbuf_set(eb, 0, "warning: %s", h.warning);
	if (!err && choice.pbft) {
		err = pbft_attach(&p, &h, out, &fig, eb);
		liveness_measure(&h, (int64_t)LIVENESS_BOUND_MS * 1000000, &out->liveness);
	}
	skew_attach(&h, out, err ? NULL : eb);
	results_save(&p, out, err ? NULL : eb);
	if (print_summary)
		summary_print(stdout, p.history, out, choice.pbft ? &fig : NULL);
	hist_fini(&h);
	ASSERT(err || out->checker);
	return err;
}

int check_run_dir(const char *run_dir_or_file, enum crdt_model model, bool print_summary,
		  struct check_result *out, struct errbuf *eb)
{
	return check_run_dir_model(run_dir_or_file,
				   model == CRDT_MODEL_NONE ? NULL : crdt_model_name(model),
				   print_summary, out, eb);
}

/* ---- The command ----------------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faultline check <run-dir|history> [--model M] [--initial V]\n"
		"                       [--null-read any|empty] [--json] [--quiet]\n"
		"  Check a history (a run directory's history.jsonl, or a file) and write\n"
		"  results.json beside it. The model comes from --model, else the run's\n"
		"  config.json (\"model\", or \"system\": \"lww\" or \"pbft\"), else the ops:\n"
		"  read/write ops with a key and results carrying \"ts\" are lww, anything\n"
		"  else a CRDT.\n"
		"  Ops that report clocks add a clock skew summary (\"skew\" in results.json).\n"
		"  The history may also be a Jepsen one: EDN op maps or a console log.\n"
		"  --model M   gcounter, gset, orset (the CRDT checker), lww (LWW registers),\n"
		"              cas-register or kv (linearizability, each key separately),\n"
		"              pbft (cas-register, plus the replicas' evidence logs in\n"
		"              RUN_DIR/nodes/*.data/evidence.jsonl: agreement, total order, ...)\n"
		"  --initial V cas-register/kv: the initial value (default nil; kv \"\")\n"
		"  --null-read any|empty  a read of nil constrains nothing (any) or means the\n"
		"              register is empty (empty, the default)\n"
		"  --json      print the results.json document instead of the summary\n"
		"  --quiet     print nothing but errors; the exit code tells the verdict\n"
		"exit codes: 0 valid, 1 invalid, 2 unknown or error, 64 usage error\n");
}

struct check_cmd_opts {
	const char *target;
	const char *model;              /* NULL: config.json or inference */
	struct linear_opts linear;      /* cas-register and kv */
	bool linear_set;                /* --initial or --null-read given */
	bool json;
	bool quiet;
};

static const struct check_cmd_opts check_cmd_defaults = {
	.target = NULL,
	.model = NULL,
	.json = false,
	.quiet = false,
};

enum { OPT_MODEL = 256, OPT_INITIAL, OPT_NULL_READ, OPT_JSON, OPT_QUIET, OPT_HELP };

static const struct option long_options[] = {
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "initial", required_argument, NULL, OPT_INITIAL },
	{ "null-read", required_argument, NULL, OPT_NULL_READ },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, OPT_QUIET },
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

/* Return: 0 parsed, 1 help shown, CHECK_EXIT_USAGE. */
static int parse(int argc, char **argv, struct check_cmd_opts *o)
{
	int c;

	optind = 0;             /* GNU: re-initialize, so the command can run more than once */
	while ((c = getopt_long(argc, argv, "hq", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_MODEL: {
			struct model_choice choice;

			if (model_choose(optarg, NULL, &choice) != 0) {
				fprintf(stderr, "faultline check: --model: unknown model \"%s\" "
					MODEL_NAMES "\n", optarg);
				return CHECK_EXIT_USAGE;
			}
			o->model = optarg;
			break;
		}
		case OPT_INITIAL:
		case OPT_NULL_READ:
			if (parse_linear(c, optarg, o) != 0)
				return CHECK_EXIT_USAGE;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'q':
		case OPT_QUIET:
			o->quiet = true;
			break;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return CHECK_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "faultline check: expected exactly one run directory or history\n");
		usage(stderr);
		return CHECK_EXIT_USAGE;
	}
	o->target = argv[optind];
	return 0;
}

int check_cmd_main(int argc, char **argv)
{
	struct check_cmd_opts o = check_cmd_defaults;
	struct check_result result;
	struct check_paths p;
	struct errbuf eb = { .msg = "" };
	int rc, err;

	ASSERT(argc >= 1);
	ASSERT(argv);
	rc = parse(argc, argv, &o);
	if (rc)
		return rc == 1 ? CHECK_EXIT_VALID : rc;
	if (o.json && o.quiet) {
		fprintf(stderr, "faultline check: --json and --quiet exclude each other\n");
		return CHECK_EXIT_USAGE;
	}
	if (o.linear_set && (!o.model || linear_model_parse(o.model, &o.linear.model) != 0)) {
		fprintf(stderr, "faultline check: --initial and --null-read need --model "
			"cas-register or kv\n");
		return CHECK_EXIT_USAGE;
	}
	err = check_run_dir_linear(o.target, o.model, &o.linear, !o.json && !o.quiet, &result,
				   &eb);
	if (err)
		fprintf(stderr, "faultline check: %s\n", eb.msg[0] ? eb.msg : strerror(-err));
	else if (eb.msg[0])
		fprintf(stderr, "faultline check: %s\n", eb.msg);
	if (o.json && paths_resolve(o.target, &p, NULL) == 0)
		results_fprint_json(stdout, &result, p.history, NULL);
	rc = result.verdict == VERDICT_VALID ? CHECK_EXIT_VALID :
	     result.verdict == VERDICT_INVALID ? CHECK_EXIT_INVALID : CHECK_EXIT_UNKNOWN;
	if (err && rc == CHECK_EXIT_VALID)
		rc = CHECK_EXIT_UNKNOWN;        /* cannot happen (S25); belt and braces */
	check_result_fini(&result);
	return rc;
}
