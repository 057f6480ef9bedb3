/* SPDX-License-Identifier: MIT */
/* mr_coord.c - the coordinator's steps (mr_coord.h). The paper's master (section 3.2) keeps,
 * for each task, its state and the worker running it, and for each finished map where its
 * files are; this one also keeps execution numbers, so the evidence names which execution
 * of a task did what, and counters per task, so duplicates are never summed. */
#include "mr_coord.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "mr_coord_internal.h"

static const char *const kind_names[] = { [MR_MAP] = "map", [MR_REDUCE] = "reduce" };

static int config_check(const struct mr_coord_config *c, struct errbuf *eb)
{
	if (c->maps < 1 || c->maps > MR_MAPS_MAX)
		return errbuf_set(eb, -EINVAL, "maps: %u, expected 1..%d", c->maps, MR_MAPS_MAX);
	if (c->reduces < 1 || c->reduces > MR_REDUCES_MAX)
		return errbuf_set(eb, -EINVAL, "reduces: %u, expected 1..%d", c->reduces,
				  MR_REDUCES_MAX);
	if (c->workers < 1 || c->workers > MR_WORKERS_MAX)
		return errbuf_set(eb, -EINVAL, "workers: %u, expected 1..%d", c->workers,
				  MR_WORKERS_MAX);
	if (c->worker_dead_ms <= 0 || c->task_timeout_ms <= 0 || c->backup_after_ms <= 0)
		return errbuf_set(eb, -EINVAL, "worker_dead_ms, task_timeout_ms and "
				  "backup_after_ms must be > 0");
	if (c->backup_percent > 100)
		return errbuf_set(eb, -EINVAL, "backup_percent: %u, expected 0..100",
				  c->backup_percent);
	return 0;
}

int mr_coord_alloc(const struct mr_coord_config *config, struct mr_coord **out,
		   struct errbuf *eb)
{
	struct mr_coord *coord = calloc(1, sizeof(*coord));

	if (!coord)
		return errbuf_set(eb, -ENOMEM, "coordinator: out of memory");
	coord->config = *config;
	coord->tasks = calloc(mr_coord_task_count(coord), sizeof(*coord->tasks));
	coord->sizes = calloc((size_t)config->maps * config->reduces, sizeof(*coord->sizes));
	if (!coord->tasks || !coord->sizes) {
		mr_coord_free(coord);
		return errbuf_set(eb, -ENOMEM, "coordinator: out of memory");
	}
	for (uint32_t t = 0; t < mr_coord_task_count(coord); t++)
		coord->tasks[t].holder = MR_WORKER_NONE;
	coord->unfinished[MR_MAP] = config->maps;
	coord->unfinished[MR_REDUCE] = config->reduces;
	*out = coord;
	return 0;
}

int mr_coord_new(const struct mr_coord_config *config, struct mr_coord **out,
		 struct errbuf *eb)
{
	int err = config_check(config, eb);

	return err ? err : mr_coord_alloc(config, out, eb);
}

void mr_coord_free(struct mr_coord *coord)
{
	if (!coord)
		return;
	free(coord->tasks);
	free(coord->sizes);
	free(coord);
}

uint32_t mr_coord_records_max(const struct mr_coord *coord)
{
	/* A tick loses every worker; a task then runs again at most twice: its finished map's
	 * holder lost (it still has a live execution elsewhere), then that execution's worker.
	 * Any other step: one worker lost, once per task, then its own record and JOB_DONE. */
	return coord->config.workers + 2 * mr_coord_task_count(coord) + 2;
}

/* --- helpers --- */

static uint32_t task_of(const struct mr_coord *coord, enum mr_kind kind, uint32_t index)
{
	ASSERT(index < (kind == MR_MAP ? coord->config.maps : coord->config.reduces));
	return kind == MR_MAP ? index : coord->config.maps + index;
}

static uint32_t index_of(const struct mr_coord *coord, uint32_t t)
{
	return t < coord->config.maps ? t : t - coord->config.maps;
}

static struct mr_record *record(struct mr_coord *coord, struct mr_records *out,
				enum mr_record_kind kind, uint32_t t, int64_t now_ms)
{
	struct mr_record *r;

