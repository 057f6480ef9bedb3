/* SPDX-License-Identifier: MIT */
/* stream_window_check_judge.c - one window judged: its geometry, side output, replays, timing, and
 * each pane value against the oracle's bounds (the rules are in stream_window_check.h). */
#include <inttypes.h>
#include <string.h>

#include "checker.h"
#include "chk_limits.h"
#include "fl_assert.h"
#include "stream_window_check_internal.h"

/* Which promise a pane is held to: the ON_TIME pane's (lower bound R) or the final one's
 * (lower bound A \ D); both have the upper bound P. */
enum rule { RULE_ON_TIME, RULE_FINAL };

/* How a value compares with one rule's bounds in one assignment. */
enum fit {
	FIT,            /* the aggregate of some allowed set */
	FIT_SHORT,      /* below what the lower bound forces */
	FIT_OVER,       /* above every allowed set (count, sum) */
	FIT_ODD,        /* within the bounds, but no allowed set gives it */
};

struct set_stats {
	uint64_t count;
	int64_t sum, min, max;          /* sum < 2^61: CHK_WINDOW_VALUE_MAX x EVENTS_MAX */
};

static const char *const variant_names[MEMBER_VARIANTS] = {
	[MEMBER_NORMAL] = "the declared windows",
	[MEMBER_END_INCLUSIVE] = "counting events at t == end (end-inclusive windows)",
	[MEMBER_REMAINDER_ASSIGN] = "C's remainder aligning negative times to windows",
	[MEMBER_REMAINDER_PANE] = "C's remainder aligning negative times to panes",
};

static const char *aggregate_name(enum stream_aggregate aggregate)
{
	static const char *const names[] = { "count", "sum", "min", "max" };

	ASSERT((unsigned)aggregate < ARRAY_SIZE(names));
	return names[aggregate];
}

static const char *timing_name(enum stream_pane_timing timing)
{
	return timing == STREAM_PANE_ON_TIME ? "ON_TIME" : "LATE";
}

static bool exactly_once(const struct window_check_ctx *ctx)
{
	return ctx->input->job.guarantee == WINDOW_CHECK_EXACTLY_ONCE;
}

/* Whether member @m counts in window's set under assignment @variant. */
static bool in_variant(const struct window_check_ctx *ctx, const struct member *m,
		       uint32_t variant)
{
	uint8_t flags = ctx->event_flags[m->event];

	ASSERT(m->variant < MEMBER_VARIANTS);
	ASSERT(variant < MEMBER_VARIANTS);
	if (variant == MEMBER_NORMAL)
		return m->variant == MEMBER_NORMAL;
	if (variant == MEMBER_END_INCLUSIVE)
		return m->variant == MEMBER_NORMAL || m->variant == MEMBER_END_INCLUSIVE;
	if (m->variant == variant)
		return true;
	if (variant == MEMBER_REMAINDER_ASSIGN)
		return m->variant == MEMBER_NORMAL && !(flags & EVENT_REMAINDER_ASSIGN_DIFFERS);
	return m->variant == MEMBER_NORMAL && !(flags & EVENT_REMAINDER_PANE_DIFFERS);
}

/* Whether @variant's set for this window differs from the oracle's. */
static bool variant_differs(const struct window_check_ctx *ctx, const struct window_slice *w,
			    uint32_t variant)
{
	for (uint32_t index = 0; index < w->member_count; index++) {
		const struct member *m = &w->members[index];

		if (in_variant(ctx, m, variant) != in_variant(ctx, m, MEMBER_NORMAL))
			return true;
	}
	return false;
}

/* Whether event @event is in @rule's lower bound (it is in the upper one: ok or info). */
static bool in_lower(const struct window_check_ctx *ctx, enum rule rule, uint32_t event)
{
	const struct window_check_event *e = &ctx->input->events[event];
	uint8_t flags = ctx->event_flags[event];

	ASSERT(e->outcome != WINDOW_CHECK_SEND_FAIL);
	if (rule == RULE_ON_TIME)
		return flags & EVENT_ON_TIME;
	return e->outcome == WINDOW_CHECK_SEND_OK && !(flags & EVENT_SIDE);
}

static void stats_add(struct set_stats *s, int64_t value)
{
	if (!s->count || value < s->min)
		s->min = value;
	if (!s->count || value > s->max)
		s->max = value;
	s->count++;
	s->sum += value;
	ASSERT(s->min <= s->max);
	ASSERT(s->sum >= 0);
}

