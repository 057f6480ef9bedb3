/* SPDX-License-Identifier: MIT */
/* jepsen_import.c - Jepsen EDN and console-log histories into the validated in-memory form. */
#include "jepsen_import.h"

#include <ctype.h>
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
#include "jepsen_lenient.h"
#include "jepsen_scan.h"

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

/* The loggers Jepsen's log-op writes under: jepsen.util, and jepsen.print in newer releases. */
static const char *const op_loggers[] = { "jepsen.util", "jepsen.print" };

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * If the logger name of @name_size bytes at @at (in @line, ending at @end) stands as a
 * logger name: at the start or after a blank, then ": ", " - " or a blank (the layouts
 * "%c: %m", "%c - %m" and "%c %m"), the start of the message after it; else NULL.
 */
static const char *logger_message(const char *line, const char *end, const char *at,
				  size_t name_size)
{
	const char *p = at + name_size;

	if (at > line && !is_blank(at[-1]))
		return NULL;
	if (p < end && *p == ':')
		p++;
	else if (end - p >= 3 && p[0] == ' ' && p[1] == '-' && is_blank(p[2]))
		p += 2;
	if (p >= end || !is_blank(*p))
		return NULL;
	/* Bounded by the line. */
	while (p < end && is_blank(*p))
		p++;
	return p;
}

/*
 * Whether a message looks like an op: it starts with a process (digits, or a keyword such
 * as :nemesis), or its second word is a keyword (the type). The same loggers print other
 * messages too (util/await-fn's "Waiting for ...", print/spy's values); those do not.
 */
static bool is_op_message(const char *msg, const char *end)
{
	const char *p = msg;

	if (p < end && (isdigit((unsigned char)*p) || *p == ':'))
		return true;
	/* Bounded by the line: the first word, then the blanks after it. */
	while (p < end && !isspace((unsigned char)*p))
		p++;
	while (p < end && is_blank(*p))
		p++;
	return p < end && *p == ':';
}

/* Where the op fields of a Jepsen op line start (after the logger's name), or NULL. */
static const char *log_op_fields(const char *line, size_t size)
{
	const char *end = line + size;

	for (size_t k = 0; k < ARRAY_SIZE(op_loggers); k++) {
		size_t n = strlen(op_loggers[k]);
		const char *at = line;

		/* Bounded by the line: each pass moves past one occurrence of the name. */
		while ((at = memmem(at, (size_t)(end - at), op_loggers[k], n))) {
			const char *msg = logger_message(line, end, at, n);

			if (msg && is_op_message(msg, end))
				return msg;
			at += n;
		}
	}
	return NULL;
}

/* Whether any line of @text is a Jepsen op line. */
static bool has_op_line(const char *text, size_t size)
{
	size_t pos = 0;

	/* Bounded by the text size: each pass consumes one line. */
	while (pos < size) {
		const char *nl = memchr(text + pos, '\n', size - pos);
		size_t end = nl ? (size_t)(nl - text) : size;

		if (log_op_fields(text + pos, end - pos))
			return true;
		pos = end + 1;
	}
	return false;
}

/* The form of the text whose first significant character, @c, is at r->pos. */
static enum jepsen_form form_at(struct jepsen_edn *r, int c)
{
	char next = r->pos + 1 < r->size ? r->text[r->pos + 1] : '\0';

	if (c < 0)
		return JEPSEN_FORM_EMPTY;
	if (c == '#')           /* a tagged op (#jepsen.history.Op{...}) or a set */
		return next == '{' || isalpha((unsigned char)next) ? JEPSEN_FORM_EDN :
		       JEPSEN_FORM_LOG;
	if (c == '[' || c == '(') {
		/* "[{:process ..." is EDN; "[jepsen worker 3] jepsen.util: 3 ..." a log. */
		r->pos++;
		c = jepsen_edn_skip(r);
		if (c < 0 || strchr("{#])", c) || !has_op_line(r->text, r->size))
			return JEPSEN_FORM_EDN;
		return JEPSEN_FORM_LOG;
	}
	if (c != '{')
		return JEPSEN_FORM_LOG;
	r->pos++;
	c = jepsen_edn_skip(r);
	return c == '"' || c == '}' ? JEPSEN_FORM_JSONL : JEPSEN_FORM_EDN;
}

