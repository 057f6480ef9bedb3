/* SPDX-License-Identifier: MIT */
/* lww_system.c - lww-node behind the System seam: a few registers, a session per thread. */
#include "system.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "cluster.h"
#include "codec.h"
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

/* A thread's clients share its session: every write carries what any of them saw. */
static void lww_client_setup(const struct system *sys, struct client *client, void *session)
{
	lww_client_init(container_of(client, struct lww_client, base), session,
			LWW_CLIENT_PORT_DEFAULT, sys->op_timeout_ns);
}

static uint32_t lww_final_reads(const struct system *sys, struct op *out, uint32_t max)
{
	(void)sys;
	ASSERT(max >= LWW_KEYS);
	for (uint32_t i = 0; i < LWW_KEYS; i++)
		out[i] = (struct op){ .f = "read", .key = gen_key_name(i),
				      .value = { .kind = OP_VALUE_NULL } };
	return LWW_KEYS;
}

/* The register, not the clocks: the JSON up to "clock", which changes on every read. */
static uint64_t lww_digest(const struct client_result *r)
{
	uint64_t h = codec_fnv1a(CODEC_FNV1A_BASIS, &r->type, sizeof(r->type));
	const char *json = r->value.kind == OP_VALUE_JSON ? r->value.json : "";
	const char *end = strstr(json, ",\"clock\"");

	return codec_fnv1a(h, json, end ? (size_t)(end - json) : strlen(json));
}

static void lww_free(struct system *sys)
{
	free(container_of(sys, struct lww_system, base));
}

static const struct system_ops lww_system_ops = {
	.name = "lww",
	.client_size = sizeof(struct lww_client),
	.session_size = sizeof(struct lww_session),
	.client_init = lww_client_setup,
	.final_reads = lww_final_reads,
	.digest = lww_digest,
	.free = lww_free,
};

static int lww_system_new(const struct campaign_opts *o, const char *data_root,
			  struct system **out, struct errbuf *eb)
{
	struct lww_system *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	lww_gen_init(&s->gen, LWW_KEYS);
	err = system_init(&s->base, &lww_system_ops, &s->gen.base, &s->db, "lww", o, data_root,
			  eb);
	if (err < 0) {
		free(s);
		return err;
	}
	*out = &s->base;
	return 0;
}

static const struct system_option lww_options[] = {
	{ NULL, NULL, NULL, NULL },
};

static const struct system_bug lww_bugs[] = {
	{ "wallclock-lww", "timestamps from the wall clock instead of the HLC",
	  "--nemesis clock:1",
	  "causality-violation,lost-update", false },
	{ NULL, NULL, NULL, NULL, false },
};

const struct system_desc lww_system_desc = {
	.name = "lww",
	.summary = "last-writer-wins registers (lww-node) with HLC timestamps, checked for "
		   "causality and lost updates",
	.node_program = "lww-node",
	.nodes_default = 5,
	.nodes_min = 1,
	.nodes_max = REPLICA_DB_NODES_MAX,
	.options = lww_options,
	.bugs = lww_bugs,
	.checkers = "lww",
	.make = lww_system_new,
};