	ASSERT(out->count < out->capacity);
	r = &out->items[out->count++];
	*r = (struct mr_record){ .kind = kind, .worker = MR_WORKER_NONE, .time_ms = now_ms };
	if (t != UINT32_MAX) {
		r->task_kind = mr_coord_kind_of(coord, t);
		r->index = index_of(coord, t);
	}
	return r;
}

/* Drop the live execution @at of task @t (it ended or was given up). */
static void execution_drop(struct mr_coord *coord, uint32_t t, uint32_t at)
{
	struct mr_task *task = &coord->tasks[t];

	ASSERT(at < task->live && coord->running > 0);
	task->executions[at] = task->executions[--task->live];
	coord->running--;
}

/* Task @t runs again: a REEXEC record naming the execution given up (@attempt, on @worker). */
static void task_idle(struct mr_coord *coord, uint32_t t, uint32_t attempt, uint32_t worker,
		      enum mr_reexec_reason reason, int64_t now_ms, struct mr_records *out)
{
	struct mr_task *task = &coord->tasks[t];
	struct mr_record *r = record(coord, out, MR_RECORD_REEXEC, t, now_ms);

	r->attempt = attempt;
	r->worker = worker;
	r->reason = reason;
	if (task->state == MR_TASK_DONE) {
		coord->unfinished[mr_coord_kind_of(coord, t)]++;
		memset(task->counters, 0, sizeof(task->counters));
		task->holder = MR_WORKER_NONE;
		task->done_attempt = 0;
	}
	task->state = task->live ? MR_TASK_RUNNING : MR_TASK_IDLE;
}

/* Give up live execution @at of task @t; a RUNNING task with none left runs again. */
static void execution_give_up(struct mr_coord *coord, uint32_t t, uint32_t at,
			      enum mr_reexec_reason reason, int64_t now_ms, struct mr_records *out)
{
	struct mr_task *task = &coord->tasks[t];
	struct mr_execution gone = task->executions[at];

	execution_drop(coord, t, at);
	if (task->state == MR_TASK_RUNNING && task->live == 0)
		task_idle(coord, t, gone.attempt, gone.worker, reason, now_ms, out);
}

/* Give up every execution running on @worker. */
static void worker_executions_give_up(struct mr_coord *coord, uint32_t worker,
				      enum mr_reexec_reason reason, int64_t now_ms,
				      struct mr_records *out)
{
	for (uint32_t t = 0; t < mr_coord_task_count(coord); t++) {
		struct mr_task *task = &coord->tasks[t];

		for (uint32_t at = task->live; at-- > 0;)
			if (task->executions[at].worker == worker)
				execution_give_up(coord, t, at, reason, now_ms, out);
	}
}

/*
 * The finished maps whose files are on @holder run again (section 3.3: "completed map tasks
 * are re-executed on a failure because their output is stored on the local disk"), unless
 * every reduce is done and nobody needs them.
 */
static void held_maps_rerun(struct mr_coord *coord, uint32_t holder,
			    enum mr_reexec_reason reason, int64_t now_ms, struct mr_records *out)
{
	if (coord->config.bugs & MR_BUG_NO_REEXEC_COMPLETED_MAPS)
		return; /* BUG no-reexec-completed-maps: reduces keep fetching from @holder */
	if (coord->unfinished[MR_REDUCE] == 0)
		return;
	for (uint32_t m = 0; m < coord->config.maps; m++) {
		struct mr_task *task = &coord->tasks[m];

		if (task->state == MR_TASK_DONE && task->holder == holder)
			task_idle(coord, m, task->done_attempt, holder, reason, now_ms, out);
	}
}

/* @worker is lost: what it ran and what it holds runs again. */
static void worker_lose(struct mr_coord *coord, uint32_t worker, int64_t now_ms,
			struct mr_records *out)
{
	record(coord, out, MR_RECORD_WORKER_LOST, UINT32_MAX, now_ms)->worker = worker;
	coord->workers[worker].lost = true;
	worker_executions_give_up(coord, worker, MR_REEXEC_WORKER_LOST, now_ms, out);
	held_maps_rerun(coord, worker, MR_REEXEC_WORKER_LOST, now_ms, out);
}

