/* SPDX-License-Identifier: MIT */
/* jepsen_import.c - Jepsen EDN and console-log histories into the validated in-memory form. */
#include "jepsen_import.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"
#include "hist_value.h"
#include "jepsen_edn.h"

static const char *const form_names[] = {
	[JEPSEN_FORM_EMPTY] = "empty",
	[JEPSEN_FORM_JSONL] = "jsonl",
	[JEPSEN_FORM_EDN] = "edn",
	[JEPSEN_FORM_LOG] = "log",
};

const char *jepsen_form_name(enum jepsen_form form)
{
	ASSERT((size_t)form < ARRAY_SIZE(form_names));
	return form_names[form];
}

enum jepsen_form jepsen_form_detect(const char *text, size_t size)
{
	struct jepsen_edn r;
	int c, next;

	jepsen_edn_init(&r, "", text, size);
	c = jepsen_edn_skip(&r);
	if (c < 0)
		return JEPSEN_FORM_EMPTY;
	if (c == '[' || c == '(')
		return JEPSEN_FORM_EDN;
	if (c != '{')
		return JEPSEN_FORM_LOG;
	r.pos++;
	next = jepsen_edn_skip(&r);
	return next == '"' || next == '}' ? JEPSEN_FORM_JSONL : JEPSEN_FORM_EDN;
}

/* Reads all of @path into a new buffer (*@out, free() it). */
static int read_file(const char *path, char **out, size_t *size, struct errbuf *eb)
{
	struct stat st;
	size_t used = 0;
	char *buf;
	int fd, err = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errbuf_set(eb, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		err = errbuf_set(eb, -errno, "%s: %s", path, strerror(errno));
		goto out_fd;
	}
	if (st.st_size > JEPSEN_FILE_BYTES_MAX) {
		err = errbuf_set(eb, -E2BIG, "%s: expected at most %d bytes", path,
				 JEPSEN_FILE_BYTES_MAX);
		goto out_fd;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		err = errbuf_set(eb, -ENOMEM, "%s: out of memory", path);
		goto out_fd;
	}
	/* Bounded by st_size: a file that grows meanwhile is read up to its size at fstat. */
	while (used < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + used, (size_t)st.st_size - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = errbuf_set(eb, n < 0 ? -errno : -EIO, "%s: read: %s", path,
					 n < 0 ? strerror(errno) : "file shrank");
			free(buf);
			goto out_fd;
		}
		used += (size_t)n;
	}
	*out = buf;
	*size = used;
out_fd:
	close(fd);
	return err;
}

/* One import. Owned scratch: @ints and @texts hold the current op's data until appended. */
struct import {
	const char *path;
	struct hist_builder *builder;
	int64_t *ints;
	size_t ints_max;        /* entries allocated at @ints */
	char *texts[4];         /* value JSON, key, node, error of the current op */
};

static void import_scratch_free(struct import *im)
{
	for (size_t k = 0; k < ARRAY_SIZE(im->texts); k++) {
		free(im->texts[k]);
		im->texts[k] = NULL;
	}
}

/* As the JSONL reader: null, integers and integer arrays unpacked, else compact JSON. */
static int value_convert(struct import *im, const json_t *v, struct op_value *out)
{
	return hist_value_unpack(v, &im->ints, &im->ints_max, &im->texts[0], out);
}

/* A string field: strings as they are, integers in decimal, anything else as JSON. */
static int text_convert(struct import *im, size_t slot, const json_t *v, const char **out)
{
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	im->texts[slot] = json_is_string(v) ? strdup(json_string_value(v)) :
			  json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!im->texts[slot])
		return -ENOMEM;
	*out = im->texts[slot];
	return 0;
}

