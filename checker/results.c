/* SPDX-License-Identifier: MIT */
/* results.c - results.json: the verdict, its evidence and the figures of one check. */
#include "results.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "checker.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "skew.h"

static json_t *anomaly_to_json(const struct anomaly *a)
{
	json_t *ops = json_array(), *o;

	if (!ops)
		return NULL;
	for (uint32_t k = 0; k < a->op_count; k++) {
		if (json_array_append_new(ops, json_integer((json_int_t)a->ops[k]))) {
			json_decref(ops);
			return NULL;
		}
	}
	o = json_pack("{s:s, s:s, s:o}", "kind", a->kind, "message", a->message, "ops", ops);
	return o;
}

static json_t *bucket_to_json(const struct skew_bucket *b)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "start_ns", (json_int_t)b->start_ns,
			 "offset_ns_min", (json_int_t)b->offset_ns_min,
			 "offset_ns_max", (json_int_t)b->offset_ns_max,
			 "samples", (json_int_t)b->sample_count);
}

static json_t *skew_node_to_json(const struct skew_node *n)
{
	json_t *buckets = json_array();

	for (uint32_t k = 0; buckets && k < n->bucket_count; k++) {
		if (json_array_append_new(buckets, bucket_to_json(&n->buckets[k]))) {
			json_decref(buckets);
			return NULL;
		}
	}
	if (!buckets)
		return NULL;
	return json_pack("{s:s, s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:o}", "node", n->name,
			 "samples", (json_int_t)n->sample_count,
			 "samples_dropped", (json_int_t)n->samples_dropped,
			 "max_abs", "offset_ns", (json_int_t)n->extreme_offset_ns,
			 "time_ns", (json_int_t)n->extreme_time_ns,
			 "uncertainty_ns", (json_int_t)n->extreme_uncertainty_ns,
			 "op", (json_int_t)n->extreme_index,
			 "buckets", buckets);
}

static json_t *skew_event_to_json(const struct skew_event *e)
{
	return json_pack("{s:I, s:I, s:s, s:O, s:O?}", "op", (json_int_t)e->index,
			 "time_ns", (json_int_t)e->time_ns, "f", e->f, "value", e->value,
			 "result", e->result);
}

/* The "liveness" object: apart from the verdict. */
static json_t *liveness_to_json(const struct check_liveness *l)
{
	return json_pack("{s:I, s:I, s:I, s:b}", "heal_ns", (json_int_t)l->heal_ns,
			 "first_ok_ns", (json_int_t)l->first_ok_ns, "bound_ns",
			 (json_int_t)l->bound_ns, "within_bound", liveness_within_bound(l));
}

/* The "skew" object: clock offsets per node in 1 s buckets, and the clock ops asked. */
static json_t *skew_to_json(const struct skew *s)
{
	json_t *nodes = json_array(), *ops = json_array();
	bool failed = !nodes || !ops;

	for (uint32_t n = 0; !failed && n < s->node_count; n++)
		failed = json_array_append_new(nodes, skew_node_to_json(&s->nodes[n])) != 0;
	for (uint32_t k = 0; !failed && k < s->event_count; k++)
		failed = json_array_append_new(ops, skew_event_to_json(&s->events[k])) != 0;
	if (failed) {
		json_decref(nodes);
		json_decref(ops);
		return NULL;
	}
	return json_pack("{s:I, s:o, s:o, s:I, s:I, s:I}", "bucket_ns", (json_int_t)SKEW_BUCKET_NS,
			 "nodes", nodes, "clock_ops", ops,
			 "clock_ops_dropped", (json_int_t)s->events_dropped,
			 "samples_unnamed", (json_int_t)s->samples_unnamed,
			 "clocks_malformed", (json_int_t)s->clocks_malformed);
}

/* '\n'-separated @text as an array of its lines. */
static json_t *lines_to_json(const char *text)
{
	json_t *lines = json_array();

	/* Bounded by the text: each pass takes one line. */
	while (lines && *text) {
		size_t n = strcspn(text, "\n");

		if (json_array_append_new(lines, json_stringn(text, n))) {
			json_decref(lines);
			return NULL;
		}
		text += n + (text[n] == '\n');
	}
	return lines;
}

static json_t *result_to_json(const struct check_result *r, const char *history_path)
{
	json_t *anomalies = json_array(), *doc;

	if (!anomalies)
		return NULL;
	for (uint32_t k = 0; k < r->anomaly_count; k++) {
		if (json_array_append_new(anomalies, anomaly_to_json(&r->anomalies[k]))) {
			json_decref(anomalies);
			return NULL;
		}
	}
	doc = json_pack("{s:s, s:s?, s:s?, s:s?, s:I, s:I, s:I, s:o, s:s}",
			"verdict", verdict_name(r->verdict),
			"checker", r->checker,
			"model", r->model,
			"history", history_path,
			"ops", (json_int_t)r->op_count,
			"final_reads", (json_int_t)r->final_read_count,
			"anomalies_total", (json_int_t)r->anomalies_total,
			"anomalies", anomalies,
			"unknown_reason", r->unknown_reason);
	if (doc && r->liveness.measured &&
	    json_object_set_new(doc, "liveness", liveness_to_json(&r->liveness)) != 0) {
		json_decref(doc);
		return NULL;
	}
	if (doc && r->chosen[0] &&
	    json_object_set_new(doc, "chosen", json_string(r->chosen)) != 0) {
		json_decref(doc);
		return NULL;
	}
	if (doc && r->warnings &&
	    json_object_set_new(doc, "warnings", lines_to_json(r->warnings)) != 0) {
		json_decref(doc);
		return NULL;
	}
	/* Only when there is data: results.json of a history without clocks is unchanged. */
	if (doc && r->skew && json_object_set_new(doc, "skew", skew_to_json(r->skew)) != 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

int results_fprint_json(FILE *out, const struct check_result *result, const char *history_path,
			struct errbuf *eb)
{
	json_t *doc;
	int rc;

	ASSERT(out);
	ASSERT(result);
	doc = result_to_json(result, history_path);
	if (!doc)
		return errbuf_set(eb, -ENOMEM, "out of memory building results JSON");
	rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (rc != 0 || fputc('\n', out) == EOF)
		return errbuf_set(eb, -EIO, "cannot write results JSON");
	return 0;
}

int results_write_json(const char *path, const struct check_result *result,
		       const char *history_path, struct errbuf *eb)
{
	char tmp[4096];
	FILE *f;
	int n, err;

	ASSERT(path);
	ASSERT(result);
	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return errbuf_set(eb, -ENAMETOOLONG, "%s: path too long", path);
	f = fopen(tmp, "w");
	if (!f)
		return errbuf_set(eb, -errno, "%s: cannot create: %s", tmp, strerror(errno));
	err = results_fprint_json(f, result, history_path, eb);
	if (!err && (fflush(f) != 0 || fsync(fileno(f)) != 0))
		err = errbuf_set(eb, -errno, "%s: %s", tmp, strerror(errno));
	if (fclose(f) != 0 && !err)
		err = errbuf_set(eb, -errno, "%s: %s", tmp, strerror(errno));
	if (!err && rename(tmp, path) != 0)
		err = errbuf_set(eb, -errno, "%s: cannot rename into place: %s", path,
				 strerror(errno));
	if (err)
		unlink(tmp);
	return err;
}