enum jepsen_form jepsen_form_detect(const char *text, size_t size)
{
	enum jepsen_form form = JEPSEN_FORM_EDN;        /* a broken #_: the EDN import says so */
	struct jepsen_edn r;
	int c;

	jepsen_edn_init(&r, "", text, size);
	if (jepsen_edn_skip_discarded(&r, &c, NULL) == 0)
		form = form_at(&r, c);
	jepsen_edn_fini(&r);
	return form;
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
	char *texts[5];         /* value JSON, key, node, error, f of the current op */
	uint64_t lines_skipped; /* log form: non-blank lines that are not op lines */
	struct jepsen_lenient lenient;
	bool strict;            /* refuse every oddity (jepsen_import_opts) */
	bool full_reader_only;  /* jepsen_import_opts */
	bool split_tuples;      /* client values are [key value]: the key goes to op.key */
	uint64_t tuple_ops;     /* client ops with a non-nil value that is a [key value] pair */
	uint64_t tuple_ops_not; /* ... that is not one */
	uint64_t tuple_cue;     /* ops whose pair cannot be a plain register's (see below) */
	uint64_t tuple_line;    /* the first line with a pair */
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
	enum op_type parsed_type;

	if (json_is_string(process) && strcmp(json_string_value(process), "nemesis") == 0)
		op->process = OP_PROCESS_NEMESIS;
	else if (json_is_integer(process) && json_integer_value(process) >= 0 &&
		 json_integer_value(process) <= INT32_MAX)
		op->process = (int32_t)json_integer_value(process);
	else
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected :process to be an "
				  "integer in [0, 2^31-1] or :nemesis", im->path, line);
	if (!json_is_string(type) ||
	    op_type_parse(json_string_value(type), &parsed_type) != 0)
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected :type to be one of "
				  ":invoke, :ok, :fail, :info", im->path, line);
	op->type = parsed_type;
	if (!json_is_string(f) || !json_string_value(f)[0])
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected :f to be a keyword or "
				  "non-empty string", im->path, line);
	op->f = json_string_value(f);
	return 0;
}

/* Fits @op to the rules (jepsen_lenient.h) and appends it, after the op that fitting may
 * put before it. */
static int append(struct import *im, struct op *op, uint64_t line, struct errbuf *eb)
{
	struct op before;
	bool has_before;
	int err = jepsen_lenient_fit(&im->lenient, op, line, &before, &has_before, eb);

	if (!err && has_before)
		err = hist_builder_append(im->builder, &before, line, eb);
	if (!err)
		err = hist_builder_append(im->builder, op, line, eb);
	import_scratch_free(im);
	return err;
}

/*
 * Jepsen's independent checker wraps every client value as [key value] (a cas as
 * [key [old new]]). A history is taken as one when every client op with a non-nil value
 * has a pair, and some pair cannot be a plain register's: a read or write of a pair, or a
 * pair whose second element is a vector or nil ([k [old new]], [k nil]).
 */
static void tuple_note(struct import *im, bool pair, bool second_plain, const char *f,
		       uint64_t line)
{
	if (!pair) {
		im->tuple_ops_not++;
		return;
	}
	if (!im->tuple_ops++)
		im->tuple_line = line;
	if (strcmp(f, "cas") != 0 || !second_plain)
		im->tuple_cue++;
}

static void tuple_count(struct import *im, int32_t process, const char *f, const json_t *v,
			uint64_t line)
{
	const json_t *second = json_array_get(v, 1);

	if (process == OP_PROCESS_NEMESIS || !v || json_is_null(v))
		return;
	tuple_note(im, json_is_array(v) && json_array_size(v) == 2, second &&
		   !json_is_array(second) && !json_is_null(second), f, line);
}

/* Whether the first pass saw an independent history (tuple_count()). */
static bool tuples_found(const struct import *im)
{
	return im->tuple_ops && !im->tuple_ops_not && im->tuple_cue;
}

/* In the second pass over an independent history: [k v] into op.key and op.value. */
static int tuple_split(struct import *im, int32_t process, const json_t **v,
		       const char **key)
{
	if (!im->split_tuples || process == OP_PROCESS_NEMESIS || !*v || !json_is_array(*v) ||
	    json_array_size(*v) != 2)
		return 0;
	if (text_convert(im, 1, json_array_get(*v, 0), key))
		return -ENOMEM;
	*v = json_array_get(*v, 1);
	return 0;
}

