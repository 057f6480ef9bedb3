/* SPDX-License-Identifier: MIT */
/* crdt_convergence.c - final reads of a CRDT history: collect them, and check that they agree. */
#include "crdt_check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"

static int int64_compare(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Sort and deduplicate a set read's elements into @f (owned copy). */
static int final_copy_set(struct crdt_final *f, const struct op_value *v, struct errbuf *eb)
{
	uint32_t kept = 0;

	ASSERT(v->kind == OP_VALUE_INTS);
	f->elements = malloc(((size_t)v->count + 1) * sizeof(int64_t));
	if (!f->elements)
		return errbuf_set(eb, -ENOMEM, "out of memory for a final read");
	if (v->count)
		memcpy(f->elements, v->ints, (size_t)v->count * sizeof(int64_t));
	qsort(f->elements, v->count, sizeof(int64_t), int64_compare);
	for (uint32_t i = 0; i < v->count; i++) {
		if (kept == 0 || f->elements[kept - 1] != f->elements[i])
			f->elements[kept++] = f->elements[i];
	}
	f->element_count = kept;
	ASSERT(kept <= v->count);
	return 0;
}

int crdt_finals_build(struct crdt_scan *s, struct errbuf *eb)
{
	const struct history *h = s->h;
	uint64_t bytes = 0;
	int err;

	ASSERT(!s->finals);
	s->finals = calloc(s->read_count + 1, sizeof(*s->finals));
	if (!s->finals)
		return errbuf_set(eb, -ENOMEM, "out of memory for final reads");
	for (uint64_t k = 0; k < s->read_count; k++) {
		uint64_t i = s->reads[k], r = crdt_result_index(h, i);
		struct crdt_final *f;

		ASSERT(r != HIST_NO_PAIR);
		if (!h->ops[i].final && !h->ops[r].final)
			continue;
		if (s->final_count == UINT32_MAX)
			return errbuf_set(eb, -E2BIG, "too many final reads");
		f = &s->finals[s->final_count++];
		f->node = crdt_op_node(h, i);
		f->invoke_index = i;
		f->result_index = r;
		if (s->model == CRDT_MODEL_GCOUNTER) {
			f->counter = h->ops[r].value.integer;
			continue;
		}
		bytes += (uint64_t)h->ops[r].value.count * sizeof(int64_t);
		if (bytes > s->memory_bytes_max)
			return errbuf_set(eb, -ENOMEM, "final reads exceed the checker budget "
					  "of %" PRIu64 " bytes", s->memory_bytes_max);
		err = final_copy_set(f, &h->ops[r].value, eb);
		if (err)
			return err;
	}
	return 0;
}

void crdt_finals_free(struct crdt_scan *s)
{
	if (!s->finals)
		return;
	for (uint32_t k = 0; k < s->final_count; k++)
		free(s->finals[k].elements);
	free(s->finals);
	s->finals = NULL;
	s->final_count = 0;
}

bool crdt_final_has(const struct crdt_final *f, int64_t element)
{
	return bsearch(&element, f->elements, f->element_count, sizeof(int64_t),
		       int64_compare) != NULL;
}

static bool finals_equal(const struct crdt_scan *s, const struct crdt_final *a,
			 const struct crdt_final *b)
{
	if (s->model == CRDT_MODEL_GCOUNTER)
		return a->counter == b->counter;
	return a->element_count == b->element_count &&
	       (a->element_count == 0 ||
		memcmp(a->elements, b->elements, a->element_count * sizeof(int64_t)) == 0);
}

/* Some element in exactly one of @a and @b (which differ); *@in_a says in which. */
static int64_t example_difference(const struct crdt_final *a, const struct crdt_final *b,
				  bool *in_a)
{
	uint32_t i = 0, j = 0;

	while (i < a->element_count && j < b->element_count &&
	       a->elements[i] == b->elements[j]) {
		i++;
		j++;
	}
	*in_a = j == b->element_count || (i < a->element_count && a->elements[i] < b->elements[j]);
	ASSERT(*in_a ? i < a->element_count : j < b->element_count);
	return *in_a ? a->elements[i] : b->elements[j];
}

static void report_divergence(const struct crdt_scan *s, const struct crdt_final *other,
			      struct check_result *result)
{
	const struct crdt_final *first = &s->finals[0];
	uint64_t ops[CHECK_ANOMALY_OPS_MAX];
	uint32_t op_count = 0;
	struct check_text t;
	int64_t example;
	bool in_first;

	check_text_init(&t);
	check_text_add(&t, "final reads disagree:");
	for (uint32_t k = 0; k < s->final_count; k++) {
		const struct crdt_final *f = &s->finals[k];

		if (s->model == CRDT_MODEL_GCOUNTER)
			check_text_add(&t, " %s=%" PRId64, crdt_node_name(f->node), f->counter);
		else
			check_text_add(&t, " %s has %" PRIu32 " elements;",
				       crdt_node_name(f->node), f->element_count);
		if (op_count + 2 <= CHECK_ANOMALY_OPS_MAX) {
			ops[op_count++] = f->invoke_index;
			ops[op_count++] = f->result_index;
		}
	}
	if (s->model != CRDT_MODEL_GCOUNTER) {
		example = example_difference(first, other, &in_first);
		check_text_add(&t, " e.g. element %" PRId64 " is on %s but not %s", example,
			       crdt_node_name(in_first ? first->node : other->node),
			       crdt_node_name(in_first ? other->node : first->node));
	}
	check_result_add_anomaly(result, "divergence", ops, op_count, "%s", t.buf);
}

static void report_missing_finals(const struct crdt_scan *s, struct check_result *result)
{
	struct check_text t;
	uint32_t missing = 0;

	check_text_init(&t);
	for (uint32_t k = 0; k < s->node_count; k++) {
		const struct crdt_node *n = &s->nodes[k];

		if (n->final_ok)
			continue;
		check_text_add(&t, "%s%s", missing++ ? ", " : "", crdt_node_name(n->name));
		if (!n->final_invoked)
			check_text_add(&t, " (no final read)");
		else if (n->final_outcome == OP_FAIL)
			check_text_add(&t, " (final read failed, op %" PRIu64 ")",
				       n->final_invoke_index);
		else
			check_text_add(&t, " (final read timed out or never completed, op %"
				       PRIu64 ")", n->final_invoke_index);
	}
	if (missing)
		check_result_set_unknown(result, "convergence not judged for %s", t.buf);
}

void crdt_convergence_check(const struct crdt_scan *s, struct check_result *result)
{
	ASSERT(s->model != CRDT_MODEL_NONE);
	ASSERT(s->final_count <= s->read_count);
	if (s->final_count == 0) {
		check_result_set_unknown(result, "no ok final read: convergence and the final "
					 "state cannot be judged");
		return;
	}
	for (uint32_t k = 1; k < s->final_count; k++) {
		if (!finals_equal(s, &s->finals[0], &s->finals[k])) {
			report_divergence(s, &s->finals[k], result);
			break;
		}
	}
	report_missing_finals(s, result);
}
