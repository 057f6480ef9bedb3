/* SPDX-License-Identifier: MIT */
/* test_coord_sim.c - the coordinator's durable state and bad input, and the coordinator
 * driven by simulated workers (crashes that lose files, pauses, slow tasks) over many seeds:
 * its invariants, safety and liveness, and each coordinator-side bug caught by the same run. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "mr_coord.h"
#include "mr_coord_internal.h"
#include "prng.h"

enum {
	RECORDS_MAX = MR_WORKERS_MAX + 2 * (MR_MAPS_MAX + MR_REDUCES_MAX) + 2,
	SIM_WORKERS = 4, SIM_MAPS = 12, SIM_REDUCES = 5,
	SIM_FAULTS_UNTIL_MS = 20000,    /* crashes and pauses start only before this */
	SIM_DEADLINE_MS = 90000,        /* the job must be done by then (liveness) */
	SIM_SEEDS = 40,
};

static struct mr_coord_config sim_config(uint32_t bugs)
{
	return (struct mr_coord_config){ .maps = SIM_MAPS, .reduces = SIM_REDUCES,
					 .workers = SIM_WORKERS, .worker_dead_ms = 3000,
					 .task_timeout_ms = 10000, .backup_after_ms = 2000,
					 .backup_percent = 20, .bugs = bugs };
}

static struct mr_records records_of(struct mr_record *items)
{
	return (struct mr_records){ items, RECORDS_MAX, 0 };
}

/* --- durable state and bad input --- */

/* A job half way: two maps done, one running, a worker told to wait. */
static struct mr_coord *half_way(void)
{
	struct mr_coord_config config = sim_config(0);
	static struct mr_record items[RECORDS_MAX];
	struct mr_records out = records_of(items);
	uint64_t sizes[SIM_REDUCES] = { 1, 2, 3, 4, 5 }, counters[MR_COUNTERS] = { 9, 8, 7, 6 };
	struct mr_coord *coord;
	struct mr_assignment a;

	config.maps = 3;
	cr_assert_eq(mr_coord_new(&config, &coord, NULL), 0);
	for (uint32_t w = 0; w < 3; w++)
		cr_assert_eq(mr_coord_request(coord, &(struct mr_from){ w, 1, 0 }, &a, &out, NULL),
			     0);
	cr_assert_eq(mr_coord_map_done(coord, &(struct mr_from){ 0, 1, 10 }, 0, 1, sizes,
				       counters, &out, NULL), 0);
	cr_assert_eq(mr_coord_map_done(coord, &(struct mr_from){ 1, 1, 20 }, 1, 1, sizes,
				       counters, &out, NULL), 0);
	cr_assert_eq(mr_coord_request(coord, &(struct mr_from){ 1, 1, 30 }, &a, &out, NULL), 0);
	cr_assert_eq(a.reply, MR_REPLY_WAIT);
	return coord;
}

static size_t encode(const struct mr_coord *coord, unsigned char **bytes)
{
	size_t max = mr_coord_encoded_max(coord);
	int size;

	*bytes = malloc(max);
	cr_assert_not_null(*bytes);
	size = mr_coord_encode(coord, *bytes, max, NULL);
	cr_assert_gt(size, 0);
	return (size_t)size;
}

Test(mapreduce_coord_state, round_trips_and_a_restart_alone_reruns_nothing)
{
	struct mr_coord_config config = sim_config(0);
	struct mr_coord *coord = half_way(), *back;
	static struct mr_record items[RECORDS_MAX];
	struct mr_records out = records_of(items);
	unsigned char *bytes, *again;
	size_t size, size_again;
	struct errbuf eb;

	config.maps = 3;
	size = encode(coord, &bytes);
	cr_assert_eq(mr_coord_decode(&config, bytes, size, 50000, &back, &eb), 0, "%s", eb.msg);
	size_again = encode(back, &again);
	cr_assert_eq(size_again, size);
	cr_assert_eq(memcmp(bytes, again, size), 0);
	cr_assert_eq(mr_coord_unfinished(back, MR_MAP), 1);
	cr_assert_eq(back->running, 1);
	cr_assert_eq(mr_coord_tick(back, 50000 + 3000, &out, NULL), 0);
	cr_assert_eq(out.count, 0, "workers count as heard at the restart");
	cr_assert_eq(mr_coord_tick(back, 50000 + 3001, &out, NULL), 0);
	cr_assert_gt(out.count, 0, "and are lost if silent after it");
	free(bytes);
	free(again);
	mr_coord_free(coord);
	mr_coord_free(back);
}

