/* SPDX-License-Identifier: MIT */
/* stream_window_run.c - a stream run read into the window checker's input: the job declaration, the
 * events sent from the history; and the "window" checker (the nodes' files:
 * stream_window_run_nodes.c). */
#include "stream_window_run.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "checker.h"
#include "checker_table.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"
#include "stream_window_run_internal.h"

bool window_run_int(const json_t *object, const char *key, int64_t min, int64_t max,
		    int64_t *out)
{
	const json_t *v = json_object_get(object, key);

	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return false;
	*out = json_integer_value(v);
	return true;
}

int window_run_grow(void **array, uint32_t *capacity, uint32_t count, size_t size,
		    uint32_t max)
{
	uint32_t grown;
	void *moved;

	ASSERT(count <= *capacity && *capacity <= max);
	if (count < *capacity)
		return 0;
	if (count == max)
		return -E2BIG;
	grown = *capacity ? *capacity : 64;
	while (grown <= count)
		grown = grown > max / 2 ? max : grown * 2;
	moved = realloc(*array, (size_t)grown * size);
	if (!moved)
		return -ENOMEM;
	*array = moved;
	*capacity = grown;
	return 0;
}

/* --- the job declaration --- */

/* A decimal 1 .. STREAM_WINDOW_SIZE_MS_MAX at *@text, then @stop; *@text moves past both. */
static bool duration_parse(const char **text, char stop, int64_t *out)
{
	const char *at = *text;
	int64_t value = 0;

	for (; *at >= '0' && *at <= '9'; at++) {
		value = value * 10 + (*at - '0');
		if (value > STREAM_WINDOW_SIZE_MS_MAX)
			return false;
	}
	if (at == *text || *at != stop || value < 1)
		return false;
	*out = value;
	*text = at + (stop != '\0');
	return true;
}

/* "tumbling:SIZE" or "sliding:SIZE:SLIDE" at @offset_ms into @spec. */
static int window_parse(const char *text, int64_t offset_ms, struct stream_window_spec *spec,
			const char *path, struct errbuf *eb)
{
	int64_t size_ms, slide_ms;
	int err = -EINVAL;

	if (text && strncmp(text, "tumbling:", 9) == 0) {
		text += 9;
		if (duration_parse(&text, '\0', &size_ms))
			err = stream_window_tumbling_init(spec, size_ms, offset_ms, NULL);
	} else if (text && strncmp(text, "sliding:", 8) == 0) {
		text += 8;
		if (duration_parse(&text, ':', &size_ms) && duration_parse(&text, '\0', &slide_ms))
			err = stream_window_sliding_init(spec, size_ms, slide_ms, offset_ms, NULL);
	}
	if (err)
		return errbuf_set(eb, -EINVAL, "%s: stream: expected \"window\" "
				  "\"tumbling:SIZE\" or \"sliding:SIZE:SLIDE\" (1 .. 2^60 ms, at "
				  "most %d windows an event)", path,
				  STREAM_WINDOW_EVENT_WINDOWS_MAX);
	return 0;
}

/* The string at @key of @stream, one of @names (index into *@out); false if none. */
static bool name_pick(const json_t *stream, const char *key, const char *const *names,
		      int count, int *out)
{
	const char *text = json_string_value(json_object_get(stream, key));

	for (int index = 0; text && index < count; index++) {
		if (strcmp(text, names[index]) == 0) {
			*out = index;
			return true;
		}
	}
	return false;
}

static int job_names(const json_t *stream, struct window_check_job *job, const char *path,
		     struct errbuf *eb)
{
	static const char *const aggregates[] = { "count", "sum", "min", "max" };
	static const char *const guarantees[] = { "exactly-once", "at-least-once" };
	static const enum stream_aggregate aggregate_of[] = {
		STREAM_AGGREGATE_COUNT, STREAM_AGGREGATE_SUM, STREAM_AGGREGATE_MINIMUM,
		STREAM_AGGREGATE_MAXIMUM };
	static const enum window_check_guarantee guarantee_of[] = {
		WINDOW_CHECK_EXACTLY_ONCE, WINDOW_CHECK_AT_LEAST_ONCE };
	int index;

	if (!name_pick(stream, "agg", aggregates, (int)ARRAY_SIZE(aggregates), &index))
		return errbuf_set(eb, -EINVAL, "%s: stream: expected \"agg\" \"count\", \"sum\", "
				  "\"min\" or \"max\"", path);
	job->aggregate = aggregate_of[index];
	if (!name_pick(stream, "guarantee", guarantees, (int)ARRAY_SIZE(guarantees), &index))
		return errbuf_set(eb, -EINVAL, "%s: stream: expected \"guarantee\" "
				  "\"exactly-once\" or \"at-least-once\"", path);
	job->guarantee = guarantee_of[index];
	return 0;
}

