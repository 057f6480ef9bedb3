/* SPDX-License-Identifier: MIT */
/* check_compose.h - several checkers over one run, their verdicts merged (Jepsen's compose). */
#ifndef CHECK_COMPOSE_H
#define CHECK_COMPOSE_H

#include <stdint.h>

#include "checker.h"

enum { CHECK_COMPOSE_PARTS_MAX = 8 };

/*
 * Runs every part on the same run into the same result, in order, so their anomalies sit
 * side by side and the verdict is the maximum (INVALID > UNKNOWN > VALID), as Jepsen's
 * compose merges :valid?. A part that fails adds UNKNOWN with its reason and the rest still
 * run. The result's model is the first part's to name one.
 */
struct check_compose {
	struct checker base;
	struct checker_ops ops;                 /* compose's, under the composition's name */
	const struct checker *parts[CHECK_COMPOSE_PARTS_MAX]; /* borrowed */
	uint32_t count;
};

/* check_compose_init() - @c named @name (static text) over @count parts (borrowed). */
void check_compose_init(struct check_compose *c, const char *name,
			const struct checker *const *parts, uint32_t count);

#endif /* CHECK_COMPOSE_H */
