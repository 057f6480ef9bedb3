/* SPDX-License-Identifier: MIT */
/* test_replica_args.c - the shared daemon command line: defaults, every option, the
 * cross-field checks and their messages, --help, and a daemon's extra options. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "durable_file.h"
#include "errbuf.h"
#include "replica_args.h"

enum { ARGS_MAX = 2 * REPLICA_ARGS_REPLICAS_MAX + 16 };

TestSuite(replica_args);

static struct replica_args args;
static struct errbuf eb;
static int64_t extra_value = -1;

static int bug_parse(const char *name, uint32_t *bug)
{
	if (strcmp(name, "one") == 0 || strcmp(name, "two") == 0) {
		*bug = name[0] == 'o' ? 1u : 2u;
		return 0;
	}
	return -EINVAL;
}

static int extra_parse(int code, const char *arg, void *ctx, struct errbuf *e)
{
	cr_assert_eq(code, 'o');
	if (replica_args_parse_int(arg, 0, 10, ctx) < 0)
		return errbuf_set(e, -EINVAL, "--offset '%s'", arg);
	return 0;
}

static const struct option extra[] = {
	{ "offset", required_argument, NULL, 'o' },
	{ NULL, 0, NULL, 0 },
};
static const struct replica_args_spec plain = { .noun = "replica", .bug_parse = bug_parse };
static const struct replica_args_spec with_extra = {
	.noun = "node", .bug_parse = bug_parse, .extra = extra, .extra_parse = extra_parse,
	.ctx = &extra_value,
};
static const struct replica_args_spec capped = {
	.noun = "replica", .bug_parse = bug_parse, .replicas_max = 32,
};

static char *argv[ARGS_MAX + 1];
static int argc;

static void arg(char *a)
{
	cr_assert_lt(argc, ARGS_MAX);
	argv[argc++] = a;
	argv[argc] = NULL;
}

static int parse_argv(const struct replica_args_spec *spec)
{
	errbuf_clear(&eb);
	return replica_args_parse(&args, spec, argc, argv, &eb);
}

/* parse() - the daemon's arguments after argv[0], ended by NULL. */
static int parse(const struct replica_args_spec *spec, ...)
{
	va_list ap;

	argc = 0;
	arg("node");
	va_start(ap, spec);
	for (char *a = va_arg(ap, char *); a; a = va_arg(ap, char *))
		arg(a);
	va_end(ap);
	return parse_argv(spec);
}

static const char *text(const struct sockaddr_in *a)
{
	static char buf[REPLICA_ARGS_ADDR_TEXT_BYTES];

	return replica_args_addr_text(a, buf, sizeof(buf));
}

Test(replica_args, one_replica_gets_the_documented_defaults)
{
	cr_assert_eq(parse(&plain, "--id", "0", "--replicas", "1", "--listen", "127.0.0.1", NULL),
		     0, "%s", eb.msg);
	cr_assert_eq(args.id, 0);
	cr_assert_eq(args.replicas, 1);
	cr_assert_eq(args.gossip_ms, 100);
	cr_assert_eq(args.bugs, 0);
	cr_assert_null(args.data_dir);
	cr_assert_not(args.seed_given);
	cr_assert_eq(args.addrs.peer_count, 0);
	cr_assert_str_eq(text(&args.addrs.client_addr), "127.0.0.1:7000");
	cr_assert_str_eq(text(&args.addrs.gossip_addr), "127.0.0.1:7001");
}

Test(replica_args, every_option_is_taken_and_ports_resolve_after_parsing)
{
	cr_assert_eq(parse(&plain, "--peer", "0=10.0.0.1", "--id", "1", "--replicas", "3",
			   "--listen", "10.0.0.2:9001", "--client-port", "9000",
			   "--peer", "2=10.0.0.3:9005", "--gossip-port", "8001", "--gossip-ms",
			   "20", "--data-dir", "/var/x", "--seed", "0x10", "--bug", "one", "--bug",
			   "two", NULL), 0, "%s", eb.msg);
	cr_assert_eq(args.id, 1);
	cr_assert_eq(args.replicas, 3);
	cr_assert_eq(args.gossip_ms, 20);
	cr_assert_eq(args.bugs, 3);
	cr_assert_str_eq(args.data_dir, "/var/x");
	cr_assert(args.seed_given);
	cr_assert_eq(args.seed, 16);
	cr_assert_str_eq(text(&args.addrs.client_addr), "10.0.0.2:9000");
	cr_assert_str_eq(text(&args.addrs.gossip_addr), "10.0.0.2:9001",
			 "PORT beats --gossip-port");
	cr_assert_eq(args.addrs.peer_count, 2);
	cr_assert_eq(args.addrs.peer_ids[0], 0);
	cr_assert_str_eq(text(&args.addrs.peer_addrs[0]), "10.0.0.1:8001",
			 "--gossip-port given later still applies");
	cr_assert_eq(args.addrs.peer_ids[1], 2);
	cr_assert_str_eq(text(&args.addrs.peer_addrs[1]), "10.0.0.3:9005");
}

