/* SPDX-License-Identifier: MIT */
/* mapreduce_system.c - mapreduce-node behind the System seam: a coordinator and workers
 * running job after job over one input (nodes/mapreduce/PROTOCOL.md), judged against the
 * sequential oracle by the mapreduce checker. */
#include "system.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "campaign.h"
#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "mapreduce_client.h"
#include "mapreduce_gen.h"
#include "mapreduce_input.h"
#include "mr_job.h"
#include "replica_args.h"
#include "replica_db.h"

enum {
	MAPREDUCE_SPLIT_BYTES = 512 * 1024,     /* a generated input file */
	MAPREDUCE_VOCABULARY = 20000,
	MAPREDUCE_JOB_TIMEOUT_S = 30,           /* a job op still waiting after this is info */
	MAPREDUCE_APP_BYTES_MAX = 64,
};

struct mapreduce_system_opts {
	char app[MAPREDUCE_APP_BYTES_MAX];      /* wc, index or grep:PATTERN */
	uint32_t maps, reduces, crash_permille;
	const char *input;                      /* --input DIR (borrowed from argv), or NULL */
	uint32_t workers;                       /* --workers N, or 0 */
	bool maps_given;
};
STATIC_ASSERT(sizeof(struct mapreduce_system_opts) <= SYSTEM_OPTS_BYTES_MAX,
	      "the options fit the campaign's room for them");

struct mapreduce_system {
	struct system base;
	struct mapreduce_gen gen;
	struct replica_db db;
	uint32_t reduces;
	char job_text[MR_JOB_TEXT_BYTES_MAX];
	char input[REPLICA_DB_PATH_BYTES_MAX];
	char output[REPLICA_DB_PATH_BYTES_MAX];
};

static void mapreduce_client_setup(const struct system *sys, struct client *client,
				   void *session)
{
	const struct mapreduce_system *s = container_of(sys, const struct mapreduce_system, base);

	(void)session;
	mapreduce_client_init(container_of(client, struct mapreduce_client, base),
			      sys->op_timeout_ns, MAPREDUCE_JOB_TIMEOUT_S * 1000000000ll,
			      s->output, s->reduces);
}

/* The final read: the coordinator's current job, once done: it must finish after the heal. */
static uint32_t mapreduce_final_reads(const struct system *sys, struct op *out, uint32_t max)
{
	(void)sys;
	ASSERT(max >= 1);
	out[0] = (struct op){ .f = "read", .key = "job", .value = { .kind = OP_VALUE_NULL } };
	return 1;
}

static uint64_t mapreduce_digest(const struct client_result *r)
{
	const char *json = r->value.kind == OP_VALUE_JSON ? r->value.json : "";

	return codec_fnv1a(CODEC_FNV1A_BASIS, json, strlen(json));
}

static void mapreduce_free(struct system *sys)
{
	free(container_of(sys, struct mapreduce_system, base));
}

static const struct system_ops mapreduce_system_ops = {
	.name = "mapreduce",
	.client_size = sizeof(struct mapreduce_client),
	.client_init = mapreduce_client_setup,
	.final_reads = mapreduce_final_reads,
	.digest = mapreduce_digest,
	.free = mapreduce_free,
	.agreed_reads = true, /* a job's end is the coordinator's word: read it there, retried */
};

/* --job SPEC --input DIR --output DIR: every node gets the same. */
static uint32_t mapreduce_extra_args(const struct replica_db *db, uint32_t node,
				     char args[][REPLICA_DB_ARG_BYTES_MAX], uint32_t max)
{
	const struct mapreduce_system *s = db->extra_ctx;

	(void)node;
	ASSERT(max >= 6);
	snprintf(args[0], REPLICA_DB_ARG_BYTES_MAX, "--job");
	snprintf(args[1], REPLICA_DB_ARG_BYTES_MAX, "%s", s->job_text);
	snprintf(args[2], REPLICA_DB_ARG_BYTES_MAX, "--input");
	snprintf(args[3], REPLICA_DB_ARG_BYTES_MAX, "%s", s->input);
	snprintf(args[4], REPLICA_DB_ARG_BYTES_MAX, "--output");
	snprintf(args[5], REPLICA_DB_ARG_BYTES_MAX, "%s", s->output);
	return 6;
}

/* The run's input (generated from the seed unless --input) and output directories, beside
 * the nodes' data root. */
static int dirs_make(struct mapreduce_system *s, const struct mapreduce_system_opts *so,
		     const struct campaign_opts *o, const char *data_root, struct errbuf *eb)
{
	char root[REPLICA_DB_PATH_BYTES_MAX];
	struct mr_input_spec spec = { .seed = o->seed, .documents = so->maps,
				      .bytes = (uint64_t)so->maps * MAPREDUCE_SPLIT_BYTES,
				      .vocabulary = MAPREDUCE_VOCABULARY };
	struct mr_input_answer *answer = NULL;
	int err = 0;

	snprintf(root, sizeof(root), "%s", data_root);
	dirname(root);
	if (snprintf(s->output, sizeof(s->output), "%s/output", root) >= (int)sizeof(s->output) ||
	    snprintf(s->input, sizeof(s->input), "%s/input", root) >= (int)sizeof(s->input))
		return errbuf_set(eb, -ENAMETOOLONG, "%s: path too long", root);
	if (mkdir(s->output, 0755) < 0 && errno != EEXIST)
		return errbuf_set(eb, -errno, "%s: %s", s->output, strerror(errno));
	if (so->input)
		snprintf(s->input, sizeof(s->input), "%s", so->input);
	else
		err = mr_input_write(&spec, s->input, &answer, eb);
	mr_input_answer_free(answer);
	return err;
}

