/* SPDX-License-Identifier: MIT */
/* crdt_system.c - crdt-node behind the System seam: one object, one model per campaign. */
#include "system.h"

#include <errno.h>
#include <stdio.h>
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

static const struct crdt_system *crdt_of(const struct system *sys)
{
	return container_of(sys, const struct crdt_system, base);
}

static void crdt_client_setup(const struct system *sys, struct client *client, void *session)
{
	const struct crdt_system *s = crdt_of(sys);

	(void)session;
	crdt_client_init(container_of(client, struct crdt_client, base), s->model, s->object,
			 CRDT_CLIENT_PORT_DEFAULT, sys->op_timeout_ns);
}

static uint32_t crdt_final_reads(const struct system *sys, struct op *out, uint32_t max)
{
	(void)sys;
	ASSERT(max >= 1);
	out[0] = (struct op){ .f = "read", .value = { .kind = OP_VALUE_NULL } };
	return 1;
}

static uint64_t crdt_digest(const struct client_result *r)
{
	uint64_t h = system_digest_fnv(SYSTEM_FNV_BASIS, &r->type, sizeof(r->type));

	if (r->value.kind == OP_VALUE_INT)
		return system_digest_fnv(h, &r->value.integer, sizeof(r->value.integer));
	if (r->value.kind == OP_VALUE_INTS && r->value.count)
		return system_digest_fnv(h, r->value.ints, r->value.count * sizeof(int64_t));
	return h;
}

static void crdt_free(struct system *sys)
{
	free(container_of(sys, struct crdt_system, base));
}

static const struct system_ops crdt_system_ops = {
	.name = "crdt",
	.client_size = sizeof(struct crdt_client),
	.client_init = crdt_client_setup,
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
	s->model = o->model;
	snprintf(s->object, sizeof(s->object), "x");
	crdt_gen_init(&s->gen, o->model);
	err = system_init(&s->base, &crdt_system_ops, &s->gen.base, &s->db,
			  crdt_model_name(o->model), o, data_root, eb);
	if (err < 0) {
		free(s);
		return err;
	}
	*out = &s->base;
	return 0;
}
