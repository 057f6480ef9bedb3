/* SPDX-License-Identifier: MIT */
/*
 * stream_window_stall.c - did an operator's watermark keep up while the job ran? The rule,
 * judged on the operators' status reads (f "read" to an operator node, ok, not final),
 * each at its invocation time T, away from faults:
 *   T' = T - D, D = checkpoint + 1 s (pulls, a barrier's alignment, the checkpoint that
 *   releases output). Source s must be idle by T' when no event it may have appended came
 *   after T' - idle timeout - 0.5 s (events sent to it, ok or info, completed before that).
 *   Every other source s has acknowledged events by T' up to time M_s; its watermark M_s - B
 *   reached every operator by T. The operator's watermark must be at least
 *   min over those sources of (M_s - B): a source that must be idle holds nobody back.
 * A read is judged only when no fault was in force from T' - idle timeout - 0.5 s to the
 * read's completion, and every source either must be idle or has acknowledged an event.
 * A correct job meets it (its sources go idle after the timeout; a stalled source's wait
 * starts again, which the slack covers); one whose idle source never says so does not
 * (Beam#20908: an idle partition pins the watermark).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"
#include "liveness.h"
#include "stream_window_run_internal.h"

enum { STALL_SLACK_MS = 500, STALL_PIPELINE_MS = 1000, STALL_SPANS_MAX = 4096 };

/* One acknowledged event of a source, by completion time, with the highest time so far. */
struct acked {
	int64_t at_ns, max_time_ms;
};

/* One send to a source (ok or info) by invocation time, with the latest completion so far
 * (INT64_MAX: one of them never completed). */
struct sent {
	int64_t invoked_ns, done_max_ns;
};

struct stall {
	const struct history *h;
	const struct window_run *run;
	struct acked *acked[CHK_WINDOW_OPERATOR_INPUTS_MAX];
	uint32_t acked_count[CHK_WINDOW_OPERATOR_INPUTS_MAX];
	struct sent *sent[CHK_WINDOW_OPERATOR_INPUTS_MAX];
	uint32_t sent_count[CHK_WINDOW_OPERATOR_INPUTS_MAX];
	int64_t (*spans)[2];
	uint32_t span_count;
	bool spans_overflow;
	uint64_t reads, judged, below;
	bool reported[CHK_WINDOW_OPERATORS_MAX];
};

