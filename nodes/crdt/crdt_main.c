/* SPDX-License-Identifier: MIT */
/* crdt_main.c - crdt-node: options, the replica, signals; the loop lives in crdt_net.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crdt.h"
#include "crdt_net.h"
#include "errbuf.h"
#include "log.h"
#include "monotime.h"
#include "replica_args.h"
#include "replica_server.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: crdt-node --id I --replicas N --listen ADDR[:PORT]\n"
		"                 --peer J=ADDR[:PORT] (once per other replica)\n"
		"                 [--client-port P] [--gossip-port P] [--gossip-ms MS]\n"
		"                 [--data-dir DIR] [--bug NAME] [--seed X]\n"
		"  --listen ADDR[:PORT]  this replica's IPv4 address; PORT, if given, overrides\n"
		"                        --gossip-port for the UDP socket; clients connect to\n"
		"                        ADDR:client-port\n"
		"  --peer J=ADDR[:PORT]  replica J's gossip address (PORT: --gossip-port)\n"
		"  --client-port P       TCP port for clients (default 7000)\n"
		"  --gossip-port P       UDP port for anti-entropy (default 7001)\n"
		"  --gossip-ms MS        anti-entropy period (default 100)\n"
		"  --data-dir DIR        durable mode: state in DIR/state (DIR is created, 0700),\n"
		"                        every update saved and fsynced before its ok; without\n"
		"                        it state is in memory only and a crash can lose\n"
		"                        acknowledged updates\n"
		"  --bug NAME            gcounter-sum-merge | orset-remove-wins | no-retransmit |\n"
		"                        restart-empty (may be repeated)\n"
		"  --seed X              printed as seed=X first (the core uses no randomness)\n"
		"exit codes: 0 stopped by SIGTERM/SIGINT, 64 usage error, 70 system error\n"
		"            (also a corrupt or foreign DIR/state, or a failed save)\n");
}

static int bug_parse(const char *name, uint32_t *bug)
{
	enum crdt_bug flag;

	if (crdt_bug_parse(name, &flag) < 0)
		return -EINVAL;
	*bug = flag;
	return 0;
}

/*
 * seq_clock_init() - a new incarnation never reuses a tag: seqs start at wall-clock-ms << 12
 * and the core hands out at most 4096 per ms from then on (struct crdt_config). The wall
 * clock is read before the monotonic one, so wall(seq_clock_ns + E) >= start + E. Then wait
 * out the first millisecond, which has no seqs to hand out, before any client can connect.
 */
static int seq_clock_init(struct crdt_config *config, struct errbuf *eb)
{
	const struct timespec pause = { .tv_nsec = 1500000 };
	int64_t wall_ms = realtime_ns() / 1000000;

	if (wall_ms < 0 || (uint64_t)wall_ms >= (CRDT_SEQ_LIMIT / 2) >> CRDT_SEQS_PER_MS_BITS)
		return errbuf_set(eb, -ERANGE, "wall clock %" PRId64 " ms gives no tag base",
				  wall_ms);
	config->seq_base = (uint64_t)wall_ms << CRDT_SEQS_PER_MS_BITS;
	config->seq_paced = true;
	config->seq_clock_ns = monotime_ns();
	nanosleep(&pause, NULL);
	return 0;
}

/* serve() - the replica, then its state file if any and the loop until a signal. */
static int serve(const struct replica_args *a, const struct crdt_config *config,
		 struct errbuf *eb)
{
	struct crdt_replica *r;
	int err = crdt_replica_new(&r, config, eb);

	if (err < 0)
		return err;
	err = crdt_net_run(r, a, eb);
	crdt_replica_free(r);
	return err;
}

int main(int argc, char **argv)
{
	static const struct replica_args_spec spec = {
		.noun = "replica", .bug_parse = bug_parse, .replicas_max = CRDT_REPLICAS_MAX,
	};
	struct errbuf eb = { "" };
	struct replica_args a;
	struct crdt_config config;
	int err = replica_args_parse(&a, &spec, argc, argv, &eb);

	if (err == REPLICA_ARGS_HELP) {
		usage(stdout);
		return 0;
	}
	if (err < 0) {
		fprintf(stderr, "crdt-node: %s\n", eb.msg);
		usage(stderr);
		return REPLICA_ARGS_EXIT_USAGE;
	}
	printf("seed=%" PRIu64 "\n", a.seed);
	fflush(stdout);
	log_info("crdt-node: replica %u of %u, gossip every %" PRId64 " ms, bugs 0x%x, %s%s", a.id,
		 a.replicas, a.gossip_ms, a.bugs,
		 a.data_dir ? "state in " : "state in memory only (not crash-safe)",
		 a.data_dir ? a.data_dir : "");
	config = (struct crdt_config){
		.id = a.id, .replicas = a.replicas, .bugs = a.bugs,
		.gossip_interval_ns = a.gossip_ms * 1000000,
	};
	err = seq_clock_init(&config, &eb);
	if (err == 0)
		err = replica_server_block_signals(&eb);
	if (err == 0)
		err = serve(&a, &config, &eb);
	if (err < 0) {
		log_error("crdt-node: %s: %s", eb.msg, strerror(-err));
		return REPLICA_ARGS_EXIT_INTERNAL;
	}
	log_info("crdt-node: stopped");
	return 0;
}
