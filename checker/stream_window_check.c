/* SPDX-License-Identifier: MIT */
/* stream_window_check.c - the window checker: input checks, the oracle's assignment, watermark
 * evidence and the walk over every window named by an event, a pane or a side output. */
#include "stream_window_check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"
#include "chk_limits.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "stream_window_check_internal.h"

STATIC_ASSERT(sizeof(struct member) == 24, "the member size CHK_WINDOW_MEMBERSHIPS_MAX states");
STATIC_ASSERT(EVENT_SIDE <= UINT8_MAX, "event flags fit a byte");

/* --- the declaration and the records --- */

static int job_check(const struct window_check_job *job, struct stream_window_spec *spec,
		     struct errbuf *eb)
{
	const struct stream_window_spec *given = &job->spec;
	int err;

	if (given->kind == STREAM_WINDOW_TUMBLING)
		err = stream_window_tumbling_init(spec, given->size_ms, given->offset_ms, eb);
	else if (given->kind == STREAM_WINDOW_SLIDING)
		err = stream_window_sliding_init(spec, given->size_ms, given->slide_ms,
						 given->offset_ms, eb);
	else
		return errbuf_set(eb, -EINVAL, "job: spec: kind %d", (int)given->kind);
	if (err)
		return errbuf_prefix(eb, err, "job: spec: ");
	if (given->c_remainder)
		return errbuf_set(eb, -EINVAL, "job: spec: c_remainder is a seeded bug, not a "
				  "declaration");
	if (spec->slide_ms != given->slide_ms || spec->offset_ms != given->offset_ms ||
	    spec->pane_ms != given->pane_ms)
		return errbuf_set(eb, -EINVAL, "job: spec: not as stream_window_*_init() makes it");
	if ((unsigned)job->aggregate > STREAM_AGGREGATE_MAXIMUM)
		return errbuf_set(eb, -EINVAL, "job: aggregate %d", (int)job->aggregate);
	if (job->lateness_ms < 0 || job->lateness_ms > STREAM_WINDOW_SIZE_MS_MAX)
		return errbuf_set(eb, -EINVAL, "job: lateness_ms %" PRId64 " is outside 0..%"
				  PRId64, job->lateness_ms, STREAM_WINDOW_SIZE_MS_MAX);
	if (job->out_of_orderness_ms < 0 || job->out_of_orderness_ms > STREAM_WINDOW_SIZE_MS_MAX)
		return errbuf_set(eb, -EINVAL, "job: out_of_orderness_ms %" PRId64 " is outside "
				  "0..%" PRId64, job->out_of_orderness_ms,
				  STREAM_WINDOW_SIZE_MS_MAX);
	if (job->guarantee != WINDOW_CHECK_EXACTLY_ONCE &&
	    job->guarantee != WINDOW_CHECK_AT_LEAST_ONCE)
		return errbuf_set(eb, -EINVAL, "job: guarantee %d", (int)job->guarantee);
	ASSERT(!spec->c_remainder);
	return 0;
}

static int counts_check(const struct window_check_input *in, struct errbuf *eb)
{
	if (in->event_count > CHK_WINDOW_EVENTS_MAX)
		return errbuf_set(eb, -E2BIG, "events: %u, over %d", in->event_count,
				  CHK_WINDOW_EVENTS_MAX);
	if (in->pane_count > CHK_WINDOW_PANES_MAX)
		return errbuf_set(eb, -E2BIG, "panes: %u, over %d", in->pane_count,
				  CHK_WINDOW_PANES_MAX);
	if (in->late_count > CHK_WINDOW_LATES_MAX)
		return errbuf_set(eb, -E2BIG, "lates: %u, over %d", in->late_count,
				  CHK_WINDOW_LATES_MAX);
	if (in->watermark_count > CHK_WINDOW_WATERMARKS_MAX)
		return errbuf_set(eb, -E2BIG, "watermarks: %u, over %d", in->watermark_count,
				  CHK_WINDOW_WATERMARKS_MAX);
	if ((!in->events && in->event_count) || (!in->panes && in->pane_count) ||
	    (!in->lates && in->late_count) || (!in->watermarks && in->watermark_count))
		return errbuf_set(eb, -EINVAL, "a record array is NULL with a count");
	return 0;
}

