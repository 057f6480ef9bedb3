/* SPDX-License-Identifier: MIT */
/* check_cmd.h - `faultline check`: check a run directory or history file (CRDT, LWW,
 * linearizability, PBFT). */
#ifndef CHECK_CMD_H
#define CHECK_CMD_H

#include <stdbool.h>

#include "checker.h"

struct errbuf;

/* Exit codes of `faultline check` (STYLE S44). */
enum {
	CHECK_EXIT_VALID = 0,
	CHECK_EXIT_INVALID = 1,
	CHECK_EXIT_UNKNOWN = 2,          /* also: the history could not be read or checked */
	CHECK_EXIT_USAGE = 64,
};

/**
 * check_cmd_main() - `faultline check <run-dir|history>
 * [--model gcounter|gset|orset|lww|cas-register|kv|pbft] [--initial V]
 * [--null-read any|empty]
 * [--json] [--quiet]`; @argv[0] is "check". The history may be a Jepsen one. Prints a
 * summary (or, with --json, the results.json document) on stdout, errors and warnings on
 * stderr as "faultline check: ...".
 * Return: an exit code: CHECK_EXIT_* (0 valid, 1 invalid, 2 unknown or error, 64 usage).
 */
int check_cmd_main(int argc, char **argv);

/**
 * check_run_dir_model() - check one run the way `faultline check` does; for the campaign
 * runner.
 * @run_dir_or_file: a run directory (reads <dir>/history.jsonl and, when @model is NULL,
 *	<dir>/config.json: its "model", or "lww" when its "system" is "lww") or a history file.
 * @model: "gcounter", "gset", "orset" (crdt_checker), "lww" (lww_checker), "cas-register"
 *	or "kv" (the linearizability checker, linear.h, default options), "pbft" (cas-register
 *	plus the replicas' evidence logs, pbft_check.h, and the liveness figure); NULL to take it
 *	from config.json, else infer it: read/write ops with a key whose results carry "ts"
 *	are lww, anything else goes to the CRDT checker, which infers its own model.
 * @print_summary: print the human summary on stdout (nothing else is ever printed).
 * @out: initialized here (do not init it before); the caller check_result_fini()s it in every
 *	case. Its verdict is UNKNOWN whenever the function fails.
 * Writes results.json beside the history (in the run directory, or the history file's
 * directory), also when the history cannot be loaded (verdict unknown, with the reason).
 * When ops report clocks (or the nemesis changed them), @out->skew holds the summary
 * (skew.h), written into results.json as "skew" and printed in the summary.
 * Return: 0 when the check ran; @eb then holds a warning, or "" (results.json not writable,
 * torn last line in the history, no skew summary). -errno when the history could not be
 * loaded (@eb says "path:line: expected ...") or the checker failed (@eb says why); -EINVAL
 * for an unknown @model or config.json model; -ENAMETOOLONG. Blocks on file I/O only.
 */
int check_run_dir_model(const char *run_dir_or_file, const char *model, bool print_summary,
			struct check_result *out, struct errbuf *eb);

struct linear_opts;

/**
 * check_run_dir_linear() - check_run_dir_model() with the linearizability options @linear
 * (initial value, null reads, budget; its model is ignored: @model names it), used when
 * @model (or config.json) is "cas-register" or "kv"; NULL @linear takes the defaults.
 * The history may be our JSONL or any Jepsen form (jepsen_import.h). Return: as
 * check_run_dir_model().
 */
int check_run_dir_linear(const char *run_dir_or_file, const char *model,
			 const struct linear_opts *linear, bool print_summary,
			 struct check_result *out, struct errbuf *eb);

/* check_run_dir() - check_run_dir_model() with a CRDT model; CRDT_MODEL_NONE is NULL there
 * (config.json or inference, which may also pick lww). */
int check_run_dir(const char *run_dir_or_file, enum crdt_model model, bool print_summary,
		  struct check_result *out, struct errbuf *eb);

#endif /* CHECK_CMD_H */
