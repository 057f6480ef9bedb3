/* SPDX-License-Identifier: MIT */
/* lww_system.c - lww-node behind the System seam: a few registers, sessions per thread. */
#include "system.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "lww_client.h"
#include "lww_gen.h"
#include "replica_db.h"

enum { LWW_KEYS = 2 };          /* registers per campaign: few, so causal chains are dense */
STATIC_ASSERT((int)LWW_KEYS <= (int)LWW_SESSION_KEYS_MAX &&
	      (int)LWW_KEYS <= (int)SYSTEM_FINAL_READS_MAX,
	      "every key fits a session and the final reads");

struct lww_system {
	struct system base;
	struct lww_gen gen;
	struct replica_db db;
};

struct system_thread {
	uint32_t node_count;
	struct lww_session session;     /* shared by the thread's clients */
	struct lww_client conns[];      /* one per node */
};

static struct lww_system *lww_of(struct system *sys)
{
	return container_of(sys, struct lww_system, base);
}

static int lww_thread_new(struct system *sys, uint32_t node_count, struct system_thread **out,
			  struct errbuf *eb)
{
	struct system_thread *t = calloc(1, sizeof(*t) + node_count * sizeof(t->conns[0]));

	if (!t)
		return errbuf_set(eb, -ENOMEM, "out of memory for client connections");
	t->node_count = node_count;
	for (uint32_t i = 0; i < node_count; i++)
		lww_client_init(&t->conns[i], &t->session, LWW_CLIENT_PORT_DEFAULT,
				sys->op_timeout_ns);
	*out = t;
	return 0;
}

static struct client *lww_thread_client(struct system_thread *t, uint32_t node)
{
	ASSERT(node < t->node_count);
	return &t->conns[node].base;
}

static void lww_thread_free(struct system_thread *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->node_count; i++)
		client_close(&t->conns[i].base);
	free(t);
}

static uint32_t lww_final_reads(const struct system *sys, struct op *out, uint32_t max)
{
	(void)sys;
	ASSERT(max >= LWW_KEYS);
	for (uint32_t i = 0; i < LWW_KEYS; i++)
		out[i] = (struct op){ .f = "read", .key = lww_gen_key(i),
				      .value = { .kind = OP_VALUE_NULL } };
	return LWW_KEYS;
}

/* The register, not the clock: hashes the JSON up to "clock", which changes every read. */
static uint64_t lww_digest(const struct client_result *r)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)r->type;
	const char *p = r->value.kind == OP_VALUE_JSON ? r->value.json : "";
	const char *end = strstr(p, ",\"clock\"");

	for (; *p && p != end; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	return h;
}

static void lww_free(struct system *sys)
{
	free(lww_of(sys));
}

static const struct system_ops lww_system_ops = {
	.name = "lww",
	.thread_new = lww_thread_new,
	.thread_client = lww_thread_client,
	.thread_free = lww_thread_free,
	.final_reads = lww_final_reads,
	.digest = lww_digest,
	.free = lww_free,
};

int lww_system_new(const struct campaign_opts *o, const char *data_root, struct system **out,
		   struct errbuf *eb)
{
	struct lww_system *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	s->base.ops = &lww_system_ops;
	lww_gen_init(&s->gen, LWW_KEYS);
	err = replica_db_init(&s->db, o->node_exe, data_root, o->bug, o->seed);
	if (err < 0) {
		free(s);
		return errbuf_set(eb, err, "path too long: %s or %s", o->node_exe, data_root);
	}
	s->base.gen = &s->gen.base;
	s->base.db = &s->db.base;
	s->base.check_model = "lww";
	s->base.op_timeout_ns = o->op_timeout_ns;
	*out = &s->base;
	return 0;
}
