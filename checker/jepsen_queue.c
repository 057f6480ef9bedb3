/* SPDX-License-Identifier: MIT */
/*
 * jepsen_queue.c - Jepsen's checker/queue and checker/total-queue, written afresh: they match
 * the public behaviour of jepsen.checker/queue with knossos's unordered-queue model, and of
 * jepsen.checker/total-queue with expand-queue-drain-ops (jepsen/src/jepsen/checker.clj).
 *
 * queue: every enqueue invoked puts its element in a multiset (an invoke is enough: it may
 * have happened); every ok dequeue takes one out, and one that finds none makes the model
 * inconsistent, the first such dequeue being the anomaly. Only the unordered model: the
 * order of invocations is not a linearization, so a FIFO model here would need a search.
 * Unlike Jepsen's queue, drains count as dequeues here too (Jepsen expands them only in
 * total-queue): a drained element must also come from somewhere.
 *
 * total-queue: multisets of attempts (enqueues invoked), enqueues (ok) and dequeues (ok,
 * drains expanded). ok = dequeues ∩ attempts; unexpected = dequeues of elements never
 * attempted; duplicated = dequeues - attempts - unexpected; lost = enqueues - dequeues;
 * recovered = ok - enqueues. Valid when nothing is lost or unexpected.
 */
#include "jepsen_queue.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"
#include "jepsen_elements.h"

enum { QUEUE_FIGURE_BYTES_MAX = 1024 }; /* one printed set in the figures */

#define NO_OP HIST_NO_PAIR

enum queue_event {
	QUEUE_ATTEMPT,          /* an enqueue invoked, at its invocation */
	QUEUE_ENQUEUED,         /* an ok enqueue, at its completion */
	QUEUE_DEQUEUED,         /* an ok dequeue, or one element of an ok drain */
};

/* One element's multiplicities, and the first op of each kind (NO_OP: none). */
struct queue_element {
	uint64_t attempts, enqueues, dequeues;
	uint64_t pending;                       /* queue: in the unordered model's multiset */
	uint64_t first_attempt, first_enqueued, first_dequeued;
};

/* Invariants: elements[] has an entry for every element of @pool; the counts are sums of
 * multiplicities (Jepsen's (count multiset)). */
struct queue_scan {
	const struct history *h;
	struct jepsen_elements *pool;
	struct queue_element *elements;
	uint32_t slots;
	uint64_t cannot_dequeue;                /* queue: the first inconsistent op, or NO_OP */
	uint32_t cannot_dequeue_id;
	uint64_t attempt_count, acknowledged_count, ok_count, unexpected_count,
		duplicated_count, lost_count, recovered_count;
};

typedef void queue_event_fn(struct queue_scan *s, enum queue_event event, uint32_t id,
			    uint64_t op);

static int fit(struct queue_scan *s, struct errbuf *eb)
{
	void *array = s->elements;
	uint32_t had = s->slots;
	int err = jepsen_elements_fit(s->pool, &array, &s->slots, sizeof(*s->elements), eb);

	s->elements = array;
	for (uint32_t k = had; !err && k < s->slots; k++)
		s->elements[k] = (struct queue_element){ .first_attempt = NO_OP,
							 .first_enqueued = NO_OP,
							 .first_dequeued = NO_OP };
	return err;
}

static void count(struct queue_scan *s, enum queue_event event, uint32_t id, uint64_t op)
{
	struct queue_element *e = &s->elements[id];
	uint64_t *first = event == QUEUE_ATTEMPT    ? &e->first_attempt
			  : event == QUEUE_ENQUEUED ? &e->first_enqueued
						    : &e->first_dequeued;

	e->attempts += event == QUEUE_ATTEMPT;
	e->enqueues += event == QUEUE_ENQUEUED;
	e->dequeues += event == QUEUE_DEQUEUED;
	if (*first == NO_OP)
		*first = op;
}

/* The value of op @i taken whole (@whole) or as a collection: an event at op @at for each
 * element. */
static int emit(struct queue_scan *s, uint64_t i, uint64_t at, bool whole,
		enum queue_event event, queue_event_fn *fn, struct errbuf *eb)
{
	const uint32_t *ids;
	uint32_t id, n = 1;
	int err;

	if (whole) {
		err = jepsen_elements_intern(s->pool, &s->h->ops[i].value, &id, eb);
		ids = &id;
	} else {
		err = jepsen_elements_intern_all(s->pool, &s->h->ops[i].value, &ids, &n, eb);
	}
	if (!err)
		err = fit(s, eb);
	if (err)
		return errbuf_prefix(eb, err, "op %" PRIu64 ": ", i);
	for (uint32_t k = 0; k < n; k++) {
		count(s, event, ids[k], at);
		if (fn)
			fn(s, event, ids[k], at);
	}
	return 0;
}

