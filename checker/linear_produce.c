/* SPDX-License-Identifier: MIT */
/*
 * linear_produce.c - before any search: an ok call that returns a value no call of its key
 * ever put in (a register read of a value never written, a dequeue of an element never
 * enqueued, a set read holding an element never added) has no linearization at all. Saying
 * so at once is exact, gives the plainest evidence there is, and spares a search that must
 * otherwise try every order of everything before it to refute it (for queues, whose
 * contents make many states, that can exhaust the budget: bench-linear).
 */
#include "linear_core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fl_assert.h"

/* Whether @ms's model has the rule, and with @calls (one key's, @n) it holds. */
static bool applies(const struct linear_model_state *ms, const struct linear_call *calls,
		    uint32_t n)
{
	switch (ms->model) {
	case LINEAR_MODEL_CAS_REGISTER:
	case LINEAR_MODEL_REGISTER:
	case LINEAR_MODEL_SET:
	case LINEAR_MODEL_UNORDERED_QUEUE:
	case LINEAR_MODEL_FIFO_QUEUE:
		return true;
	case LINEAR_MODEL_KV:
		/* Appends make new values out of old ones: no rule then. */
		for (uint32_t k = 0; k < n; k++) {
			if (calls[k].kind == LINEAR_APPEND)
				return false;
		}
		return true;
	case LINEAR_MODEL_MUTEX:
	case LINEAR_MODEL_MULTI_REGISTER:
	case LINEAR_MODEL_COUNT:
		break;
	}
	return false;
}

/* Whether every element of set @id (its lines) is marked in @put (@put_count ids). */
static int set_elements_put(struct linear_model_state *ms, uint32_t id, const uint8_t *put,
			    uint32_t put_count)
{
	uint32_t size;
	const char *text = linear_values_text(&ms->values, id, &size);
	char *copy = malloc((size_t)size + 1);  /* interning below may move the values */
	const char *p, *end;
	int all = 1;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, size);
	end = copy + size;
	/* Bounded by the text: each pass takes one line. */
	for (p = copy; all == 1 && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int64_t e = linear_values_intern(&ms->values, p, len);

		/* An id past put_count is new: nothing put it. */
		if (e < 0)
			all = (int)e;
		else if ((uint64_t)e >= put_count || !put[e])
			all = 0;
		p += len + 1;
	}
	free(copy);
	return all;
}

int linear_unproduced(struct linear_model_state *ms, const struct linear_call *calls,
		      uint32_t n, uint32_t *blocked)
{
	uint32_t count = ms->values.count ? ms->values.count : 1;     /* null is id 0 */
	uint8_t *put;

	ASSERT(blocked);
	if (!applies(ms, calls, n))
		return 0;
	put = calloc(count, 1);
	if (!put)
		return -ENOMEM;
	ASSERT(ms->initial < count);
	put[ms->initial] = 1;
	for (uint32_t k = 0; k < n; k++) {
		const struct linear_call *c = &calls[k];

		if (c->kind == LINEAR_WRITE || c->kind == LINEAR_SET_ADD ||
		    c->kind == LINEAR_ENQUEUE)
			put[c->arg] = 1;
		else if (c->kind == LINEAR_CAS)
			put[c->arg2] = 1;
	}
	for (uint32_t k = 0; k < n; k++) {
		const struct linear_call *c = &calls[k];
		int ok = 1;

		if (c->info)
			continue;
		if (c->kind == LINEAR_READ && !c->read_any)
			ok = put[c->ret];
		else if (c->kind == LINEAR_DEQUEUE)
			ok = c->arg == LINEAR_VALUE_NULL || put[c->arg];
		else if (c->kind == LINEAR_SET_READ && c->ret != LINEAR_VALUE_NULL)
			ok = set_elements_put(ms, c->ret, put, count);
		if (ok <= 0) {
			*blocked = k;
			free(put);
			return ok < 0 ? ok : 1;
		}
	}
	free(put);
	return 0;
}

/* A write that may have begun after the last write of a value: its result and value. */
struct overwrite {
	uint64_t invoke, result;
	uint32_t value, call;
};

static int by_invoke(const void *a, const void *b)
{
	const struct overwrite *x = a, *y = b;

	return x->invoke < y->invoke ? -1 : x->invoke > y->invoke;
}

/* The two ok writes of distinct values that complete first among those from @i on. */
struct first_two {
	struct overwrite best, other;   /* other.value != best.value; result UINT64_MAX: none */
};