/* One EDN op map (@map) read at @line. */
static int edn_op(struct import *im, const json_t *map, uint64_t line, struct errbuf *eb)
{
	const json_t *time = json_object_get(map, "time"), *index = json_object_get(map, "index");
	const json_t *value = json_object_get(map, "value");
	struct op_note note = { 0 };
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
	err = jepsen_lenient_index(&im->lenient, json_is_integer(index) &&
				   json_integer_value(index) >= 0 ? json_integer_value(index) : -1,
				   line, eb);
	if (err)
		return err;
	tuple_count(im, op.process, op.f, value, line);
	err = tuple_split(im, op.process, &value, &op.key);
	if (!err)
		err = value_convert(im, value, &op.value);
	if (!err && !op.key)
		err = text_convert(im, 1, json_object_get(map, "key"), &op.key);
	if (!err)
		err = text_convert(im, 2, json_object_get(map, "node"), &note.node);
	if (!err)
		err = text_convert(im, 3, json_object_get(map, "error"), &note.error);
	if (err)
		return errbuf_set(eb, err, "%s:%" PRIu64 ": out of memory", im->path, line);
	op.note = &note;
	return append(im, &op, line, eb);
}

/* A copy of @span into text slot @slot (NULL when absent). */
static int span_text(struct import *im, size_t slot, const struct jepsen_span *span,
		     const char **out)
{
	*out = NULL;
	if (!span->start)
		return 0;
	im->texts[slot] = strndup(span->start, span->size);
	*out = im->texts[slot];
	return *out ? 0 : -ENOMEM;
}

/* An op map the scanner read (jepsen_scan.h): as edn_op() makes it from the full reader. */
static int scanned_op(struct import *im, const struct jepsen_scanned *sc, uint64_t line,
		      struct errbuf *eb)
{
	struct op op = { .process = sc->process, .type = sc->type, .value = sc->value };
	struct op_note note = { 0 };
	const struct op_value *v = &sc->value;
	char key[24];
	int err;

	op.time_ns = sc->has_time ? sc->time : (int64_t)hist_builder_count(im->builder);
	err = jepsen_lenient_index(&im->lenient, sc->index, line, eb);
	if (err)
		return err;
	err = span_text(im, 4, &sc->f, &op.f);
	if (!err && op.process != OP_PROCESS_NEMESIS && v->kind != OP_VALUE_NULL)
		tuple_note(im, v->kind == OP_VALUE_INTS && v->count == 2, true, op.f, line);
	if (!err && im->split_tuples && op.process != OP_PROCESS_NEMESIS &&
	    v->kind == OP_VALUE_INTS && v->count == 2) {
		snprintf(key, sizeof(key), "%" PRId64, v->ints[0]);
		im->texts[1] = strdup(key);
		op.key = im->texts[1];
		err = op.key ? 0 : -ENOMEM;
		op.value = (struct op_value){ .kind = OP_VALUE_INT, .integer = v->ints[1] };
	}
	if (!err && !op.key)
		err = span_text(im, 1, &sc->key, &op.key);
	if (!err)
		err = span_text(im, 2, &sc->node, &note.node);
	if (!err)
		err = span_text(im, 3, &sc->error, &note.error);
	if (err)
		return errbuf_set(eb, err, "%s:%" PRIu64 ": out of memory", im->path, line);
	op.note = &note;
	return append(im, &op, line, eb);
}