Test(replica_args, help_wins_unless_an_error_comes_first)
{
	cr_assert_eq(parse(&plain, "--help", "--id", "256", NULL), REPLICA_ARGS_HELP);
	cr_assert_eq(parse(&plain, "--id", "256", "--help", NULL), -EINVAL);
	cr_assert_str_eq(eb.msg, "--id '256'");
}

/* A usage error: the arguments after argv[0] (up to a NULL) and the message they give. */
struct refusal {
	const char *want;
	const char *args[12];
};

static void expect_refusals(const struct refusal *r, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		argc = 0;
		arg("node");
		for (size_t k = 0; k < 12 && r[i].args[k]; k++)
			arg((char *)r[i].args[k]);
		cr_assert_eq(parse_argv(&plain), -EINVAL, "%s", r[i].want);
		cr_assert_str_eq(eb.msg, r[i].want);
	}
}

Test(replica_args, cross_field_errors_say_what_is_wrong)
{
	static const struct refusal refusals[] = {
		{ "--id, --replicas and --listen are required", { "--id", "0" } },
		{ "--id 2 >= --replicas 2", { "--id", "2", "--replicas", "2", "--listen",
					       "1.2.3.4", "--peer", "0=1.2.3.4" } },
		{ "0 --peer given, 1 needed", { "--id", "0", "--replicas", "2", "--listen",
						 "1.2.3.4" } },
		{ "--peer 0: id is ours, repeated or >= 2",
		  { "--id", "0", "--replicas", "2", "--listen", "1.2.3.4", "--peer",
		    "0=1.2.3.5" } },
		{ "--peer 1: id is ours, repeated or >= 3",
		  { "--id", "0", "--replicas", "3", "--listen", "1.2.3.4", "--peer", "1=1.2.3.5",
		    "--peer", "1=1.2.3.6" } },
		{ "--peer 5: id is ours, repeated or >= 2",
		  { "--id", "0", "--replicas", "2", "--listen", "1.2.3.4", "--peer",
		    "5=1.2.3.5" } },
		{ "--listen 'localhost'", { "--id", "0", "--replicas", "1", "--listen",
					    "localhost" } },
		{ "--peer 1='1.2.3.5:0'", { "--id", "0", "--replicas", "2", "--listen", "1.2.3.4",
					    "--peer", "1=1.2.3.5:0" } },
	};

	expect_refusals(refusals, sizeof(refusals) / sizeof(refusals[0]));
}

Test(replica_args, single_option_errors_name_the_option_and_value)
{
	static const struct refusal refusals[] = {
		{ "--replicas '257' (1..256)", { "--replicas", "257" } },
		{ "--replicas '0' (1..256)", { "--replicas", "0" } },
		{ "--id '-1'", { "--id", "-1" } },
		{ "port '65536'", { "--client-port", "65536" } },
		{ "port '0'", { "--gossip-port", "0" } },
		{ "--gossip-ms '60001'", { "--gossip-ms", "60001" } },
		{ "--gossip-ms '0'", { "--gossip-ms", "0" } },
		{ "unknown --bug 'three'", { "--bug", "three" } },
		{ "--seed '-1' (a u64)", { "--seed", "-1" } },
		{ "--seed '1x' (a u64)", { "--seed", "1x" } },
		{ "--data-dir: empty or too long", { "--data-dir", "" } },
		{ "--peer '1:1.2.3.4': expected ID=ADDR[:PORT]", { "--peer", "1:1.2.3.4" } },
		{ "--peer '=1.2.3.4': expected ID=ADDR[:PORT]", { "--peer", "=1.2.3.4" } },
		{ "--peer 'x=1.2.3.4': bad replica id", { "--peer", "x=1.2.3.4" } },
		{ "unexpected argument 'stray'", { "--id", "0", "stray" } },
		{ "bad option", { "--offset", "1" } },  /* another daemon's option */
	};

	expect_refusals(refusals, sizeof(refusals) / sizeof(refusals[0]));
}

