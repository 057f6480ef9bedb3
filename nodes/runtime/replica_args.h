/* SPDX-License-Identifier: MIT */
/* replica_args.h - the command line the replica daemons share: ids, addresses, peers, seed. */
#ifndef REPLICA_ARGS_H
#define REPLICA_ARGS_H

#include <getopt.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct errbuf;

enum {
	/* --replicas 1..256, ids 0..255: a chord ring of 256 processes. A daemon whose own
	 * state bounds it lower says so in replica_args_spec.replicas_max. */
	REPLICA_ARGS_REPLICAS_MAX = 256,
	REPLICA_ARGS_GOSSIP_MS_MAX = 60000,     /* --gossip-ms 1..60000 */
	REPLICA_ARGS_CLIENT_PORT_DEFAULT = 7000,
	REPLICA_ARGS_GOSSIP_PORT_DEFAULT = 7001,
	REPLICA_ARGS_GOSSIP_MS_DEFAULT = 100,
	REPLICA_ARGS_ADDR_BYTES_MAX = 64,       /* "A.B.C.D[:PORT]" as given, with its NUL */
	REPLICA_ARGS_ADDR_TEXT_BYTES = 32,      /* "255.255.255.255:65535" and its NUL */
	REPLICA_ARGS_EXTRA_MAX = 4,             /* daemon-specific options */
	REPLICA_ARGS_HELP = 1,                  /* replica_args_parse(): --help was given */
	/* Exit codes of the daemons (STYLE S44): 0 after SIGTERM/SIGINT, and these. */
	REPLICA_ARGS_EXIT_USAGE = 64,
	REPLICA_ARGS_EXIT_INTERNAL = 70,
};

/* The state file in --data-dir DIR is DIR/state. */
#define REPLICA_ARGS_STATE_NAME "state"

/* Where a replica listens, and where its peers' gossip sockets are. */
struct replica_addrs {
	struct sockaddr_in client_addr;         /* TCP listen address for clients */
	struct sockaddr_in gossip_addr;         /* UDP bind address for gossip */
	uint32_t peer_count;                    /* replicas - 1 */
	uint32_t peer_ids[REPLICA_ARGS_REPLICAS_MAX];   /* distinct, not ours, < replicas */
	struct sockaddr_in peer_addrs[REPLICA_ARGS_REPLICAS_MAX];
};

/*
 * A parsed command line. Invariants after replica_args_parse() returns 0: id < replicas
 * <= the spec's replicas_max (<= REPLICA_ARGS_REPLICAS_MAX), addrs.peer_count ==
 * replicas - 1, 1 <= gossip_ms <= REPLICA_ARGS_GOSSIP_MS_MAX, and DIR/state.tmp fits
 * DURABLE_FILE_PATH_BYTES_MAX. The peer arrays take about 5 KB at 256.
 */
struct replica_args {
	uint32_t id, replicas;
	int64_t gossip_ms;
	uint32_t bugs;                          /* the --bug flags, OR-ed */
	const char *data_dir;                   /* NULL: memory only; borrowed from argv */
	uint64_t seed;                          /* --seed X, or made from the clock and pid */
	bool seed_given;
	struct replica_addrs addrs;
};

/* A --bug NAME to its flag. Return: 0, or -EINVAL for an unknown name. */
typedef int replica_args_bug_fn(const char *name, uint32_t *bug);

/* One daemon-specific option, @code being its struct option val. Return: 0 or -errno. */
typedef int replica_args_extra_fn(int code, const char *arg, void *ctx, struct errbuf *eb);

struct replica_args_spec {
	const char *noun;                       /* "replica" or "node", in messages */
	replica_args_bug_fn *bug_parse;
	/*
	 * NULL, or at most REPLICA_ARGS_EXTRA_MAX options (ended by a zeroed entry) with
	 * required arguments or none (a flag: @extra_parse gets arg NULL) and vals no shared
	 * option uses (asserted); @extra_parse gets them.
	 */
	const struct option *extra;
	replica_args_extra_fn *extra_parse;
	void *ctx;                              /* for @extra_parse */
	uint32_t replicas_max;                  /* --replicas at most this; 0: the shared
						 * REPLICA_ARGS_REPLICAS_MAX, which it may not
						 * exceed */
};

/**
 * replica_args_parse() - parse the daemon's argv with getopt_long() (long options only):
 * --id --replicas --listen --peer --client-port --gossip-port --gossip-ms --data-dir
 * --bug --seed --help, and @spec's extra ones; then check them together and resolve the
 * addresses. Reentrant for tests: getopt is reset first. Never prints but for getopt's
 * own line on an unknown option; never exits.
 * Return: 0; REPLICA_ARGS_HELP if --help came before any error; -EINVAL (or -E2BIG for a
 *         257th --peer) with @eb naming the option and value.
 */
int replica_args_parse(struct replica_args *a, const struct replica_args_spec *spec, int argc,
		       char **argv, struct errbuf *eb);

/* replica_args_parse_int() - a whole decimal number in [@min, @max]. Return: 0 or -EINVAL. */
int replica_args_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

/* replica_args_addr_text() - "A.B.C.D:PORT" into @buf (REPLICA_ARGS_ADDR_TEXT_BYTES fits). */
const char *replica_args_addr_text(const struct sockaddr_in *addr, char *buf, size_t size);

#endif /* REPLICA_ARGS_H */