/* The fields every form has: process, type and f. */
static int op_head(struct import *im, struct op *op, const json_t *process, const json_t *type,
		   const json_t *f, uint64_t line, struct errbuf *eb)
{
	if (json_is_string(process) && strcmp(json_string_value(process), "nemesis") == 0)
		op->process = OP_PROCESS_NEMESIS;
	else if (json_is_integer(process) && json_integer_value(process) >= 0 &&
		 json_integer_value(process) <= INT32_MAX)
		op->process = (int32_t)json_integer_value(process);
	else
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected :process to be an "
				  "integer in [0, 2^31-1] or :nemesis", im->path, line);
	if (!json_is_string(type) ||
	    op_type_parse(json_string_value(type), &op->type) != 0)
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected :type to be one of "
				  ":invoke, :ok, :fail, :info", im->path, line);
	if (!json_is_string(f) || !json_string_value(f)[0])
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected :f to be a keyword or "
				  "non-empty string", im->path, line);
	op->f = json_string_value(f);
	return 0;
}

static int append(struct import *im, struct op *op, uint64_t line, struct errbuf *eb)
{
	int err = hist_builder_append(im->builder, op, line, eb);

	import_scratch_free(im);
	return err;
}

/* One EDN op map (@map) read at @line. */
static int edn_op(struct import *im, const json_t *map, uint64_t line, struct errbuf *eb)
{
	const json_t *time = json_object_get(map, "time");
	struct op op = { 0 };
	int err;

	if (!json_is_object(map))
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected an op map {:process .., "
				  ":type .., :f .., :value ..}", im->path, line);
	err = op_head(im, &op, json_object_get(map, "process"), json_object_get(map, "type"),
		      json_object_get(map, "f"), line, eb);
	if (err)
		return err;
	op.time_ns = (int64_t)hist_builder_count(im->builder);
	if (time && (!json_is_integer(time) || json_integer_value(time) < 0))
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected :time to be an integer "
				  ">= 0 (nanoseconds)", im->path, line);
	if (time)
		op.time_ns = json_integer_value(time);
	err = value_convert(im, json_object_get(map, "value"), &op.value);
	if (!err)
		err = text_convert(im, 1, json_object_get(map, "key"), &op.key);
	if (!err)
		err = text_convert(im, 2, json_object_get(map, "node"), &op.node);
	if (!err)
		err = text_convert(im, 3, json_object_get(map, "error"), &op.error);
	if (err)
		return errbuf_set(eb, err, "%s:%" PRIu64 ": out of memory", im->path, line);
	return append(im, &op, line, eb);
}

/* Op maps one after another, or inside one vector or list. */
static int import_edn(struct import *im, const char *text, size_t size, struct errbuf *eb)
{
	struct jepsen_edn r;
	uint64_t open_line;
	char close = 0;
	int c, err = 0;

	jepsen_edn_init(&r, im->path, text, size);
	c = jepsen_edn_skip(&r);
	open_line = r.line;
	if (c == '[' || c == '(') {
		close = c == '[' ? ']' : ')';
		r.pos++;
	}
	/* Bounded by the text: each pass reads one value or ends. */
	while ((c = jepsen_edn_skip(&r)) >= 0 && c != close) {
		uint64_t line = r.line;
		json_t *map;

		err = jepsen_edn_read(&r, &map, eb);
		if (err)
			break;
		err = edn_op(im, map, line, eb);
		json_decref(map);
		if (err)
			break;
	}
	if (!err && close && c != close)
		err = errbuf_set(eb, -EBADMSG, "%s:%" PRIu64 ": expected '%c' to close the "
				 "history opened here", im->path, open_line, close);
	if (!err && close && (r.pos++, jepsen_edn_skip(&r)) >= 0)
		err = errbuf_set(eb, -EBADMSG, "%s:%" PRIu64 ": expected nothing after the "
				 "history's closing '%c'", im->path, r.line, close);
	jepsen_edn_fini(&r);
	return err;
}

/* Reads the next value on the line, or a null reference (*@out NULL) at its end. */
static int log_field(struct jepsen_edn *r, json_t **out, struct errbuf *eb)
{
	int c = jepsen_edn_skip_line(r);

	*out = NULL;
	if (c < 0 || c == '\n')
		return 0;
	return jepsen_edn_read(r, out, eb);
}

