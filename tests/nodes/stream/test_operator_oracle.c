/* SPDX-License-Identifier: MIT */
/* test_operator_oracle.c - the window operator against a naive oracle on seeded random scripts:
 * mixed ones, and ones shaped like sources (many inputs going idle at every gap, many keys,
 * events on window boundaries, restores along the way). */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "operator_oracle.h"
#include "operator_steps.h"
#include "stream_operator.h"

#define ROWS_OF(a) (sizeof(a) / sizeof((a)[0]))

enum {
	SEED = 20261207,
	ROUNDS = 400,
	BUG_ROUNDS = 100,               /* per seeded bug */
	SCRIPT_STEPS = 240,
	MIXED_INPUTS_MAX = 3,
	KEYS = 3,
	SIZE_MS_MAX = 20,               /* so an event is in at most 20 windows */
	SOURCE_SEED = 20261208,
	SOURCE_ROUNDS = 300,
	SOURCE_BUG_ROUNDS = 60,
	SOURCE_ITERATIONS = 340,
	SOURCE_RESERVE = 3 * STREAM_OPERATOR_INPUTS_MAX + 2,   /* one iteration, the end */
};

static struct oracle_script script;

static int64_t below(uint64_t *state, uint64_t bound)
{
	return oracle_below(state, bound);
}

/* --- mixed scripts: up to three inputs, three keys, one restore --- */

static struct oracle_config config_make(uint64_t *state)
{
	struct oracle_config c = {
		.sliding = below(state, 3) != 0,
		.size_ms = 1 + below(state, SIZE_MS_MAX),
		.offset_ms = below(state, 41) - 20,
		.lateness_ms = below(state, 3) ? below(state, 16) : 0,
		.aggregate = (enum stream_aggregate)below(state, 4),
		.inputs = 1 + (uint32_t)below(state, MIXED_INPUTS_MAX),
	};

	/* Slides up to the size + 3: dividing it or not, and gaps between windows. */
	c.slide_ms = c.sliding ? 1 + below(state, (uint64_t)c.size_ms + 3) : c.size_ms;
	return c;
}

/* Events out of order around a frontier that starts below 0; watermarks that mostly rise
 * (sometimes past events still to come, sometimes back); inputs that go idle and return;
 * a twin restored at a random step. */
static void script_make(uint64_t *state, struct oracle_script *sc)
{
	const struct oracle_config *c = &sc->c;
	int64_t frontier_ms = below(state, 40) - 80, watermarks_ms[MIXED_INPUTS_MAX];
	bool idle[MIXED_INPUTS_MAX] = { false };
	size_t count = 0;

	for (uint32_t input = 0; input < c->inputs; input++)
		watermarks_ms[input] = frontier_ms - 30;
	for (uint64_t index = 0; index < SCRIPT_STEPS; index++) {
		int64_t roll = below(state, 100);
		uint32_t input = (uint32_t)below(state, c->inputs);
		struct step *s = &sc->steps[count++];

		*s = (struct step){ .input = input };
		if (roll < 60) {
			s->kind = STEP_EVENT;
			s->event_id = index + 1;
			s->key = 1 + (uint64_t)below(state, KEYS);
			s->time_ms = frontier_ms - below(state, 25);
			s->value = below(state, 20) ? below(state, 2001) - 1000
						    : (int64_t)oracle_random(state);
			frontier_ms += below(state, 3);
		} else if (roll < 90) {
			int64_t rise = below(state, 8), wm = watermarks_ms[input] + rise;

			s->kind = STEP_WATERMARK;
			watermarks_ms[input] = wm < frontier_ms + 5 ? wm : frontier_ms + 5;
			s->time_ms = below(state, 10) ? watermarks_ms[input]
						      : watermarks_ms[input] - below(state, 5);
		} else {
			idle[input] = !idle[input];
			s->kind = idle[input] ? STEP_IDLE : STEP_ACTIVE;
		}
	}
	for (uint32_t input = 0; input < c->inputs; input++) {
		if (idle[input])
			sc->steps[count++] = (struct step){ .kind = STEP_ACTIVE, .input = input };
		sc->steps[count++] = (struct step){ .kind = STEP_WATERMARK, .input = input,
						    .time_ms = INT64_MAX };
	}
	cr_assert_leq(count, ORACLE_STEPS_MAX);
	sc->count = count;
	memset(sc->restore_before, 0, sizeof(sc->restore_before));
	sc->twin_from = (size_t)below(state, count);
}

static void mixed_make(uint64_t *state, struct oracle_script *sc)
{
	sc->c = config_make(state);
	script_make(state, sc);
}

