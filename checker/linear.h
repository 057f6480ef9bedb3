/* SPDX-License-Identifier: MIT */
/* linear.h - the linearizability checker (Wing-Gong/Lowe search, per key) and its models. */
#ifndef LINEAR_H
#define LINEAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checker.h"

struct errbuf;
struct history;

/* The models (rules in checker/CHECKS.md, "Linearizability"). */
enum linear_model {
	LINEAR_MODEL_CAS_REGISTER,
	LINEAR_MODEL_KV,
	LINEAR_MODEL_REGISTER,          /* read and write only (Knossos register) */
	LINEAR_MODEL_MUTEX,             /* acquire and release (Knossos mutex) */
	LINEAR_MODEL_MULTI_REGISTER,    /* txn of reads and writes of named registers */
	LINEAR_MODEL_SET,               /* add, and read of the whole set */
	LINEAR_MODEL_UNORDERED_QUEUE,   /* enqueue, dequeue of any element in */
	LINEAR_MODEL_FIFO_QUEUE,        /* enqueue, dequeue of the head */
	LINEAR_MODEL_COUNT
};

enum { LINEAR_INITIAL_BYTES_MAX = 256 };

struct linear_opts {
	enum linear_model model;
	/* The initial value as JSON text (see linear_initial_parse()), "" for the model's
	 * default: null for cas-register, "" (absent) for every key of kv. */
	char initial[LINEAR_INITIAL_BYTES_MAX];
	bool null_read_any;     /* a read that returns null constrains nothing */
	uint64_t steps_max;     /* search steps per key; 0: CHK_LIN_STEPS_MAX */
};

/* A checker instance: the seam's base with the model options (recovered by container_of). */
struct linear_checker {
	struct checker base;
	struct linear_opts opts;
};

/* The checker ops, named "linear". */
extern const struct checker_ops linear_checker_ops;

/* linear_checker_init() - a checker for @opts (copied). */
void linear_checker_init(struct linear_checker *c, const struct linear_opts *opts);

/* linear_model_name() - "cas-register" or "kv". */
const char *linear_model_name(enum linear_model model);

/* linear_model_parse() - inverse of linear_model_name(). Return: 0 or -EINVAL. */
int linear_model_parse(const char *name, enum linear_model *out);

/**
 * linear_initial_parse() - a command-line value into JSON text in @out: "nil" or "null" is
 * null, an integer stays an integer, text that is already JSON (a "string", [1, 2]) is kept,
 * anything else becomes a JSON string. Return: 0; -EINVAL over @size bytes or unparseable.
 */
int linear_initial_parse(const char *arg, char *out, size_t size);

#endif /* LINEAR_H */
