/* SPDX-License-Identifier: MIT */
/* test_window_check_operator.c - the window checker against the real window operator: seeded
 * scripts with bounded disorder per source, collected as a sink would; the correct operator is
 * always valid, and each seeded bug is invalid, with a kind that names it, in some seeds. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "prng.h"
#include "stream_operator.h"
#include "stream_window_check.h"
#include "window_fixture.h"

enum {
	SEED = 20261208,
	SEEDS = 200,
	EVENTS = 150,
	KEYS = 3,
	INPUTS_MAX = 3,
	SIZE_MS_MAX = 12,
	ENTRIES_MAX = 2048,
};

struct run_config {
	bool sliding;
	int64_t size_ms, slide_ms, offset_ms, lateness_ms, bound_ms;
	enum stream_aggregate aggregate;
	uint32_t inputs;
};

/* The operator, the history and sink being built, and each input's latest time. */
struct sim {
	struct window_fixture *f;
	struct stream_operator *op;
	struct stream_outputs out;
	bool seen[INPUTS_MAX];
	int64_t max_seen_ms[INPUTS_MAX];
};

static int64_t below(struct prng *prng, uint64_t bound)
{
	return (int64_t)prng_below(prng, bound);
}

static struct run_config config_make(struct prng *prng)
{
	struct run_config c = {
		.sliding = below(prng, 3) != 0,
		.size_ms = 1 + below(prng, SIZE_MS_MAX),
		.offset_ms = below(prng, 41) - 20,
		.lateness_ms = below(prng, 3) ? below(prng, 16) : 0,
		.bound_ms = below(prng, 7),
		.aggregate = (enum stream_aggregate)below(prng, 4),
		.inputs = 1 + (uint32_t)below(prng, INPUTS_MAX),
	};

	/* Slides up to the size + 3: dividing it or not, and gaps between windows. */
	c.slide_ms = c.sliding ? 1 + below(prng, (uint64_t)c.size_ms + 3) : c.size_ms;
	return c;
}

static void sim_init(struct sim *s, const struct run_config *c, uint32_t bugs)
{
	struct stream_operator_config config = {
		.aggregate = c->aggregate, .lateness_ms = c->lateness_ms, .inputs = c->inputs,
		.pane_entries_max = ENTRIES_MAX, .window_entries_max = ENTRIES_MAX, .bugs = bugs,
	};
	struct errbuf eb = { "" };

	memset(s, 0, sizeof(*s));
	s->f = window_fixture_new(c->size_ms, c->offset_ms, c->aggregate);
	if (c->sliding)
		window_fixture_sliding(s->f, c->size_ms, c->slide_ms, c->offset_ms);
	s->f->input.job.lateness_ms = c->lateness_ms;
	s->f->input.job.out_of_orderness_ms = c->bound_ms;
	config.spec = s->f->input.job.spec;
	cr_assert_eq(stream_operator_new(&config, &s->op, &eb), 0, "%s", eb.msg);
	s->out.capacity = stream_operator_outputs_max(s->op);
	s->out.records = calloc(s->out.capacity, sizeof(*s->out.records));
	cr_assert(s->out.records);
}

static void sim_fini(struct sim *s)
{
	stream_operator_free(s->op);
	free(s->out.records);
	window_fixture_free(s->f);
}

/* What the sink and the operator's evidence log get from one step's outputs. A pane carries
 * the operator's watermark at emission: the one its step advanced to, else the current. */
static void collect(struct sim *s)
{
	struct stream_operator_status status;
	int64_t watermark_ms;

	stream_operator_status(s->op, &status);
	watermark_ms = status.watermark_ms;
	for (uint32_t index = 0; index < s->out.count; index++) {
		const struct stream_output *o = &s->out.records[index];
		struct window_check_pane *pane;

		if (o->kind == STREAM_OUTPUT_PANE) {
			pane = window_fixture_pane(s->f, o->key, o->window_start_ms, o->value,
						   o->timing, o->pane_index);
			pane->window_end_ms = o->window_end_ms;
			pane->watermark_known = true;
			pane->watermark_ms = watermark_ms;
		} else if (o->kind == STREAM_OUTPUT_LATE_EVENT) {
			window_fixture_late(s->f, o->event_id, o->key, o->time_ms,
					    o->window_start_ms);
			s->f->lates[s->f->input.late_count - 1].window_end_ms = o->window_end_ms;
		} else {
			window_fixture_watermark(s->f, 0, -1, o->watermark_new_ms, false);
		}
	}
	s->out.count = 0;
}

static void watermark_step(struct sim *s, uint32_t input, int64_t watermark_ms)
{
	struct errbuf eb = { "" };

	window_fixture_watermark(s->f, 0, (int32_t)input, watermark_ms, false);
	cr_assert_eq(stream_operator_watermark(s->op, input, watermark_ms, &s->out, &eb), 0, "%s",
		     eb.msg);
	collect(s);
}

/* One send: mostly within the bound of the frontier, sometimes later; 90% ok, 5% info (half
 * of them delivered), 5% fail (never delivered). */