Test(mapreduce_coord_state, refuses_torn_foreign_and_inconsistent_state)
{
	struct mr_coord_config config = sim_config(0);
	struct mr_coord *coord = half_way(), *back = NULL;
	unsigned char *bytes;
	size_t size;
	struct errbuf eb;

	config.maps = 3;
	size = encode(coord, &bytes);
	cr_assert_eq(mr_coord_encode(coord, bytes, size - 1, &eb), -EMSGSIZE);
	cr_assert_eq(mr_coord_decode(&config, bytes, size - 1, 0, &back, &eb), -EINVAL);
	cr_assert_eq(mr_coord_decode(&config, bytes, 3, 0, &back, &eb), -EINVAL);
	bytes[20] ^= 1;
	cr_assert_eq(mr_coord_decode(&config, bytes, size, 0, &back, &eb), -EINVAL);
	cr_assert(strstr(eb.msg, "CRC") != NULL, "%s", eb.msg);
	bytes[20] ^= 1;
	config.reduces = 4;
	cr_assert_eq(mr_coord_decode(&config, bytes, size, 0, &back, &eb), -EINVAL);
	cr_assert(strstr(eb.msg, "reduces") != NULL, "%s", eb.msg);
	config.reduces = SIM_REDUCES;
	/* A well-sealed lie: map 0 idle yet holding a live execution count of 1. */
	coord->tasks[0].state = MR_TASK_IDLE;
	coord->tasks[0].holder = MR_WORKER_NONE;
	coord->tasks[0].done_attempt = 0;
	coord->unfinished[MR_MAP]++;
	coord->tasks[0].live = 1;
	coord->tasks[0].executions[0] = (struct mr_execution){ 1, 0, 0, false };
	free(bytes);
	size = encode(coord, &bytes);
	cr_assert_eq(mr_coord_decode(&config, bytes, size, 0, &back, &eb), -EINVAL);
	cr_assert(strstr(eb.msg, "inconsistent") != NULL, "%s", eb.msg);
	cr_assert_null(back);
	free(bytes);
	mr_coord_free(coord);
}

Test(mapreduce_coord_state, bad_input_changes_nothing)
{
	struct mr_coord *coord = half_way();
	static struct mr_record items[RECORDS_MAX];
	struct mr_records out = records_of(items), small = { items, 3, 0 };
	uint64_t sizes[SIM_REDUCES] = { 0 }, counters[MR_COUNTERS] = { 0 };
	struct mr_assignment a;
	unsigned char *before, *after;
	size_t size;
	struct errbuf eb;

	size = encode(coord, &before);
	cr_assert_eq(mr_coord_request(coord, &(struct mr_from){ SIM_WORKERS, 1, 40 }, &a, &out,
				      &eb), -EINVAL);
	cr_assert_eq(mr_coord_map_done(coord, &(struct mr_from){ 2, 1, 40 }, 3, 1, sizes,
				       counters, &out, &eb), -EINVAL);
	cr_assert_eq(mr_coord_map_done(coord, &(struct mr_from){ 2, 1, 40 }, 2, 2, sizes,
				       counters, &out, &eb), -EINVAL, "never handed out");
	cr_assert_eq(mr_coord_reduce_done(coord, &(struct mr_from){ 2, 1, 40 }, 0, 1, counters,
					  &out, &eb), -EINVAL);
	cr_assert_eq(mr_coord_fetch_failed(coord, &(struct mr_from){ 2, 1, 40 }, 0, 0, 0, 0, &out,
					   &eb), -EINVAL);
	cr_assert_eq(mr_coord_map_done(coord, &(struct mr_from){ 2, 1, 40 }, 2, 1, sizes,
				       counters, &small, &eb), -EMSGSIZE);
	cr_assert_eq(mr_coord_tick(coord, 99999, &small, &eb), -EMSGSIZE);
	cr_assert_eq(out.count, 0);
	cr_assert_eq(small.count, 0);
	cr_assert_eq(encode(coord, &after), size);
	cr_assert_eq(memcmp(before, after, size), 0);
	free(before);
	free(after);
	mr_coord_free(coord);
}