static int mapreduce_system_new(const struct campaign_opts *o, const char *data_root,
				struct system **out, struct errbuf *eb)
{
	const struct mapreduce_system_opts *so = o->system_opts;
	struct mapreduce_system *s = calloc(1, sizeof(*s));
	struct mr_job job;
	int err;

	if (!s)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	mr_job_defaults(&job);
	snprintf(job.app, sizeof(job.app), "%s", so->app);
	job.maps = so->maps;
	job.reduces = so->reduces;
	job.crash_permille = so->crash_permille;
	mr_job_format(&job, s->job_text, sizeof(s->job_text));
	s->reduces = so->reduces;
	mapreduce_gen_init(&s->gen);
	err = dirs_make(s, so, o, data_root, eb);
	if (!err)
		err = system_init(&s->base, &mapreduce_system_ops, &s->gen.base, &s->db,
				  "mapreduce", o, data_root, eb);
	if (err < 0) {
		free(s);
		return err;
	}
	s->db.extra = mapreduce_extra_args;
	s->db.extra_ctx = s;
	*out = &s->base;
	return 0;
}

/* ---- Options -------------------------------------------------------------------------- */

static int parse_count(const char *arg, const char *name, int64_t max, uint32_t *out,
		       struct errbuf *eb)
{
	int64_t v;

	if (replica_args_parse_int(arg, 1, max, &v) < 0)
		return errbuf_set(eb, -EINVAL, "--%s: expected 1..%" PRId64, name, max);
	*out = (uint32_t)v;
	return 0;
}

static int parse_workers(void *opts, const char *arg, struct errbuf *eb)
{
	return parse_count(arg, "workers", MR_WORKERS_MAX - 1,
			   &((struct mapreduce_system_opts *)opts)->workers, eb);
}

static int parse_maps(void *opts, const char *arg, struct errbuf *eb)
{
	((struct mapreduce_system_opts *)opts)->maps_given = true;
	return parse_count(arg, "maps", MR_MAPS_MAX, &((struct mapreduce_system_opts *)opts)->maps,
			   eb);
}

static int parse_reduces(void *opts, const char *arg, struct errbuf *eb)
{
	return parse_count(arg, "reduces", MR_REDUCES_MAX,
			   &((struct mapreduce_system_opts *)opts)->reduces, eb);
}

static int parse_app(void *opts, const char *arg, struct errbuf *eb)
{
	struct mapreduce_system_opts *so = opts;
	struct mr_job job;
	struct mr_app app;

	if (strlen(arg) >= sizeof(so->app) || strchr(arg, ','))
		return errbuf_set(eb, -EINVAL, "--app: expected wc, index or grep:PATTERN (a "
				  "pattern without a comma, under %zu bytes)", sizeof(so->app));
	mr_job_defaults(&job);
	snprintf(job.app, sizeof(job.app), "%s", arg);
	if (mr_job_app(&job, &app, eb) < 0)
		return errbuf_prefix(eb, -EINVAL, "--app: ");
	snprintf(so->app, sizeof(so->app), "%s", arg);
	return 0;
}

static int parse_input(void *opts, const char *arg, struct errbuf *eb)
{
	(void)eb;
	((struct mapreduce_system_opts *)opts)->input = arg;
	return 0;
}

static int parse_crash(void *opts, const char *arg, struct errbuf *eb)
{
	char *end;
	double p = strtod(arg, &end);

	if (*arg == '\0' || *end != '\0' || !(p >= 0 && p <= 1))
		return errbuf_set(eb, -EINVAL, "--crash-in-task: expected a probability 0..1");
	((struct mapreduce_system_opts *)opts)->crash_permille = (uint32_t)(p * 1000 + 0.5);
	return 0;
}

static void mapreduce_opts_defaults(void *opts)
{
	struct mapreduce_system_opts *so = opts;
	struct mr_job job;

	mr_job_defaults(&job);
	*so = (struct mapreduce_system_opts){ .app = "wc", .maps = job.maps,
					      .reduces = job.reduces };
}

/* The input's files, checked as the workers will read them: @count regular files whose
 * names can name documents. */