static void bounds_of(const struct window_check_ctx *ctx, const struct window_slice *w,
		      enum rule rule, uint32_t variant, struct set_stats *lower,
		      struct set_stats *upper)
{
	*lower = (struct set_stats){ 0, 0, 0, 0 };
	*upper = *lower;
	for (uint32_t index = 0; index < w->member_count; index++) {
		const struct member *m = &w->members[index];
		int64_t value = ctx->input->events[m->event].value;

		if (!in_variant(ctx, m, variant))
			continue;
		stats_add(upper, value);
		if (in_lower(ctx, rule, m->event))
			stats_add(lower, value);
	}
	ASSERT(lower->count <= upper->count);
	ASSERT(lower->sum <= upper->sum);
}

/* bits |= bits << @shift, over @words words. */
static void shift_or(uint64_t *bits, uint32_t words, int64_t shift)
{
	uint32_t word_shift = (uint32_t)(shift / 64), bit_shift = (uint32_t)(shift % 64);

	ASSERT(shift > 0);
	ASSERT(word_shift < words);
	for (uint32_t index = words; index-- > word_shift;) {
		uint32_t from = index - word_shift;
		uint64_t moved = bits[from] << bit_shift;

		if (bit_shift && from > 0)
			moved |= bits[from - 1] >> (64 - bit_shift);
		bits[index] |= moved;
	}
}

/*
 * Whether @target is the sum of some of the events in @variant's upper \ lower bound of
 * @rule (their sum @free_sum): exact by a bitset up to CHK_WINDOW_SUBSET_SUM_TARGET_MAX,
 * true beyond (counted in sums_by_range).
 */
static bool subset_sum_fits(struct window_check_ctx *ctx, const struct window_slice *w,
			    enum rule rule, uint32_t variant, int64_t target, int64_t free_sum)
{
	uint64_t *bits = ctx->subset_bits;
	uint32_t words = (uint32_t)(target / 64) + 1;

	ASSERT(target >= 0);
	ASSERT(target <= free_sum);
	if (target == 0 || target == free_sum)
		return true;
	if (target > CHK_WINDOW_SUBSET_SUM_TARGET_MAX) {
		ctx->figures.sums_by_range++;
		return true;
	}
	memset(bits, 0, words * sizeof(*bits));
	bits[0] = 1;
	for (uint32_t index = 0; index < w->member_count; index++) {
		const struct member *m = &w->members[index];
		int64_t value = ctx->input->events[m->event].value;

		if (!in_variant(ctx, m, variant) || in_lower(ctx, rule, m->event) ||
		    value == 0 || value > target)
			continue;
		shift_or(bits, words, value);
		if (bits[target / 64] >> (target % 64) & 1)
			return true;
	}
	return false;
}

static bool value_in_upper(const struct window_check_ctx *ctx, const struct window_slice *w,
			   uint32_t variant, int64_t value)
{
	for (uint32_t index = 0; index < w->member_count; index++) {
		const struct member *m = &w->members[index];

		if (in_variant(ctx, m, variant) && ctx->input->events[m->event].value == value)
			return true;
	}
	return false;
}

/* How @value fits @rule's bounds under @variant; @upper_out gets the upper bound's stats. */
static enum fit fit_of(struct window_check_ctx *ctx, const struct window_slice *w,
		       enum rule rule, uint32_t variant, int64_t value,
		       struct set_stats *upper_out)
{
	struct set_stats lower, upper;