/* --- simulated workers --- */

enum sim_state { SIM_IDLE, SIM_RUNNING, SIM_DOWN, SIM_PAUSED, SIM_EXITED };

struct sim_worker {
	enum sim_state state, paused_from;
	uint64_t incarnation;
	struct mr_assignment task;
	int64_t finish_ms, until_ms;
	bool files[SIM_MAPS];           /* map outputs this process wrote */
	uint32_t holders[SIM_MAPS];     /* a reduce's: where each map's file was when it began */
};

/* What one simulated job showed. */
struct sim_result {
	bool done;
	bool early_reduce;              /* a reduce handed out with a map unfinished */
	uint32_t reexecs, backups, most_running;
	uint64_t counters[MR_COUNTERS];
};

struct sim {
	struct mr_coord *coord;
	struct sim_worker workers[SIM_WORKERS];
	struct prng prng;
	int64_t now_ms;
	bool faults;
	struct mr_record items[RECORDS_MAX];
	struct sim_result result;
};

static struct mr_records *sim_out(struct sim *sim)
{
	static struct mr_records out;

	out = records_of(sim->items);
	return &out;
}

static void sim_note(struct sim *sim, const struct mr_records *out)
{
	for (uint32_t i = 0; i < out->count; i++) {
		sim->result.reexecs += out->items[i].kind == MR_RECORD_REEXEC;
		sim->result.backups += out->items[i].kind == MR_RECORD_ASSIGN &&
				       out->items[i].backup;
	}
	cr_assert(mr_coord_invariants_hold(sim->coord));
	if (sim->coord->running > sim->result.most_running)
		sim->result.most_running = sim->coord->running;
}

static struct mr_from sim_from(struct sim *sim, uint32_t w)
{
	return (struct mr_from){ w, sim->workers[w].incarnation, sim->now_ms };
}

/* A reduce finishes: it fetches every map's file for it from where the map's file was when
 * it began (the buggy early reduce skips a map not done then, as a worker given no location
 * would), or reports the first it cannot fetch. */
static void sim_reduce_finish(struct sim *sim, uint32_t w, const struct mr_assignment *task)
{
	uint64_t counters[MR_COUNTERS] = { 0, 0, 5, 50 };
	struct mr_records *out = sim_out(sim);
	struct mr_from from = sim_from(sim, w);

	for (uint32_t m = 0; m < SIM_MAPS; m++) {
		uint32_t holder = sim->workers[w].holders[m];
		const struct sim_worker *h;

		if (holder == MR_WORKER_NONE)
			continue;
		h = &sim->workers[holder];
		if (!h->files[m] || h->state == SIM_DOWN || h->state == SIM_PAUSED) {
			cr_assert_eq(mr_coord_fetch_failed(sim->coord, &from, task->index,
							   task->attempt, m, holder, out, NULL), 0);
			sim_note(sim, out);
			return;
		}
	}
	cr_assert_eq(mr_coord_reduce_done(sim->coord, &from, task->index, task->attempt, counters,
					  out, NULL), 0);
	sim_note(sim, out);
}

/* A reduce begins: where is each map's file for it? */
static void sim_reduce_begin(struct sim *sim, uint32_t w, const struct mr_assignment *task)
{
	uint64_t size;

	for (uint32_t m = 0; m < SIM_MAPS; m++) {
		uint32_t *holder = &sim->workers[w].holders[m];

		if (!mr_coord_map_output(sim->coord, m, task->index, holder, &size)) {
			sim->result.early_reduce = true;
			*holder = MR_WORKER_NONE;
			continue;
		}
		cr_assert_eq(size, 1000 * m + task->index);
	}
}

