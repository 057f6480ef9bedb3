/* SPDX-License-Identifier: MIT */
/* jepsen_unique_ids.h - Jepsen's unique-ids checker: every id generated ok is distinct. */
#ifndef JEPSEN_UNIQUE_IDS_H
#define JEPSEN_UNIQUE_IDS_H

#include "checker.h"

/*
 * The unique-ids checker, named "unique-ids": client ops f "generate"; an ok completion's
 * value is the id (an integer or any JSON value, taken whole). Anomaly kind "duplicated",
 * one per id returned more than once. Rules and figures: checker/CHECKS.md, "Jepsen
 * unique-ids".
 */
extern const struct checker_ops jepsen_unique_ids_ops;
extern const struct checker jepsen_unique_ids_checker;

#endif /* JEPSEN_UNIQUE_IDS_H */
