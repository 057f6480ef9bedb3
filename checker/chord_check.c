/* SPDX-License-Identifier: MIT */
/* chord_check.c - the chord checker: every lookup judged against the true ring. The ring is
 * the run's nodes (config.json: names, bits); a lookup is judged strictly when the ring was
 * quiet (no fault and no nemesis op) from the settle time S before it began to its end. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "checker.h"
#include "checker_table.h"
#include "chord_id.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"

enum {
	NODES_MAX = 256,
	DISTURBANCES_MAX = 4096,        /* fault intervals and nemesis ops judged against */
	PATH_MAX_IDS = 64,
	MIN_QUIET_FOR_ROUTING = 20,     /* quiet lookups before slow-routing is judged */
};

struct ring {
	struct chord_space space;
	uint32_t succ_list;
	int64_t settle_ns;
	uint32_t count;
	uint64_t ids[NODES_MAX];        /* sorted */
	char names[NODES_MAX][16];      /* names[k] is the node of ids[k] */
};

/* [from, to]: a fault in force, or one nemesis op (from == to). */
struct span {
	int64_t from, to;
};

/* A node surely down: from its kill's completion to its restart's invocation (or the end). */
struct down {
	char node[16];
	int64_t from, to;
};

struct judge {
	const struct history *h;
	struct ring ring;
	uint32_t span_count;
	struct span spans[DISTURBANCES_MAX];
	bool spans_overflow;
	uint32_t down_count;
	struct down downs[DISTURBANCES_MAX];
	uint64_t quiet, churned, churned_wrong, hops_quiet_total;
	uint32_t hops_quiet[PATH_MAX_IDS + 1];  /* histogram */
};

static int ring_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The run's nodes and the chord settings, from DIR/config.json. */
static int ring_load(struct ring *r, const char *dir, struct errbuf *eb)
{
	char path[1024];
	json_error_t jerr;
	json_t *root, *nodes, *bits;
	struct { uint64_t id; uint32_t k; } order[NODES_MAX];
	char names[NODES_MAX][16];
	size_t i;

	snprintf(path, sizeof(path), "%s/config.json", dir);
	root = json_load_file(path, 0, &jerr);
	if (!root)
		return errbuf_set(eb, -EINVAL, "%s:%d: %s", path, jerr.line, jerr.text);
	nodes = json_object_get(root, "nodes");
	bits = json_object_get(root, "chord_bits");
	if (!json_is_array(nodes) || json_array_size(nodes) == 0 ||
	    json_array_size(nodes) > NODES_MAX || !json_is_integer(bits) ||
	    chord_space_init(&r->space, (unsigned)json_integer_value(bits)) < 0) {
		json_decref(root);
		return errbuf_set(eb, -EINVAL, "%s: expected \"nodes\" (1..%d) and \"chord_bits\"",
				  path, NODES_MAX);
	}
	r->succ_list = (uint32_t)json_integer_value(json_object_get(root, "chord_succ_list"));
	r->settle_ns = (int64_t)(json_number_value(json_object_get(root, "chord_settle_s")) * 1e9);
	r->count = (uint32_t)json_array_size(nodes);
	for (i = 0; i < r->count; i++) {
		const char *name = json_string_value(json_object_get(json_array_get(nodes, i),
								     "name"));

		if (!name || strlen(name) >= sizeof(names[i])) {
			json_decref(root);
			return errbuf_set(eb, -EINVAL, "%s: node %zu has no name", path, i);
		}
		snprintf(names[i], sizeof(names[i]), "%s", name);
		order[i].id = chord_hash(&r->space, name, strlen(name));
		order[i].k = (uint32_t)i;
	}
	json_decref(root);
	qsort(order, r->count, sizeof(order[0]), ring_cmp);     /* by id, the first field */
	for (i = 0; i < r->count; i++) {
		r->ids[i] = order[i].id;
		memcpy(r->names[i], names[order[i].k], sizeof(r->names[i]));
	}
	return 0;
}

/* successor(@key) over the ring: its index. */
static uint32_t owner_of(const struct ring *r, uint64_t key)
{
	for (uint32_t k = 0; k < r->count; k++) {
		if (r->ids[k] >= key)
			return k;
	}
	return 0;
}

/* When the fault op @i started is stopped (@stop: its stop f, or what follows "stop-"), or
 * @end if never. */
