/* SPDX-License-Identifier: MIT */
/* skew.c - clock offsets per node from the ops' clock objects, and the nemesis clock ops. */
#include "skew.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"

static const char *const clock_fs[] = { "bump", "strobe", "drift", "reset" };

/* One sample: offset = wall - host, measured at completion @index. */
struct sample {
	uint64_t index;
	int64_t time_ns;
	int64_t offset_ns;
	int64_t uncertainty_ns;
};

void skew_free(struct skew *skew)
{
	if (!skew)
		return;
	for (uint32_t n = 0; n < skew->node_count; n++) {
		free(skew->nodes[n].name);
		free(skew->nodes[n].buckets);
	}
	for (uint32_t k = 0; k < skew->event_count; k++) {
		json_decref(skew->events[k].value);
		json_decref(skew->events[k].result);
	}
	free(skew->events);
	free(skew);
}

static int64_t magnitude(int64_t x)
{
	return x == INT64_MIN ? INT64_MAX : (x < 0 ? -x : x);
}

static int node_find(struct skew *skew, const char *name, struct skew_node **out,
		     struct errbuf *eb)
{
	struct skew_node *node;

	for (uint32_t n = 0; n < skew->node_count; n++) {
		if (strcmp(skew->nodes[n].name, name) == 0) {
			*out = &skew->nodes[n];
			return 0;
		}
	}
	if (skew->node_count == CHK_NODES_MAX)
		return errbuf_set(eb, -E2BIG, "skew: more than %d nodes", CHK_NODES_MAX);
	node = &skew->nodes[skew->node_count];
	memset(node, 0, sizeof(*node));
	node->name = strdup(name);
	if (!node->name)
		return errbuf_set(eb, -ENOMEM, "skew: out of memory");
	skew->node_count++;
	*out = node;
	return 0;
}

/* Add @x to @node's extreme and its bucket (samples come in non-decreasing time). */
static int node_add(struct skew_node *node, const struct sample *x, struct errbuf *eb)
{
	int64_t start = x->time_ns / SKEW_BUCKET_NS * SKEW_BUCKET_NS;
	struct skew_bucket *b;

	if (node->sample_count == 0 ||
	    magnitude(x->offset_ns) > magnitude(node->extreme_offset_ns)) {
		node->extreme_offset_ns = x->offset_ns;
		node->extreme_time_ns = x->time_ns;
		node->extreme_uncertainty_ns = x->uncertainty_ns;
		node->extreme_index = x->index;
	}
	node->sample_count++;
	b = node->bucket_count ? &node->buckets[node->bucket_count - 1] : NULL;
	ASSERT(!b || b->start_ns <= start);
	if (!b || b->start_ns != start) {
		if (node->bucket_count == CHK_SKEW_BUCKETS_MAX) {
			node->samples_dropped++;
			return 0;
		}
		if (node->bucket_count == node->bucket_capacity) {
			uint32_t cap = node->bucket_capacity ? 2 * node->bucket_capacity : 16;
			void *p = realloc(node->buckets, (size_t)cap * sizeof(*b));

			if (!p)
				return errbuf_set(eb, -ENOMEM, "skew: out of memory for buckets");
			node->buckets = p;
			node->bucket_capacity = cap;
		}
		b = &node->buckets[node->bucket_count++];
		*b = (struct skew_bucket){ start, x->offset_ns, x->offset_ns, 0 };
	}
	b->offset_ns_min = x->offset_ns < b->offset_ns_min ? x->offset_ns : b->offset_ns_min;
	b->offset_ns_max = x->offset_ns > b->offset_ns_max ? x->offset_ns : b->offset_ns_max;
	b->sample_count++;
	ASSERT(node->bucket_count <= CHK_SKEW_BUCKETS_MAX);
	return 0;
}

/* The sample of completion @r, if it carries a clock: 1 with *@x, 0 without, -1 malformed. */
static int sample_parse(const struct history *h, uint64_t r, struct sample *x)
{
	const struct op *op = &h->ops[r];
	json_t *doc, *clock, *wall, *host;
	int found = 0;

	if (op->type != OP_OK || op->value.kind != OP_VALUE_JSON || !strstr(op->value.json,
									     "\"clock\""))
		return 0;
	doc = json_loads(op->value.json, 0, NULL);
	clock = json_object_get(doc, "clock");
	wall = json_object_get(clock, "wall");
	host = json_object_get(clock, "host");
	if (clock && (!json_is_integer(wall) || !json_is_integer(host)))
		found = -1;
	else if (clock && !__builtin_sub_overflow(json_integer_value(wall),
						  json_integer_value(host), &x->offset_ns))
		found = 1;
	else if (clock)
		found = -1;
	json_decref(doc);
	if (found == 1) {
		x->index = r;
		x->time_ns = op->time_ns;
		x->uncertainty_ns = hist_pair(h, r) == HIST_NO_PAIR ? 0 :
				    op->time_ns - h->ops[hist_pair(h, r)].time_ns;
	}
	return found;
}

