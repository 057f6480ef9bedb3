/* SPDX-License-Identifier: MIT */
/* crdt_system.c - crdt-node behind the System seam: one object, one model per campaign. */
#include "system.h"

#include <errno.h>
#include <stdlib.h>

#include "campaign.h"
#include "crdt_client.h"
#include "crdt_gen.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "replica_db.h"

struct crdt_system {
	struct system base;
	enum crdt_model model;
	struct crdt_gen gen;
	struct replica_db db;
	char object[16];                /* the object every client works on: "x" */
};

struct system_thread {
	uint32_t node_count;
	struct crdt_client conns[];     /* one per node */
};

static struct crdt_system *crdt_of(struct system *sys)
{
	return container_of(sys, struct crdt_system, base);
}

static int crdt_thread_new(struct system *sys, uint32_t node_count, struct system_thread **out,
			   struct errbuf *eb)
{
	struct crdt_system *s = crdt_of(sys);
	struct system_thread *t = calloc(1, sizeof(*t) + node_count * sizeof(t->conns[0]));

	if (!t)
		return errbuf_set(eb, -ENOMEM, "out of memory for client connections");
	t->node_count = node_count;
	for (uint32_t i = 0; i < node_count; i++)
		crdt_client_init(&t->conns[i], s->model, s->object, CRDT_CLIENT_PORT_DEFAULT,
				 sys->op_timeout_ns);
	*out = t;
	return 0;
}

static struct client *crdt_thread_client(struct system_thread *t, uint32_t node)
{
	ASSERT(node < t->node_count);
	return &t->conns[node].base;
}

static void crdt_thread_free(struct system_thread *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->node_count; i++)
		client_close(&t->conns[i].base);
	free(t);
}

static uint32_t crdt_final_reads(const struct system *sys, struct op *out, uint32_t max)
{
	(void)sys;
	ASSERT(max >= 1);
	out[0] = (struct op){ .f = "read", .value = { .kind = OP_VALUE_NULL } };
	return 1;
}

/* FNV-1a over the read's value. */
static uint64_t crdt_digest(const struct client_result *r)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)r->type;

	if (r->value.kind == OP_VALUE_INT)
		return h ^ (uint64_t)r->value.integer * 1099511628211ull;
	for (uint32_t i = 0; r->value.kind == OP_VALUE_INTS && i < r->value.count; i++)
		h = (h ^ (uint64_t)r->value.ints[i]) * 1099511628211ull;
	return h;
}

static void crdt_free(struct system *sys)
{
	free(crdt_of(sys));
}

static const struct system_ops crdt_system_ops = {
	.name = "crdt",
	.thread_new = crdt_thread_new,
	.thread_client = crdt_thread_client,
	.thread_free = crdt_thread_free,
	.final_reads = crdt_final_reads,
	.digest = crdt_digest,
	.free = crdt_free,
};

int crdt_system_new(const struct campaign_opts *o, const char *data_root, struct system **out,
		    struct errbuf *eb)
{
	struct crdt_system *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	ASSERT(o->model != CRDT_MODEL_NONE);
	s->base.ops = &crdt_system_ops;
	s->model = o->model;
	snprintf(s->object, sizeof(s->object), "x");
	crdt_gen_init(&s->gen, o->model);
	err = replica_db_init(&s->db, o->node_exe, data_root, o->bug, o->seed);
	if (err < 0) {
		free(s);
		return errbuf_set(eb, err, "path too long: %s or %s", o->node_exe, data_root);
	}
	s->base.gen = &s->gen.base;
	s->base.db = &s->db.base;
	s->base.check_model = crdt_model_name(o->model);
	s->base.op_timeout_ns = o->op_timeout_ns;
	*out = &s->base;
	return 0;
}
