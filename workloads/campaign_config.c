/* SPDX-License-Identifier: MIT */
/* campaign_config.c - config.json (every parameter, the seed) and the reproduce command. */
#include "campaign_config.h"

#include "campaign_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "errbuf.h"
#include "fault.h"
#include "monotime.h"
#include "system.h"

/* "partition:3:1,kill:5:0.5", or "none": the --nemesis argument that gives @o's faults. */
static void nemesis_arg(const struct campaign_opts *o, char *out, size_t size)
{
	size_t used = 0;

	snprintf(out, size, "none");
	for (uint32_t i = 0; i < o->fault_count && used < size; i++) {
		const struct schedule_fault *f = &o->faults[i];

		used += (size_t)snprintf(out + used, size - used, "%s%s:%g:%g", i ? "," : "",
					 fault_of(o->system, f->fault)->name, f->interval_s,
					 f->probability);
	}
}

void campaign_print_reproduce(const struct campaign_opts *o, FILE *out)
{
	bool partitions = campaign_opts_has_fault(o, NEM_F_PARTITION);
	char nemesis[256];

	nemesis_arg(o, nemesis, sizeof(nemesis));
	fprintf(out, "faultline run %s", o->system->name);
	if (o->system->reproduce)
		o->system->reproduce(o->system_opts, out);
	fprintf(out, " --nodes %u --time %g --rate %g --concurrency %u --nemesis %s",
		o->node_count, o->time_s, o->rate, o->concurrency, nemesis);
	if (partitions && o->shapes[0]) {
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

/* The schedule as recorded: time, f and the invoke's value of every fault event. */
static json_t *schedule_json(const struct schedule *sched)
{
	json_t *a = json_array();

	for (uint32_t i = 0; a && i < sched->count; i++) {
		const struct schedule_event *ev = &sched->events[i];
		json_t *value = json_loads(ev->value, JSON_DECODE_ANY, NULL);

		json_array_append_new(a, json_pack("{s:f, s:s, s:o*}", "at_s",
						   (double)ev->at_ns / 1e9, "f", ev->f,
						   "value", value));
	}
	return a;
}

static json_t *faults_json(const struct campaign_opts *o)
{
	json_t *a = json_array();

	for (uint32_t i = 0; a && i < o->fault_count; i++) {
		json_array_append_new(a, json_pack("{s:s, s:f, s:f}", "fault",
			fault_of(o->system, o->faults[i].fault)->name, "interval_s",
			o->faults[i].interval_s, "probability", o->faults[i].probability));
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
	root = json_pack("{s:s, s:s, s:s, s:I, s:s, s:i, s:f, s:f, s:i, s:o, s:f, s:o, s:s?,"
			 " s:s, s:b, s:I, s:I, s:o, s:o, s:s, s:o}",
			 "system", o->system->name, "model", cp->sys->check_model,
			 "run_id", run_id, "seed", (json_int_t)o->seed, "seed_text", seed,
			 "nodes_count", (int)o->node_count, "time_s", o->time_s, "rate", o->rate,
			 "concurrency", (int)o->concurrency, "nemesis", faults_json(o),
			 "nemesis_interval_s", o->nemesis_interval_s, "shapes", shapes_json(o),
			 "bug", o->bug, "node_exe", o->node_exe,
			 "keep", o->keep,
			 "op_timeout_ns", (json_int_t)o->op_timeout_ns,
			 "quiet_timeout_ns", (json_int_t)o->quiet_timeout_ns,
			 "nodes", nodes_json(cp), "command", command_json(o),
			 "subnet", CLUSTER_SUBNET, "schedule", schedule_json(&cp->schedule));
	if (!root)
		return errbuf_set(eb, -ENOMEM, "cannot build config.json");
	json_object_set_new(root, "capture", json_boolean(o->capture));
	if (o->system->config_json)
		o->system->config_json(o->system_opts, root);
	if (cp->delay_backend)
		json_object_set_new(root, "delay_backend", json_string(cp->delay_backend));
	json_object_set_new(root, "capture_bytes_max",
			    json_integer((json_int_t)o->capture_bytes_max));
	hist_run_file(path, sizeof(path), cp->report->run_dir, HIST_RUN_CONFIG);
	if (json_dump_file(root, path, JSON_INDENT(2) | JSON_SORT_KEYS) < 0)
		err = errbuf_set(eb, -EIO, "%s: cannot write", path);
	json_decref(root);
	return err;
}
