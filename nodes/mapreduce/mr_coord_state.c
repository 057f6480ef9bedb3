/* SPDX-License-Identifier: MIT */
/* mr_coord_state.c - the coordinator's queries, invariants and durable encoding. */
#include <errno.h>
#include <string.h>

#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "mr_coord_internal.h"

/*
 * The encoding, little-endian: magic "MRC1", then maps, reduces and workers (u32 each, equal
 * to the config's); per task its state (u8), attempts, live (u8), holder, done_attempt (u32),
 * MR_COUNTERS counters (u64) and per live execution its attempt, worker (u32) and backup (u8);
 * the sizes of every map's files (u64, maps * reduces); per worker seen (u8) and incarnation
 * (u64); then a CRC-32 of everything before it.
 */
enum {
	STATE_MAGIC = 0x3143524d,       /* "MRC1" */
	TASK_BYTES = 1 + 4 + 1 + 4 + 4 + 8 * MR_COUNTERS,
	EXECUTION_BYTES = 4 + 4 + 1,
	WORKER_BYTES = 1 + 8,
};

bool mr_coord_job_done(const struct mr_coord *coord)
{
	return coord->job_done;
}

bool mr_coord_map_output(const struct mr_coord *coord, uint32_t map, uint32_t reduce,
			 uint32_t *holder, uint64_t *size)
{
	ASSERT(map < coord->config.maps && reduce < coord->config.reduces);
	if (coord->tasks[map].state != MR_TASK_DONE)
		return false;
	*holder = coord->tasks[map].holder;
	*size = coord->sizes[(size_t)map * coord->config.reduces + reduce];
	return true;
}

void mr_coord_counters(const struct mr_coord *coord, uint64_t counters[MR_COUNTERS])
{
	memset(counters, 0, MR_COUNTERS * sizeof(*counters));
	for (uint32_t t = 0; t < mr_coord_task_count(coord); t++)
		if (coord->tasks[t].state == MR_TASK_DONE)
			for (uint32_t c = 0; c < MR_COUNTERS; c++)
				counters[c] += coord->tasks[t].counters[c];
}

uint32_t mr_coord_unfinished(const struct mr_coord *coord, enum mr_kind kind)
{
	return coord->unfinished[kind];
}

static bool task_holds(const struct mr_coord *coord, uint32_t t)
{
	const struct mr_task *task = &coord->tasks[t];
	bool done_map = task->state == MR_TASK_DONE && t < coord->config.maps;

	if ((task->state == MR_TASK_IDLE) != (task->live == 0) && task->state != MR_TASK_DONE)
		return false;
	if (task->live > MR_LIVE_MAX)
		return false;
	if (done_map ? task->holder >= coord->config.workers : task->holder != MR_WORKER_NONE)
		return false;
	if ((task->state == MR_TASK_DONE) !=
	    (task->done_attempt >= 1 && task->done_attempt <= task->attempts))
		return false;
	for (uint32_t at = 0; at < task->live; at++) {
		const struct mr_execution *e = &task->executions[at];

		if (e->attempt < 1 || e->attempt > task->attempts ||
		    e->worker >= coord->config.workers)
			return false;
	}
	return true;
}

bool mr_coord_invariants_hold(const struct mr_coord *coord)
{
	uint32_t unfinished[2] = { 0, 0 }, running = 0;

	for (uint32_t t = 0; t < mr_coord_task_count(coord); t++) {
		if (!task_holds(coord, t))
			return false;
		unfinished[t < coord->config.maps ? MR_MAP : MR_REDUCE] +=
			coord->tasks[t].state != MR_TASK_DONE;
		running += coord->tasks[t].live;
	}
	return unfinished[MR_MAP] == coord->unfinished[MR_MAP] &&
	       unfinished[MR_REDUCE] == coord->unfinished[MR_REDUCE] &&
	       running == coord->running &&
	       coord->job_done == (coord->unfinished[MR_REDUCE] == 0);
}

size_t mr_coord_encoded_max(const struct mr_coord *coord)
{
	return 4 * 4 + (size_t)mr_coord_task_count(coord) *
			       (TASK_BYTES + MR_LIVE_MAX * EXECUTION_BYTES) +
	       (size_t)coord->config.maps * coord->config.reduces * 8 +
	       (size_t)coord->config.workers * WORKER_BYTES + 4;
}

static void task_encode(const struct mr_task *task, struct codec_writer *w)
{
	codec_write_le(w, task->state, 1);
	codec_write_le(w, task->attempts, 4);
	codec_write_le(w, task->live, 1);
	codec_write_le(w, task->holder, 4);
	codec_write_le(w, task->done_attempt, 4);
	for (uint32_t c = 0; c < MR_COUNTERS; c++)
		codec_write_le(w, task->counters[c], 8);
	for (uint32_t at = 0; at < task->live; at++) {
		codec_write_le(w, task->executions[at].attempt, 4);
		codec_write_le(w, task->executions[at].worker, 4);
		codec_write_le(w, task->executions[at].backup, 1);
	}
}

