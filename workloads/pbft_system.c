/* SPDX-License-Identifier: MIT */
/* pbft_system.c - pbft-node behind the System seam: cas registers agreed by 3f+1 replicas. */
#include "system.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "campaign.h"
#include "cluster.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "line_conn.h"
#include "pbft.h"
#include "pbft_client.h"
#include "pbft_gen.h"
#include "replica_db.h"

enum {
	PBFT_KEYS = 3,                  /* registers per campaign */
	PBFT_STATUS_PORT = 7000,        /* pbft-node's TCP line port (status, byzantine) */
	PBFT_MODES_MAX = PBFT_REPLICAS_MAX,
};
STATIC_ASSERT((int)PBFT_KEYS <= (int)SYSTEM_FINAL_READS_MAX &&
	      (int)PBFT_KEYS <= (int)PBFT_GEN_KEYS_MAX, "every key fits the final reads");

struct pbft_system {
	struct system base;
	struct pbft_gen gen;
	struct replica_db db;
	struct pbft_client_config client;
	char secret_hex[2 * PBFT_SECRET_BYTES + 1];
	uint32_t mode_count;            /* replica i < mode_count starts with modes[i] */
	char modes[PBFT_MODES_MAX][SYSTEM_MODE_BYTES_MAX];
	atomic_uint next_client;        /* client ids, one per client thread */
};

static struct pbft_system *pbft_of(const struct system *sys)
{
	/* The id counter is the one thing that changes; the rest is read-only. */
	return container_of((struct system *)sys, struct pbft_system, base);
}

/* One thread's clients share a session: one client id, taken here on first use. */
static void pbft_client_setup(const struct system *sys, struct client *client, void *session)
{
	struct pbft_system *s = pbft_of(sys);
	struct pbft_session *ses = session;
	uint32_t id = ses->assigned ? ses->client : atomic_fetch_add(&s->next_client, 1);

	/* cmd_run keeps concurrency + 2 (readiness and final reads) under the bound. */
	ASSERT(id < PBFT_CLIENTS_MAX);
	pbft_client_init(container_of(client, struct pbft_client, base), &s->client, ses, id,
			 sys->op_timeout_ns);
}

static uint32_t pbft_final_reads(const struct system *sys, struct op *out, uint32_t max)
{
	(void)sys;
	ASSERT(max >= PBFT_KEYS);
	for (uint32_t i = 0; i < PBFT_KEYS; i++)
		out[i] = (struct op){ .f = "read", .key = gen_key_name(i),
				      .value = { .kind = OP_VALUE_NULL } };
	return PBFT_KEYS;
}

static uint64_t pbft_digest(const struct client_result *r)
{
	uint64_t h = system_digest_fnv(SYSTEM_FNV_BASIS, &r->type, sizeof(r->type));

	h = system_digest_fnv(h, &r->value.kind, sizeof(r->value.kind));
	return system_digest_fnv(h, &r->value.integer, sizeof(r->value.integer));
}

static int pbft_attach(struct system *sys, const struct cluster *cluster, struct errbuf *eb)
{
	struct pbft_system *s = pbft_of(sys);
	uint32_t n = cluster_node_count(cluster);

	if (n < 4 || n > PBFT_REPLICAS_MAX || (n - 1) % 3 != 0)
		return errbuf_set(eb, -EINVAL, "pbft needs 3f+1 replicas (4, 7 or 10), not %u", n);
	s->client.replicas = n;
	for (uint32_t i = 0; i < n; i++)
		s->client.addrs[i] = cluster_node_addr(cluster, i);
	return 0;
}

/* Up when its TCP line port accepts a connection. */
static int pbft_ready(const struct system *sys, struct in_addr addr, int64_t deadline_ns,
		      struct errbuf *eb)
{
	struct line_conn conn;
	char buf[8];
	int err;

	(void)sys;
	line_conn_init(&conn, PBFT_STATUS_PORT, buf, sizeof(buf));
	err = line_conn_open(&conn, addr, deadline_ns, eb);
	line_conn_close(&conn);
	return err;
}

static void pbft_free(struct system *sys)
{
	free(pbft_of(sys));
}

