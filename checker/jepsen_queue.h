/* SPDX-License-Identifier: MIT */
/* jepsen_queue.h - Jepsen's queue checkers: "queue" (every dequeue comes from an enqueue,
 * against an unordered queue) and "total-queue" (what goes in comes out). */
#ifndef JEPSEN_QUEUE_H
#define JEPSEN_QUEUE_H

#include "checker.h"

/*
 * Both read client ops f "enqueue" (the value is one element), "dequeue" (an ok dequeue's
 * value is the element taken) and "drain" (an ok drain's value is the collection of the
 * elements taken: each counts as one ok dequeue at the drain's completion). Other fs and
 * the nemesis are ignored. A drain that crashed (info) is an error, as in Jepsen: what it
 * took cannot be known. Rules, kinds, figures: checker/CHECKS.md, "Jepsen queue".
 */

/* "queue": anomaly kind "cannot-dequeue" (the first dequeue the model cannot explain). */
extern const struct checker_ops jepsen_queue_ops;
extern const struct checker jepsen_queue_checker;

/* "total-queue": anomaly kinds "lost", "unexpected"; duplicated and recovered elements are
 * figures, not part of the verdict (as in Jepsen). */
extern const struct checker_ops jepsen_total_queue_ops;
extern const struct checker jepsen_total_queue_checker;

#endif /* JEPSEN_QUEUE_H */