/*
 * Check a message's sender and room for the step's records, and count it as heard.
 * Return: 0 to go on, 1 for a message of an earlier incarnation (ignore it), or -errno.
 */
static int heard(struct mr_coord *coord, const struct mr_from *from, struct mr_records *out,
		 struct errbuf *eb)
{
	struct mr_worker *w;

	if (from->worker >= coord->config.workers)
		return errbuf_set(eb, -EINVAL, "worker %u: the job has %u workers", from->worker,
				  coord->config.workers);
	if (out->capacity - out->count < mr_coord_records_max(coord))
		return errbuf_set(eb, -EMSGSIZE, "room for %u records, a step needs %u",
				  out->capacity - out->count, mr_coord_records_max(coord));
	w = &coord->workers[from->worker];
	if (w->seen && from->incarnation < w->incarnation)
		return 1;
	if (w->seen && from->incarnation > w->incarnation)
		worker_lose(coord, from->worker, from->now_ms, out); /* its files went with it */
	w->seen = true;
	w->lost = false;
	w->incarnation = from->incarnation;
	if (from->now_ms > w->heard_ms)
		w->heard_ms = from->now_ms;
	return 0;
}

/* The live execution @attempt of task @t, or MR_LIVE_MAX. */
static uint32_t execution_find(const struct mr_coord *coord, uint32_t t, uint32_t attempt)
{
	const struct mr_task *task = &coord->tasks[t];

	for (uint32_t at = 0; at < task->live; at++)
		if (task->executions[at].attempt == attempt)
			return at;
	return MR_LIVE_MAX;
}

static int task_check(const struct mr_coord *coord, enum mr_kind kind, uint32_t index,
		      uint32_t attempt, struct errbuf *eb)
{
	uint32_t count = kind == MR_MAP ? coord->config.maps : coord->config.reduces;

	if (index >= count)
		return errbuf_set(eb, -EINVAL, "%s %u: the job has %u", kind_names[kind], index,
				  count);
	if (attempt < 1 || attempt > coord->tasks[task_of(coord, kind, index)].attempts)
		return errbuf_set(eb, -EINVAL, "%s %u: no execution %u (%u handed out)",
				  kind_names[kind], index, attempt,
				  coord->tasks[task_of(coord, kind, index)].attempts);
	return 0;
}

/* --- handing out work --- */

/* Start execution @backup-or-not of task @t on @worker. */
static void execution_start(struct mr_coord *coord, uint32_t t, uint32_t worker, bool backup,
			    int64_t now_ms, struct mr_assignment *a, struct mr_records *out)
{
	struct mr_task *task = &coord->tasks[t];
	struct mr_record *r;

	ASSERT(task->live < MR_LIVE_MAX && task->state != MR_TASK_DONE);
	task->attempts++;
	task->executions[task->live++] = (struct mr_execution){ task->attempts, worker, now_ms,
								 backup };
	task->state = MR_TASK_RUNNING;
	coord->running++;
	*a = (struct mr_assignment){ MR_REPLY_TASK, mr_coord_kind_of(coord, t), index_of(coord, t),
				     task->attempts, backup };
	r = record(coord, out, MR_RECORD_ASSIGN, t, now_ms);
	r->attempt = task->attempts;
	r->worker = worker;
	r->backup = backup;
}

static uint32_t idle_task(const struct mr_coord *coord, enum mr_kind kind)
{
	uint32_t count = kind == MR_MAP ? coord->config.maps : coord->config.reduces;

	for (uint32_t index = 0; index < count; index++)
		if (coord->tasks[task_of(coord, kind, index)].state == MR_TASK_IDLE)
			return task_of(coord, kind, index);
	return UINT32_MAX;
}

/*
 * A task of @kind to back up on @worker (section 3.6: "when a MapReduce operation is close to
 * completion, the master schedules backup executions of the remaining in-progress tasks"):
 * the phase has no idle task and at most backup_percent of it (at least one task) is
 * unfinished; the candidate runs one execution, not on @worker, for backup_after_ms or more;
 * the oldest first. UINT32_MAX if none.
 */
