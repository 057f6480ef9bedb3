/* SPDX-License-Identifier: MIT */
/* mr_worker_internal.h - a worker's state, shared by mr_worker.c (its loop) and
 * mr_worker_task.c (running and committing tasks). */
#ifndef MR_WORKER_INTERNAL_H
#define MR_WORKER_INTERNAL_H

#include <stdint.h>

#include "mr_app.h"
#include "mr_node.h"
#include "mr_wire.h"
#include "mr_worker_net.h"
#include "prng.h"

struct worker {
	const struct replica_args *a;
	const struct mr_job *job;
	const struct mr_node_dirs *dirs;
	struct mr_app app;
	uint32_t id;                    /* worker id: node id - 1 */
	uint64_t incarnation;
	char **inputs;                  /* job->maps file names, sorted */
	char files_dir[512];            /* this incarnation's map files */
	struct mr_link link, heartbeat; /* to the coordinator: the task loop's, the heartbeats' */
	uint32_t heartbeat_failures;
	struct mr_file_server server;
	struct mr_wire_assignment assignment;
	struct prng prng;               /* in-task crash points */
	uint32_t crash_stage;           /* 0: none in this task */
	uint32_t straggle_stage;        /* 0: none in this task */
	int64_t straggle_ms;
};

/* Run a map, or a reduce, and report it; a failure is logged and reported as it can be. */
void mr_worker_map(struct worker *w, const struct mr_wire_assignment *task);
void mr_worker_reduce(struct worker *w, const struct mr_wire_assignment *task);

/* OUTPUT/job-J: where job @job's reduces commit mr-out-R. */
void mr_worker_job_dir(const struct worker *w, uint64_t job, char *buf, size_t size);

/* Remove @dir and the files in it (not recursive), best effort. */
void mr_worker_dir_remove(const char *dir);

#endif /* MR_WORKER_INTERNAL_H */