	bounds_of(ctx, w, rule, variant, &lower, &upper);
	*upper_out = upper;
	if (value < 0)
		return FIT_ODD; /* values are >= 0: no set counts or sums below 0 */
	switch (ctx->input->job.aggregate) {
	case STREAM_AGGREGATE_COUNT:
		if (value < (int64_t)lower.count)
			return FIT_SHORT;
		if (value > (int64_t)upper.count)
			return !exactly_once(ctx) && !upper.count ? FIT_ODD : FIT_OVER;
		return FIT;
	case STREAM_AGGREGATE_SUM:
		if (value < lower.sum)
			return FIT_SHORT;
		if (value > upper.sum)
			return !exactly_once(ctx) && !upper.count ? FIT_ODD : FIT_OVER;
		if (!exactly_once(ctx))
			return FIT; /* repeats make any sum from there on */
		return subset_sum_fits(ctx, w, rule, variant, value - lower.sum,
				       upper.sum - lower.sum) ? FIT : FIT_ODD;
	case STREAM_AGGREGATE_MINIMUM:
		if (lower.count && value > lower.min)
			return FIT_SHORT;
		return value_in_upper(ctx, w, variant, value) ? FIT : FIT_ODD;
	case STREAM_AGGREGATE_MAXIMUM:
		if (lower.count && value < lower.max)
			return FIT_SHORT;
		return value_in_upper(ctx, w, variant, value) ? FIT : FIT_ODD;
	}
	ASSERT(false);
	return FIT_ODD;
}

/* --- reporting --- */

/* Which events a message names. */
enum naming_which {
	NAME_REQUIRED,          /* every event of the lower bound */
	NAME_EXCLUDED,          /* lower-bound events the value leaves out */
	NAME_POSSIBLE,          /* every event of the upper bound */
	NAME_MOVED,             /* events the variant adds or removes */
};

/* A message under construction, with the events it names and their invoke positions. */
struct naming {
	struct check_text text;
	uint64_t ops[CHECK_ANOMALY_OPS_MAX];
	uint32_t op_count;
	uint64_t named;
};

static bool excluded_by(const struct window_check_ctx *ctx, int64_t event_value, int64_t value)
{
	enum stream_aggregate aggregate = ctx->input->job.aggregate;

	if (aggregate == STREAM_AGGREGATE_MINIMUM)
		return event_value < value;
	if (aggregate == STREAM_AGGREGATE_MAXIMUM)
		return event_value > value;
	return true; /* count, sum: any of them may be the one missing */
}

static bool named_by(const struct window_check_ctx *ctx, const struct member *m, enum rule rule,
		     uint32_t variant, enum naming_which which, int64_t value)
{
	if (which == NAME_MOVED)
		return in_variant(ctx, m, variant) != in_variant(ctx, m, MEMBER_NORMAL);
	if (!in_variant(ctx, m, MEMBER_NORMAL))
		return false;
	if (which == NAME_POSSIBLE)
		return true;
	if (which == NAME_REQUIRED)
		return in_lower(ctx, rule, m->event);
	return in_lower(ctx, rule, m->event) &&
	       excluded_by(ctx, ctx->input->events[m->event].value, value);
}

/* Append " (ids a, b, ... and N more)" for the events @which picks; record their ops. */
static void naming_events(const struct window_check_ctx *ctx, const struct window_slice *w,
			  struct naming *n, enum rule rule, uint32_t variant,
			  enum naming_which which, int64_t value)
{
	for (uint32_t index = 0; index < w->member_count; index++) {
		const struct member *m = &w->members[index];
		const struct window_check_event *e = &ctx->input->events[m->event];

		if (!named_by(ctx, m, rule, variant, which, value))
			continue;
		if (n->named < CHK_WINDOW_MESSAGE_EVENTS_MAX)
			check_text_add(&n->text, "%s%" PRIu64, n->named ? ", " : " (ids ", e->id);
		if (n->named < CHK_WINDOW_MESSAGE_EVENTS_MAX && n->op_count < CHECK_ANOMALY_OPS_MAX)
			n->ops[n->op_count++] = e->invoke_position;
		n->named++;
	}
	if (n->named > CHK_WINDOW_MESSAGE_EVENTS_MAX)
		check_text_add(&n->text, " and %" PRIu64 " more",
			       n->named - CHK_WINDOW_MESSAGE_EVENTS_MAX);
	if (n->named)
		check_text_add(&n->text, ")");
	ASSERT(n->op_count <= CHECK_ANOMALY_OPS_MAX);
}

/* Start a message with the window and the pane: "key K window [s, e): ON_TIME pane 0 ". */
static void naming_start(struct naming *n, const struct window_slice *w,
			 const struct window_check_pane *pane)
{
	memset(n, 0, sizeof(*n));
	check_text_init(&n->text);
	check_text_add(&n->text, "key %" PRIu64 " window [%" PRId64 ", %" PRId64 ")", w->key,
		       w->start_ms, w->end_ms);
	if (pane)
		check_text_add(&n->text, ": %s pane %" PRIu64 " at position %" PRIu64,
			       timing_name(pane->timing), pane->pane_index, pane->position);
}