/* Walk the client ops in history order, drains expanded (Jepsen's expand-queue-drain-ops). */
static int walk(struct queue_scan *s, queue_event_fn *fn, struct errbuf *eb)
{
	const struct history *h = s->h;
	int err = 0;

	for (uint64_t i = 0; !err && i < h->count; i++) {
		const struct op *op = &h->ops[i];

		if (op->process < 0)
			continue;
		if (strcmp(op->f, "enqueue") == 0 && op->type == OP_INVOKE) {
			err = emit(s, i, i, true, QUEUE_ATTEMPT, fn, eb);
		} else if (strcmp(op->f, "enqueue") == 0 && op->type == OP_OK) {
			ASSERT(hist_pair(h, i) != NO_OP);
			err = emit(s, hist_pair(h, i), i, true, QUEUE_ENQUEUED, fn, eb);
		} else if (strcmp(op->f, "dequeue") == 0 && op->type == OP_OK) {
			err = emit(s, i, i, true, QUEUE_DEQUEUED, fn, eb);
		} else if (strcmp(op->f, "drain") == 0 && op->type == OP_OK) {
			err = emit(s, i, i, false, QUEUE_DEQUEUED, fn, eb);
		} else if (strcmp(op->f, "drain") == 0 && op->type == OP_INFO) {
			err = errbuf_set(eb, -EINVAL, "op %" PRIu64 ": a drain crashed (info), so "
					 "what it dequeued cannot be known", i);
		}
	}
	return err;
}

static int scan_new(struct queue_scan *s, const struct check_run *run,
		    const struct check_opts *opts, struct errbuf *eb)
{
	memset(s, 0, sizeof(*s));
	s->h = run->history;
	s->cannot_dequeue = NO_OP;
	ASSERT(s->h);
	return jepsen_elements_new(&s->pool, opts->memory_bytes_max, eb);
}

static void scan_free(struct queue_scan *s)
{
	free(s->elements);
	jepsen_elements_free(s->pool);
}

/* The figures line "NAME: #{...}" of the elements whose @which is > 0. */
static int figure_set(struct queue_scan *s, const char *name,
		      uint64_t (*which)(const struct queue_element *e),
		      struct check_result *result, struct errbuf *eb)
{
	uint32_t total = jepsen_elements_count(s->pool), n = 0;
	char text[QUEUE_FIGURE_BYTES_MAX];
	uint32_t *ids;
	int err = jepsen_elements_reserve(s->pool, (uint64_t)total * sizeof(*ids), eb);

	if (err)
		return err;
	ids = malloc((total ? total : 1) * sizeof(*ids));
	if (!ids)
		return errbuf_set(eb, -ENOMEM, "out of memory for %u elements", total);
	for (uint32_t id = 0; id < total; id++) {
		if (which(&s->elements[id]) > 0)
			ids[n++] = id;
	}
	jepsen_elements_format_set(s->pool, ids, n, text, sizeof(text));
	check_result_add_figures(result, "%s: %s\n", name, text);
	free(ids);
	return 0;
}

/* ---- queue: the unordered-queue model ------------------------------------------------ */

static void model_step(struct queue_scan *s, enum queue_event event, uint32_t id, uint64_t op)
{
	struct queue_element *e = &s->elements[id];

	if (s->cannot_dequeue != NO_OP || event == QUEUE_ENQUEUED)
		return;         /* an inconsistent model stays so; Jepsen steps on invokes only */
	if (event == QUEUE_ATTEMPT) {
		e->pending++;
	} else if (e->pending > 0) {
		e->pending--;
	} else {
		s->cannot_dequeue = op;
		s->cannot_dequeue_id = id;
	}
}

static uint64_t pending(const struct queue_element *e)
{
	return e->pending;
}

static int queue_check(const struct checker *checker, const struct check_run *run,
		       const struct check_opts *opts, struct check_result *result,
		       struct errbuf *eb)
{
	struct queue_scan s;
	uint64_t held = 0;
	int err;

	ASSERT(checker == &jepsen_queue_checker);
	result->model = checker->ops->name;  /* the summary's "model:" line */
	err = scan_new(&s, run, opts, eb);
	if (!err)
		err = walk(&s, model_step, eb);
	if (!err && s.cannot_dequeue != NO_OP) {
		const struct queue_element *e = &s.elements[s.cannot_dequeue_id];
		uint64_t ops[3] = { hist_pair(s.h, s.cannot_dequeue), s.cannot_dequeue,
				    e->first_attempt };
		bool enqueued_before = e->first_attempt < s.cannot_dequeue;
		char name[64];

		jepsen_elements_format(s.pool, s.cannot_dequeue_id, name, sizeof(name));
		check_result_add_anomaly(
			result, "cannot-dequeue", ops, enqueued_before ? 3 : 2,
			"can't dequeue %s (op %" PRIu64 "): %s (unordered-queue model)", name,
			s.cannot_dequeue, enqueued_before
				? "every enqueue of it invoked before was dequeued already"
				: "no enqueue of it was invoked before");
	}
	for (uint32_t id = 0; !err && id < jepsen_elements_count(s.pool); id++)
		held += s.elements[id].pending;
	if (!err && s.cannot_dequeue == NO_OP) {
		check_result_add_figures(result, "queue (unordered-queue model): %" PRIu64
					 " elements left in the final queue\n", held);
		err = figure_set(&s, "final-queue", pending, result, eb);
	}
	scan_free(&s);
	return err;
}

