/* SPDX-License-Identifier: MIT */
/* stream_job.h - a stream job's declaration: roles, windows, bounds, guarantee; as one text. */
#ifndef STREAM_JOB_H
#define STREAM_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stream_operator.h"
#include "stream_window.h"

struct errbuf;

enum {
	STREAM_JOB_SOURCES_MAX = STREAM_OPERATOR_INPUTS_MAX,   /* an operator's inputs */
	STREAM_JOB_OPERATORS_MAX = 16,
	STREAM_JOB_MS_MAX = 3600 * 1000,        /* lateness, bounds, timeouts: at most an hour */
	STREAM_JOB_CHECKPOINT_MS_MIN = 50,
	STREAM_JOB_TEXT_BYTES_MAX = 320,        /* stream_job_format()'s text with its NUL */
	STREAM_JOB_WINDOW_TEXT_BYTES_MAX = 48,  /* "sliding:SIZE:SLIDE" with its NUL */
};

/*
 * Nodes 0 .. sources-1 are sources, then the operators, then one sink: sources + operators + 1
 * nodes. Every time is event-time milliseconds except idle_timeout_ms and checkpoint_ms,
 * which are the nodes' processing time.
 */
struct stream_job {
	uint32_t sources;                       /* 1 .. STREAM_JOB_SOURCES_MAX */
	uint32_t operators;                     /* 1 .. STREAM_JOB_OPERATORS_MAX */
	struct stream_window_spec spec;         /* offset applied; c_remainder false */
	int64_t lateness_ms;                    /* 0 .. STREAM_JOB_MS_MAX */
	int64_t out_of_order_ms;                /* B: watermark = max event time - B */
	int64_t idle_timeout_ms;                /* 1 .. STREAM_JOB_MS_MAX */
	int64_t checkpoint_ms;                  /* a barrier this often */
	enum stream_aggregate aggregate;
	bool at_least_once;                     /* false: exactly-once */
};

/* stream_job_defaults() - 2 sources, 2 operators, tumbling 1000 ms windows, no lateness,
 * out-of-order 300 ms, idle timeout 1000 ms, checkpoints every 500 ms, count, exactly-once. */
void stream_job_defaults(struct stream_job *job);

/**
 * stream_job_window_parse() - "tumbling:SIZE" or "sliding:SIZE:SLIDE" (ms) with @offset_ms
 * into @spec. Return: 0; -EINVAL (@eb says what was expected).
 */
int stream_job_window_parse(const char *text, int64_t offset_ms, struct stream_window_spec *spec,
			    struct errbuf *eb);

/* stream_job_window_text() - @spec as stream_job_window_parse() reads it. */
void stream_job_window_text(const struct stream_window_spec *spec, char *buf, size_t size);

/* stream_job_aggregate_name() - "count", "sum", "min" or "max"; parse: back, -EINVAL. */
const char *stream_job_aggregate_name(enum stream_aggregate aggregate);
int stream_job_aggregate_parse(const char *text, enum stream_aggregate *out);

/**
 * stream_job_parse() - "sources=2,operators=2,window=tumbling:1000,offset=0,lateness=0,
 * out-of-order=300,idle-timeout=1000,checkpoint=500,agg=count,guarantee=exactly-once":
 * every key optional (the defaults), each at most once, comma-separated.
 * Return: 0; -EINVAL with @eb naming the key and what was expected.
 */
int stream_job_parse(const char *text, struct stream_job *job, struct errbuf *eb);

/* stream_job_format() - @job as stream_job_parse() reads it, every key written. */
void stream_job_format(const struct stream_job *job, char *buf, size_t size);

/* stream_job_nodes() - sources + operators + 1. */
static inline uint32_t stream_job_nodes(const struct stream_job *job)
{
	return job->sources + job->operators + 1;
}

#endif /* STREAM_JOB_H */
