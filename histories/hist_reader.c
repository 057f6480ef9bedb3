/* SPDX-License-Identifier: MIT */
/* hist_reader.c - the streaming history reader: bounded lines, every field validated. */
#include "hist.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist_rules.h"
#include "hist_scan.h"
#include "hist_value.h"

enum {
	READER_BUF_BYTES_INITIAL = 64 * 1024,
	READER_WARNING_BYTES_MAX = 256,
};
STATIC_ASSERT((long)READER_BUF_BYTES_INITIAL <= (long)HIST_LINE_BYTES_MAX,
	      "initial buffer within limit");
STATIC_ASSERT(READER_WARNING_BYTES_MAX <= sizeof(((struct history *)0)->warning),
	      "a warning fits in a loaded history");

/*
 * Invariants: @buf[@start .. @end) holds read but unconsumed bytes; @buf_size <=
 * HIST_LINE_BYTES_MAX, so no line longer than that is ever held; @line counts lines
 * consumed. @root, @json and @ints back the op last returned and are replaced on the next
 * call. Once @done is set, next() returns 0 (end) and reads nothing more.
 */
struct hist_reader {
	int fd;
	char *path;
	char *buf;
	size_t buf_size;
	size_t start;
	size_t end;
	bool eof;
	bool done;
	uint64_t line;
	json_t *root;
	char *json;
	int64_t *ints;
	size_t ints_count_max;
	struct hist_rules rules;
	struct op_note note;            /* the last op's node and error */
	char warning[READER_WARNING_BYTES_MAX];
	bool full_parser_only;          /* hist_reader_scan(r, false) */
};

/* One line: @text[0 .. @size) without its newline; @newline false only at end of file. */
struct line {
	const char *text;
	size_t size;
	bool newline;
};

int hist_reader_open(struct hist_reader **out, const char *path, struct errbuf *eb)
{
	struct hist_reader *r;
	int err;

	ASSERT(out != NULL);
	ASSERT(path != NULL);
	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return errbuf_set(eb, -ENOMEM, "%s: out of memory", path);
	r->path = strdup(path);
	r->buf_size = READER_BUF_BYTES_INITIAL;
	r->buf = malloc(r->buf_size);
	if (!r->path || !r->buf) {
		err = errbuf_set(eb, -ENOMEM, "%s: out of memory", path);
		goto out_free;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		err = errbuf_set(eb, -errno, "%s: cannot open history", path);
		goto out_free;
	}
	hist_rules_init(&r->rules, r->path);
	*out = r;
	return 0;
out_free:
	free(r->buf);
	free(r->path);
	free(r);
	return err;
}

void hist_reader_close(struct hist_reader *r)
{
	if (!r)
		return;
	close(r->fd);
	json_decref(r->root);
	free(r->json);
	free(r->ints);
	hist_rules_fini(&r->rules);
	free(r->buf);
	free(r->path);
	free(r);
}

const char *hist_reader_warning(const struct hist_reader *r)
{
	ASSERT(r != NULL);
	return r->warning[0] ? r->warning : NULL;
}

void hist_reader_scan(struct hist_reader *r, bool on)
{
	ASSERT(r != NULL);
	r->full_parser_only = !on;
}

uint64_t hist_reader_line(const struct hist_reader *r)
{
	ASSERT(r != NULL);
	return r->line;
}

/* Moves unconsumed bytes to the front, grows the buffer if full, reads more. */
static int fill(struct hist_reader *r)
{
	ssize_t n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->buf_size) {
		size_t size = r->buf_size * 2;
		char *buf;

		if (size > HIST_LINE_BYTES_MAX)
			size = HIST_LINE_BYTES_MAX;
		ASSERT(size > r->buf_size);
		buf = realloc(r->buf, size);
		if (!buf)
			return -ENOMEM;
		r->buf = buf;
		r->buf_size = size;
	}
	do {
		n = read(r->fd, r->buf + r->end, r->buf_size - r->end);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		r->eof = true;
	r->end += (size_t)n;
	ASSERT(r->end <= r->buf_size);
	return 0;
}

/* Return: 1 with a line, 0 at end of file, -E2BIG past the limit, -errno. */
static int next_line(struct hist_reader *r, struct line *line, struct errbuf *eb)
{
	int err;

	/* Bounded: each pass consumes a line, reads more bytes, or grows the bounded buffer. */
	for (;;) {
		const char *text = r->buf + r->start;
		size_t avail = r->end - r->start;
		const char *newline = memchr(text, '\n', avail);

		if (newline || (r->eof && avail > 0)) {
			line->text = text;
			line->size = newline ? (size_t)(newline - text) : avail;
			line->newline = newline != NULL;
			if (line->size + 1 > HIST_LINE_BYTES_MAX)
				break;
			r->start += line->size + (newline != NULL);
			r->line++;
			return 1;
		}
		if (avail >= HIST_LINE_BYTES_MAX)
			break;
		if (r->eof)
			return 0;
		err = fill(r);
		if (err < 0)
			return errbuf_set(eb, err, "%s:%" PRIu64 ": cannot read", r->path,
					  r->line + 1);
	}
	return errbuf_set(eb, -E2BIG, "%s:%" PRIu64 ": expected a line of at most %d bytes "
			  "(newline included)", r->path, r->line + 1, HIST_LINE_BYTES_MAX);
}

