/* SPDX-License-Identifier: MIT */
/* test_coord.c - the coordinator's step function: assignment, completion, loss, timeouts,
 * backups, fetch failures, its durable state, and each coordinator-side seeded bug. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "mr_coord.h"
#include "mr_coord_internal.h"
#include "prng.h"

enum { RECORDS_MAX = MR_WORKERS_MAX + 2 * (MR_MAPS_MAX + MR_REDUCES_MAX) + 2 };

/* One coordinator under test, its records of the last step, and a clock. */
struct rig {
	struct mr_coord *coord;
	struct mr_record items[RECORDS_MAX];
	struct mr_records out;
	uint64_t incarnation[MR_WORKERS_MAX];
	int64_t now_ms;
	struct errbuf eb;
};

static struct mr_coord_config config_of(uint32_t maps, uint32_t reduces, uint32_t workers,
					uint32_t bugs)
{
	return (struct mr_coord_config){ .maps = maps, .reduces = reduces, .workers = workers,
					 .worker_dead_ms = 3000, .task_timeout_ms = 10000,
					 .backup_after_ms = 1000, .backup_percent = 50,
					 .bugs = bugs };
}

static void rig_init(struct rig *rig, const struct mr_coord_config *config)
{
	memset(rig, 0, sizeof(*rig));
	cr_assert_eq(mr_coord_new(config, &rig->coord, &rig->eb), 0, "%s", rig->eb.msg);
	for (uint32_t w = 0; w < MR_WORKERS_MAX; w++)
		rig->incarnation[w] = 1;
}

static struct mr_from from(struct rig *rig, uint32_t worker)
{
	return (struct mr_from){ worker, rig->incarnation[worker], rig->now_ms };
}

static struct mr_records *fresh(struct rig *rig)
{
	rig->out = (struct mr_records){ rig->items, RECORDS_MAX, 0 };
	return &rig->out;
}

static struct mr_assignment request(struct rig *rig, uint32_t worker)
{
	struct mr_assignment a;
	struct mr_from f = from(rig, worker);

	cr_assert_eq(mr_coord_request(rig->coord, &f, &a, fresh(rig), &rig->eb), 0, "%s",
		     rig->eb.msg);
	cr_assert(mr_coord_invariants_hold(rig->coord));
	return a;
}

static void expect_task(struct mr_assignment a, enum mr_kind kind, uint32_t index,
			uint32_t attempt, bool backup)
{
	cr_assert_eq(a.reply, MR_REPLY_TASK);
	cr_assert_eq(a.kind, kind, "kind %d, expected %d", a.kind, kind);
	cr_assert_eq(a.index, index, "index %u, expected %u", a.index, index);
	cr_assert_eq(a.attempt, attempt, "attempt %u, expected %u", a.attempt, attempt);
	cr_assert_eq(a.backup, backup);
}

static void map_done(struct rig *rig, uint32_t worker, uint32_t map, uint32_t attempt)
{
	uint64_t sizes[MR_REDUCES_MAX], counters[MR_COUNTERS] = { 100 + map, 10, 0, 0 };
	struct mr_from f = from(rig, worker);

	for (uint32_t r = 0; r < MR_REDUCES_MAX; r++)
		sizes[r] = 1000 * map + r;
	cr_assert_eq(mr_coord_map_done(rig->coord, &f, map, attempt, sizes, counters, fresh(rig),
				       &rig->eb), 0, "%s", rig->eb.msg);
	cr_assert(mr_coord_invariants_hold(rig->coord));
}

static void reduce_done(struct rig *rig, uint32_t worker, uint32_t reduce, uint32_t attempt)
{
	uint64_t counters[MR_COUNTERS] = { 0, 0, 5, 50 };
	struct mr_from f = from(rig, worker);

	cr_assert_eq(mr_coord_reduce_done(rig->coord, &f, reduce, attempt, counters, fresh(rig),
					  &rig->eb), 0, "%s", rig->eb.msg);
	cr_assert(mr_coord_invariants_hold(rig->coord));
}

static void tick(struct rig *rig)
{
	cr_assert_eq(mr_coord_tick(rig->coord, rig->now_ms, fresh(rig), &rig->eb), 0);
	cr_assert(mr_coord_invariants_hold(rig->coord));
}

