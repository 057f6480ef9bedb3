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