static void sim_finish(struct sim *sim, uint32_t w)
{
	struct sim_worker *worker = &sim->workers[w];
	struct mr_assignment task = worker->task;
	uint64_t sizes[SIM_REDUCES], counters[MR_COUNTERS] = { 100 + task.index, 10, 0, 0 };
	struct mr_records *out = sim_out(sim);
	struct mr_from from = sim_from(sim, w);

	worker->state = SIM_IDLE;
	if (task.kind == MR_REDUCE) {
		sim_reduce_finish(sim, w, &task);
		return;
	}
	for (uint32_t r = 0; r < SIM_REDUCES; r++)
		sizes[r] = 1000 * task.index + r;
	worker->files[task.index] = true;
	cr_assert_eq(mr_coord_map_done(sim->coord, &from, task.index, task.attempt, sizes,
				       counters, out, NULL), 0);
	sim_note(sim, out);
}

static void sim_request(struct sim *sim, uint32_t w)
{
	struct sim_worker *worker = &sim->workers[w];
	struct mr_records *out = sim_out(sim);
	struct mr_from from = sim_from(sim, w);

	cr_assert_eq(mr_coord_request(sim->coord, &from, &worker->task, out, NULL), 0);
	sim_note(sim, out);
	if (worker->task.reply == MR_REPLY_EXIT)
		worker->state = SIM_EXITED;
	if (worker->task.reply != MR_REPLY_TASK)
		return;
	if (worker->task.kind == MR_REDUCE)
		sim_reduce_begin(sim, w, &worker->task);
	worker->state = SIM_RUNNING;
	/* Mostly quick tasks, now and then a straggler that a backup overtakes. */
	worker->finish_ms = sim->now_ms + 100 + (int64_t)prng_below(&sim->prng, 1400) +
			    (prng_chance(&sim->prng, 0.05) ? 6000 : 0);
}

/* Faults: a crash loses the process and its files; a pause silences it. */
static void sim_fault(struct sim *sim, uint32_t w)
{
	struct sim_worker *worker = &sim->workers[w];

	if (!sim->faults || sim->now_ms >= SIM_FAULTS_UNTIL_MS || worker->state == SIM_DOWN ||
	    worker->state == SIM_PAUSED || !prng_chance(&sim->prng, 0.002))
		return;
	worker->until_ms = sim->now_ms + 200 + (int64_t)prng_below(&sim->prng, 5000);
	if (prng_chance(&sim->prng, 0.5)) {
		worker->state = SIM_DOWN;
		return;
	}
	worker->paused_from = worker->state;
	worker->state = SIM_PAUSED;
}

static void sim_worker_step(struct sim *sim, uint32_t w)
{
	struct sim_worker *worker = &sim->workers[w];
	struct mr_records *out = sim_out(sim);
	struct mr_from from;

	sim_fault(sim, w);
	if (worker->state == SIM_DOWN && sim->now_ms >= worker->until_ms) {
		worker->incarnation++; /* a new process on an empty disk */
		memset(worker->files, 0, sizeof(worker->files));
		worker->state = SIM_IDLE;
	}
	if (worker->state == SIM_PAUSED && sim->now_ms >= worker->until_ms) {
		worker->finish_ms += worker->until_ms - sim->now_ms;
		worker->state = worker->paused_from;
	}
	if (worker->state == SIM_IDLE) {
		sim_request(sim, w);
	} else if (worker->state == SIM_RUNNING && sim->now_ms >= worker->finish_ms) {
		sim_finish(sim, w);
	} else if (worker->state == SIM_RUNNING) {
		from = sim_from(sim, w);
		cr_assert_eq(mr_coord_heartbeat(sim->coord, &from, out, NULL), 0);
		sim_note(sim, out);
	}
}

static struct sim_result sim_run(uint32_t bugs, uint64_t seed, bool faults)
{
	struct mr_coord_config config = sim_config(bugs);
	struct sim sim = { .faults = faults };