/* The last step's record @at is of @kind, for task (@task_kind, @index) if not UINT32_MAX. */
static const struct mr_record *expect_record(struct rig *rig, uint32_t at,
					     enum mr_record_kind kind, enum mr_kind task_kind,
					     uint32_t index)
{
	const struct mr_record *r;

	cr_assert_lt(at, rig->out.count, "record %u of %u", at, rig->out.count);
	r = &rig->out.items[at];
	cr_assert_eq(r->kind, kind, "record %u: kind %d, expected %d", at, r->kind, kind);
	if (index != UINT32_MAX) {
		cr_assert_eq(r->task_kind, task_kind);
		cr_assert_eq(r->index, index, "record %u: index %u, expected %u", at, r->index,
			     index);
	}
	cr_assert_eq(r->time_ms, rig->now_ms);
	return r;
}

static void rig_fini(struct rig *rig)
{
	mr_coord_free(rig->coord);
}

Test(mapreduce_coord, refuses_bad_configs)
{
	struct mr_coord_config bad[] = { config_of(0, 1, 1, 0), config_of(1, 0, 1, 0),
					 config_of(1, 1, 0, 0),
					 config_of(MR_MAPS_MAX + 1, 1, 1, 0),
					 config_of(1, MR_REDUCES_MAX + 1, 1, 0),
					 config_of(1, 1, MR_WORKERS_MAX + 1, 0) };
	struct mr_coord *coord = NULL;
	struct errbuf eb;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		cr_assert_eq(mr_coord_new(&bad[i], &coord, &eb), -EINVAL, "row %zu", i);
		cr_assert_neq(eb.msg[0], '\0');
	}
	bad[0] = config_of(1, 1, 1, 0);
	bad[0].backup_percent = 101;
	cr_assert_eq(mr_coord_new(&bad[0], &coord, &eb), -EINVAL);
	bad[0].backup_percent = 10;
	bad[0].task_timeout_ms = 0;
	cr_assert_eq(mr_coord_new(&bad[0], &coord, &eb), -EINVAL);
}

Test(mapreduce_coord, runs_maps_then_reduces_and_says_done)
{
	struct mr_coord_config config = config_of(3, 2, 3, 0);
	uint64_t counters[MR_COUNTERS], size;
	uint32_t holder;
	struct rig rig;

	rig_init(&rig, &config);
	expect_task(request(&rig, 0), MR_MAP, 0, 1, false);
	expect_record(&rig, 0, MR_RECORD_ASSIGN, MR_MAP, 0);
	cr_assert_eq(rig.out.items[0].worker, 0);
	expect_task(request(&rig, 1), MR_MAP, 1, 1, false);
	map_done(&rig, 0, 0, 1);
	expect_record(&rig, 0, MR_RECORD_DONE, MR_MAP, 0);
	expect_task(request(&rig, 0), MR_MAP, 2, 1, false);
	/* Every map is handed out and none is old enough to back up: wait, no reduce yet. */
	cr_assert_eq(request(&rig, 2).reply, MR_REPLY_WAIT);
	cr_assert_eq(rig.out.count, 0);
	map_done(&rig, 1, 1, 1);
	map_done(&rig, 0, 2, 1);
	cr_assert(mr_coord_map_output(rig.coord, 2, 1, &holder, &size));
	cr_assert_eq(holder, 0);
	cr_assert_eq(size, 2001);
	expect_task(request(&rig, 1), MR_REDUCE, 0, 1, false);
	expect_task(request(&rig, 0), MR_REDUCE, 1, 1, false);
	reduce_done(&rig, 1, 0, 1);
	cr_assert_not(mr_coord_job_done(rig.coord));
	reduce_done(&rig, 0, 1, 1);
	expect_record(&rig, 0, MR_RECORD_DONE, MR_REDUCE, 1);
	expect_record(&rig, 1, MR_RECORD_JOB_DONE, MR_MAP, UINT32_MAX);
	cr_assert(mr_coord_job_done(rig.coord));
	cr_assert_eq(request(&rig, 1).reply, MR_REPLY_EXIT);
	mr_coord_counters(rig.coord, counters);
	cr_assert_eq(counters[MR_COUNTER_MAP_INPUT_BYTES], 100 + 101 + 102);
	cr_assert_eq(counters[MR_COUNTER_MAP_OUTPUT_PAIRS], 30);
	cr_assert_eq(counters[MR_COUNTER_REDUCE_OUTPUT_KEYS], 10);
	rig_fini(&rig);
}

