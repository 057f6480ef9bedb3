/* SPDX-License-Identifier: MIT */
/* linear_report.c - each key's search outcome as evidence (the anomaly or the unknown reason)
 * and the counts over the keys. */
#include "linear_core.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "chk_limits.h"
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

/* "op 12 (cas [3 0])": the invocation's index, f and what the model made of it; ", info"
 * after an info call, and with @say_ok ", ok" after an ok one. */
static void call_add(struct check_text *t, const struct history *h,
		     const struct linear_model_state *ms, const struct linear_call *call,
		     bool say_ok)
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
	check_text_add(t, "%s)", call->info ? ", info" : say_ok ? ", ok" : "");
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

/* Each explained key adds at most this many lines of at most CHECK_MESSAGE_BYTES_MAX bytes
 * (a state line more: LINEAR_FRONTIER_STATES_MAX values of at most 42 bytes), so all the
 * explanations fit the figures (check_result_add_figures() drops what does not). */
STATIC_ASSERT(CHK_LIN_EXPLAIN_KEYS_MAX * ((CHK_LIN_CONCURRENT_MAX + 6) * CHECK_MESSAGE_BYTES_MAX +
					  LINEAR_FRONTIER_STATES_MAX * 44) <
	      CHECK_FIGURES_BYTES_MAX, "linearizability explanations fit the figures");

/* The separator before state @k of @n shown, @total found: "", ", " or " or ". */
static const char *state_sep(uint32_t k, uint32_t n, uint64_t total)
{
	ASSERT(k < n);
	if (k == 0)
		return "";
	return k + 1 == n && total == n ? " or " : ", ";
}

/* "2 or 4", "1, 2, 3, 4 or 12 more": the first @limit frontier states of @out. */
static void states_add(struct check_text *t, const struct linear_model_state *ms,
		       const struct linear_outcome *out, uint32_t limit)
{
	uint32_t n = out->frontier_count < limit ? out->frontier_count : limit;

	ASSERT(n > 0);
	ASSERT(out->frontier_total >= n);
	for (uint32_t k = 0; k < n; k++) {
		check_text_add(t, "%s", state_sep(k, n, out->frontier_total));
		value_add(t, ms, out->frontier[k]);
	}
	if (out->frontier_total > n)
		check_text_add(t, " or %" PRIu64 " more", out->frontier_total - n);
}

/* The explanation's parts that linear_report.c finds itself: the key's calls whose
 * [invocation, completion] interval overlaps the blocked call's (an info call's runs to the
 * end of the history), in invocation order, the first CHK_LIN_CONCURRENT_MAX kept. */
struct explain {
	uint32_t concurrent[CHK_LIN_CONCURRENT_MAX];
	uint32_t concurrent_count;              /* kept, <= CHK_LIN_CONCURRENT_MAX */
	uint32_t concurrent_total;
};

static void concurrent_find(const struct linear_call *calls, uint32_t count, uint32_t blocked,
			    struct explain *x)
{
	const struct linear_call *b = &calls[blocked];

	ASSERT(!b->info && b->result_index != HIST_NO_PAIR);
	*x = (struct explain){ .concurrent_total = 0 };
	for (uint32_t c = 0; c < count; c++) {
		const struct linear_call *o = &calls[c];
		uint64_t end = o->info ? HIST_NO_PAIR : o->result_index;

		if (c == blocked || o->invoke_index > b->result_index || end < b->invoke_index)
			continue;
		if (x->concurrent_count < CHK_LIN_CONCURRENT_MAX)
			x->concurrent[x->concurrent_count++] = c;
		x->concurrent_total++;
	}
	ASSERT(x->concurrent_count <= x->concurrent_total);
}

/* The anomaly: the blocked op, the states before it (a few), the concurrent ops' count; the
 * ops cited are the blocked op's invocation and completion, then the concurrent ones'. */
