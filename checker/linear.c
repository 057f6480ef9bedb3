/* SPDX-License-Identifier: MIT */
/* linear.c - the linearizability checker: ops to calls, split per key, search, evidence. */
#include "linear_core.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "chk_limits.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"
#include "linear_search.h"

enum {
	LIN_STEPS_FIRST_ROUND = 1 << 14,
	/* A stale read (linear_stale()) already refutes the key: the search then runs only
	 * this far, for its fuller explanation when it gets one that quickly. */
	LIN_STALE_SEARCH_STEPS = 1 << 16,
};

static const char *const model_names[LINEAR_MODEL_COUNT] = {
	[LINEAR_MODEL_CAS_REGISTER] = "cas-register",
	[LINEAR_MODEL_KV] = "kv",
	[LINEAR_MODEL_REGISTER] = "register",
	[LINEAR_MODEL_MUTEX] = "mutex",
	[LINEAR_MODEL_MULTI_REGISTER] = "multi-register",
	[LINEAR_MODEL_SET] = "linearizable-set",
	[LINEAR_MODEL_UNORDERED_QUEUE] = "unordered-queue",
	[LINEAR_MODEL_FIFO_QUEUE] = "fifo-queue",
};

const char *linear_model_name(enum linear_model model)
{
	ASSERT((size_t)model < ARRAY_SIZE(model_names));
	return model_names[model];
}

int linear_model_parse(const char *name, enum linear_model *out)
{
	ASSERT(out);
	for (size_t k = 0; name && k < ARRAY_SIZE(model_names); k++) {
		if (strcmp(name, model_names[k]) == 0) {
			*out = (enum linear_model)k;
			return 0;
		}
	}
	return -EINVAL;
}

int linear_initial_parse(const char *arg, char *out, size_t size)
{
	json_t *v;
	char *text;
	int n;

	ASSERT(arg);
	ASSERT(out && size > 0);
	if (strcmp(arg, "nil") == 0)
		arg = "null";
	v = json_loads(arg, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	if (!v)
		v = json_string(arg);           /* bare text: a string */
	if (!v)
		return -EINVAL;
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	if (!text)
		return -EINVAL;
	n = snprintf(out, size, "%s", text);
	free(text);
	return n > 0 && (size_t)n < size ? 0 : -EINVAL;
}

void linear_checker_init(struct linear_checker *c, const struct linear_opts *opts)
{
	ASSERT(c);
	ASSERT(opts && opts->model < LINEAR_MODEL_COUNT);
	c->base.ops = &linear_checker_ops;
	c->opts = *opts;
}

/*
 * One check. Invariants: calls[0 .. call_count) are the client invocations that did not
 * fail, in invocation order; keys interns their key strings (id 0 for none, key_names[id]
 * the string); by_key holds the call indices grouped by key, key_start[k] .. key_start[k+1].
 */
struct lin_check {
	const struct history *h;
	const struct linear_opts *opts;
	struct linear_model_state ms;
	struct linear_values keys;
	struct linear_call *calls;
	uint32_t call_count;
	uint32_t *by_key;
	uint32_t *key_start;            /* key count + 1 entries */
	uint32_t key_count;
	uint64_t memory_bytes_max;
};

static int model_init(struct lin_check *c, struct errbuf *eb)
{
	int err;

	linear_values_init(&c->keys);
	err = linear_model_init(&c->ms, c->opts->model, c->opts->initial);
	if (err == -EINVAL)
		return errbuf_set(eb, err, "expected an initial state %s for model %s, got %s",
				  c->opts->model == LINEAR_MODEL_MULTI_REGISTER ?
				  "that is a map of registers" : "of nil (empty or free)",
				  linear_model_name(c->opts->model), c->opts->initial);
	if (err < 0)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	return 0;
}

static int key_id(struct lin_check *c, const char *key, uint32_t *out, struct errbuf *eb)
{
	int64_t id;

	*out = 0;
	if (!key)
		return 0;
	id = linear_values_intern(&c->keys, key, strlen(key));
	if (id < 0)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	if (id >= CHK_LIN_KEYS_MAX)
		return errbuf_set(eb, -E2BIG, "expected at most %d keys", CHK_LIN_KEYS_MAX - 1);
	*out = (uint32_t)id;
	return 0;
}

/* Every client invocation that did not fail, as a call of the model. */
static int calls_collect(struct lin_check *c, struct errbuf *eb)
{
	const struct history *h = c->h;
	int err;

	c->calls = malloc((h->count ? h->count : 1) * sizeof(*c->calls));
	if (!c->calls)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < h->count; i++) {
		const struct op *op = &h->ops[i];
		uint64_t paired = hist_pair(h, i);
		const struct op *result = paired == HIST_NO_PAIR ? NULL : &h->ops[paired];
		struct linear_call *call = &c->calls[c->call_count];

		if (op->type != OP_INVOKE || op->process == OP_PROCESS_NEMESIS)
			continue;
		if (result && result->type == OP_FAIL)
			continue;       /* a failed op did not happen */
		err = linear_model_call(&c->ms, c->opts, op, result, call, eb);
		if (err == 1)
			continue;
		if (!err)
			err = key_id(c, op->key, &call->key, eb);
		if (err)
			return err;
		c->call_count++;
	}
	return 0;
}