static int event_check(const struct window_check_event *e, uint32_t index, struct errbuf *eb)
{
	bool completed = e->complete_position != WINDOW_CHECK_POSITION_NONE;

	if (!stream_window_time_valid(e->time_ms))
		return errbuf_set(eb, -EINVAL, "events[%u] id %" PRIu64 ": time_ms %" PRId64
				  " is outside +-%" PRId64, index, e->id, e->time_ms,
				  STREAM_WINDOW_TIME_MS_MAX);
	if (e->value < 0 || e->value > CHK_WINDOW_VALUE_MAX)
		return errbuf_set(eb, -EINVAL, "events[%u] id %" PRIu64 ": value %" PRId64
				  " is outside 0..%" PRId64, index, e->id, e->value,
				  CHK_WINDOW_VALUE_MAX);
	if (e->outcome != WINDOW_CHECK_SEND_OK && e->outcome != WINDOW_CHECK_SEND_FAIL &&
	    e->outcome != WINDOW_CHECK_SEND_INFO)
		return errbuf_set(eb, -EINVAL, "events[%u] id %" PRIu64 ": outcome %d", index,
				  e->id, (int)e->outcome);
	if (!completed && e->outcome != WINDOW_CHECK_SEND_INFO)
		return errbuf_set(eb, -EINVAL, "events[%u] id %" PRIu64 ": ok or fail without a "
				  "completion", index, e->id);
	if (completed && e->complete_position <= e->invoke_position)
		return errbuf_set(eb, -EINVAL, "events[%u] id %" PRIu64 ": completed at %" PRIu64
				  ", not after its invoke at %" PRIu64, index, e->id,
				  e->complete_position, e->invoke_position);
	return 0;
}

static int records_check(const struct window_check_input *in, struct errbuf *eb)
{
	for (uint32_t index = 0; index < in->event_count; index++) {
		int err = event_check(&in->events[index], index, eb);

		if (err)
			return err;
	}
	for (uint32_t index = 0; index < in->pane_count; index++) {
		enum stream_pane_timing timing = in->panes[index].timing;

		if (timing != STREAM_PANE_ON_TIME && timing != STREAM_PANE_LATE)
			return errbuf_set(eb, -EINVAL, "panes[%u]: timing %d", index, (int)timing);
	}
	for (uint32_t index = 0; index < in->watermark_count; index++) {
		int32_t input = in->watermarks[index].input;

		if (input < -1 || input >= CHK_WINDOW_OPERATOR_INPUTS_MAX)
			return errbuf_set(eb, -EINVAL, "watermarks[%u]: input %d is outside -1..%d",
					  index, input, CHK_WINDOW_OPERATOR_INPUTS_MAX - 1);
	}
	return 0;
}

/* --- sorting --- */

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int by_id_cmp(const void *a, const void *b, void *arg)
{
	const struct window_check_event *events = arg;

	return cmp_u64(events[*(const uint32_t *)a].id, events[*(const uint32_t *)b].id);
}

static int member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	int c = cmp_u64(x->key, y->key);

	if (!c)
		c = cmp_i64(x->start_ms, y->start_ms);
	if (!c)
		c = cmp_u64(x->variant, y->variant);
	return c ? c : cmp_u64(x->event, y->event);
}

/* Records ordered by key, then window start, then end. */
static int key_window_cmp(uint64_t key_a, int64_t start_a, int64_t end_a, uint64_t key_b,
			  int64_t start_b, int64_t end_b)
{
	int c = cmp_u64(key_a, key_b);

	if (!c)
		c = cmp_i64(start_a, start_b);
	return c ? c : cmp_i64(end_a, end_b);
}

static int pane_cmp(const void *a, const void *b, void *arg)
{
	const struct window_check_pane *x = (const struct window_check_pane *)arg +
					    *(const uint32_t *)a;
	const struct window_check_pane *y = (const struct window_check_pane *)arg +
					    *(const uint32_t *)b;
	int c = key_window_cmp(x->key, x->window_start_ms, x->window_end_ms, y->key,
			       y->window_start_ms, y->window_end_ms);

	if (!c)
		c = cmp_u64(x->pane_index, y->pane_index);
	return c ? c : cmp_u64(x->position, y->position);
}

