/* SPDX-License-Identifier: MIT */
/* crdt_main.c - crdt-node: options, the replica, signals; the loop lives in crdt_net.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crdt.h"
#include "crdt_disk.h"
#include "crdt_net.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "monotime.h"

enum {
	EXIT_USAGE = 64,
	EXIT_INTERNAL = 70,
	CLIENT_PORT_DEFAULT = 7000,
	GOSSIP_PORT_DEFAULT = 7001,
	GOSSIP_MS_DEFAULT = 100,
	ADDR_BYTES_MAX = 64,
};

struct peer_arg {
	uint32_t id;
	char addr[ADDR_BYTES_MAX];
};

struct main_opts {
	int64_t id, replicas;
	const char *listen;
	uint32_t peer_count;
	struct peer_arg peers[CRDT_REPLICAS_MAX];
	int64_t client_port, gossip_port, gossip_ms;
	uint32_t bugs;
	const char *data_dir;           /* NULL: memory only */
	bool seed_given;
	uint64_t seed;
};

static const struct main_opts main_defaults = {
	.id = -1, .replicas = -1, .client_port = CLIENT_PORT_DEFAULT,
	.gossip_port = GOSSIP_PORT_DEFAULT, .gossip_ms = GOSSIP_MS_DEFAULT,
};

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

/* parse_int() - a whole decimal number in [@min, @max]. Return: 0 or -EINVAL. */
static int parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* parse_addr() - "A.B.C.D[:PORT]" into @sa; @sa->sin_port is kept if no port is given. */
static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[ADDR_BYTES_MAX];
	const char *colon = strchr(s, ':');
	size_t size = colon ? (size_t)(colon - s) : strlen(s);
	int64_t port;

	if (size == 0 || size >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, size);
	host[size] = '\0';
	sa->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -EINVAL;
	if (colon) {
		if (parse_int(colon + 1, 1, 65535, &port) < 0)
			return -EINVAL;
		sa->sin_port = htons((uint16_t)port);
	}
	return 0;
}

static int parse_peer(const char *s, struct main_opts *o, struct errbuf *eb)
{
	const char *eq = strchr(s, '=');
	char id[16];
	int64_t v;

	if (o->peer_count == CRDT_REPLICAS_MAX)
		return errbuf_set(eb, -E2BIG, "more than %d --peer", CRDT_REPLICAS_MAX);
	if (!eq || eq == s || (size_t)(eq - s) >= sizeof(id) || strlen(eq + 1) >= ADDR_BYTES_MAX)
		return errbuf_set(eb, -EINVAL, "--peer '%s': expected ID=ADDR[:PORT]", s);
	memcpy(id, s, (size_t)(eq - s));
	id[eq - s] = '\0';
	if (parse_int(id, 0, CRDT_REPLICAS_MAX - 1, &v) < 0)
		return errbuf_set(eb, -EINVAL, "--peer '%s': bad replica id", s);
	o->peers[o->peer_count].id = (uint32_t)v;
	snprintf(o->peers[o->peer_count].addr, ADDR_BYTES_MAX, "%s", eq + 1);
	o->peer_count++;
	return 0;
}

static int parse_option(int c, const char *arg, struct main_opts *o, struct errbuf *eb)
{
	enum crdt_bug bug;
	int64_t v;

	switch (c) {
	case 'i':
		return parse_int(arg, 0, CRDT_REPLICAS_MAX - 1, &o->id) < 0 ?
			       errbuf_set(eb, -EINVAL, "--id '%s'", arg) : 0;
	case 'n':
		return parse_int(arg, 1, CRDT_REPLICAS_MAX, &o->replicas) < 0 ?
			       errbuf_set(eb, -EINVAL, "--replicas '%s' (1..%d)", arg,
					  CRDT_REPLICAS_MAX) : 0;
	case 'l':
		o->listen = arg;
		return 0;
	case 'd':
		if (arg[0] == '\0' || strlen(arg) + sizeof("/state.tmp") > CRDT_DISK_PATH_BYTES_MAX)
			return errbuf_set(eb, -EINVAL, "--data-dir: empty or too long");
		o->data_dir = arg;
		return 0;
	case 'p':
		return parse_peer(arg, o, eb);
	case 'c':
	case 'g':
		if (parse_int(arg, 1, 65535, &v) < 0)
			return errbuf_set(eb, -EINVAL, "port '%s'", arg);
		*(c == 'c' ? &o->client_port : &o->gossip_port) = v;
		return 0;
	case 'm':
		return parse_int(arg, 1, CRDT_GOSSIP_MS_MAX, &o->gossip_ms) < 0 ?
			       errbuf_set(eb, -EINVAL, "--gossip-ms '%s'", arg) : 0;
	case 'b':
		if (crdt_bug_parse(arg, &bug) < 0)
			return errbuf_set(eb, -EINVAL, "unknown --bug '%s'", arg);
		o->bugs |= bug;
		return 0;
	case 's': {
		char *end;

		errno = 0;
		o->seed = strtoull(arg, &end, 0);
		if (errno || end == arg || *end != '\0' || arg[0] == '-')
			return errbuf_set(eb, -EINVAL, "--seed '%s' (a u64)", arg);
		o->seed_given = true;
		return 0;
	}
	default:
		return errbuf_set(eb, -EINVAL, "unknown option");
	}
}

