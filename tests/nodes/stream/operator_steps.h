/* SPDX-License-Identifier: MIT */
/* operator_steps.h - what the stream operator tests share: a script step, and a
 * field-by-field comparison of output records. */
#ifndef OPERATOR_STEPS_H
#define OPERATOR_STEPS_H

#include <stdbool.h>
#include <stdint.h>

#include "stream_operator.h"

/* One step of a script: an event, a watermark, or an input going idle or active. */
enum step_kind { STEP_EVENT, STEP_WATERMARK, STEP_IDLE, STEP_ACTIVE };

struct step {
	enum step_kind kind;
	uint32_t input;
	uint64_t event_id, key;
	int64_t time_ms, value; /* WATERMARK: time_ms is the watermark */
};

/* Every field (padding aside, so not memcmp). */
static inline bool same_output(const struct stream_output *a, const struct stream_output *b)
{
	return a->kind == b->kind && a->key == b->key && a->window_start_ms == b->window_start_ms &&
	       a->window_end_ms == b->window_end_ms && a->value == b->value &&
	       a->timing == b->timing && a->pane_index == b->pane_index &&
	       a->event_id == b->event_id && a->time_ms == b->time_ms &&
	       a->watermark_old_ms == b->watermark_old_ms &&
	       a->watermark_new_ms == b->watermark_new_ms;
}

#endif /* OPERATOR_STEPS_H */
