/* SPDX-License-Identifier: MIT */
/* stream_window_run_nodes.c - the window checker's records from a stream run's nodes: the sink's
 * output.jsonl (panes, side output, end) and the operators' evidence.jsonl (watermarks). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "errbuf.h"
#include "hist_run_data.h"
#include "fl_assert.h"
#include "hist.h"
#include "stream_window_run_internal.h"

enum {
	/* Node folders: every source, operator and the sink. */
	FOLDERS_MAX = CHK_WINDOW_OPERATOR_INPUTS_MAX + CHK_WINDOW_OPERATORS_MAX + 1,
};

/* One line of a node's file, being read. */
struct line_ctx {
	struct window_run *run;
	const char *path;
	uint64_t line;                  /* 1-based: the record's position */
	json_t *doc;                    /* the line's object */
	struct errbuf *eb;
};

static int expected(const struct line_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* -EBADMSG with "path:line: expected " and @fmt. */
static int expected(const struct line_ctx *c, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);       /* truncation: a diagnostic */
	va_end(ap);
	return errbuf_set(c->eb, -EBADMSG, "%s:%" PRIu64 ": expected %s", c->path, c->line,
			  what);
}

/* The line's integer @key in @min .. @max into *@out, else -EBADMSG naming it. */
static int field_int(const struct line_ctx *c, const char *key, int64_t min, int64_t max,
		     int64_t *out)
{
	if (window_run_int(c->doc, key, min, max, out))
		return 0;
	return expected(c, "\"%s\" an integer in %" PRId64 " .. %" PRId64, key, min, max);
}

/* -E2BIG naming the bound, or -ENOMEM, for a failed window_run_grow(). */
static int grow_failed(const struct line_ctx *c, int err, const char *what, int max)
{
	if (err == -E2BIG)
		return errbuf_set(c->eb, err, "%s:%" PRIu64 ": more than %d %s", c->path, c->line,
				  max, what);
	return errbuf_set(c->eb, err, "%s:%" PRIu64 ": out of memory", c->path, c->line);
}

/* --- the sink's output.jsonl --- */

/* What the sink's file showed so far. */
struct sink_file {
	bool ended[CHK_WINDOW_OPERATORS_MAX];   /* the operator wrote an "end" record */
};

static int pane_parse(const struct line_ctx *c, bool replayed)
{
	struct window_run *run = c->run;
	const char *timing = json_string_value(json_object_get(c->doc, "timing"));
	int64_t key, start, end, value, index, watermark;
	struct window_check_pane *pane;
	int err;

	err = field_int(c, "key", 0, INT64_MAX, &key);
	if (!err)
		err = field_int(c, "start", INT64_MIN, INT64_MAX, &start);
	if (!err)
		err = field_int(c, "end", INT64_MIN, INT64_MAX, &end);
	if (!err)
		err = field_int(c, "value", INT64_MIN, INT64_MAX, &value);
	if (!err)
		err = field_int(c, "pane", 0, INT64_MAX, &index);
	if (!err)
		err = field_int(c, "watermark", INT64_MIN, INT64_MAX, &watermark);
	if (!err && (!timing || (strcmp(timing, "on-time") != 0 && strcmp(timing, "late") != 0)))
		err = expected(c, "\"timing\" \"on-time\" or \"late\"");
	if (!err)
		err = window_run_grow((void **)&run->panes, &run->pane_capacity,
				      run->input.pane_count, sizeof(*run->panes),
				      CHK_WINDOW_PANES_MAX);
	if (err == -E2BIG || err == -ENOMEM)
		return grow_failed(c, err, "pane records (CHK_WINDOW_PANES_MAX)",
				   CHK_WINDOW_PANES_MAX);
	if (err)
		return err;
	pane = &run->panes[run->input.pane_count++];
	*pane = (struct window_check_pane){
		.key = (uint64_t)key, .window_start_ms = start, .window_end_ms = end,
		.value = value, .pane_index = (uint64_t)index, .position = c->line,
		.watermark_known = true, .watermark_ms = watermark, .replayed = replayed,
		.timing = strcmp(timing, "on-time") == 0 ? STREAM_PANE_ON_TIME : STREAM_PANE_LATE };
	return 0;
}