/* The peer arguments as "ID=10.0.A.B:7001", storage for @parse_peers(). */
static char peer_text[REPLICA_ARGS_REPLICAS_MAX + 1][32];

/*
 * parse_peers() - "--id @id --replicas @replicas --listen 10.0.0.1" and a --peer for each
 * of ids[0 .. count), through @spec.
 */
static int parse_peers(const struct replica_args_spec *spec, const char *id,
		       const char *replicas, const uint32_t *ids, uint32_t count)
{
	cr_assert_leq(count, REPLICA_ARGS_REPLICAS_MAX + 1);
	argc = 0;
	arg("node");
	arg("--id");
	arg((char *)id);
	arg("--replicas");
	arg((char *)replicas);
	arg("--listen");
	arg("10.0.0.1");
	for (uint32_t k = 0; k < count; k++) {
		snprintf(peer_text[k], sizeof(peer_text[k]), "%u=10.0.%u.%u:7001", ids[k],
			 ids[k] / 200, ids[k] % 200 + 2);
		arg("--peer");
		arg(peer_text[k]);
	}
	return parse_argv(spec);
}

/* Every id 0 .. 255 but @skip, highest first: the bitmap's every word, both ends. */
static uint32_t all_ids_but(uint32_t skip, uint32_t *ids)
{
	uint32_t count = 0;

	for (uint32_t id = REPLICA_ARGS_REPLICAS_MAX; id-- > 0;) {
		if (id != skip)
			ids[count++] = id;
	}
	return count;
}

Test(replica_args, a_ring_of_256_is_taken)
{
	static uint32_t ids[REPLICA_ARGS_REPLICAS_MAX];
	uint32_t count = all_ids_but(200, ids);

	cr_assert_eq(count, 255);
	cr_assert_eq(parse_peers(&plain, "200", "256", ids, count), 0, "%s", eb.msg);
	cr_assert_eq(args.id, 200);
	cr_assert_eq(args.replicas, 256);
	cr_assert_eq(args.addrs.peer_count, 255);
	cr_assert_eq(args.addrs.peer_ids[0], 255);
	cr_assert_str_eq(text(&args.addrs.peer_addrs[0]), "10.0.1.57:7001");
	cr_assert_eq(args.addrs.peer_ids[254], 0);
	cr_assert_str_eq(text(&args.addrs.peer_addrs[254]), "10.0.0.2:7001");
	count = all_ids_but(0, ids);
	cr_assert_eq(parse_peers(&plain, "0", "256", ids, count), 0, "%s", eb.msg);
	cr_assert_eq(args.addrs.peer_ids[0], 255);
}

Test(replica_args, a_257th_node_or_peer_is_too_many)
{
	static uint32_t ids[REPLICA_ARGS_REPLICAS_MAX + 1];
	uint32_t count = all_ids_but(REPLICA_ARGS_REPLICAS_MAX, ids);

	cr_assert_eq(parse_peers(&plain, "0", "257", ids + 1, count - 1), -EINVAL);
	cr_assert_str_eq(eb.msg, "--replicas '257' (1..256)");
	cr_assert_eq(parse_peers(&plain, "256", "256", ids + 1, count - 1), -EINVAL);
	cr_assert_str_eq(eb.msg, "--id '256'");
	ids[count++] = 7;       /* 257 --peer: refused as they come, before any check */
	cr_assert_eq(parse_peers(&plain, "0", "256", ids, count), -E2BIG);
	cr_assert_str_eq(eb.msg, "more than 256 --peer");
}

Test(replica_args, a_repeated_peer_id_high_in_the_bitmap_is_refused)
{
	static uint32_t ids[REPLICA_ARGS_REPLICAS_MAX];
	uint32_t count = all_ids_but(0, ids);

	ids[255 - 201] = 200;   /* 201 is missing, 200 given twice */
	cr_assert_eq(ids[255 - 200], 200);
	cr_assert_eq(parse_peers(&plain, "0", "256", ids, count), -EINVAL);
	cr_assert_str_eq(eb.msg, "--peer 200: id is ours, repeated or >= 256");
	ids[255 - 201] = 0;     /* our own id */
	cr_assert_eq(parse_peers(&plain, "0", "256", ids, count), -EINVAL);
	cr_assert_str_eq(eb.msg, "--peer 0: id is ours, repeated or >= 256");
}

