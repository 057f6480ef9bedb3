/* SPDX-License-Identifier: MIT */
/* mr_coord.h - the MapReduce coordinator's decisions as a pure step function (Dean and
 * Ghemawat, OSDI 2004, sections 3.1 to 3.3 and 3.6): task states, worker liveness,
 * re-execution, backup tasks and counters kept once per task. No sockets, clocks or randomness:
 * the daemon passes each message with the time, sends the replies and logs the records. */
#ifndef MR_COORD_H
#define MR_COORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct errbuf;

/* Bounds (STYLE S18): one map task per input file. */
enum {
	MR_MAPS_MAX = 1024,
	MR_REDUCES_MAX = 256,
	MR_WORKERS_MAX = 64,            /* the cluster's nodes */
	MR_WORKER_NONE = UINT32_MAX,
};

/* Counters a task reports; the job's are the sum over the accepted execution of each task,
 * so a duplicate or re-executed execution is never counted twice. */
enum mr_counter {
	MR_COUNTER_MAP_INPUT_BYTES,
	MR_COUNTER_MAP_OUTPUT_PAIRS,    /* intermediate pairs emitted */
	MR_COUNTER_REDUCE_OUTPUT_KEYS,
	MR_COUNTER_REDUCE_OUTPUT_BYTES,
	MR_COUNTERS,
};

/* Coordinator-side seeded bugs (the workers' are theirs). */
enum {
	MR_BUG_NO_REEXEC_COMPLETED_MAPS = 1u << 0,      /* a lost worker's maps stay done */
	MR_BUG_EARLY_REDUCE = 1u << 1,                  /* reduces handed out before every map */
	MR_BUG_SERIAL_COORDINATOR = 1u << 2,            /* one task at a time, job-wide */
};

struct mr_coord_config {
	uint32_t maps, reduces;         /* 1..MR_MAPS_MAX, 1..MR_REDUCES_MAX */
	uint32_t workers;               /* worker ids are 0..workers-1, <= MR_WORKERS_MAX */
	int64_t worker_dead_ms;         /* heard from nothing this long: the worker is lost */
	int64_t task_timeout_ms;        /* an execution running this long is abandoned */
	int64_t backup_after_ms;        /* an execution this old may get a backup, ... */
	uint32_t backup_percent;        /* ... once at most this share of a phase is unfinished */
	uint32_t bugs;
};

enum mr_kind { MR_MAP, MR_REDUCE };

/* What a requesting worker is told. */
enum mr_reply {
	MR_REPLY_WAIT,                  /* nothing to hand out now: ask again later */
	MR_REPLY_TASK,
	MR_REPLY_EXIT,                  /* the job is done */
};

struct mr_assignment {
	enum mr_reply reply;
	enum mr_kind kind;              /* TASK */
	uint32_t index;                 /* TASK: map m or reduce r */
	uint32_t attempt;               /* TASK: this task's execution number, from 1 */
	bool backup;                    /* TASK: a backup of a running execution (section 3.6) */
};

/* Why an execution or a finished map is run again. */
enum mr_reexec_reason {
	MR_REEXEC_WORKER_LOST,          /* its worker went silent or came back as a new process */
	MR_REEXEC_TIMEOUT,              /* it ran longer than task_timeout_ms */
	MR_REEXEC_FETCH_FAILED,         /* a reduce could not fetch this map's output */
	MR_REEXEC_UNREPORTED,           /* its worker asked for work without reporting it */
};

/* Evidence, in the order the coordinator decided it. */
enum mr_record_kind {
	MR_RECORD_ASSIGN,               /* kind, index, attempt, worker, backup */
	MR_RECORD_DONE,                 /* accepted: the task is done (a reduce: committed) */
	MR_RECORD_DUPLICATE,            /* a completion of a task already done: ignored */
	MR_RECORD_REEXEC,               /* the task is idle again; attempt: the one given up */
	MR_RECORD_WORKER_LOST,          /* worker: silent past worker_dead_ms, or restarted */
	MR_RECORD_JOB_DONE,
	MR_RECORD_JOB_START,            /* the daemon's, when a job is submitted */
};

struct mr_record {
	enum mr_record_kind kind;
	enum mr_kind task_kind;
	uint32_t index, attempt, worker;
	bool backup;                    /* ASSIGN */
	enum mr_reexec_reason reason;   /* REEXEC */
	int64_t time_ms;
};