static int late_parse(const struct line_ctx *c)
{
	struct window_run *run = c->run;
	int64_t id, key, time_ms, start, end;
	int err;

	err = field_int(c, "event", 1, INT64_MAX, &id);
	if (!err)
		err = field_int(c, "key", 0, INT64_MAX, &key);
	if (!err)
		err = field_int(c, "t", INT64_MIN, INT64_MAX, &time_ms);
	if (!err)
		err = field_int(c, "start", INT64_MIN, INT64_MAX, &start);
	if (!err)
		err = field_int(c, "end", INT64_MIN, INT64_MAX, &end);
	if (!err)
		err = window_run_grow((void **)&run->lates, &run->late_capacity,
				      run->input.late_count, sizeof(*run->lates),
				      CHK_WINDOW_LATES_MAX);
	if (err == -E2BIG || err == -ENOMEM)
		return grow_failed(c, err, "side-output records (CHK_WINDOW_LATES_MAX)",
				   CHK_WINDOW_LATES_MAX);
	if (err)
		return err;
	run->lates[run->input.late_count++] = (struct window_check_late){
		.event_id = (uint64_t)id, .key = (uint64_t)key, .time_ms = time_ms,
		.window_start_ms = start, .window_end_ms = end, .position = c->line };
	return 0;
}

static int sink_line(const struct line_ctx *c, void *state)
{
	struct sink_file *sink = state;
	const char *kind = json_string_value(json_object_get(c->doc, "kind"));
	int64_t operator, incarnation, seq;
	int err;

	err = field_int(c, "operator", 0, (int64_t)c->run->operators - 1, &operator);
	if (!err)
		err = field_int(c, "incarnation", 0, UINT32_MAX, &incarnation);
	if (!err)
		err = field_int(c, "seq", 0, INT64_MAX, &seq);
	if (err)
		return err;
	if (kind && strcmp(kind, "pane") == 0)
		return pane_parse(c, incarnation > 0);
	if (kind && strcmp(kind, "late") == 0)
		return late_parse(c);
	if (!kind || strcmp(kind, "end") != 0)
		return expected(c, "\"kind\" \"pane\", \"late\" or \"end\"");
	if (!sink->ended[operator])
		c->run->operators_ended++;
	sink->ended[operator] = true;
	ASSERT(c->run->operators_ended <= c->run->operators);
	return 0;
}

/* --- an operator's evidence.jsonl --- */

/* What one operator's file showed so far, in its current incarnation. */
struct evidence_file {
	uint32_t operator_id;
	bool started;
	uint32_t incarnation;
	bool input_seen[CHK_WINDOW_OPERATOR_INPUTS_MAX];
	int64_t input_ms[CHK_WINDOW_OPERATOR_INPUTS_MAX];       /* the highest each showed */
};

static int watermark_add(const struct line_ctx *c, const struct evidence_file *file,
			 int32_t input, int64_t watermark_ms, bool idle)
{
	struct window_run *run = c->run;
	int err;

	err = window_run_grow((void **)&run->watermarks, &run->watermark_capacity,
			      run->input.watermark_count, sizeof(*run->watermarks),
			      CHK_WINDOW_WATERMARKS_MAX);
	if (err)
		return grow_failed(c, err, "watermark observations (CHK_WINDOW_WATERMARKS_MAX)",
				   CHK_WINDOW_WATERMARKS_MAX);
	run->watermarks[run->input.watermark_count++] = (struct window_check_watermark){
		.operator_id = file->operator_id, .incarnation = file->incarnation,
		.input = input, .watermark_ms = watermark_ms, .position = c->line,
		.idle = idle };
	return 0;
}

