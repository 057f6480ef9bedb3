/* SPDX-License-Identifier: MIT */
/*
 * jepsen_counter.c - Jepsen's checker/counter, written afresh: it matches the public
 * behaviour of jepsen.checker/counter (jepsen/src/jepsen/checker.clj): one pass in history
 * order keeps a lower bound (the ok adds completed) and an upper bound (the adds invoked that
 * did not fail), and each ok read must lie in [lower at its invocation, upper at its
 * completion]. Jepsen refuses negative adds; here a negative add widens the other side, so
 * for non-negative adds the bounds are Jepsen's exactly.
 */
#include "jepsen_counter.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "chk_limits.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"

enum { COUNTER_FIGURE_READS_MAX = 32 };         /* reads listed in the figures */

/* One ok read, as a row of Jepsen's :reads [lower value upper]. */
struct counter_read {
	uint64_t invoke_index, result_index;
	int64_t lower, value, upper;
};

/* Invariants: reads[] are in invocation order; lower and upper are the bounds after the ops
 * scanned so far. */
struct counter_scan {
	int64_t lower, upper;
	struct counter_read *reads;
	uint64_t read_count, read_max;
};

static bool is_f(const struct op *op, const char *f)
{
	return op->process >= 0 && strcmp(op->f, f) == 0;
}

static int bound_add(int64_t *bound, int64_t delta, const struct op *op, struct errbuf *eb)
{
	if (__builtin_add_overflow(*bound, delta, bound))
		return errbuf_set(eb, -ERANGE, "op %" PRIu64 ": the sum of adds overflows 64 bits",
				  (uint64_t)op->index);
	return 0;
}

/* An ok read invoked at @i: its row, with the lower bound as it stands now. */
static int read_invoked(const struct history *h, uint64_t i, struct counter_scan *s,
			struct errbuf *eb)
{
	uint64_t done = hist_pair(h, i);
	const struct op *result;

	if (done == HIST_NO_PAIR || h->ops[done].type != OP_OK)
		return 0;               /* Jepsen: a read that reads nothing constrains nothing */
	result = &h->ops[done];
	if (result->value.kind != OP_VALUE_INT)
		return errbuf_set(eb, -EINVAL, "op %" PRIu64 ": expected an ok read of an integer",
				  done);
	ASSERT(s->read_count < s->read_max);
	s->reads[s->read_count++] = (struct counter_read){
		.invoke_index = i, .result_index = done, .lower = s->lower,
		.value = result->value.integer };
	return 0;
}

/* The row of the read invoked at @invoke_index (rows are in invocation order). */
static struct counter_read *read_row(struct counter_scan *s, uint64_t invoke_index)
{
	uint64_t low = 0, high = s->read_count;

	while (low < high) {
		uint64_t mid = low + (high - low) / 2;

		if (s->reads[mid].invoke_index < invoke_index)
			low = mid + 1;
		else
			high = mid;
	}
	ASSERT(low < s->read_count);
	ASSERT(s->reads[low].invoke_index == invoke_index);
	return &s->reads[low];
}

static int add_seen(const struct history *h, uint64_t i, struct counter_scan *s,
		    struct errbuf *eb)
{
	const struct op *op = &h->ops[i];
	uint64_t other = hist_pair(h, i);
	int64_t delta;

	if (op->type == OP_INVOKE) {
		if (op->value.kind != OP_VALUE_INT)
			return errbuf_set(eb, -EINVAL, "op %" PRIu64 ": expected an integer add",
					  i);
		if (other != HIST_NO_PAIR && h->ops[other].type == OP_FAIL)
			return 0;
		/* It may happen (ok, info or in flight): an increment may raise the counter, a
		 * decrement may lower it. */
		delta = op->value.integer;
		return bound_add(delta >= 0 ? &s->upper : &s->lower, delta, op, eb);
	}
	if (op->type != OP_OK)
		return 0;
	ASSERT(other != HIST_NO_PAIR);
	/* The invocation's value: a completion may carry none. Checked at the invocation. */
	delta = h->ops[other].value.integer;
	return bound_add(delta >= 0 ? &s->lower : &s->upper, delta, op, eb);
}

