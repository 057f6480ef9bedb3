/* SPDX-License-Identifier: MIT */
/* crdt_set.c - G-Set and OR-Set rules: lost adds, phantom and premature elements. */
#include "crdt_check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"

enum { NO_OP = -1 };    /* as uint64_t: larger than any op index */

/* What the history says about one element. Indices are op indices, (uint64_t)NO_OP if none. */
struct element {
	int64_t value;
	uint64_t first_add;        /* first add invocation that did not fail */
	uint64_t ok_add;           /* G-Set: first ok add; OR-Set: last ok add (by invocation) */
	uint64_t remove_done_max;  /* latest completion of an ok remove */
	uint64_t bad_read;         /* invocation of the first read showing it too early */
	uint64_t bad_read_last;    /* ... and of the last one (a read may repeat an element) */
	uint64_t bad_read_count;   /* distinct reads showing it too early */
	bool any_add;              /* some add was invoked, even one that failed */
	bool remove_open;          /* a remove ended info or is in flight: it may come later */
};

/*
 * An open-addressing hash table from element value to its slot in elements[].
 * Invariants: capacity is a power of two, count <= capacity / 2, slots[] holds slot + 1
 * (0 = empty).
 */
struct element_table {
	struct element *elements;
	uint32_t *slots;
	uint32_t count, capacity;
	uint64_t memory_bytes_max;
};