static void anomaly_add(const struct history *h, const struct linear_model_state *ms,
			const struct linear_values *keys, uint32_t key,
			const struct linear_call *calls, uint32_t count,
			const struct linear_outcome *out, const struct explain *x,
			struct check_result *result)
{
	const struct linear_call *blocked = &calls[out->blocked];
	uint64_t ops[CHECK_ANOMALY_OPS_MAX];
	uint32_t n = 0;
	struct check_text t;

	check_text_init(&t);
	key_add(&t, keys, key);
	call_add(&t, h, ms, blocked, false);
	check_text_add(&t, " cannot be linearized: ");
	if (out->frontier_total == 0) {
		check_text_add(&t, "the states before it were not collected (no memory left)");
	} else {
		check_text_add(&t, "just before it the state %s ",
			       out->frontier_total == 1 ? "is" : "could be");
		states_add(&t, ms, out, CHK_LIN_MESSAGE_STATES_MAX);
	}
	check_text_add(&t, "; %" PRIu32 " op%s concurrent with it; longest linearizable prefix"
		       " %" PRIu32 " of %" PRIu32 " ops", x->concurrent_total,
		       x->concurrent_total == 1 ? "" : "s", out->prefix_count, count);
	ops[n++] = blocked->invoke_index;
	ops[n++] = blocked->result_index;
	for (uint32_t k = 0; k < x->concurrent_count && n < CHECK_ANOMALY_OPS_MAX; k++)
		ops[n++] = calls[x->concurrent[k]].invoke_index;
	check_result_add_anomaly(result, "not-linearizable", ops, n, "%s", t.buf);
}

/* "1, 2 or 3 more" into the figures: @n of @ids named (each in its own text, so none is cut),
 * @total in all, then a new line. */
static void figures_values(const struct linear_model_state *ms, const uint32_t *ids,
			   uint32_t n, uint64_t total, struct check_result *result)
{
	ASSERT(n > 0);
	ASSERT(total >= n);
	for (uint32_t k = 0; k < n; k++) {
		struct check_text v;

		check_text_init(&v);
		value_add(&v, ms, ids[k]);
		check_result_add_figures(result, "%s%s", state_sep(k, n, total), v.buf);
	}
	if (total > n)
		check_result_add_figures(result, " or %" PRIu64 " more", total - n);
	check_result_add_figures(result, "\n");
}

/* The figures' lines of frontier states: where the blocked op is illegal, then (rarer) the
 * reachable states where it is legal but a later op fails whatever is done next. */
static void figures_states(const struct linear_model_state *ms,
			   const struct linear_outcome *out, struct check_result *result)
{
	ASSERT(out->frontier_count <= LINEAR_FRONTIER_STATES_MAX);
	ASSERT(out->legal_count <= LINEAR_FRONTIER_LEGAL_MAX);
	if (out->frontier_total == 0) {
		check_result_add_figures(result, "  states just before it: not collected "
					 "(no memory left)\n");
		return;
	}
	check_result_add_figures(result, "  states reachable just before it, in which it is "
				 "illegal (%" PRIu64 "): ", out->frontier_total);
	figures_values(ms, out->frontier, out->frontier_count, out->frontier_total, result);
	if (out->frontier_legal == 0)
		return;
	check_result_add_figures(result, "  states reachable just before it, in which it is "
				 "legal but every way on fails later (%" PRIu64 "): ",
				 out->frontier_legal);
	figures_values(ms, out->legal, out->legal_count, out->frontier_legal, result);
}

/* The full explanation, as figures: heading, states, concurrent ops (one a line), prefix. */
static void figures_add(const struct history *h, const struct linear_model_state *ms,
			const struct linear_values *keys, uint32_t key,
			const struct linear_call *calls, uint32_t count,
			const struct linear_outcome *out, const struct explain *x,
			struct check_result *result)
{
	struct check_text t;