static void first_two_add(struct first_two *t, const struct overwrite *w)
{
	if (w->result < t->best.result) {
		if (w->value != t->best.value)
			t->other = t->best;
		t->best = *w;
	} else if (w->value != t->best.value && w->result < t->other.result) {
		t->other = *w;
	}
}

/* Register-like models only: reads of a value that no later write of it can bring back. */
static bool stale_applies(const struct linear_model_state *ms, const struct linear_call *calls,
			  uint32_t n)
{
	return ms->model == LINEAR_MODEL_CAS_REGISTER || ms->model == LINEAR_MODEL_REGISTER ||
	       (ms->model == LINEAR_MODEL_KV && applies(ms, calls, n));
}

/* Per value: the last completion of an ok write of it (-1: only the initial state), and the
 * first invocation of a crashed one. */
struct writes_of {
	int64_t last_done;
	uint64_t first_info;
	bool any;
};

static void writes_note(struct writes_of *w, const struct linear_call *c, uint32_t value)
{
	if (c->info) {
		if (c->invoke_index < w[value].first_info)
			w[value].first_info = c->invoke_index;
		return;
	}
	w[value].any = true;
	if ((int64_t)c->result_index > w[value].last_done)
		w[value].last_done = (int64_t)c->result_index;
}

/* The first ok read that an ok write of another value separates from every write of what
 * it returns; @suffix[i] holds the first two of @ws[i ..]. */
static bool stale_find(const struct linear_call *calls, uint32_t n, const struct writes_of *wo,
		       const struct overwrite *ws, const struct first_two *suffix, uint32_t m,
		       uint32_t *blocked, uint32_t *witness)
{
	for (uint32_t k = 0; k < n; k++) {
		const struct linear_call *r = &calls[k];
		const struct writes_of *w = &wo[r->ret];
		uint32_t lo = 0, hi = m;
		const struct overwrite *o;

		if (r->kind != LINEAR_READ || r->info || r->read_any || !w->any ||
		    w->first_info < r->result_index)
			continue;       /* a crashed write of it may land at any time */
		/* Bounded: a binary search for the first write invoked after the last one. */
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if ((int64_t)ws[mid].invoke > w->last_done)
				hi = mid;
			else
				lo = mid + 1;
		}
		if (lo == m)
			continue;
		o = suffix[lo].best.value != r->ret ? &suffix[lo].best : &suffix[lo].other;
		if (o->result < r->invoke_index) {
			*blocked = k;
			*witness = o->call;
			return true;
		}
	}
	return false;
}

int linear_stale(struct linear_model_state *ms, const struct linear_call *calls, uint32_t n,
		 uint32_t *blocked, uint32_t *witness)
{
	uint32_t count = ms->values.count ? ms->values.count : 1, m = 0;
	struct writes_of *wo;
	struct overwrite *ws;
	struct first_two *suffix;
	bool found = false;

	if (!stale_applies(ms, calls, n))
		return 0;
	wo = calloc(count, sizeof(*wo));
	ws = malloc((n ? n : 1) * sizeof(*ws));
	suffix = malloc((n ? n : 1) * sizeof(*suffix));
	if (!wo || !ws || !suffix) {
		free(wo);
		free(ws);
		free(suffix);
		return -ENOMEM;
	}
	for (uint32_t v = 0; v < count; v++)
		wo[v] = (struct writes_of){ .last_done = -2, .first_info = UINT64_MAX };
	wo[ms->initial].any = true;
	wo[ms->initial].last_done = -1;
	for (uint32_t k = 0; k < n; k++) {
		const struct linear_call *c = &calls[k];
		uint32_t value = c->kind == LINEAR_CAS ? c->arg2 : c->arg;

		if (c->kind != LINEAR_WRITE && c->kind != LINEAR_CAS)
			continue;
		writes_note(wo, c, value);
		if (!c->info)
			ws[m++] = (struct overwrite){ c->invoke_index, c->result_index, value, k };
	}
	qsort(ws, m, sizeof(*ws), by_invoke);
	for (uint32_t i = m; i-- > 0;) {
		struct first_two t = { .best = { .result = UINT64_MAX, .value = UINT32_MAX },
				       .other = { .result = UINT64_MAX, .value = UINT32_MAX } };

		if (i + 1 < m)
			t = suffix[i + 1];
		first_two_add(&t, &ws[i]);
		suffix[i] = t;
	}
	found = stale_find(calls, n, wo, ws, suffix, m, blocked, witness);
	free(wo);
	free(ws);
	free(suffix);
	return found;
}
