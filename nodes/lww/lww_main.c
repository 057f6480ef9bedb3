/* SPDX-License-Identifier: MIT */
/* lww_main.c - lww-node: options, the node, signals; the loop is lww_net.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "lww.h"
#include "lww_net.h"
#include "replica_args.h"
#include "replica_server.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lww-node --id I --replicas N --listen ADDR[:PORT]\n"
		"                --peer J=ADDR[:PORT] (once per other node)\n"
		"                [--client-port P] [--gossip-port P] [--gossip-ms MS]\n"
		"                [--data-dir DIR] [--bug wallclock-lww] [--max-offset-ms MS]\n"
		"                [--seed X]\n"
		"  --listen ADDR[:PORT]  this node's IPv4 address; PORT, if given, overrides\n"
		"                        --gossip-port for the UDP socket; clients connect to\n"
		"                        ADDR:client-port\n"
		"  --peer J=ADDR[:PORT]  node J's gossip address (PORT: --gossip-port)\n"
		"  --client-port P       TCP port for clients (default 7000)\n"
		"  --gossip-port P       UDP port for gossip (default 7001)\n"
		"  --gossip-ms MS        gossip period (default 100, 1..60000)\n"
		"  --data-dir DIR        durable mode: state in DIR/state (DIR is created, 0700),\n"
		"                        every write fsynced before its ok\n"
		"  --bug wallclock-lww   stamp writes with the raw wall clock, ignoring AFTER\n"
		"  --max-offset-ms MS    refuse timestamps this far ahead of the local clock\n"
		"                        (default 0: no check; at most 86400000)\n"
		"  --seed X              printed as seed=X first (the node uses no randomness)\n"
		"exit codes: 0 stopped by SIGTERM/SIGINT, 64 usage error, 70 system error\n"
		"            (also a corrupt or foreign DIR/state, or a failed save)\n");
}

/* parse_extra() - --max-offset-ms, the one option crdt-node has not. */
static int parse_extra(int code, const char *arg, void *ctx, struct errbuf *eb)
{
	int64_t *max_offset_ms = ctx;

	ASSERT(code == 'o');
	if (replica_args_parse_int(arg, 0, LWW_MAX_OFFSET_MS_MAX, max_offset_ms) < 0)
		return errbuf_set(eb, -EINVAL, "--max-offset-ms '%s'", arg);
	return 0;
}

/* Static: the node's store is a few KB; there is one. */
static struct lww_node node;

/* serve() - the node, then its state file if any and the loop until a signal. */
static int serve(const struct replica_args *a, int64_t max_offset_ms, struct errbuf *eb)
{
	const struct lww_config config = {
		.id = a->id, .replicas = a->replicas, .bugs = a->bugs,
		.max_offset_ns = max_offset_ms * 1000000,
	};
	int err = lww_node_init(&node, &config, eb);

	return err < 0 ? err : lww_net_run(&node, a, eb);
}

int main(int argc, char **argv)
{
	static const struct option extra[] = {
		{ "max-offset-ms", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t max_offset_ms = 0;
	const struct replica_args_spec spec = {
		.noun = "node", .bug_parse = lww_bug_parse, .extra = extra,
		.extra_parse = parse_extra, .ctx = &max_offset_ms, .replicas_max = LWW_REPLICAS_MAX,
	};
	struct errbuf eb = { "" };
	struct replica_args a;
	int err = replica_args_parse(&a, &spec, argc, argv, &eb);

	if (err == REPLICA_ARGS_HELP) {
		usage(stdout);
		return 0;
	}
	if (err < 0) {
		fprintf(stderr, "lww-node: %s\n", eb.msg);
		usage(stderr);
		return REPLICA_ARGS_EXIT_USAGE;
	}
	printf("seed=%" PRIu64 "\n", a.seed);
	fflush(stdout);
	log_info("lww-node: node %u of %u, gossip every %" PRId64 " ms, max offset %" PRId64
		 " ms, %s, %s%s", a.id, a.replicas, a.gossip_ms, max_offset_ms,
		 a.bugs ? "bug wallclock-lww" : "HLC stamps",
		 a.data_dir ? "state in " : "state in memory only (not crash-safe)",
		 a.data_dir ? a.data_dir : "");
	err = replica_server_block_signals(&eb);
	if (err == 0)
		err = serve(&a, max_offset_ms, &eb);
	if (err < 0) {
		log_error("lww-node: %s: %s", eb.msg, strerror(-err));
		return REPLICA_ARGS_EXIT_INTERNAL;
	}
	log_info("lww-node: stopped");
	return 0;
}
