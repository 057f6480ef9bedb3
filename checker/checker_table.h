/* SPDX-License-Identifier: MIT */
/* checker_table.h - the one table of checkers `faultline check --model` and the campaign
 * runner pick from, by name, by the run's system, or by what the history looks like. */
#ifndef CHECKER_TABLE_H
#define CHECKER_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "checker.h"

struct errbuf;
struct history;
struct linear_opts;

struct checker_entry;

/* Makes the entry's checker for @linear (the linearizability options; NULL: defaults) and
 * sets what it needs in @opts (a model name). *@out is static or made on the heap;
 * checker_free() it either way. */
typedef int checker_make_fn(const struct checker_entry *entry,
			    const struct linear_opts *linear, struct check_opts *opts,
			    const struct checker **out, struct errbuf *eb);

struct checker_entry {
	const char *name;               /* --model NAME; config.json "model" */
	const char *help;               /* one line, for usage */
	/* Optional: the system whose runs it checks when their config.json names no model or
	 * only @extends (a run of that system recorded before it had its own checker). */
	const char *system;
	const char *extends;
	/* Optional: whether a history with no model named looks like this checker's; tried
	 * in table order. */
	bool (*detect)(const struct history *h);
	bool hidden;                    /* not offered in usage (inference only) */
	checker_make_fn *make;
};

/* checker_entry_at() - the @i-th entry, NULL past the end. */
const struct checker_entry *checker_entry_at(size_t i);

/* checker_entry_find() - the entry named @name, or NULL. */
const struct checker_entry *checker_entry_find(const char *name);

/* checker_entry_for_run() - the entry config.json's @system and @model (either NULL)
 * select: @model by name, unless @system's own entry extends it; NULL if neither does. */
const struct checker_entry *checker_entry_for_run(const char *system, const char *model);

/* checker_entry_detect() - the first entry whose detect() takes @h; never NULL. */
const struct checker_entry *checker_entry_detect(const struct history *h);

/* checker_entry_fallback() - the entry for a history nothing else claims (the table's
 * last). */
const struct checker_entry *checker_entry_fallback(void);

/* checker_entry_names() - "gcounter, gset, ..." (the visible entries), into @out. */
void checker_entry_names(char *out, size_t size);

/* checker_make() - @entry's checker (see checker_make_fn). Return: 0, -ENOMEM. */
int checker_make(const struct checker_entry *entry, const struct linear_opts *linear,
		 struct check_opts *opts, const struct checker **out, struct errbuf *eb);

/**
 * checker_transcript_check() - judge the transcript file @path (a job, its inputs and the
 * outputs seen, in the transcript format of checker/CHECKS.md) with the checker of the
 * system that has one; @result: check_result_init()ed by the caller.
 * Return: 0 (the verdict is in @result); -errno when the file is refused (@eb says
 * "path:line: expected ...") or the check failed (the verdict is then UNKNOWN).
 */
int checker_transcript_check(const char *path, struct check_result *result, struct errbuf *eb);

#endif /* CHECKER_TABLE_H */
