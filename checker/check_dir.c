/* SPDX-License-Identifier: MIT */
/* check_dir.c - check one run (a run directory or a history file) with the checker the
 * registry picks, and write results.json beside it. */
#include "check_dir.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checker_table.h"
#include "chk_limits.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"
#include "jepsen_import.h"
#include "liveness.h"
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
		size_t len = strlen(arg);

		err = path_join(p->history, arg, len, hist_run_file_name(HIST_RUN_HISTORY), eb);
		if (!err)
			err = path_join(p->results, arg, len,
					hist_run_file_name(HIST_RUN_RESULTS), eb);
		if (!err)
			err = path_join(p->config, arg, len, hist_run_file_name(HIST_RUN_CONFIG),
					eb);
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
		err = path_join(p->results, arg, (size_t)(slash - arg + 1),
				 hist_run_file_name(HIST_RUN_RESULTS), eb);
	else if (!err)
		err = path_join(p->results, "", 0, hist_run_file_name(HIST_RUN_RESULTS), eb);
	return err;
}

/*
 * The checker config.json selects: by its "model", or by its "system" (checker_table.h).
 * *@entry is left NULL when the file or both keys are absent; -EINVAL names an unknown
 * model.
 */
static int config_entry(const char *config, const struct checker_entry **entry,
			struct errbuf *eb)
{
	json_error_t jerr;
	const char *model, *system;
	char names[512];
	json_t *doc;
	int err = 0;

	*entry = NULL;
	if (!config[0] || access(config, F_OK) != 0)
		return 0;
	doc = json_load_file(config, 0, &jerr);
	if (!doc)
		return errbuf_set(eb, -EINVAL, "%s:%d: %s", config, jerr.line, jerr.text);
	model = json_string_value(json_object_get(doc, "model"));
	system = json_string_value(json_object_get(doc, "system"));
	*entry = checker_entry_for_run(system, model);
	if (!*entry && model) {
		checker_entry_names(names, sizeof(names));
		err = errbuf_set(eb, -EINVAL, "%s: unknown model \"%s\" (%s)", config, model,
				 names);
	}
	json_decref(doc);
	return err;
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

void check_summary_fprint(FILE *out, const char *history_path, const struct check_result *r)
{
	uint32_t shown = r->anomaly_count < CHK_SUMMARY_ANOMALIES_MAX ?
			 r->anomaly_count : CHK_SUMMARY_ANOMALIES_MAX;

	fprintf(out, "history: %s (%" PRIu64 " ops, %" PRIu64 " final reads)\n", history_path,
		r->op_count, r->final_read_count);
	if (r->chosen[0])
		fprintf(out, "checker: %s\n", r->chosen);
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
	if (r->figures)
		fputs(r->figures, out);
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

/* The checker named by @model, else by config.json; NULL: inferred from the history. */
static int entry_resolve(const char *model, const struct check_paths *p,
			 const struct checker_entry **entry, struct errbuf *eb)
{
	char names[512];

	if (!model)
		return config_entry(p->config, entry, eb);
	*entry = checker_entry_find(model);
	if (*entry)
		return 0;
	checker_entry_names(names, sizeof(names));
	return errbuf_set(eb, -EINVAL, "--model: unknown model \"%s\" (%s)", model, names);
}

/* The clock summary is data beside the verdict: failing to make it is only a warning. */
static void skew_attach(const struct history *h, struct check_result *out,
			struct errbuf *warn)
{
	struct errbuf eb = { .msg = "" };

	if (skew_summarize(h, &out->skew, &eb) != 0 && warn && !warn->msg[0])
		errbuf_set(warn, 0, "warning: no clock skew summary: %s", eb.msg);
}

int check_run_dir_model(const char *run_dir_or_file, const char *model, bool print_summary,
			struct check_result *out, struct errbuf *eb)
{
	struct check_dir_opts o = { .model = model, .print_summary = print_summary };

	return check_run_dir(run_dir_or_file, &o, out, eb);
}

/* The import's warnings (a torn last line, fitted Jepsen oddities) go with the result. */
static void warnings_attach(const struct history *h, struct check_result *out)
{
	if (h->warning[0])      /* beside the checker's own (a node's torn line) */
		check_result_add_warning(out, "%s", h->warning);
}

int check_run_dir(const char *run_dir_or_file, const struct check_dir_opts *o,
		  struct check_result *out, struct errbuf *eb)
{
	const char *model = o->model;
	const struct linear_opts *linear = o->linear;
	bool print_summary = o->print_summary;
	const struct checker_entry *entry = NULL;
	struct check_opts opts = { .model = NULL };
	enum jepsen_form form = JEPSEN_FORM_JSONL;
	const struct checker *checker = NULL;
	struct history h;
	struct check_paths p;
	int err;

	ASSERT(run_dir_or_file);
	ASSERT(out);
	check_result_init(out);
	out->checker = checker_entry_fallback()->name;  /* until the checker is known */
	errbuf_clear(eb);
	memset(&h, 0, sizeof(h));
	err = paths_resolve(run_dir_or_file, &p, eb);
	if (err) {
		check_result_set_unknown(out, "%s", eb ? eb->msg : "bad path");
		return err;
	}
	err = entry_resolve(model, &p, &entry, eb);
	if (entry)
		out->checker = entry->name;
	if (!err)
		err = jepsen_import_load(&h, p.history,
					 &(struct jepsen_import_opts){ .strict = o->strict_import },
					 &form, eb);
	results_skip_imported(&p, form);
	if (!err && entry)
		snprintf(out->chosen, sizeof(out->chosen), "%s, from %s", entry->name,
			 model ? "--model" : "config.json");
	if (!err && !entry) {
		entry = checker_entry_detect(&h);
		snprintf(out->chosen, sizeof(out->chosen), "%s, from the ops' shape (--model "
			 "overrides)", entry->name);
	}
	if (!err)
		err = checker_make(entry, linear, &opts, &checker, eb);
	if (!err && o->add_f)
		opts.add_f = o->add_f;          /* the user's names over the row's */
	if (!err && o->read_f)
		opts.read_f = o->read_f;
	opts.linearizable |= o->linearizable;
	if (err) {
		check_result_set_unknown(out, "history not checked: %s", eb ? eb->msg : "error");
		results_save(&p, out, NULL);
		hist_fini(&h);
		return err;
	}
	err = checker_check_run(checker, &(struct check_run){ .history = &h, .dir = p.dir },
				&opts, out, eb);
	checker_free((struct checker *)checker);
	warnings_attach(&h, out);
	skew_attach(&h, out, err ? NULL : eb);
	results_save(&p, out, err ? NULL : eb);
	if (print_summary)
		check_summary_fprint(stdout, p.history, out);
	hist_fini(&h);
	ASSERT(err || out->checker);
	return err;
}

int check_paths_history(const char *run_dir_or_file, char *out, struct errbuf *eb)
{
	struct check_paths p;
	int err = paths_resolve(run_dir_or_file, &p, eb);

	if (!err)
		snprintf(out, PATH_MAX, "%s", p.history);
	return err;
}