static int64_t stop_time(const struct history *h, uint64_t i, const char *stop, int64_t end)
{
	bool dashed = strncmp(h->ops[i].f, "start-", 6) == 0;

	for (uint64_t k = i + 1; k < h->count; k++) {
		const struct op *s = &h->ops[k];

		if (s->process != OP_PROCESS_NEMESIS || s->type == OP_INVOKE)
			continue;
		if (dashed ? strncmp(s->f, "stop-", 5) == 0 && strcmp(s->f + 5, stop) == 0
			   : strcmp(s->f, stop) == 0)
			return s->time_ns;
	}
	return end;
}

/* The fault in force from a start to its stop, and every nemesis op, as spans. */
static void disturbances(struct judge *j)
{
	static const char *const pairs[][2] = { { "kill", "start" }, { "pause", "resume" } };
	const struct history *h = j->h;
	int64_t end = h->count ? h->ops[h->count - 1].time_ns : 0;

	for (uint64_t i = 0; i < h->count; i++) {
		const struct op *op = &h->ops[i];
		const char *stop = NULL;
		int64_t to = op->time_ns;

		if (op->process != OP_PROCESS_NEMESIS || op->type != OP_INVOKE)
			continue;
		if (strncmp(op->f, "start-", 6) == 0)
			stop = op->f + 6;
		for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
			if (strcmp(op->f, pairs[p][0]) == 0)
				stop = pairs[p][1];
		}
		if (stop) {
			to = stop_time(h, i, stop, end);
		} else if (hist_pair(h, i) != HIST_NO_PAIR) {
			to = h->ops[hist_pair(h, i)].time_ns;
		}
		if (j->span_count == DISTURBANCES_MAX) {
			j->spans_overflow = true;
			return;
		}
		j->spans[j->span_count++] = (struct span){ op->time_ns, to };
	}
}

/* The ring forms (its joiners join) just before the history begins: a membership change. */
/* When the first start after op @i is invoked, or @end. */
static int64_t restart_time(const struct history *h, uint64_t i, int64_t end)
{
	for (uint64_t s = i + 1; s < h->count; s++) {
		const struct op *op = &h->ops[s];

		if (op->process == OP_PROCESS_NEMESIS && op->type == OP_INVOKE &&
		    strcmp(op->f, "start") == 0)
			return op->time_ns;
	}
	return end;
}

/* The nodes a kill's completion names ({"killed":["n2",...]}), each down until a start's
 * invocation names it ({"started":...} comes only with the completion: the next start). */
static void kills(struct judge *j)
{
	const struct history *h = j->h;
	int64_t end = h->count ? h->ops[h->count - 1].time_ns : 0;

	for (uint64_t i = 0; i < h->count; i++) {
		const struct op *op = &h->ops[i];
		json_t *root, *killed;
		size_t k;

		if (op->process != OP_PROCESS_NEMESIS || op->type == OP_INVOKE ||
		    strcmp(op->f, "kill") != 0 || op->value.kind != OP_VALUE_JSON)
			continue;
		root = json_loads(op->value.json, 0, NULL);
		killed = json_object_get(root, "killed");
		for (k = 0; k < json_array_size(killed) && j->down_count < DISTURBANCES_MAX; k++) {
			const char *name = json_string_value(json_array_get(killed, k));
			struct down *d = &j->downs[j->down_count];

			if (!name || strlen(name) >= sizeof(d->node))
				continue;
			snprintf(d->node, sizeof(d->node), "%s", name);
			d->from = op->time_ns;
			d->to = restart_time(h, i, end);
			j->down_count++;
		}
		json_decref(root);
	}
}

/* Was @node down for the whole of [from, to]? */
static bool down_throughout(const struct judge *j, const char *node, int64_t from, int64_t to)
{
	for (uint32_t k = 0; k < j->down_count; k++) {
		if (strcmp(j->downs[k].node, node) == 0 && j->downs[k].from <= from &&
		    j->downs[k].to >= to)
			return true;
	}
	return false;
}

static bool quiet(const struct judge *j, int64_t from, int64_t to)
{
	if (j->spans_overflow || from < j->ring.settle_ns)
		return false;
	for (uint32_t k = 0; k < j->span_count; k++) {
		if (j->spans[k].from <= to && j->spans[k].to >= from - j->ring.settle_ns)
			return false;
	}
	return true;
}

