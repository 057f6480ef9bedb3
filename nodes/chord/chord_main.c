/* SPDX-License-Identifier: MIT */
/* chord_main.c - chord-node: options, the core, signals; the loop is chord_net.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "chord.h"
#include "chord_net.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "replica_args.h"
#include "replica_server.h"

enum {
	TICK_MS_DEFAULT = CHORD_NET_TICK_MS_DEFAULT,
	STABILIZE_TICKS = CHORD_NET_STABILIZE_TICKS,
	FIX_FINGERS_TICKS = 2,
	CHECK_PRED_TICKS = 5,
	/* Over the longest round trip the delay fault makes (2 x 110 ms): a timeout is
	 * taken as a death, and a live successor taken for dead is forgotten. */
	RPC_TIMEOUT_TICKS = 40,
	SUCC_LIST_DEFAULT = 3,
	ARGS_MAX = 1024,
};

STATIC_ASSERT(ARGS_MAX >= 2 * REPLICA_ARGS_REPLICAS_MAX + 64,
	      "a --peer for every other node, and the rest of the options");

struct extra {
	int64_t bits, succ_list, base;
	bool spare;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: chord-node --id I --replicas N --listen ADDR[:PORT]\n"
		"                  --peer J=ADDR[:PORT] (once per other node)\n"
		"                  [--base K] [--bits M] [--succ-list R] [--spare]\n"
		"                  [--client-port P] [--gossip-port P] [--gossip-ms MS]\n"
		"                  [--data-dir DIR] [--bug NAME]... [--seed X]\n"
		"  --id I, --replicas N  node I of N (the node's name is n<I+1>, its Chord id the\n"
		"                        hash of that name)\n"
		"  --base K              nodes 0..K-1 start as the stable base ring; the others\n"
		"                        join through them (default: all N; at least R+1)\n"
		"  --bits M              the id space is 2^M, M = %d..%d (default %d)\n"
		"  --succ-list R         successor list length, 1..%d (default %d)\n"
		"  --spare               start idle: join only when told (\"join\" on the TCP\n"
		"                        port; \"leave\" leaves gracefully and idles again)\n"
		"  --listen ADDR[:PORT]  this node's IPv4 address; PORT overrides --gossip-port\n"
		"                        for the UDP socket (nodes and clients' lookups)\n"
		"  --peer J=ADDR[:PORT]  node J's UDP address\n"
		"  --client-port P       TCP port of the state lines (default 7000)\n"
		"  --gossip-port P       UDP port (default 7001)\n"
		"  --gossip-ms MS        the tick period (default %d): stabilize every %d ticks,\n"
		"                        one finger every %d, check-predecessor every %d, a\n"
		"                        request unanswered for %d ticks means a dead node\n"
		"  --data-dir DIR        DIR/state holds the incarnation (a restart begins empty\n"
		"                        and joins again); evidence goes to DIR/evidence.jsonl\n"
		"  --bug NAME            no-wraparound, original-stabilize, succ-list-1,\n"
		"                        closest-preceding-self, no-fix-fingers\n"
		"  --seed X              printed as seed=X first (the node uses no randomness)\n"
		"Clients send the UDP datagram \"lookup TAG ID\\n\" (chord_net.h has the reply).\n"
		"exit codes: 0 stopped by SIGTERM/SIGINT, 64 usage error, 70 system error\n",
		CHORD_BITS_MIN, CHORD_BITS_MAX, CHORD_BITS_DEFAULT, CHORD_SUCC_MAX,
		SUCC_LIST_DEFAULT, TICK_MS_DEFAULT, STABILIZE_TICKS, FIX_FINGERS_TICKS,
		CHECK_PRED_TICKS, RPC_TIMEOUT_TICKS);
}

static int parse_extra(int code, const char *arg, void *ctx, struct errbuf *eb)
{
	struct extra *x = ctx;

	switch (code) {
	case 'M':
		if (replica_args_parse_int(arg, CHORD_BITS_MIN, CHORD_BITS_MAX, &x->bits) < 0)
			return errbuf_set(eb, -EINVAL, "--bits '%s' (%d..%d)", arg, CHORD_BITS_MIN,
					  CHORD_BITS_MAX);
		return 0;
	case 'S':
		x->spare = true;
		return 0;
	case 'r':
		if (replica_args_parse_int(arg, 1, CHORD_SUCC_MAX, &x->succ_list) < 0)
			return errbuf_set(eb, -EINVAL, "--succ-list '%s' (1..%d)", arg,
					  CHORD_SUCC_MAX);
		return 0;
	default:
		ASSERT(code == 'K');
		if (replica_args_parse_int(arg, 1, REPLICA_ARGS_REPLICAS_MAX, &x->base) < 0)
			return errbuf_set(eb, -EINVAL, "--base '%s'", arg);
		return 0;
	}
}