static void naming_report(struct window_check_ctx *ctx, const char *kind, struct naming *n)
{
	check_result_add_anomaly(ctx->result, kind, n->ops, n->op_count, "%s", n->text.buf);
}

/* The lower bound that @value misses: incomplete (ON_TIME) or lost-event (final). */
static void short_report(struct window_check_ctx *ctx, const struct window_slice *w,
			 enum rule rule, const struct window_check_pane *pane)
{
	enum stream_aggregate aggregate = ctx->input->job.aggregate;
	bool smaller = aggregate != STREAM_AGGREGATE_MINIMUM;
	struct set_stats lower, upper;
	int64_t bound;
	struct naming n;

	bounds_of(ctx, w, rule, MEMBER_NORMAL, &lower, &upper);
	bound = aggregate == STREAM_AGGREGATE_COUNT ? (int64_t)lower.count :
		aggregate == STREAM_AGGREGATE_SUM ? lower.sum :
		aggregate == STREAM_AGGREGATE_MINIMUM ? lower.min : lower.max;
	naming_start(&n, w, pane);
	check_text_add(&n.text, "%s: %s %" PRId64 " is %s the %s %" PRId64 " of the %" PRIu64
		       " acknowledged events %s; left out", rule == RULE_FINAL ? " (final)" : "",
		       aggregate_name(aggregate), pane->value, smaller ? "below" : "above",
		       aggregate_name(aggregate), bound, lower.count,
		       rule == RULE_ON_TIME ? "on time by the bound" : "not in the side output");
	naming_events(ctx, w, &n, rule, MEMBER_NORMAL, NAME_EXCLUDED, pane->value);
	naming_report(ctx, rule == RULE_ON_TIME ? "incomplete" : "lost-event", &n);
	ASSERT(lower.count > 0);
}

/* double-count, wrong-value, or wrong-window when @variant (not NORMAL) explains it. */
static void value_report(struct window_check_ctx *ctx, const struct window_slice *w,
			 enum rule rule, const struct window_check_pane *pane, enum fit fit,
			 uint32_t variant)
{
	const char *aggregate = aggregate_name(ctx->input->job.aggregate);
	struct set_stats lower, upper;
	struct naming n;

	bounds_of(ctx, w, rule, MEMBER_NORMAL, &lower, &upper);
	naming_start(&n, w, pane);
	if (variant != MEMBER_NORMAL) {
		check_text_add(&n.text, ": %s %" PRId64 " is what %s gives; events moved",
			       aggregate, pane->value, variant_names[variant]);
		naming_events(ctx, w, &n, rule, variant, NAME_MOVED, pane->value);
		naming_report(ctx, "wrong-window", &n);
		return;
	}
	ASSERT(fit == FIT_OVER || fit == FIT_ODD);
	if (fit == FIT_OVER)
		check_text_add(&n.text, ": %s %" PRId64 " is over the %s %" PRId64 " of all %"
			       PRIu64 " events that could be in it", aggregate, pane->value,
			       aggregate, ctx->input->job.aggregate == STREAM_AGGREGATE_COUNT ?
			       (int64_t)upper.count : upper.sum, upper.count);
	else
		check_text_add(&n.text, ": %s %" PRId64 " is given by no set of its events between "
			       "the %" PRIu64 " required and the %" PRIu64 " possible", aggregate,
			       pane->value, lower.count, upper.count);
	naming_events(ctx, w, &n, rule, MEMBER_NORMAL, NAME_POSSIBLE, pane->value);
	naming_report(ctx, fit == FIT_OVER ? "double-count" : "wrong-value", &n);
}

/*
 * Judge @pane's value by @rule: the oracle's bounds first, then the broken assignments,
 * then what misses. @own_only: report only the rule's own kind (incomplete or lost-event),
 * for a record already judged by the other rule.
 */
static void value_judge(struct window_check_ctx *ctx, const struct window_slice *w,
			enum rule rule, const struct window_check_pane *pane, bool own_only)
{
	struct set_stats upper, ignored;
	enum fit fit = fit_of(ctx, w, rule, MEMBER_NORMAL, pane->value, &upper);

