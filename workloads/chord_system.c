/* SPDX-License-Identifier: MIT */
/* chord_system.c - chord-node behind the System seam: a ring of N nodes (a stable base of
 * r+1, the rest joining at start), lookups of hashed keys from random nodes. */
#include "system.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "campaign.h"
#include "churn.h"
#include "chord_client.h"
#include "chord_gen.h"
#include "chord_id.h"
#include "chord_msg.h"
#include "chord_net.h"
#include "cluster.h"
#include "codec.h"
#include "errbuf.h"
#include "fault.h"
#include "fl_assert.h"
#include "line_conn.h"
#include "monotime.h"
#include "prng.h"
#include "replica_args.h"
#include "replica_db.h"
#include "schedule.h"

enum {
	CHORD_KEYS = 64,                /* keys looked up: enough to spread over every arc */
	/* The settle time S (config.json "chord_settle_s") for up to CHORD_SETTLE_NODES
	 * nodes (every campaign: CLUSTER_NODES_MAX), and in proportion beyond: after the last
	 * membership change or fault, chord-node's periods (stabilize 50 ms, one finger per
	 * 20 ms, so 32 fingers in 640 ms, a dead node known after 400 ms) make such a ring
	 * exact well within it. A join of N/4 nodes at once into 64 real nodes converged in
	 * 0.8 to 1.1 s (bench-chord-nodes); 64-node campaigns under churn, partition, delay
	 * and clock skew were valid with S = 2 s, 9 of 9 seeds, with lookups judged. */
	CHORD_SETTLE_MS = 2000,
	CHORD_SETTLE_NODES = 64,
	CHORD_JOIN_WAIT_MS = 3000,      /* a churn join not done by then is called off */
	CHORD_SPARES_UNSET = UINT32_MAX,
};

struct chord_system_opts {
	uint32_t bits, succ_list;
	uint32_t spares;                /* the last ones start idle; CHORD_SPARES_UNSET: default */
	bool churn_unsafe;
	uint32_t settle_ms;             /* S, from the node count (chord_opts_check()) */
};

struct chord_system {
	struct system base;
	struct chord_system_opts opts;
	uint32_t node_count;
	struct chord_gen gen;
	struct replica_db db;
};

static void chord_client_setup(const struct system *sys, struct client *client, void *session)
{
	const struct chord_system *s = container_of(sys, const struct chord_system, base);

	(void)session;
	chord_client_init(container_of(client, struct chord_client, base),
			  CHORD_CLIENT_PORT_DEFAULT, sys->op_timeout_ns, s->opts.bits);
}

/*
 * The final read is a state dump of every node, after the settle time S: the quiet probe
 * waits until no node's pointers change, and the checker judges the dumps as one snapshot
 * of a settled ring (Zave's invariants, and an ideal ring). Lookups would not do: a spare
 * or a node that left answers none, so the probe could never call the ring quiet.
 */
static uint32_t chord_final_reads(const struct system *sys, struct op *out, uint32_t max)
{
	(void)sys;
	ASSERT(max >= 1);
	out[0] = chord_gen_state();
	return 1;
}

/* The answer, not the route: the JSON up to "hops". */
static uint64_t chord_digest(const struct client_result *r)
{
	uint64_t h = codec_fnv1a(CODEC_FNV1A_BASIS, &r->type, sizeof(r->type));
	const char *json = r->value.kind == OP_VALUE_JSON ? r->value.json : "";
	const char *end = strstr(json, ",\"hops\"");

	return codec_fnv1a(h, json, end ? (size_t)(end - json) : strlen(json));
}

/*
 * Up when its state line answers. Joins go on as the load begins: the checker judges no
 * lookup in the first settle time S (the ring is forming), and a node that never joins (a
 * seeded bug may see to that) answers "not-joined", which fails its lookups.
 */
static int chord_ready(const struct system *sys, struct in_addr addr, int64_t deadline_ns,
		       struct errbuf *eb)
{
	struct line_conn conn;
	char buf[8];
	int err;

	(void)sys;
	line_conn_init(&conn, CHORD_STATE_PORT, buf, sizeof(buf));
	err = line_conn_open(&conn, addr, deadline_ns, eb);
	line_conn_close(&conn);
	return err;
}

static void chord_free(struct system *sys)
{
	free(container_of(sys, struct chord_system, base));
}