static int late_cmp(const void *a, const void *b, void *arg)
{
	const struct window_check_late *x = (const struct window_check_late *)arg +
					    *(const uint32_t *)a;
	const struct window_check_late *y = (const struct window_check_late *)arg +
					    *(const uint32_t *)b;
	int c = key_window_cmp(x->key, x->window_start_ms, x->window_end_ms, y->key,
			       y->window_start_ms, y->window_end_ms);

	if (!c)
		c = cmp_u64(x->event_id, y->event_id);
	return c ? c : cmp_u64(x->position, y->position);
}

int64_t window_check_event_find(const struct window_check_ctx *ctx, uint64_t id)
{
	const struct window_check_event *events = ctx->input->events;
	uint32_t low = 0, high = ctx->input->event_count;

	while (low < high) {
		uint32_t middle = low + (high - low) / 2;

		if (events[ctx->by_id[middle]].id < id)
			low = middle + 1;
		else
			high = middle;
	}
	ASSERT(low <= ctx->input->event_count);
	if (low < ctx->input->event_count && events[ctx->by_id[low]].id == id)
		return ctx->by_id[low];
	return -1;
}

/* --- on time by the bound --- */

/* Events of one source by a position: (source, position, index), sorted. */
struct source_order {
	uint32_t source;
	uint32_t event;
	uint64_t position;
};

static int source_order_cmp(const void *a, const void *b)
{
	const struct source_order *x = a, *y = b;
	int c = cmp_u64(x->source, y->source);

	if (!c)
		c = cmp_u64(x->position, y->position);
	return c ? c : cmp_u64(x->event, y->event);
}

/* The two latest times seen so far at one source, and whose they are. */
struct time_top {
	int64_t first_ms, second_ms;
	int64_t first_event;                    /* -1: none yet */
};

static void time_top_add(struct time_top *top, int64_t time_ms, uint32_t event)
{
	if (top->first_event < 0 || time_ms > top->first_ms) {
		top->second_ms = top->first_ms;
		top->first_ms = time_ms;
		top->first_event = event;
	} else if (time_ms > top->second_ms) {
		top->second_ms = time_ms;
	}
	ASSERT(top->first_ms >= top->second_ms);
	ASSERT(top->first_event >= 0);
}

/*
 * Mark EVENT_ON_TIME: per source, sweep the ok sends by completion while adding every ok or
 * info send invoked before it (@sent, by invoke) to the running top two; an event's own time
 * is skipped by taking the second when it is the first. O(n log n).
 */
static void on_time_mark(struct window_check_ctx *ctx, struct source_order *sent,
			 uint32_t sent_count, struct source_order *acked, uint32_t acked_count)
{
	const struct window_check_event *events = ctx->input->events;
	int64_t bound_ms = ctx->input->job.out_of_orderness_ms;
	struct time_top top = { INT64_MIN, INT64_MIN, -1 };
	uint32_t next = 0;

	qsort(sent, sent_count, sizeof(*sent), source_order_cmp);
	qsort(acked, acked_count, sizeof(*acked), source_order_cmp);
	for (uint32_t index = 0; index < acked_count; index++) {
		const struct source_order *a = &acked[index];
		int64_t seen_ms;

		if (index == 0 || acked[index - 1].source != a->source) {
			top = (struct time_top){ INT64_MIN, INT64_MIN, -1 };
			while (next < sent_count && sent[next].source < a->source)
				next++;
		}
		for (; next < sent_count && sent[next].source == a->source &&
		       sent[next].position < a->position; next++)
			time_top_add(&top, events[sent[next].event].time_ms, sent[next].event);
		ASSERT(top.first_event >= 0); /* the event's own send was invoked before */
		seen_ms = top.first_event == (int64_t)a->event ? top.second_ms : top.first_ms;
		if (seen_ms == INT64_MIN || events[a->event].time_ms > seen_ms - bound_ms) {
			ctx->event_flags[a->event] |= EVENT_ON_TIME;
			ctx->figures.events_on_time++;
		} else {
			ctx->figures.events_late++;
		}
	}
	ASSERT(ctx->figures.events_on_time + ctx->figures.events_late == acked_count);
}

