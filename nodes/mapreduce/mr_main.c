/* SPDX-License-Identifier: MIT */
/* mr_main.c - mapreduce-node: one node of a MapReduce job (PROTOCOL.md): node 0 the
 * coordinator, nodes 1..N-1 workers. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "mr_job.h"
#include "mr_node.h"
#include "replica_args.h"
#include "replica_server.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mapreduce-node --id I --replicas N --listen ADDR[:PORT]\n"
		"                      [--peer J=ADDR]...\n"
		"                      --data-dir DIR --input DIR --output DIR [--job SPEC]\n"
		"                      [--bug NAME] [--seed X]\n"
		"  node 0 is the coordinator, nodes 1 .. N-1 workers; a node's TCP port (the\n"
		"  coordinator's requests, a worker's files) is its gossip port - 1\n"
		"  --job SPEC      app=wc|index|grep:PATTERN,maps=M,reduces=R,heartbeat=MS,\n"
		"                  worker-dead=MS,task-timeout=MS,backup-after=MS,\n"
		"                  backup-percent=P,crash=PERMILLE\n"
		"  --input DIR     the job's M input files (map m reads the m-th by name)\n"
		"  --output DIR    where reduces commit mr-out-R\n"
		"  --data-dir DIR  the coordinator: DIR/state, DIR/evidence.jsonl; a worker:\n"
		"                  DIR/incarnation, DIR/files-INC/ (its map files)\n"
		"  --bug NAME      no-reexec-completed-maps, early-reduce, serial-coordinator,\n"
		"                  non-atomic-output, duplicate-commit, exit-before-commit,\n"
		"                  short-timeout\n"
		"exit codes: 0 stopped by SIGTERM/SIGINT, 64 usage error, 70 system error\n");
}

struct options {
	struct mr_job job;
	struct mr_node_dirs dirs;
};

static int parse_extra(int code, const char *arg, void *ctx, struct errbuf *eb)
{
	struct options *o = ctx;

	if (code == 'j')
		return mr_job_parse(arg, &o->job, eb);
	if (code == 'I')
		o->dirs.input = arg;
	else
		o->dirs.output = arg;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option extra[] = {
		{ "job", required_argument, NULL, 'j' },
		{ "input", required_argument, NULL, 'I' },
		{ "output", required_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { .dirs.argv = argv };
	const struct replica_args_spec spec = {
		.noun = "node", .bug_parse = mr_node_bug_parse, .extra = extra,
		.extra_parse = parse_extra, .ctx = &o, .replicas_max = MR_WORKERS_MAX + 1,
	};
	struct errbuf eb = { "" };
	struct replica_args a;
	int err;

	mr_job_defaults(&o.job);
	err = replica_args_parse(&a, &spec, argc, argv, &eb);
	if (err == REPLICA_ARGS_HELP) {
		usage(stdout);
		return 0;
	}
	if (err == 0 && a.replicas < 2)
		err = errbuf_set(&eb, -EINVAL, "--replicas %u: a coordinator and >= 1 worker",
				 a.replicas);
	if (err == 0 && (!o.dirs.input || !o.dirs.output || !a.data_dir))
		err = errbuf_set(&eb, -EINVAL, "--input, --output and --data-dir are required");
	if (err < 0) {
		fprintf(stderr, "mapreduce-node: %s\n", eb.msg);
		usage(stderr);
		return REPLICA_ARGS_EXIT_USAGE;
	}
	printf("seed=%" PRIu64 "\n", a.seed);
	fflush(stdout);
	log_info("mapreduce-node: node %u of %u, %s, bugs 0x%x", a.id, a.replicas,
		 a.id == 0 ? "coordinator" : "worker", a.bugs);
	err = replica_server_block_signals(&eb);
	if (err == 0)
		err = a.id == 0 ? mr_coordinator_run(&a, &o.job, &o.dirs, &eb) :
				  mr_worker_run(&a, &o.job, &o.dirs, &eb);
	if (err < 0) {
		log_error("mapreduce-node: %s: %s", eb.msg, strerror(-err));
		return REPLICA_ARGS_EXIT_INTERNAL;
	}
	log_info("mapreduce-node: stopped");
	return 0;
}
