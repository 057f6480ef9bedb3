/* SPDX-License-Identifier: MIT */
/* test_pbft_client.c - the PBFT client: requests from history ops, results, and the f+1
 * matching-replies rule against fake replicas on 127.0.0.x (one UDP socket each). */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "campaign.h"
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

/* The --byzantine option as the descriptor parses it: modes pbft-node knows, or none. */
static int parse_byzantine(void *opts, const char *list, struct errbuf *eb)
{
	const struct system_desc *desc = system_desc_find("pbft");

	cr_assert(desc && desc->options && strcmp(desc->options[0].name, "byzantine") == 0);
	desc->opts_defaults(opts);
	return desc->options[0].parse(opts, list, eb);
}

Test(pbft_client, byzantine_modes_parse_one_per_replica)
{
	const struct system_desc *desc = system_desc_find("pbft");
	struct campaign_opts o = campaign_defaults;
	struct errbuf eb = { "" };
	_Alignas(max_align_t) char opts[256];

	cr_assert(desc && desc->opts_size <= sizeof(opts));
	cr_assert_eq(parse_byzantine(opts, "equivocate,none,silent", &eb), 0, "%s", eb.msg);
	cr_assert_eq(parse_byzantine(opts, "silent,bogus", &eb), -EINVAL);
	cr_assert(strstr(eb.msg, "bogus"), "%s", eb.msg);
	cr_assert_eq(parse_byzantine(opts, "silent,,silent", &eb), -EINVAL);
	/* More modes than replicas: refused once --nodes is known. */
	cr_assert_eq(parse_byzantine(opts, "silent,none,none,none,silent", &eb), 0);
	o.system = desc;
	o.node_count = 4;
	cr_assert_eq(desc->opts_check(opts, &o, &eb), -E2BIG, "%s", eb.msg);
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

/* Binds replica @i's socket on 127.0.0.(i+1):cfg->port and fills cfg->addrs[i]. */
static int fake_bind(struct pbft_client_config *cfg, int i)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(cfg->port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	a.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)i);
	cfg->addrs[i] = a.sin_addr;
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "bind 127.0.0.%d:%u: %s",
		     i + 1, cfg->port, strerror(errno));
	return fd;
}

/* A datagram on replica @i's socket @fd (waiting at most @ms) into @m, opened with the
 * sender's pair key; @from gets its address. Return: whether an authentic REQUEST came. */
static bool fake_recv(const struct pbft_client_config *cfg, int fd, int i, int ms,
		      struct sockaddr_in *from, struct pbft_msg *m)
{
	uint8_t buf[PBFT_SEALED_BYTES_MAX], key[PBFT_KEY_BYTES];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	socklen_t len = sizeof(*from);
	size_t plain;
	uint32_t sender;
	ssize_t n;

	if (poll(&pfd, 1, ms) != 1)
		return false;
	n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)from, &len);
	if (n <= 0 || pbft_sender_peek(buf, (size_t)n, &sender) < 0)
		return false;
	pbft_key_derive(cfg->secret, sender, (uint32_t)i, key);
	return pbft_open(key, buf, (size_t)n, &plain) == 0 &&
	       pbft_decode(buf, plain, REPLICAS + PBFT_CLIENTS_MAX, m, NULL) == 0 &&
	       m->type == PBFT_MSG_REQUEST;
}

/* Replica @i's REPLY to @request: ok, @value, naming @view; sealed with a wrong key if
 * @forge. Sent to @to from @fd. */
static void fake_reply(const struct pbft_client_config *cfg, int fd, int i,
		       const struct sockaddr_in *to, const struct pbft_msg *request,
		       uint64_t view, struct pbft_value value, bool forge)
{
	uint8_t plain[PBFT_MSG_BYTES_MAX], buf[PBFT_SEALED_BYTES_MAX], key[PBFT_KEY_BYTES];
	static struct pbft_msg m;
	ssize_t n;

	memset(&m, 0, sizeof(m));
	m.type = PBFT_MSG_REPLY;
	m.sender = (uint32_t)i;
	m.view = view;
	m.result = (struct pbft_result){ .client = request->request.client,
					 .timestamp = request->request.timestamp, .ok = true,
					 .value = value };
	n = pbft_encode(&m, plain, sizeof(plain));
	cr_assert(n > 0);
	pbft_key_derive(cfg->secret, (uint32_t)i, REPLICAS + m.result.client, key);
	if (forge)
		key[0] ^= 1;
	n = pbft_seal(key, plain, (size_t)n, buf, sizeof(buf));
	cr_assert(n > 0);
	sendto(fd, buf, (size_t)n, 0, (const struct sockaddr *)to, sizeof(*to));
}