/* --- the oracle's assignment, and the broken engines' --- */

/* The starts of the windows @variant puts @time_ms in, ascending; how many. */
static uint32_t variant_windows(const struct stream_window_spec *spec, int64_t time_ms,
				enum member_variant variant, int64_t *starts)
{
	struct stream_window_spec broken = *spec;
	int64_t pane_ms;

	ASSERT(!spec->c_remainder);
	ASSERT(stream_window_time_valid(time_ms));
	broken.c_remainder = true;
	switch (variant) {
	case MEMBER_NORMAL:
		return stream_window_assign(spec, time_ms, starts, STREAM_WINDOW_ASSIGN_MAX);
	case MEMBER_END_INCLUSIVE:
		if (stream_window_mod(time_ms - spec->size_ms - spec->offset_ms,
				      spec->slide_ms) != 0)
			return 0;
		starts[0] = time_ms - spec->size_ms;
		return 1;
	case MEMBER_REMAINDER_ASSIGN:
		return stream_window_assign(&broken, time_ms, starts, STREAM_WINDOW_ASSIGN_MAX);
	case MEMBER_REMAINDER_PANE:
		pane_ms = stream_window_pane_start(&broken, time_ms);
		return stream_window_pane_windows(spec, pane_ms, starts, STREAM_WINDOW_ASSIGN_MAX);
	case MEMBER_VARIANTS:
		break;
	}
	ASSERT(false);
	return 0;
}

/*
 * The members of event @event, appended at @members (room checked by the caller) unless it
 * is NULL; how many. A REMAINDER variant that gives the oracle's windows adds none.
 */
static uint32_t event_members(struct window_check_ctx *ctx, uint32_t event,
			      struct member *members)
{
	const struct window_check_event *e = &ctx->input->events[event];
	int64_t normal[STREAM_WINDOW_ASSIGN_MAX], starts[STREAM_WINDOW_ASSIGN_MAX];
	uint32_t normal_count = variant_windows(&ctx->spec, e->time_ms, MEMBER_NORMAL, normal);
	uint32_t total = 0;

	for (uint32_t variant = MEMBER_NORMAL; variant < MEMBER_VARIANTS; variant++) {
		uint32_t count = variant == MEMBER_NORMAL ? normal_count :
			variant_windows(&ctx->spec, e->time_ms, variant, starts);
		const int64_t *from = variant == MEMBER_NORMAL ? normal : starts;

		if (variant >= MEMBER_REMAINDER_ASSIGN && count == normal_count &&
		    memcmp(starts, normal, count * sizeof(starts[0])) == 0)
			continue;
		if (members && variant == MEMBER_REMAINDER_ASSIGN)
			ctx->event_flags[event] |= EVENT_REMAINDER_ASSIGN_DIFFERS;
		if (members && variant == MEMBER_REMAINDER_PANE)
			ctx->event_flags[event] |= EVENT_REMAINDER_PANE_DIFFERS;
		for (uint32_t index = 0; index < count; index++) {
			if (members)
				members[total] = (struct member){
					.key = e->key, .start_ms = from[index], .event = event,
					.variant = variant };
			total++;
		}
	}
	ASSERT(total >= normal_count);
	ASSERT(total <= MEMBER_VARIANTS * STREAM_WINDOW_ASSIGN_MAX);
	return total;
}

/* Count, bound, allocate and fill ctx->members, sorted. */
static int members_build(struct window_check_ctx *ctx, struct errbuf *eb)
{
	const struct window_check_input *in = ctx->input;
	uint64_t total = 0;
	uint32_t filled = 0;

	for (uint32_t event = 0; event < in->event_count; event++) {
		if (in->events[event].outcome == WINDOW_CHECK_SEND_FAIL)
			continue;
		total += event_members(ctx, event, NULL);
		if (total > CHK_WINDOW_MEMBERSHIPS_MAX)
			return errbuf_set(eb, -E2BIG, "events: over %d (event, window) pairs by "
					  "events[%u] (the oracle's and the broken assignments')",
					  CHK_WINDOW_MEMBERSHIPS_MAX, event);
	}
	ctx->members = calloc(total ? total : 1, sizeof(*ctx->members));
	if (!ctx->members)
		return errbuf_set(eb, -ENOMEM, "window check: %" PRIu64 " memberships", total);
	for (uint32_t event = 0; event < in->event_count; event++) {
		if (in->events[event].outcome != WINDOW_CHECK_SEND_FAIL)
			filled += event_members(ctx, event, ctx->members + filled);
	}
	ASSERT(filled == total);
	ctx->member_count = filled;
	qsort(ctx->members, filled, sizeof(*ctx->members), member_cmp);
	return 0;
}

