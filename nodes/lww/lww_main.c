/* SPDX-License-Identifier: MIT */
/* lww_main.c - lww-node: options, the node, its state file, signals; the loop is lww_net.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "lww.h"
#include "lww_disk.h"
#include "lww_net.h"
#include "monotime.h"

enum {
	EXIT_USAGE = 64,
	EXIT_INTERNAL = 70,
	CLIENT_PORT_DEFAULT = 7000,
	GOSSIP_PORT_DEFAULT = 7001,
	GOSSIP_MS_DEFAULT = 100,
	ADDR_BYTES_MAX = 64,
	PEER_ID_BYTES_MAX = 16,
};

struct peer_arg {
	uint32_t id;
	char addr[ADDR_BYTES_MAX];
};

struct main_opts {
	int64_t id, replicas;
	const char *listen;
	uint32_t peer_count;
	struct peer_arg peers[LWW_REPLICAS_MAX];
	int64_t client_port, gossip_port, gossip_ms, max_offset_ms;
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
	char id[PEER_ID_BYTES_MAX];
	int64_t v;

	if (o->peer_count == LWW_REPLICAS_MAX)
		return errbuf_set(eb, -E2BIG, "more than %d --peer", LWW_REPLICAS_MAX);
	if (!eq || eq == s || (size_t)(eq - s) >= sizeof(id) || strlen(eq + 1) >= ADDR_BYTES_MAX)
		return errbuf_set(eb, -EINVAL, "--peer '%s': expected ID=ADDR[:PORT]", s);
	memcpy(id, s, (size_t)(eq - s));
	id[eq - s] = '\0';
	if (parse_int(id, 0, LWW_REPLICAS_MAX - 1, &v) < 0)
		return errbuf_set(eb, -EINVAL, "--peer '%s': bad node id", s);
	o->peers[o->peer_count].id = (uint32_t)v;
	snprintf(o->peers[o->peer_count].addr, ADDR_BYTES_MAX, "%s", eq + 1);
	o->peer_count++;
	return 0;
}

static int parse_seed(const char *arg, struct main_opts *o, struct errbuf *eb)
{
	char *end;

	errno = 0;
	o->seed = strtoull(arg, &end, 0);
	if (errno || end == arg || *end != '\0' || arg[0] == '-')
		return errbuf_set(eb, -EINVAL, "--seed '%s' (a u64)", arg);
	o->seed_given = true;
	return 0;
}

static int parse_option(int c, const char *arg, struct main_opts *o, struct errbuf *eb)
{
	uint32_t bug;
	int64_t v;

	switch (c) {
	case 'i':
		return parse_int(arg, 0, LWW_REPLICAS_MAX - 1, &o->id) < 0 ?
			       errbuf_set(eb, -EINVAL, "--id '%s'", arg) : 0;
	case 'n':
		return parse_int(arg, 1, LWW_REPLICAS_MAX, &o->replicas) < 0 ?
			       errbuf_set(eb, -EINVAL, "--replicas '%s' (1..%d)", arg,
					  LWW_REPLICAS_MAX) : 0;
	case 'l':
		o->listen = arg;
		return 0;
	case 'd':
		if (arg[0] == '\0' || strlen(arg) + sizeof("/state.tmp") > LWW_DISK_PATH_BYTES_MAX)
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
		return parse_int(arg, 1, LWW_GOSSIP_MS_MAX, &o->gossip_ms) < 0 ?
			       errbuf_set(eb, -EINVAL, "--gossip-ms '%s'", arg) : 0;
	case 'o':
		return parse_int(arg, 0, LWW_MAX_OFFSET_MS_MAX, &o->max_offset_ms) < 0 ?
			       errbuf_set(eb, -EINVAL, "--max-offset-ms '%s'", arg) : 0;
	case 'b':
		if (lww_bug_parse(arg, &bug) < 0)
			return errbuf_set(eb, -EINVAL, "unknown --bug '%s'", arg);
		o->bugs |= bug;
		return 0;
	case 's':
		return parse_seed(arg, o, eb);
	default:
		return errbuf_set(eb, -EINVAL, "unknown option");
	}
}

/* validate() - cross-field checks, then the socket addresses. */
static int validate(const struct main_opts *o, struct lww_net_opts *net, struct errbuf *eb)
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
	net->gossip_interval_ns = o->gossip_ms * 1000000;
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

