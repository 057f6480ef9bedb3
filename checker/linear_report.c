/* SPDX-License-Identifier: MIT */
/* linear_report.c - each key's search outcome as evidence (the anomaly or the unknown reason)
 * and the counts over the keys. */
#include "linear_core.h"

#include <inttypes.h>
#include <string.h>

#include "fl_assert.h"
#include "hist.h"
#include "linear_search.h"

/* A value for a message: nil, a kv string in quotes, a register value as its JSON text. */
static void value_add(struct check_text *t, const struct linear_model_state *ms, uint32_t id)
{
	char text[40];          /* a diagnostic: long kv strings are cut */
	uint32_t size;

	if (id == LINEAR_VALUE_NULL) {
		check_text_add(t, "nil");
		return;
	}
	size = linear_values_prefix(&ms->values, id, text, sizeof(text));
	if (size > sizeof(text))
		size = sizeof(text);
	for (uint32_t k = 0; k < size; k++) {
		if (text[k] == '\n')
			text[k] = ' ';  /* a collection's elements (linear_collection.c) */
	}
	if (ms->model == LINEAR_MODEL_KV)
		check_text_add(t, "\"%.*s\"", (int)size, text);
	else
		check_text_add(t, "%.*s", (int)size, text);
}

/* "op 12 (cas [3 0])": the invocation's index, f and what the model made of it. */
static void call_add(struct check_text *t, const struct history *h,
		     const struct linear_model_state *ms, const struct linear_call *call)
{
	check_text_add(t, "op %" PRIu64 " (%s", call->invoke_index,
		       h->ops[call->invoke_index].f);
	if (call->kind != LINEAR_ACQUIRE && call->kind != LINEAR_RELEASE)
		check_text_add(t, " ");
	switch ((enum linear_kind)call->kind) {
	case LINEAR_READ:
		check_text_add(t, "-> ");
		if (call->read_any)
			check_text_add(t, "nil");
		else
			value_add(t, ms, call->ret);
		break;
	case LINEAR_CAS:
		check_text_add(t, "[");
		value_add(t, ms, call->arg);
		check_text_add(t, " ");
		value_add(t, ms, call->arg2);
		check_text_add(t, "]");
		break;
	case LINEAR_WRITE:
	case LINEAR_APPEND:
	case LINEAR_TXN:
		value_add(t, ms, call->arg);
		break;
	case LINEAR_SET_ADD:
	case LINEAR_ENQUEUE:
	case LINEAR_DEQUEUE:
		value_add(t, ms, call->arg);
		break;
	case LINEAR_SET_READ:
		check_text_add(t, "-> ");
		value_add(t, ms, call->ret);
		break;
	case LINEAR_ACQUIRE:
	case LINEAR_RELEASE:
	case LINEAR_KIND_COUNT:
		break;
	}
	check_text_add(t, "%s)", call->info ? ", info" : "");
}

static void key_add(struct check_text *t, const struct linear_values *keys, uint32_t key)
{
	uint32_t size;
	const char *text;

	if (key == 0)
		return;
	text = linear_values_text(keys, key, &size);
	check_text_add(t, "key \"%.*s\": ", (int)(size > 40 ? 40 : size), text);
}

static void report_invalid(const struct history *h, const struct linear_model_state *ms,
			   const struct linear_values *keys, uint32_t key,
			   const struct linear_call *calls, uint32_t count,
			   const struct linear_outcome *out, struct check_result *result)
{
	const struct linear_call *blocked = &calls[out->blocked];
	uint64_t ops[2 + LINEAR_EVIDENCE_CALLS];
	uint32_t n = 0;
	struct check_text t;

	ASSERT(out->blocked < count);
	ASSERT(out->prefix_tail_count <= LINEAR_EVIDENCE_CALLS);
	check_text_init(&t);
	key_add(&t, keys, key);
	call_add(&t, h, ms, blocked);
	if (out->unproduced) {
		check_text_add(&t, " cannot be linearized: it returns what no op of %s put in",
			       key ? "this key" : "the history");
		check_result_add_anomaly(result, "not-linearizable",
					 (uint64_t[]){ blocked->invoke_index,
						       blocked->result_index }, 2, "%s", t.buf);
		return;
	}
	check_text_add(&t, " cannot be linearized: the longest linearizable "
		       "prefix has %" PRIu32 " of %" PRIu32 " ops, leaving ", out->prefix_count,
		       count);
	value_add(&t, ms, out->state);
	ops[n++] = blocked->invoke_index;
	ops[n++] = blocked->result_index;
	for (uint32_t k = 0; k < out->prefix_tail_count; k++) {
		const struct linear_call *c = &calls[out->prefix_tail[k]];

		check_text_add(&t, k ? ", " : "; it ends with ");
		call_add(&t, h, ms, c);
		ops[n++] = c->invoke_index;
	}
	check_result_add_anomaly(result, "not-linearizable", ops, n, "%s", t.buf);
}

void linear_report(const struct history *h, const struct linear_model_state *ms,
		   const struct linear_values *keys, uint32_t key, const struct linear_call *calls,
		   uint32_t count, const struct linear_outcome *out, struct linear_tally *tally,
		   struct check_result *result)
{
	ASSERT(out);
	ASSERT(tally);
	ASSERT(result);
	if (out->verdict == VERDICT_INVALID) {
		report_invalid(h, ms, keys, key, calls, count, out, result);
		tally->invalid++;
		return;
	}
	if (out->verdict == VERDICT_UNKNOWN) {
		if (tally->unknown > 0)
			check_text_add(&tally->reasons, "; ");
		key_add(&tally->reasons, keys, key);
		check_text_add(&tally->reasons, "%s after %" PRIu64 " steps", out->unknown_reason,
			       out->steps);
		tally->unknown++;
	}
	ASSERT(tally->invalid + tally->unknown <= tally->keys);
}

void linear_report_tally(const struct linear_tally *tally, struct check_result *result)
{
	ASSERT(tally);
	ASSERT(tally->invalid + tally->unknown <= tally->keys);
	if (tally->unknown == 0)
		return;
	ASSERT(tally->reasons.used > 0);
	if (tally->keys == 1) {
		check_result_set_unknown(result, "%s", tally->reasons.buf);
		return;
	}
	/* The counts first: a long list of reasons is cut at the end of the buffer. */
	check_result_set_unknown(result, "%" PRIu32 " of %" PRIu32 " keys unknown, %" PRIu32
				 " not linearizable: %s", tally->unknown, tally->keys,
				 tally->invalid, tally->reasons.buf);
}