static json_t *value_to_json(const struct op_value *v)
{
	json_t *a;

	switch (v->kind) {
	case OP_VALUE_NULL:
		return json_null();
	case OP_VALUE_INT:
		return json_integer(v->integer);
	case OP_VALUE_INTS:
		a = json_array();
		for (uint32_t k = 0; a && k < v->count; k++)
			json_array_append_new(a, json_integer(v->ints[k]));
		return a;
	case OP_VALUE_JSON:
		return json_loads(v->json, JSON_DECODE_ANY, NULL);
	}
	return NULL;
}

static bool is_clock_f(const char *f)
{
	for (size_t k = 0; k < ARRAY_SIZE(clock_fs); k++)
		if (strcmp(f, clock_fs[k]) == 0)
			return true;
	return false;
}

static int event_add(struct skew *skew, const struct history *h, uint64_t i, struct errbuf *eb)
{
	const struct op *op = &h->ops[i];
	uint64_t r = hist_pair(h, i);
	struct skew_event *e;

	if (skew->event_count == CHK_SKEW_EVENTS_MAX) {
		skew->events_dropped++;
		return 0;
	}
	e = &skew->events[skew->event_count];
	memset(e, 0, sizeof(*e));
	e->index = i;
	e->time_ns = op->time_ns;
	snprintf(e->f, sizeof(e->f), "%s", op->f);
	e->value = value_to_json(&op->value);
	e->result = r == HIST_NO_PAIR ? NULL : value_to_json(&h->ops[r].value);
	skew->event_count++;
	if (!e->value || (r != HIST_NO_PAIR && !e->result))
		return errbuf_set(eb, -ENOMEM, "skew: out of memory for op %" PRIu64, i);
	return 0;
}

/* The node a completion @r reports for: named on its invocation, else on itself. */
static const char *sample_node(const struct history *h, uint64_t r)
{
	uint64_t i = hist_pair(h, r);

	if (i != HIST_NO_PAIR && op_node(&h->ops[i]))
		return op_node(&h->ops[i]);
	return op_node(&h->ops[r]);
}

static int scan_op(struct skew *skew, const struct history *h, uint64_t i, struct errbuf *eb)
{
	const struct op *op = &h->ops[i];
	struct skew_node *node = NULL;
	struct sample x;
	int found;

	if (op->process == OP_PROCESS_NEMESIS) {
		if (op->type == OP_INVOKE && is_clock_f(op->f))
			return event_add(skew, h, i, eb);
		return 0;
	}
	found = sample_parse(h, i, &x);
	if (found < 0)
		skew->clocks_malformed++;
	if (found <= 0)
		return 0;
	if (!sample_node(h, i)) {
		skew->samples_unnamed++;
		return 0;
	}
	found = node_find(skew, sample_node(h, i), &node, eb);
	return found ? found : node_add(node, &x, eb);
}

int skew_summarize(const struct history *h, struct skew **out, struct errbuf *eb)
{
	struct skew *skew;
	int err = 0;

	ASSERT(h && out);
	*out = NULL;
	skew = calloc(1, sizeof(*skew));
	if (skew)
		skew->events = calloc(CHK_SKEW_EVENTS_MAX, sizeof(*skew->events));
	if (!skew || !skew->events) {
		skew_free(skew);
		return errbuf_set(eb, -ENOMEM, "skew: out of memory");
	}
	for (uint64_t i = 0; i < h->count && !err; i++)
		err = scan_op(skew, h, i, eb);
	if (err || (skew->node_count == 0 && skew->event_count == 0 && !skew->clocks_malformed)) {
		skew_free(skew);
		return err;
	}
	ASSERT(skew->node_count <= CHK_NODES_MAX);
	*out = skew;
	return 0;
}

int skew_fprint(FILE *out, const struct skew *skew)
{
	uint64_t total;
	uint32_t shown;

	ASSERT(out);
	if (!skew)
		return 0;
	for (uint32_t n = 0; n < skew->node_count; n++) {
		const struct skew_node *node = &skew->nodes[n];

		fprintf(out, "skew %s: max %+.1f ms at %.1f s (±%.1f ms)\n", node->name,
			(double)node->extreme_offset_ns / 1e6, (double)node->extreme_time_ns / 1e9,
			(double)node->extreme_uncertainty_ns / 1e6);
	}
	total = skew->event_count + skew->events_dropped;
	shown = skew->event_count < CHK_SUMMARY_CLOCK_OPS_MAX ? skew->event_count :
		CHK_SUMMARY_CLOCK_OPS_MAX;
	for (uint32_t k = 0; k < shown; k++)
		fprintf(out, "%s%s at %.1f s", k ? ", " : "clock ops: ", skew->events[k].f,
			(double)skew->events[k].time_ns / 1e9);
	if (total > shown)
		fprintf(out, "%s... %" PRIu64 " in all", shown ? ", " : "clock ops: ", total);
	if (total > 0)
		fputc('\n', out);
	ASSERT(shown <= total);
	return ferror(out) ? -EIO : 0;
}
