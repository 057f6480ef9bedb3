/* SPDX-License-Identifier: MIT */
/* test_pbft_client.c - the PBFT client: requests from history ops, results, and the f+1
 * matching-replies rule against fake replicas on 127.0.0.x (one UDP socket each). */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errbuf.h"
#include "pbft_client.h"
#include "pbft_gen.h"
#include "prng.h"
#include "system.h"

enum { REPLICAS = 4, PORT_BASE = 47300 };

static const int64_t cas_1_2[2] = { 1, 2 };

Test(pbft_client, maps_ops_to_requests)
{
	struct op read = { .f = "read", .key = "k3", .value = { .kind = OP_VALUE_NULL } };
	struct op write = { .f = "write", .key = "k0",
			    .value = { .kind = OP_VALUE_INT, .integer = 4 } };
	struct op cas = { .f = "cas", .key = "k31",
			  .value = { .kind = OP_VALUE_INTS, .count = 2, .ints = cas_1_2 } };
	struct pbft_request q;
	struct errbuf eb = { "" };

	cr_assert_eq(pbft_client_request(&read, 5, 9, &q, &eb), 0);
	cr_assert(q.client == 5 && q.timestamp == 9 && q.op.verb == PBFT_VERB_READ &&
		  q.op.key == 3 && !q.op.a.present && !q.op.b.present);
	cr_assert_eq(pbft_client_request(&write, 0, 1, &q, &eb), 0);
	cr_assert(q.op.verb == PBFT_VERB_WRITE && q.op.a.present && q.op.a.v == 4);
	cr_assert_eq(pbft_client_request(&cas, 0, 1, &q, &eb), 0);
	cr_assert(q.op.verb == PBFT_VERB_CAS && q.op.key == 31 && q.op.a.v == 1 &&
		  q.op.b.v == 2);
}

Test(pbft_client, refuses_what_the_service_cannot_do)
{
	struct op bad_key = { .f = "read", .key = "k32" };
	struct op no_key = { .f = "read" };
	struct op word_key = { .f = "read", .key = "x" };
	struct op write_null = { .f = "write", .key = "k1",
				 .value = { .kind = OP_VALUE_NULL } };
	struct op add = { .f = "add", .key = "k1", .value = { .kind = OP_VALUE_INT } };
	struct pbft_request q;
	struct errbuf eb = { "" };

	cr_assert_eq(pbft_client_request(&bad_key, 0, 1, &q, &eb), -EINVAL);
	cr_assert(strstr(eb.msg, "k32"), "%s", eb.msg);
	cr_assert_eq(pbft_client_request(&no_key, 0, 1, &q, &eb), -EINVAL);
	cr_assert_eq(pbft_client_request(&word_key, 0, 1, &q, &eb), -EINVAL);
	cr_assert_eq(pbft_client_request(&write_null, 0, 1, &q, &eb), -EINVAL);
	cr_assert_eq(pbft_client_request(&add, 0, 1, &q, &eb), -EINVAL);
}

Test(pbft_client, results_follow_jepsen)
{
	struct op read = { .f = "read", .key = "k0" };
	struct op cas = { .f = "cas", .key = "k0",
			  .value = { .kind = OP_VALUE_INTS, .count = 2, .ints = cas_1_2 } };
	struct pbft_result got3 = { .ok = true, .value = { .present = true, .v = 3 } };
	struct pbft_result got_null = { .ok = true };
	struct pbft_result refused = { .ok = false };
	struct client_result r;

	client_result_reset(&r);
	pbft_client_result(&read, &got3, &r);
	cr_assert(r.type == OP_OK && r.value_set && r.value.kind == OP_VALUE_INT &&
		  r.value.integer == 3);
	client_result_reset(&r);
	pbft_client_result(&read, &got_null, &r);
	cr_assert(r.type == OP_OK && r.value.kind == OP_VALUE_NULL);
	client_result_reset(&r);
	pbft_client_result(&cas, &refused, &r);
	cr_assert_eq(r.type, OP_FAIL, "a cas that did not match did not happen");
	client_result_reset(&r);
	pbft_client_result(&cas, &got_null, &r);
	cr_assert(r.type == OP_OK && !r.value_set, "an ok cas records its [old, new]");
}

