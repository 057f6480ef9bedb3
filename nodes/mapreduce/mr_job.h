/* SPDX-License-Identifier: MIT */
/* mr_job.h - a MapReduce job's declaration, as one text every node is given: the application,
 * the task counts, the coordinator's timeouts and the workers' in-task crash probability. */
#ifndef MR_JOB_H
#define MR_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "mr_app.h"
#include "mr_coord.h"

struct errbuf;

enum {
	MR_JOB_MS_MAX = 3600 * 1000,
	MR_JOB_APP_BYTES_MAX = 8 + MR_APP_PARAM_BYTES_MAX,      /* "grep:PATTERN" with its NUL */
	MR_JOB_TEXT_BYTES_MAX = MR_JOB_APP_BYTES_MAX + 256,     /* mr_job_format()'s, with NUL */
	MR_JOB_PERMILLE = 1000,
};

/*
 * Node 0 is the coordinator, nodes 1..workers the workers (worker w is node w + 1). Times are
 * the nodes' own milliseconds.
 */
struct mr_job {
	char app[MR_JOB_APP_BYTES_MAX];         /* "wc", "index" or "grep:PATTERN" */
	uint32_t maps;                          /* the input files, one map each */
	uint32_t reduces;
	int64_t heartbeat_ms;                   /* a worker's, to the coordinator */
	int64_t worker_dead_ms;
	int64_t task_timeout_ms;
	int64_t backup_after_ms;
	uint32_t backup_percent;
	uint32_t crash_permille;                /* a worker exits inside a task (the lab's crash
						 * plugin), with this chance per task */
};

/* mr_job_defaults() - wc, 8 maps, 5 reduces, heartbeats every 100 ms, a worker lost after
 * 1000 ms of silence, tasks timed out after 10 s (the lab's), backups after 500 ms for the
 * last 20% of a phase, no in-task crash. */
void mr_job_defaults(struct mr_job *job);

/**
 * mr_job_parse() - "app=wc,maps=8,reduces=5,heartbeat=100,worker-dead=1000,
 * task-timeout=10000,backup-after=500,backup-percent=20,crash=0" (crash in permille): every
 * key optional (the defaults), each at most once, comma-separated; app's grep pattern has no
 * comma. Return: 0; -EINVAL with @eb naming the key and what was expected.
 */
int mr_job_parse(const char *text, struct mr_job *job, struct errbuf *eb);

/* mr_job_format() - @job as mr_job_parse() reads it, every key written. */
void mr_job_format(const struct mr_job *job, char *buf, size_t size);

/* mr_job_app() - the job's application. Return: 0; mr_app_init()'s error. */
int mr_job_app(const struct mr_job *job, struct mr_app *app, struct errbuf *eb);

/* mr_job_coord_config() - the coordinator's config for @workers workers and @bugs. */
struct mr_coord_config mr_job_coord_config(const struct mr_job *job, uint32_t workers,
					   uint32_t bugs);

#endif /* MR_JOB_H */
