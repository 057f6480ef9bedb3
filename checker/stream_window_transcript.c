/* SPDX-License-Identifier: MIT */
/* stream_window_transcript.c - reading a window transcript from YAML (libyaml's document API). */
#include "stream_window_transcript.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "chk_limits.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "stream_window.h"
#include "stream_window_transcript_internal.h"

/* The document being read, where its messages go, and the state of the file so far. */
struct parse {
	struct window_transcript *t;
	yaml_document_t *doc;
	struct errbuf *eb;
	uint64_t position;              /* the next record's */
	int64_t own_ms;                 /* the operator's watermark here; INT64_MIN at first */
	uint32_t end_line;              /* of `watermark: end`, 0 before it */
};

enum field_type {
	FIELD_INTEGER,                  /* in min .. max */
	FIELD_WORD,                     /* one of words: its index + 1 */
	FIELD_NODE,                     /* any node: its id, read by the caller */
};

struct field {
	const char *name;
	enum field_type type;
	bool required;
	int64_t min, max;
	const char *const *words;       /* FIELD_WORD: NULL-terminated */
};

enum { FIELDS_MAX = 16 };

static const char *const aggregate_words[] = { "count", "sum", "min", "max", NULL };
static const char *const guarantee_words[] = { "exactly-once", "at-least-once", NULL };
static const char *const timing_words[] = { "on-time", "late", NULL };
static const char *const anomaly_words[] = {
	"wrong-window", "incomplete", "lost-event", "double-count", "duplicate-pane",
	"premature", "watermark-regress", "wrong-value", NULL,
};

#define TIME_MAX STREAM_WINDOW_TIME_MS_MAX
#define START_MAX STREAM_WINDOW_START_MS_ABS_MAX

static uint32_t node_line(const yaml_node_t *node)
{
	return (uint32_t)node->start_mark.line + 1;
}

/* "path:line: " and the message, into the errbuf; returns @err. */
static int vfail(const struct parse *p, uint32_t line, int err, const char *fmt, va_list ap)
{
	char what[ERRBUF_BYTES_MAX];

	ASSERT(err < 0);
	ASSERT(line >= 1);
	vsnprintf(what, sizeof(what), fmt, ap);
	return errbuf_set(p->eb, err, "%s:%" PRIu32 ": %s", p->t->path, line, what);
}