static uint32_t backup_task(const struct mr_coord *coord, enum mr_kind kind, uint32_t worker,
			    int64_t now_ms)
{
	uint32_t count = kind == MR_MAP ? coord->config.maps : coord->config.reduces;
	uint64_t allowed = ((uint64_t)count * coord->config.backup_percent + 99) / 100;
	uint32_t best = UINT32_MAX;
	int64_t best_started_ms = INT64_MAX;

	if (coord->unfinished[kind] > allowed)
		return UINT32_MAX;
	for (uint32_t index = 0; index < count; index++) {
		uint32_t t = task_of(coord, kind, index);
		const struct mr_task *task = &coord->tasks[t];
		const struct mr_execution *e = &task->executions[0];

		if (task->state != MR_TASK_RUNNING || task->live != 1 || e->worker == worker)
			continue;
		if (now_ms - e->started_ms >= coord->config.backup_after_ms &&
		    e->started_ms < best_started_ms) {
			best = t;
			best_started_ms = e->started_ms;
		}
	}
	return best;
}

/* The task for an idle @worker: an idle one of the phase, else a backup; UINT32_MAX. */
static uint32_t pick(const struct mr_coord *coord, uint32_t worker, int64_t now_ms, bool *backup)
{
	enum mr_kind phase = coord->unfinished[MR_MAP] ? MR_MAP : MR_REDUCE;
	uint32_t t = idle_task(coord, phase);

	*backup = false;
	if (coord->config.bugs & MR_BUG_SERIAL_COORDINATOR && coord->running > 0)
		return UINT32_MAX; /* BUG serial-coordinator: one task at a time */
	if (t == UINT32_MAX && phase == MR_MAP && coord->config.bugs & MR_BUG_EARLY_REDUCE)
		t = idle_task(coord, MR_REDUCE); /* BUG early-reduce: before every map is done */
	if (t != UINT32_MAX)
		return t;
	t = backup_task(coord, phase, worker, now_ms);
	*backup = t != UINT32_MAX;
	return t;
}

/* --- steps --- */

int mr_coord_heartbeat(struct mr_coord *coord, const struct mr_from *from,
		       struct mr_records *out, struct errbuf *eb)
{
	int err = heard(coord, from, out, eb);

	return err < 0 ? err : 0;
}

int mr_coord_request(struct mr_coord *coord, const struct mr_from *from,
		     struct mr_assignment *assignment, struct mr_records *out, struct errbuf *eb)
{
	int err = heard(coord, from, out, eb);
	uint32_t t;
	bool backup;

	*assignment = (struct mr_assignment){ .reply = MR_REPLY_WAIT };
	if (err)
		return err < 0 ? err : 0;
	if (coord->job_done) {
		assignment->reply = MR_REPLY_EXIT;
		return 0;
	}
	/* An idle worker runs nothing: what is recorded on it ended unreported (a lost reply). */
	worker_executions_give_up(coord, from->worker, MR_REEXEC_UNREPORTED, from->now_ms, out);
	t = pick(coord, from->worker, from->now_ms, &backup);
	if (t != UINT32_MAX)
		execution_start(coord, t, from->worker, backup, from->now_ms, assignment, out);
	ASSERT_DEBUG(mr_coord_invariants_hold(coord));
	return 0;
}

/*
 * Execution @attempt of task @t finished on the sender. The first completion of a task is
 * accepted; later ones are recorded and ignored (section 3.3). Return: true if accepted.
 */
static bool task_finish(struct mr_coord *coord, const struct mr_from *from, uint32_t t,
			uint32_t attempt, const uint64_t *counters, struct mr_records *out)
{
	struct mr_task *task = &coord->tasks[t];
	uint32_t at = execution_find(coord, t, attempt);
	struct mr_record *r;

	if (at < MR_LIVE_MAX)
		execution_drop(coord, t, at);
	r = record(coord, out, task->state == MR_TASK_DONE ? MR_RECORD_DUPLICATE : MR_RECORD_DONE,
		   t, from->now_ms);
	r->attempt = attempt;
	r->worker = from->worker;
	if (task->state == MR_TASK_DONE)
		return false;
	task->state = MR_TASK_DONE;
	task->done_attempt = attempt;
	memcpy(task->counters, counters, sizeof(task->counters));
	coord->unfinished[mr_coord_kind_of(coord, t)]--;
	return true;
}