static const struct system_ops pbft_system_ops = {
	.name = "pbft",
	.client_size = sizeof(struct pbft_client),
	.session_size = sizeof(struct pbft_session),
	.client_init = pbft_client_setup,
	.final_reads = pbft_final_reads,
	.digest = pbft_digest,
	.free = pbft_free,
	.attach = pbft_attach,
	.ready = pbft_ready,
	.agreed_reads = true,
};

/* --secret, for the first replicas --byzantine MODE, and --tentative on the fast path. */
static uint32_t pbft_extra_args(const struct replica_db *db, uint32_t node,
				char args[][REPLICA_DB_ARG_BYTES_MAX], uint32_t max)
{
	const struct pbft_system *s = db->extra_ctx;
	uint32_t n = 0;

	ASSERT(max >= 5);
	snprintf(args[n++], REPLICA_DB_ARG_BYTES_MAX, "--secret");
	snprintf(args[n++], REPLICA_DB_ARG_BYTES_MAX, "%s", s->secret_hex);
	if (node < s->mode_count) {
		snprintf(args[n++], REPLICA_DB_ARG_BYTES_MAX, "--byzantine");
		snprintf(args[n++], REPLICA_DB_ARG_BYTES_MAX, "%s", s->modes[node]);
	}
	if (s->client.fast)
		snprintf(args[n++], REPLICA_DB_ARG_BYTES_MAX, "--tentative");
	return n;
}

/*
 * The cluster secret: BLAKE2b-256 of a label and the seed, so a run repeats with its seed.
 * It authenticates replicas to each other in a test; it is not meant to keep anyone out.
 */
static void secret_from_seed(uint64_t seed, uint8_t secret[PBFT_SECRET_BYTES])
{
	uint8_t in[32] = "faultline-pbft-secret";

	memcpy(in + 24, &seed, sizeof(seed));
	crypto_generichash(secret, PBFT_SECRET_BYTES, in, sizeof(in), NULL, 0);
}

int pbft_system_new(const struct campaign_opts *o, const char *data_root,
		    struct system **out, struct errbuf *eb)
{
	struct pbft_system *s = calloc(1, sizeof(*s));
	bool first_reply = o->bug && strcmp(o->bug, "client-first-reply") == 0;
	int err;

	if (!s)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	pbft_gen_init(&s->gen, PBFT_KEYS);
	err = system_init(&s->base, &pbft_system_ops, &s->gen.base, &s->db, "pbft", o,
			  data_root, eb);
	if (err == 0 && o->byzantine)
		err = pbft_system_modes(o->byzantine, s->modes, PBFT_MODES_MAX, &s->mode_count,
					eb);
	if (err < 0) {
		free(s);
		return err;
	}
	if (first_reply)
		s->db.bug = NULL;       /* a client-side bug: the replicas are correct */
	s->db.extra = pbft_extra_args;
	s->db.extra_ctx = s;
	s->client.port = PBFT_CLIENT_PORT_DEFAULT;
	s->client.first_reply = first_reply;
	s->client.fast = o->fast;
	secret_from_seed(o->seed, s->client.secret);
	sodium_bin2hex(s->secret_hex, sizeof(s->secret_hex), s->client.secret,
		       PBFT_SECRET_BYTES);
	atomic_init(&s->next_client, 0);
	*out = &s->base;
	return 0;
}

int pbft_system_modes(const char *list, char modes[][SYSTEM_MODE_BYTES_MAX], uint32_t max,
		      uint32_t *count, struct errbuf *eb)
{
	const char *p = list;
	uint32_t n = 0;

	for (;;) {
		size_t len = strcspn(p, ",");
		uint32_t flag;

		if (n >= max)
			return errbuf_set(eb, -E2BIG, "--byzantine: at most %u modes", max);
		if (len == 0 || len >= SYSTEM_MODE_BYTES_MAX)
			return errbuf_set(eb, -EINVAL, "--byzantine: empty or long mode in '%s'",
					  list);
		memcpy(modes[n], p, len);
		modes[n][len] = '\0';
		if (strcmp(modes[n], "none") != 0 && pbft_byzantine_parse(modes[n], &flag) < 0)
			return errbuf_set(eb, -EINVAL, "--byzantine: unknown mode '%s'",
					  modes[n]);
		n++;
		if (!p[len])
			break;
		p += len + 1;
	}
	*count = n;
	return 0;
}