static const struct system_ops chord_system_ops = {
	.name = "chord",
	.client_size = sizeof(struct chord_client),
	.client_init = chord_client_setup,
	.final_reads = chord_final_reads,
	.digest = chord_digest,
	.free = chord_free,
	.ready = chord_ready,
};

/* --base r+1 (Zave's stable base), --bits, --succ-list. */
static uint32_t chord_extra_args(const struct replica_db *db, uint32_t node,
				 char args[][REPLICA_DB_ARG_BYTES_MAX], uint32_t max)
{
	const struct chord_system *s = db->extra_ctx;
	uint32_t base = s->opts.succ_list + 1 < s->node_count ? s->opts.succ_list + 1
							     : s->node_count;

	ASSERT(max >= 7);
	snprintf(args[0], REPLICA_DB_ARG_BYTES_MAX, "--base");
	snprintf(args[1], REPLICA_DB_ARG_BYTES_MAX, "%" PRIu32, base);
	snprintf(args[2], REPLICA_DB_ARG_BYTES_MAX, "--bits");
	snprintf(args[3], REPLICA_DB_ARG_BYTES_MAX, "%" PRIu32, s->opts.bits);
	snprintf(args[4], REPLICA_DB_ARG_BYTES_MAX, "--succ-list");
	snprintf(args[5], REPLICA_DB_ARG_BYTES_MAX, "%" PRIu32, s->opts.succ_list);
	if (node + s->opts.spares < s->node_count)
		return 6;
	snprintf(args[6], REPLICA_DB_ARG_BYTES_MAX, "--spare");
	return 7;
}

/* S for @nodes nodes: CHORD_SETTLE_MS up to CHORD_SETTLE_NODES, in proportion beyond. */
static uint32_t settle_ms(uint32_t nodes)
{
	return CHORD_SETTLE_MS * (nodes > CHORD_SETTLE_NODES ? nodes : CHORD_SETTLE_NODES) /
	       CHORD_SETTLE_NODES;
}

static int chord_system_new(const struct campaign_opts *o, const char *data_root,
			    struct system **out, struct errbuf *eb)
{
	const struct chord_system_opts *so = o->system_opts;
	struct chord_system *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	s->opts = *so;
	s->node_count = o->node_count;
	chord_gen_init(&s->gen, CHORD_KEYS, so->bits);
	err = system_init(&s->base, &chord_system_ops, &s->gen.base, &s->db, "chord", o,
			  data_root, eb);
	if (err < 0) {
		free(s);
		return err;
	}
	s->db.extra = chord_extra_args;
	s->db.extra_ctx = s;
	s->base.settle_ns = settle_ms(o->node_count) * 1000000ll;
	s->base.quiet_snapshots = true;
	*out = &s->base;
	return 0;
}

/* ---- Options -------------------------------------------------------------------------- */

static int parse_bits(void *opts, const char *arg, struct errbuf *eb)
{
	int64_t v;

	if (replica_args_parse_int(arg, CHORD_BITS_MIN, CHORD_BITS_MAX, &v) < 0)
		return errbuf_set(eb, -EINVAL, "--bits: expected %d..%d", CHORD_BITS_MIN,
				  CHORD_BITS_MAX);
	((struct chord_system_opts *)opts)->bits = (uint32_t)v;
	return 0;
}

static int parse_succ_list(void *opts, const char *arg, struct errbuf *eb)
{
	int64_t v;

	if (replica_args_parse_int(arg, 1, CHORD_SUCC_MAX, &v) < 0)
		return errbuf_set(eb, -EINVAL, "--succ-list: expected 1..%d", CHORD_SUCC_MAX);
	((struct chord_system_opts *)opts)->succ_list = (uint32_t)v;
	return 0;
}

static int parse_spares(void *opts, const char *arg, struct errbuf *eb)
{
	int64_t v;

	if (replica_args_parse_int(arg, 0, CLUSTER_NODES_MAX, &v) < 0)
		return errbuf_set(eb, -EINVAL, "--spares: expected 0..%d", CLUSTER_NODES_MAX);
	((struct chord_system_opts *)opts)->spares = (uint32_t)v;
	return 0;
}