	if (fit == FIT)
		return;
	if (fit == FIT_OVER && !exactly_once(ctx)) {
		if (own_only)
			return;
		ctx->figures.panes_over++;
		ctx->figures.panes_over_excess += (uint64_t)pane->value -
			(ctx->input->job.aggregate == STREAM_AGGREGATE_COUNT ? upper.count :
									      (uint64_t)upper.sum);
		return;
	}
	for (uint32_t variant = MEMBER_END_INCLUSIVE; variant < MEMBER_VARIANTS; variant++) {
		if (fit == FIT_OVER && pane->replayed)
			break;  /* a replay's excess: double-count, whatever else fits */
		if (!variant_differs(ctx, w, variant) ||
		    fit_of(ctx, w, rule, variant, pane->value, &ignored) != FIT)
			continue;
		if (!own_only)
			value_report(ctx, w, rule, pane, fit, variant);
		return;
	}
	if (fit == FIT_SHORT)
		short_report(ctx, w, rule, pane);
	else if (!own_only)
		value_report(ctx, w, rule, pane, fit, MEMBER_NORMAL);
}

/* --- the window's other rules --- */

static bool geometry_valid(const struct window_check_ctx *ctx, const struct window_slice *w)
{
	const struct stream_window_spec *spec = &ctx->spec;

	if (w->start_ms < -STREAM_WINDOW_START_MS_ABS_MAX ||
	    w->start_ms > STREAM_WINDOW_START_MS_ABS_MAX)
		return false;
	return stream_window_mod(w->start_ms, spec->slide_ms) == spec->offset_ms &&
	       w->end_ms == w->start_ms + spec->size_ms;
}

/* wrong-window for every record of a window the spec does not have. */
static void geometry_report(struct window_check_ctx *ctx, const struct window_slice *w)
{
	const struct stream_window_spec *spec = &ctx->spec;

	ASSERT(w->member_count == 0);
	for (uint32_t index = 0; index < w->pane_count; index++) {
		const struct window_check_pane *pane = &ctx->input->panes[w->panes[index]];
		struct naming n;

		naming_start(&n, w, pane);
		check_text_add(&n.text, ": no window of the spec (starts are %" PRId64 " mod %"
			       PRId64 ", ends start + %" PRId64 ")", spec->offset_ms,
			       spec->slide_ms, spec->size_ms);
		naming_report(ctx, "wrong-window", &n);
	}
	for (uint32_t index = 0; index < w->late_count; index++) {
		const struct window_check_late *late = &ctx->input->lates[w->lates[index]];
		struct naming n;

		naming_start(&n, w, NULL);
		check_text_add(&n.text, ": side output at position %" PRIu64 " for event id %"
			       PRIu64 " names no window of the spec", late->position,
			       late->event_id);
		naming_report(ctx, "wrong-window", &n);
	}
}

/* The member of event @event in this window under @variant, or NULL: a binary search, as
 * a window's members are sorted by (variant, event). */
static const struct member *member_find(const struct window_slice *w, uint32_t event,
					uint32_t variant)
{
	uint32_t low = 0, high = w->member_count;

	while (low < high) {
		uint32_t middle = low + (high - low) / 2;
		const struct member *m = &w->members[middle];

		if (m->variant < variant || (m->variant == variant && m->event < event))
			low = middle + 1;
		else
			high = middle;
	}
	ASSERT(low <= w->member_count);
	if (low < w->member_count && w->members[low].variant == variant &&
	    w->members[low].event == event)
		return &w->members[low];
	return NULL;
}

/* A side-output record that does not name an accepted event of this window. */
static void late_report(struct window_check_ctx *ctx, const struct window_slice *w,
			const struct window_check_late *late, int64_t event)
{
	const struct window_check_event *e = event >= 0 ? &ctx->input->events[event] : NULL;
	struct naming n;

	naming_start(&n, w, NULL);
	check_text_add(&n.text, ": side output at position %" PRIu64 " names event id %" PRIu64,
		       late->position, late->event_id);
	if (!e || e->outcome == WINDOW_CHECK_SEND_FAIL) {
		check_text_add(&n.text, ", which was %s", e ? "refused (fail)" : "never sent");
	} else if (e->key != late->key || e->time_ms != late->time_ms) {
		check_text_add(&n.text, " with key %" PRIu64 " t %" PRId64 "; it was sent with "
			       "key %" PRIu64 " t %" PRId64, late->key, late->time_ms, e->key,
			       e->time_ms);
	} else {
		check_text_add(&n.text, " at t %" PRId64 ", outside the window", e->time_ms);
		for (uint32_t variant = MEMBER_END_INCLUSIVE; variant < MEMBER_VARIANTS;
		     variant++) {
			if (member_find(w, (uint32_t)event, variant)) {
				check_text_add(&n.text, " (as %s)", variant_names[variant]);
				break;
			}
		}
	}
	if (e)
		n.ops[n.op_count++] = e->invoke_position;
	naming_report(ctx, "wrong-window", &n);
}

