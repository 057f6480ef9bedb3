/* SPDX-License-Identifier: MIT */
/* results.c - results.json: the verdict, its evidence and the figures of one check. */
#include "results.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "checker.h"
#include "errbuf.h"
#include "fl_assert.h"

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