/* The lookup's recorded answer: status, owner, hops, path. */
struct answer {
	const char *status;
	const char *owner;              /* NULL unless ok */
	uint64_t owner_id;
	uint32_t hops, path_count;
	uint64_t path[PATH_MAX_IDS];
};

static bool answer_parse(const char *json_text, struct answer *a, json_t **root)
{
	json_t *path;

	*root = json_loads(json_text, 0, NULL);
	if (!json_is_object(*root))
		return false;
	a->status = json_string_value(json_object_get(*root, "status"));
	a->owner = json_string_value(json_object_get(*root, "owner"));
	a->owner_id = (uint64_t)json_integer_value(json_object_get(*root, "owner_id"));
	a->hops = (uint32_t)json_integer_value(json_object_get(*root, "hops"));
	path = json_object_get(*root, "path");
	if (!a->status || !json_is_array(path) || json_array_size(path) > PATH_MAX_IDS)
		return false;
	a->path_count = (uint32_t)json_array_size(path);
	for (uint32_t k = 0; k < a->path_count; k++)
		a->path[k] = (uint64_t)json_integer_value(json_array_get(path, k));
	return true;
}

/* Every hop strictly shrinks the clockwise distance to the key; at most m + r asked. */
static void judge_progress(struct judge *j, const struct answer *a, uint64_t key,
			   const uint64_t ops[2], struct check_result *result)
{
	const struct chord_space *sp = &j->ring.space;

	for (uint32_t k = 1; k < a->path_count; k++) {
		uint64_t before = chord_distance(sp, a->path[k - 1] % sp->size, key);
		uint64_t after = chord_distance(sp, a->path[k] % sp->size, key);

		if (after >= before) {
			check_result_add_anomaly(result, "no-progress", ops, 2,
						 "lookup of %" PRIu64 ": hop %" PRIu32 " to %"
						 PRIu64 " is %" PRIu64 " from the key, no closer "
						 "than %" PRIu64 " (%" PRIu64 ")", key, k,
						 a->path[k], after, a->path[k - 1], before);
			return;
		}
	}
	if (strcmp(a->status, "too-long") == 0 || a->hops > sp->bits + j->ring.succ_list)
		check_result_add_anomaly(result, "no-progress", ops, 2, "lookup of %" PRIu64 ": %"
					 PRIu32 " hops, over m + r = %u", key, a->hops,
					 sp->bits + j->ring.succ_list);
	else if (strcmp(a->status, "no-progress") == 0)
		check_result_add_anomaly(result, "no-progress", ops, 2, "lookup of %" PRIu64
					 ": the node reports a hop that made no progress", key);
}

static void judge_lookup(struct judge *j, uint64_t inv, uint64_t done,
			 struct check_result *result)
{
	const struct op *in = &j->h->ops[inv], *out = &j->h->ops[done];
	uint64_t key = (uint64_t)in->value.integer, ops[2] = { inv, done };
	struct answer a = { 0 };
	json_t *root = NULL;
	uint32_t truth;

	if (out->type != OP_OK)
		return;
	result->final_read_count += in->final;
	if (in->value.kind != OP_VALUE_INT || key >= j->ring.space.size ||
	    out->value.kind != OP_VALUE_JSON || !answer_parse(out->value.json, &a, &root)) {
		check_result_set_unknown(result, "op %" PRIu64 ": not a chord lookup", done);
		json_decref(root);
		return;
	}
	judge_progress(j, &a, key, ops, result);
	if (strcmp(a.status, "ok") == 0 && a.owner &&
	    down_throughout(j, a.owner, in->time_ns, out->time_ns))
		check_result_add_anomaly(result, "dead-owner", ops, 2, "lookup of %" PRIu64
					 " answered %s, which was killed before the lookup began "
					 "and not restarted until after it ended", key, a.owner);
	truth = owner_of(&j->ring, key);
	if (strcmp(a.status, "ok") == 0 && quiet(j, in->time_ns, out->time_ns)) {
		j->quiet++;
		j->hops_quiet_total += a.hops;
		j->hops_quiet[a.hops < PATH_MAX_IDS ? a.hops : PATH_MAX_IDS]++;
		if (a.owner_id != j->ring.ids[truth])
			check_result_add_anomaly(result, "wrong-owner", ops, 2, "lookup of %" PRIu64
						 " in a quiet ring answered %s (%" PRIu64 "); "
						 "successor(key) is %s (%" PRIu64 ")", key,
						 a.owner ? a.owner : "?", a.owner_id,
						 j->ring.names[truth], j->ring.ids[truth]);
	} else if (strcmp(a.status, "ok") == 0) {
		j->churned++;
		j->churned_wrong += a.owner_id != j->ring.ids[truth];
	}
	json_decref(root);
}