/* The integers of the declaration; @run's sources and operators. */
static int job_numbers(const json_t *stream, struct window_run *run, int64_t *offset_ms,
		       const char *path, struct errbuf *eb)
{
	const struct { const char *key; int64_t min, max; } fields[] = {
		{ "offset", -STREAM_WINDOW_TIME_MS_MAX, STREAM_WINDOW_TIME_MS_MAX },
		{ "lateness", 0, STREAM_WINDOW_SIZE_MS_MAX },
		{ "out_of_order", 0, STREAM_WINDOW_SIZE_MS_MAX },
		{ "sources", 1, CHK_WINDOW_OPERATOR_INPUTS_MAX },
		{ "operators", 1, CHK_WINDOW_OPERATORS_MAX },
	};
	int64_t values[ARRAY_SIZE(fields)];

	for (size_t index = 0; index < ARRAY_SIZE(fields); index++) {
		if (!window_run_int(stream, fields[index].key, fields[index].min,
				    fields[index].max, &values[index]))
			return errbuf_set(eb, -EINVAL, "%s: stream: expected \"%s\" an integer in "
					  "%" PRId64 " .. %" PRId64, path, fields[index].key,
					  fields[index].min, fields[index].max);
	}
	*offset_ms = values[0];
	run->input.job.lateness_ms = values[1];
	run->input.job.out_of_orderness_ms = values[2];
	run->sources = (uint32_t)values[3];
	run->operators = (uint32_t)values[4];
	/* Older runs did not declare these; without them the stall rule is not judged. */
	if (!window_run_int(stream, "idle_timeout", 1, STREAM_WINDOW_SIZE_MS_MAX,
			    &run->idle_timeout_ms) ||
	    !window_run_int(stream, "checkpoint", 1, STREAM_WINDOW_SIZE_MS_MAX,
			    &run->checkpoint_ms))
		run->idle_timeout_ms = run->checkpoint_ms = 0;
	return 0;
}

/* The job declaration: config.json's "stream" object. */
static int job_load(struct window_run *run, const char *dir, struct errbuf *eb)
{
	char path[HIST_PATH_BYTES_MAX];
	json_t *root, *stream;
	json_error_t jerr;
	int64_t offset_ms = 0;
	int err;

	if (hist_run_file(path, sizeof(path), dir, HIST_RUN_CONFIG) != 0)
		return errbuf_set(eb, -ENAMETOOLONG, "%s: run directory path too long", dir);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return errbuf_set(eb, -EINVAL, "%s:%d: %s", path, jerr.line, jerr.text);
	stream = json_object_get(root, "stream");
	if (!json_is_object(stream))
		err = errbuf_set(eb, -EINVAL, "%s: expected a \"stream\" object (the job "
				 "declaration, nodes/stream/PROTOCOL.md)", path);
	else
		err = job_numbers(stream, run, &offset_ms, path, eb);
	if (!err)
		err = job_names(stream, &run->input.job, path, eb);
	if (!err)
		err = window_parse(json_string_value(json_object_get(stream, "window")), offset_ms,
				   &run->input.job.spec, path, eb);
	json_decref(root);
	return err;
}

/* --- the events sent --- */

/* Op @index's send value {"id","key","t","v","source"} into @e. */
static int send_parse(const struct window_run *run, const struct op *op, uint64_t index,
		      struct window_check_event *e, struct errbuf *eb)
{
	const struct { const char *key; int64_t min, max; } fields[] = {
		{ "id", 1, INT64_MAX },
		{ "key", 0, UINT32_MAX },
		{ "t", -STREAM_WINDOW_TIME_MS_MAX, STREAM_WINDOW_TIME_MS_MAX },
		{ "v", 0, CHK_WINDOW_VALUE_MAX },
		{ "source", 0, (int64_t)run->sources - 1 },
	};
	json_t *value = op->value.kind == OP_VALUE_JSON
			? json_loads(op->value.json, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const char *history = hist_run_file_name(HIST_RUN_HISTORY);
	int64_t values[ARRAY_SIZE(fields)];

	if (!json_is_object(value) || json_object_size(value) != ARRAY_SIZE(fields)) {
		json_decref(value);
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected a send value with the "
				  "keys id, key, t, v and source only", history, index + 1);
	}
	for (size_t k = 0; k < ARRAY_SIZE(fields); k++) {
		if (window_run_int(value, fields[k].key, fields[k].min, fields[k].max,
				   &values[k]))
			continue;
		json_decref(value);
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": send value: expected \"%s\" an "
				  "integer in %" PRId64 " .. %" PRId64, history, index + 1,
				  fields[k].key, fields[k].min, fields[k].max);
	}
	json_decref(value);
	*e = (struct window_check_event){ .id = (uint64_t)values[0], .key = (uint64_t)values[1],
					  .time_ms = values[2], .value = values[3],
					  .source = (uint32_t)values[4], .invoke_position = index };
	return 0;
}