/* validate() - cross-field checks, then the socket addresses. */
static int validate(const struct main_opts *o, struct crdt_net_opts *net, struct errbuf *eb)
{
	uint32_t seen = 0;

	if (o->id < 0 || o->replicas < 0 || !o->listen)
		return errbuf_set(eb, -EINVAL, "--id, --replicas and --listen are required");
	if (o->id >= o->replicas)
		return errbuf_set(eb, -EINVAL, "--id %" PRId64 " >= --replicas %" PRId64, o->id,
				  o->replicas);
	if (o->peer_count != (uint32_t)o->replicas - 1)
		return errbuf_set(eb, -EINVAL, "%u --peer given, %" PRId64 " needed",
				  o->peer_count, o->replicas - 1);
	memset(net, 0, sizeof(*net));
	net->id = (uint32_t)o->id;
	net->gossip_addr.sin_port = htons((uint16_t)o->gossip_port);
	if (parse_addr(o->listen, &net->gossip_addr) < 0)
		return errbuf_set(eb, -EINVAL, "--listen '%s'", o->listen);
	net->client_addr = net->gossip_addr;
	net->client_addr.sin_port = htons((uint16_t)o->client_port);
	for (uint32_t i = 0; i < o->peer_count; i++) {
		const struct peer_arg *p = &o->peers[i];

		if (p->id >= o->replicas || p->id == o->id || (seen & (1u << p->id)))
			return errbuf_set(eb, -EINVAL,
					  "--peer %u: id is ours, repeated or >= %" PRId64, p->id,
					  o->replicas);
		seen |= 1u << p->id;
		net->peer_ids[i] = p->id;
		net->peer_addrs[i].sin_port = htons((uint16_t)o->gossip_port);
		if (parse_addr(p->addr, &net->peer_addrs[i]) < 0)
			return errbuf_set(eb, -EINVAL, "--peer %u='%s'", p->id, p->addr);
	}
	net->peer_count = o->peer_count;
	return 0;
}

static int parse_args(int argc, char **argv, struct main_opts *o, struct crdt_net_opts *net,
		      struct errbuf *eb)
{
	static const struct option longopts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "replicas", required_argument, NULL, 'n' },
		{ "listen", required_argument, NULL, 'l' },
		{ "peer", required_argument, NULL, 'p' },
		{ "client-port", required_argument, NULL, 'c' },
		{ "gossip-port", required_argument, NULL, 'g' },
		{ "gossip-ms", required_argument, NULL, 'm' },
		{ "bug", required_argument, NULL, 'b' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, err;

	*o = main_defaults;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == '?')
			return errbuf_set(eb, -EINVAL, "bad option");
		err = parse_option(c, optarg, o, eb);
		if (err < 0)
			return err;
	}
	if (optind != argc)
		return errbuf_set(eb, -EINVAL, "unexpected argument '%s'", argv[optind]);
	return validate(o, net, eb);
}