int mr_coord_encode(const struct mr_coord *coord, void *buf, size_t size, struct errbuf *eb)
{
	struct codec_writer w = codec_writer_of(buf, size);
	size_t sizes = (size_t)coord->config.maps * coord->config.reduces;

	codec_write_le(&w, STATE_MAGIC, 4);
	codec_write_le(&w, coord->config.maps, 4);
	codec_write_le(&w, coord->config.reduces, 4);
	codec_write_le(&w, coord->config.workers, 4);
	for (uint32_t t = 0; t < mr_coord_task_count(coord); t++)
		task_encode(&coord->tasks[t], &w);
	for (size_t index = 0; index < sizes; index++)
		codec_write_le(&w, coord->sizes[index], 8);
	for (uint32_t worker = 0; worker < coord->config.workers; worker++) {
		codec_write_le(&w, coord->workers[worker].seen, 1);
		codec_write_le(&w, coord->workers[worker].incarnation, 8);
	}
	if (!w.overflow)
		codec_write_le(&w, codec_crc32(buf, w.used), 4);
	if (w.overflow)
		return errbuf_set(eb, -EMSGSIZE, "coordinator state: %zu bytes of room, up to %zu "
				  "needed", size, mr_coord_encoded_max(coord));
	ASSERT(w.used <= mr_coord_encoded_max(coord));
	return (int)w.used;
}

static void task_decode(struct mr_coord *coord, uint32_t t, int64_t now_ms,
			struct codec_reader *r)
{
	struct mr_task *task = &coord->tasks[t];

	task->state = (enum mr_task_state)codec_read_le(r, 1, "task state");
	codec_read_check(r, task->state <= MR_TASK_DONE, "task state");
	task->attempts = (uint32_t)codec_read_le(r, 4, "task attempts");
	task->live = (uint32_t)codec_read_le(r, 1, "task live executions");
	codec_read_check(r, task->live <= MR_LIVE_MAX, "task live executions");
	task->holder = (uint32_t)codec_read_le(r, 4, "task holder");
	task->done_attempt = (uint32_t)codec_read_le(r, 4, "task done attempt");
	for (uint32_t c = 0; c < MR_COUNTERS; c++)
		task->counters[c] = codec_read_le(r, 8, "task counter");
	if (r->bad)
		return;
	for (uint32_t at = 0; at < task->live; at++) {
		struct mr_execution *e = &task->executions[at];

		e->attempt = (uint32_t)codec_read_le(r, 4, "execution attempt");
		e->worker = (uint32_t)codec_read_le(r, 4, "execution worker");
		e->backup = codec_read_le(r, 1, "execution backup") != 0;
		e->started_ms = now_ms; /* its clock restarts with the coordinator */
	}
	coord->unfinished[mr_coord_kind_of(coord, t)] -= task->state == MR_TASK_DONE;
	coord->running += task->live;
}

static int header_decode(const struct mr_coord_config *config, struct codec_reader *r,
			 struct errbuf *eb)
{
	uint32_t magic = (uint32_t)codec_read_le(r, 4, "magic");
	uint32_t maps = (uint32_t)codec_read_le(r, 4, "maps");
	uint32_t reduces = (uint32_t)codec_read_le(r, 4, "reduces");
	uint32_t workers = (uint32_t)codec_read_le(r, 4, "workers");

	if (r->bad)
		return errbuf_set(eb, -EINVAL, "coordinator state: %zu bytes, too short",
				  r->size);
	if (magic != STATE_MAGIC)
		return errbuf_set(eb, -EINVAL, "coordinator state: magic 0x%08x, expected 0x%08x "
				  "(\"MRC1\")", magic, STATE_MAGIC);
	if (maps != config->maps || reduces != config->reduces || workers != config->workers)
		return errbuf_set(eb, -EINVAL, "coordinator state: %u maps, %u reduces, %u "
				  "workers; the job has %u, %u, %u", maps, reduces, workers,
				  config->maps, config->reduces, config->workers);
	return 0;
}

static void body_decode(struct mr_coord *coord, int64_t now_ms, struct codec_reader *r)
{
	size_t sizes = (size_t)coord->config.maps * coord->config.reduces;

	for (uint32_t t = 0; t < mr_coord_task_count(coord) && !r->bad; t++)
		task_decode(coord, t, now_ms, r);
	for (size_t index = 0; index < sizes; index++)
		coord->sizes[index] = codec_read_le(r, 8, "map file size");
	for (uint32_t worker = 0; worker < coord->config.workers; worker++) {
		struct mr_worker *w = &coord->workers[worker];

		w->seen = codec_read_le(r, 1, "worker seen") != 0;
		w->incarnation = codec_read_le(r, 8, "worker incarnation");
		w->heard_ms = now_ms; /* as if just heard: a restart alone loses nobody */
	}
	coord->job_done = coord->unfinished[MR_REDUCE] == 0;
}

int mr_coord_decode(const struct mr_coord_config *config, const void *buf, size_t size,
		    int64_t now_ms, struct mr_coord **out, struct errbuf *eb)
{
	struct codec_reader r = codec_reader_of(buf, size);
	struct mr_coord *coord;
	int err = mr_coord_new(config, &coord, eb);

	if (err)
		return err;
	if (size < 4 || codec_get_le((const uint8_t *)buf + size - 4, 4) !=
				codec_crc32(buf, size - 4)) {
		mr_coord_free(coord);
		return errbuf_set(eb, -EINVAL, "coordinator state: %zu bytes, CRC-32 mismatch "
				  "(torn or not a state file)", size);
	}
	r.size = size - 4;
	err = header_decode(config, &r, eb);
	if (!err) {
		body_decode(coord, now_ms, &r);
		if (!r.bad && r.used != r.size)
			r.bad = "trailing bytes";
		if (!r.bad && !mr_coord_invariants_hold(coord))
			r.bad = "task states (inconsistent)";
		if (r.bad)
			err = errbuf_set(eb, -EINVAL, "coordinator state: bad %s at byte %zu of "
					 "%zu", r.bad, r.used, size);
	}
	if (err) {
		mr_coord_free(coord);
		return err;
	}
	*out = coord;
	return 0;
}