static uint64_t hash64(int64_t value)
{
	uint64_t x = (uint64_t)value + 0x9e3779b97f4a7c15ull;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint32_t probe(const struct element_table *t, int64_t value)
{
	uint32_t mask = t->capacity - 1, at = (uint32_t)hash64(value) & mask;

	while (t->slots[at] && t->elements[t->slots[at] - 1].value != value)
		at = (at + 1) & mask;
	return at;
}

static int table_grow(struct element_table *t, struct errbuf *eb)
{
	uint32_t capacity = t->capacity ? t->capacity * 2 : 1024, *slots;
	struct element *elements;
	uint64_t bytes = (uint64_t)capacity * (sizeof(*slots) + sizeof(*elements) / 2);

	if (t->count >= CHK_ELEMENTS_MAX)
		return errbuf_set(eb, -E2BIG, "more than %d distinct set elements",
				  CHK_ELEMENTS_MAX);
	if (bytes > t->memory_bytes_max)
		return errbuf_set(eb, -ENOMEM, "element table over the checker budget of %" PRIu64
				  " bytes", t->memory_bytes_max);
	slots = calloc(capacity, sizeof(*slots));
	elements = realloc(t->elements, (capacity / 2) * sizeof(*elements));
	if (!slots || !elements) {
		free(slots);
		if (elements)
			t->elements = elements;
		return errbuf_set(eb, -ENOMEM, "out of memory for the element table");
	}
	free(t->slots);
	t->slots = slots;
	t->elements = elements;
	t->capacity = capacity;
	for (uint32_t k = 0; k < t->count; k++)
		t->slots[probe(t, t->elements[k].value)] = k + 1;
	ASSERT(t->count <= t->capacity / 2);
	return 0;
}

/* The element's record, created empty if new. Return: 0, -E2BIG, -ENOMEM. */
static int table_get(struct element_table *t, int64_t value, struct element **out,
		     struct errbuf *eb)
{
	uint32_t at;
	int err;

	if (t->capacity && (at = probe(t, value), t->slots[at])) {
		*out = &t->elements[t->slots[at] - 1];
		return 0;
	}
	if (t->count + 1 > t->capacity / 2) {
		err = table_grow(t, eb);
		if (err)
			return err;
	}
	at = probe(t, value);
	ASSERT(t->slots[at] == 0);
	*out = &t->elements[t->count];
	memset(*out, 0xff, sizeof(**out));      /* every index NO_OP */
	(*out)->value = value;
	(*out)->bad_read_count = 0;
	(*out)->any_add = false;
	(*out)->remove_open = false;
	t->slots[at] = ++t->count;
	return 0;
}

static int note_adds(const struct crdt_scan *s, struct element_table *t, struct errbuf *eb)
{
	for (uint64_t k = 0; k < s->add_count; k++) {
		uint64_t i = s->adds[k];
		enum op_type outcome = crdt_outcome(s->h, i);
		struct element *e;
		int err = table_get(t, s->h->ops[i].value.integer, &e, eb);

		if (err)
			return err;
		e->any_add = true;
		if (outcome == OP_FAIL)
			continue;
		if (e->first_add == (uint64_t)NO_OP)
			e->first_add = i;
		/* OR-Set: the latest ok add counts; G-Set: the first. */
		if (outcome == OP_OK &&
		    (s->model == CRDT_MODEL_ORSET || e->ok_add == (uint64_t)NO_OP))
			e->ok_add = i;
	}
	return 0;
}

static int note_removes(const struct crdt_scan *s, struct element_table *t, struct errbuf *eb)
{
	for (uint64_t k = 0; k < s->remove_count; k++) {
		uint64_t i = s->removes[k];
		enum op_type outcome = crdt_outcome(s->h, i);
		uint64_t r = crdt_result_index(s->h, i);
		struct element *e;
		int err = table_get(t, s->h->ops[i].value.integer, &e, eb);

		if (err)
			return err;
		if (outcome == OP_INFO)
			e->remove_open = true;
		if (outcome == OP_OK && (e->remove_done_max == (uint64_t)NO_OP ||
					 r > e->remove_done_max))
			e->remove_done_max = r;
	}
	return 0;
}

/* Every element of every ok read must have had an add invoked before the read completed. */
static int note_reads(const struct crdt_scan *s, struct element_table *t, struct errbuf *eb)
{
	const struct history *h = s->h;

	for (uint64_t k = 0; k < s->read_count; k++) {
		uint64_t i = s->reads[k], r = crdt_result_index(h, i);
		const struct op_value *v = &h->ops[r].value;

		ASSERT(v->kind == OP_VALUE_INTS);
		for (uint32_t j = 0; j < v->count; j++) {
			struct element *e;
			int err = table_get(t, v->ints[j], &e, eb);

			if (err)
				return err;
			if (e->first_add != (uint64_t)NO_OP && e->first_add < r)
				continue;
			if (e->bad_read_count == 0)
				e->bad_read = i;
			if (e->bad_read_last != i)
				e->bad_read_count++;
			e->bad_read_last = i;
		}
	}
	return 0;
}

static void report_bad_reads(const struct crdt_scan *s, const struct element *e,
			     struct check_result *result)
{
	const struct history *h = s->h;
	uint64_t ops[3] = { e->bad_read, crdt_result_index(h, e->bad_read), e->first_add };
	const char *node = crdt_node_name(crdt_op_node(h, e->bad_read));
	char more[48] = "";

	if (e->bad_read_count > 1)
		snprintf(more, sizeof(more), " (and %" PRIu64 " more reads)",
			 e->bad_read_count - 1);
	if (e->first_add == (uint64_t)NO_OP) {
		check_result_add_anomaly(result, "phantom-element", ops, 2,
					 "element %" PRId64 " returned by the read of %s completed "
					 "at op %" PRIu64 "%s %s", e->value, node, ops[1], more,
					 e->any_add ? "was only added by adds that failed" :
						      "was never added");
		return;
	}
	check_result_add_anomaly(result, "premature-read", ops, 3,
				 "element %" PRId64 " returned by the read of %s completed at op %"
				 PRIu64 "%s before its first add was invoked at op %" PRIu64,
				 e->value, node, ops[1], more, e->first_add);
}

static bool must_survive(const struct crdt_scan *s, const struct element *e)
{
	if (e->ok_add == (uint64_t)NO_OP)
		return false;
	if (s->model == CRDT_MODEL_GSET)
		return true;
	/* OR-Set, add wins: an add invoked after every remove completed cannot be removed. */
	return !e->remove_open &&
	       (e->remove_done_max == (uint64_t)NO_OP || e->ok_add > e->remove_done_max);
}

static void report_lost(const struct crdt_scan *s, const struct element *e,
			struct check_result *result)
{
	uint64_t ops[CHECK_ANOMALY_OPS_MAX], ok = crdt_result_index(s->h, e->ok_add);
	char nodes[CHECK_MESSAGE_BYTES_MAX / 2];
	uint32_t n = 2, missing = 0;
	size_t used = 0;

	nodes[0] = '\0';
	ops[0] = e->ok_add;
	ops[1] = ok;
	for (uint32_t k = 0; k < s->final_count; k++) {
		const struct crdt_final *f = &s->finals[k];
		int w;

		if (crdt_final_has(f, e->value))
			continue;
		missing++;
		w = snprintf(nodes + used, sizeof(nodes) - used, "%s%s", used ? ", " : "",
			     crdt_node_name(f->node));
		if (w > 0 && used + (size_t)w < sizeof(nodes))
			used += (size_t)w;
		if (n + 2 <= CHECK_ANOMALY_OPS_MAX) {
			ops[n++] = f->invoke_index;
			ops[n++] = f->result_index;
		}
	}
	if (!missing)
		return;
	check_result_add_anomaly(result, "lost-add", ops, n,
				 "element %" PRId64 " added ok at op %" PRIu64 " (%s)%s is missing "
				 "from the final reads of %s", e->value, ok,
				 crdt_node_name(crdt_op_node(s->h, e->ok_add)),
				 s->model == CRDT_MODEL_ORSET &&
						 e->remove_done_max != (uint64_t)NO_OP
					 ? ", invoked after every remove of it completed,"
					 : "",
				 nodes);
}

int crdt_set_check(const struct crdt_scan *s, struct check_result *result, struct errbuf *eb)
{
	struct element_table t = { .memory_bytes_max = s->memory_bytes_max };
	int err;

	ASSERT(s->model == CRDT_MODEL_GSET || s->model == CRDT_MODEL_ORSET);
	ASSERT(result);
	err = note_adds(s, &t, eb);
	if (!err)
		err = note_removes(s, &t, eb);
	if (!err)
		err = note_reads(s, &t, eb);
	for (uint32_t k = 0; !err && k < t.count; k++) {
		const struct element *e = &t.elements[k];

		if (e->bad_read_count)
			report_bad_reads(s, e, result);
		if (s->final_count && must_survive(s, e))
			report_lost(s, e, result);
	}
	free(t.elements);
	free(t.slots);
	return err;
}