/* Op maps one after another, or inside one vector or list; `#_` forms between them skipped. */
static int import_edn(struct import *im, const char *text, size_t size, struct errbuf *eb)
{
	struct jepsen_edn r;
	uint64_t open_line;
	char close = 0;
	int c, err;

	jepsen_edn_init(&r, im->path, text, size);
	err = jepsen_edn_skip_discarded(&r, &c, eb);
	open_line = r.line;
	if (!err && (c == '[' || c == '(')) {
		close = c == '[' ? ']' : ')';
		r.pos++;
	}
	/* Bounded by the text: each pass reads one value or ends. */
	while (!err && !(err = jepsen_edn_skip_discarded(&r, &c, eb)) && c >= 0 && c != close) {
		uint64_t line = r.line;
		struct jepsen_scanned sc;
		size_t pos = r.pos;
		json_t *map;

		/* The common shape fast (one line: r.line stays right); the rest in full. */
		err = im->full_reader_only ? 0 :
		      jepsen_scan_op(r.text, r.size, &pos, &sc, &im->ints, &im->ints_max);
		if (err == 1) {
			r.pos = pos;
			err = scanned_op(im, &sc, line, eb);
			continue;
		}
		if (err < 0) {
			err = errbuf_set(eb, err, "%s:%" PRIu64 ": out of memory", im->path, line);
			break;
		}
		err = jepsen_edn_read(&r, &map, eb);
		if (err)
			break;
		err = edn_op(im, map, line, eb);
		json_decref(map);
	}
	if (!err && close && c != close)
		err = errbuf_set(eb, -EBADMSG, "%s:%" PRIu64 ": expected '%c' to close the "
				 "history opened here", im->path, open_line, close);
	if (!err && close) {
		r.pos++;
		err = jepsen_edn_skip_discarded(&r, &c, eb);
	}
	if (!err && close && c >= 0)
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

/*
 * The error after an op's value: Jepsen's op->str appends "<TAB>" and the :error with str,
 * so it may be EDN (:timeout, [:crash "msg"]), converted as the EDN form's :error is, or
 * plain text, kept as it is.
 */
static int log_error(struct import *im, const char *text, size_t size, const char **out)
{
	struct jepsen_edn r;
	json_t *v = NULL;
	int err;

	/* Bounded by @size. */
	while (size && isspace((unsigned char)text[size - 1]))
		size--;
	jepsen_edn_init(&r, im->path, text, size);
	if (jepsen_edn_read(&r, &v, NULL) == 0 && r.pos == size) {
		err = text_convert(im, 3, v, out);
	} else {
		im->texts[3] = strndup(text, size);
		*out = im->texts[3];
		err = *out ? 0 : -ENOMEM;
	}
	json_decref(v);
	jepsen_edn_fini(&r);
	return err;
}

/* One op from its four fields and what follows them on the line (@rest, @rest_size). */
static int log_op(struct import *im, json_t *fields[4], const char *rest, size_t rest_size,
		  uint64_t line, struct errbuf *eb)
{
	struct op op = { .time_ns = (int64_t)hist_builder_count(im->builder) };
	struct op_note note = { 0 };
	const json_t *value = fields[3];
	int err;

	err = op_head(im, &op, fields[0], fields[1], fields[2], line, eb);
	if (err)
		return err;
	tuple_count(im, op.process, op.f, value, line);
	if (tuple_split(im, op.process, &value, &op.key))
		return errbuf_set(eb, -ENOMEM, "%s:%" PRIu64 ": out of memory", im->path, line);
	if (rest_size && op.type == OP_INVOKE)
		return errbuf_set(eb, -EBADMSG, "%s:%" PRIu64 ": expected the line to end after "
				  "<process> <type> <f> <value> (only a completion has an error "
				  "after them)", im->path, line);
	if (rest_size) {
		err = log_error(im, rest, rest_size, &note.error);
	} else if (op.type != OP_INVOKE && op.type != OP_OK && json_is_string(value)) {
		/* ":info :write :timed-out": the keyword says why, there is no result. */
		note.error = json_string_value(value);
		value = NULL;
	}
	if (!err)
		err = value_convert(im, value, &op.value);
	if (err)
		return errbuf_set(eb, err, "%s:%" PRIu64 ": out of memory", im->path, line);
	op.note = &note;
	return append(im, &op, line, eb);
}

/* One op line: @text is what follows the logger's name, "<process> <type> <f> [<value>]". */
static int log_line(struct import *im, const char *text, size_t size, uint64_t line,
		    struct errbuf *eb)
{
	json_t *fields[4] = { NULL, NULL, NULL, NULL };
	struct jepsen_edn r;
	int err = 0;

	jepsen_edn_init(&r, im->path, text, size);
	r.line = line;
	for (size_t k = 0; k < ARRAY_SIZE(fields) && !err; k++)
		err = log_field(&r, &fields[k], eb);
	if (!err && !fields[2])
		err = errbuf_set(eb, -EBADMSG, "%s:%" PRIu64 ": expected <process> :<type> :<f> "
				 "after the logger's name (\"jepsen.util - \")", im->path, line);
	if (!err && jepsen_edn_skip_line(&r) < 0)
		err = log_op(im, fields, NULL, 0, line, eb);
	else if (!err)
		err = log_op(im, fields, text + r.pos, size - r.pos, line, eb);
	for (size_t k = 0; k < ARRAY_SIZE(fields); k++)
		json_decref(fields[k]);
	jepsen_edn_fini(&r);
	return err;
}

/* Op lines among other lines (log output, stack traces), which are counted and skipped. */
static int import_log(struct import *im, const char *text, size_t size, struct errbuf *eb)
{
	uint64_t line = 0, first_skipped = 0;
	size_t pos = 0;

	/* Bounded by the text size: each pass consumes one line. */
	while (pos < size) {
		const char *nl = memchr(text + pos, '\n', size - pos);
		size_t end = nl ? (size_t)(nl - text) : size;
		const char *fields = log_op_fields(text + pos, end - pos);
		size_t k = pos;
		int err;

		line++;
		pos = end + 1;
		if (fields) {
			err = log_line(im, fields, (size_t)(text + end - fields), line, eb);
			if (err)
				return err;
			continue;
		}
		while (k < end && isspace((unsigned char)text[k]))
			k++;
		if (k < end && !im->lines_skipped++)
			first_skipped = line;
	}
	if (im->lines_skipped && !hist_builder_count(im->builder))
		return errbuf_set(eb, -EBADMSG, "%s:%" PRIu64 ": expected a Jepsen op line "
				  "\"... jepsen.util - <process> :<type> :<f> <value>\", "
				  "found none in %" PRIu64 " lines", im->path, first_skipped, line);
	return 0;
}

/* The skipped lines of a log and the oddities fitted, as the loaded history's warning
 * (check prints it), one per line. */
static void note_warnings(struct history *h, const struct import *im)
{
	size_t used = 0;
	int n;

	if (im->lines_skipped) {
		n = snprintf(h->warning, sizeof(h->warning), "%s: skipped %" PRIu64 " non-op "
			     "line%s (log output, stack traces)\n", im->path, im->lines_skipped,
			     im->lines_skipped == 1 ? "" : "s");
		ASSERT(n > 0);
		used = (size_t)n < sizeof(h->warning) ? (size_t)n : 0;
	}
	jepsen_lenient_warnings(&im->lenient, h->warning + used, sizeof(h->warning) - used);
	used = strlen(h->warning);
	if (used && h->warning[used - 1] == '\n')
		h->warning[used - 1] = '\0';
}

/* One reading of @text (in @form) into @h, fitting what Jepsen writes as it goes. */
static int import_pass(struct import *im, enum jepsen_form form, const char *text,
		       size_t size, struct history *h, struct errbuf *eb)
{
	int err;

	jepsen_lenient_fini(&im->lenient);
	jepsen_lenient_init(&im->lenient, im->path, im->strict);
	err = hist_builder_new(&im->builder, im->path, eb);
	if (!err && im->split_tuples)
		err = jepsen_lenient_note(&im->lenient, JEPSEN_ODDITY_TUPLES_SPLIT,
					  im->tuple_line, im->tuple_ops, eb);
	im->lines_skipped = im->tuple_ops = im->tuple_ops_not = im->tuple_cue = 0;
	if (!err && form == JEPSEN_FORM_EDN)
		err = import_edn(im, text, size, eb);
	else if (!err && form == JEPSEN_FORM_LOG)
		err = import_log(im, text, size, eb);
	if (!err)
		return hist_builder_finish(im->builder, h, eb);
	hist_builder_free(im->builder);
	im->builder = NULL;
	return err;
}

int jepsen_import_load(struct history *h, const char *path,
		       const struct jepsen_import_opts *opts, enum jepsen_form *form,
		       struct errbuf *eb)
{
	struct import im = { .path = path, .strict = opts && opts->strict,
			     .full_reader_only = opts && opts->full_reader_only };
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
	err = import_pass(&im, detected, text, size, h, eb);
	if (!err && tuples_found(&im)) {
		/* Read again, splitting: only an independent history pays for two passes. */
		hist_fini(h);
		im.split_tuples = true;
		err = import_pass(&im, detected, text, size, h, eb);
	}
	if (!err)
		note_warnings(h, &im);
	jepsen_lenient_fini(&im.lenient);
	import_scratch_free(&im);
	free(im.ints);
	free(text);
	ASSERT(err <= 0);
	return err;
}