/* --- source scripts: inputs that are sources going idle at gaps, many keys, restores --- */

struct source {
	int64_t frontier_ms;            /* about its latest event time */
	int64_t watermark_ms;           /* the last it sent */
	bool idle;
};

struct sources {
	uint64_t *state;
	struct oracle_script *sc;
	int64_t unit_ms, disorder_ms;   /* the time scale; how far events go out of order */
	uint64_t keys, next_id;
	struct source inputs[STREAM_OPERATOR_INPUTS_MAX];
};

/* Sizes and slides in units of 1, 7 or 250 ms (sliding:1000:250's shape), sometimes off by a
 * few ms; at most 16 windows an event, or 63 in one config of 8. */
static struct oracle_config source_config(uint64_t *state, int64_t *unit_ms)
{
	static const int64_t units[] = { 1, 1, 1, 7, 250 };
	static const uint32_t inputs[] = { 1, 2, 2, 2, 3, 4, 7, 16 };
	int64_t windows_max = below(state, 8) ? 16 : 63;
	struct oracle_config c;

	*unit_ms = units[below(state, ROWS_OF(units))];
	do {
		int64_t size_units = 1 + below(state, 24);

		c = (struct oracle_config){
			.sliding = below(state, 5) < 3,
			.size_ms = size_units * *unit_ms + (below(state, 4) ? 0 : below(state, 3)),
			.aggregate = (enum stream_aggregate)below(state, 4),
			.inputs = inputs[below(state, ROWS_OF(inputs))],
		};
		c.slide_ms = c.size_ms;
		if (c.sliding)
			c.slide_ms = (1 + below(state, (uint64_t)size_units + 2)) * *unit_ms +
				     (below(state, 4) ? 0 : below(state, (uint64_t)*unit_ms + 2));
		c.offset_ms = below(state, 2 * (uint64_t)c.size_ms + 1) - c.size_ms;
		c.lateness_ms = below(state, 2) ? 0 : 1 + below(state, 2 * (uint64_t)c.size_ms);
	} while (!oracle_config_valid(&c) ||
		 (c.size_ms + c.slide_ms - 1) / c.slide_ms > windows_max);
	return c;
}

static struct step *step_add(struct sources *g, enum step_kind kind, uint32_t input)
{
	struct oracle_script *sc = g->sc;

	cr_assert_lt(sc->count, ORACLE_STEPS_MAX);
	sc->steps[sc->count] = (struct step){ .kind = kind, .input = input };
	return &sc->steps[sc->count++];
}

static void idle_set(struct sources *g, uint32_t input, bool idle)
{
	if (g->inputs[input].idle != idle)
		step_add(g, idle ? STEP_IDLE : STEP_ACTIVE, input);
	g->inputs[input].idle = idle;
}

/* A time near @t_ms on a window boundary: a start, the last ms before an end, an end, or
 * the ms before a start. */
static int64_t boundary_near(struct sources *g, int64_t t_ms)
{
	const struct oracle_config *c = &g->sc->c;
	int64_t start_ms = t_ms - (((t_ms - c->offset_ms) % c->slide_ms) + c->slide_ms) %
				  c->slide_ms;

	switch (below(g->state, 4)) {
	case 0: return start_ms;
	case 1: return start_ms + c->size_ms - 1;
	case 2: return start_ms + c->size_ms;
	default: return start_ms - 1;
	}
}

/* An event from @input (active again first, its watermark as it was): out of order within
 * the disorder bound, on a boundary one time in eight, far behind one in twenty-five. */
static void source_event(struct sources *g, uint32_t input)
{
	struct source *src = &g->inputs[input];
	int64_t roll = below(g->state, 200), t_ms;
	struct step *s;

	idle_set(g, input, false);
	t_ms = src->frontier_ms - below(g->state, (uint64_t)g->disorder_ms + 1);
	if (roll < 25)
		t_ms = boundary_near(g, t_ms);
	else if (roll < 33)
		t_ms -= g->disorder_ms + below(g->state, 3 * (uint64_t)g->sc->c.size_ms);
	s = step_add(g, STEP_EVENT, input);
	s->event_id = ++g->next_id;
	s->key = 1 + (uint64_t)below(g->state, g->keys);
	s->time_ms = t_ms;
	s->value = below(g->state, 20) ? below(g->state, 2001) - 1000
				       : (int64_t)oracle_random(g->state);
	src->frontier_ms += below(g->state, 2 * (uint64_t)g->unit_ms + 1);
}