/* M_s at @t_ns: the highest event time of source @s acknowledged by then, or INT64_MIN. */
static int64_t max_acked(const struct stall *st, uint32_t s, int64_t t_ns)
{
	uint32_t lo = 0, hi = st->acked_count[s];

	while (lo < hi) {               /* the first acked after t_ns */
		uint32_t mid = lo + (hi - lo) / 2;

		if (st->acked[s][mid].at_ns <= t_ns)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? st->acked[s][lo - 1].max_time_ms : INT64_MIN;
}

/* Might source @s have appended an event after @t_ns? (a send to it, ok or info, invoked
 * before @until_ns and not completed by @t_ns) O(log n): the sends are sorted by invocation,
 * each with the latest completion of those before it. */
static bool appended_after(const struct stall *st, uint32_t s, int64_t t_ns, int64_t until_ns)
{
	uint32_t lo = 0, hi = st->sent_count[s];

	while (lo < hi) {               /* the first invoked at or after until_ns */
		uint32_t mid = lo + (hi - lo) / 2;

		if (st->sent[s][mid].invoked_ns < until_ns)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && st->sent[s][lo - 1].done_max_ns > t_ns;
}

static bool quiet(const struct stall *st, int64_t from_ns, int64_t to_ns)
{
	if (st->spans_overflow)
		return false;
	for (uint32_t k = 0; k < st->span_count; k++)
		if (st->spans[k][0] <= to_ns && st->spans[k][1] >= from_ns)
			return false;
	return true;
}

/* The bound at @t_ns: min over the sources not surely idle of M_s - B; false if none. */
static bool bound_at(const struct stall *st, int64_t t_ns, int64_t *bound_ms)
{
	const struct window_run *run = st->run;
	int64_t idle_from = t_ns - (run->idle_timeout_ms + STALL_SLACK_MS) * 1000000;
	bool any = false;

	*bound_ms = INT64_MAX;
	for (uint32_t s = 0; s < run->sources; s++) {
		int64_t m = max_acked(st, s, t_ns);

		if (!appended_after(st, s, idle_from, t_ns) && idle_from > 0)
			continue;       /* idle by now: it holds nobody back */
		if (m == INT64_MIN)
			return false;   /* a live source that showed no watermark yet */
		m -= run->input.job.out_of_orderness_ms;
		*bound_ms = m < *bound_ms ? m : *bound_ms;
		any = true;
	}
	return any;
}

static int acked_before(const void *x, const void *y)
{
	const struct acked *a = x, *b = y;

	return a->at_ns < b->at_ns ? -1 : a->at_ns > b->at_ns;
}

static int sent_before(const void *x, const void *y)
{
	const struct sent *a = x, *b = y;

	return a->invoked_ns < b->invoked_ns ? -1 : a->invoked_ns > b->invoked_ns;
}

/* Source @s's arrays, made on its first event: room for every event. */
static int source_arrays(struct stall *st, uint32_t s, struct errbuf *eb)
{
	uint32_t events = st->run->input.event_count;

	ASSERT(s < st->run->sources);
	if (!st->sent[s])
		st->sent[s] = calloc(events, sizeof(*st->sent[s]));
	if (!st->acked[s])
		st->acked[s] = calloc(events, sizeof(*st->acked[s]));
	if (!st->sent[s] || !st->acked[s])
		return errbuf_set(eb, -ENOMEM, "out of memory");
	return 0;
}

/* Sort source @s's sends by invocation and its acks by completion, each carrying its running
 * maximum (of completions; of event times). */
static void source_sort(struct stall *st, uint32_t s)
{
	struct sent *sent = st->sent[s];
	struct acked *acked = st->acked[s];

	if (st->sent_count[s])
		qsort(sent, st->sent_count[s], sizeof(*sent), sent_before);
	if (st->acked_count[s])
		qsort(acked, st->acked_count[s], sizeof(*acked), acked_before);
	for (uint32_t k = 1; k < st->sent_count[s]; k++)
		if (sent[k - 1].done_max_ns > sent[k].done_max_ns)
			sent[k].done_max_ns = sent[k - 1].done_max_ns;
	for (uint32_t k = 1; k < st->acked_count[s]; k++)
		if (acked[k - 1].max_time_ms > acked[k].max_time_ms)
			acked[k].max_time_ms = acked[k - 1].max_time_ms;
}

/* Every source's sends that did not fail (by invocation) and acknowledged events (by
 * completion), and the faults as spans. */
static int stall_load(struct stall *st, struct errbuf *eb)
{
	const struct window_check_input *in = &st->run->input;
	int err;

	for (uint32_t k = 0; k < in->event_count; k++) {
		const struct window_check_event *e = &in->events[k];
		uint32_t s = e->source;

		if (e->outcome == WINDOW_CHECK_SEND_FAIL)
			continue;
		err = source_arrays(st, s, eb);
		if (err)
			return err;
		st->sent[s][st->sent_count[s]++] = (struct sent){
			.invoked_ns = st->h->ops[e->invoke_position].time_ns,
			.done_max_ns = e->complete_position == WINDOW_CHECK_POSITION_NONE
				       ? INT64_MAX : st->h->ops[e->complete_position].time_ns };
		if (e->outcome == WINDOW_CHECK_SEND_OK)
			st->acked[s][st->acked_count[s]++] = (struct acked){
				.at_ns = st->h->ops[e->complete_position].time_ns,
				.max_time_ms = e->time_ms };
	}
	for (uint32_t s = 0; s < st->run->sources; s++)
		source_sort(st, s);
	st->spans = calloc(STALL_SPANS_MAX, sizeof(*st->spans));
	if (!st->spans)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < st->h->count; i++) {
		int64_t from, to;

		if (!liveness_fault_span(st->h, i, &from, &to))
			continue;
		if (st->span_count == STALL_SPANS_MAX) {
			st->spans_overflow = true;
			break;
		}
		st->spans[st->span_count][0] = from;
		st->spans[st->span_count++][1] = to;
	}
	return 0;
}

/* Op @c, an ok status read of an operator: its operator number and watermark. */
static bool operator_read(const struct stall *st, const struct op *c, uint32_t *w,
			  int64_t *watermark_ms)
{
	const char *node = op_node(c), *json;
	unsigned k;
	char *end;

	if (c->process < 0 || c->type != OP_OK || c->final || strcmp(c->f, "read") != 0 ||
	    c->value.kind != OP_VALUE_JSON || !node || sscanf(node, "n%u", &k) != 1)
		return false;
	json = strstr(c->value.json, "\"watermark\":");
	if (!strstr(c->value.json, "\"role\":\"operator\"") || !json ||
	    k < st->run->sources + 1 || k > st->run->sources + st->run->operators)
		return false;
	*w = k - 1 - st->run->sources;
	errno = 0;
	*watermark_ms = strtoll(json + strlen("\"watermark\":"), &end, 10);
	return errno == 0 && (*end == ',' || *end == '}');
}

static void judge_read(struct stall *st, uint64_t c, struct check_result *result)
{
	const struct op *done = &st->h->ops[c];
	uint64_t i = hist_pair(st->h, c);
	int64_t at, watermark_ms, bound_ms, delay_ns;
	uint32_t w;

	if (!operator_read(st, done, &w, &watermark_ms) || i == HIST_NO_PAIR)
		return;
	st->reads++;
	delay_ns = (st->run->checkpoint_ms + STALL_PIPELINE_MS) * 1000000;
	at = st->h->ops[i].time_ns - delay_ns;
	if (!quiet(st, at - (st->run->idle_timeout_ms + STALL_SLACK_MS) * 1000000,
		   done->time_ns) || !bound_at(st, at, &bound_ms))
		return;
	st->judged++;
	if (watermark_ms >= bound_ms)
		return;
	st->below++;
	if (st->reported[w])
		return;         /* one anomaly an operator; the rest are counted */
	st->reported[w] = true;
	check_result_add_anomaly(result, "stalled", &i, 1, "operator %u's watermark %" PRId64
				 " at %.3f s is below %" PRId64 ", the lowest of the sources "
				 "not idle %.1f s earlier (highest acknowledged event time, "
				 "minus B = %" PRId64 " ms): an idle source still holds it back",
				 w, watermark_ms, (double)st->h->ops[i].time_ns / 1e9, bound_ms,
				 (double)delay_ns / 1e9,
				 st->run->input.job.out_of_orderness_ms);
}

int window_stall_judge(const struct history *h, const struct window_run *run,
		       struct check_result *result, struct errbuf *eb)
{
	struct stall *st;
	int err;

	if (run->idle_timeout_ms <= 0 || run->checkpoint_ms <= 0 || h->count == 0)
		return 0;       /* not declared: nothing to judge by */
	st = calloc(1, sizeof(*st));
	if (!st)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	st->h = h;
	st->run = run;
	err = stall_load(st, eb);
	for (uint64_t c = 0; !err && c < h->count; c++)
		judge_read(st, c, result);
	if (!err)
		check_result_add_figures(result, "window: watermark progress: %" PRIu64 " of %"
					 PRIu64 " operator status reads judged away from faults, %"
					 PRIu64 " below the bound%s\n", st->judged, st->reads,
					 st->below, st->spans_overflow ? " (too many faults: none "
					 "judged)" : "");
	for (uint32_t s = 0; s < CHK_WINDOW_OPERATOR_INPUTS_MAX; s++) {
		free(st->acked[s]);
		free(st->sent[s]);
	}
	free(st->spans);
	free(st);
	return err;
}
