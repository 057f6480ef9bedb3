/* SPDX-License-Identifier: MIT */
/* stream_job.c - the job declaration's text: key=value pairs, every value checked. */
#include "stream_job.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"

void stream_job_defaults(struct stream_job *job)
{
	int err;

	*job = (struct stream_job){
		.sources = 2, .operators = 2, .lateness_ms = 0, .out_of_order_ms = 300,
		.idle_timeout_ms = 1000, .checkpoint_ms = 500,
		.aggregate = STREAM_AGGREGATE_COUNT, .at_least_once = false,
	};
	err = stream_window_tumbling_init(&job->spec, 1000, 0, NULL);
	ASSERT(err == 0);
}

/* A whole decimal integer in [min, max]. */
static int parse_int(const char *text, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int stream_job_window_parse(const char *text, int64_t offset_ms, struct stream_window_spec *spec,
			    struct errbuf *eb)
{
	char copy[STREAM_JOB_WINDOW_TEXT_BYTES_MAX];
	char *size_text, *slide_text = NULL;
	int64_t size, slide;
	bool sliding;

	if (strlen(text) >= sizeof(copy))
		return errbuf_set(eb, -EINVAL, "window '%.40s...': too long", text);
	snprintf(copy, sizeof(copy), "%s", text);
	size_text = strchr(copy, ':');
	if (size_text)
		*size_text++ = '\0';
	sliding = strcmp(copy, "sliding") == 0;
	if ((!sliding && strcmp(copy, "tumbling") != 0) || !size_text)
		return errbuf_set(eb, -EINVAL, "window '%s': expected tumbling:SIZE or "
				  "sliding:SIZE:SLIDE (milliseconds)", text);
	if (sliding) {
		slide_text = strchr(size_text, ':');
		if (slide_text)
			*slide_text++ = '\0';
	}
	if (parse_int(size_text, 1, STREAM_WINDOW_SIZE_MS_MAX, &size) < 0 ||
	    (sliding && (!slide_text ||
			 parse_int(slide_text, 1, STREAM_WINDOW_SIZE_MS_MAX, &slide) < 0)))
		return errbuf_set(eb, -EINVAL, "window '%s': expected %s with sizes 1..%" PRId64
				  " ms", text, sliding ? "sliding:SIZE:SLIDE" : "tumbling:SIZE",
				  (int64_t)STREAM_WINDOW_SIZE_MS_MAX);
	if (sliding)
		return stream_window_sliding_init(spec, size, slide, offset_ms, eb);
	return stream_window_tumbling_init(spec, size, offset_ms, eb);
}

void stream_job_window_text(const struct stream_window_spec *spec, char *buf, size_t size)
{
	if (spec->kind == STREAM_WINDOW_TUMBLING)
		snprintf(buf, size, "tumbling:%" PRId64, spec->size_ms);
	else
		snprintf(buf, size, "sliding:%" PRId64 ":%" PRId64, spec->size_ms, spec->slide_ms);
}

static const char *const aggregate_names[] = {
	[STREAM_AGGREGATE_COUNT] = "count", [STREAM_AGGREGATE_SUM] = "sum",
	[STREAM_AGGREGATE_MINIMUM] = "min", [STREAM_AGGREGATE_MAXIMUM] = "max",
};

const char *stream_job_aggregate_name(enum stream_aggregate aggregate)
{
	ASSERT((size_t)aggregate < ARRAY_SIZE(aggregate_names));
	return aggregate_names[aggregate];
}

int stream_job_aggregate_parse(const char *text, enum stream_aggregate *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(aggregate_names); i++) {
		if (strcmp(text, aggregate_names[i]) == 0) {
			*out = (enum stream_aggregate)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* The job's keys, in the order stream_job_format() writes them. */
enum job_key {
	KEY_SOURCES, KEY_OPERATORS, KEY_WINDOW, KEY_OFFSET, KEY_LATENESS, KEY_OUT_OF_ORDER,
	KEY_IDLE_TIMEOUT, KEY_CHECKPOINT, KEY_AGG, KEY_GUARANTEE, KEY_COUNT
};

static const char *const key_names[KEY_COUNT] = {
	"sources", "operators", "window", "offset", "lateness", "out-of-order",
	"idle-timeout", "checkpoint", "agg", "guarantee",
};

/* One key's value into @job (the window's text and offset are kept for the end). */
static int parse_value(enum job_key key, const char *v, struct stream_job *job,
		       const char **window, int64_t *offset, struct errbuf *eb)
{
	int64_t n = 0;
	int err = 0;

	switch (key) {
	case KEY_SOURCES:
		err = parse_int(v, 1, STREAM_JOB_SOURCES_MAX, &n);
		job->sources = (uint32_t)n;
		break;
	case KEY_OPERATORS:
		err = parse_int(v, 1, STREAM_JOB_OPERATORS_MAX, &n);
		job->operators = (uint32_t)n;
		break;
	case KEY_WINDOW:
		*window = v;
		break;
	case KEY_OFFSET:
		err = parse_int(v, -STREAM_WINDOW_SIZE_MS_MAX, STREAM_WINDOW_SIZE_MS_MAX, offset);
		break;
	case KEY_LATENESS:
		err = parse_int(v, 0, STREAM_JOB_MS_MAX, &job->lateness_ms);
		break;
	case KEY_OUT_OF_ORDER:
		err = parse_int(v, 0, STREAM_JOB_MS_MAX, &job->out_of_order_ms);
		break;
	case KEY_IDLE_TIMEOUT:
		err = parse_int(v, 1, STREAM_JOB_MS_MAX, &job->idle_timeout_ms);
		break;
	case KEY_CHECKPOINT:
		err = parse_int(v, STREAM_JOB_CHECKPOINT_MS_MIN, STREAM_JOB_MS_MAX,
				&job->checkpoint_ms);
		break;
	case KEY_AGG:
		err = stream_job_aggregate_parse(v, &job->aggregate);
		break;
	case KEY_GUARANTEE:
		job->at_least_once = strcmp(v, "at-least-once") == 0;
		err = job->at_least_once || strcmp(v, "exactly-once") == 0 ? 0 : -EINVAL;
		break;
	default:
		ASSERT(0 && "a key of key_names");
	}
	if (err < 0)
		return errbuf_set(eb, -EINVAL, "job: %s=%s: not a valid value", key_names[key], v);
	return 0;
}

int stream_job_parse(const char *text, struct stream_job *job, struct errbuf *eb)
{
	char copy[STREAM_JOB_TEXT_BYTES_MAX];
	const char *window = "tumbling:1000";
	bool seen[KEY_COUNT] = { false };
	int64_t offset = 0;
	char *save = NULL;

	stream_job_defaults(job);
	if (strlen(text) >= sizeof(copy))
		return errbuf_set(eb, -EINVAL, "job: longer than %d bytes",
				  STREAM_JOB_TEXT_BYTES_MAX - 1);
	snprintf(copy, sizeof(copy), "%s", text);
	for (char *pair = strtok_r(copy, ",", &save); pair; pair = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(pair, '=');
		size_t k = 0;
		int err;

		if (eq)
			*eq = '\0';
		while (k < KEY_COUNT && strcmp(pair, key_names[k]) != 0)
			k++;
		if (!eq || k == KEY_COUNT || seen[k])
			return errbuf_set(eb, -EINVAL, "job: '%s': expected one of sources=, "
					  "operators=, window=, offset=, lateness=, out-of-order=, "
					  "idle-timeout=, checkpoint=, agg=, guarantee=, each once",
					  pair);
		seen[k] = true;
		err = parse_value((enum job_key)k, eq + 1, job, &window, &offset, eb);
		if (err < 0)
			return err;
	}
	return stream_job_window_parse(window, offset, &job->spec, eb);
}

void stream_job_format(const struct stream_job *job, char *buf, size_t size)
{
	char window[STREAM_JOB_WINDOW_TEXT_BYTES_MAX];
	int n;

	stream_job_window_text(&job->spec, window, sizeof(window));
	n = snprintf(buf, size, "sources=%u,operators=%u,window=%s,offset=%" PRId64
		     ",lateness=%" PRId64 ",out-of-order=%" PRId64 ",idle-timeout=%" PRId64
		     ",checkpoint=%" PRId64 ",agg=%s,guarantee=%s", job->sources, job->operators,
		     window, job->spec.offset_ms, job->lateness_ms, job->out_of_order_ms,
		     job->idle_timeout_ms, job->checkpoint_ms,
		     stream_job_aggregate_name(job->aggregate),
		     job->at_least_once ? "at-least-once" : "exactly-once");
	ASSERT(n > 0 && (size_t)n < size);
}
