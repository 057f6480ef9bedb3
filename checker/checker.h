/* SPDX-License-Identifier: MIT */
/* checker.h - the Checker seam: a history in, a verdict with evidence out (Jepsen Checker). */
#ifndef CHECKER_H
#define CHECKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "liveness.h"

struct errbuf;
struct history;
struct skew;

/* Verdicts compose by maximum: INVALID > UNKNOWN > VALID (STYLE S25). */
enum verdict { VERDICT_VALID = 0, VERDICT_UNKNOWN = 1, VERDICT_INVALID = 2 };

enum {
	CHECK_ANOMALIES_MAX = 1024,      /* anomalies kept in a result; more are only counted */
	CHECK_ANOMALY_OPS_MAX = 16,      /* op indices kept per anomaly */
	CHECK_MESSAGE_BYTES_MAX = 256,
	CHECK_FIGURES_BYTES_MAX = 64 * 1024, /* a result's figures text */
	CHECK_WARNINGS_BYTES_MAX = 16 * 1024, /* a result's warnings text */
};

struct anomaly {
	const char *kind;                        /* static string, e.g. "lost-add" */
	char message[CHECK_MESSAGE_BYTES_MAX];   /* evidence, in words */
	uint64_t ops[CHECK_ANOMALY_OPS_MAX];     /* indices of the ops involved */
	uint32_t op_count;
};

struct check_result {
	enum verdict verdict;
	const char *checker;                     /* name of the checker that produced it */
	struct anomaly *anomalies;               /* owned; up to CHECK_ANOMALIES_MAX */
	uint32_t anomaly_count;                  /* kept */
	uint64_t anomalies_total;                /* found, including the ones not kept */
	char unknown_reason[CHECK_MESSAGE_BYTES_MAX]; /* why UNKNOWN (or undecided parts beside
						       * INVALID), "" otherwise */
	/* Figures for the summary: ops read, final reads seen, and so on. */
	uint64_t op_count, final_read_count;
	/* Added: the model that was checked ("gcounter", "gset", "orset", "lww"), NULL if none. */
	const char *model;
	/* Owned, optional: the clock offsets seen in the history (skew.h), NULL when it has
	 * none. Data, not a verdict; freed by check_result_fini(). */
	struct skew *skew;
	/* Liveness after the final heal, beside the verdict and never merged into it;
	 * .measured is false when it was not asked for (liveness.h). */
	struct check_liveness liveness;
	/* Owned, optional: figures a checker found worth showing (lines, each ending in
	 * '\n'), printed in the summary; not part of the verdict. NULL for none. */
	char *figures;
	/* Owned, optional: what the import of the history fitted or skipped ('\n'-separated
	 * "path:line: ..." lines; jepsen_import.h), NULL for none. Not part of the verdict. */
	char *warnings;
	/* Which registry row checked it and why ("mutex, from the ops' shape"), "" when no
	 * registry choice was made (a checker run directly). */
	char chosen[96];
};

struct check_opts {
	const char *model;                       /* the model to check by name ("gset"); NULL:
						  * the checker infers it */
	uint64_t memory_bytes_max;               /* 0: the checker's default budget */
	/* The Jepsen set checkers (jepsen_set.h): the f of an add and of a read; NULL: "add",
	 * "read". Maelstrom's broadcast workload adds with "broadcast". */
	const char *add_f, *read_f;
	bool linearizable;                       /* set-full: a stale element is invalid */
};

/* What a checker sees of one run: the history, and the run directory with the rest of
 * what the run recorded (config.json, the nodes' evidence under nodes/). */
struct check_run {
	const struct history *history;
	const char *dir;                         /* NULL: a history alone, no run around it */
};

struct checker;