static void event_step(struct sim *s, struct prng *prng, const struct run_config *c,
		       uint64_t id, int64_t frontier_ms)
{
	uint32_t input = (uint32_t)below(prng, c->inputs);
	int64_t disorder_ms = below(prng, 100) < 85 ? below(prng, (uint64_t)c->bound_ms + 1) :
				  below(prng, (uint64_t)(c->bound_ms + c->lateness_ms) + 12);
	int64_t roll = below(prng, 100), time_ms = frontier_ms - disorder_ms;
	enum window_check_outcome outcome = roll < 90 ? WINDOW_CHECK_SEND_OK :
					    roll < 95 ? WINDOW_CHECK_SEND_INFO :
							WINDOW_CHECK_SEND_FAIL;
	uint64_t key = 1 + (uint64_t)below(prng, KEYS);
	int64_t value = below(prng, 50);
	bool delivered = outcome == WINDOW_CHECK_SEND_OK ||
			 (outcome == WINDOW_CHECK_SEND_INFO && below(prng, 2));
	struct errbuf eb = { "" };

	window_fixture_send(s->f, id, key, time_ms, value, outcome)->source = input;
	if (!delivered)
		return;
	cr_assert_eq(stream_operator_event(s->op, input, id, key, time_ms, value, &s->out, &eb), 0,
		     "%s", eb.msg);
	collect(s);
	if (!s->seen[input] || time_ms > s->max_seen_ms[input])
		s->max_seen_ms[input] = time_ms;
	s->seen[input] = true;
	if (below(prng, 10) < 3)
		watermark_step(s, input, s->max_seen_ms[input] - c->bound_ms);
}

/* Run the script of @seed through an operator with @bugs and check what came out. */
static void run(uint64_t seed, uint32_t bugs, struct sim *s)
{
	struct prng prng;
	struct run_config c;
	int64_t frontier_ms;
	int err;

	prng_init(&prng, SEED + seed);
	c = config_make(&prng);
	sim_init(s, &c, bugs);
	frontier_ms = -60 - below(&prng, 40);
	for (uint64_t id = 1; id <= EVENTS; id++) {
		event_step(s, &prng, &c, id, frontier_ms);
		frontier_ms += below(&prng, 3);
	}
	for (uint32_t input = 0; input < c.inputs; input++)
		watermark_step(s, input, INT64_MAX);
	err = window_fixture_check(s->f);
	cr_assert_eq(err, 0, "seed %" PRIu64 ": %s", seed, s->f->error);
}

Test(window_check_operator, the_correct_operator_is_always_valid)
{
	uint64_t on_time = 0, late = 0, sides = 0;

	for (uint64_t seed = 0; seed < SEEDS; seed++) {
		struct sim s;

		run(seed, 0, &s);
		cr_assert_eq(s.f->result.verdict, VERDICT_VALID, "seed %" PRIu64 ": %s: %s", seed,
			     window_fixture_kinds(s.f), s.f->result.anomalies[0].message);
		cr_assert_eq(s.f->figures.stalled, 0, "seed %" PRIu64, seed);
		on_time += s.f->figures.panes_on_time;
		late += s.f->figures.panes_late;
		sides += s.f->figures.side_outputs;
		sim_fini(&s);
	}
	cr_log_info("correct: %" PRIu64 " ON_TIME, %" PRIu64 " LATE panes, %" PRIu64
		    " side outputs", on_time, late, sides);
	cr_assert_gt(late, 0, "the scripts reach LATE panes");
	cr_assert_gt(sides, 0, "the scripts reach the side output");
}

/* Whether the kinds found (a comma-separated list) hold one of @expected's. */
static bool names_one_of(const char *kinds, const char *const *expected)
{
	for (; *expected; expected++) {
		char quoted[64];

		snprintf(quoted, sizeof(quoted), "%s,", *expected);
		if (strstr(kinds, quoted))
			return true;
	}
	return false;
}

/*
 * Run every seed with @bug: some seed must be invalid; every invalid one must name a kind of
 * @sensible; and @primary, the kind that names the bug best, must be among them in at least
 * half of the invalid seeds.
 */
static void expect_caught(uint32_t bug, const char *const *sensible, const char *primary)
{
	const char *const primaries[] = { primary, NULL };
	uint32_t caught = 0, named = 0;

	for (uint64_t seed = 0; seed < SEEDS; seed++) {
		struct sim s;
		const char *kinds;

		run(seed, bug, &s);
		kinds = window_fixture_kinds(s.f);
		if (s.f->result.verdict == VERDICT_INVALID) {
			cr_assert(names_one_of(kinds, sensible), "bug 0x%x seed %" PRIu64 ": %s",
				  bug, seed, kinds);
			caught++;
			named += names_one_of(kinds, primaries);
		}
		sim_fini(&s);
	}
	cr_log_info("bug 0x%x: caught in %u of %d seeds, as %s in %u", bug, caught, SEEDS,
		    primary, named);
	cr_assert_gt(caught, 0, "bug 0x%x never caught", bug);
	cr_assert_geq(2 * named, caught, "bug 0x%x: %s in %u of %u", bug, primary, named, caught);
}

Test(window_check_operator, negative_modulo_is_caught)
{
	static const char *const kinds[] = { "wrong-window", "lost-event", "incomplete",
					     "double-count", "wrong-value", NULL };

	expect_caught(STREAM_BUG_NEGATIVE_MODULO, kinds, "wrong-window");
}

Test(window_check_operator, end_inclusive_is_caught)
{
	static const char *const kinds[] = { "wrong-window", NULL };

	expect_caught(STREAM_BUG_END_INCLUSIVE, kinds, "wrong-window");
}

Test(window_check_operator, single_slide_is_caught)
{
	static const char *const kinds[] = { "incomplete", "lost-event", NULL };

	expect_caught(STREAM_BUG_SINGLE_SLIDE, kinds, "incomplete");
}

Test(window_check_operator, watermark_max_not_min_is_caught)
{
	static const char *const kinds[] = { "watermark-regress", NULL };

	expect_caught(STREAM_BUG_WATERMARK_MAX_NOT_MIN, kinds, "watermark-regress");
}

Test(window_check_operator, late_firing_dropped_is_caught)
{
	static const char *const kinds[] = { "lost-event", NULL };

	expect_caught(STREAM_BUG_LATE_FIRING_DROPPED, kinds, "lost-event");
}