Test(mapreduce_coord, backs_up_the_last_task_and_ignores_the_slower_copy)
{
	struct mr_coord_config config = config_of(2, 1, 3, 0);
	uint64_t counters[MR_COUNTERS];
	struct rig rig;

	rig_init(&rig, &config);
	expect_task(request(&rig, 0), MR_MAP, 0, 1, false);
	expect_task(request(&rig, 1), MR_MAP, 1, 1, false);
	rig.now_ms = 100;
	map_done(&rig, 1, 1, 1);
	rig.now_ms = 999; /* map 0 is younger than backup_after_ms */
	cr_assert_eq(request(&rig, 2).reply, MR_REPLY_WAIT);
	rig.now_ms = 1000;
	expect_task(request(&rig, 2), MR_MAP, 0, 2, true);
	cr_assert(expect_record(&rig, 0, MR_RECORD_ASSIGN, MR_MAP, 0)->backup);
	/* One backup per task: a third worker asking gets nothing. */
	cr_assert_eq(request(&rig, 1).reply, MR_REPLY_WAIT);
	rig.now_ms = 1100;
	map_done(&rig, 2, 0, 2);
	expect_record(&rig, 0, MR_RECORD_DONE, MR_MAP, 0);
	rig.now_ms = 1200;
	map_done(&rig, 0, 0, 1);
	cr_assert_eq(expect_record(&rig, 0, MR_RECORD_DUPLICATE, MR_MAP, 0)->attempt, 1);
	mr_coord_counters(rig.coord, counters);
	cr_assert_eq(counters[MR_COUNTER_MAP_INPUT_BYTES], 100 + 101, "a duplicate is not summed");
	rig_fini(&rig);
}

Test(mapreduce_coord, backs_up_nothing_while_much_is_unfinished)
{
	struct mr_coord_config config = config_of(4, 1, 5, 0);
	struct rig rig;

	config.backup_percent = 25; /* one task of four */
	rig_init(&rig, &config);
	for (uint32_t w = 0; w < 4; w++)
		expect_task(request(&rig, w), MR_MAP, w, 1, false);
	rig.now_ms = 5000;
	for (uint32_t w = 0; w < 4; w++) {
		struct mr_from f = from(&rig, w);

		cr_assert_eq(mr_coord_heartbeat(rig.coord, &f, fresh(&rig), &rig.eb), 0);
	}
	cr_assert_eq(request(&rig, 4).reply, MR_REPLY_WAIT, "4 unfinished > 25%% of 4");
	map_done(&rig, 0, 0, 1);
	map_done(&rig, 1, 1, 1);
	cr_assert_eq(request(&rig, 4).reply, MR_REPLY_WAIT, "2 unfinished > 25%% of 4");
	map_done(&rig, 2, 2, 1);
	expect_task(request(&rig, 4), MR_MAP, 3, 2, true);
	rig_fini(&rig);
}

Test(mapreduce_coord, reruns_what_a_silent_worker_ran_and_held)
{
	struct mr_coord_config config = config_of(3, 1, 2, 0);
	struct mr_from f;
	struct rig rig;
	const struct mr_record *r;

	rig_init(&rig, &config);
	expect_task(request(&rig, 0), MR_MAP, 0, 1, false);
	expect_task(request(&rig, 1), MR_MAP, 1, 1, false);
	rig.now_ms = 100;
	map_done(&rig, 0, 0, 1);
	expect_task(request(&rig, 0), MR_MAP, 2, 1, false);
	rig.now_ms = 2000;
	f = from(&rig, 1);
	cr_assert_eq(mr_coord_heartbeat(rig.coord, &f, fresh(&rig), &rig.eb), 0);
	rig.now_ms = 3100; /* worker 0: silent 3000 ms, not yet past worker_dead_ms */
	tick(&rig);
	cr_assert_eq(rig.out.count, 0);
	rig.now_ms = 3101;
	tick(&rig);
	cr_assert_eq(rig.out.count, 3);
	cr_assert_eq(expect_record(&rig, 0, MR_RECORD_WORKER_LOST, MR_MAP, UINT32_MAX)->worker, 0);
	r = expect_record(&rig, 1, MR_RECORD_REEXEC, MR_MAP, 2);
	cr_assert_eq(r->reason, MR_REEXEC_WORKER_LOST);
	cr_assert_eq(r->attempt, 1);
	r = expect_record(&rig, 2, MR_RECORD_REEXEC, MR_MAP, 0);
	cr_assert_eq(r->reason, MR_REEXEC_WORKER_LOST);
	cr_assert_eq(r->worker, 0);
	cr_assert_eq(mr_coord_unfinished(rig.coord, MR_MAP), 3);
	expect_task(request(&rig, 1), MR_MAP, 0, 2, false);
	/* Worker 0 comes back, same process: heard again, its late report is accepted. */
	map_done(&rig, 0, 2, 1);
	expect_record(&rig, 0, MR_RECORD_DONE, MR_MAP, 2);
	rig_fini(&rig);
}