/* One request in on replica @i's socket; its reply (or nothing) back. */
static void answer(struct fake *fk, int i)
{
	static struct pbft_msg m;
	struct sockaddr_in from;
	struct pbft_value value = { .present = true, .v = fk->values[i] };

	cr_assert(fake_recv(fk->cfg, fk->fds[i], i, 5000, &from, &m), "an authentic request");
	if (!fk->silent[i])
		fake_reply(fk->cfg, fk->fds[i], i, &from, &m, 0, value, fk->forge[i]);
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
	for (int i = 0; i < REPLICAS; i++)
		fk->fds[i] = fake_bind(&cfg, i);
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

/* ---- Where requests go ----------------------------------------------------------------- */

enum { ROUTE_PORT_BASE = 47900, QUIET_MS = 60 };

/* Scripted fake replicas: each keeps the address its last request came from. */
struct route_fake {
	struct pbft_client_config *cfg;
	int fds[REPLICAS];
	struct sockaddr_in client[REPLICAS];
	uint64_t views[REPLICAS];       /* the view each names in its replies */
	struct pbft_msg request;        /* the last request any of them got */
	int script;                     /* 0 every replica gets it; 1 the primary alone; 2 the
					 * primary, then everyone after a resend */
	bool got[REPLICAS];             /* got the op's first send (script 0, 1) or the resend */
};

/* One request on replica @i within @ms. Return: whether one came. */
static bool route_recv(struct route_fake *fk, int i, int ms)
{
	return fake_recv(fk->cfg, fk->fds[i], i, ms, &fk->client[i], &fk->request);
}

/* Every replica replies ok to the last request, at the address it last heard from. */
static void route_reply_all(struct route_fake *fk)
{
	for (int i = 0; i < REPLICAS; i++)
		fake_reply(fk->cfg, fk->fds[i], i, &fk->client[i], &fk->request, fk->views[i],
			   (struct pbft_value){ 0 }, false);
}

static void *route_main(void *arg)
{
	struct route_fake *fk = arg;
	int primary = (int)(fk->views[0] % REPLICAS);

	memset(fk->got, 0, sizeof(fk->got));
	if (fk->script == 0) {
		for (int i = 0; i < REPLICAS; i++)
			fk->got[i] = route_recv(fk, i, 1000);
	} else {
		fk->got[primary] = route_recv(fk, primary, 1000);
		/* The backups: nothing within QUIET_MS (script 1; under the client's
		 * retransmission period), or the resend (script 2). */
		if (fk->script == 1)
			usleep(QUIET_MS * 1000);
		for (int i = 0; i < REPLICAS; i++) {
			if (i != primary)
				fk->got[i] = route_recv(fk, i, fk->script == 1 ? 0 : 1000);
		}
		if (fk->script == 2)
			(void)route_recv(fk, primary, 1000);    /* the resend to it, too */
	}
	route_reply_all(fk);
	return NULL;
}

/* Writes through @c with @fk's replicas following @script; returns the result. */
static enum op_type route_write(struct route_fake *fk, struct pbft_client *c, int script,
				uint64_t index)
{
	static const struct op_value one = { .kind = OP_VALUE_INT, .integer = 1 };
	struct op inv = { .index = index, .f = "write", .key = "k0", .value = one };
	struct client_result r;
	pthread_t t;

	fk->script = script;
	pthread_create(&t, NULL, route_main, fk);
	cr_assert_eq(client_invoke(&c->base, &inv, &r, NULL), 0);
	pthread_join(t, NULL);
	return r.type;
}

Test(pbft_client, writes_go_to_the_primary_once_every_replica_knows_the_client)
{
	static struct pbft_client_config cfg = { .replicas = REPLICAS };
	static struct pbft_session session;
	static struct pbft_client c, other;
	/* Views 5, 5, 5 and a liar's 99: the client believes the (f+1)-th highest, 5. */
	static struct route_fake fk = { .views = { 5, 5, 5, 99 } };

	cfg.port = (uint16_t)(ROUTE_PORT_BASE + getpid() % 500);
	memset(cfg.secret, 9, sizeof(cfg.secret));
	fk.cfg = &cfg;
	for (int i = 0; i < REPLICAS; i++)
		fk.fds[i] = fake_bind(&cfg, i);
	pbft_client_init(&c, &cfg, &session, 2, 2000 * 1000000ll);
	pbft_client_init(&other, &cfg, &session, 2, 2000 * 1000000ll);
	cr_assert_eq(client_open(&c.base, cfg.addrs[0], NULL), 0);
	cr_assert_eq(route_write(&fk, &c, 0, 0), OP_OK);
	cr_assert(fk.got[0] && fk.got[1] && fk.got[2] && fk.got[3], "the first send is to all");
	cr_assert_eq(session.view, 5, "not the liar's view");

	cr_assert_eq(route_write(&fk, &c, 1, 1), OP_OK);
	cr_assert(fk.got[1], "the primary of view 5 is replica 1");
	cr_assert(!fk.got[0] && !fk.got[2] && !fk.got[3], "the backups got nothing");

	cr_assert_eq(route_write(&fk, &c, 2, 2), OP_OK);
	cr_assert(fk.got[0] && fk.got[1] && fk.got[2] && fk.got[3],
		  "no reply within the retransmission period: resent to all");

	/* Another object of the session sends from another socket: to all, and then it is
	 * the one the replicas know, so the first object sends to all again. */
	cr_assert_eq(client_open(&other.base, cfg.addrs[0], NULL), 0);
	cr_assert_eq(route_write(&fk, &other, 0, 3), OP_OK);
	cr_assert(fk.got[0] && fk.got[1] && fk.got[2] && fk.got[3]);
	cr_assert_eq(route_write(&fk, &c, 0, 4), OP_OK);
	cr_assert(fk.got[0] && fk.got[1] && fk.got[2] && fk.got[3]);
	client_close(&c.base);
	cr_assert_eq(client_open(&c.base, cfg.addrs[0], NULL), 0);
	cr_assert_eq(route_write(&fk, &c, 0, 5), OP_OK);
	cr_assert(fk.got[0] && fk.got[1] && fk.got[2] && fk.got[3], "a new socket: to all");
	client_close(&c.base);
	client_close(&other.base);
	for (int i = 0; i < REPLICAS; i++)
		close(fk.fds[i]);
}
