/* SPDX-License-Identifier: MIT */
/*
 * jepsen_set.c - Jepsen's checker/set, written afresh: it matches the public behaviour of
 * jepsen.checker/set (jepsen/src/jepsen/checker.clj). The attempts are the elements of every
 * add invoked, the acknowledged ones those of ok adds; the last ok read is the final set.
 * ok = final ∩ attempts, unexpected = final \ attempts, lost = acknowledged \ final,
 * recovered = ok \ acknowledged; valid when nothing is lost or unexpected.
 */
#include "jepsen_set.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"
#include "jepsen_elements.h"

enum { SET_FIGURE_BYTES_MAX = 1024 };   /* one printed set in the figures */

#define NO_OP HIST_NO_PAIR

/* What the history says of one element; indices NO_OP when none. */
struct set_element {
	uint64_t add_invoke;            /* the first add invoked */
	uint64_t add_ok;                /* the first ok add's completion */
	bool attempted, in_final;
};

/* Invariants: elements[] has an entry for every element of @pool (slots >= its count). */
struct set_scan {
	struct jepsen_elements *pool;
	struct set_element *elements;
	uint32_t slots;
	uint64_t final_read;            /* completion of the last ok read, NO_OP if none */
	uint64_t attempt_count, acknowledged_count, ok_count, lost_count, recovered_count,
		unexpected_count;
};

static int fit(struct set_scan *s, struct errbuf *eb)
{
	void *array = s->elements;
	uint32_t had = s->slots;
	int err = jepsen_elements_fit(s->pool, &array, &s->slots, sizeof(*s->elements), eb);

	s->elements = array;
	for (uint32_t k = had; !err && k < s->slots; k++)
		s->elements[k] = (struct set_element){ .add_invoke = NO_OP, .add_ok = NO_OP };
	return err;
}

/* The element of the add invoked at @invoke, its entry made if new. */
static int element_of_add(struct set_scan *s, const struct history *h, uint64_t invoke,
			  struct set_element **out, struct errbuf *eb)
{
	uint32_t id;
	int err = jepsen_elements_intern(s->pool, &h->ops[invoke].value, &id, eb);

	if (!err)
		err = fit(s, eb);
	if (err)
		return errbuf_prefix(eb, err, "op %" PRIu64 ": ", invoke);
	*out = &s->elements[id];
	return 0;
}

static int scan(struct set_scan *s, const struct history *h, const char *add_f,
		const char *read_f, struct errbuf *eb)
{
	struct set_element *e;
	int err = 0;

	for (uint64_t i = 0; !err && i < h->count; i++) {
		const struct op *op = &h->ops[i];

		if (op->process < 0)
			continue;
		if (strcmp(op->f, read_f) == 0 && op->type == OP_OK)
			s->final_read = i;
		if (strcmp(op->f, add_f) != 0)
			continue;
		if (op->type == OP_INVOKE) {
			err = element_of_add(s, h, i, &e, eb);
			if (!err && !e->attempted) {
				e->attempted = true;
				e->add_invoke = i;
			}
		} else if (op->type == OP_OK) {
			ASSERT(hist_pair(h, i) != NO_OP);
			err = element_of_add(s, h, hist_pair(h, i), &e, eb);
			if (!err && e->add_ok == NO_OP)
				e->add_ok = i;
		}
	}
	return err;
}

static int mark_final(struct set_scan *s, const struct history *h, struct errbuf *eb)
{
	const uint32_t *ids;
	uint32_t count;
	int err;

	ASSERT(s->final_read != NO_OP);
	err = jepsen_elements_intern_all(s->pool, &h->ops[s->final_read].value, &ids, &count,
					 eb);
	if (!err)
		err = fit(s, eb);
	if (err)
		return errbuf_prefix(eb, err, "op %" PRIu64 " (the final read): ", s->final_read);
	for (uint32_t k = 0; k < count; k++)
		s->elements[ids[k]].in_final = true;
	return 0;
}

static void report_element(struct set_scan *s, const struct history *h, uint32_t id,
			   struct check_result *result)
{
	const struct set_element *e = &s->elements[id];
	uint64_t read_ops[2] = { hist_pair(h, s->final_read), s->final_read };
	char name[64];