/* parse() - the shared command line and ours; the tick is 10 ms unless told otherwise. */
static int parse(int argc, char **argv, struct replica_args *a, struct extra *x,
		 struct errbuf *eb)
{
	static const struct option extra[] = {
		{ "bits", required_argument, NULL, 'M' },
		{ "succ-list", required_argument, NULL, 'r' },
		{ "base", required_argument, NULL, 'K' },
		{ "spare", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const struct replica_args_spec spec = {
		.noun = "node", .bug_parse = chord_bug_parse, .extra = extra,
		.extra_parse = parse_extra, .ctx = x,
	};
	char tick[] = "--gossip-ms=10";
	char *args[ARGS_MAX];

	STATIC_ASSERT(TICK_MS_DEFAULT == 10, "the default tick is spelled out above");
	if (argc < 1 || argc > ARGS_MAX - 2)
		return errbuf_set(eb, -EINVAL, "%d arguments (at most %d)", argc, ARGS_MAX - 2);
	args[0] = argv[0];
	args[1] = tick;
	memcpy(args + 2, argv + 1, (size_t)(argc - 1) * sizeof(*argv));
	args[argc + 1] = NULL;
	return replica_args_parse(a, &spec, argc + 1, args, eb);
}

/* The ids of all nodes, by the hash of their names: they must be distinct. */
static int check(const struct replica_args *a, struct extra *x, struct errbuf *eb)
{
	struct chord_space space;
	uint64_t ids[REPLICA_ARGS_REPLICAS_MAX];

	if (x->base == 0)
		x->base = a->replicas;
	if (x->base > a->replicas)
		return errbuf_set(eb, -EINVAL, "--base %" PRId64 ": at most --replicas %" PRIu32,
				  x->base, a->replicas);
	if (x->base < x->succ_list + 1 && a->replicas >= x->succ_list + 1)
		return errbuf_set(eb, -EINVAL, "--base %" PRId64 ": Zave's stable base is at least "
				  "--succ-list + 1 = %" PRId64 " nodes", x->base, x->succ_list + 1);
	ASSERT(chord_space_init(&space, (unsigned)x->bits) == 0);
	for (uint32_t i = 0; i < a->replicas; i++) {
		char name[16];
		int n = snprintf(name, sizeof(name), "n%" PRIu32, i + 1);

		ids[i] = chord_hash(&space, name, (size_t)n);
		for (uint32_t k = 0; k < i; k++) {
			if (ids[k] == ids[i])
				return errbuf_set(eb, -EINVAL, "n%" PRIu32 " and n%" PRIu32
						  " have the same id %" PRIu64 " in %" PRId64
						  " bits: use more --bits", k + 1, i + 1, ids[i],
						  x->bits);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct extra x = { .bits = CHORD_BITS_DEFAULT, .succ_list = SUCC_LIST_DEFAULT };
	struct errbuf eb = { "" };
	struct chord_node *core = NULL;
	struct chord_config config;
	struct chord_space space;
	struct replica_args a;
	char name[16];
	int err = parse(argc, argv, &a, &x, &eb);

	if (err == REPLICA_ARGS_HELP) {
		usage(stdout);
		return 0;
	}
	if (err == 0)
		err = check(&a, &x, &eb);
	if (err == 0) {
		int n = snprintf(name, sizeof(name), "n%" PRIu32, a.id + 1);

		ASSERT(chord_space_init(&space, (unsigned)x.bits) == 0);
		config = (struct chord_config){
			.self = { .id = chord_hash(&space, name, (size_t)n), .addr = a.id + 1 },
			.bits = (uint32_t)x.bits, .succ_max = (uint32_t)x.succ_list,
			.stabilize_ticks = STABILIZE_TICKS, .fix_fingers_ticks = FIX_FINGERS_TICKS,
			.check_pred_ticks = CHECK_PRED_TICKS,
			.rpc_timeout_ticks = RPC_TIMEOUT_TICKS, .bugs = a.bugs };
		err = chord_node_new(&config, &core, &eb);
	}
	if (err < 0) {
		fprintf(stderr, "chord-node: %s\n", eb.msg);
		usage(stderr);
		return err == -ENOMEM ? REPLICA_ARGS_EXIT_INTERNAL : REPLICA_ARGS_EXIT_USAGE;
	}
	printf("seed=%" PRIu64 "\n", a.seed);
	fflush(stdout);
	log_info("chord-node: %s (id %" PRIu64 " of %" PRId64 " bits), node %" PRIu32 " of %"
		 PRIu32 ", base %" PRId64 ", r = %" PRId64 ", tick %" PRId64 " ms, bugs 0x%x",
		 name, config.self.id, x.bits, a.id + 1, a.replicas, x.base, x.succ_list,
		 a.gossip_ms, a.bugs);
	err = replica_server_block_signals(&eb);
	if (err == 0)
		err = chord_net_run(core, &config, &a, (uint32_t)x.base, x.spare, &eb);
	chord_node_free(core);
	if (err < 0) {
		log_error("chord-node: %s: %s", eb.msg, strerror(-err));
		return REPLICA_ARGS_EXIT_INTERNAL;
	}
	log_info("chord-node: stopped");
	return 0;
}