/* A watermark from @input, idle or not: its frontier less the disorder bound, or one below
 * its last (ignored, counted), or its last again (nothing). */
static void source_watermark(struct sources *g, uint32_t input)
{
	struct source *src = &g->inputs[input];
	int64_t roll = below(g->state, 100), wm_ms = src->frontier_ms - g->disorder_ms;
	struct step *s = step_add(g, STEP_WATERMARK, input);

	if (roll < 8 && src->watermark_ms > INT64_MIN + 1000) {
		s->time_ms = src->watermark_ms - 1 - below(g->state, 3 * (uint64_t)g->unit_ms);
		return;
	}
	if (wm_ms < src->watermark_ms || roll < 12)
		wm_ms = src->watermark_ms;
	s->time_ms = src->watermark_ms = wm_ms;
}

/* Where the times start: below 0 crossing it, an epoch in ms, or far below 0. */
static int64_t source_base(uint64_t *state, const struct oracle_config *c)
{
	switch (below(state, 4)) {
	case 0: return INT64_C(1700000000000) + below(state, 1000000000);
	case 1: return -INT64_C(1000000000000) - below(state, 1000000000);
	default: return -4 * c->size_ms - below(state, 100);
	}
}

/*
 * Sources: each input its own frontier (skewed), the first half of the inputs picked more
 * often than the rest (which lag); an input calls itself idle at a gap in its events (its
 * frontier jumps) and is active again at its next event; every input idle at times;
 * restores before one step in thirty; a twin restored at a random step. Then every input
 * active and at the end of input.
 */
static void source_make(uint64_t *state, struct oracle_script *sc)
{
	static const uint64_t keys[] = { 1, 3, 16, 64, 200 };
	struct sources g = { .state = state, .sc = sc };
	int64_t base_ms;

	sc->c = source_config(state, &g.unit_ms);
	g.keys = keys[below(state, ROWS_OF(keys))];
	g.disorder_ms = below(state, (uint64_t)(sc->c.size_ms + 2 * g.unit_ms));
	base_ms = source_base(state, &sc->c);
	sc->count = 0;
	memset(sc->restore_before, 0, sizeof(sc->restore_before));
	for (uint32_t input = 0; input < sc->c.inputs; input++)
		g.inputs[input] = (struct source){
			.frontier_ms = base_ms + below(state, 2 * (uint64_t)sc->c.size_ms),
			.watermark_ms = INT64_MIN };
	for (uint32_t n = 0; n < SOURCE_ITERATIONS &&
			     sc->count + SOURCE_RESERVE < ORACLE_STEPS_MAX; n++) {
		int64_t roll = below(state, 100);
		uint32_t busy = (sc->c.inputs + 1) / 2;
		uint32_t input = (uint32_t)below(state, below(state, 2) ? busy : sc->c.inputs);

		sc->restore_before[sc->count] = below(state, 30) == 0;
		if (roll < 55) {
			source_event(&g, input);
		} else if (roll < 82) {
			source_watermark(&g, input);
		} else if (roll < 97) {
			if (!g.inputs[input].idle)
				g.inputs[input].frontier_ms +=
					below(state, 2 * (uint64_t)sc->c.size_ms + 1);
			idle_set(&g, input, !g.inputs[input].idle);
		} else {
			for (uint32_t each = 0; each < sc->c.inputs; each++)
				idle_set(&g, each, true);
		}
	}
	for (uint32_t input = 0; input < sc->c.inputs; input++) {
		idle_set(&g, input, false);
		step_add(&g, STEP_WATERMARK, input)->time_ms = INT64_MAX;
	}
	sc->twin_from = (size_t)below(state, sc->count);
}

/* --- rounds --- */

typedef void script_make_fn(uint64_t *state, struct oracle_script *sc);

/* @rounds seeded rounds of @make's scripts with @bugs: how many disagreed with the oracle;
 * the first one's message in @first, and its script printed if @print. */
static uint32_t rounds_run(script_make_fn *make, uint64_t seed, uint32_t rounds, uint32_t bugs,
			   struct oracle_seen *seen, char *first, bool print)
{
	char message[ORACLE_MESSAGE_BYTES] = "";
	uint64_t state = seed;
	uint32_t failed = 0;

	for (uint32_t round = 0; round < rounds; round++) {
		size_t step;

		make(&state, &script);
		if (oracle_round(&script, bugs, seen, message, &step) || failed++)
			continue;
		snprintf(first, ORACLE_MESSAGE_BYTES, "seed %" PRIu64 ", round %u: %.400s", seed,
			 round, message);
		if (print)
			oracle_script_print(&script, step + 1);
	}
	return failed;
}