/* Every "send" invocation of a client and its completion. */
static int events_load(struct window_run *run, const struct history *h, struct errbuf *eb)
{
	static const enum window_check_outcome outcome_of[OP_TYPE_COUNT] = {
		[OP_OK] = WINDOW_CHECK_SEND_OK, [OP_FAIL] = WINDOW_CHECK_SEND_FAIL,
		[OP_INFO] = WINDOW_CHECK_SEND_INFO };

	for (uint64_t index = 0; index < h->count; index++) {
		const struct op *op = &h->ops[index];
		uint64_t completion = hist_pair(h, index);
		struct window_check_event *e;
		int err;

		if (op->type != OP_INVOKE || op->process == OP_PROCESS_NEMESIS ||
		    strcmp(op->f, "send") != 0)
			continue;
		err = window_run_grow((void **)&run->events, &run->event_capacity,
				      run->input.event_count, sizeof(*run->events),
				      CHK_WINDOW_EVENTS_MAX);
		if (err == -E2BIG)
			return errbuf_set(eb, err, "%s:%" PRIu64 ": more than %d sends "
					  "(CHK_WINDOW_EVENTS_MAX)",
					  hist_run_file_name(HIST_RUN_HISTORY), index + 1,
					  CHK_WINDOW_EVENTS_MAX);
		if (err)
			return errbuf_set(eb, err, "out of memory for %" PRIu32 " sends",
					  run->input.event_count);
		e = &run->events[run->input.event_count];
		err = send_parse(run, op, index, e, eb);
		if (err)
			return err;
		e->complete_position = completion;
		e->outcome = completion == HIST_NO_PAIR ? WINDOW_CHECK_SEND_INFO
			     : outcome_of[h->ops[completion].type];
		ASSERT(completion == HIST_NO_PAIR || completion > index);
		ASSERT(e->outcome != 0);
		run->input.event_count++;
	}
	return 0;
}

int window_run_load(struct window_run *run, const struct history *history, const char *dir,
		    struct errbuf *eb)
{
	int err;

	ASSERT(run && history && dir);
	memset(run, 0, sizeof(*run));
	STATIC_ASSERT(HIST_NO_PAIR == WINDOW_CHECK_POSITION_NONE, "an info never completed");
	err = job_load(run, dir, eb);
	if (!err)
		err = events_load(run, history, eb);
	if (!err)
		err = window_run_nodes_load(run, dir, eb);
	run->input.events = run->events;
	run->input.panes = run->panes;
	run->input.lates = run->lates;
	run->input.watermarks = run->watermarks;
	run->input.job.end_of_input = run->operators_ended == run->operators;
	ASSERT(err || run->operators_ended <= run->operators);
	return err;
}

void window_run_fini(struct window_run *run)
{
	if (!run)
		return;
	free(run->events);
	free(run->panes);
	free(run->lates);
	free(run->watermarks);
	memset(run, 0, sizeof(*run));
}

/* --- the checker --- */

/* The reader's warnings (torn last lines), one line each, beside the history's. */
static void warnings_add(struct check_result *result, const char *warnings)
{
	const char *line = warnings;

	while (*line) {
		const char *end = strchr(line, '\n');
		int size = end ? (int)(end - line) : (int)strlen(line);

		check_result_add_warning(result, "%.*s", size, line);
		line += size + (end != NULL);
	}
}

static int window_checker_check(const struct checker *checker, const struct check_run *run,
				const struct check_opts *opts, struct check_result *result,
				struct errbuf *eb)
{
	struct window_check_figures figures;
	struct window_run *loaded;
	int err;

	(void)checker;
	(void)opts;
	result->checker = "window";
	result->model = "window";
	result->op_count = run->history->count;
	for (uint64_t i = 0; i < run->history->count; i++)
		result->final_read_count += run->history->ops[i].final &&
					    run->history->ops[i].type == OP_OK;
	if (!run->dir) {
		check_result_set_unknown(result, "window needs the run directory (config.json "
					 "\"stream\", the nodes' output.jsonl and evidence.jsonl)");
		return 0;
	}
	loaded = malloc(sizeof(*loaded));
	if (!loaded)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	err = window_run_load(loaded, run->history, run->dir, eb);
	warnings_add(result, loaded->warnings);
	if (!err)
		err = window_check(&loaded->input, result, &figures, eb);
	if (!err)
		err = window_stall_judge(run->history, loaded, result, eb);
	if (!err && !loaded->sink_found)
		check_result_set_unknown(result, "no sink output (nodes/n%" PRIu32
					 ".data/output.jsonl): no pane to judge",
					 loaded->sources + loaded->operators + 1);
	window_run_fini(loaded);
	free(loaded);
	return err;
}

static const struct checker_ops window_checker_ops = { .name = "window",
						       .check = window_checker_check };
static const struct checker window_checker = { .ops = &window_checker_ops };

checker_make_fn window_checker_make;

int window_checker_make(const struct checker_entry *entry, const struct linear_opts *linear,
			struct check_opts *opts, const struct checker **out, struct errbuf *eb)
{
	(void)entry;
	(void)linear;
	(void)opts;
	(void)eb;
	*out = &window_checker;
	return 0;
}
