/* SPDX-License-Identifier: MIT */
/* hist_writer.c - the crash-safe, thread-safe history writer: one write(2) per op line. */
#include "hist.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist_rules.h"
#include "monotime.h"

enum { WRITER_LINE_BYTES_INITIAL = 4096 };
STATIC_ASSERT((long)WRITER_LINE_BYTES_INITIAL <= (long)HIST_LINE_BYTES_MAX,
	      "initial buffer within limit");

/*
 * Invariants: @rules has seen exactly the ops in the file; @line has @line_size bytes
 * allocated; once @broken is set (a failed or short write may have left a torn line) every
 * append fails, so nothing is ever written after a torn line.
 * Everything below @lock is guarded by it.
 */
struct hist_writer {
	pthread_mutex_t lock;
	int fd;
	int64_t start_ns;
	char *path;
	struct hist_rules rules;
	char *line;
	size_t line_size;
	bool broken;
};

int hist_writer_open(struct hist_writer **out, const char *path, int64_t start_ns,
		     struct errbuf *eb)
{
	struct hist_writer *w;
	int err;

	ASSERT(out != NULL);
	ASSERT(path != NULL);
	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return errbuf_set(eb, -ENOMEM, "%s: out of memory", path);
	w->path = strdup(path);
	w->line_size = WRITER_LINE_BYTES_INITIAL;
	w->line = malloc(w->line_size);
	if (!w->path || !w->line) {
		err = errbuf_set(eb, -ENOMEM, "%s: out of memory", path);
		goto out_free;
	}
	w->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		err = errbuf_set(eb, -errno, "%s: cannot create history", path);
		goto out_free;
	}
	err = -pthread_mutex_init(&w->lock, NULL);
	if (err < 0) {
		errbuf_set(eb, err, "%s: cannot create lock", path);
		goto out_close;
	}
	w->start_ns = start_ns;
	hist_rules_init(&w->rules, w->path);
	*out = w;
	return 0;
out_close:
	close(w->fd);
	unlink(path);
out_free:
	free(w->line);
	free(w->path);
	free(w);
	return err;
}

static json_t *value_to_json(const struct op_value *value)
{
	json_t *array;

	switch (value->kind) {
	case OP_VALUE_NULL:
		return json_null();
	case OP_VALUE_INT:
		return json_integer(value->integer);
	case OP_VALUE_INTS:
		array = json_array();
		for (uint32_t i = 0; array && i < value->count; i++) {
			if (json_array_append_new(array, json_integer(value->ints[i])) < 0) {
				json_decref(array);
				return NULL;
			}
		}
		return array;
	case OP_VALUE_JSON:
		return json_loads(value->json, JSON_DECODE_ANY, NULL);
	}
	return NULL;
}

/* Adds @key: @value (a new reference, NULL on failure) to @obj; -1 when either fails. */
static int set_new(json_t *obj, const char *key, json_t *value)
{
	if (!value)
		return -1;
	return json_object_set_new(obj, key, value);
}

/* Builds the line's object, keys in FORMAT.md order. NULL if @bad_field is not UTF-8/JSON. */
static json_t *op_to_json(const struct op *op, const char **bad_field)
{
	json_t *obj = json_object();
	json_t *process;
	int err;

	if (op->process == OP_PROCESS_NEMESIS)
		process = json_string("nemesis");
	else
		process = json_integer(op->process);
	*bad_field = "index";
	if (!obj || set_new(obj, "index", json_integer((json_int_t)op->index)) < 0)
		goto out_obj;
	*bad_field = "time";
	if (set_new(obj, "time", json_integer(op->time_ns)) < 0)
		goto out_obj;
	*bad_field = "process";
	err = set_new(obj, "process", process);
	process = NULL;         /* owned by @obj now, or released by jansson on failure */
	if (err < 0)
		goto out_obj;
	*bad_field = "type";
	if (set_new(obj, "type", json_string(op_type_name(op->type))) < 0)
		goto out_obj;
	*bad_field = "f";
	if (set_new(obj, "f", json_string(op->f)) < 0)
		goto out_obj;
	*bad_field = "value";
	if (set_new(obj, "value", value_to_json(&op->value)) < 0)
		goto out_obj;
	*bad_field = "node";
	if (op_node(op) && set_new(obj, "node", json_string(op_node(op))) < 0)
		goto out_obj;
	*bad_field = "key";
	if (op->key && set_new(obj, "key", json_string(op->key)) < 0)
		goto out_obj;
	*bad_field = "error";
	if (op_error(op) && set_new(obj, "error", json_string(op_error(op))) < 0)
		goto out_obj;
	*bad_field = "final";
	if (op->final && set_new(obj, "final", json_true()) < 0)
		goto out_obj;
	return obj;
out_obj:
	json_decref(process);
	json_decref(obj);
	return NULL;
}

