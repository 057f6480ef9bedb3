/* SPDX-License-Identifier: MIT */
/* pbft_main.c - pbft-node: options, the replica, signals; the loop is pbft_net.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "pbft.h"
#include "pbft_evlog.h"
#include "pbft_net.h"
#include "replica_args.h"
#include "replica_server.h"

enum {
	TICK_MS_DEFAULT = 10,           /* --gossip-ms: the tick period */
	VIEW_TIMEOUT_MS_DEFAULT = 1000,
	VIEW_TIMEOUT_MS_MAX = 3600000,
	RETRANSMIT_MS = 100,
	CHECKPOINT_INTERVAL = 8,        /* K */
	ARGS_MAX = 1024,                /* argv entries */
};

/* The options pbft-node adds to the shared ones. */
struct extra {
	uint32_t byzantine;
	uint8_t secret[PBFT_SECRET_BYTES];
	bool secret_given;
	int64_t view_timeout_ms;
	int64_t batch_max;
	bool unreplicated;              /* --unreplicated: no core, replica 0 of 1 */
	bool tentative;                 /* --tentative: pbft_config.tentative */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pbft-node --id I --replicas N --listen ADDR[:PORT] --secret HEX\n"
		"                 --peer J=ADDR[:PORT] (once per other replica)\n"
		"                 [--client-port P] [--gossip-port P] [--gossip-ms MS]\n"
		"                 [--data-dir DIR] [--bug NAME]... [--byzantine MODE[,MODE...]]\n"
		"                 [--view-timeout-ms MS] [--batch-max B] [--tentative]\n"
		"                 [--seed X]\n"
		"       pbft-node --unreplicated --id 0 --replicas 1 --listen ADDR[:PORT]\n"
		"                 --secret HEX [--client-port P] [--gossip-port P]\n"
		"                 [--data-dir DIR]\n"
		"  --replicas N          n = 3f+1 replicas: 4, 7 or 10\n"
		"  --listen ADDR[:PORT]  this replica's IPv4 address; PORT, if given, overrides\n"
		"                        --gossip-port for the UDP socket (replicas and clients);\n"
		"                        the status port is ADDR:client-port (TCP)\n"
		"  --peer J=ADDR[:PORT]  replica J's UDP address (PORT: --gossip-port)\n"
		"  --secret HEX          the cluster secret, 64 hex digits (required)\n"
		"  --client-port P       TCP port of the status lines (default 7000)\n"
		"  --gossip-port P       UDP port of the protocol (default 7001)\n"
		"  --gossip-ms MS        the tick period (default 10, 1..60000)\n"
		"  --data-dir DIR        DIR/state holds the incarnation (the replica's state is\n"
		"                        not kept: a restart begins empty and catches up);\n"
		"                        evidence is appended to DIR/evidence.jsonl\n"
		"  --bug NAME            a seeded bug: quorum-2f, no-digest-check,\n"
		"                        count-messages-not-senders, view-change-drops-prepared\n"
		"  --byzantine MODES     silent, equivocate, corrupt-digest, conflicting-votes\n"
		"                        (comma-separated), or none (the default)\n"
		"  --view-timeout-ms MS  a view change after this long without progress\n"
		"                        (default 1000; in ticks: MS / --gossip-ms)\n"
		"  --batch-max B         requests per pre-prepare, 1..%d (default %d)\n"
		"  --tentative           execute a batch once prepared, before it commits, and\n"
		"                        undo it if a view change comes first (PBFT 5.1.2); for\n"
		"                        clients that wait for 2f+1 matching replies only\n"
		"  --seed X              printed as seed=X first (the replica uses no randomness)\n"
		"  --unreplicated        no agreement: execute each authentic request at once on\n"
		"                        one KV store (a baseline); client c seals with\n"
		"                        key(1 + c, 0); no --peer, --bug or --byzantine\n"
		"exit codes: 0 stopped by SIGTERM/SIGINT, 64 usage error, 70 system error\n"
		"            (also a corrupt or foreign DIR/state)\n",
		PBFT_BATCH_MAX, PBFT_BATCH_MAX);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_secret(const char *arg, uint8_t secret[PBFT_SECRET_BYTES])
{
	if (strnlen(arg, 2 * PBFT_SECRET_BYTES + 1) != 2 * PBFT_SECRET_BYTES)
		return -EINVAL;
	for (uint32_t i = 0; i < PBFT_SECRET_BYTES; i++) {
		int hi = hex_digit(arg[2 * i]), lo = hex_digit(arg[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		secret[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int parse_extra(int code, const char *arg, void *ctx, struct errbuf *eb)
{
	struct extra *x = ctx;
	char bad[PBFT_NET_MODE_BYTES_MAX];

	switch (code) {
	case 'y':
		if (pbft_net_modes_parse(arg, &x->byzantine, bad, sizeof(bad)) < 0)
			return errbuf_set(eb, -EINVAL, "--byzantine: unknown mode '%s'", bad);
		return 0;
	case 'x':
		if (parse_secret(arg, x->secret) < 0)
			return errbuf_set(eb, -EINVAL, "--secret: %d hex digits expected",
					  2 * PBFT_SECRET_BYTES);
		x->secret_given = true;
		return 0;
	case 't':
		if (replica_args_parse_int(arg, 1, VIEW_TIMEOUT_MS_MAX, &x->view_timeout_ms) < 0)
			return errbuf_set(eb, -EINVAL, "--view-timeout-ms '%s'", arg);
		return 0;
	default:
		ASSERT(code == 'B');
		if (replica_args_parse_int(arg, 1, PBFT_BATCH_MAX, &x->batch_max) < 0)
			return errbuf_set(eb, -EINVAL, "--batch-max '%s' (1..%d)", arg,
					  PBFT_BATCH_MAX);
		return 0;
	}
}

/*
 * parse() - the shared command line and ours. pbft-node ticks every 10 ms unless told
 * otherwise: "--gossip-ms=10" goes first, and a --gossip-ms given later wins.
 */
static int parse(int argc, char **argv, struct replica_args *a, struct extra *x,
		 struct errbuf *eb)
{
	static const struct option extra[] = {
		{ "byzantine", required_argument, NULL, 'y' },
		{ "secret", required_argument, NULL, 'x' },
		{ "view-timeout-ms", required_argument, NULL, 't' },
		{ "batch-max", required_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};
	const struct replica_args_spec spec = {
		.noun = "replica", .bug_parse = pbft_bug_parse, .extra = extra,
		.extra_parse = parse_extra, .ctx = x,
	};
	char tick[] = "--gossip-ms=10";
	char *args[ARGS_MAX];
	bool options = true;
	int n = 2;

	STATIC_ASSERT(TICK_MS_DEFAULT == 10, "the default tick is spelled out above");
	if (argc < 1 || argc > ARGS_MAX - 2)
		return errbuf_set(eb, -EINVAL, "%d arguments (at most %d)", argc, ARGS_MAX - 2);
	args[0] = argv[0];
	args[1] = tick;
	/* Flags without an argument, which replica_args's extras cannot take: ours alone. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			options = false;
		if (options && strcmp(argv[i], "--unreplicated") == 0)
			x->unreplicated = true;
		else if (options && strcmp(argv[i], "--tentative") == 0)
			x->tentative = true;
		else
			args[n++] = argv[i];
	}
	args[n] = NULL;
	return replica_args_parse(a, &spec, n, args, eb);
}

/* check() - what replica_args does not know: n = 3f+1, the secret. */
static int check(const struct replica_args *a, const struct extra *x, struct errbuf *eb)
{
	if (x->unreplicated && (a->replicas != 1 || a->bugs || x->byzantine || x->tentative))
		return errbuf_set(eb, -EINVAL, "--unreplicated: --replicas 1 (so --id 0 and no "
				  "--peer), no --bug, --byzantine or --tentative");
	if (!x->unreplicated && (a->replicas < 4 || a->replicas > PBFT_REPLICAS_MAX ||
				 (a->replicas - 1) % 3 != 0))
		return errbuf_set(eb, -EINVAL, "--replicas %u: n = 3f+1, 4..%d", a->replicas,
				  PBFT_REPLICAS_MAX);
	if (!x->secret_given)
		return errbuf_set(eb, -EINVAL, "--secret HEX is required");
	return 0;
}

static void config_fill(const struct replica_args *a, const struct extra *x,
			struct pbft_config *c)
{
	int64_t timeout_ticks = x->view_timeout_ms / a->gossip_ms;
	int64_t retransmit_ticks = RETRANSMIT_MS / a->gossip_ms;

	*c = (struct pbft_config){
		.id = a->id, .replicas = a->replicas, .batch_max = (uint32_t)x->batch_max,
		.checkpoint_interval = CHECKPOINT_INTERVAL, .window = PBFT_LOG_SEQS_MAX,
		.view_timeout_ticks = (uint32_t)(timeout_ticks > 0 ? timeout_ticks : 1),
		.retransmit_ticks = (uint32_t)(retransmit_ticks > 0 ? retransmit_ticks : 1),
		.byzantine = x->byzantine, .bugs = a->bugs, .tentative = x->tentative,
	};
	memcpy(c->secret, x->secret, sizeof(c->secret));
}

static void log_start(const struct replica_args *a, const struct pbft_config *c)
{
	char byz[PBFT_EVLOG_NAMES_BYTES_MAX], bugs[PBFT_EVLOG_NAMES_BYTES_MAX];

	pbft_evlog_names(c->byzantine, false, byz, sizeof(byz));
	pbft_evlog_names(c->bugs, true, bugs, sizeof(bugs));
	log_info("pbft-node: replica %u of %u (f = %u), tick %" PRId64 " ms, view timeout %u "
		 "ticks, batch %u%s, byzantine %s, bugs %s, %s%s", a->id, a->replicas,
		 (a->replicas - 1) / 3, a->gossip_ms, c->view_timeout_ticks, c->batch_max,
		 c->tentative ? ", tentative execution" : "", byz, bugs,
		 a->data_dir ? "data in " : "no data dir: no evidence log",
		 a->data_dir ? a->data_dir : "");
}

int main(int argc, char **argv)
{
	struct extra x = { .view_timeout_ms = VIEW_TIMEOUT_MS_DEFAULT,
			   .batch_max = PBFT_BATCH_MAX };
	struct errbuf eb = { "" };
	struct pbft_replica *r = NULL;
	struct pbft_config config;
	struct replica_args a;
	int err = parse(argc, argv, &a, &x, &eb);

	if (err == REPLICA_ARGS_HELP) {
		usage(stdout);
		return 0;
	}
	if (err == 0)
		err = check(&a, &x, &eb);
	if (err == 0)
		config_fill(&a, &x, &config);
	if (err == 0 && !x.unreplicated)
		err = pbft_replica_new(&config, &r, &eb);
	if (err < 0) {
		fprintf(stderr, "pbft-node: %s\n", eb.msg);
		usage(stderr);
		return err == -ENOMEM ? REPLICA_ARGS_EXIT_INTERNAL : REPLICA_ARGS_EXIT_USAGE;
	}
	printf("seed=%" PRIu64 "\n", a.seed);
	fflush(stdout);
	if (x.unreplicated)
		log_info("pbft-node: unreplicated (no agreement: requests executed at once), %s%s",
			 a.data_dir ? "data in " : "no data dir: no evidence log",
			 a.data_dir ? a.data_dir : "");
	else
		log_start(&a, &config);
	err = replica_server_block_signals(&eb);
	if (err == 0)
		err = pbft_net_run(r, &config, &a, &eb);
	pbft_replica_free(r);
	if (err < 0) {
		log_error("pbft-node: %s: %s", eb.msg, strerror(-err));
		return REPLICA_ARGS_EXIT_INTERNAL;
	}
	log_info("pbft-node: stopped");
	return 0;
}