struct checker_ops {
	const char *name;
	/* Fills @result (already check_result_init()ed, or holding the findings of the
	 * checkers composed before this one). An error return makes the verdict UNKNOWN in the
	 * dispatcher, never VALID. */
	int (*check)(const struct checker *checker, const struct check_run *run,
		     const struct check_opts *opts, struct check_result *result,
		     struct errbuf *eb);
	/* Optional: frees a checker made on the heap (checker_table.h); NULL for static ones. */
	void (*free)(struct checker *checker);
};

struct checker {
	const struct checker_ops *ops;
};

/* checker_free() - free a checker made by checker_make(); static ones and NULL are left. */
static inline void checker_free(struct checker *checker)
{
	if (checker && checker->ops->free)
		checker->ops->free(checker);
}

/* ---- Additions: result helpers and the dispatcher (checker.c) -------------------------- */

/* verdict_name() - "valid", "invalid" or "unknown". */
const char *verdict_name(enum verdict verdict);

/* verdict_merge() - the maximum of @a and @b: INVALID > UNKNOWN > VALID (STYLE S25). */
enum verdict verdict_merge(enum verdict a, enum verdict b);

/* check_result_init() - an empty VALID result in caller storage; allocates nothing. */
void check_result_init(struct check_result *result);

/* check_result_fini() - free the anomalies, the skew and the figures; the result is left
 * re-init'ed. */
void check_result_fini(struct check_result *result);

/**
 * check_result_add_anomaly() - record one anomaly and make the verdict INVALID.
 * @kind: a static string; @ops: @op_count indices, copied (at most CHECK_ANOMALY_OPS_MAX kept).
 * Past CHECK_ANOMALIES_MAX anomalies (or if the array cannot be allocated) the anomaly is only
 * counted in anomalies_total; the verdict is INVALID either way. Never fails.
 */
void check_result_add_anomaly(struct check_result *result, const char *kind,
			      const uint64_t *ops, uint32_t op_count, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/**
 * check_result_set_unknown() - a check could not decide: merge UNKNOWN into the verdict and
 * append the reason (joined by "; ", truncated to the buffer) to unknown_reason.
 */
void check_result_set_unknown(struct check_result *result, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A bounded anomaly message under construction; overflow truncates (it is a diagnostic). */
struct check_text {
	char buf[CHECK_MESSAGE_BYTES_MAX];
	size_t used;                             /* < sizeof(buf); buf[used] == '\0' */
};

/* check_text_init() - empty @t. check_text_add() - append printf-style, truncating. */
void check_text_init(struct check_text *t);
void check_text_add(struct check_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * check_history() - run @checker on @history (the dispatcher, STYLE S17 and S25).
 * @result must be check_result_init()ed by the caller, who check_result_fini()s it.
 * Asserts the seam's contract before and after the call. A checker error becomes the verdict
 * UNKNOWN with the errbuf text in unknown_reason, so an error never reads as VALID.
 * Return: 0, or the checker's -errno (the result is then UNKNOWN and says why); does not block
 * on anything but the CPU.
 */
int check_history(const struct checker *checker, const struct history *history,
		  const struct check_opts *opts, struct check_result *result, struct errbuf *eb);

/* checker_check_run() - check_history() on a whole run: @run->dir is handed to the
 * checker too (node evidence). Return: as check_history(). */
int checker_check_run(const struct checker *checker, const struct check_run *run,
		      const struct check_opts *opts, struct check_result *result,
		      struct errbuf *eb);

/* check_result_add_figures() - append printf output to @result->figures (a line or more);
 * silently dropped when memory runs out (figures are not evidence). */
void check_result_add_figures(struct check_result *result, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* check_result_add_warning() - append one printf line to @result->warnings ('\n'-separated,
 * "path:line: ..."); silently dropped when memory runs out (warnings are not evidence). */
void check_result_add_warning(struct check_result *result, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The no-op checker (Jepsen noop): always VALID, for wiring tests only (STYLE S24). */
extern const struct checker_ops checker_noop_ops;
extern const struct checker checker_noop;

#endif /* CHECKER_H */