Test(mapreduce_coord, bug_no_reexec_completed_maps_keeps_a_lost_workers_maps_done)
{
	struct mr_coord_config config = config_of(2, 1, 2, 0);
	struct rig rig;

	for (int bug = 0; bug <= 1; bug++) {
		config.bugs = bug ? MR_BUG_NO_REEXEC_COMPLETED_MAPS : 0;
		rig_init(&rig, &config);
		expect_task(request(&rig, 0), MR_MAP, 0, 1, false);
		expect_task(request(&rig, 1), MR_MAP, 1, 1, false);
		map_done(&rig, 0, 0, 1);
		map_done(&rig, 1, 1, 1);
		rig.incarnation[0] = 2; /* worker 0 restarts: its files are gone */
		if (bug) {
			expect_task(request(&rig, 0), MR_REDUCE, 0, 1, false);
			cr_assert_eq(rig.out.count, 2, "WORKER_LOST, ASSIGN: no REEXEC");
		} else {
			expect_task(request(&rig, 0), MR_MAP, 0, 2, false);
			expect_record(&rig, 1, MR_RECORD_REEXEC, MR_MAP, 0);
		}
		expect_record(&rig, 0, MR_RECORD_WORKER_LOST, MR_MAP, UINT32_MAX);
		rig_fini(&rig);
	}
}

Test(mapreduce_coord, a_restarted_worker_loses_its_maps_and_its_old_self_is_ignored)
{
	struct mr_coord_config config = config_of(2, 1, 2, 0);
	uint64_t sizes[1] = { 7 }, counters[MR_COUNTERS] = { 0 };
	struct mr_assignment a;
	struct mr_from old;
	struct rig rig;

	rig_init(&rig, &config);
	expect_task(request(&rig, 0), MR_MAP, 0, 1, false);
	expect_task(request(&rig, 1), MR_MAP, 1, 1, false);
	map_done(&rig, 0, 0, 1);
	old = from(&rig, 0);
	rig.incarnation[0] = 2;
	expect_task(request(&rig, 0), MR_MAP, 0, 2, false);
	cr_assert_eq(rig.out.count, 3);
	expect_record(&rig, 0, MR_RECORD_WORKER_LOST, MR_MAP, UINT32_MAX);
	expect_record(&rig, 1, MR_RECORD_REEXEC, MR_MAP, 0);
	expect_record(&rig, 2, MR_RECORD_ASSIGN, MR_MAP, 0);
	cr_assert_eq(mr_coord_map_done(rig.coord, &old, 1, 1, sizes, counters, fresh(&rig),
				       &rig.eb), 0);
	cr_assert_eq(rig.out.count, 0, "a message of an earlier incarnation is ignored");
	cr_assert_eq(mr_coord_unfinished(rig.coord, MR_MAP), 2);
	cr_assert_eq(mr_coord_request(rig.coord, &old, &a, fresh(&rig), &rig.eb), 0);
	cr_assert_eq(a.reply, MR_REPLY_WAIT);
	rig_fini(&rig);
}

Test(mapreduce_coord, a_failed_fetch_reruns_the_reduce_and_the_holders_maps)
{
	struct mr_coord_config config = config_of(2, 2, 2, 0);
	struct mr_from f;
	struct rig rig;
	const struct mr_record *r;

	rig_init(&rig, &config);
	expect_task(request(&rig, 0), MR_MAP, 0, 1, false);
	expect_task(request(&rig, 1), MR_MAP, 1, 1, false);
	map_done(&rig, 0, 0, 1);
	map_done(&rig, 1, 1, 1);
	expect_task(request(&rig, 0), MR_REDUCE, 0, 1, false);
	expect_task(request(&rig, 1), MR_REDUCE, 1, 1, false);
	f = from(&rig, 1);
	cr_assert_eq(mr_coord_fetch_failed(rig.coord, &f, 1, 1, 0, 0, fresh(&rig), &rig.eb), 0);
	cr_assert_eq(rig.out.count, 2);
	r = expect_record(&rig, 0, MR_RECORD_REEXEC, MR_REDUCE, 1);
	cr_assert_eq(r->reason, MR_REEXEC_FETCH_FAILED);
	r = expect_record(&rig, 1, MR_RECORD_REEXEC, MR_MAP, 0);
	cr_assert_eq(r->reason, MR_REEXEC_FETCH_FAILED);
	expect_task(request(&rig, 1), MR_MAP, 0, 2, false);
	/* The other reduce's report of the same holder comes late: only that reduce reruns. */
	f = from(&rig, 0);
	cr_assert_eq(mr_coord_fetch_failed(rig.coord, &f, 0, 1, 0, 0, fresh(&rig), &rig.eb), 0);
	cr_assert_eq(rig.out.count, 1);
	expect_record(&rig, 0, MR_RECORD_REEXEC, MR_REDUCE, 0);
	rig_fini(&rig);
}