/* Mean, p50, p99 and max hops of the quiet lookups, against 1/2 log2 N; slow-routing when
 * the mean passes log2 N (Stoica et al.: a mean near N/2 means the fingers are broken). */
static void routing(struct judge *j, struct check_result *result)
{
	double half_log = 0.5 * log2((double)j->ring.count);
	double mean = j->quiet ? (double)j->hops_quiet_total / (double)j->quiet : 0.0;
	uint64_t seen = 0, p50 = 0, p99 = 0, max = 0;

	for (uint32_t h = 0; h <= PATH_MAX_IDS; h++) {
		if (!j->hops_quiet[h])
			continue;
		if (seen < (j->quiet + 1) / 2 && seen + j->hops_quiet[h] >= (j->quiet + 1) / 2)
			p50 = h;
		if (seen < (j->quiet * 99 + 99) / 100 &&
		    seen + j->hops_quiet[h] >= (j->quiet * 99 + 99) / 100)
			p99 = h;
		seen += j->hops_quiet[h];
		max = h;
	}
	check_result_add_figures(result, "chord: %" PRIu64 " lookups in a quiet ring judged "
				 "strictly; hops mean %.2f, p50 %" PRIu64 ", p99 %" PRIu64 ", max %"
				 PRIu64 " (1/2 log2 N = %.2f, N = %" PRIu32 ")\n", j->quiet, mean,
				 p50, p99, max, half_log, j->ring.count);
	check_result_add_figures(result, "chord: %" PRIu64 " lookups under churn or faults, %"
				 PRIu64 " of them not naming today's successor(key) (counted, "
				 "not a violation)\n", j->churned, j->churned_wrong);
	if (j->quiet >= MIN_QUIET_FOR_ROUTING && mean > 2 * half_log)
		check_result_add_anomaly(result, "slow-routing", NULL, 0, "quiet lookups took %.2f "
					 "hops on average, over log2 N = %.2f", mean, 2 * half_log);
}

static int chord_check(const struct checker *checker, const struct check_run *run,
		       const struct check_opts *opts, struct check_result *result,
		       struct errbuf *eb)
{
	struct judge *j;
	int err;

	(void)checker;
	(void)opts;
	result->checker = "chord";
	result->model = "chord";
	result->op_count = run->history->count;
	if (!run->dir) {
		check_result_set_unknown(result, "chord needs the run directory (config.json: "
					 "the nodes and the bits)");
		return 0;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	j->h = run->history;
	err = ring_load(&j->ring, run->dir, eb);
	if (err == 0) {
		disturbances(j);
		kills(j);
		if (j->spans_overflow)
			check_result_set_unknown(result, "more than %d nemesis ops: no lookup "
						 "judged as quiet", DISTURBANCES_MAX);
		for (uint64_t i = 0; i < j->h->count; i++) {
			const struct op *op = &j->h->ops[i];

			if (op->type == OP_INVOKE && op->process != OP_PROCESS_NEMESIS &&
			    strcmp(op->f, "lookup") == 0 && hist_pair(j->h, i) != HIST_NO_PAIR)
				judge_lookup(j, i, hist_pair(j->h, i), result);
		}
		routing(j, result);
	}
	free(j);
	return err;
}

static const struct checker_ops chord_checker_ops = { .name = "chord", .check = chord_check };
static const struct checker chord_checker = { .ops = &chord_checker_ops };

checker_make_fn chord_checker_make;

int chord_checker_make(const struct checker_entry *entry, const struct linear_opts *linear,
		       struct check_opts *opts, const struct checker **out, struct errbuf *eb)
{
	(void)entry;
	(void)linear;
	(void)opts;
	(void)eb;
	*out = &chord_checker;
	return 0;
}
