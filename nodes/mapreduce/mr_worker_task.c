/* SPDX-License-Identifier: MIT */
/* mr_worker_task.c - a worker runs and commits one task (PROTOCOL.md): a map reads its split
 * and writes R files into its own directory; a reduce fetches its partition of every map,
 * writes a temporary file in its data dir and renames it over OUTPUT/mr-out-R. The in-task
 * crash (the lab's crash plugin) and the worker's seeded bugs live here. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "mr_task.h"
#include "mr_worker_internal.h"

enum { CRASH_STAGES = 4, STRAGGLE_MS_MAX = 2000, PATH_BYTES_MAX = 640 };

void mr_worker_dir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(dir);
}

static void sleep_ms(int64_t ms);

/* Draw this task's fate, as the lab's crash plugin does at every map and reduce call (exit
 * with one chance in three, sleep 0-10 s with another): with the job's crash chance it exits
 * at one of CRASH_STAGES points, with the same chance it straggles there for up to
 * STRAGGLE_MS_MAX (scaled down to the campaigns' seconds), else it runs straight. */
static void crash_draw(struct worker *w)
{
	uint32_t draw = (uint32_t)prng_below(&w->prng, MR_JOB_PERMILLE);

	w->crash_stage = 0;
	w->straggle_stage = 0;
	if (draw < w->job->crash_permille)
		w->crash_stage = 1 + (uint32_t)prng_below(&w->prng, CRASH_STAGES);
	else if (draw < 2 * w->job->crash_permille)
		w->straggle_stage = 1 + (uint32_t)prng_below(&w->prng, CRASH_STAGES);
	w->straggle_ms = (int64_t)prng_below(&w->prng, STRAGGLE_MS_MAX + 1);
}

/* At @stage of the task: crash here if drawn. The process starts again by exec (same pid, so
 * the harness keeps it), as a new incarnation whose files are gone. Or straggle here. */
