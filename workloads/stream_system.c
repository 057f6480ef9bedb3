/* SPDX-License-Identifier: MIT */
/* stream_system.c - stream-node behind the System seam: a windowed job of sources, window
 * operators and a sink (nodes/stream/PROTOCOL.md), judged by the window checker. */
#include "system.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "replica_args.h"
#include "replica_db.h"
#include "stream_client.h"
#include "stream_gen.h"
#include "stream_job.h"

enum { STREAM_KEYS = 8 };       /* few keys: windows with many events each */

struct stream_system_opts {
	struct stream_job job;                          /* spec set by opts_check */
	char window[STREAM_JOB_WINDOW_TEXT_BYTES_MAX];  /* as given */
	int64_t offset_ms;
	bool roles_given;                               /* --sources or --operators */
};
STATIC_ASSERT(sizeof(struct stream_system_opts) <= SYSTEM_OPTS_BYTES_MAX,
	      "the options fit the campaign's room for them");

struct stream_system {
	struct system base;
	struct stream_gen gen;
	struct replica_db db;
	char job_text[STREAM_JOB_TEXT_BYTES_MAX];
};

static void stream_client_setup(const struct system *sys, struct client *client, void *session)
{
	(void)session;
	stream_client_init(container_of(client, struct stream_client, base),
			   STREAM_CLIENT_PORT_DEFAULT, sys->op_timeout_ns);
}

/* One read a node: a source's ends its input; all say what stops changing once drained. */
static uint32_t stream_final_reads(const struct system *sys, struct op *out, uint32_t max)
{
	(void)sys;
	ASSERT(max >= 1);
	out[0] = (struct op){ .f = "read", .key = "job", .value = { .kind = OP_VALUE_NULL } };
	return 1;
}

static uint64_t stream_digest(const struct client_result *r)
{
	const char *json = r->value.kind == OP_VALUE_JSON ? r->value.json : "";
	uint64_t h = codec_fnv1a(CODEC_FNV1A_BASIS, &r->type, sizeof(r->type));

	return codec_fnv1a(h, json, strlen(json));
}

static void stream_free(struct system *sys)
{
	free(container_of(sys, struct stream_system, base));
}

static const struct system_ops stream_system_ops = {
	.name = "stream",
	.client_size = sizeof(struct stream_client),
	.client_init = stream_client_setup,
	.final_reads = stream_final_reads,
	.digest = stream_digest,
	.free = stream_free,
};

/* --job SPEC: every node gets the whole declaration. */
static uint32_t stream_extra_args(const struct replica_db *db, uint32_t node,
				  char args[][REPLICA_DB_ARG_BYTES_MAX], uint32_t max)
{
	const struct stream_system *s = db->extra_ctx;

	(void)node;
	ASSERT(max >= 2);
	snprintf(args[0], REPLICA_DB_ARG_BYTES_MAX, "--job");
	snprintf(args[1], REPLICA_DB_ARG_BYTES_MAX, "%s", s->job_text);
	return 2;
}

