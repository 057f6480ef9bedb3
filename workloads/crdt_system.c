/* SPDX-License-Identifier: MIT */
/* crdt_system.c - crdt-node behind the System seam: one object, one model per campaign. */
#include "system.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "campaign.h"
#include "cluster.h"
#include "codec.h"
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
	uint64_t h = codec_fnv1a(CODEC_FNV1A_BASIS, &r->type, sizeof(r->type));

	if (r->value.kind == OP_VALUE_INT)
		return codec_fnv1a(h, &r->value.integer, sizeof(r->value.integer));
	if (r->value.kind == OP_VALUE_INTS && r->value.count)
		return codec_fnv1a(h, r->value.ints, r->value.count * sizeof(int64_t));
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

/* The system's own options: which CRDT. */
struct crdt_system_opts {
	enum crdt_model model;
};

static int crdt_system_new(const struct campaign_opts *o, const char *data_root,
			   struct system **out, struct errbuf *eb)
{
	const struct crdt_system_opts *so = o->system_opts;
	struct crdt_system *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	ASSERT(so->model != CRDT_MODEL_NONE);
	s->model = so->model;
	snprintf(s->object, sizeof(s->object), "x");
	crdt_gen_init(&s->gen, so->model);
	err = system_init(&s->base, &crdt_system_ops, &s->gen.base, &s->db,
			  crdt_model_name(so->model), o, data_root, eb);
	if (err < 0) {
		free(s);
		return err;
	}
	*out = &s->base;
	return 0;
}

static int parse_model(void *opts, const char *arg, struct errbuf *eb)
{
	struct crdt_system_opts *so = opts;

	return crdt_model_parse(arg, &so->model) < 0
	       ? errbuf_set(eb, -EINVAL, "--model: expected gcounter, gset or orset") : 0;
}

static void crdt_opts_defaults(void *opts)
{
	*(struct crdt_system_opts *)opts = (struct crdt_system_opts){ .model = CRDT_MODEL_GSET };
}

static void crdt_reproduce(const void *opts, FILE *out)
{
	const struct crdt_system_opts *so = opts;

	fprintf(out, " --model %s", crdt_model_name(so->model));
}

static const struct system_option crdt_options[] = {
	{ "model", "gcounter|gset|orset", "the CRDT under test (default gset)", parse_model },
	{ NULL, NULL, NULL, NULL },
};

static const struct system_bug crdt_bugs[] = {
	{ "gcounter-sum-merge", "merge adds counts instead of taking the max",
	  "--model gcounter --nemesis partition:1.5 --shapes halves,isolate,random",
	  "phantom-increment,impossible-sum", false },
	{ "orset-remove-wins", "a remove also deletes concurrent adds it never saw",
	  "--model orset --nemesis partition:1.5 --shapes halves,isolate,random",
	  "lost-add", false },
	{ "no-retransmit", "updates lost in a partition are never sent again",
	  "--model gset --nemesis partition:1.5 --shapes halves,isolate,random",
	  "divergence,lost-add", false },
	{ "restart-empty", "a restarted replica forgets its state",
	  "--model gcounter --nemesis kill:0.3,partition:0.6",
	  "lost-add,divergence", false },
	{ NULL, NULL, NULL, NULL, false },
};

const struct system_desc crdt_system_desc = {
	.name = "crdt",
	.summary = "CRDT replicas (crdt-node): G-Counter, G-Set or OR-Set, checked for "
		   "convergence and lost or phantom updates",
	.node_program = "crdt-node",
	.nodes_default = 5,
	.nodes_min = 1,
	.nodes_max = REPLICA_DB_NODES_MAX,
	.options = crdt_options,
	.bugs = crdt_bugs,
	.checkers = "gcounter,gset,orset",  /* the one --model names */
	.opts_size = sizeof(struct crdt_system_opts),
	.opts_defaults = crdt_opts_defaults,
	.make = crdt_system_new,
	.reproduce = crdt_reproduce,
};