Test(replica_args, a_daemon_caps_the_replicas_at_its_own_bound)
{
	static uint32_t ids[REPLICA_ARGS_REPLICAS_MAX];

	for (uint32_t k = 0; k < 31; k++)
		ids[k] = k + 1;
	cr_assert_eq(parse_peers(&capped, "0", "32", ids, 31), 0, "%s", eb.msg);
	cr_assert_eq(args.replicas, 32);
	ids[31] = 32;
	cr_assert_eq(parse_peers(&capped, "0", "33", ids, 32), -EINVAL);
	cr_assert_str_eq(eb.msg, "--replicas '33' (1..32)");
	cr_assert_eq(parse_peers(&plain, "0", "33", ids, 32), 0, "%s", eb.msg);
}

Test(replica_args, the_data_dir_must_leave_room_for_its_temp_file)
{
	static char dir[DURABLE_FILE_PATH_BYTES_MAX];
	size_t fits = DURABLE_FILE_PATH_BYTES_MAX - sizeof("/state.tmp");

	memset(dir, 'd', fits);
	dir[0] = '/';
	cr_assert_eq(parse(&plain, "--id", "0", "--replicas", "1", "--listen", "1.2.3.4",
			   "--data-dir", dir, NULL), 0, "%s", eb.msg);
	cr_assert_eq(strlen(args.data_dir), fits);
	dir[fits] = 'd';
	cr_assert_eq(parse(&plain, "--data-dir", dir, NULL), -EINVAL);
}

Test(replica_args, extra_options_reach_the_daemon_and_the_noun_is_its_own)
{
	cr_assert_eq(parse(&with_extra, "--id", "0", "--replicas", "1", "--listen", "1.2.3.4",
			   "--offset", "7", NULL), 0, "%s", eb.msg);
	cr_assert_eq(extra_value, 7);
	cr_assert_eq(parse(&with_extra, "--offset", "11", NULL), -EINVAL);
	cr_assert_str_eq(eb.msg, "--offset '11'");
	cr_assert_eq(parse(&with_extra, "--peer", "x=1.2.3.4", NULL), -EINVAL);
	cr_assert_str_eq(eb.msg, "--peer 'x=1.2.3.4': bad node id");
	cr_assert_eq(parse(&with_extra, "--gossip", "5", NULL), -EINVAL, "an ambiguous prefix");
	cr_assert_eq(parse(&with_extra, "--off", "3", "--id", "0", "--replicas", "1",
			   "--listen", "1.2.3.4", NULL), 0, "a unique prefix");
	cr_assert_eq(extra_value, 3);
}

Test(replica_args, parse_int_takes_whole_decimals_in_range)
{
	int64_t v = -7;

	cr_assert_eq(replica_args_parse_int("42", 0, 42, &v), 0);
	cr_assert_eq(v, 42);
	cr_assert_eq(replica_args_parse_int("-3", -5, 5, &v), 0);
	cr_assert_eq(v, -3);
	cr_assert_eq(replica_args_parse_int("43", 0, 42, &v), -EINVAL);
	cr_assert_eq(replica_args_parse_int("", 0, 42, &v), -EINVAL);
	cr_assert_eq(replica_args_parse_int("4 ", 0, 42, &v), -EINVAL);
	cr_assert_eq(replica_args_parse_int("0x10", 0, 42, &v), -EINVAL);
	cr_assert_eq(replica_args_parse_int("99999999999999999999", 0, INT64_MAX, &v), -EINVAL);
	cr_assert_eq(v, -3, "unchanged on error");
}

Test(replica_args, addr_text_is_dotted_quad_and_port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(65535) };
	char small[8];

	inet_pton(AF_INET, "255.255.255.255", &a.sin_addr);
	cr_assert_str_eq(text(&a), "255.255.255.255:65535");
	cr_assert_str_eq(replica_args_addr_text(&a, small, sizeof(small)), "255.255",
			 "cut to the buffer, still a string");
}
