/* SPDX-License-Identifier: MIT */
/* replica_args.c - parsing and cross-checking the replica daemons' shared options. */
#include "replica_args.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable_file.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"

enum {
	PEER_ID_BYTES_MAX = 16,
	COMMON_HEAD = 7,                /* shared options listed before the extra ones */
	COMMON_COUNT = 11,
	OPTIONS_MAX = COMMON_COUNT + REPLICA_ARGS_EXTRA_MAX + 1,
};

STATIC_ASSERT(REPLICA_ARGS_REPLICAS_MAX % 64 == 0, "the ids seen fill whole u64 words");
STATIC_ASSERT(sizeof("255.255.255.255:65535") <= REPLICA_ARGS_ADDR_TEXT_BYTES,
	      "any address fits its text buffer");

/* The order of the options is getopt's order of candidates for an ambiguous prefix. */
static const struct option common_options[COMMON_COUNT] = {
	{ "id", required_argument, NULL, 'i' },
	{ "replicas", required_argument, NULL, 'n' },
	{ "listen", required_argument, NULL, 'l' },
	{ "peer", required_argument, NULL, 'p' },
	{ "client-port", required_argument, NULL, 'c' },
	{ "gossip-port", required_argument, NULL, 'g' },
	{ "gossip-ms", required_argument, NULL, 'm' },
	/* The extra options go here. */
	{ "bug", required_argument, NULL, 'b' },
	{ "data-dir", required_argument, NULL, 'd' },
	{ "seed", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
};

struct peer_arg {
	uint32_t id;
	char addr[REPLICA_ARGS_ADDR_BYTES_MAX];
};

/* The options as given, before the cross-field checks: about 17 KB at 256 peers. */
struct raw {
	int64_t id, replicas, client_port, gossip_port;
	const char *listen;
	uint32_t peer_count;
	struct peer_arg peers[REPLICA_ARGS_REPLICAS_MAX];
};

/* The peer ids seen so far: bit id of a bitmap over every possible id. */
struct id_set {
	uint64_t words[REPLICA_ARGS_REPLICAS_MAX / 64];
};

/* id_set_add() - add @id (< REPLICA_ARGS_REPLICAS_MAX). Return: false if it was there. */
static bool id_set_add(struct id_set *set, uint32_t id)
{
	uint64_t bit = (uint64_t)1 << (id % 64);

	ASSERT(id < REPLICA_ARGS_REPLICAS_MAX);
	if (set->words[id / 64] & bit)
		return false;
	set->words[id / 64] |= bit;
	return true;
}

int replica_args_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	ASSERT(s);
	ASSERT(out);
	ASSERT(min <= max);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

const char *replica_args_addr_text(const struct sockaddr_in *addr, char *buf, size_t size)
{
	char ip[INET_ADDRSTRLEN];

	ASSERT(addr);
	ASSERT(buf);
	ASSERT(size > 0);
	inet_ntop(AF_INET, &addr->sin_addr, ip, sizeof(ip));
	snprintf(buf, size, "%s:%u", ip, ntohs(addr->sin_port));
	return buf;
}

/* parse_addr() - "A.B.C.D[:PORT]" into @sa; @sa->sin_port is kept if no port is given. */
static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[REPLICA_ARGS_ADDR_BYTES_MAX];
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
		if (replica_args_parse_int(colon + 1, 1, 65535, &port) < 0)
			return -EINVAL;
		sa->sin_port = htons((uint16_t)port);
	}
	return 0;
}

static int parse_peer(const char *s, const char *noun, struct raw *raw, struct errbuf *eb)
{
	const char *eq = strchr(s, '=');
	char id[PEER_ID_BYTES_MAX];
	int64_t v;

	if (raw->peer_count == REPLICA_ARGS_REPLICAS_MAX)
		return errbuf_set(eb, -E2BIG, "more than %d --peer", REPLICA_ARGS_REPLICAS_MAX);
	if (!eq || eq == s || (size_t)(eq - s) >= sizeof(id) ||
	    strlen(eq + 1) >= REPLICA_ARGS_ADDR_BYTES_MAX)
		return errbuf_set(eb, -EINVAL, "--peer '%s': expected ID=ADDR[:PORT]", s);
	memcpy(id, s, (size_t)(eq - s));
	id[eq - s] = '\0';
	if (replica_args_parse_int(id, 0, REPLICA_ARGS_REPLICAS_MAX - 1, &v) < 0)
		return errbuf_set(eb, -EINVAL, "--peer '%s': bad %s id", s, noun);
	raw->peers[raw->peer_count].id = (uint32_t)v;
	snprintf(raw->peers[raw->peer_count].addr, REPLICA_ARGS_ADDR_BYTES_MAX, "%s", eq + 1);
	raw->peer_count++;
	return 0;
}

