/* SPDX-License-Identifier: MIT */
/* jepsen_shape.h - which of Jepsen's counter, set, queue and unique-id checkers a history's
 * ops call for, when no checker is named (the registry's detect functions). */
#ifndef JEPSEN_SHAPE_H
#define JEPSEN_SHAPE_H

struct history;

enum jepsen_shape {
	JEPSEN_SHAPE_NONE,              /* none of these: leave it to the other checkers */
	JEPSEN_SHAPE_COUNTER,           /* add/read, integer adds and integer reads */
	JEPSEN_SHAPE_SET,               /* add/read, collection reads, at most one ok read */
	JEPSEN_SHAPE_SET_FULL,          /* add/read, collection reads, several ok reads */
	JEPSEN_SHAPE_BROADCAST,         /* broadcast/read (Maelstrom's broadcast workload) */
	JEPSEN_SHAPE_QUEUE,             /* enqueue/dequeue, no drain */
	JEPSEN_SHAPE_TOTAL_QUEUE,       /* enqueue/dequeue with a drain */
	JEPSEN_SHAPE_UNIQUE_IDS,        /* generate */
};

/**
 * jepsen_shape_of() - the shape of @h's client ops (rules in checker/CHECKS.md, "Choosing
 * the checker"). An add/read history with a node or a final read on any op is never a
 * Jepsen shape: those are the harness's own workloads, for their own checkers. Reads only;
 * one pass; never fails.
 */
enum jepsen_shape jepsen_shape_of(const struct history *h);

#endif /* JEPSEN_SHAPE_H */