static int stream_system_new(const struct campaign_opts *o, const char *data_root,
			     struct system **out, struct errbuf *eb)
{
	const struct stream_system_opts *so = o->system_opts;
	struct stream_system *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	STATIC_ASSERT((int)STREAM_JOB_TEXT_BYTES_MAX <= (int)REPLICA_DB_ARG_BYTES_MAX,
		      "--job fits");
	stream_job_format(&so->job, s->job_text, sizeof(s->job_text));
	stream_gen_init(&s->gen, so->job.sources, so->job.operators, STREAM_KEYS, o->rate,
			o->time_s, so->job.out_of_order_ms, &so->job.spec, so->job.lateness_ms,
			o->seed);
	err = system_init(&s->base, &stream_system_ops, &s->gen.base, &s->db, "window", o,
			  data_root, eb);
	if (err < 0) {
		free(s);
		return err;
	}
	s->db.extra = stream_extra_args;
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

static int parse_ms(const char *arg, const char *name, int64_t min, int64_t *out,
		    struct errbuf *eb)
{
	if (replica_args_parse_int(arg, min, STREAM_JOB_MS_MAX, out) < 0)
		return errbuf_set(eb, -EINVAL, "--%s: expected %" PRId64 "..%d milliseconds",
				  name, min, STREAM_JOB_MS_MAX);
	return 0;
}

static int parse_sources(void *opts, const char *arg, struct errbuf *eb)
{
	((struct stream_system_opts *)opts)->roles_given = true;
	return parse_count(arg, "sources", STREAM_JOB_SOURCES_MAX,
			   &((struct stream_system_opts *)opts)->job.sources, eb);
}

static int parse_operators(void *opts, const char *arg, struct errbuf *eb)
{
	((struct stream_system_opts *)opts)->roles_given = true;
	return parse_count(arg, "operators", STREAM_JOB_OPERATORS_MAX,
			   &((struct stream_system_opts *)opts)->job.operators, eb);
}

static int parse_window(void *opts, const char *arg, struct errbuf *eb)
{
	struct stream_system_opts *so = opts;
	struct stream_window_spec spec;
	int err = stream_job_window_parse(arg, 0, &spec, eb);

	if (err == 0)
		snprintf(so->window, sizeof(so->window), "%s", arg);
	return err;
}

static int parse_offset(void *opts, const char *arg, struct errbuf *eb)
{
	if (replica_args_parse_int(arg, -STREAM_WINDOW_SIZE_MS_MAX, STREAM_WINDOW_SIZE_MS_MAX,
				   &((struct stream_system_opts *)opts)->offset_ms) < 0)
		return errbuf_set(eb, -EINVAL, "--offset: expected milliseconds");
	return 0;
}

static int parse_lateness(void *opts, const char *arg, struct errbuf *eb)
{
	return parse_ms(arg, "lateness", 0, &((struct stream_system_opts *)opts)->job.lateness_ms,
			eb);
}

static int parse_out_of_order(void *opts, const char *arg, struct errbuf *eb)
{
	return parse_ms(arg, "out-of-order", 0,
			&((struct stream_system_opts *)opts)->job.out_of_order_ms, eb);
}

static int parse_idle_timeout(void *opts, const char *arg, struct errbuf *eb)
{
	return parse_ms(arg, "idle-timeout", 1,
			&((struct stream_system_opts *)opts)->job.idle_timeout_ms, eb);
}

static int parse_agg(void *opts, const char *arg, struct errbuf *eb)
{
	if (stream_job_aggregate_parse(arg, &((struct stream_system_opts *)opts)->job.aggregate))
		return errbuf_set(eb, -EINVAL, "--agg: expected count, sum, min or max");
	return 0;
}

static int parse_guarantee(void *opts, const char *arg, struct errbuf *eb)
{
	struct stream_job *job = &((struct stream_system_opts *)opts)->job;

	if (strcmp(arg, "exactly-once") != 0 && strcmp(arg, "at-least-once") != 0)
		return errbuf_set(eb, -EINVAL, "--guarantee: expected exactly-once or "
				  "at-least-once");
	job->at_least_once = strcmp(arg, "at-least-once") == 0;
	return 0;
}

static void stream_opts_defaults(void *opts)
{
	struct stream_system_opts *so = opts;

	*so = (struct stream_system_opts){ .offset_ms = 0 };
	stream_job_defaults(&so->job);
	snprintf(so->window, sizeof(so->window), "tumbling:1000");
}

/* The window with its offset; the node count follows from the roles, or (--nodes N alone)
 * the roles from it: half the nodes but the sink operators, the rest sources. */
static int stream_opts_check(void *opts, struct campaign_opts *o, struct errbuf *eb)
{
	struct stream_system_opts *so = opts;
	int err = stream_job_window_parse(so->window, so->offset_ms, &so->job.spec, eb);

	if (err < 0)
		return err;
	if (!so->roles_given && o->node_count != o->system->nodes_default) {
		if (o->node_count < 3 || o->node_count > o->system->nodes_max)
			return errbuf_set(eb, -EINVAL, "--nodes %" PRIu32 ": a stream job has 3..%"
					  PRIu32 " nodes", o->node_count, o->system->nodes_max);
		so->job.operators = (o->node_count - 1) / 2;
		so->job.sources = o->node_count - 1 - so->job.operators;
	}
	if (o->node_count != o->system->nodes_default &&
	    o->node_count != stream_job_nodes(&so->job))
		return errbuf_set(eb, -EINVAL, "--nodes %" PRIu32 ": a stream job has sources + "
				  "operators + 1 = %" PRIu32 " nodes", o->node_count,
				  stream_job_nodes(&so->job));
	o->node_count = stream_job_nodes(&so->job);
	return 0;
}

static void stream_config_json(const void *opts, json_t *root)
{
	const struct stream_system_opts *so = opts;
	const struct stream_job *job = &so->job;
	char window[STREAM_JOB_WINDOW_TEXT_BYTES_MAX];

	stream_job_window_text(&job->spec, window, sizeof(window));
	json_object_set_new(root, "stream", json_pack(
		"{s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:i, s:i}", "window", window,
		"offset", (json_int_t)job->spec.offset_ms, "lateness", (json_int_t)job->lateness_ms,
		"out_of_order", (json_int_t)job->out_of_order_ms,
		"idle_timeout", (json_int_t)job->idle_timeout_ms,
		"checkpoint", (json_int_t)job->checkpoint_ms,
		"agg", stream_job_aggregate_name(job->aggregate),
		"guarantee", job->at_least_once ? "at-least-once" : "exactly-once",
		"sources", (int)job->sources, "operators", (int)job->operators));
}

static void stream_reproduce(const void *opts, FILE *out)
{
	const struct stream_system_opts *so = opts;
	const struct stream_job *job = &so->job;
	char window[STREAM_JOB_WINDOW_TEXT_BYTES_MAX];

	stream_job_window_text(&job->spec, window, sizeof(window));
	fprintf(out, " --sources %" PRIu32 " --operators %" PRIu32 " --window %s --offset %"
		PRId64 " --lateness %" PRId64 " --out-of-order %" PRId64 " --idle-timeout %"
		PRId64 " --agg %s --guarantee %s", job->sources, job->operators, window,
		job->spec.offset_ms, job->lateness_ms, job->out_of_order_ms, job->idle_timeout_ms,
		stream_job_aggregate_name(job->aggregate),
		job->at_least_once ? "at-least-once" : "exactly-once");
}

static const struct system_option stream_options[] = {
	{ "sources", "S", "source nodes, 1..16 (default 2); nodes 1..S", parse_sources },
	{ "operators", "W", "window operator nodes, 1..16 (default 2); then one sink",
	  parse_operators },
	{ "window", "SPEC", "event-time windows, tumbling:SIZE or sliding:SIZE:SLIDE in ms "
	  "(default tumbling:1000)", parse_window },
	{ "offset", "MS", "window offset (default 0)", parse_offset },
	{ "lateness", "MS", "allowed lateness: late panes until end - 1 + MS (default 0)",
	  parse_lateness },
	{ "out-of-order", "MS", "the sources' bound B: watermark = max time - B (default 300)",
	  parse_out_of_order },
	{ "idle-timeout", "MS", "a source without events this long is idle (default 1000)",
	  parse_idle_timeout },
	{ "agg", "count|sum|min|max", "the windows' aggregate (default count)", parse_agg },
	{ "guarantee", "MODE", "exactly-once or at-least-once: what the job promises and the "
	  "checker holds it to (default exactly-once)", parse_guarantee },
	{ NULL, NULL, NULL, NULL },
};

static const struct system_bug stream_bugs[] = {
	{ "negative-modulo", "C's % in window assignment: negative times land in the wrong "
	  "window (FLINK-26334)", "", "wrong-window", false },
	{ "end-inclusive", "windows are [start, end]: an event at end counts twice", "",
	  "wrong-window", false },
	{ "single-slide", "a sliding event goes to one window only", "--window sliding:1000:250",
	  "wrong-window,incomplete,lost-event", false },
	{ "watermark-no-delay", "the sources' watermark is the max event time, with no bound",
	  "", "incomplete", false },
	{ "watermark-max-not-min", "an operator's watermark is the max of its inputs'", "",
	  "incomplete", false },
	{ "late-firing-dropped", "an event within lateness fires no late pane (FLINK-26498)",
	  "--lateness 500", "lost-event", false },
	{ "watermark-reset-on-restart", "a restored operator forgets its watermarks: windows "
	  "fire again (FLINK-36663)", "--nemesis kill:1 --window sliding:1000:250 --lateness 500",
	  "duplicate-pane,double-count,incomplete", false },
	{ "idle-flip-flop", "a source calls itself idle at every gap between its events: the "
	  "others' watermark runs past a lagging source (FLINK-34252)", "", "incomplete",
	  false },
	{ "no-idle-timeout", "a source never calls itself idle: a quiet source pins every "
	  "operator's watermark and windows stop firing (Beam#20908)", "--nemesis none",
	  "stalled", false },
	{ "no-barrier-alignment", "operators read on past a barrier before the checkpoint: "
	  "exactly-once breaks on recovery", "--nemesis kill:1,delay:2 --rate 200",
	  "double-count,duplicate-pane",
	  false },
	{ NULL, NULL, NULL, NULL, false },
};

const struct system_desc stream_system_desc = {
	.name = "stream",
	.summary = "a windowed stream job (stream-node: sources, window operators, a sink) "
		   "with checkpoints, every event accounted for by a batch oracle",
	.node_program = "stream-node",
	.nodes_default = 5,
	.nodes_min = 3,
	.nodes_max = STREAM_JOB_SOURCES_MAX + STREAM_JOB_OPERATORS_MAX + 1,
	.nodes_rule = "sources + operators + 1 (set by --sources and --operators)",
	.options = stream_options,
	.bugs = stream_bugs,
	.checkers = "window",
	.opts_size = sizeof(struct stream_system_opts),
	.opts_defaults = stream_opts_defaults,
	.opts_check = stream_opts_check,
	.make = stream_system_new,
	.config_json = stream_config_json,
	.reproduce = stream_reproduce,
};