static int log_op(struct import *im, json_t *fields[4], uint64_t line, struct errbuf *eb)
{
	struct op op = { .time_ns = (int64_t)hist_builder_count(im->builder) };
	json_t *value = fields[3];
	int err;

	err = op_head(im, &op, fields[0], fields[1], fields[2], line, eb);
	if (err)
		return err;
	if (op.type != OP_INVOKE && op.type != OP_OK && json_is_string(value)) {
		/* ":info :write :timed-out": the keyword says why, there is no result. */
		op.error = json_string_value(value);
		value = NULL;
	}
	err = value_convert(im, value, &op.value);
	if (err)
		return errbuf_set(eb, err, "%s:%" PRIu64 ": out of memory", im->path, line);
	return append(im, &op, line, eb);
}

/* One line "... jepsen.util - <process> <type> <f> [<value>]", at most four fields. */
static int log_line(struct import *im, const char *text, size_t size, uint64_t line,
		    struct errbuf *eb)
{
	static const char *const markers[] = { "jepsen.util - ", "jepsen.util: " };
	json_t *fields[4] = { NULL, NULL, NULL, NULL };
	const char *start = NULL;
	struct jepsen_edn r;
	int err = 0;

	for (size_t k = 0; k < ARRAY_SIZE(markers) && !start; k++) {
		start = memmem(text, size, markers[k], strlen(markers[k]));
		if (start)
			start += strlen(markers[k]);
	}
	if (!start)
		return errbuf_set(eb, -EBADMSG, "%s:%" PRIu64 ": expected a Jepsen log line "
				  "\"... jepsen.util - <process> :<type> :<f> <value>\"",
				  im->path, line);
	jepsen_edn_init(&r, im->path, start, size - (size_t)(start - text));
	r.line = line;
	for (size_t k = 0; k < ARRAY_SIZE(fields) && !err; k++)
		err = log_field(&r, &fields[k], eb);
	if (!err && jepsen_edn_skip_line(&r) >= 0)
		err = errbuf_set(eb, -EBADMSG, "%s:%" PRIu64 ": expected the line to end after "
				 "<process> <type> <f> <value>", im->path, line);
	if (!err && !fields[2])
		err = errbuf_set(eb, -EBADMSG, "%s:%" PRIu64 ": expected <process> :<type> :<f> "
				 "after \"jepsen.util - \"", im->path, line);
	if (!err)
		err = log_op(im, fields, line, eb);
	for (size_t k = 0; k < ARRAY_SIZE(fields); k++)
		json_decref(fields[k]);
	jepsen_edn_fini(&r);
	return err;
}

static int import_log(struct import *im, const char *text, size_t size, struct errbuf *eb)
{
	uint64_t line = 0;
	size_t pos = 0;

	/* Bounded by the text size: each pass consumes one line. */
	while (pos < size) {
		const char *nl = memchr(text + pos, '\n', size - pos);
		size_t end = nl ? (size_t)(nl - text) : size;
		size_t k = pos;
		int err;

		line++;
		while (k < end && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r'))
			k++;
		if (k < end) {
			err = log_line(im, text + pos, end - pos, line, eb);
			if (err)
				return err;
		}
		pos = end + 1;
	}
	return 0;
}

int jepsen_import_load(struct history *h, const char *path, enum jepsen_form *form,
		       struct errbuf *eb)
{
	struct import im = { .path = path };
	enum jepsen_form detected;
	size_t size = 0;
	char *text;
	int err;

	ASSERT(h);
	ASSERT(path);
	*h = (struct history){ 0 };
	err = read_file(path, &text, &size, eb);
	if (err)
		return err;
	detected = jepsen_form_detect(text, size);
	if (form)
		*form = detected;
	if (detected == JEPSEN_FORM_JSONL) {
		free(text);
		return hist_load(h, path, eb);
	}
	err = hist_builder_new(&im.builder, path, eb);
	if (!err && detected == JEPSEN_FORM_EDN)
		err = import_edn(&im, text, size, eb);
	else if (!err && detected == JEPSEN_FORM_LOG)
		err = import_log(&im, text, size, eb);
	if (!err)
		err = hist_builder_finish(im.builder, h, eb);
	else
		hist_builder_free(im.builder);
	import_scratch_free(&im);
	free(im.ints);
	free(text);
	ASSERT(err <= 0);
	return err;
}