static void crash_point(struct worker *w, uint32_t stage, const char *where)
{
	if (w->straggle_stage == stage)
		sleep_ms(w->straggle_ms); /* its heartbeats go on: a slow worker, not a dead one */
	if (w->crash_stage != stage)
		return;
	log_info("worker %u: crash in task (%s), starting again", w->id, where);
	fflush(NULL);
	execv("/proc/self/exe", w->dirs->argv);
	log_error("worker %u: exec: %s", w->id, strerror(errno));
	_exit(70);
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int write_all(int fd, const void *bytes, size_t size)
{
	const char *p = bytes;

	while (size > 0) {
		ssize_t n = write(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

/* DIR/NAME from @bytes, whole or not at all: written as NAME.tmp, then renamed. */
static int file_put(const char *dir, const char *name, const void *bytes, size_t size,
		    struct errbuf *eb)
{
	char path[PATH_BYTES_MAX], temp[PATH_BYTES_MAX + 8];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(temp, sizeof(temp), "%s.tmp", path);
	fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errbuf_set(eb, -errno, "%s: %s", temp, strerror(errno));
	err = write_all(fd, bytes, size);
	close(fd);
	if (!err && rename(temp, path) < 0)
		err = -errno;
	return err ? errbuf_set(eb, err, "%s: %s", path, strerror(-err)) : 0;
}

/* Send @line to the coordinator (retried while it is away). */
static void report(struct worker *w, const char *line, size_t size)
{
	struct errbuf eb;

	for (uint32_t tries = 0; tries < 100; tries++) {
		if (mr_link_call(&w->link, line, size, MR_NODE_IO_MS, &eb) >= 0)
			return;
		sleep_ms(w->job->heartbeat_ms);
	}
	log_warn("worker %u: report lost: %s", w->id, eb.msg);
}

static int map_run(struct worker *w, const struct mr_assignment *task, struct mr_ibuf *files,
		   struct mr_wire_msg *done, struct errbuf *eb)
{
	const char *name = w->inputs[task->index];
	char path[PATH_BYTES_MAX], file_name[64];
	char *bytes = NULL;
	size_t size;
	int err;

	snprintf(path, sizeof(path), "%s/%s", w->dirs->input, name);
	err = mr_file_read(path, MR_SPLIT_BYTES_MAX, &bytes, &size, eb);
	if (!err)
		err = mr_map_task(&w->app, (struct mr_slice){ name, strlen(name) },
				  (struct mr_slice){ bytes, size }, w->job->reduces, files,
				  done->counters, eb);
	free(bytes);
	crash_point(w, 2, "map, before its files");
	for (uint32_t r = 0; !err && r < w->job->reduces; r++) {
		mr_map_file_name(file_name, sizeof(file_name), done->job, task->index, r);
		err = file_put(w->files_dir, file_name, files[r].bytes, files[r].size, eb);
		done->sizes[r] = files[r].size;
		if (r == w->job->reduces / 2)
			crash_point(w, 3, "map, among its files");
	}
	return err;
}

void mr_worker_map(struct worker *w, const struct mr_wire_assignment *assignment)
{
	const struct mr_assignment *task = &assignment->a;
	struct mr_ibuf *files = calloc(w->job->reduces, sizeof(*files));
	struct mr_wire_msg done = { .kind = MR_WIRE_MAP_DONE, .worker = w->id,
				    .incarnation = w->incarnation, .job = assignment->job,
				    .index = task->index,
				    .attempt = task->attempt, .size_count = w->job->reduces };
	char line[MR_WIRE_LINE_BYTES_MAX];
	struct errbuf eb;
	int err = files ? 0 : -ENOMEM;

	ASSERT(task->index < w->job->maps);
	crash_draw(w);
	crash_point(w, 1, "map, at its start");
	if (!err)
		err = map_run(w, task, files, &done, &eb);
	for (uint32_t r = 0; files && r < w->job->reduces; r++)
		mr_ibuf_free(&files[r]);
	free(files);
	if (err) {
		log_error("worker %u: map %u: %s", w->id, task->index, eb.msg);
		return; /* unreported: the coordinator runs it again */
	}
	crash_point(w, 4, "map, before its report");
	report(w, line, (size_t)mr_wire_format(&done, line, sizeof(line)));
}

/* Map @m's file for reduce @r from its holder: this process's own directory, or a fetch. */
static int input_get(struct worker *w, uint64_t job, uint32_t m, uint32_t r, uint32_t holder,
		     uint64_t size, char **bytes, size_t *got, struct errbuf *eb)
{
	struct sockaddr_in from;
	char path[PATH_BYTES_MAX], name[64];
	int err;

	*got = (size_t)size;
	if (holder != w->id) {
		if (!mr_node_tcp_addr(w->a, holder + 1, &from))
			return errbuf_set(eb, -EINVAL, "map %u: holder %u is no peer", m, holder);
		return mr_fetch(&from, job, m, r, size, bytes, eb);
	}
	mr_map_file_name(name, sizeof(name), job, m, r);
	snprintf(path, sizeof(path), "%s/%s", w->files_dir, name);
	err = mr_file_read(path, MR_IFILE_BYTES_MAX, bytes, got, eb);
	if (!err && *got != size)
		err = errbuf_set(eb, -EBADMSG, "%s: %zu bytes, the coordinator says %" PRIu64,
				 path, *got, size);
	return err;
}

/* Every map's file for this reduce; the first that cannot be had is *@failed. The buggy early
 * reduce is handed maps without a holder and goes on without them. */
static int inputs_get(struct worker *w, const struct mr_wire_assignment *task,
		      struct mr_reduce_input *inputs, uint32_t *count, uint32_t *failed,
		      struct errbuf *eb)
{
	*count = 0;
	for (uint32_t m = 0; m < task->maps; m++) {
		char *bytes;
		size_t size;
		int err;

		if (task->holders[m] == MR_WORKER_NONE)
			continue; /* only the early-reduce bug hands this out */
		err = input_get(w, task->job, m, task->a.index, task->holders[m], task->sizes[m],
				&bytes, &size, eb);
		if (err) {
			*failed = m;
			return err;
		}
		inputs[(*count)++] = (struct mr_reduce_input){ bytes, size, "a map's file" };
	}
	return 0;
}

/* Open what the reduce writes: a temporary file in the data dir, or, under the bugs, the final
 * file itself (truncated, or appended to). */
static int output_open(struct worker *w, uint64_t job, const struct mr_assignment *task,
		       char *temp, char *final, struct errbuf *eb)
{
	uint32_t bugs = w->a->bugs;
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC, fd;
	const char *path = temp;
	char dir[PATH_BYTES_MAX - 32];

	mr_worker_job_dir(w, job, dir, sizeof(dir));
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return errbuf_set(eb, -errno, "%s: %s", dir, strerror(errno));
	snprintf(final, PATH_BYTES_MAX, "%s/mr-out-%u", dir, task->index);
	snprintf(temp, PATH_BYTES_MAX, "%s/out-j%" PRIu64 "-r%u-a%u.tmp", w->a->data_dir, job,
		 task->index, task->attempt);
	if (bugs & (MR_NODE_BUG_NON_ATOMIC_OUTPUT | MR_NODE_BUG_DUPLICATE_COMMIT))
		path = final; /* BUG non-atomic-output, duplicate-commit: in place */
	flags |= bugs & MR_NODE_BUG_DUPLICATE_COMMIT ? O_APPEND : O_TRUNC;
	fd = open(path, flags, 0644);
	if (fd < 0)
		return errbuf_set(eb, -errno, "%s: %s", path, strerror(errno));
	return fd;
}

/* Rename @temp over @final and make the rename durable. */
static int commit(const char *temp, const char *final, const char *output_dir,
		  struct errbuf *eb)
{
	int dir_fd;

	if (rename(temp, final) < 0)
		return errbuf_set(eb, -errno, "rename %s to %s: %s", temp, final, strerror(errno));
	dir_fd = open(output_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd >= 0) {
		fsync(dir_fd);
		close(dir_fd);
	}
	return 0;
}

/* The FNV-1a 64 of every byte of @path (the output as this commit left it). */
static uint64_t file_digest(const char *path)
{
	char *bytes = NULL;
	size_t size = 0;
	uint64_t digest = 0;

	if (mr_file_read(path, (size_t)1 << 31, &bytes, &size, NULL) == 0)
		digest = codec_fnv1a(MR_FILE_DIGEST_INIT, bytes, size);
	free(bytes);
	return digest;
}

/* Write and commit the reduce's output; @done gets its counters and digest. */
static int reduce_output(struct worker *w, const struct mr_assignment *task,
			 const struct mr_reduce_input *inputs, uint32_t count,
			 struct mr_wire_msg *done, struct errbuf *eb)
{
	char dir[PATH_BYTES_MAX];
	static struct mr_ofile_writer writer; /* 64 KiB: off the stack; one task at a time */
	char temp[PATH_BYTES_MAX], final[PATH_BYTES_MAX], line[MR_WIRE_LINE_BYTES_MAX];
	bool in_place = w->a->bugs & (MR_NODE_BUG_NON_ATOMIC_OUTPUT |
				      MR_NODE_BUG_DUPLICATE_COMMIT);
	int fd = output_open(w, done->job, task, temp, final, eb), err;

	if (fd < 0)
		return fd;
	mr_worker_job_dir(w, done->job, dir, sizeof(dir));
	mr_ofile_writer_init(&writer, fd, in_place ? final : temp);
	err = mr_reduce_task(&w->app, inputs, count, task->index, w->job->reduces, &writer,
			     done->counters, eb);
	crash_point(w, 3, "reduce, writing its output");
	err = err ? (mr_ofile_abandon(&writer), err) : mr_ofile_finish(&writer, eb);
	if (err)
		return err;
	if (w->a->bugs & MR_NODE_BUG_EXIT_BEFORE_COMMIT) {
		done->digest = file_digest(temp); /* BUG exit-before-commit: done, then commit */
		report(w, line, (size_t)mr_wire_format(done, line, sizeof(line)));
		sleep_ms(MR_NODE_COMMIT_DELAY_MS);
		return commit(temp, final, dir, eb);
	}
	if (!in_place)
		err = commit(temp, final, dir, eb);
	done->digest = file_digest(final);
	crash_point(w, 4, "reduce, before its report");
	if (!err)
		report(w, line, (size_t)mr_wire_format(done, line, sizeof(line)));
	return err;
}

void mr_worker_reduce(struct worker *w, const struct mr_wire_assignment *task)
{
	struct mr_reduce_input *inputs = calloc(task->maps ? task->maps : 1, sizeof(*inputs));
	struct mr_wire_msg done = { .kind = MR_WIRE_REDUCE_DONE, .worker = w->id,
				    .incarnation = w->incarnation, .job = task->job,
				    .index = task->a.index,
				    .attempt = task->a.attempt };
	struct mr_wire_msg failed = done;
	char line[MR_WIRE_LINE_BYTES_MAX];
	uint32_t count = 0, failed_map = 0;
	struct errbuf eb;
	int err = inputs ? 0 : -ENOMEM;

	crash_draw(w);
	crash_point(w, 1, "reduce, at its start");
	if (!err)
		err = inputs_get(w, task, inputs, &count, &failed_map, &eb);
	crash_point(w, 2, "reduce, after its fetches");
	if (err && failed_map < task->maps && inputs) {
		log_warn("worker %u: reduce %u: %s", w->id, task->a.index, eb.msg);
		failed.kind = MR_WIRE_FETCH_FAILED;
		failed.map = failed_map;
		failed.holder = task->holders[failed_map];
		report(w, line, (size_t)mr_wire_format(&failed, line, sizeof(line)));
	} else if (!err && (err = reduce_output(w, &task->a, inputs, count, &done, &eb)) < 0) {
		log_error("worker %u: reduce %u: %s", w->id, task->a.index, eb.msg);
	}
	for (uint32_t i = 0; i < count; i++)
		free((void *)inputs[i].bytes);
	free(inputs);
}

void mr_worker_job_dir(const struct worker *w, uint64_t job, char *buf, size_t size)
{
	snprintf(buf, size, "%s/job-%" PRIu64, w->dirs->output, job);
}