/* --- watermark evidence --- */

static int watermark_cmp(const void *a, const void *b, void *arg)
{
	const struct window_check_watermark *x = (const struct window_check_watermark *)arg +
						 *(const uint32_t *)a;
	const struct window_check_watermark *y = (const struct window_check_watermark *)arg +
						 *(const uint32_t *)b;
	int c = cmp_u64(x->operator_id, y->operator_id);

	if (!c)
		c = cmp_u64(x->incarnation, y->incarnation);
	return c ? c : cmp_u64(x->position, y->position);
}

/* What one operator's evidence showed so far. */
struct operator_view {
	bool input_seen[CHK_WINDOW_OPERATOR_INPUTS_MAX];
	bool input_idle[CHK_WINDOW_OPERATOR_INPUTS_MAX];
	int64_t input_ms[CHK_WINDOW_OPERATOR_INPUTS_MAX];      /* the highest each showed */
	bool own_seen;
	int64_t own_ms;                                         /* the highest own one */
};

/* The least highest watermark of the non-idle inputs seen; false if there is none. */
static bool inputs_minimum(const struct operator_view *view, int64_t *minimum_ms,
			   int32_t *input)
{
	bool any = false;

	for (int32_t index = 0; index < CHK_WINDOW_OPERATOR_INPUTS_MAX; index++) {
		if (!view->input_seen[index] || view->input_idle[index])
			continue;
		if (!any || view->input_ms[index] < *minimum_ms) {
			*minimum_ms = view->input_ms[index];
			*input = index;
		}
		any = true;
	}
	if (any)
		ASSERT(*input >= 0);
	return any;
}

static void own_watermark_judge(struct window_check_ctx *ctx, struct operator_view *view,
				const struct window_check_watermark *w)
{
	int64_t minimum_ms = 0;
	int32_t input = -1;

	ASSERT(w->input == -1);
	if (view->own_seen && w->watermark_ms < view->own_ms)
		check_result_add_anomaly(ctx->result, "watermark-regress", NULL, 0,
					 "operator %" PRIu32 " incarnation %" PRIu32 ": its "
					 "watermark went back from %" PRId64 " to %" PRId64
					 " at evidence position %" PRIu64, w->operator_id,
					 w->incarnation, view->own_ms, w->watermark_ms,
					 w->position);
	if (inputs_minimum(view, &minimum_ms, &input) && w->watermark_ms > minimum_ms)
		check_result_add_anomaly(ctx->result, "watermark-regress", NULL, 0,
					 "operator %" PRIu32 " incarnation %" PRIu32 ": its "
					 "watermark %" PRId64 " at evidence position %" PRIu64
					 " is past the minimum of its active inputs', %" PRId64
					 " (input %d)", w->operator_id, w->incarnation,
					 w->watermark_ms, w->position, minimum_ms, input);
	if (!view->own_seen || w->watermark_ms > view->own_ms)
		view->own_ms = w->watermark_ms;
	view->own_seen = true;
	ASSERT(view->own_ms >= w->watermark_ms);
}

static bool same_incarnation(const struct window_check_watermark *a,
			     const struct window_check_watermark *b)
{
	return a->operator_id == b->operator_id && a->incarnation == b->incarnation;
}

/* One operator incarnation's observations @order[0 .. count), by position. */
static void operator_judge(struct window_check_ctx *ctx, const uint32_t *order, uint32_t count,
			   struct operator_view *view)
{
	const struct window_check_watermark *marks = ctx->input->watermarks;