	check_text_init(&t);
	check_text_add(&t, "not linearizable%s", key ? ", " : ": ");
	key_add(&t, keys, key);
	call_add(&t, h, ms, &calls[out->blocked], false);
	check_result_add_figures(result, "%s, completed at op %" PRIu64 "\n", t.buf,
				 calls[out->blocked].result_index);
	figures_states(ms, out, result);
	check_result_add_figures(result, "  ops concurrent with it (%" PRIu32 ")%s\n",
				 x->concurrent_total, x->concurrent_total ? ":" : "");
	for (uint32_t k = 0; k < x->concurrent_count; k++) {
		check_text_init(&t);
		call_add(&t, h, ms, &calls[x->concurrent[k]], true);
		check_result_add_figures(result, "    %s\n", t.buf);
	}
	if (x->concurrent_total > x->concurrent_count)
		check_result_add_figures(result, "    ... and %" PRIu32 " more\n",
					 x->concurrent_total - x->concurrent_count);
	check_text_init(&t);
	check_text_add(&t, "  longest linearizable prefix: %" PRIu32 " of %" PRIu32 " ops, "
		       "leaving ", out->prefix_count, count);
	value_add(&t, ms, out->state);
	for (uint32_t k = 0; k < out->prefix_tail_count; k++) {
		check_text_add(&t, k ? ", " : "; it ends with ");
		call_add(&t, h, ms, &calls[out->prefix_tail[k]], false);
	}
	check_result_add_figures(result, "%s\n", t.buf);
}

static void report_invalid(const struct history *h, const struct linear_model_state *ms,
			   const struct linear_values *keys, uint32_t key,
			   const struct linear_call *calls, uint32_t count,
			   const struct linear_outcome *out, bool explain,
			   struct check_result *result)
{
	const struct linear_call *blocked = &calls[out->blocked];
	struct explain x;
	struct check_text t;

	ASSERT(out->blocked < count);
	ASSERT(out->prefix_tail_count <= LINEAR_EVIDENCE_CALLS);
	if (out->unproduced) {
		check_text_init(&t);
		key_add(&t, keys, key);
		call_add(&t, h, ms, blocked, false);
		check_text_add(&t, " cannot be linearized: it returns what no op of %s put in",
			       key ? "this key" : "the history");
		check_result_add_anomaly(result, "not-linearizable",
					 (uint64_t[]){ blocked->invoke_index,
						       blocked->result_index }, 2, "%s", t.buf);
		return;
	}
	if (out->stale) {
		const struct linear_call *w = &calls[out->witness];

		check_text_init(&t);
		key_add(&t, keys, key);
		call_add(&t, h, ms, blocked, false);
		check_text_add(&t, " cannot be linearized: a stale read; ");
		call_add(&t, h, ms, w, false);
		check_text_add(&t, " began after every write of that value had completed and "
			       "completed before the read began");
		check_result_add_anomaly(result, "not-linearizable",
					 (uint64_t[]){ blocked->invoke_index, blocked->result_index,
						       w->invoke_index, w->result_index }, 4,
					 "%s", t.buf);
		return;
	}
	concurrent_find(calls, count, out->blocked, &x);
	anomaly_add(h, ms, keys, key, calls, count, out, &x, result);
	if (explain)
		figures_add(h, ms, keys, key, calls, count, out, &x, result);
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
		report_invalid(h, ms, keys, key, calls, count, out,
			       tally->invalid < CHK_LIN_EXPLAIN_KEYS_MAX, result);
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
	if (tally->invalid > CHK_LIN_EXPLAIN_KEYS_MAX)
		check_result_add_figures(result, "not linearizable: %" PRIu32 " more key%s, not "
					 "explained here (each anomaly names its blocked op)\n",
					 tally->invalid - CHK_LIN_EXPLAIN_KEYS_MAX,
					 tally->invalid - CHK_LIN_EXPLAIN_KEYS_MAX == 1 ? "" : "s");
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