static int parse_seed(const char *arg, struct replica_args *a, struct errbuf *eb)
{
	char *end;

	errno = 0;
	a->seed = strtoull(arg, &end, 0);
	if (errno || end == arg || *end != '\0' || arg[0] == '-')
		return errbuf_set(eb, -EINVAL, "--seed '%s' (a u64)", arg);
	a->seed_given = true;
	return 0;
}

static int parse_data_dir(const char *arg, struct replica_args *a, struct errbuf *eb)
{
	static const char tail[] = "/" REPLICA_ARGS_STATE_NAME DURABLE_FILE_TEMP_SUFFIX;

	if (arg[0] == '\0' || strlen(arg) + sizeof(tail) > DURABLE_FILE_PATH_BYTES_MAX)
		return errbuf_set(eb, -EINVAL, "--data-dir: empty or too long");
	a->data_dir = arg;
	return 0;
}

/* replicas_max() - the daemon's own bound on --replicas, or the shared one. */
static uint32_t replicas_max(const struct replica_args_spec *spec)
{
	ASSERT(spec->replicas_max <= REPLICA_ARGS_REPLICAS_MAX);
	return spec->replicas_max ? spec->replicas_max : REPLICA_ARGS_REPLICAS_MAX;
}

static int parse_option(int c, const char *arg, const struct replica_args_spec *spec,
			struct replica_args *a, struct raw *raw, struct errbuf *eb)
{
	uint32_t bug, max;
	int64_t v;

	switch (c) {
	case 'i':
		if (replica_args_parse_int(arg, 0, REPLICA_ARGS_REPLICAS_MAX - 1, &raw->id) < 0)
			return errbuf_set(eb, -EINVAL, "--id '%s'", arg);
		return 0;
	case 'n':
		max = replicas_max(spec);
		if (replica_args_parse_int(arg, 1, max, &raw->replicas) < 0)
			return errbuf_set(eb, -EINVAL, "--replicas '%s' (1..%" PRIu32 ")", arg,
					  max);
		return 0;
	case 'l':
		raw->listen = arg;
		return 0;
	case 'd':
		return parse_data_dir(arg, a, eb);
	case 'p':
		return parse_peer(arg, spec->noun, raw, eb);
	case 'c':
	case 'g':
		if (replica_args_parse_int(arg, 1, 65535, &v) < 0)
			return errbuf_set(eb, -EINVAL, "port '%s'", arg);
		*(c == 'c' ? &raw->client_port : &raw->gossip_port) = v;
		return 0;
	case 'm':
		if (replica_args_parse_int(arg, 1, REPLICA_ARGS_GOSSIP_MS_MAX, &a->gossip_ms) < 0)
			return errbuf_set(eb, -EINVAL, "--gossip-ms '%s'", arg);
		return 0;
	case 'b':
		if (spec->bug_parse(arg, &bug) < 0)
			return errbuf_set(eb, -EINVAL, "unknown --bug '%s'", arg);
		a->bugs |= bug;
		return 0;
	case 's':
		return parse_seed(arg, a, eb);
	default:
		if (spec->extra_parse)
			return spec->extra_parse(c, arg, spec->ctx, eb);
		return errbuf_set(eb, -EINVAL, "unknown option");
	}
}