	memset(view, 0, sizeof(*view));
	for (uint32_t index = 0; index < count; index++) {
		const struct window_check_watermark *w = &marks[order[index]];

		ASSERT(same_incarnation(w, &marks[order[0]]));
		if (w->input == -1) {
			own_watermark_judge(ctx, view, w);
			continue;
		}
		if (!view->input_seen[w->input] || w->watermark_ms > view->input_ms[w->input])
			view->input_ms[w->input] = w->watermark_ms;
		view->input_seen[w->input] = true;
		view->input_idle[w->input] = w->idle;
	}
}

/* Sort the observations by (operator, incarnation, position) into @order; positions must be
 * distinct within an incarnation. */
static int watermarks_sort(const struct window_check_input *in, uint32_t *order,
			   struct errbuf *eb)
{
	for (uint32_t index = 0; index < in->watermark_count; index++)
		order[index] = index;
	qsort_r(order, in->watermark_count, sizeof(*order), watermark_cmp,
		(void *)in->watermarks);
	for (uint32_t index = 1; index < in->watermark_count; index++) {
		const struct window_check_watermark *a = &in->watermarks[order[index - 1]];
		const struct window_check_watermark *b = &in->watermarks[order[index]];

		if (same_incarnation(a, b) && a->position == b->position)
			return errbuf_set(eb, -EINVAL, "watermarks[%u] and [%u]: operator %" PRIu32
					  " incarnation %" PRIu32 " has two observations at "
					  "position %" PRIu64, order[index - 1], order[index],
					  a->operator_id, a->incarnation, a->position);
	}
	return 0;
}

/* watermark-regress over every operator incarnation (@order from watermarks_sort());
 * ctx->fired_ms from each operator's latest incarnation (a restart may go back). */
static void watermarks_judge(struct window_check_ctx *ctx, const uint32_t *order)
{
	const struct window_check_input *in = ctx->input;
	struct operator_view view;
	uint32_t first = 0;

	for (uint32_t index = 1; index <= in->watermark_count; index++) {
		const struct window_check_watermark *w = &in->watermarks[order[first]];
		bool last = index == in->watermark_count;

		if (!last && same_incarnation(&in->watermarks[order[index]], w))
			continue;
		operator_judge(ctx, order + first, index - first, &view);
		first = index;
		if (!last && in->watermarks[order[index]].operator_id == w->operator_id)
			continue;       /* a later incarnation of this operator follows */
		if (!view.own_seen)
			continue;
		if (!ctx->fired_known || view.own_ms < ctx->fired_ms)
			ctx->fired_ms = view.own_ms;
		ctx->fired_known = true;
	}
	ASSERT(first == in->watermark_count);
	if (ctx->fired_known)
		ASSERT(in->watermark_count > 0);
}

/* --- the walk over windows --- */

struct window_id {
	uint64_t key;
	int64_t start_ms, end_ms;
};

static int window_id_cmp(const struct window_id *a, const struct window_id *b)
{
	int c = cmp_u64(a->key, b->key);

	if (!c)
		c = cmp_i64(a->start_ms, b->start_ms);
	return c ? c : cmp_i64(a->end_ms, b->end_ms);
}

static struct window_id member_id(const struct window_check_ctx *ctx, uint32_t index)
{
	const struct member *m = &ctx->members[index];

	return (struct window_id){ m->key, m->start_ms, m->start_ms + ctx->spec.size_ms };
}

static struct window_id pane_id(const struct window_check_ctx *ctx, uint32_t index)
{
	const struct window_check_pane *p = &ctx->input->panes[ctx->pane_order[index]];

	return (struct window_id){ p->key, p->window_start_ms, p->window_end_ms };
}

static struct window_id late_id(const struct window_check_ctx *ctx, uint32_t index)
{
	const struct window_check_late *l = &ctx->input->lates[ctx->late_order[index]];

	return (struct window_id){ l->key, l->window_start_ms, l->window_end_ms };
}

static void window_least(struct window_id *least, bool *found, struct window_id candidate)
{
	if (!*found || window_id_cmp(&candidate, least) < 0)
		*least = candidate;
	*found = true;
}

