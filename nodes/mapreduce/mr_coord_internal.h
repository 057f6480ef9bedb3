/* SPDX-License-Identifier: MIT */
/* mr_coord_internal.h - the coordinator's state, shared by mr_coord.c (steps) and
 * mr_coord_state.c (its durable encoding). */
#ifndef MR_COORD_INTERNAL_H
#define MR_COORD_INTERNAL_H

#include "mr_coord.h"

enum mr_task_state { MR_TASK_IDLE, MR_TASK_RUNNING, MR_TASK_DONE };

enum { MR_LIVE_MAX = 2 };               /* a task's running executions: primary and backup */

struct mr_execution {
	uint32_t attempt, worker;
	int64_t started_ms;
	bool backup;
};

/*
 * One task. Invariants: IDLE holds no live execution; RUNNING holds 1..MR_LIVE_MAX; DONE may
 * still hold some (a backup or an abandoned one that has not reported); every live attempt is
 * in 1..attempts; a DONE map's holder is a worker, every other holder MR_WORKER_NONE.
 */
struct mr_task {
	enum mr_task_state state;
	uint32_t attempts;              /* executions handed out so far */
	uint32_t live;                  /* executions[0..live) are running */
	struct mr_execution executions[MR_LIVE_MAX];
	uint32_t holder;                /* a DONE map: the worker holding its files */
	uint32_t done_attempt;          /* DONE: the execution accepted */
	uint64_t counters[MR_COUNTERS]; /* DONE: that execution's */
};

struct mr_worker {
	bool seen, lost;                /* lost: silent past worker_dead_ms, not heard since */
	uint64_t incarnation;
	int64_t heard_ms;
};

/*
 * Invariants: unfinished[k] counts the tasks of kind k not DONE; running counts live
 * executions job-wide; job_done iff no reduce is unfinished; sizes[m * reduces + r] is
 * meaningful for DONE maps only.
 */
struct mr_coord {
	struct mr_coord_config config;
	struct mr_task *tasks;          /* maps, then reduces */
	uint64_t *sizes;                /* maps * reduces */
	struct mr_worker workers[MR_WORKERS_MAX];
	uint32_t unfinished[2];
	uint32_t running;
	bool job_done;
};

static inline uint32_t mr_coord_task_count(const struct mr_coord *coord)
{
	return coord->config.maps + coord->config.reduces;
}

static inline enum mr_kind mr_coord_kind_of(const struct mr_coord *coord, uint32_t t)
{
	return t < coord->config.maps ? MR_MAP : MR_REDUCE;
}

/* Allocate a coordinator for @config (already checked), every task idle. */
int mr_coord_alloc(const struct mr_coord_config *config, struct mr_coord **out,
		   struct errbuf *eb);

/* Whether the invariants above hold, by a scan: for ASSERT_DEBUG() and decode. */
bool mr_coord_invariants_hold(const struct mr_coord *coord);

#endif /* MR_COORD_INTERNAL_H */