static void log_startup(const struct main_opts *o, const struct crdt_net_opts *net)
{
	char ip[INET_ADDRSTRLEN];

	log_info("crdt-node: replica %" PRId64 " of %" PRId64 ", gossip every %" PRId64
		 " ms, bugs 0x%x, %s%s", o->id, o->replicas, o->gossip_ms, o->bugs,
		 o->data_dir ? "state in " : "state in memory only (not crash-safe)",
		 o->data_dir ? o->data_dir : "");
	for (uint32_t i = 0; i < net->peer_count; i++) {
		inet_ntop(AF_INET, &net->peer_addrs[i].sin_addr, ip, sizeof(ip));
		log_info("peer %u at udp %s:%u", net->peer_ids[i], ip,
			 ntohs(net->peer_addrs[i].sin_port));
	}
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

/*
 * state_load() - open the data dir and restore DIR/state into @r (no file yet: start empty).
 * Return: 0; -errno, -EBADMSG (corrupt) or -EPROTO (another replica's) with @eb naming the
 * file: the daemon then refuses to start rather than come back silently empty.
 */
static int state_load(const char *dir, struct crdt_replica *r, uint32_t bugs,
		      struct crdt_disk *disk, struct errbuf *eb)
{
	ssize_t n;
	int err = crdt_disk_open(disk, dir, eb);

	if (err < 0)
		return err;
	n = crdt_disk_read(disk, eb);
	if (n == -ENOENT) {
		log_info("%s: no state file yet, starting empty", disk->path);
		return 0;
	}
	if (n < 0)
		return errbuf_prefix(eb, (int)n, "refusing to start: ");
	err = crdt_replica_load(r, disk->buf, (size_t)n, eb);
	if (err < 0)
		return errbuf_prefix(eb, err, "refusing to start: state file %s: ", disk->path);
	if (bugs & CRDT_BUG_RESTART_EMPTY)
		log_info("%s: %zd bytes valid but IGNORED (bug restart-empty)", disk->path, n);
	else
		log_info("%s: %zd bytes, %u objects restored", disk->path, n,
			 crdt_replica_object_count(r));
	return 0;
}

/* serve() - the replica, its state file if any, then the loop until a signal. */
static int serve(const struct main_opts *o, struct crdt_net_opts *net,
		 const struct crdt_config *config, struct errbuf *eb)
{
	struct crdt_disk disk = { .dir_fd = -1 };
	struct crdt_replica *r;
	int err = crdt_replica_new(&r, config, eb);

	if (err < 0)
		return err;
	if (o->data_dir)
		err = state_load(o->data_dir, r, o->bugs, &disk, eb);
	net->disk = o->data_dir ? &disk : NULL;
	if (err == 0)
		err = crdt_net_run(r, net, eb);
	if (disk.write_count > 0)
		log_info("%s: %llu saves, mean %lld us, max %lld us", disk.path,
			 (unsigned long long)disk.write_count,
			 (long long)(disk.write_ns_total / (int64_t)disk.write_count / 1000),
			 (long long)(disk.write_ns_max / 1000));
	crdt_disk_close(&disk);
	crdt_replica_free(r);
	return err;
}

int main(int argc, char **argv)
{
	struct errbuf eb = { "" };
	struct main_opts o;
	struct crdt_net_opts net;
	struct crdt_config config;
	sigset_t mask;
	int err = parse_args(argc, argv, &o, &net, &eb);

	if (err < 0) {
		fprintf(stderr, "crdt-node: %s\n", eb.msg);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!o.seed_given)
		o.seed = (uint64_t)realtime_ns() ^ ((uint64_t)getpid() << 32);
	printf("seed=%" PRIu64 "\n", o.seed);
	fflush(stdout);
	log_startup(&o, &net);
	config = (struct crdt_config){
		.id = (uint32_t)o.id, .replicas = (uint32_t)o.replicas, .bugs = o.bugs,
		.gossip_interval_ns = o.gossip_ms * 1000000,
	};
	err = seq_clock_init(&config, &eb);
	if (err < 0) {
		log_error("crdt-node: %s: %s", eb.msg, strerror(-err));
		return EXIT_INTERNAL;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	err = sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ? -errno : 0;
	if (err == 0)
		err = serve(&o, &net, &config, &eb);
	if (err < 0) {
		log_error("crdt-node: %s: %s", eb.msg, strerror(-err));
		return EXIT_INTERNAL;
	}
	log_info("crdt-node: stopped");
	return 0;
}