static int scan(const struct history *h, struct counter_scan *s, struct errbuf *eb)
{
	int err = 0;

	for (uint64_t i = 0; !err && i < h->count; i++) {
		const struct op *op = &h->ops[i];

		if (is_f(op, "add")) {
			err = add_seen(h, i, s, eb);
		} else if (is_f(op, "read") && op->type == OP_INVOKE) {
			err = read_invoked(h, i, s, eb);
		} else if (is_f(op, "read") && op->type == OP_OK) {
			ASSERT(hist_pair(h, i) != HIST_NO_PAIR);
			read_row(s, hist_pair(h, i))->upper = s->upper;
		}
	}
	return err;
}

static void report(const struct counter_scan *s, struct check_result *result)
{
	uint64_t errors = 0;

	for (uint64_t k = 0; k < s->read_count; k++) {
		const struct counter_read *r = &s->reads[k];
		uint64_t ops[2] = { r->invoke_index, r->result_index };

		if (r->lower <= r->value && r->value <= r->upper)
			continue;
		errors++;
		check_result_add_anomaly(
			result, "out-of-bounds-read", ops, 2,
			"read of %" PRId64 " (op %" PRIu64 ") outside [%" PRId64 " %" PRId64
			"]: %s", r->value, r->invoke_index, r->lower, r->upper,
			r->value < r->lower ? "below the sum of the ok adds completed before it "
					      "was invoked"
					    : "above the sum of the adds, not failed, invoked "
					      "before it completed");
	}
	check_result_add_figures(result, "counter: %" PRIu64 " ok reads, %" PRIu64
				 " out of bounds; bounds at the end [%" PRId64 " %" PRId64 "]\n",
				 s->read_count, errors, s->lower, s->upper);
	if (s->read_count == 0)
		return;
	check_result_add_figures(result, "reads [lower value upper]:");
	for (uint64_t k = 0; k < s->read_count && k < COUNTER_FIGURE_READS_MAX; k++)
		check_result_add_figures(result, " [%" PRId64 " %" PRId64 " %" PRId64 "]",
					 s->reads[k].lower, s->reads[k].value, s->reads[k].upper);
	check_result_add_figures(result, "%s\n",
				 s->read_count > COUNTER_FIGURE_READS_MAX ? " ..." : "");
}

static int counter_check(const struct checker *checker, const struct check_run *run,
			 const struct check_opts *opts, struct check_result *result,
			 struct errbuf *eb)
{
	const struct history *h = run->history;
	uint64_t budget = opts->memory_bytes_max ? opts->memory_bytes_max
						 : CHK_MEMORY_BYTES_DEFAULT;
	struct counter_scan s = { 0 };
	int err;

	ASSERT(checker == &jepsen_counter_checker);
	result->model = checker->ops->name;  /* the summary's "model:" line */
	ASSERT(h);
	for (uint64_t i = 0; i < h->count; i++)
		s.read_max += is_f(&h->ops[i], "read") && h->ops[i].type == OP_INVOKE;
	if (s.read_max > budget / sizeof(*s.reads))
		return errbuf_set(eb, -ENOMEM, "%" PRIu64 " reads are over the checker memory "
				  "budget of %" PRIu64 " bytes", s.read_max, budget);
	s.reads = calloc(s.read_max ? s.read_max : 1, sizeof(*s.reads));
	if (!s.reads)
		return errbuf_set(eb, -ENOMEM, "out of memory for %" PRIu64 " reads", s.read_max);
	err = scan(h, &s, eb);
	if (!err)
		report(&s, result);
	free(s.reads);
	ASSERT(err || result->verdict != VERDICT_UNKNOWN || result->unknown_reason[0]);
	return err;
}

const struct checker_ops jepsen_counter_ops = {
	.name = "counter",
	.check = counter_check,
};

const struct checker jepsen_counter_checker = { .ops = &jepsen_counter_ops };