static int parse_churn_unsafe(void *opts, const char *arg, struct errbuf *eb)
{
	(void)arg;
	(void)eb;
	((struct chord_system_opts *)opts)->churn_unsafe = true;
	return 0;
}

static void chord_opts_defaults(void *opts)
{
	*(struct chord_system_opts *)opts = (struct chord_system_opts){
		.bits = CHORD_BITS_DEFAULT, .succ_list = 3, .spares = CHORD_SPARES_UNSET };
}

/* Spares: a quarter of the nodes under churn (at least one), none otherwise; the members
 * left must hold the stable base of r+1. */
static int check_spares(struct chord_system_opts *so, const struct campaign_opts *o,
			struct errbuf *eb)
{
	bool churn = campaign_opts_has_fault(o, NEM_F_CHURN);

	if (so->spares == CHORD_SPARES_UNSET)
		so->spares = churn ? (o->node_count / 4 ? o->node_count / 4 : 1) : 0;
	if (so->spares + so->succ_list + 1 > o->node_count)
		return errbuf_set(eb, -EINVAL, "--spares %" PRIu32 ": %" PRIu32 " nodes leave %"
				  PRIu32 " members, fewer than the stable base of r+1 = %" PRIu32,
				  so->spares, o->node_count, o->node_count - so->spares,
				  so->succ_list + 1);
	if (churn && so->spares == 0)
		return errbuf_set(eb, -EINVAL, "--nemesis churn needs --spares of at least 1");
	if (churn && campaign_opts_has_fault(o, NEM_F_KILL))
		return errbuf_set(eb, -EINVAL, "churn and kill: churn crashes members itself, and "
				  "a kill's restart would change membership unrecorded; use one");
	return 0;
}

/* Node ids are the hashes of n1..nN: with few bits two may meet, which chord-node refuses. */
static int chord_opts_check(void *opts, struct campaign_opts *o, struct errbuf *eb)
{
	struct chord_system_opts *so = opts;
	struct chord_space space;
	uint64_t ids[CLUSTER_NODES_MAX];
	int err = check_spares(so, o, eb);

	if (err < 0)
		return err;
	so->settle_ms = settle_ms(o->node_count);
	ASSERT(chord_space_init(&space, so->bits) == 0);
	for (uint32_t i = 0; i < o->node_count && i < CLUSTER_NODES_MAX; i++) {
		char name[16];
		int n = snprintf(name, sizeof(name), "n%" PRIu32, i + 1);

		ids[i] = chord_hash(&space, name, (size_t)n);
		for (uint32_t k = 0; k < i; k++) {
			if (ids[k] == ids[i])
				return errbuf_set(eb, -EINVAL, "--bits %" PRIu32 ": n%" PRIu32
						  " and n%" PRIu32 " get the same id; use more "
						  "bits", so->bits, k + 1, i + 1);
		}
	}
	return 0;
}

static void chord_config_json(const void *opts, json_t *root)
{
	const struct chord_system_opts *so = opts;

	json_object_set_new(root, "chord_bits", json_integer(so->bits));
	json_object_set_new(root, "chord_succ_list", json_integer(so->succ_list));
	json_object_set_new(root, "chord_settle_s", json_real(so->settle_ms / 1000.0));
	json_object_set_new(root, "chord_stabilize_s", json_real(CHORD_NET_TICK_MS_DEFAULT *
								CHORD_NET_STABILIZE_TICKS /
								1000.0));
	json_object_set_new(root, "chord_spares", json_integer(so->spares));
	json_object_set_new(root, "chord_churn_unsafe", json_boolean(so->churn_unsafe));
}

static void chord_reproduce(const void *opts, FILE *out)
{
	const struct chord_system_opts *so = opts;

	fprintf(out, " --bits %" PRIu32 " --succ-list %" PRIu32 " --spares %" PRIu32, so->bits,
		so->succ_list, so->spares);
	if (so->churn_unsafe)
		fprintf(out, " --churn-unsafe");
}

static const struct system_option chord_options[] = {
	{ "bits", "M", "ids are M-bit, 6..32 (default 32)", parse_bits },
	{ "succ-list", "R", "successor list length r, 1..8 (default 3); the stable base is "
	  "r+1 nodes", parse_succ_list },
	{ "spares", "S", "the last S nodes start idle, for churn to join (default: a quarter "
	  "under churn, else 0)", parse_spares },
	{ "churn-unsafe", NULL, "churn may crash a member's every successor (lifts Zave's "
	  "failure assumption)", parse_churn_unsafe },
	{ NULL, NULL, NULL, NULL },
};