/* Judge every window named by a member, a pane or a side-output record, in order. */
static void windows_walk(struct window_check_ctx *ctx)
{
	const struct window_check_input *in = ctx->input;
	uint32_t m = 0, p = 0, l = 0;

	while (m < ctx->member_count || p < in->pane_count || l < in->late_count) {
		struct window_id id = { 0, 0, 0 }, here;
		struct window_slice w;
		bool found = false;

		if (m < ctx->member_count)
			window_least(&id, &found, member_id(ctx, m));
		if (p < in->pane_count)
			window_least(&id, &found, pane_id(ctx, p));
		if (l < in->late_count)
			window_least(&id, &found, late_id(ctx, l));
		ASSERT(found);
		w = (struct window_slice){ .key = id.key, .start_ms = id.start_ms,
					   .end_ms = id.end_ms, .members = ctx->members + m,
					   .panes = ctx->pane_order + p,
					   .lates = ctx->late_order + l };
		for (; m < ctx->member_count && (here = member_id(ctx, m),
						 window_id_cmp(&here, &id) == 0); m++)
			w.member_count++;
		for (; p < in->pane_count && (here = pane_id(ctx, p),
					      window_id_cmp(&here, &id) == 0); p++)
			w.pane_count++;
		for (; l < in->late_count && (here = late_id(ctx, l),
					      window_id_cmp(&here, &id) == 0); l++)
			w.late_count++;
		ASSERT(w.member_count + w.pane_count + w.late_count > 0);
		window_check_judge(ctx, &w);
	}
}

/* --- setup and the entry point --- */

static void ctx_release(struct window_check_ctx *ctx)
{
	free(ctx->event_flags);
	free(ctx->by_id);
	free(ctx->members);
	free(ctx->pane_order);
	free(ctx->late_order);
	free(ctx->subset_bits);
	free(ctx->watermark_order);
}

static int ctx_alloc(struct window_check_ctx *ctx, struct errbuf *eb)
{
	const struct window_check_input *in = ctx->input;

	ctx->event_flags = calloc(in->event_count + 1, sizeof(*ctx->event_flags));
	ctx->by_id = calloc(in->event_count + 1, sizeof(*ctx->by_id));
	ctx->pane_order = calloc(in->pane_count + 1, sizeof(*ctx->pane_order));
	ctx->late_order = calloc(in->late_count + 1, sizeof(*ctx->late_order));
	ctx->subset_bits = calloc(CHK_WINDOW_SUBSET_SUM_TARGET_MAX / 64 + 1,
				  sizeof(*ctx->subset_bits));
	ctx->watermark_order = calloc(in->watermark_count + 1, sizeof(*ctx->watermark_order));
	if (!ctx->event_flags || !ctx->by_id || !ctx->pane_order || !ctx->late_order ||
	    !ctx->subset_bits || !ctx->watermark_order)
		return errbuf_set(eb, -ENOMEM, "window check: %u events, %u panes, %u lates",
				  in->event_count, in->pane_count, in->late_count);
	for (uint32_t index = 0; index < in->event_count; index++)
		ctx->by_id[index] = index;
	for (uint32_t index = 0; index < in->pane_count; index++)
		ctx->pane_order[index] = index;
	for (uint32_t index = 0; index < in->late_count; index++)
		ctx->late_order[index] = index;
	return 0;
}

/* Sort by id, refusing duplicates; count outcomes; mark the events on time. */
static int events_prepare(struct window_check_ctx *ctx, struct errbuf *eb)
{
	const struct window_check_input *in = ctx->input;
	struct source_order *sent = calloc(in->event_count + 1, sizeof(*sent));
	struct source_order *acked = calloc(in->event_count + 1, sizeof(*acked));
	uint32_t sent_count = 0, acked_count = 0;

	if (!sent || !acked) {
		free(sent);
		free(acked);
		return errbuf_set(eb, -ENOMEM, "window check: %u events", in->event_count);
	}
	qsort_r(ctx->by_id, in->event_count, sizeof(*ctx->by_id), by_id_cmp, (void *)in->events);
	for (uint32_t index = 1; index < in->event_count; index++) {
		uint32_t before = ctx->by_id[index - 1], after = ctx->by_id[index];

		if (in->events[before].id != in->events[after].id)
			continue;
		free(sent);
		free(acked);
		return errbuf_set(eb, -EINVAL, "events[%u] and [%u]: both have id %" PRIu64,
				  before, after, in->events[after].id);
	}
	for (uint32_t index = 0; index < in->event_count; index++) {
		const struct window_check_event *e = &in->events[index];

		if (e->outcome == WINDOW_CHECK_SEND_FAIL) {
			ctx->figures.events_failed++;
			continue;
		}
		ctx->figures.events_judged++;
		sent[sent_count++] = (struct source_order){ e->source, index, e->invoke_position };
		if (e->outcome == WINDOW_CHECK_SEND_INFO)
			ctx->figures.events_info++;
		else
			acked[acked_count++] = (struct source_order){ e->source, index,
								      e->complete_position };
	}
	ctx->figures.events_acknowledged = acked_count;
	on_time_mark(ctx, sent, sent_count, acked, acked_count);
	free(sent);
	free(acked);
	return 0;
}

