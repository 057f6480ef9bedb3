/* SPDX-License-Identifier: MIT */
/* stream_main.c - stream-node: one node of a windowed stream job (PROTOCOL.md), its role taken
 * from its id: a source, a window operator or the sink. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "replica_args.h"
#include "replica_server.h"
#include "stream_job.h"
#include "stream_node.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: stream-node --id I --replicas N --listen ADDR[:PORT] [--peer J=ADDR]...\n"
		"                   --data-dir DIR [--job SPEC] [--bug NAME] [--seed X]\n"
		"  nodes 0 .. S-1 are sources, S .. S+W-1 window operators, S+W the sink\n"
		"  --job SPEC      sources=S,operators=W,window=tumbling:SIZE|sliding:SIZE:SLIDE,\n"
		"                  offset=MS,lateness=MS,out-of-order=MS,idle-timeout=MS,\n"
		"                  checkpoint=MS,agg=count|sum|min|max,\n"
		"                  guarantee=exactly-once|at-least-once (N must be S+W+1)\n"
		"  --data-dir DIR  sources: DIR/log.txt; operators: DIR/state (the last\n"
		"                  checkpoint),"
		" DIR/evidence.jsonl; the sink: DIR/output.jsonl\n"
		"  --bug NAME      negative-modulo, end-inclusive, single-slide,\n"
		"                  watermark-max-not-min, late-firing-dropped,\n"
		"                  watermark-no-delay,"
		" no-barrier-alignment, watermark-reset-on-restart,\n"
		"                  idle-flip-flop, no-idle-timeout\n"
		"exit codes: 0 stopped by SIGTERM/SIGINT, 64 usage error, 70 system error\n");
}

static int parse_job(int code, const char *arg, void *ctx, struct errbuf *eb)
{
	ASSERT(code == 'j');
	return stream_job_parse(arg, ctx, eb);
}

static const char *role_name(const struct stream_job *job, uint32_t id)
{
	return id < job->sources ? "source" : id < job->sources + job->operators ? "operator"
								       : "sink";
}

int main(int argc, char **argv)
{
	static const struct option extra[] = {
		{ "job", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct stream_job job;
	const struct replica_args_spec spec = {
		.noun = "node", .bug_parse = stream_node_bug_parse, .extra = extra,
		.extra_parse = parse_job, .ctx = &job,
	};
	struct errbuf eb = { "" };
	struct replica_args a;
	int err;

	stream_job_defaults(&job);
	err = replica_args_parse(&a, &spec, argc, argv, &eb);
	if (err == REPLICA_ARGS_HELP) {
		usage(stdout);
		return 0;
	}
	if (err == 0 && a.replicas != stream_job_nodes(&job))
		err = errbuf_set(&eb, -EINVAL, "--replicas %u: the job has %u nodes (sources + "
				 "operators + 1)", a.replicas, stream_job_nodes(&job));
	if (err < 0) {
		fprintf(stderr, "stream-node: %s\n", eb.msg);
		usage(stderr);
		return REPLICA_ARGS_EXIT_USAGE;
	}
	printf("seed=%" PRIu64 "\n", a.seed);
	fflush(stdout);
	log_info("stream-node: node %u of %u, %s, bugs 0x%x", a.id, a.replicas,
		 role_name(&job, a.id), a.bugs);
	err = replica_server_block_signals(&eb);
	if (err == 0 && a.id < job.sources)
		err = stream_source_run(&a, &job, &eb);
	else if (err == 0 && a.id < job.sources + job.operators)
		err = stream_task_run(&a, &job, &eb);
	else if (err == 0)
		err = stream_sink_run(&a, &job, &eb);
	if (err < 0) {
		log_error("stream-node: %s: %s", eb.msg, strerror(-err));
		return REPLICA_ARGS_EXIT_INTERNAL;
	}
	log_info("stream-node: stopped");
	return 0;
}