Test(mapreduce_coord, an_overdue_execution_runs_again)
{
	struct mr_coord_config config = config_of(1, 1, 2, 0);
	struct mr_from f;
	struct rig rig;

	rig_init(&rig, &config);
	expect_task(request(&rig, 0), MR_MAP, 0, 1, false);
	for (rig.now_ms = 2000; rig.now_ms <= 10000; rig.now_ms += 2000) {
		f = from(&rig, 0);
		cr_assert_eq(mr_coord_heartbeat(rig.coord, &f, fresh(&rig), &rig.eb), 0);
		tick(&rig);
		cr_assert_eq(rig.out.count, 0, "at %lld ms", (long long)rig.now_ms);
	}
	rig.now_ms = 10001;
	tick(&rig);
	cr_assert_eq(expect_record(&rig, 0, MR_RECORD_REEXEC, MR_MAP, 0)->reason,
		     MR_REEXEC_TIMEOUT);
	expect_task(request(&rig, 1), MR_MAP, 0, 2, false);
	/* The overdue execution finishes after all: accepted, the task is done. */
	map_done(&rig, 0, 0, 1);
	expect_record(&rig, 0, MR_RECORD_DONE, MR_MAP, 0);
	rig_fini(&rig);
}

Test(mapreduce_coord, an_unreported_execution_runs_again_when_its_worker_asks)
{
	struct mr_coord_config config = config_of(1, 1, 1, 0);
	struct rig rig;

	rig_init(&rig, &config);
	expect_task(request(&rig, 0), MR_MAP, 0, 1, false);
	expect_task(request(&rig, 0), MR_MAP, 0, 2, false);
	cr_assert_eq(expect_record(&rig, 0, MR_RECORD_REEXEC, MR_MAP, 0)->reason,
		     MR_REEXEC_UNREPORTED);
	rig_fini(&rig);
}

Test(mapreduce_coord, reduces_wait_for_every_map_unless_bug_early_reduce)
{
	struct mr_coord_config config = config_of(2, 1, 3, 0);
	struct rig rig;

	rig_init(&rig, &config);
	expect_task(request(&rig, 0), MR_MAP, 0, 1, false);
	expect_task(request(&rig, 1), MR_MAP, 1, 1, false);
	cr_assert_eq(request(&rig, 2).reply, MR_REPLY_WAIT);
	rig_fini(&rig);
	config.bugs = MR_BUG_EARLY_REDUCE;
	rig_init(&rig, &config);
	expect_task(request(&rig, 0), MR_MAP, 0, 1, false);
	expect_task(request(&rig, 1), MR_MAP, 1, 1, false);
	expect_task(request(&rig, 2), MR_REDUCE, 0, 1, false);
	rig_fini(&rig);
}

Test(mapreduce_coord, tasks_run_side_by_side_unless_bug_serial_coordinator)
{
	struct mr_coord_config config = config_of(2, 1, 2, 0);
	struct rig rig;

	rig_init(&rig, &config);
	expect_task(request(&rig, 0), MR_MAP, 0, 1, false);
	expect_task(request(&rig, 1), MR_MAP, 1, 1, false);
	rig_fini(&rig);
	config.bugs = MR_BUG_SERIAL_COORDINATOR;
	rig_init(&rig, &config);
	expect_task(request(&rig, 0), MR_MAP, 0, 1, false);
	cr_assert_eq(request(&rig, 1).reply, MR_REPLY_WAIT);
	map_done(&rig, 0, 0, 1);
	expect_task(request(&rig, 1), MR_MAP, 1, 1, false);
	rig_fini(&rig);
}
