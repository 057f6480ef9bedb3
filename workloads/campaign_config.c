/* SPDX-License-Identifier: MIT */
/* campaign_config.c - config.json (every parameter, the seed) and the reproduce command. */
#include "campaign_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "errbuf.h"
#include "monotime.h"

void campaign_print_reproduce(const struct campaign_opts *o, FILE *out)
{
	fprintf(out, "faultline run %s --model %s --nodes %u --time %g --rate %g --concurrency %u"
		     " --nemesis %s --nemesis-interval %g", o->system, crdt_model_name(o->model),
		o->node_count, o->time_s, o->rate, o->concurrency, o->nemesis,
		o->nemesis_interval_s);
	if (strcmp(o->nemesis, "none") != 0) {
		fprintf(out, " --shapes ");
		for (uint32_t i = 0; o->shapes[i]; i++)
			fprintf(out, "%s%s", i ? "," : "", o->shapes[i]);
	}
	fprintf(out, " --seed %" PRIu64, o->seed);
	if (o->bug)
		fprintf(out, " --bug %s", o->bug);
	fprintf(out, "\n");
}

static json_t *shapes_json(const struct campaign_opts *o)
{
	json_t *a = json_array();

	for (uint32_t i = 0; a && o->shapes[i]; i++)
		json_array_append_new(a, json_string(o->shapes[i]));
	return a;
}

static json_t *nodes_json(const struct campaign *cp)
{
	json_t *a = json_array();

	for (uint32_t i = 0; a && i < cp->opts->node_count; i++) {
		json_array_append_new(a, json_pack("{s:s, s:s}",
			"name", cluster_node_name(cp->cluster, i),
			"addr", inet_ntoa(cluster_node_addr(cp->cluster, i))));
	}
	return a;
}

static json_t *command_json(const struct campaign_opts *o)
{
	json_t *a = json_array();

	for (int i = 0; a && i < o->argc; i++)
		json_array_append_new(a, json_string(o->argv[i]));
	return a;
}

int campaign_config_write(const struct campaign *cp, const char *run_id, struct errbuf *eb)
{
	const struct campaign_opts *o = cp->opts;
	char path[HIST_PATH_BYTES_MAX + 32], seed[24];
	json_t *root;
	int err = 0;

	/* The seed is a string too: JSON readers that use doubles would round a u64. */
	snprintf(seed, sizeof(seed), "%" PRIu64, o->seed);
	root = json_pack("{s:s, s:s, s:s, s:I, s:s, s:i, s:f, s:f, s:i, s:s, s:f, s:o, s:s?,"
			 " s:s, s:b, s:I, s:I, s:s, s:o, s:o, s:s}",
			 "system", o->system, "model", crdt_model_name(o->model),
			 "run_id", run_id, "seed", (json_int_t)o->seed, "seed_text", seed,
			 "nodes_count", (int)o->node_count, "time_s", o->time_s, "rate", o->rate,
			 "concurrency", (int)o->concurrency, "nemesis", o->nemesis,
			 "nemesis_interval_s", o->nemesis_interval_s, "shapes", shapes_json(o),
			 "bug", o->bug, "node_exe", o->node_exe, "keep", o->keep,
			 "op_timeout_ns", (json_int_t)o->op_timeout_ns,
			 "quiet_timeout_ns", (json_int_t)o->quiet_timeout_ns,
			 "object", cp->object, "nodes", nodes_json(cp), "command", command_json(o),
			 "subnet", CLUSTER_SUBNET);
	if (!root)
		return errbuf_set(eb, -ENOMEM, "cannot build config.json");
	snprintf(path, sizeof(path), "%s/config.json", cp->report->run_dir);
	if (json_dump_file(root, path, JSON_INDENT(2) | JSON_SORT_KEYS) < 0)
		err = errbuf_set(eb, -EIO, "%s: cannot write", path);
	json_decref(root);
	return err;
}