/* Prefixes the message in @eb with "path:line: " and returns @err. */
static int at_line(const struct hist_reader *r, int err, struct errbuf *eb)
{
	ASSERT(err < 0);
	return errbuf_prefix(eb, err, "%s:%" PRIu64 ": ", r->path, r->line);
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

static const char *const known_keys[] = {
	"index", "time", "process", "type", "f", "value", "node", "key", "error", "final",
};

static bool is_blank(const struct line *line)
{
	for (size_t i = 0; i < line->size; i++) {
		if (!strchr(" \t\r", line->text[i]))
			return false;
	}
	return true;
}

/* Parses the line into @r->root. Return: 0; 1 for a torn last line; -EBADMSG/-EINVAL. */
static int parse_root(struct hist_reader *r, const struct line *line, struct errbuf *eb)
{
	json_error_t jerr;
	const char *key;
	json_t *v;

	if (line->newline && is_blank(line))
		return at_line(r, errbuf_set(eb, -EBADMSG, "expected a JSON object, got a "
					     "blank line"), eb);
	r->root = json_loadb(line->text, line->size,
			     JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!r->root && !line->newline)
		return 1;
	if (!r->root)
		return at_line(r, errbuf_set(eb, -EBADMSG, "expected a JSON object, got "
					     "invalid JSON (%s)", jerr.text), eb);
	if (!json_is_object(r->root))
		return at_line(r, errbuf_set(eb, -EBADMSG, "expected a JSON object, got %s",
					     json_kind(r->root)), eb);
	json_object_foreach(r->root, key, v) {
		size_t i = 0;

		while (i < ARRAY_SIZE(known_keys) && strcmp(key, known_keys[i]) != 0)
			i++;
		if (i == ARRAY_SIZE(known_keys))
			return at_line(r, errbuf_set(eb, -EINVAL, "expected only known keys "
						     "(see FORMAT.md), got unknown key \"%.64s\"",
						     key), eb);
	}
	return 0;
}

/* A required key. */
static int get(struct hist_reader *r, const char *key, json_t **out, struct errbuf *eb)
{
	*out = json_object_get(r->root, key);
	if (!*out)
		return at_line(r, errbuf_set(eb, -EINVAL, "expected key \"%s\", missing", key),
			       eb);
	return 0;
}

static int get_integer(struct hist_reader *r, const char *key, int64_t min, int64_t max,
		       int64_t *out, struct errbuf *eb)
{
	json_t *v;
	int err = get(r, key, &v, eb);

	if (err < 0)
		return err;
	if (!json_is_integer(v))
		return at_line(r, errbuf_set(eb, -EINVAL, "expected \"%s\" to be an integer, "
					     "got %s", key, json_kind(v)), eb);
	*out = json_integer_value(v);
	if (*out < min || *out > max)
		return at_line(r, errbuf_set(eb, -EINVAL, "expected \"%s\" in [%" PRId64
					     ", %" PRId64 "], got %" PRId64, key, min, max,
					     *out), eb);
	return 0;
}

static int parse_process(struct hist_reader *r, int32_t *out, struct errbuf *eb)
{
	json_t *v;
	int err = get(r, "process", &v, eb);

	if (err < 0)
		return err;
	if (json_is_string(v) && strcmp(json_string_value(v), "nemesis") == 0) {
		*out = OP_PROCESS_NEMESIS;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > INT32_MAX)
		return at_line(r, errbuf_set(eb, -EINVAL, "expected \"process\" to be an "
					     "integer in [0, %d] or \"nemesis\"", INT32_MAX),
			       eb);
	*out = (int32_t)json_integer_value(v);
	return 0;
}

static int parse_type_f(struct hist_reader *r, struct op *op, struct errbuf *eb)
{
	enum op_type parsed_type;
	json_t *v;
	int err = get(r, "type", &v, eb);

	if (err < 0)
		return err;
	if (!json_is_string(v) || op_type_parse(json_string_value(v), &parsed_type) < 0) {
		errbuf_set(eb, -EINVAL, "expected \"type\" to be one of invoke, ok, fail, "
			   "info, got %s", json_kind(v));
		if (json_is_string(v))
			errbuf_set(eb, -EINVAL, "expected \"type\" to be one of invoke, ok, "
				   "fail, info, got \"%.32s\"", json_string_value(v));
		return at_line(r, -EINVAL, eb);
	}
	op->type = parsed_type;
	err = get(r, "f", &v, eb);
	if (err < 0)
		return err;
	if (!json_is_string(v) || json_string_length(v) == 0)
		return at_line(r, errbuf_set(eb, -EINVAL, "expected \"f\" to be a non-empty "
					     "string, got %s", json_kind(v)), eb);
	op->f = json_string_value(v);
	return 0;
}

/* Unpacks null, integers and integer arrays; keeps anything else as compact JSON text. */
static int parse_value(struct hist_reader *r, struct op_value *out, struct errbuf *eb)
{
	json_t *v;
	int err = get(r, "value", &v, eb);

	if (err < 0)
		return err;
	err = hist_value_unpack(v, &r->ints, &r->ints_count_max, &r->json, out);
	if (err < 0)
		return at_line(r, errbuf_set(eb, err, "%s", err == -ENOMEM ? "out of memory"
					     : "value array too long"), eb);
	return 0;
}

static int get_string(struct hist_reader *r, const char *key, const char **out,
		      struct errbuf *eb)
{
	json_t *v = json_object_get(r->root, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return at_line(r, errbuf_set(eb, -EINVAL, "expected \"%s\" to be a string, "
					     "got %s", key, json_kind(v)), eb);
	*out = json_string_value(v);
	return 0;
}

static int parse_optional(struct hist_reader *r, struct op *op, struct errbuf *eb)
{
	json_t *v = json_object_get(r->root, "final");
	int err;

	op->final = false;
	if (v && !json_is_boolean(v))
		return at_line(r, errbuf_set(eb, -EINVAL, "expected \"final\" to be a boolean, "
					     "got %s", json_kind(v)), eb);
	op->final = v && json_is_true(v);
	r->note = (struct op_note){ 0 };
	err = get_string(r, "node", &r->note.node, eb);
	if (err == 0)
		err = get_string(r, "key", &op->key, eb);
	if (err == 0)
		err = get_string(r, "error", &r->note.error, eb);
	op->note = r->note.node || r->note.error ? &r->note : NULL;
	return err;
}

static int parse_fields(struct hist_reader *r, struct op *op, struct errbuf *eb)
{
	int64_t index;
	int err;

	*op = (struct op){ 0 };
	err = get_integer(r, "index", 0, OP_INDEX_LIMIT - 1, &index, eb);
	if (err < 0)
		return err;
	op->index = (uint32_t)index;
	err = get_integer(r, "time", 0, INT64_MAX, &op->time_ns, eb);
	if (err < 0)
		return err;
	err = parse_process(r, &op->process, eb);
	if (err < 0)
		return err;
	err = parse_type_f(r, op, eb);
	if (err < 0)
		return err;
	err = parse_value(r, &op->value, eb);
	if (err < 0)
		return err;
	return parse_optional(r, op, eb);
}

static void set_torn(struct hist_reader *r)
{
	snprintf(r->warning, sizeof(r->warning), "%s:%" PRIu64 ": torn last line ignored "
		 "(no newline at end of file and not valid JSON)", r->path, r->line);
	r->done = true;
}

int hist_reader_next(struct hist_reader *r, struct op *op, struct errbuf *eb)
{
	struct line line;
	int err;

	ASSERT(r != NULL);
	ASSERT(op != NULL);
	json_decref(r->root);
	r->root = NULL;
	free(r->json);
	r->json = NULL;
	if (r->done)
		return 0;
	/* After an error the stream ends: a reader never resynchronises past a bad line. */
	r->done = true;
	err = next_line(r, &line, eb);
	if (err <= 0)
		return err;
	/* The common shape fast; anything else (or anything wrong) through jansson. The
	 * scanner ends strings in place, so it gets the line as the writable buffer it is. */
	err = r->full_parser_only ? 0 :
	      hist_scan_line(r->buf + (line.text - r->buf), line.size, op, &r->note, &r->ints,
			     &r->ints_count_max);
	if (err < 0)
		return at_line(r, errbuf_set(eb, err, "out of memory"), eb);
	if (err == 0) {
		err = parse_root(r, &line, eb);
		if (err == 1) {
			set_torn(r);
			return 0;
		}
		if (err == 0)
			err = parse_fields(r, op, eb);
	} else {
		err = 0;
	}
	if (err == 0)
		err = hist_rules_check(&r->rules, op, r->line, eb);
	if (err < 0)
		return err;
	hist_rules_commit(&r->rules, op);
	ASSERT((uint64_t)op->index + 1 == r->line);
	r->done = false;
	return 1;
}