static int fail(const struct parse *p, const yaml_node_t *node, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_line(const struct parse *p, uint32_t line, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* At @node's line. */
static int fail(const struct parse *p, const yaml_node_t *node, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = vfail(p, node_line(node), err, fmt, ap);
	va_end(ap);
	return err;
}

static int fail_line(const struct parse *p, uint32_t line, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = vfail(p, line, err, fmt, ap);
	va_end(ap);
	return err;
}

static yaml_node_t *node_get(const struct parse *p, int id)
{
	yaml_node_t *node = yaml_document_get_node(p->doc, id);

	ASSERT(node);                   /* libyaml links only the nodes it made */
	return node;
}

/* The text of a scalar node, or NULL for a sequence or mapping. */
static const char *scalar_text(const yaml_node_t *node)
{
	return node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

static int integer_read(const struct parse *p, const yaml_node_t *node, const char *name,
			int64_t min, int64_t max, int64_t *out)
{
	const char *text = scalar_text(node);
	char *end = NULL;
	long long value = 0;

	ASSERT(min <= max);
	if (text && (text[0] == '-' || (text[0] >= '0' && text[0] <= '9'))) {
		errno = 0;
		value = strtoll(text, &end, 10);
		if (errno == 0 && *end == '\0' && value >= min && value <= max) {
			*out = value;
			return 0;
		}
	}
	return fail(p, node, -EINVAL, "expected %s, an integer in %" PRId64 "..%" PRId64
		    ", got %s%s%s", name, min, max, text ? "\"" : "a collection",
		    text ? text : "", text ? "\"" : "");
}

/* The words joined by ", " into @buf. */
static const char *words_join(const char *const *words, char *buf, size_t size)
{
	size_t used = 0;

	ASSERT(size > 0);
	buf[0] = '\0';
	for (uint32_t index = 0; words[index] && used < size; index++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", index ? ", " : "",
					 words[index]);
	return buf;
}

static int word_read(const struct parse *p, const yaml_node_t *node, const char *name,
		     const char *const *words, int64_t *out)
{
	const char *text = scalar_text(node);
	char list[160];

	ASSERT(words);
	for (uint32_t index = 0; text && words[index]; index++) {
		if (strcmp(text, words[index]) == 0) {
			*out = index + 1;
			return 0;
		}
	}
	return fail(p, node, -EINVAL, "expected %s, one of %s", name,
		    words_join(words, list, sizeof(list)));
}

/* The value of @field from the node @id: a number, a word's index + 1, or @id itself. */
static int field_value(const struct parse *p, int id, const struct field *field, int64_t *out)
{
	const yaml_node_t *node = node_get(p, id);

	switch (field->type) {
	case FIELD_INTEGER:
		return integer_read(p, node, field->name, field->min, field->max, out);
	case FIELD_WORD:
		return word_read(p, node, field->name, field->words, out);
	case FIELD_NODE:
		break;
	}
	ASSERT(field->type == FIELD_NODE);
	ASSERT(id > 0);
	*out = id;
	return 0;
}

/* The names of @fields joined by ", " into @buf. */
static const char *fields_join(const struct field *fields, uint32_t count, char *buf,
			       size_t size)
{
	const char *names[FIELDS_MAX + 1];

	ASSERT(count <= FIELDS_MAX);
	for (uint32_t index = 0; index < count; index++)
		names[index] = fields[index].name;
	names[count] = NULL;
	return words_join(names, buf, size);
}

/*
 * Read the mapping @node (@what, for messages) by @fields into @values; bit i of @given
 * is set for each field i present. Unknown, repeated and missing required keys fail.
 */
static int fields_read(const struct parse *p, const yaml_node_t *node, const char *what,
		       const struct field *fields, uint32_t count, int64_t *values,
		       uint32_t *given)
{
	char list[160];

	ASSERT(count <= FIELDS_MAX);
	*given = 0;
	memset(values, 0, count * sizeof(*values));     /* absent optional fields read 0 */
	if (node->type != YAML_MAPPING_NODE)
		return fail(p, node, -EINVAL, "expected %s, a mapping of %s", what,
			    fields_join(fields, count, list, sizeof(list)));
	for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		const yaml_node_t *key = node_get(p, pair->key);
		const char *name = scalar_text(key);
		uint32_t index = 0;
		int err;

		while (name && index < count && strcmp(fields[index].name, name) != 0)
			index++;
		if (!name || index == count)
			return fail(p, key, -EINVAL, "unknown key %s%s%s in %s (expected %s)",
				    name ? "\"" : "", name ? name : "(a collection)",
				    name ? "\"" : "", what,
				    fields_join(fields, count, list, sizeof(list)));
		if (*given & (1u << index))
			return fail(p, key, -EINVAL, "key \"%s\" given twice in %s", name, what);
		err = field_value(p, pair->value, &fields[index], &values[index]);
		if (err)
			return err;
		*given |= 1u << index;
	}
	for (uint32_t index = 0; index < count; index++) {
		if (fields[index].required && !(*given & (1u << index)))
			return fail(p, node, -EINVAL, "expected key \"%s\" in %s",
				    fields[index].name, what);
	}
	return 0;
}

/* --- records --- */

#define GIVEN(index) (1u << (index))

enum { EVENT_ID, EVENT_KEY, EVENT_TIME, EVENT_VALUE };
static const struct field event_fields[] = {
	{ "id", FIELD_INTEGER, true, 0, INT64_MAX, NULL },
	{ "key", FIELD_INTEGER, true, 0, INT64_MAX, NULL },
	{ "t", FIELD_INTEGER, true, -TIME_MAX, TIME_MAX, NULL },
	{ "v", FIELD_INTEGER, false, 0, CHK_WINDOW_VALUE_MAX, NULL },
};

enum { PANE_KEY, PANE_START, PANE_END, PANE_VALUE, PANE_TIMING, PANE_INDEX };
static const struct field pane_fields[] = {
	{ "key", FIELD_INTEGER, true, 0, INT64_MAX, NULL },
	{ "start", FIELD_INTEGER, true, -START_MAX, START_MAX, NULL },
	{ "end", FIELD_INTEGER, true, -START_MAX, START_MAX, NULL },
	{ "value", FIELD_INTEGER, true, INT64_MIN, INT64_MAX, NULL },
	{ "timing", FIELD_WORD, false, 0, 0, timing_words },
	{ "pane", FIELD_INTEGER, false, 0, INT64_MAX, NULL },
};

enum { LATE_ID, LATE_KEY, LATE_TIME, LATE_START, LATE_END };
static const struct field late_fields[] = {
	{ "id", FIELD_INTEGER, true, 0, INT64_MAX, NULL },
	{ "key", FIELD_INTEGER, true, 0, INT64_MAX, NULL },
	{ "t", FIELD_INTEGER, true, -TIME_MAX, TIME_MAX, NULL },
	{ "start", FIELD_INTEGER, true, -START_MAX, START_MAX, NULL },
	{ "end", FIELD_INTEGER, true, -START_MAX, START_MAX, NULL },
};

#define FIELDS(array) array, (uint32_t)(sizeof(array) / sizeof(array[0]))

/* The items of the sequence @node (@what, for messages), with room for them in @count_now
 * of the CHK_TRANSCRIPT_RECORDS_MAX records of their kind. */
static int records_open(const struct parse *p, const yaml_node_t *node, const char *what,
			uint32_t count_now, uint32_t *count)
{
	ASSERT(count_now <= CHK_TRANSCRIPT_RECORDS_MAX);
	if (node->type != YAML_SEQUENCE_NODE)
		return fail(p, node, -EINVAL, "expected %s, a list of mappings", what);
	*count = (uint32_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	if (*count > CHK_TRANSCRIPT_RECORDS_MAX - count_now)
		return fail(p, node, -E2BIG, "%s: over %d records of this kind in one file", what,
			    CHK_TRANSCRIPT_RECORDS_MAX);
	return 0;
}

/* An input step's events, sent one after another: each completes before the next is sent. */
static int events_read(struct parse *p, const yaml_node_t *node, struct transcript_step *step)
{
	struct window_transcript *t = p->t;
	int64_t v[4];
	uint32_t count, given;
	int err = records_open(p, node, "input", t->event_count, &count);

	for (uint32_t index = 0; !err && index < count; index++) {
		const yaml_node_t *item = node_get(p, node->data.sequence.items.start[index]);
		struct window_check_event *e = &t->events[t->event_count];

		err = fields_read(p, item, "an event", FIELDS(event_fields), v, &given);
		if (!err && !(given & GIVEN(EVENT_VALUE)) &&
		    t->job.aggregate != STREAM_AGGREGATE_COUNT)
			err = fail(p, item, -EINVAL, "expected key \"v\" in an event (the "
				   "aggregate is not count)");
		if (err)
			break;
		*e = (struct window_check_event){
			.id = (uint64_t)v[EVENT_ID], .key = (uint64_t)v[EVENT_KEY],
			.time_ms = v[EVENT_TIME], .value = v[EVENT_VALUE], .source = 0,
			.outcome = WINDOW_CHECK_SEND_OK,
			.invoke_position = p->position, .complete_position = p->position + 1,
		};
		p->position += 2;
		t->event_lines[t->event_count++] = node_line(item);
	}
	if (err)
		return err;
	step->first = t->event_count - count;
	step->count = count;
	return 0;
}

/* An expect step's panes; each carries the operator's watermark at this point. */
static int panes_read(struct parse *p, const yaml_node_t *node, struct transcript_step *step)
{
	struct window_transcript *t = p->t;
	int64_t v[6];
	uint32_t count, given;
	int err = records_open(p, node, "expect", t->pane_count, &count);

	step->first = t->pane_count;
	for (uint32_t index = 0; !err && index < count; index++) {
		const yaml_node_t *item = node_get(p, node->data.sequence.items.start[index]);

		err = fields_read(p, item, "a pane", FIELDS(pane_fields), v, &given);
		if (err)
			break;
		t->panes[t->pane_count] = (struct window_check_pane){
			.key = (uint64_t)v[PANE_KEY], .window_start_ms = v[PANE_START],
			.window_end_ms = v[PANE_END], .value = v[PANE_VALUE],
			.timing = v[PANE_TIMING] == 2 ? STREAM_PANE_LATE : STREAM_PANE_ON_TIME,
			.pane_index = (uint64_t)v[PANE_INDEX],
			.position = p->position++,
			.watermark_known = true, .watermark_ms = p->own_ms,
		};
		t->pane_lines[t->pane_count++] = node_line(item);
	}
	step->count = t->pane_count - step->first;
	return err;
}

/* An expect_late step's side-output records. */
static int lates_read(struct parse *p, const yaml_node_t *node, struct transcript_step *step)
{
	struct window_transcript *t = p->t;
	int64_t v[5];
	uint32_t count, given;
	int err = records_open(p, node, "expect_late", t->late_count, &count);

	step->first = t->late_count;
	for (uint32_t index = 0; !err && index < count; index++) {
		const yaml_node_t *item = node_get(p, node->data.sequence.items.start[index]);

		err = fields_read(p, item, "a side-output record", FIELDS(late_fields), v, &given);
		if (err)
			break;
		t->lates[t->late_count] = (struct window_check_late){
			.event_id = (uint64_t)v[LATE_ID], .key = (uint64_t)v[LATE_KEY],
			.time_ms = v[LATE_TIME], .window_start_ms = v[LATE_START],
			.window_end_ms = v[LATE_END],
			.position = p->position++,
		};
		t->late_lines[t->late_count++] = node_line(item);
	}
	step->count = t->late_count - step->first;
	return err;
}

/* --- steps --- */

enum { STEP_INPUT, STEP_WATERMARK, STEP_OPERATOR, STEP_EXPECT, STEP_EXPECT_LATE };
static const struct field step_fields[] = {
	{ "input", FIELD_NODE, false, 0, 0, NULL },
	{ "watermark", FIELD_NODE, false, 0, 0, NULL },
	{ "operator", FIELD_NODE, false, 0, 0, NULL },
	{ "expect", FIELD_NODE, false, 0, 0, NULL },
	{ "expect_late", FIELD_NODE, false, 0, 0, NULL },
};

/* A watermark: an integer, or `end` (+infinity). */
static int watermark_value(const struct parse *p, int id, const char *name, int64_t *out)
{
	const yaml_node_t *node = node_get(p, id);
	const char *text = scalar_text(node);

	if (text && strcmp(text, "end") == 0) {
		*out = INT64_MAX;
		return 0;
	}
	return integer_read(p, node, name, -TIME_MAX, TIME_MAX, out);
}

/* Input 0's watermark, then the operator's own, as evidence of operator 0. */
static int watermark_read(struct parse *p, const int64_t *v, uint32_t given,
			  struct transcript_step *step)
{
	struct window_transcript *t = p->t;
	int err = watermark_value(p, (int)v[STEP_WATERMARK], "watermark (or end)",
				  &step->watermark_ms);

	step->operator_ms = step->watermark_ms;
	step->operator_given = given & GIVEN(STEP_OPERATOR);
	if (!err && step->operator_given)
		err = watermark_value(p, (int)v[STEP_OPERATOR], "operator (or end)",
				      &step->operator_ms);
	if (err)
		return err;
	ASSERT(t->watermark_count + 2 <= 2 * CHK_TRANSCRIPT_STEPS_MAX);
	step->first = t->watermark_count;
	step->count = 2;
	t->watermarks[t->watermark_count++] = (struct window_check_watermark){
		.operator_id = 0, .input = 0, .watermark_ms = step->watermark_ms,
		.position = p->position++,
	};
	t->watermarks[t->watermark_count++] = (struct window_check_watermark){
		.operator_id = 0, .input = -1, .watermark_ms = step->operator_ms,
		.position = p->position++,
	};
	p->own_ms = step->operator_ms;
	if (step->watermark_ms == INT64_MAX) {
		p->end_line = step->line;
		t->job.end_of_input = true;
	}
	return 0;
}

static int step_read(struct parse *p, const yaml_node_t *node)
{
	struct window_transcript *t = p->t;
	struct transcript_step *step = &t->steps[t->step_count];
	int64_t v[5];
	uint32_t given, kinds;
	int err = fields_read(p, node, "a step", FIELDS(step_fields), v, &given);

	if (err)
		return err;
	kinds = given & ~GIVEN(STEP_OPERATOR);
	if (kinds == 0 || (kinds & (kinds - 1)) != 0)
		return fail(p, node, -EINVAL, "expected one of input, watermark, expect and "
			    "expect_late in a step");
	if ((given & GIVEN(STEP_OPERATOR)) && !(given & GIVEN(STEP_WATERMARK)))
		return fail(p, node, -EINVAL, "expected \"operator\" only beside \"watermark\"");
	if (p->end_line && (kinds & (GIVEN(STEP_INPUT) | GIVEN(STEP_WATERMARK))))
		return fail(p, node, -EINVAL, "expected only expect or expect_late after "
			    "`watermark: end` (line %" PRIu32 ")", p->end_line);
	*step = (struct transcript_step){ .line = node_line(node) };
	if (kinds == GIVEN(STEP_INPUT)) {
		step->kind = TRANSCRIPT_INPUT;
		err = events_read(p, node_get(p, (int)v[STEP_INPUT]), step);
	} else if (kinds == GIVEN(STEP_WATERMARK)) {
		step->kind = TRANSCRIPT_WATERMARK;
		err = watermark_read(p, v, given, step);
	} else if (kinds == GIVEN(STEP_EXPECT)) {
		step->kind = TRANSCRIPT_EXPECT;
		err = panes_read(p, node_get(p, (int)v[STEP_EXPECT]), step);
	} else {
		ASSERT(kinds == GIVEN(STEP_EXPECT_LATE));
		step->kind = TRANSCRIPT_EXPECT_LATE;
		err = lates_read(p, node_get(p, (int)v[STEP_EXPECT_LATE]), step);
	}
	if (!err)
		t->step_count++;
	return err;
}

static int steps_read(struct parse *p, const yaml_node_t *node)
{
	uint32_t count;

	if (node->type != YAML_SEQUENCE_NODE)
		return fail(p, node, -EINVAL, "expected transcript, a list of steps");
	count = (uint32_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	if (count > CHK_TRANSCRIPT_STEPS_MAX)
		return fail(p, node, -E2BIG, "transcript: %" PRIu32 " steps, over %d", count,
			    CHK_TRANSCRIPT_STEPS_MAX);
	for (uint32_t index = 0; index < count; index++) {
		int err = step_read(p, node_get(p, node->data.sequence.items.start[index]));

		if (err)
			return err;
	}
	ASSERT(p->t->step_count == count);
	return 0;
}

/* Event ids are distinct. Quadratic, at most 8M comparisons at the records bound: cheaper
 * to read than a sort of (id, line) pairs, and a transcript is written by hand. */
static int ids_check(const struct parse *p)
{
	const struct window_transcript *t = p->t;

	for (uint32_t later = 1; later < t->event_count; later++) {
		for (uint32_t index = 0; index < later; index++) {
			if (t->events[index].id != t->events[later].id)
				continue;
			return fail_line(p, t->event_lines[later], -EINVAL, "expected a new event "
					 "id, got %" PRIu64 " (sent at line %" PRIu32 ")",
					 t->events[later].id, t->event_lines[index]);
		}
	}
	return 0;
}

/* --- the job and the file --- */

enum { TOP_WINDOW, TOP_OFFSET, TOP_LATENESS, TOP_OUT_OF_ORDER, TOP_AGGREGATE, TOP_GUARANTEE,
       TOP_EXPECT_ANOMALY, TOP_TRANSCRIPT };
static const struct field top_fields[] = {
	{ "window", FIELD_NODE, true, 0, 0, NULL },
	{ "offset", FIELD_INTEGER, false, -TIME_MAX, TIME_MAX, NULL },
	{ "lateness", FIELD_INTEGER, false, 0, STREAM_WINDOW_SIZE_MS_MAX, NULL },
	{ "out_of_order", FIELD_INTEGER, false, 0, STREAM_WINDOW_SIZE_MS_MAX, NULL },
	{ "aggregate", FIELD_WORD, true, 0, 0, aggregate_words },
	{ "guarantee", FIELD_WORD, false, 0, 0, guarantee_words },
	{ "expect_anomaly", FIELD_WORD, false, 0, 0, anomaly_words },
	{ "transcript", FIELD_NODE, true, 0, 0, NULL },
};

/* A decimal integer at @text that ends at @stop; *@rest points past @stop. */
static bool number_at(const char *text, char stop, int64_t *out, const char **rest)
{
	char *end = NULL;

	if (!(text[0] >= '0' && text[0] <= '9'))
		return false;
	errno = 0;
	*out = strtoll(text, &end, 10);
	if (errno != 0 || *end != stop)
		return false;
	*rest = stop ? end + 1 : end;
	return true;
}

/* `tumbling:SIZE` or `sliding:SIZE:SLIDE`, aligned to @offset_ms. */
static int window_read(const struct parse *p, int id, int64_t offset_ms,
		       struct stream_window_spec *spec)
{
	const yaml_node_t *node = node_get(p, id);
	const char *text = scalar_text(node), *rest = NULL;
	struct errbuf why = { .msg = "" };
	int64_t size_ms = 0, slide_ms = 0;
	int err = -EINVAL;

	if (text && strncmp(text, "tumbling:", 9) == 0 && number_at(text + 9, '\0', &size_ms,
								      &rest))
		err = stream_window_tumbling_init(spec, size_ms, offset_ms, &why);
	else if (text && strncmp(text, "sliding:", 8) == 0 &&
		 number_at(text + 8, ':', &size_ms, &rest) &&
		 number_at(rest, '\0', &slide_ms, &rest))
		err = stream_window_sliding_init(spec, size_ms, slide_ms, offset_ms, &why);
	if (err == 0)
		return 0;
	if (why.msg[0])
		return fail(p, node, err, "expected window, a valid spec: %s", why.msg);
	return fail(p, node, -EINVAL, "expected window, tumbling:SIZE or sliding:SIZE:SLIDE in "
		    "milliseconds, got %s", text ? text : "a collection");
}

static int document_read(struct parse *p)
{
	struct window_transcript *t = p->t;
	yaml_node_t *root = yaml_document_get_root_node(p->doc);
	struct window_check_job *job = &t->job;
	int64_t v[8];
	uint32_t given;
	int err;

	if (!root)
		return errbuf_set(p->eb, -EINVAL, "%s:1: expected a mapping of window, aggregate, "
				  "transcript and more, got an empty document", t->path);
	err = fields_read(p, root, "a transcript file", FIELDS(top_fields), v, &given);
	if (!err)
		err = window_read(p, (int)v[TOP_WINDOW], v[TOP_OFFSET], &job->spec);
	if (err)
		return err;
	job->aggregate = (enum stream_aggregate)(v[TOP_AGGREGATE] - 1);
	job->lateness_ms = v[TOP_LATENESS];
	job->out_of_orderness_ms = v[TOP_OUT_OF_ORDER];
	job->guarantee = (given & GIVEN(TOP_GUARANTEE)) ?
			 (enum window_check_guarantee)v[TOP_GUARANTEE] :
			 WINDOW_CHECK_EXACTLY_ONCE;
	job->end_of_input = false;
	if (given & GIVEN(TOP_EXPECT_ANOMALY))
		snprintf(t->expect_anomaly, sizeof(t->expect_anomaly), "%s",
			 anomaly_words[v[TOP_EXPECT_ANOMALY] - 1]);
	err = steps_read(p, node_get(p, (int)v[TOP_TRANSCRIPT]));
	return err ? err : ids_check(p);
}

/* libyaml's own complaint, as "path:line: expected YAML: ...", with the line of the
 * construct it was in when that is an earlier one. */
static int yaml_fail(const struct window_transcript *t, const yaml_parser_t *parser,
		     struct errbuf *eb)
{
	size_t line = parser->problem_mark.line + 1, context_line = parser->context_mark.line + 1;
	char where[48] = "";

	if (parser->error == YAML_MEMORY_ERROR)
		return errbuf_set(eb, -ENOMEM, "%s: out of memory reading YAML", t->path);
	if (parser->context && context_line < line)
		snprintf(where, sizeof(where), " (from line %zu)", context_line);
	return errbuf_set(eb, -EINVAL, "%s:%zu: expected YAML: %s%s%s%s", t->path, line,
			  parser->problem ? parser->problem : "a syntax error",
			  parser->context ? " " : "", parser->context ? parser->context : "",
			  where);
}

/* Parse the open file @f into @t. */
static int file_read(struct window_transcript *t, FILE *f, struct errbuf *eb)
{
	struct parse p = { .t = t, .eb = eb, .own_ms = INT64_MIN };
	yaml_parser_t parser;
	yaml_document_t doc;
	int err;

	if (!yaml_parser_initialize(&parser))
		return errbuf_set(eb, -ENOMEM, "%s: out of memory reading YAML", t->path);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		err = yaml_fail(t, &parser, eb);
		goto out_parser;
	}
	p.doc = &doc;
	err = document_read(&p);
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	return err;
}

int window_transcript_load(const char *path, struct window_transcript **out, struct errbuf *eb)
{
	struct window_transcript *t = NULL;
	struct stat st;
	FILE *f;
	int err;

	ASSERT(path);
	ASSERT(out);
	*out = NULL;
	if (strlen(path) >= sizeof(t->path))
		return errbuf_set(eb, -ENAMETOOLONG, "%.64s...: path too long", path);
	f = fopen(path, "rb");
	if (!f) {
		err = -errno;
		return errbuf_set(eb, err, "%s: %s", path, strerror(-err));
	}
	err = fstat(fileno(f), &st) != 0 ? -errno : 0;
	if (err)
		errbuf_set(eb, err, "%s: %s", path, strerror(-err));
	else if (st.st_size > CHK_TRANSCRIPT_FILE_BYTES_MAX)
		err = errbuf_set(eb, -E2BIG, "%s: %lld bytes, over %d", path,
				 (long long)st.st_size, CHK_TRANSCRIPT_FILE_BYTES_MAX);
	t = err ? NULL : calloc(1, sizeof(*t));
	if (!err && !t)
		err = errbuf_set(eb, -ENOMEM, "%s: no memory for a transcript", path);
	if (!err) {
		snprintf(t->path, sizeof(t->path), "%s", path);
		err = file_read(t, f, eb);
	}
	fclose(f);
	if (err) {
		free(t);
		return err;
	}
	*out = t;
	return 0;
}

void window_transcript_free(struct window_transcript *t)
{
	free(t);
}

const char *window_transcript_path(const struct window_transcript *t)
{
	ASSERT(t);
	return t->path;
}

const char *window_transcript_expected_anomaly(const struct window_transcript *t)
{
	ASSERT(t);
	return t->expect_anomaly[0] ? t->expect_anomaly : NULL;
}