static int input_count(const char *dir, uint32_t *count, struct errbuf *eb)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int err = 0;

	*count = 0;
	if (!d)
		return errbuf_set(eb, -errno, "--input %s: %s", dir, strerror(errno));
	while (!err && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		err = mr_app_check_name((struct mr_slice){ e->d_name, strlen(e->d_name) }, eb);
		if (err)
			errbuf_prefix(eb, err, "--input %s: ", dir);
		else if (++*count > MR_MAPS_MAX)
			err = errbuf_set(eb, -EINVAL, "--input %s: over %d files", dir,
					 MR_MAPS_MAX);
	}
	closedir(d);
	if (!err && *count == 0)
		err = errbuf_set(eb, -EINVAL, "--input %s: no file", dir);
	return err;
}

/* Nodes: a coordinator and the workers (--workers N, or --nodes N - 1); one client: jobs
 * run one at a time; the maps are the input's files. */
static int mapreduce_opts_check(void *opts, struct campaign_opts *o, struct errbuf *eb)
{
	struct mapreduce_system_opts *so = opts;
	uint32_t files;
	int err;

	if (so->workers && o->node_count != o->system->nodes_default &&
	    o->node_count != so->workers + 1)
		return errbuf_set(eb, -EINVAL, "--nodes %" PRIu32 " and --workers %" PRIu32 ": a "
				  "job has workers + 1 nodes", o->node_count, so->workers);
	if (so->workers)
		o->node_count = so->workers + 1;
	o->concurrency = 1;
	if (!so->input)
		return 0;
	err = input_count(so->input, &files, eb);
	if (err)
		return err;
	if (so->maps_given && so->maps != files)
		return errbuf_set(eb, -EINVAL, "--maps %" PRIu32 ": --input %s has %" PRIu32
				  " files, one map each", so->maps, so->input, files);
	so->maps = files;
	return 0;
}

static void mapreduce_config_json(const void *opts, json_t *root)
{
	const struct mapreduce_system_opts *so = opts;

	json_object_set_new(root, "mapreduce", json_pack(
		"{s:s, s:i, s:i, s:f, s:s}", "app", so->app, "maps", (int)so->maps,
		"reduces", (int)so->reduces, "crash_in_task", so->crash_permille / 1000.0,
		"input", so->input ? so->input : "input"));
}

static void mapreduce_reproduce(const void *opts, FILE *out)
{
	const struct mapreduce_system_opts *so = opts;

	fprintf(out, " --app %s --maps %" PRIu32 " --reduces %" PRIu32 " --crash-in-task %.3f",
		so->app, so->maps, so->reduces, so->crash_permille / 1000.0);
	if (so->input)
		fprintf(out, " --input %s", so->input);
}

static const struct system_option mapreduce_options[] = {
	{ "workers", "N", "workers, 1..63 (default 4); node 1 is the coordinator",
	  parse_workers },
	{ "maps", "M", "map tasks: generated input files (default 8, 512 KiB each); with "
	  "--input, its file count", parse_maps },
	{ "reduces", "R", "reduce tasks (default 5)", parse_reduces },
	{ "app", "wc|index|grep:PATTERN", "the application (default wc, the lab's)",
	  parse_app },
	{ "input", "DIR", "any directory of text files (default: generated from the seed)",
	  parse_input },
	{ "crash-in-task", "P", "as the lab's crash plugin: a worker exits inside a task with "
	  "probability P (and starts again), or straggles up to 2 s with P (default 0)",
	  parse_crash },
	{ NULL, NULL, NULL, NULL },
};

static const struct system_bug mapreduce_bugs[] = {
	{ "non-atomic-output", "a reduce writes its final file in place: a crash or a second "
	  "execution leaves it torn", "--crash-in-task 0.3", "torn-output,early-done", false },
	{ "no-reexec-completed-maps", "a lost worker's finished maps are not run again: reduces "
	  "fetch from it forever", "--nemesis kill", "stalled", false },
	{ "early-reduce", "reduces start before every map is done", "", "wrong-output", false },
	{ "duplicate-commit", "a backup and the original both append to the final file",
	  "--crash-in-task 0.3", "torn-output,double-commit", false },
	{ "short-timeout", "tasks are given up after 5 ms: spurious re-execution",
	  "--nemesis none", "spurious-reexec", false },
	{ "exit-before-commit", "a reduce says done before its rename", "", "early-done",
	  false },
	{ "serial-coordinator", "one task at a time", "--nemesis none", "no-parallelism",
	  false },
	{ NULL, NULL, NULL, NULL, false },
};

const struct system_desc mapreduce_system_desc = {
	.name = "mapreduce",
	.summary = "MapReduce (mapreduce-node: a coordinator and workers) running job after job, "
		   "every output against a sequential oracle",
	.node_program = "mapreduce-node",
	.nodes_default = 5,
	.nodes_min = 2,
	.nodes_max = MR_WORKERS_MAX,
	.nodes_rule = "workers + 1 (set by --workers)",
	.options = mapreduce_options,
	.bugs = mapreduce_bugs,
	.checkers = "mapreduce",
	.opts_size = sizeof(struct mapreduce_system_opts),
	.opts_defaults = mapreduce_opts_defaults,
	.opts_check = mapreduce_opts_check,
	.make = mapreduce_system_new,
	.config_json = mapreduce_config_json,
	.reproduce = mapreduce_reproduce,
};