static int parse_args(int argc, char **argv, struct main_opts *o, struct lww_net_opts *net,
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
		{ "max-offset-ms", required_argument, NULL, 'o' },
		{ "bug", required_argument, NULL, 'b' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, err;

	*o = main_defaults;
	/* Bounded by argc: getopt_long() consumes at least one argument per option. */
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

static void log_startup(const struct main_opts *o, const struct lww_net_opts *net)
{
	char ip[INET_ADDRSTRLEN];

	log_info("lww-node: node %" PRId64 " of %" PRId64 ", gossip every %" PRId64
		 " ms, max offset %" PRId64 " ms, %s, %s%s", o->id, o->replicas, o->gossip_ms,
		 o->max_offset_ms, o->bugs ? "bug wallclock-lww" : "HLC stamps",
		 o->data_dir ? "state in " : "state in memory only (not crash-safe)",
		 o->data_dir ? o->data_dir : "");
	for (uint32_t i = 0; i < net->peer_count; i++) {
		inet_ntop(AF_INET, &net->peer_addrs[i].sin_addr, ip, sizeof(ip));
		log_info("peer %u at udp %s:%u", net->peer_ids[i], ip,
			 ntohs(net->peer_addrs[i].sin_port));
	}
}

/*
 * state_load() - open the data dir and restore DIR/state into @n (no file yet: start empty).
 * Return: 0; -errno, -EBADMSG (corrupt) or -EPROTO (another node's) with @eb naming the
 * file: the daemon then refuses to start rather than come back silently empty.
 */
static int state_load(const char *dir, struct lww_node *n, struct lww_disk *disk,
		      struct errbuf *eb)
{
	ssize_t size;
	int err = lww_disk_open(disk, dir, eb);

	if (err < 0)
		return err;
	size = lww_disk_read(disk, eb);
	if (size == -ENOENT) {
		log_info("%s: no state file yet, starting empty", disk->path);
		return 0;
	}
	if (size < 0)
		return errbuf_prefix(eb, (int)size, "refusing to start: ");
	err = lww_node_load(n, disk->buf, (size_t)size, eb);
	if (err < 0)
		return errbuf_prefix(eb, err, "refusing to start: state file %s: ", disk->path);
	log_info("%s: %zd bytes, %u keys restored, HLC from %" PRIu64, disk->path, size,
		 n->store.count, hlc_pack(&n->hlc.last));
	return 0;
}

/* Static: the disk's buffer and the node's store are a few KB each; one of each. */
static struct lww_node node;
static struct lww_disk disk = { .dir_fd = -1 };

/* serve() - the node, its state file if any, then the loop until a signal. */
static int serve(const struct main_opts *o, struct lww_net_opts *net, struct errbuf *eb)
{
	const struct lww_config config = {
		.id = (uint32_t)o->id, .replicas = (uint32_t)o->replicas, .bugs = o->bugs,
		.max_offset_ns = o->max_offset_ms * 1000000,
	};
	int err = lww_node_init(&node, &config, eb);

	if (err == 0 && o->data_dir)
		err = state_load(o->data_dir, &node, &disk, eb);
	net->disk = o->data_dir ? &disk : NULL;
	if (err == 0)
		err = lww_net_run(&node, net, eb);
	if (disk.write_count > 0)
		log_info("%s: %llu saves, mean %lld us, max %lld us", disk.path,
			 (unsigned long long)disk.write_count,
			 (long long)(disk.write_ns_total / (int64_t)disk.write_count / 1000),
			 (long long)(disk.write_ns_max / 1000));
	lww_disk_close(&disk);
	return err;
}

int main(int argc, char **argv)
{
	struct errbuf eb = { "" };
	struct main_opts o;
	struct lww_net_opts net;
	sigset_t mask;
	int err = parse_args(argc, argv, &o, &net, &eb);

	if (err < 0) {
		fprintf(stderr, "lww-node: %s\n", eb.msg);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!o.seed_given)
		o.seed = (uint64_t)realtime_ns() ^ ((uint64_t)getpid() << 32);
	printf("seed=%" PRIu64 "\n", o.seed);
	fflush(stdout);
	log_startup(&o, &net);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	err = sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ? -errno : 0;
	if (err == 0)
		err = serve(&o, &net, &eb);
	if (err < 0) {
		log_error("lww-node: %s: %s", eb.msg, strerror(-err));
		return EXIT_INTERNAL;
	}
	log_info("lww-node: stopped");
	return 0;
}
