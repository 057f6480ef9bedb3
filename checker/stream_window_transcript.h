/* SPDX-License-Identifier: MIT */
/* stream_window_transcript.h - window transcripts: a job and its steps (inputs, watermarks,
 * expected outputs), judged by the window checker and replayed through the window operator. */
#ifndef WINDOW_TRANSCRIPT_H
#define WINDOW_TRANSCRIPT_H

#include <stdbool.h>
#include <stdint.h>

#include "checker.h"

struct errbuf;
struct window_check_input;
struct window_transcript;

/*
 * A transcript is a YAML file (checker/CHECKS.md "Window transcripts"), in the spirit of
 * Beam's trigger_transcripts.yaml: the job (window, offset, lateness, out_of_order,
 * aggregate, guarantee), an optional expect_anomaly, and `transcript:`, an ordered list of
 * steps, each one of input (events), watermark (operator 0's input 0; `end` is +infinity),
 * expect (panes) and expect_late (side-output records). As window_check() input:
 *   - events are sent to source 0 and acknowledged, one after another in file order (each
 *     completes before the next is invoked), as the operator receives them;
 *   - a watermark step is evidence for operator 0: input 0 at the value, then the
 *     operator's own watermark at the value (or at the step's `operator:` when given);
 *   - every pane carries the operator's own watermark of the last watermark step before it
 *     (INT64_MIN before the first: the operator starts there);
 *   - `watermark: end` sets end_of_input; only expect steps may follow it.
 * Positions count records in file order. At most CHK_TRANSCRIPT_STEPS_MAX steps and
 * CHK_TRANSCRIPT_RECORDS_MAX records of each kind, in a file of at most
 * CHK_TRANSCRIPT_FILE_BYTES_MAX bytes.
 */

/**
 * window_transcript_load() - read and validate the transcript at @path.
 * Return: 0 with *@out set (free with window_transcript_free()); -EINVAL for bad YAML or a
 *         bad transcript (@eb says "path:line: expected ..."): an unknown or repeated key,
 *         a missing field, a number that is not an integer in its range, a bad window, a
 *         duplicate event id, an input after `watermark: end`; -E2BIG past a bound;
 *         -ENOMEM; -errno from the file system (@eb names the path). Blocks on file I/O.
 */
int window_transcript_load(const char *path, struct window_transcript **out, struct errbuf *eb);

/* window_transcript_free() - release @t; NULL is fine. */
void window_transcript_free(struct window_transcript *t);

/* window_transcript_path() - the path @t was loaded from. */
const char *window_transcript_path(const struct window_transcript *t);

/* window_transcript_expected_anomaly() - the transcript's expect_anomaly (an anomaly kind
 * of stream_window_check.h, for tests), or NULL when it has none. */
const char *window_transcript_expected_anomaly(const struct window_transcript *t);

/* window_transcript_input() - @t as window_check() input (rules above); the arrays are views
 * into @t, valid until window_transcript_free(). */
void window_transcript_input(const struct window_transcript *t, struct window_check_input *in);

/**
 * window_transcript_check() - judge @t with window_check(): anomalies and figures go to
 * @result (check_result_init()ed by the caller), with checker "window", the aggregate as
 * model and the events as op_count. Pure.
 * Return: 0; window_check()'s error (-EINVAL, -E2BIG, -ENOMEM), which also makes @result
 *         UNKNOWN with @eb's message ("path: ...") as the reason.
 */
int window_transcript_check(const struct window_transcript *t, struct check_result *result,
			    struct errbuf *eb);

/* Whether a replay matched the transcript, and if not, the first disagreement. */
struct window_transcript_diff {
	bool differs;
	uint32_t line;                          /* of the record or step it concerns */
	char message[CHECK_MESSAGE_BYTES_MAX];  /* "path:line: ...", "" when equal */
	uint64_t outputs;                       /* panes and side-output records emitted */
};

/**
 * window_transcript_replay() - feed @t's inputs and watermarks to a stream_operator with
 * one input, @t's job and @bugs (enum stream_bug flags), and compare its panes and
 * side-output records with the expect steps: the records an input or watermark step emits
 * must be expected, as a multiset, before the next input or watermark step (or the end),
 * and every record expected must be one of them; after each watermark step the operator's
 * watermark must be the step's own one (the input's unless `operator:` says otherwise). Pure.
 * Return: 0 with @diff filled; -ENOMEM; -ENOSPC past CHK_TRANSCRIPT_REPLAY_ENTRIES_MAX
 *         entries; -E2BIG if the records of one step pass CHK_TRANSCRIPT_RECORDS_MAX;
 *         -EINVAL if the operator refuses the job (@eb names it).
 */
int window_transcript_replay(const struct window_transcript *t, uint32_t bugs,
			     struct window_transcript_diff *diff, struct errbuf *eb);

#endif /* WINDOW_TRANSCRIPT_H */