/* An input's line: its watermark advanced, or it went idle or active again. */
static int input_line(const struct line_ctx *c, struct evidence_file *file)
{
	const json_t *idle = json_object_get(c->doc, "idle");
	bool has_watermark = json_object_get(c->doc, "watermark") != NULL;
	int64_t input, watermark_ms;
	int err;

	err = field_int(c, "input", 0, (int64_t)c->run->sources - 1, &input);
	if (err)
		return err;
	if (json_is_boolean(idle) && !has_watermark) {
		if (!file->input_seen[input])
			return 0;       /* an input never seen does not count either way */
		return watermark_add(c, file, (int32_t)input, file->input_ms[input],
				     json_is_true(idle));
	}
	if (idle)
		return expected(c, "an input line with \"watermark\" or \"idle\" (a boolean)");
	err = field_int(c, "watermark", INT64_MIN, INT64_MAX, &watermark_ms);
	if (err)
		return err;
	if (!file->input_seen[input] || watermark_ms > file->input_ms[input])
		file->input_ms[input] = watermark_ms;
	file->input_seen[input] = true;
	return watermark_add(c, file, (int32_t)input, watermark_ms, false);
}

static int evidence_line(const struct line_ctx *c, void *state)
{
	struct evidence_file *file = state;
	const json_t *watermark = json_object_get(c->doc, "watermark");
	int64_t incarnation, restored, watermark_ms = INT64_MIN;
	int err;

	err = field_int(c, "incarnation", file->started ? file->incarnation : 0, UINT32_MAX,
			&incarnation);
	if (err)
		return err;
	if (!file->started || incarnation != file->incarnation)
		memset(file->input_seen, 0, sizeof(file->input_seen));
	file->started = true;
	file->incarnation = (uint32_t)incarnation;
	if (json_object_get(c->doc, "input"))
		return input_line(c, file);
	if (json_object_get(c->doc, "restored")) {
		err = field_int(c, "restored", 0, INT64_MAX, &restored);
		if (!err && !json_is_null(watermark))
			err = field_int(c, "watermark", INT64_MIN, INT64_MAX, &watermark_ms);
		/* From no checkpoint: no watermark yet, INT64_MIN (stream_window.h). */
		return err ? err : watermark_add(c, file, -1, watermark_ms, false);
	}
	if (!watermark)
		return expected(c, "\"restored\", \"input\" or \"watermark\"");
	err = field_int(c, "watermark", INT64_MIN, INT64_MAX, &watermark_ms);
	return err ? err : watermark_add(c, file, -1, watermark_ms, false);
}

/* --- reading a file, finding the folders --- */

typedef int line_fn(const struct line_ctx *c, void *state);

static void warn_torn(struct window_run *run, const char *path, uint64_t line)
{
	size_t used = strlen(run->warnings);

	/* Truncation is allowed: it is a diagnostic, and the first ones are enough. */
	snprintf(run->warnings + used, sizeof(run->warnings) - used, "%s%s:%" PRIu64 ": torn "
		 "last line ignored (no newline, not JSON: the node was killed writing it?)",
		 used ? "\n" : "", path, line);
}

/* One JSON object a line, to @fn; a last line without a newline that does not parse is
 * torn, a warning. */
static int file_read(struct line_ctx *c, FILE *file, line_fn *fn, void *state)
{
	char buf[CHK_WINDOW_LINE_BYTES_MAX + 1];
	json_error_t jerr;
	int err = 0;

	while (!err && fgets(buf, sizeof(buf), file)) {
		size_t size = strlen(buf);
		bool newline = size > 0 && buf[size - 1] == '\n';

		c->line++;
		if (!newline && (!feof(file) || size + 1 >= sizeof(buf)))
			return errbuf_set(c->eb, -E2BIG, "%s:%" PRIu64 ": a line over %d bytes",
					  c->path, c->line, CHK_WINDOW_LINE_BYTES_MAX);
		c->doc = json_loadb(buf, size - newline, JSON_REJECT_DUPLICATES, &jerr);
		if (!c->doc && !newline) {
			warn_torn(c->run, c->path, c->line);
			break;
		}
		err = json_is_object(c->doc) ? fn(c, state)
		      : expected(c, "a JSON object (%s)", c->doc ? "not an object" : jerr.text);
		json_decref(c->doc);
		c->doc = NULL;
	}
	if (!err && ferror(file))
		err = errbuf_set(c->eb, -EIO, "%s: read error", c->path);
	return err;
}