int mr_coord_map_done(struct mr_coord *coord, const struct mr_from *from, uint32_t map,
		      uint32_t attempt, const uint64_t *sizes, const uint64_t *counters,
		      struct mr_records *out, struct errbuf *eb)
{
	int err = task_check(coord, MR_MAP, map, attempt, eb);

	if (!err)
		err = heard(coord, from, out, eb);
	if (err)
		return err < 0 ? err : 0;
	if (task_finish(coord, from, task_of(coord, MR_MAP, map), attempt, counters, out)) {
		coord->tasks[map].holder = from->worker;
		memcpy(&coord->sizes[(size_t)map * coord->config.reduces], sizes,
		       coord->config.reduces * sizeof(*sizes));
	}
	ASSERT_DEBUG(mr_coord_invariants_hold(coord));
	return 0;
}

int mr_coord_reduce_done(struct mr_coord *coord, const struct mr_from *from, uint32_t reduce,
			 uint32_t attempt, const uint64_t *counters, struct mr_records *out,
			 struct errbuf *eb)
{
	int err = task_check(coord, MR_REDUCE, reduce, attempt, eb);

	if (!err)
		err = heard(coord, from, out, eb);
	if (err)
		return err < 0 ? err : 0;
	if (task_finish(coord, from, task_of(coord, MR_REDUCE, reduce), attempt, counters, out) &&
	    coord->unfinished[MR_REDUCE] == 0) {
		coord->job_done = true;
		record(coord, out, MR_RECORD_JOB_DONE, UINT32_MAX, from->now_ms);
	}
	ASSERT_DEBUG(mr_coord_invariants_hold(coord));
	return 0;
}

int mr_coord_fetch_failed(struct mr_coord *coord, const struct mr_from *from, uint32_t reduce,
			  uint32_t attempt, uint32_t map, uint32_t holder, struct mr_records *out,
			  struct errbuf *eb)
{
	int err = task_check(coord, MR_REDUCE, reduce, attempt, eb);
	uint32_t t, at;

	if (!err && map >= coord->config.maps)
		err = errbuf_set(eb, -EINVAL, "map %u: the job has %u", map, coord->config.maps);
	if (!err && holder >= coord->config.workers)
		err = errbuf_set(eb, -EINVAL, "holder %u: the job has %u workers", holder,
				 coord->config.workers);
	if (!err)
		err = heard(coord, from, out, eb);
	if (err)
		return err < 0 ? err : 0;
	t = task_of(coord, MR_REDUCE, reduce);
	at = execution_find(coord, t, attempt);
	if (at < MR_LIVE_MAX)
		execution_give_up(coord, t, at, MR_REEXEC_FETCH_FAILED, from->now_ms, out);
	/* A stale report (the map already ran again elsewhere) changes nothing more. */
	if (coord->tasks[map].state == MR_TASK_DONE && coord->tasks[map].holder == holder)
		held_maps_rerun(coord, holder, MR_REEXEC_FETCH_FAILED, from->now_ms, out);
	ASSERT_DEBUG(mr_coord_invariants_hold(coord));
	return 0;
}

int mr_coord_tick(struct mr_coord *coord, int64_t now_ms, struct mr_records *out,
		  struct errbuf *eb)
{
	if (out->capacity - out->count < mr_coord_records_max(coord))
		return errbuf_set(eb, -EMSGSIZE, "room for %u records, a step needs %u",
				  out->capacity - out->count, mr_coord_records_max(coord));
	for (uint32_t w = 0; w < coord->config.workers; w++) {
		struct mr_worker *worker = &coord->workers[w];

		if (worker->seen && !worker->lost &&
		    now_ms - worker->heard_ms > coord->config.worker_dead_ms)
			worker_lose(coord, w, now_ms, out);
	}
	for (uint32_t t = 0; t < mr_coord_task_count(coord); t++) {
		struct mr_task *task = &coord->tasks[t];

		int64_t timeout_ms = coord->config.task_timeout_ms;

		for (uint32_t at = task->live; at-- > 0;)
			if (now_ms - task->executions[at].started_ms > timeout_ms)
				execution_give_up(coord, t, at, MR_REEXEC_TIMEOUT, now_ms, out);
	}
	ASSERT_DEBUG(mr_coord_invariants_hold(coord));
	return 0;
}