int hist_writer_print(FILE *file, const struct op *op, struct errbuf *eb)
{
	const char *bad_field = NULL;
	json_t *obj;
	int rc;

	ASSERT(file);
	ASSERT(op);
	obj = op_to_json(op, &bad_field);
	if (!obj)
		return errbuf_set(eb, -EINVAL, "op %" PRIu64 ": expected \"%s\" to be valid UTF-8 "
				  "text (or JSON text for a JSON value)", (uint64_t)op->index,
				  bad_field);
	rc = json_dumpf(obj, file, JSON_COMPACT);
	json_decref(obj);
	if (rc != 0 || fputc('\n', file) == EOF)
		return errbuf_set(eb, -EIO, "op %" PRIu64 ": write failed", (uint64_t)op->index);
	return 0;
}

/* Dumps @obj plus a newline into w->line. Return: the line's size, -E2BIG or -ENOMEM. */
static ssize_t dump_line(struct hist_writer *w, const json_t *obj)
{
	size_t size = json_dumpb(obj, w->line, w->line_size - 1, JSON_COMPACT);

	if (size == 0)
		return -ENOMEM;
	if (size + 1 > HIST_LINE_BYTES_MAX)
		return -E2BIG;
	if (size + 1 > w->line_size) {
		char *line = realloc(w->line, size + 1);

		if (!line)
			return -ENOMEM;
		w->line = line;
		w->line_size = size + 1;
		size = json_dumpb(obj, w->line, w->line_size - 1, JSON_COMPACT);
		ASSERT(size + 1 == w->line_size);
	}
	w->line[size] = '\n';
	return (ssize_t)size + 1;
}

/* Writes the whole line; a short write (disk full) is retried for the rest. */
static int write_line(struct hist_writer *w, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = write(w->fd, w->line + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	ASSERT(done == size);
	return 0;
}

/* Serialises the checked @op and writes it; marks @w broken if the file may be torn. */
static int emit(struct hist_writer *w, const struct op *op, struct errbuf *eb)
{
	const char *bad_field = NULL;
	json_t *obj = op_to_json(op, &bad_field);
	ssize_t size;
	int err;

	if (!obj)
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected \"%s\" to be valid "
				  "UTF-8 text (or JSON text for a JSON value)", w->path,
				  (uint64_t)op->index + 1, bad_field);
	size = dump_line(w, obj);
	json_decref(obj);
	if (size == -E2BIG)
		return errbuf_set(eb, -E2BIG, "%s:%" PRIu64 ": expected a line of at most %d "
				  "bytes", w->path, (uint64_t)op->index + 1, HIST_LINE_BYTES_MAX);
	if (size < 0)
		return errbuf_set(eb, (int)size, "%s:%" PRIu64 ": out of memory", w->path,
				  (uint64_t)op->index + 1);
	err = write_line(w, (size_t)size);
	if (err < 0) {
		w->broken = true;
		return errbuf_set(eb, err, "%s:%" PRIu64 ": write failed", w->path,
				  (uint64_t)op->index + 1);
	}
	return 0;
}

int hist_writer_append(struct hist_writer *w, struct op *op, struct errbuf *eb)
{
	struct op stamped;
	int err;

	ASSERT(w != NULL);
	ASSERT(op != NULL);
	ASSERT(pthread_mutex_lock(&w->lock) == 0);
	if (w->broken) {
		err = errbuf_set(eb, -EIO, "%s: an earlier write failed; history closed",
				 w->path);
		goto out_unlock;
	}
	if (w->rules.next_index >= OP_INDEX_LIMIT) {
		err = errbuf_set(eb, -E2BIG, "%s: expected at most %u ops in one history",
				 w->path, OP_INDEX_LIMIT);
		goto out_unlock;
	}
	stamped = *op;
	stamped.index = (uint32_t)w->rules.next_index;
	stamped.time_ns = monotime_ns() - w->start_ns;
	/* The line number of op i is i + 1: the writer writes nothing but op lines. */
	err = hist_rules_check(&w->rules, &stamped, stamped.index + 1, eb);
	if (err < 0)
		goto out_unlock;
	err = emit(w, &stamped, eb);
	if (err < 0)
		goto out_unlock;
	hist_rules_commit(&w->rules, &stamped);
	ASSERT(w->rules.next_index == (uint64_t)stamped.index + 1);
	op->index = stamped.index;
	op->time_ns = stamped.time_ns;
out_unlock:
	ASSERT(pthread_mutex_unlock(&w->lock) == 0);
	return err;
}

int hist_writer_close(struct hist_writer *w)
{
	int err = 0;

	if (!w)
		return 0;
	/* Durable at the end of a campaign; per-op fsync would cost more than the run. */
	if (fsync(w->fd) < 0)
		err = -errno;
	if (close(w->fd) < 0 && err == 0)
		err = -errno;
	hist_rules_fini(&w->rules);
	pthread_mutex_destroy(&w->lock);
	free(w->line);
	free(w->path);
	free(w);
	return err;
}