/* Groups the calls by key (a counting sort, stable: invocation order within a key). */
static int calls_group(struct lin_check *c, struct errbuf *eb)
{
	uint32_t keys = c->keys.count ? c->keys.count : 1;
	uint32_t *fill;

	c->key_count = keys;
	c->key_start = calloc((size_t)keys + 1, sizeof(uint32_t));
	c->by_key = malloc((c->call_count ? c->call_count : 1) * sizeof(uint32_t));
	fill = calloc(keys, sizeof(uint32_t));
	if (!c->key_start || !c->by_key || !fill) {
		free(fill);
		return errbuf_set(eb, -ENOMEM, "out of memory");
	}
	for (uint32_t k = 0; k < c->call_count; k++)
		c->key_start[c->calls[k].key + 1]++;
	for (uint32_t k = 0; k < keys; k++)
		c->key_start[k + 1] += c->key_start[k];
	for (uint32_t k = 0; k < c->call_count; k++) {
		uint32_t key = c->calls[k].key;

		c->by_key[c->key_start[key] + fill[key]++] = k;
	}
	free(fill);
	ASSERT(c->key_start[keys] == c->call_count);
	return 0;
}

static const struct linear_call *sort_calls;

static int by_result(const void *a, const void *b)
{
	uint64_t x = sort_calls[*(const uint32_t *)a].result_index;
	uint64_t y = sort_calls[*(const uint32_t *)b].result_index;

	return x < y ? -1 : x > y;
}

/* The real-time order of one key's calls (@n of them): invocations and ok returns merged
 * by history index, then the info returns ("at infinity"). Entries as linear_search(). */
static int events_build(const struct linear_call *calls, uint32_t n, uint32_t *events)
{
	uint32_t *returns = malloc((n ? n : 1) * sizeof(uint32_t));
	uint32_t ok = 0, e = 0, r = 0;

	if (!returns)
		return -ENOMEM;
	for (uint32_t k = 0; k < n; k++) {
		if (!calls[k].info)
			returns[ok++] = k;
	}
	sort_calls = calls;
	qsort(returns, ok, sizeof(*returns), by_result);
	for (uint32_t k = 0; k < n; k++) {
		while (r < ok && calls[returns[r]].result_index < calls[k].invoke_index)
			events[e++] = 2 * returns[r++] + 1;
		events[e++] = 2 * k;
	}
	while (r < ok)
		events[e++] = 2 * returns[r++] + 1;
	for (uint32_t k = 0; k < n; k++) {
		if (calls[k].info)
			events[e++] = 2 * k + 1;
	}
	free(returns);
	ASSERT(e == 2 * n);
	return 0;
}

/* Searches key @key within @steps_max steps; the outcome goes to @out. */
static int check_key(struct lin_check *c, uint32_t key, uint64_t steps_max,
		     struct linear_call *local, uint32_t *events, struct linear_outcome *out,
		     struct errbuf *eb)
{
	uint32_t first = c->key_start[key], n = c->key_start[key + 1] - first;
	uint32_t stale_read = 0, witness = 0;
	bool stale;
	int err;

	for (uint32_t k = 0; k < n; k++)
		local[k] = c->calls[c->by_key[first + k]];
	err = linear_unproduced(&c->ms, local, n, &out->blocked);
	if (err == 1) {
		*out = (struct linear_outcome){ .verdict = VERDICT_INVALID, .unproduced = true,
						.blocked = out->blocked, .state = c->ms.initial };
		return 0;
	}
	if (!err)
		err = linear_stale(&c->ms, local, n, &stale_read, &witness);
	stale = err == 1;
	if (stale) {
		err = 0;
		if (steps_max > LIN_STALE_SEARCH_STEPS)
			steps_max = LIN_STALE_SEARCH_STEPS;     /* the search only to explain it */
	}
	if (!err)
		err = events_build(local, n, events);
	if (!err)
		err = linear_search(&c->ms, local, n, events, steps_max, c->memory_bytes_max, out);
	if (!err && stale && out->verdict != VERDICT_INVALID)
		*out = (struct linear_outcome){ .verdict = VERDICT_INVALID, .stale = true,
						.blocked = stale_read, .witness = witness,
						.state = c->ms.initial, .steps = out->steps };
	return err ? errbuf_set(eb, err, "out of memory") : 0;
}

/* The rounds' working state: which keys are decided, one key's calls and events, the counts. */
struct lin_rounds {
	bool *decided;
	struct linear_call *local;
	uint32_t *events;
	struct linear_tally tally;
};

/*
 * One round: every undecided key with @budget steps. A key out of steps below the full
 * budget stays undecided for the next round; every other outcome decides the key and goes
 * to the report (an invalid key does not end the check, but @after_invalid says the round
 * was the last one since one was found). Return: keys still undecided, or -ENOMEM.
 */
