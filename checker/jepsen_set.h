/* SPDX-License-Identifier: MIT */
/* jepsen_set.h - Jepsen's set checkers: "set" (one final read) in jepsen_set.c, "set-full"
 * (every read, per element) in jepsen_set_full.c. */
#ifndef JEPSEN_SET_H
#define JEPSEN_SET_H

#include "checker.h"

/*
 * Both read client ops whose f is check_opts.add_f (default "add": the value is one element)
 * and check_opts.read_f (default "read": an ok read's value is the whole set, an array, EDN
 * set or null); other fs and the nemesis are ignored. Elements are integers or any JSON
 * value (jepsen_elements.h). Rules, anomaly kinds and figures: checker/CHECKS.md, "Jepsen
 * set" and "Jepsen set-full". A read value that is not a collection is an error (unknown).
 */

/* "set": anomaly kinds "lost", "unexpected"; unknown when the set was never read. */
extern const struct checker_ops jepsen_set_ops;
extern const struct checker jepsen_set_checker;

/* "set-full": anomaly kinds "lost", and "stale" when check_opts.linearizable; unknown when
 * no element is stable. */
extern const struct checker_ops jepsen_set_full_ops;
extern const struct checker jepsen_set_full_checker;

#endif /* JEPSEN_SET_H */
