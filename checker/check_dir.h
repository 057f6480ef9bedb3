/* SPDX-License-Identifier: MIT */
/* check_dir.h - check one run: its history, with the checker the registry picks
 * (checker_table.h), and write results.json beside it. */
#ifndef CHECK_DIR_H
#define CHECK_DIR_H

#include <stdbool.h>
#include <stdio.h>

#include "checker.h"

struct errbuf;
struct linear_opts;

/**
 * check_run_dir_model() - check one run the way `faultline check` does; for the campaign
 * runner and the check command.
 * @run_dir_or_file: a run directory (reads <dir>/history.jsonl, and <dir>/config.json when
 *	@model is NULL) or a history file (ours, or any Jepsen form: jepsen_import.h).
 * @model: a checker of the registry by name (checker_entry_find()); NULL to take it from
 *	config.json ("model", else "system": checker_entry_for_run()), else from the history
 *	(checker_entry_detect()). The checker sees the run directory (node evidence): a history
 *	file's folder stands in for it.
 * @print_summary: print the human summary on stdout (nothing else is ever printed).
 * @out: initialized here (do not init it before); the caller check_result_fini()s it in every
 *	case. Its verdict is UNKNOWN whenever the function fails.
 * Writes results.json beside the history (in the run directory, or the history file's
 * directory), also when the history cannot be loaded (verdict unknown, with the reason).
 * When ops report clocks (or the nemesis changed them), @out->skew holds the summary
 * (skew.h), written into results.json as "skew" and printed in the summary.
 * Return: 0 when the check ran; @eb then holds a warning, or "" (results.json not writable,
 * no skew summary; the history's own warnings are in @out->warnings). -errno when the
 * history could not be loaded (@eb says "path:line: expected ...") or the checker failed
 * (@eb says why); -EINVAL for an unknown @model or config.json model; -ENAMETOOLONG.
 * Blocks on file I/O only.
 */
int check_run_dir_model(const char *run_dir_or_file, const char *model, bool print_summary,
			struct check_result *out, struct errbuf *eb);

/* How `faultline check` checks: check_run_dir_model()'s arguments and more. */
struct check_dir_opts {
	const char *model;                      /* as check_run_dir_model()'s */
	/* The linearizability options (initial value, null reads, budget; its model is
	 * ignored: @model names it), for the checkers that take them; NULL: the defaults. */
	const struct linear_opts *linear;
	bool strict_import;                     /* refuse every Jepsen oddity (jepsen_import.h) */
	/* The Jepsen set checkers: the f of an add and of a read (NULL: the checker's own,
	 * "add" and "read", or "broadcast" for broadcast), and whether stale is invalid. */
	const char *add_f, *read_f;
	bool linearizable;
	bool print_summary;
};

/**
 * check_run_dir() - check_run_dir_model() with all of @o. The history's warnings (a torn
 * last line; the Jepsen oddities an import fitted, "path:line: ..." one per line) go to
 * @out->warnings and results.json's "warnings", not to @eb.
 * Return: as check_run_dir_model().
 */
int check_run_dir(const char *run_dir_or_file, const struct check_dir_opts *o,
		  struct check_result *out, struct errbuf *eb);

/* check_paths_history() - the history file @run_dir_or_file stands for, into @out
 * (PATH_MAX bytes). Return: 0, -errno (no such file), -ENAMETOOLONG. */
int check_paths_history(const char *run_dir_or_file, char *out, struct errbuf *eb);

/* check_summary_fprint() - the human summary `faultline check` prints for @r, the result of
 * checking @history_path: the checker, the anomalies (at most CHK_SUMMARY_ANOMALIES_MAX),
 * figures, liveness and the verdict. */
void check_summary_fprint(FILE *out, const char *history_path, const struct check_result *r);

#endif /* CHECK_DIR_H */
