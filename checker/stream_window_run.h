/* SPDX-License-Identifier: MIT */
/* stream_window_run.h - a stream run (history and run directory) read into the window checker's
 * input, and the "window" checker that judges it. */
#ifndef WINDOW_RUN_H
#define WINDOW_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "stream_window_check.h"

struct errbuf;
struct history;

/*
 * What a run gives the window checker (formats: nodes/stream/PROTOCOL.md):
 *   the job: config.json "stream" (window "tumbling:SIZE" | "sliding:SIZE:SLIDE", offset,
 *     lateness, out_of_order, agg, guarantee, sources S, operators W);
 *   events: each "send" invocation of the history and its completion; positions are op
 *     indices (an info never completed: WINDOW_CHECK_POSITION_NONE);
 *   panes and side output: the sink's nodes/n<k>.data/output.jsonl (position: line number;
 *     the record's "watermark" is the emitting operator's); end_of_input when every
 *     operator 0 .. W-1 wrote an "end" record;
 *   watermarks: each operator's nodes/n<k>.data/evidence.jsonl, operator k - 1 - S, each
 *     line its incarnation's (a restart may restore an older watermark; a restart with no
 *     checkpoint restores INT64_MIN, none yet); an input's idle line repeats the highest
 *     watermark that input showed in the incarnation (none: the line is left out, as an
 *     input never seen does not count).
 * A torn last line (no newline, not JSON) of a node's file is a warning: a node may be
 * killed mid-write. Every other bad line is -EBADMSG, "path:line: expected ...".
 */
struct window_run {
	struct window_check_input input;        /* points into the arrays below */
	struct window_check_event *events;
	struct window_check_pane *panes;
	struct window_check_late *lates;
	struct window_check_watermark *watermarks;
	uint32_t event_capacity, pane_capacity, late_capacity, watermark_capacity;
	uint32_t sources, operators;            /* S and W, as declared */
	int64_t idle_timeout_ms;                /* declared, or 0: not (no stall check) */
	int64_t checkpoint_ms;                  /* declared, or 0 */
	uint32_t operators_ended;               /* operators with an "end" record */
	bool sink_found;                        /* an output.jsonl was read */
	char warnings[1024];                    /* '\n'-separated "path:line: ..." lines */
};

/**
 * window_run_load() - read @history and the run directory @dir into @run (zeroed here).
 * Return: 0; -EINVAL for a bad declaration or send op (@eb: "config.json: expected ...",
 *         "history.jsonl:LINE: expected ..."); -EBADMSG for a bad node record; -E2BIG past a
 *         CHK_WINDOW_* bound; -ENOMEM; -errno of a file that would not open or read.
 *         window_run_fini() @run either way.
 */
int window_run_load(struct window_run *run, const struct history *history, const char *dir,
		    struct errbuf *eb);

/* window_run_fini() - free what window_run_load() allocated; a zeroed @run is allowed. */
void window_run_fini(struct window_run *run);

#endif /* WINDOW_RUN_H */
