/* SPDX-License-Identifier: MIT */
/* liveness.h - did clients get ops done again after the final heal? Reported beside the
 * verdict, never merged into it: a safe system may stall, and that is a separate finding. */
#ifndef LIVENESS_H
#define LIVENESS_H

#include <stdbool.h>
#include <stdint.h>

struct checker;
struct history;

/* The stated bound: after the final heal, an op must complete ok within this. */
enum { LIVENESS_BOUND_MS = 10000 };

struct check_liveness {
	bool measured;
	int64_t heal_ns;        /* the last nemesis op's time (the final heal); 0: no nemesis */
	int64_t first_ok_ns;    /* the first ok completion of an op invoked at or after it; -1 */
	int64_t bound_ns;
};

/**
 * liveness_measure() - fill @out from @h: the time of the history's last nemesis op (the
 * final heal; 0 when there is none), then the first client op invoked at or after it that
 * completed ok. The ops' times are the history's (since the campaign start).
 */
void liveness_measure(const struct history *h, int64_t bound_ns, struct check_liveness *out);

/* liveness_within_bound() - measured, and an op completed ok no later than heal + bound. */
bool liveness_within_bound(const struct check_liveness *l);

/**
 * liveness_fault_span() - when op @i of @h, a nemesis invocation, is in force: from its time
 * to the op that stops it (stop-X for start-X, start for kill, resume for pause), else to
 * its completion (a nemesis op done at once: from == to when it has none); to the history's
 * last op when it is never stopped. Return: false (nothing set) when op @i is not a nemesis
 * invocation.
 */
bool liveness_fault_span(const struct history *h, uint64_t i, int64_t *from_ns, int64_t *to_ns);

/* The liveness checker, named "liveness": fills check_result.liveness with
 * LIVENESS_BOUND_MS and leaves the verdict alone; for composing (check_compose.h). */
extern const struct checker liveness_checker;

#endif /* LIVENESS_H */