/* Check the side-output records and mark EVENT_SIDE on the events they account for. */
static void lates_judge(struct window_check_ctx *ctx, const struct window_slice *w)
{
	for (uint32_t index = 0; index < w->late_count; index++) {
		const struct window_check_late *late = &ctx->input->lates[w->lates[index]];
		int64_t event = window_check_event_find(ctx, late->event_id);
		const struct window_check_event *e = event >= 0 ? &ctx->input->events[event] : NULL;

		if (!e || e->outcome == WINDOW_CHECK_SEND_FAIL || e->key != late->key ||
		    e->time_ms != late->time_ms ||
		    !member_find(w, (uint32_t)event, MEMBER_NORMAL)) {
			late_report(ctx, w, late, event);
			continue;
		}
		ASSERT(e->key == w->key);
		ctx->event_flags[event] |= EVENT_SIDE;
	}
}

/* duplicate-pane: one pane index emitted twice unequal, or two ON_TIME panes; replays. */
static void replays_judge(struct window_check_ctx *ctx, const struct window_slice *w)
{
	const struct window_check_pane *on_time = NULL;

	for (uint32_t index = 0; index < w->pane_count; index++) {
		const struct window_check_pane *pane = &ctx->input->panes[w->panes[index]];
		const struct window_check_pane *before = index ?
			&ctx->input->panes[w->panes[index - 1]] : NULL;
		const struct window_check_pane *first = NULL;

		if (before && before->pane_index == pane->pane_index) {
			if (before->value == pane->value && before->timing == pane->timing)
				ctx->figures.pane_replays++;
			else if (!exactly_once(ctx))
				ctx->figures.pane_replays_differing++;
			else
				first = before;
		}
		if (pane->timing == STREAM_PANE_ON_TIME && on_time &&
		    on_time->pane_index != pane->pane_index)
			first = exactly_once(ctx) ? on_time : NULL;
		if (pane->timing == STREAM_PANE_ON_TIME && !on_time)
			on_time = pane;
		if (!first)
			continue;
		check_result_add_anomaly(ctx->result, "duplicate-pane", NULL, 0, "key %" PRIu64
					 " window [%" PRId64 ", %" PRId64 "): %s pane %" PRIu64
					 " = %" PRId64 " at position %" PRIu64 ", then %s pane %"
					 PRIu64 " = %" PRId64 " at position %" PRIu64, w->key,
					 w->start_ms, w->end_ms, timing_name(first->timing),
					 first->pane_index, first->value, first->position,
					 timing_name(pane->timing), pane->pane_index, pane->value,
					 pane->position);
	}
}

/* premature: a pane emitted while its operator's watermark was below end - 1. */
static void premature_judge(struct window_check_ctx *ctx, const struct window_slice *w)
{
	for (uint32_t index = 0; index < w->pane_count; index++) {
		const struct window_check_pane *pane = &ctx->input->panes[w->panes[index]];
		struct naming n;

		if (!pane->watermark_known || pane->watermark_ms >= w->end_ms - 1)
			continue;
		naming_start(&n, w, pane);
		check_text_add(&n.text, ": emitted at watermark %" PRId64 ", before end - 1 = %"
			       PRId64, pane->watermark_ms, w->end_ms - 1);
		naming_report(ctx, "premature", &n);
	}
}

/* The window's acknowledged events not in its side output (A \ D), as the final rule's. */
static uint32_t required_final(const struct window_check_ctx *ctx, const struct window_slice *w)
{
	uint32_t count = 0;

	for (uint32_t index = 0; index < w->member_count; index++) {
		const struct member *m = &w->members[index];

		if (m->variant == MEMBER_NORMAL && in_lower(ctx, RULE_FINAL, m->event))
			count++;
	}
	ASSERT(count <= w->member_count);
	return count;
}