/* resolve() - cross-field checks, then the socket addresses. */
static int resolve(const struct raw *raw, struct replica_args *a, struct errbuf *eb)
{
	struct replica_addrs *addrs = &a->addrs;
	struct id_set seen = { { 0 } };

	if (raw->id < 0 || raw->replicas < 0 || !raw->listen)
		return errbuf_set(eb, -EINVAL, "--id, --replicas and --listen are required");
	if (raw->id >= raw->replicas)
		return errbuf_set(eb, -EINVAL, "--id %" PRId64 " >= --replicas %" PRId64, raw->id,
				  raw->replicas);
	if (raw->peer_count != (uint32_t)raw->replicas - 1)
		return errbuf_set(eb, -EINVAL, "%u --peer given, %" PRId64 " needed",
				  raw->peer_count, raw->replicas - 1);
	memset(addrs, 0, sizeof(*addrs));
	addrs->gossip_addr.sin_port = htons((uint16_t)raw->gossip_port);
	if (parse_addr(raw->listen, &addrs->gossip_addr) < 0)
		return errbuf_set(eb, -EINVAL, "--listen '%s'", raw->listen);
	addrs->client_addr = addrs->gossip_addr;
	addrs->client_addr.sin_port = htons((uint16_t)raw->client_port);
	for (uint32_t i = 0; i < raw->peer_count; i++) {
		const struct peer_arg *p = &raw->peers[i];

		if (p->id >= raw->replicas || p->id == raw->id || !id_set_add(&seen, p->id))
			return errbuf_set(eb, -EINVAL,
					  "--peer %u: id is ours, repeated or >= %" PRId64, p->id,
					  raw->replicas);
		addrs->peer_ids[i] = p->id;
		addrs->peer_addrs[i].sin_port = htons((uint16_t)raw->gossip_port);
		if (parse_addr(p->addr, &addrs->peer_addrs[i]) < 0)
			return errbuf_set(eb, -EINVAL, "--peer %u='%s'", p->id, p->addr);
	}
	addrs->peer_count = raw->peer_count;
	a->id = (uint32_t)raw->id;
	a->replicas = (uint32_t)raw->replicas;
	return 0;
}

/* build_options() - the shared options with @extra among them, into @out[OPTIONS_MAX]. */
static void build_options(const struct option *extra, struct option *out)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < COMMON_HEAD; i++)
		out[n++] = common_options[i];
	for (uint32_t e = 0; extra && extra[e].name; e++) {
		ASSERT(e < REPLICA_ARGS_EXTRA_MAX);
		ASSERT(extra[e].has_arg == required_argument || extra[e].has_arg == no_argument);
		ASSERT(!extra[e].flag);
		for (uint32_t i = 0; i < COMMON_COUNT; i++)
			ASSERT(extra[e].val != common_options[i].val);
		out[n++] = extra[e];
	}
	for (uint32_t i = COMMON_HEAD; i < COMMON_COUNT; i++)
		out[n++] = common_options[i];
	ASSERT(n < OPTIONS_MAX);
	out[n] = (struct option){ NULL, 0, NULL, 0 };
}

int replica_args_parse(struct replica_args *a, const struct replica_args_spec *spec, int argc,
		       char **argv, struct errbuf *eb)
{
	struct option options[OPTIONS_MAX];
	struct raw raw = { .id = -1, .replicas = -1,
			   .client_port = REPLICA_ARGS_CLIENT_PORT_DEFAULT,
			   .gossip_port = REPLICA_ARGS_GOSSIP_PORT_DEFAULT };
	int c, err;

	ASSERT(a);
	ASSERT(spec);
	ASSERT(spec->noun);
	ASSERT(spec->bug_parse);
	ASSERT(spec->replicas_max <= REPLICA_ARGS_REPLICAS_MAX);
	ASSERT(argv);
	ASSERT(!spec->extra == !spec->extra_parse);
	build_options(spec->extra, options);
	*a = (struct replica_args){ .gossip_ms = REPLICA_ARGS_GOSSIP_MS_DEFAULT };
	optind = 0;                     /* glibc: start over, as at a first call */
	/* Bounded by argc: getopt_long() consumes at least one argument per option. */
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (c == 'h')
			return REPLICA_ARGS_HELP;
		if (c == '?')
			return errbuf_set(eb, -EINVAL, "bad option");
		err = parse_option(c, optarg, spec, a, &raw, eb);
		if (err < 0)
			return err;
	}
	if (optind != argc)
		return errbuf_set(eb, -EINVAL, "unexpected argument '%s'", argv[optind]);
	err = resolve(&raw, a, eb);
	if (err < 0)
		return err;
	if (!a->seed_given)
		a->seed = (uint64_t)realtime_ns() ^ ((uint64_t)getpid() << 32);
	ASSERT(a->id < a->replicas);
	ASSERT(a->replicas <= replicas_max(spec));
	ASSERT(a->addrs.peer_count == a->replicas - 1);
	return 0;
}