static void seen_log(const struct oracle_seen *seen)
{
	cr_log_info("%" PRIu64 " on-time and %" PRIu64 " late panes, %" PRIu64 " late events, %"
		    PRIu64 " regressions, %" PRIu64 " restores (%" PRIu64 " with an input idle), %"
		    PRIu64 " steps all idle, %" PRIu64 " idle watermarks, %" PRIu64 " active "
		    "below, events at start %" PRIu64 ", end - 1 %" PRIu64 ", end %" PRIu64
		    ", < 0 %" PRIu64 ", keys up to %" PRIu64, seen->on_time, seen->late, seen->side,
		    seen->regressions, seen->restores, seen->restores_idle, seen->all_idle,
		    seen->idle_watermarks, seen->active_below, seen->at_start, seen->at_last,
		    seen->at_end, seen->negative, seen->keys_max);
}

Test(stream_operator_oracle, agrees_with_a_naive_oracle_on_random_scripts)
{
	char first[ORACLE_MESSAGE_BYTES] = "";
	struct oracle_seen seen = { 0 };

	cr_assert_eq(rounds_run(mixed_make, SEED, ROUNDS, 0, &seen, first, true), 0, "%s",
		     first);
	seen_log(&seen);
	cr_expect_gt(seen.on_time, 0);
	cr_expect_gt(seen.late, 0);
	cr_expect_gt(seen.late_index_above_1, 0);
	cr_expect_gt(seen.side, 0);
	cr_expect_gt(seen.regressions, 0);
}

Test(stream_operator_oracle, agrees_with_a_naive_oracle_on_source_scripts)
{
	char first[ORACLE_MESSAGE_BYTES] = "";
	struct oracle_seen seen = { 0 };

	cr_assert_eq(rounds_run(source_make, SOURCE_SEED, SOURCE_ROUNDS, 0, &seen, first, true),
		     0, "%s", first);
	seen_log(&seen);
	cr_expect_gt(seen.late_index_above_1, 0);
	cr_expect_gt(seen.side, 0);
	cr_expect_gt(seen.regressions, 0);
	cr_expect_gt(seen.restores_idle, 0);
	cr_expect_gt(seen.all_idle, 0);
	cr_expect_gt(seen.idle_watermarks, 0);
	cr_expect_gt(seen.active_below, 0);
	cr_expect_gt(seen.at_start, 0);
	cr_expect_gt(seen.at_last, 0);
	cr_expect_gt(seen.at_end, 0);
	cr_expect_gt(seen.negative, 0);
	cr_expect_geq(seen.keys_max, 100);
}

/* The canaries: the same rounds catch each seeded bug, and under each the operator still
 * runs every script to the end and restores exactly (watermark-reset-on-restore aside, whose
 * restores do not, so only the source scripts, with their restores, catch it). */
Test(stream_operator_oracle, catches_every_seeded_bug)
{
	static const uint32_t bugs[] = {
		STREAM_BUG_NEGATIVE_MODULO, STREAM_BUG_END_INCLUSIVE, STREAM_BUG_SINGLE_SLIDE,
		STREAM_BUG_WATERMARK_MAX_NOT_MIN, STREAM_BUG_LATE_FIRING_DROPPED,
		STREAM_BUG_WATERMARK_RESET_ON_RESTORE,
	};

	for (size_t index = 0; index < ROWS_OF(bugs); index++) {
		char mixed[ORACLE_MESSAGE_BYTES] = "", sources[ORACLE_MESSAGE_BYTES] = "";
		struct oracle_seen seen = { 0 };
		uint32_t caught = 0, caught_sources;

		if (bugs[index] != STREAM_BUG_WATERMARK_RESET_ON_RESTORE) {
			caught = rounds_run(mixed_make, SEED, BUG_ROUNDS, bugs[index], &seen,
					    mixed, false);
			cr_expect_gt(caught, 0, "bug 0x%x went unnoticed", bugs[index]);
		}
		caught_sources = rounds_run(source_make, SOURCE_SEED, SOURCE_BUG_ROUNDS,
					    bugs[index], &seen, sources, false);
		cr_expect_gt(caught_sources, 0, "bug 0x%x went unnoticed in source scripts",
			     bugs[index]);
		cr_log_info("bug 0x%x: caught in %u of %u mixed rounds, %u of %u source rounds; "
			    "first: %s; %s", bugs[index], caught, BUG_ROUNDS, caught_sources,
			    SOURCE_BUG_ROUNDS, mixed, sources);
	}
}