const struct checker_ops jepsen_queue_ops = {
	.name = "queue",
	.check = queue_check,
};

const struct checker jepsen_queue_checker = { .ops = &jepsen_queue_ops };

/* ---- total-queue: multiset arithmetic ------------------------------------------------- */

static uint64_t ok_of(const struct queue_element *e)
{
	return e->dequeues < e->attempts ? e->dequeues : e->attempts;
}

static uint64_t unexpected_of(const struct queue_element *e)
{
	return e->attempts == 0 ? e->dequeues : 0;
}

static uint64_t duplicated_of(const struct queue_element *e)
{
	return e->attempts > 0 && e->dequeues > e->attempts ? e->dequeues - e->attempts : 0;
}

static uint64_t lost_of(const struct queue_element *e)
{
	return e->enqueues > e->dequeues ? e->enqueues - e->dequeues : 0;
}

static uint64_t recovered_of(const struct queue_element *e)
{
	return ok_of(e) > e->enqueues ? ok_of(e) - e->enqueues : 0;
}

static void total_element(struct queue_scan *s, uint32_t id, struct check_result *result)
{
	const struct queue_element *e = &s->elements[id];
	char name[64];

	jepsen_elements_format(s->pool, id, name, sizeof(name));
	s->attempt_count += e->attempts;
	s->acknowledged_count += e->enqueues;
	s->ok_count += ok_of(e);
	s->unexpected_count += unexpected_of(e);
	s->duplicated_count += duplicated_of(e);
	s->lost_count += lost_of(e);
	s->recovered_count += recovered_of(e);
	if (lost_of(e) > 0) {
		uint64_t ops[2] = { hist_pair(s->h, e->first_enqueued), e->first_enqueued };

		check_result_add_anomaly(result, "lost", ops, 2,
					 "element %s enqueued ok %" PRIu64 " times (first op %"
					 PRIu64 ") but dequeued %" PRIu64 " times: %" PRIu64
					 " lost", name, e->enqueues, ops[0], e->dequeues,
					 lost_of(e));
	}
	if (unexpected_of(e) > 0) {
		uint64_t ops[2] = { hist_pair(s->h, e->first_dequeued), e->first_dequeued };

		check_result_add_anomaly(result, "unexpected", ops, 2,
					 "element %s dequeued %" PRIu64 " times (first at op %"
					 PRIu64 ") but no enqueue of it was ever attempted", name,
					 e->dequeues, e->first_dequeued);
	}
}

static int total_queue_check(const struct checker *checker, const struct check_run *run,
			     const struct check_opts *opts, struct check_result *result,
			     struct errbuf *eb)
{
	struct queue_scan s;
	int err;

	ASSERT(checker == &jepsen_total_queue_checker);
	result->model = checker->ops->name;  /* the summary's "model:" line */
	err = scan_new(&s, run, opts, eb);
	if (!err)
		err = walk(&s, NULL, eb);
	for (uint32_t id = 0; !err && id < jepsen_elements_count(s.pool); id++)
		total_element(&s, id, result);
	if (!err)
		check_result_add_figures(
			result, "total-queue: attempt-count %" PRIu64 ", acknowledged-count %"
			PRIu64 ", ok-count %" PRIu64 ", unexpected-count %" PRIu64
			", duplicated-count %" PRIu64 ", lost-count %" PRIu64
			", recovered-count %" PRIu64 "\n", s.attempt_count, s.acknowledged_count,
			s.ok_count, s.unexpected_count, s.duplicated_count, s.lost_count,
			s.recovered_count);
	if (!err)
		err = figure_set(&s, "lost", lost_of, result, eb);
	if (!err)
		err = figure_set(&s, "unexpected", unexpected_of, result, eb);
	if (!err)
		err = figure_set(&s, "duplicated", duplicated_of, result, eb);
	if (!err)
		err = figure_set(&s, "recovered", recovered_of, result, eb);
	ASSERT(err || s.ok_count <= s.attempt_count);
	scan_free(&s);
	return err;
}

const struct checker_ops jepsen_total_queue_ops = {
	.name = "total-queue",
	.check = total_queue_check,
};

const struct checker jepsen_total_queue_checker = { .ops = &jepsen_total_queue_ops };