	prng_init(&sim.prng, seed);
	cr_assert_eq(mr_coord_new(&config, &sim.coord, NULL), 0);
	for (uint32_t w = 0; w < SIM_WORKERS; w++)
		sim.workers[w].incarnation = 1;
	while (!mr_coord_job_done(sim.coord) && sim.now_ms < SIM_DEADLINE_MS) {
		struct mr_records *out = sim_out(&sim);

		sim.now_ms += 1 + (int64_t)prng_below(&sim.prng, 50);
		for (uint32_t w = 0; w < SIM_WORKERS; w++)
			sim_worker_step(&sim, w);
		cr_assert_eq(mr_coord_tick(sim.coord, sim.now_ms, out, NULL), 0);
		sim_note(&sim, out);
	}
	sim.result.done = mr_coord_job_done(sim.coord);
	mr_coord_counters(sim.coord, sim.result.counters);
	mr_coord_free(sim.coord);
	return sim.result;
}

static void expect_right_counters(const struct sim_result *r, uint64_t seed)
{
	uint64_t map_bytes = 0;

	for (uint32_t m = 0; m < SIM_MAPS; m++)
		map_bytes += 100 + m;
	cr_assert_eq(r->counters[MR_COUNTER_MAP_INPUT_BYTES], map_bytes, "seed %llu",
		     (unsigned long long)seed);
	cr_assert_eq(r->counters[MR_COUNTER_MAP_OUTPUT_PAIRS], 10 * SIM_MAPS);
	cr_assert_eq(r->counters[MR_COUNTER_REDUCE_OUTPUT_KEYS], 5 * SIM_REDUCES);
}

Test(mapreduce_coord_sim, a_correct_coordinator_finishes_right_under_crashes_and_pauses)
{
	uint32_t reexecs = 0;

	for (uint64_t seed = 1; seed <= SIM_SEEDS; seed++) {
		struct sim_result r = sim_run(0, seed, true);

		cr_assert(r.done, "seed %llu: the job did not finish", (unsigned long long)seed);
		cr_assert_not(r.early_reduce, "seed %llu", (unsigned long long)seed);
		expect_right_counters(&r, seed);
		reexecs += r.reexecs;
	}
	cr_assert_gt(reexecs, 0, "the faults made some re-execution: the run tests something");
}

Test(mapreduce_coord_sim, without_faults_nothing_runs_twice_but_backups_and_tasks_overlap)
{
	uint32_t backups = 0;

	for (uint64_t seed = 1; seed <= SIM_SEEDS; seed++) {
		struct sim_result r = sim_run(0, seed, false);

		cr_assert(r.done);
		cr_assert_eq(r.reexecs, 0, "seed %llu", (unsigned long long)seed);
		cr_assert_gt(r.most_running, 1, "seed %llu", (unsigned long long)seed);
		expect_right_counters(&r, seed);
		backups += r.backups;
	}
	cr_assert_gt(backups, 0, "stragglers got backups");
}

Test(mapreduce_coord_sim, each_coordinator_bug_is_seen_by_the_same_runs)
{
	uint32_t early = 0, stalled = 0, serial_most = 0;

	for (uint64_t seed = 1; seed <= SIM_SEEDS; seed++) {
		struct sim_result r = sim_run(MR_BUG_EARLY_REDUCE, seed, false);

		early += r.early_reduce;
		r = sim_run(MR_BUG_NO_REEXEC_COMPLETED_MAPS, seed, true);
		stalled += !r.done;
		r = sim_run(MR_BUG_SERIAL_COORDINATOR, seed, false);
		cr_assert(r.done);
		serial_most = r.most_running > serial_most ? r.most_running : serial_most;
	}
	cr_assert_gt(early, SIM_SEEDS / 2, "early-reduce: %u of %d seeds", early, SIM_SEEDS);
	cr_assert_gt(stalled, 0, "no-reexec-completed-maps: %u of %d seeds stall", stalled,
		     SIM_SEEDS);
	cr_assert_eq(serial_most, 1, "serial-coordinator: one task at a time");
}