Test(pbft_client, modes_parse_one_per_replica)
{
	char modes[4][SYSTEM_MODE_BYTES_MAX];
	struct errbuf eb = { "" };
	uint32_t n = 0;

	cr_assert_eq(pbft_system_modes("equivocate,none,silent", modes, 4, &n, &eb), 0);
	cr_assert(n == 3 && strcmp(modes[0], "equivocate") == 0 &&
		  strcmp(modes[1], "none") == 0 && strcmp(modes[2], "silent") == 0);
	cr_assert_eq(pbft_system_modes("silent,bogus", modes, 4, &n, &eb), -EINVAL);
	cr_assert(strstr(eb.msg, "bogus"), "%s", eb.msg);
	cr_assert_eq(pbft_system_modes("silent,,silent", modes, 4, &n, &eb), -EINVAL);
	cr_assert_eq(pbft_system_modes("silent,silent", modes, 1, &n, &eb), -E2BIG);
}

Test(pbft_client, generator_repeats_with_its_seed)
{
	struct pbft_gen g;
	uint32_t kinds[3] = { 0 };

	pbft_gen_init(&g, 3);
	for (uint64_t k = 0; k < 300; k++) {
		struct prng p1, p2;
		struct gen_ctx c1 = { .op_number = k, .node_count = 4, .prng = &p1 };
		struct gen_ctx c2 = c1;
		struct gen_op a, b;

		c2.prng = &p2;
		prng_init(&p1, k * 7 + 1);
		prng_init(&p2, k * 7 + 1);
		cr_assert_eq(gen_op(&g.base, &c1, &a), GEN_OP);
		cr_assert_eq(gen_op(&g.base, &c2, &b), GEN_OP);
		cr_assert_str_eq(a.op.f, b.op.f);
		cr_assert_str_eq(a.op.key, b.op.key);
		cr_assert(a.node == b.node && a.node < 4);
		kinds[strcmp(a.op.f, "read") == 0 ? 0 : strcmp(a.op.f, "write") == 0 ? 1 : 2]++;
		if (strcmp(a.op.f, "cas") == 0)
			cr_assert(a.op.value.count == 2 && a.op.value.ints[0] < PBFT_GEN_VALUES);
	}
	cr_assert(kinds[0] > 60 && kinds[1] > 40 && kinds[2] > 40, "%u %u %u", kinds[0],
		  kinds[1], kinds[2]);
}

/* ---- Against fake replicas --------------------------------------------------------- */

/* How each fake replica answers: the value it claims, whether it answers, with a bad MAC. */
struct fake {
	struct pbft_client_config *cfg;
	int fds[REPLICAS];
	int64_t values[REPLICAS];
	bool silent[REPLICAS];
	bool forge[REPLICAS];
	int order[REPLICAS];            /* who answers first */
};