/* Caller storage a step appends to; mr_coord_records_max() records always fit. */
struct mr_records {
	struct mr_record *items;
	uint32_t capacity, count;
};

/* Who sent a message, and when it arrived. A worker's incarnation grows each time it starts
 * (its start time, say): a higher one means the earlier process, with its files, is gone. */
struct mr_from {
	uint32_t worker;
	uint64_t incarnation;
	int64_t now_ms;
};

struct mr_coord;

/* mr_coord_new() - a job with every task idle. Return: 0, -EINVAL (@eb names the field),
 * -ENOMEM. */
int mr_coord_new(const struct mr_coord_config *config, struct mr_coord **out,
		 struct errbuf *eb);
void mr_coord_free(struct mr_coord *coord);

/* Records one step may append: workers + 2 * (maps + reduces) + 2. */
uint32_t mr_coord_records_max(const struct mr_coord *coord);

/*
 * Steps. Each message from a worker also counts as a heartbeat. A message from an earlier
 * incarnation than the one known is ignored (return 0, no record). Invalid input (a worker,
 * task or attempt out of range, a completion the task never had) returns -EINVAL with a
 * message and changes nothing; a too-small @out returns -EMSGSIZE and changes nothing.
 */
int mr_coord_heartbeat(struct mr_coord *coord, const struct mr_from *from,
		       struct mr_records *out, struct errbuf *eb);
/* An idle worker asks for work. Executions still recorded on it are over (it is idle). */
int mr_coord_request(struct mr_coord *coord, const struct mr_from *from,
		     struct mr_assignment *assignment, struct mr_records *out, struct errbuf *eb);
/* A map finished: its R intermediate files are on the sender, of @sizes[r] bytes. */
int mr_coord_map_done(struct mr_coord *coord, const struct mr_from *from, uint32_t map,
		      uint32_t attempt, const uint64_t *sizes, const uint64_t *counters,
		      struct mr_records *out, struct errbuf *eb);
/* A reduce finished: its output file was renamed into place. */
int mr_coord_reduce_done(struct mr_coord *coord, const struct mr_from *from, uint32_t reduce,
			 uint32_t attempt, const uint64_t *counters, struct mr_records *out,
			 struct errbuf *eb);
/* A reduce execution could not fetch map @map's output from @holder: it gives up; the maps
 * finished on @holder run again. */
int mr_coord_fetch_failed(struct mr_coord *coord, const struct mr_from *from, uint32_t reduce,
			  uint32_t attempt, uint32_t map, uint32_t holder, struct mr_records *out,
			  struct errbuf *eb);
/* Time passes: silent workers are lost, overdue executions abandoned. */
int mr_coord_tick(struct mr_coord *coord, int64_t now_ms, struct mr_records *out,
		  struct errbuf *eb);

/* Queries for the daemon and tests. */
bool mr_coord_job_done(const struct mr_coord *coord);
/* A finished map's holder and the size of its file for @reduce; false if not done. */
bool mr_coord_map_output(const struct mr_coord *coord, uint32_t map, uint32_t reduce,
			 uint32_t *holder, uint64_t *size);
/* The job's counters: the sum over the accepted execution of each finished task. */
void mr_coord_counters(const struct mr_coord *coord, uint64_t counters[MR_COUNTERS]);
/* Tasks not yet done, of a kind. */
uint32_t mr_coord_unfinished(const struct mr_coord *coord, enum mr_kind kind);

/*
 * Durable state, so a restarted coordinator resumes the job (beyond the paper, whose master
 * failure aborts it). Encoded: every task's state, execution count, finished map's holder,
 * sizes and counters, and the running executions. Decoded at @now_ms: running executions
 * restart their clocks and every worker counts as just heard, so a restart alone re-executes
 * nothing. mr_coord_encode() returns the size written, or -EMSGSIZE past @size
 * (mr_coord_encoded_max() bytes always fit); mr_coord_decode() returns 0, -EINVAL for bytes
 * that are not this config's state (@eb names the field), -ENOMEM.
 */
size_t mr_coord_encoded_max(const struct mr_coord *coord);
int mr_coord_encode(const struct mr_coord *coord, void *buf, size_t size, struct errbuf *eb);
int mr_coord_decode(const struct mr_coord_config *config, const void *buf, size_t size,
		    int64_t now_ms, struct mr_coord **out, struct errbuf *eb);

#endif /* MR_COORD_H */