static const struct system_bug chord_bugs[] = {
	{ "no-wraparound", "arcs ignore the wrap at 2^m", "", "wrong-owner,no-progress",
	  false },
	{ "closest-preceding-self", "an empty finger answers \"myself\": hops that go nowhere",
	  "", "no-progress", false },
	{ "no-fix-fingers", "fingers are never refreshed: joiners route by successors, and "
	  "the final ring is not ideal", "", "not-ideal,slow-routing", false },
	{ "succ-list-1", "r is forced to 1 in the nodes: a member's crash strands its "
	  "predecessor for good", "--nemesis churn --churn-unsafe", "ring-broken,not-ideal",
	  false },
	{ "no-handoff", "a joiner does not get its keys from its successor: gets there find "
	  "nothing", "--nemesis churn:1", "lost-write,not-ideal", false },
	{ "no-rereplicate", "a primary sends its keys to its successors only when they are "
	  "put: copies lost to a leave or a crash are not made again",
	  "--nemesis churn:1 --succ-list 2", "not-ideal,lost-write", false },
	{ "original-stabilize", "the 2001 maintenance: a successor's predecessor is adopted "
	  "unasked, notify for rectify, no later repair: a joiner that dies at once is lost "
	  "with the member it displaced", "--nemesis churn:0.5 --succ-list 2",
	  "ring-broken,not-ideal", false },
	{ NULL, NULL, NULL, NULL, false },
};

/* ---- The churn fault ---------------------------------------------------------------- */

/* A removal, crash or graceful leave, half each; the nemesis draws the node. */
static void draw_churn(struct prng *prng, const struct schedule_opts *o,
		       struct schedule_event *ev)
{
	(void)o;
	ev->f = prng_chance(prng, 0.5) ? "crash" : "leave";
	snprintf(ev->value, sizeof(ev->value), "null");
}

static int churn_new(struct fault_env *env, struct nemesis **out, struct errbuf *eb)
{
	const struct chord_system_opts *so = env->system_opts;
	struct chord_space space;
	uint64_t ids[CLUSTER_NODES_MAX];

	ASSERT(so && env->node_count <= CLUSTER_NODES_MAX);
	ASSERT(chord_space_init(&space, so->bits) == 0);
	for (uint32_t i = 0; i < env->node_count; i++) {
		char name[16];
		int n = snprintf(name, sizeof(name), "n%" PRIu32, i + 1);

		ids[i] = chord_hash(&space, name, (size_t)n);
	}
	return nem_churn_new(out, &(struct nem_churn_config){
				     .node_count = env->node_count, .spares = so->spares,
				     .succ_list = so->succ_list, .ids = ids,
				     .port = CHORD_STATE_PORT,
				     .settle_ns = so->settle_ms * 1000000ll,
				     .join_wait_ns = CHORD_JOIN_WAIT_MS * 1000000ll,
				     .unsafe = so->churn_unsafe, .restart = env->restart,
				     .restart_ctx = env->restart_ctx }, eb);
}

static const struct fault_kind chord_churn_fault = {
	NEM_F_CHURN, "churn", "crash", "join", "a member crashes or leaves; then a spare, a node "
	"that left or a crashed one joins", "membership churn: Zave's failure assumption holds "
	"unless --churn-unsafe", draw_churn, false, 10, churn_new, false,
};

static const struct fault_kind *const chord_faults[] = { &chord_churn_fault, NULL };

const struct system_desc chord_system_desc = {
	.name = "chord",
	.summary = "a Chord ring (chord-node, Zave's corrected maintenance), lookups checked "
		   "against the true ring",
	.node_program = "chord-node",
	.nodes_default = 8,
	.nodes_min = 4,
	.nodes_max = REPLICA_DB_NODES_MAX,
	.options = chord_options,
	.bugs = chord_bugs,
	.checkers = "chord",
	.faults = chord_faults,
	.opts_size = sizeof(struct chord_system_opts),
	.opts_defaults = chord_opts_defaults,
	.opts_check = chord_opts_check,
	.make = chord_system_new,
	.config_json = chord_config_json,
	.reproduce = chord_reproduce,
};
