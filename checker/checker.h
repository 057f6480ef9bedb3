/* SPDX-License-Identifier: MIT */
/* checker.h - the Checker seam: a history in, a verdict with evidence out (Jepsen Checker). */
#ifndef CHECKER_H
#define CHECKER_H

#include <stdint.h>

struct errbuf;
struct history;

/* Verdicts compose by maximum: INVALID > UNKNOWN > VALID (STYLE S25). */
enum verdict { VERDICT_VALID = 0, VERDICT_UNKNOWN = 1, VERDICT_INVALID = 2 };

enum {
	CHECK_ANOMALIES_MAX = 1024,      /* anomalies kept in a result; more are only counted */
	CHECK_ANOMALY_OPS_MAX = 16,      /* op indices kept per anomaly */
	CHECK_MESSAGE_BYTES_MAX = 256,
};

/* Which CRDT the history exercised. */
enum crdt_model { CRDT_MODEL_NONE, CRDT_MODEL_GCOUNTER, CRDT_MODEL_GSET, CRDT_MODEL_ORSET };

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
	char unknown_reason[CHECK_MESSAGE_BYTES_MAX]; /* why UNKNOWN, "" otherwise */
	/* Figures for the summary: ops read, final reads seen, and so on. */
	uint64_t op_count, final_read_count;
};

struct check_opts {
	enum crdt_model model;
	uint64_t memory_bytes_max;               /* 0: the checker's default budget */
};

struct checker;

struct checker_ops {
	const char *name;
	/* Fills @result (already check_result_init()ed). An error return makes the verdict
	 * UNKNOWN in the dispatcher, never VALID. */
	int (*check)(const struct checker *checker, const struct history *history,
		     const struct check_opts *opts, struct check_result *result,
		     struct errbuf *eb);
};

struct checker {
	const struct checker_ops *ops;
};

#endif /* CHECKER_H */