	jepsen_elements_format(s->pool, id, name, sizeof(name));
	s->attempt_count += e->attempted;
	s->acknowledged_count += e->add_ok != NO_OP;
	s->ok_count += e->in_final && e->attempted;
	s->recovered_count += e->in_final && e->attempted && e->add_ok == NO_OP;
	if (e->in_final && !e->attempted) {
		s->unexpected_count++;
		check_result_add_anomaly(result, "unexpected", read_ops, 2,
					 "element %s is in the final read (op %" PRIu64
					 ") but no add of it was ever attempted", name,
					 read_ops[0]);
	}
	if (e->add_ok != NO_OP && !e->in_final) {
		uint64_t ops[4] = { hist_pair(h, e->add_ok), e->add_ok, read_ops[0], read_ops[1] };

		s->lost_count++;
		check_result_add_anomaly(result, "lost", ops, 4,
					 "element %s was added ok (op %" PRIu64 ") but is not in "
					 "the final read (op %" PRIu64 ")", name, ops[0],
					 read_ops[0]);
	}
}

/* The figures line "NAME: #{...}" of the elements @which selects. */
static void figure_set(struct set_scan *s, uint32_t *ids, const char *name,
		       bool (*which)(const struct set_element *e), struct check_result *result)
{
	uint32_t count = 0, total = jepsen_elements_count(s->pool);
	char text[SET_FIGURE_BYTES_MAX];

	for (uint32_t id = 0; id < total; id++) {
		if (which(&s->elements[id]))
			ids[count++] = id;
	}
	jepsen_elements_format_set(s->pool, ids, count, text, sizeof(text));
	check_result_add_figures(result, "%s: %s\n", name, text);
}

static bool is_ok(const struct set_element *e)
{
	return e->in_final && e->attempted;
}

static bool is_lost(const struct set_element *e)
{
	return e->add_ok != NO_OP && !e->in_final;
}

static bool is_unexpected(const struct set_element *e)
{
	return e->in_final && !e->attempted;
}

static bool is_recovered(const struct set_element *e)
{
	return is_ok(e) && e->add_ok == NO_OP;
}

static int report(struct set_scan *s, const struct history *h, struct check_result *result,
		  struct errbuf *eb)
{
	uint32_t total = jepsen_elements_count(s->pool);
	uint32_t *ids;
	int err;

	for (uint32_t id = 0; id < total; id++)
		report_element(s, h, id, result);
	check_result_add_figures(
		result, "set: attempt-count %" PRIu64 ", acknowledged-count %" PRIu64
		", ok-count %" PRIu64 ", lost-count %" PRIu64 ", recovered-count %" PRIu64
		", unexpected-count %" PRIu64 "\n", s->attempt_count, s->acknowledged_count,
		s->ok_count, s->lost_count, s->recovered_count, s->unexpected_count);
	err = jepsen_elements_reserve(s->pool, (uint64_t)total * sizeof(*ids), eb);
	if (err)
		return err;
	ids = malloc((total ? total : 1) * sizeof(*ids));
	if (!ids)
		return errbuf_set(eb, -ENOMEM, "out of memory for %u elements", total);
	figure_set(s, ids, "ok", is_ok, result);
	figure_set(s, ids, "lost", is_lost, result);
	figure_set(s, ids, "unexpected", is_unexpected, result);
	figure_set(s, ids, "recovered", is_recovered, result);
	free(ids);
	ASSERT(s->ok_count <= s->attempt_count);
	return 0;
}

static int set_check(const struct checker *checker, const struct check_run *run,
		     const struct check_opts *opts, struct check_result *result,
		     struct errbuf *eb)
{
	struct set_scan s = { .final_read = NO_OP };
	const struct history *h = run->history;
	int err;

	ASSERT(checker == &jepsen_set_checker);
	result->model = checker->ops->name;  /* the summary's "model:" line */
	ASSERT(h);
	err = jepsen_elements_new(&s.pool, opts->memory_bytes_max, eb);
	if (!err)
		err = scan(&s, h, opts->add_f ? opts->add_f : "add",
			   opts->read_f ? opts->read_f : "read", eb);
	if (!err && s.final_read == NO_OP)
		check_result_set_unknown(result, "set was never read");
	else if (!err)
		err = mark_final(&s, h, eb);
	if (!err && s.final_read != NO_OP)
		err = report(&s, h, result, eb);
	free(s.elements);
	jepsen_elements_free(s.pool);
	return err;
}

const struct checker_ops jepsen_set_ops = {
	.name = "set",
	.check = set_check,
};

const struct checker jepsen_set_checker = { .ops = &jepsen_set_ops };