/* A window with no pane: not judged before end of input; then lost-event if the evidence
 * says it fired, else stalled (liveness). */
static void unfired_judge(struct window_check_ctx *ctx, const struct window_slice *w)
{
	struct window_check_figures *f = &ctx->figures;
	uint32_t required = required_final(ctx, w);
	struct naming n;

	ASSERT(w->pane_count == 0);
	if (!required)
		return;
	if (!ctx->input->job.end_of_input) {
		f->windows_unfired++;
		return;
	}
	if (ctx->fired_known && ctx->fired_ms >= w->end_ms - 1) {
		naming_start(&n, w, NULL);
		check_text_add(&n.text, ": no pane, though every operator's watermark reached %"
			       PRId64 "; %" PRIu32 " acknowledged events not in the side output",
			       ctx->fired_ms, required);
		naming_events(ctx, w, &n, RULE_FINAL, MEMBER_NORMAL, NAME_REQUIRED, 0);
		naming_report(ctx, "lost-event", &n);
		return;
	}
	if (f->stalled_listed < CHK_WINDOW_STALLED_LISTED_MAX)
		f->stalled_first[f->stalled_listed++] = (struct window_check_stalled){
			.key = w->key, .window_start_ms = w->start_ms, .window_end_ms = w->end_ms,
			.events = required };
	f->stalled++;
}

/* Every distinct ON_TIME value, by the ON_TIME rule; incomplete if the window fired with
 * LATE panes only while events were on time. */
static void on_time_judge(struct window_check_ctx *ctx, const struct window_slice *w)
{
	const struct window_check_pane *judged = NULL, *late = NULL;
	struct set_stats lower, upper;
	struct naming n;

	for (uint32_t index = 0; index < w->pane_count; index++) {
		const struct window_check_pane *pane = &ctx->input->panes[w->panes[index]];

		if (pane->timing != STREAM_PANE_ON_TIME) {
			late = late ? late : pane;
			continue;
		}
		if (judged && judged->pane_index == pane->pane_index &&
		    judged->value == pane->value)
			continue; /* a replay, counted by replays_judge() */
		value_judge(ctx, w, RULE_ON_TIME, pane, false);
		judged = pane;
	}
	if (judged)
		return;
	ASSERT(late);
	bounds_of(ctx, w, RULE_ON_TIME, MEMBER_NORMAL, &lower, &upper);
	if (!lower.count)
		return;
	naming_start(&n, w, late);
	check_text_add(&n.text, ": the window fired without an ON_TIME pane; %" PRIu64
		       " acknowledged events were on time", lower.count);
	naming_events(ctx, w, &n, RULE_ON_TIME, MEMBER_NORMAL, NAME_REQUIRED, 0);
	naming_report(ctx, "incomplete", &n);
}

void window_check_judge(struct window_check_ctx *ctx, const struct window_slice *w)
{
	const struct window_check_pane *final;
	bool possible = false;

	for (uint32_t index = 0; index < w->pane_count; index++) {
		if (ctx->input->panes[w->panes[index]].timing == STREAM_PANE_ON_TIME)
			ctx->figures.panes_on_time++;
		else
			ctx->figures.panes_late++;
	}
	ctx->figures.side_outputs += w->late_count;
	if (!geometry_valid(ctx, w)) {
		geometry_report(ctx, w);
		return;
	}
	for (uint32_t index = 0; index < w->member_count && !possible; index++)
		possible = w->members[index].variant == MEMBER_NORMAL;
	if (!possible && !w->pane_count && !w->late_count)
		return; /* only a broken assignment's window: nothing was emitted for it */
	ctx->figures.windows_judged++;
	lates_judge(ctx, w);
	replays_judge(ctx, w);
	premature_judge(ctx, w);
	if (!w->pane_count) {
		unfired_judge(ctx, w);
	} else {
		on_time_judge(ctx, w);
		final = &ctx->input->panes[w->panes[w->pane_count - 1]];
		if (ctx->input->job.end_of_input)
			value_judge(ctx, w, RULE_FINAL, final,
				    final->timing == STREAM_PANE_ON_TIME);
	}
	for (uint32_t index = 0; index < w->member_count; index++)
		ctx->event_flags[w->members[index].event] &= (uint8_t)~EVENT_SIDE;
}
