/* SPDX-License-Identifier: MIT */
/* operator_oracle.h - a naive window operator oracle, and a driver that runs a script on the
 * operator (restored from snapshots along the way) and on the oracle, comparing each step. */
#ifndef OPERATOR_ORACLE_H
#define OPERATOR_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "operator_steps.h"
#include "stream_operator.h"

enum {
	ORACLE_STEPS_MAX = 520,
	ORACLE_EVENT_WINDOWS_MAX = STREAM_WINDOW_EVENT_WINDOWS_MAX,
	ORACLE_ENTRIES_MAX = 1 << 14,   /* each of the operator's *_entries_max */
	ORACLE_MESSAGE_BYTES = 512,
};

/* The operator's settings, as the oracle knows them. */
struct oracle_config {
	bool sliding;
	int64_t size_ms, slide_ms, offset_ms, lateness_ms;
	enum stream_aggregate aggregate;
	uint32_t inputs;                /* 1 .. STREAM_OPERATOR_INPUTS_MAX */
};

/* A script, and where the operator is swapped for a copy restored from its snapshot. */
struct oracle_script {
	struct oracle_config c;
	struct step steps[ORACLE_STEPS_MAX];
	size_t count;
	bool restore_before[ORACLE_STEPS_MAX];  /* restore, then run the step */
	size_t twin_from;       /* a copy restored here runs beside the operator; >= count: none */
};

/* What the rounds reached, to show the scripts exercise every path. */
struct oracle_seen {
	uint64_t on_time, late, side, late_index_above_1, regressions;
	uint64_t restores, restores_idle;       /* the latter with an input idle */
	uint64_t all_idle;              /* steps after which every input is idle */
	uint64_t idle_watermarks;       /* watermarks of an idle input, kept */
	uint64_t active_below;          /* inputs active again below the operator's watermark */
	uint64_t at_start, at_last, at_end;     /* events at t == start, end - 1, end of a window */
	uint64_t negative, keys_max;    /* events before 0; the most keys in one round */
};

/* splitmix64 (Steele, Lea and Flood): a fixed seed gives the same scripts on every run. */
uint64_t oracle_random(uint64_t *state);

/* A number in 0 .. @bound - 1. */
int64_t oracle_below(uint64_t *state, uint64_t bound);

/* Whether the operator's spec of @c is one stream_operator_new() takes. */
bool oracle_config_valid(const struct oracle_config *c);

/* Run @script on an operator with @bugs and on the oracle; true if they agreed at every step
 * and at the end nothing is held and nothing was lost, else false with @message saying where
 * first and *@failed_step the step (@script->count if only the end disagreed). Copies
 * restored from snapshots must step exactly as the operator would have. */
bool oracle_round(const struct oracle_script *script, uint32_t bugs, struct oracle_seen *seen,
		  char *message, size_t *failed_step);

/* Print @script's steps from 0 to @count to stdout, one a line, to reproduce a failure. */
void oracle_script_print(const struct oracle_script *script, size_t count);

#endif /* OPERATOR_ORACLE_H */