/* One request in on replica @i's socket; its reply (or nothing) back. */
static void answer(struct fake *fk, int i)
{
	uint8_t buf[PBFT_SEALED_BYTES_MAX], plain[PBFT_MSG_BYTES_MAX], key[PBFT_KEY_BYTES];
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	static struct pbft_msg m;
	ssize_t n = recvfrom(fk->fds[i], buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
	size_t plain_size;
	uint32_t sender;

	cr_assert(n > 0);
	cr_assert_eq(pbft_sender_peek(buf, (size_t)n, &sender), 0);
	pbft_key_derive(fk->cfg->secret, sender, (uint32_t)i, key);
	cr_assert_eq(pbft_open(key, buf, (size_t)n, &plain_size), 0, "the request is sealed");
	cr_assert_eq(pbft_decode(buf, plain_size, REPLICAS + PBFT_CLIENTS_MAX, &m, NULL), 0);
	cr_assert_eq(m.type, PBFT_MSG_REQUEST);
	if (fk->silent[i])
		return;
	m.result = (struct pbft_result){ .client = m.request.client,
					 .timestamp = m.request.timestamp, .ok = true,
					 .value = { .present = true, .v = fk->values[i] } };
	m.type = PBFT_MSG_REPLY;
	m.sender = (uint32_t)i;
	n = pbft_encode(&m, plain, sizeof(plain));
	cr_assert(n > 0);
	pbft_key_derive(fk->cfg->secret, (uint32_t)i, sender, key);
	if (fk->forge[i])
		key[0] ^= 1;
	n = pbft_seal(key, plain, (size_t)n, buf, sizeof(buf));
	sendto(fk->fds[i], buf, (size_t)n, 0, (struct sockaddr *)&from, len);
}

static void *fake_main(void *arg)
{
	struct fake *fk = arg;

	for (int k = 0; k < REPLICAS; k++)
		answer(fk, fk->order[k]);
	return NULL;
}

/* Reads k0 through @fk's replicas; returns the result. */
static struct client_result *read_via(struct fake *fk, bool first_reply)
{
	static struct pbft_client_config cfg = { .replicas = REPLICAS, .port = 0 };
	static struct pbft_session session;
	static struct pbft_client c;
	static struct client_result r;
	struct op inv = { .index = 41, .f = "read", .key = "k0" };
	pthread_t t;

	cfg.port = (uint16_t)(PORT_BASE + getpid() % 500);
	cfg.first_reply = first_reply;
	memset(cfg.secret, 7, sizeof(cfg.secret));
	fk->cfg = &cfg;
	for (int i = 0; i < REPLICAS; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(cfg.port) };

		a.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)i);
		cfg.addrs[i] = a.sin_addr;
		fk->fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		cr_assert_eq(bind(fk->fds[i], (struct sockaddr *)&a, sizeof(a)), 0,
			     "bind 127.0.0.%d:%u: %s", i + 1, cfg.port, strerror(errno));
	}
	memset(&session, 0, sizeof(session));
	pbft_client_init(&c, &cfg, &session, 3, 400 * 1000000ll);
	cr_assert_eq(client_open(&c.base, cfg.addrs[0], NULL), 0);
	pthread_create(&t, NULL, fake_main, fk);
	cr_assert_eq(client_invoke(&c.base, &inv, &r, NULL), 0);
	pthread_join(t, NULL);
	client_close(&c.base);
	for (int i = 0; i < REPLICAS; i++)
		close(fk->fds[i]);
	return &r;
}

Test(pbft_client, accepts_f_plus_one_matching_replies_not_the_first)
{
	struct fake fk = { .values = { 9, 5, 5, 5 }, .order = { 0, 1, 2, 3 } };
	struct client_result *r = read_via(&fk, false);

	cr_assert_eq(r->type, OP_OK);
	cr_assert_eq(r->value.integer, 5, "the liar's 9 came first and was outvoted");
}

Test(pbft_client, first_reply_bug_trusts_the_liar)
{
	struct fake fk = { .values = { 9, 5, 5, 5 }, .order = { 0, 1, 2, 3 } };
	struct client_result *r = read_via(&fk, true);

	cr_assert_eq(r->type, OP_OK);
	cr_assert_eq(r->value.integer, 9);
}

Test(pbft_client, forged_replies_do_not_count)
{
	/* Replicas 1 and 2 agree but their MACs are wrong; only 0 and 3 are authentic. */
	struct fake fk = { .values = { 9, 5, 5, 9 }, .forge = { false, true, true, false },
			   .order = { 1, 2, 0, 3 } };
	struct client_result *r = read_via(&fk, false);

	cr_assert_eq(r->type, OP_OK);
	cr_assert_eq(r->value.integer, 9, "the two forged 5s were dropped");
}

Test(pbft_client, too_few_replies_time_out_as_info)
{
	struct fake fk = { .values = { 1, 2, 3, 4 }, .silent = { false, false, true, true },
			   .order = { 0, 1, 2, 3 } };
	struct client_result *r = read_via(&fk, false);

	cr_assert_eq(r->type, OP_INFO, "no two replies match");
	cr_assert_str_eq(r->error, "timeout");
}
