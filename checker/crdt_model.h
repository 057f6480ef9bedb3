/* SPDX-License-Identifier: MIT */
/* crdt_model.h - the CRDT checker and the models it knows: G-Counter, G-Set, OR-Set. */
#ifndef CRDT_MODEL_H
#define CRDT_MODEL_H

#include "checker.h"

/* Which CRDT the history exercised. */
enum crdt_model { CRDT_MODEL_NONE, CRDT_MODEL_GCOUNTER, CRDT_MODEL_GSET, CRDT_MODEL_ORSET };

/* crdt_model_name() - "none", "gcounter", "gset" or "orset". */
const char *crdt_model_name(enum crdt_model model);

/* crdt_model_parse() - inverse of crdt_model_name() ("none" excluded). Return: 0 or -EINVAL. */
int crdt_model_parse(const char *name, enum crdt_model *out);

/* The CRDT checker (crdt_check.c, rules in checker/CHECKS.md), named "crdt": check_opts.model
 * names the CRDT ("gcounter", "gset", "orset"), or NULL to infer it from the ops. */
extern const struct checker_ops crdt_checker_ops;
extern const struct checker crdt_checker;

#endif /* CRDT_MODEL_H */