static void figures_add(struct window_check_ctx *ctx)
{
	const struct window_check_figures *f = &ctx->figures;

	check_result_add_figures(ctx->result, "window: events judged %" PRIu64 " (acknowledged %"
				 PRIu64 ", info %" PRIu64 "), failed %" PRIu64 "; acknowledged on "
				 "time %" PRIu64 ", late %" PRIu64 "\n", f->events_judged,
				 f->events_acknowledged, f->events_info, f->events_failed,
				 f->events_on_time, f->events_late);
	check_result_add_figures(ctx->result, "window: windows judged %" PRIu64 "; panes on time %"
				 PRIu64 ", late %" PRIu64 "; side outputs %" PRIu64 "; unfired "
				 "windows not judged %" PRIu64 "\n", f->windows_judged,
				 f->panes_on_time, f->panes_late, f->side_outputs,
				 f->windows_unfired);
	check_result_add_figures(ctx->result, "window: pane replays %" PRIu64 " (with another "
				 "value %" PRIu64 "); panes over the bound %" PRIu64 " (by %"
				 PRIu64 "); sums judged by range only %" PRIu64 "\n",
				 f->pane_replays, f->pane_replays_differing, f->panes_over,
				 f->panes_over_excess, f->sums_by_range);
	check_result_add_figures(ctx->result, "window: stalled windows (liveness) %" PRIu64 "\n",
				 f->stalled);
	for (uint32_t index = 0; index < f->stalled_listed; index++)
		check_result_add_figures(ctx->result, "window: stalled: key %" PRIu64 " window [%"
					 PRId64 ", %" PRId64 "): %" PRIu32 " acknowledged events, "
					 "no pane\n", f->stalled_first[index].key,
					 f->stalled_first[index].window_start_ms,
					 f->stalled_first[index].window_end_ms,
					 f->stalled_first[index].events);
	ASSERT(f->stalled_listed <= CHK_WINDOW_STALLED_LISTED_MAX);
	ASSERT(f->stalled_listed <= f->stalled);
}

int window_check(const struct window_check_input *input, struct check_result *result,
		 struct window_check_figures *figures, struct errbuf *eb)
{
	struct window_check_ctx ctx = { .input = input, .result = result };
	int err;

	ASSERT(input);
	ASSERT(result);
	ASSERT(figures);
	err = job_check(&input->job, &ctx.spec, eb);
	if (!err)
		err = counts_check(input, eb);
	if (!err)
		err = records_check(input, eb);
	if (!err)
		err = ctx_alloc(&ctx, eb);
	if (!err)
		err = events_prepare(&ctx, eb);
	if (!err)
		err = watermarks_sort(input, ctx.watermark_order, eb);
	if (!err)
		err = members_build(&ctx, eb);
	if (!err) {
		/* Nothing fails from here on: @result changes only with a complete judgement. */
		qsort_r(ctx.pane_order, input->pane_count, sizeof(*ctx.pane_order), pane_cmp,
			(void *)input->panes);
		qsort_r(ctx.late_order, input->late_count, sizeof(*ctx.late_order), late_cmp,
			(void *)input->lates);
		watermarks_judge(&ctx, ctx.watermark_order);
		windows_walk(&ctx);
		figures_add(&ctx);
		*figures = ctx.figures;
	}
	ctx_release(&ctx);
	return err;
}
