/* SPDX-License-Identifier: MIT */
/* jepsen_counter.h - Jepsen's counter checker: every ok read lies within the bounds the adds
 * around it allow. */
#ifndef JEPSEN_COUNTER_H
#define JEPSEN_COUNTER_H

#include "checker.h"

/*
 * The counter checker (rules in checker/CHECKS.md, "Jepsen counter"), named "counter". Client
 * ops f "add" (integer value) and "read" (an ok read's value an integer); other fs and the
 * nemesis are ignored. Anomaly kind "out-of-bounds-read". A non-integer add or ok read value
 * is an error (the verdict is then unknown).
 */
extern const struct checker_ops jepsen_counter_ops;
extern const struct checker jepsen_counter_checker;

#endif /* JEPSEN_COUNTER_H */