static int64_t check_round(struct lin_check *c, uint64_t budget, uint64_t steps_max,
			   bool after_invalid, struct lin_rounds *r, struct check_result *result,
			   struct errbuf *eb)
{
	int64_t undecided = 0;

	for (uint32_t k = 0; k < c->key_count; k++) {
		uint32_t n = c->key_start[k + 1] - c->key_start[k];
		struct linear_outcome out;
		int err;

		if (r->decided[k])
			continue;
		err = check_key(c, k, budget, r->local, r->events, &out, eb);
		if (err)
			return err;
		if (out.out_of_steps && budget < steps_max) {
			undecided++;
			continue;
		}
		if (out.out_of_steps && after_invalid)
			out.unknown_reason = "not searched further (another key is not "
					     "linearizable): step budget spent";
		r->decided[k] = true;
		linear_report(c->h, &c->ms, &c->keys, k, r->local, n, &out, &r->tally, result);
	}
	return undecided;
}

/* Sizes @r for @c's keys; a key without calls is decided (valid) already. Return: keys to
 * search, or -ENOMEM. */
static int64_t rounds_init(struct lin_check *c, struct lin_rounds *r, struct errbuf *eb)
{
	uint32_t n_max = 0;

	check_text_init(&r->tally.reasons);
	r->decided = calloc(c->key_count, sizeof(bool));
	for (uint32_t k = 0; r->decided && k < c->key_count; k++) {
		uint32_t n = c->key_start[k + 1] - c->key_start[k];

		n_max = n > n_max ? n : n_max;
		r->decided[k] = n == 0;
		r->tally.keys += n > 0;
	}
	r->local = malloc(((size_t)n_max + 1) * sizeof(*r->local));
	r->events = malloc(((size_t)n_max + 1) * 2 * sizeof(*r->events));
	if (!r->local || !r->events || !r->decided)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	return r->tally.keys;
}

/*
 * Keys are independent (P-compositionality): every key is decided, and the verdict is the
 * maximum over them (one invalid key makes the history invalid, unknown only if none is).
 * Once a key is invalid the budget stops growing: the keys left get one more round at the
 * budget reached, so each quick failure is reported but a hard key does not spend the full
 * budget on a verdict that is known (unknown keys are then named as not searched further).
 * Rounds with a budget growing fourfold decide the quick keys, and record their evidence,
 * before a hard key spends the full budget (and fills the value table the keys share); the
 * repeated work is at most a third more. With one key left there is nothing to decide first,
 * so its round gets the full budget at once: a single-key history is searched once.
 */
static int check_keys(struct lin_check *c, struct check_result *result, struct errbuf *eb)
{
	uint64_t steps_max = c->opts->steps_max ? c->opts->steps_max : CHK_LIN_STEPS_MAX;
	uint64_t budget = steps_max < LIN_STEPS_FIRST_ROUND ? steps_max : LIN_STEPS_FIRST_ROUND;
	struct lin_rounds r = { .decided = NULL };
	int64_t rc = rounds_init(c, &r, eb);

	/* Bounded: the budget grows to steps_max, and a round at steps_max decides all; so does
	 * the round after a key was found invalid. */
	while (rc > 0) {
		/* The verdict is known: one more round for the evidence, at no larger budget. */
		bool last = r.tally.invalid > 0;

		if (rc == 1 && !last)
			budget = steps_max;
		rc = check_round(c, budget, last ? budget : steps_max, last, &r, result, eb);
		budget = budget > steps_max / 4 ? steps_max : budget * 4;
	}
	if (rc == 0) {
		ASSERT(r.tally.invalid + r.tally.unknown <= r.tally.keys);
		ASSERT(result->anomalies_total >= r.tally.invalid);
		linear_report_tally(&r.tally, result);
	}
	free(r.decided);
	free(r.local);
	free(r.events);
	return (int)rc;
}

static int linear_check(const struct checker *checker, const struct check_run *run,
			const struct check_opts *opts, struct check_result *result,
			struct errbuf *eb)
{
	const struct linear_checker *lc = container_of(checker, struct linear_checker, base);
	const struct history *history = run->history;
	struct lin_check c = { .h = history, .opts = &lc->opts };
	int err;

	ASSERT(checker->ops->check == linear_checker_ops.check);  /* also a copy with a free */
	ASSERT(lc->opts.model < LINEAR_MODEL_COUNT);
	c.memory_bytes_max = opts->memory_bytes_max ? opts->memory_bytes_max :
			     CHK_MEMORY_BYTES_DEFAULT;
	result->model = linear_model_name(lc->opts.model);
	result->op_count = history->count;
	for (uint64_t i = 0; i < history->count; i++)
		result->final_read_count += history->ops[i].final && history->ops[i].type == OP_OK;
	err = model_init(&c, eb);
	if (!err)
		err = calls_collect(&c, eb);
	if (!err)
		err = calls_group(&c, eb);
	if (!err)
		err = check_keys(&c, result, eb);
	linear_model_fini(&c.ms);
	linear_values_fini(&c.keys);
	free(c.calls);
	free(c.by_key);
	free(c.key_start);
	return err;
}

const struct checker_ops linear_checker_ops = {
	.name = "linear",
	.check = linear_check,
};