static int file_load(struct window_run *run, const char *path, line_fn *fn, void *state,
		     struct errbuf *eb)
{
	struct line_ctx c = { .run = run, .path = path, .eb = eb };
	FILE *file = fopen(path, "r");
	int err;

	if (!file)
		return errbuf_set(eb, -errno, "%s: %s", path, strerror(errno));
	err = file_read(&c, file, fn, state);
	fclose(file);
	return err;
}

/* Node index k - 1 of a folder "n<k>.data", k >= 1; -1 for any other name. */
static int64_t node_index(const char *name)
{
	int64_t k = 0;
	const char *at = name + 1;

	if (name[0] != 'n' || *at < '1' || *at > '9')
		return -1;
	for (; *at >= '0' && *at <= '9' && k <= FOLDERS_MAX; at++)
		k = k * 10 + (*at - '0');
	return strcmp(at, ".data") == 0 && k <= FOLDERS_MAX ? k - 1 : -1;
}

static bool file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* One node folder @name under @nodes: the sink's, an operator's, or neither (a source's). */
static int folder_load(struct window_run *run, const char *nodes, const char *name,
		       struct errbuf *eb)
{
	char output[HIST_PATH_BYTES_MAX], evidence[HIST_PATH_BYTES_MAX];
	uint32_t sink = run->sources + run->operators;
	int64_t node = node_index(name);
	struct evidence_file file = { .started = false };
	struct sink_file sink_state = { .ended = { false } };
	int n = snprintf(output, sizeof(output), "%s/%s/output.jsonl", nodes, name);
	int m = snprintf(evidence, sizeof(evidence), "%s/%s/evidence.jsonl", nodes, name);
	bool is_sink, is_operator;

	if (n < 0 || n >= (int)sizeof(output) || m < 0 || m >= (int)sizeof(evidence))
		return errbuf_set(eb, -ENAMETOOLONG, "%s/%s: path too long", nodes, name);
	is_sink = file_exists(output);
	is_operator = file_exists(evidence);
	if (!is_sink && !is_operator)
		return 0;
	if (is_sink && (is_operator || node != sink || run->sink_found))
		return errbuf_set(eb, -EBADMSG, "%s: expected the sink's output.jsonl only in "
				  "n%" PRIu32 ".data (node S + W, config.json \"stream\")",
				  output, sink + 1);
	if (is_sink) {
		run->sink_found = true;
		return file_load(run, output, sink_line, &sink_state, eb);
	}
	if (node < run->sources || node >= sink)
		return errbuf_set(eb, -EBADMSG, "%s: expected an operator's evidence.jsonl only in "
				  "n%" PRIu32 ".data .. n%" PRIu32 ".data (nodes S .. S + W - 1)",
				  evidence, run->sources + 1, sink);
	file.operator_id = (uint32_t)(node - run->sources);
	return file_load(run, evidence, evidence_line, &file, eb);
}

int window_run_nodes_load(struct window_run *run, const char *dir, struct errbuf *eb)
{
	char names[FOLDERS_MAX][HIST_RUN_DATA_NAME_BYTES_MAX]; /* 5 KiB of stack */
	char nodes[HIST_PATH_BYTES_MAX];
	uint32_t count;
	int err;

	ASSERT(run->sources >= 1 && run->operators >= 1);
	if (hist_run_file(nodes, sizeof(nodes), dir, HIST_RUN_NODES) != 0)
		return errbuf_set(eb, -ENAMETOOLONG, "%s: run directory path too long", dir);
	err = hist_run_data_dirs(nodes, names, FOLDERS_MAX, &count, eb);
	for (uint32_t k = 0; !err && k < count; k++)
		err = folder_load(run, nodes, names[k], eb);
	return err;
}
