/* SPDX-License-Identifier: MIT */
/* pbft_system.c - pbft-node behind the System seam: cas registers agreed by 3f+1 replicas. */
#include "system.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <jansson.h>

#include "byzantine.h"
#include "campaign.h"
#include "cluster.h"
#include "codec.h"
#include "errbuf.h"
#include "fault.h"
#include "fl_assert.h"
#include "line_conn.h"
#include "pbft.h"
#include "pbft_client.h"
#include "pbft_gen.h"
#include "prng.h"
#include "replica_db.h"
#include "schedule.h"
#include "textbuf.h"

enum {
	PBFT_KEYS = 3,                  /* registers per campaign */
	PBFT_STATUS_PORT = 7000,        /* pbft-node's TCP line port (status, byzantine) */
	PBFT_MODES_MAX = PBFT_REPLICAS_MAX,
	PBFT_MODE_BYTES_MAX = 32,       /* one mode name */
	PBFT_MSGDROP_TYPES = 5,         /* message types msgdrop may drop */
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
	char modes[PBFT_MODES_MAX][PBFT_MODE_BYTES_MAX];
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

/* The system's own options: replicas started Byzantine, and the fast path. */
struct pbft_system_opts {
	const char *byzantine;          /* --byzantine MODE[,MODE], borrowed; NULL: none */
	bool fast;                      /* --fast */
	const char *msgdrop_text;       /* --msgdrop-types LIST, borrowed; NULL: all */
	uint8_t msgdrop_types[PBFT_MSGDROP_TYPES + 1]; /* parsed, 0-ended */
};

/* pbft-node's Byzantine modes (PROTOCOL.md), the correct one first: the byzantine
 * nemesis and the schedule's draws index this list. */
static const char *const pbft_mode_names[] = {
	"none", "silent", "equivocate", "corrupt-digest", "conflicting-votes", "wrong-results",
	"replay", "forge-sender", "fake-certificates", NULL,
};
enum { PBFT_MODE_NAMES = ARRAY_SIZE(pbft_mode_names) - 1 };
STATIC_ASSERT((int)PBFT_MODE_NAMES <= (int)NEM_BYZANTINE_MODES_MAX, "the nemesis holds them");

/* Splits @list into @modes (each "none" or a mode pbft-node knows); at most @max. */
static int parse_modes(const char *list, char modes[][PBFT_MODE_BYTES_MAX], uint32_t max,
		       uint32_t *count, struct errbuf *eb)
{
	const char *p = list;
	uint32_t n = 0;

	for (;;) {
		size_t len = strcspn(p, ",");
		uint32_t flag;

		if (n >= max)
			return errbuf_set(eb, -E2BIG, "--byzantine: at most %u modes", max);
		if (len == 0 || len >= PBFT_MODE_BYTES_MAX)
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

static uint64_t pbft_digest(const struct client_result *r)
{
	uint64_t h = codec_fnv1a(CODEC_FNV1A_BASIS, &r->type, sizeof(r->type));

	h = codec_fnv1a(h, &r->value.kind, sizeof(r->value.kind));
	if (r->value.kind == OP_VALUE_INT)
		return codec_fnv1a(h, &r->value.integer, sizeof(r->value.integer));
	if (r->value.kind == OP_VALUE_INTS && r->value.count)
		return codec_fnv1a(h, r->value.ints, r->value.count * sizeof(int64_t));
	return h;
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

/* The replicas --byzantine started Byzantine, as one start-byzantine op. */
static int pbft_start_faults(const struct system *sys, const struct cluster *cluster,
			     const char **f, char *value, size_t size, struct errbuf *eb)
{
	const struct pbft_system *s = pbft_of(sys);
	const char *sep = "";
	struct textbuf t;

	if (s->mode_count == 0)
		return 0;
	*f = "start-byzantine";
	textbuf_init(&t, value, size);
	textbuf_put(&t, "{\"byzantine\":{");
	for (uint32_t node = 0; node < s->mode_count; node++) {
		if (strcmp(s->modes[node], "none") != 0) {
			textbuf_put(&t, "%s\"%s\":\"%s\"", sep, cluster_node_name(cluster, node),
				    s->modes[node]);
			sep = ",";
		}
	}
	textbuf_put(&t, "}}");
	return t.full ? errbuf_set(eb, -E2BIG, "--byzantine list too long to record") : 1;
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
	.start_faults = pbft_start_faults,
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

static int pbft_system_new(const struct campaign_opts *o, const char *data_root,
			   struct system **out, struct errbuf *eb)
{
	const struct pbft_system_opts *so = o->system_opts;
	const struct system_bug *bug = o->bug ? system_bug_find(o->system, o->bug) : NULL;
	struct pbft_system *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	pbft_gen_init(&s->gen, PBFT_KEYS);
	err = system_init(&s->base, &pbft_system_ops, &s->gen.base, &s->db, "pbft", o,
			  data_root, eb);
	if (err == 0 && so->byzantine)
		err = parse_modes(so->byzantine, s->modes, PBFT_MODES_MAX, &s->mode_count, eb);
	if (err < 0) {
		free(s);
		return err;
	}
	s->db.extra = pbft_extra_args;
	s->db.extra_ctx = s;
	s->client.port = PBFT_CLIENT_PORT_DEFAULT;
	s->client.first_reply = bug && strcmp(bug->name, "client-first-reply") == 0;
	s->client.fast = so->fast;
	secret_from_seed(o->seed, s->client.secret);
	sodium_bin2hex(s->secret_hex, sizeof(s->secret_hex), s->client.secret,
		       PBFT_SECRET_BYTES);
	atomic_init(&s->next_client, 0);
	*out = &s->base;
	return 0;
}

/* ---- Options -------------------------------------------------------------------------- */

static int parse_byzantine(void *opts, const char *arg, struct errbuf *eb)
{
	char modes[PBFT_MODES_MAX][PBFT_MODE_BYTES_MAX];
	uint32_t count;
	int err = parse_modes(arg, modes, PBFT_MODES_MAX, &count, eb);

	if (err == 0)
		((struct pbft_system_opts *)opts)->byzantine = arg;
	return err;
}

static int parse_fast(void *opts, const char *arg, struct errbuf *eb)
{
	(void)arg;
	(void)eb;
	((struct pbft_system_opts *)opts)->fast = true;
	return 0;
}

static void pbft_opts_defaults(void *opts)
{
	*(struct pbft_system_opts *)opts = (struct pbft_system_opts){ 0 };
}

static int pbft_nodes_check(uint32_t n, struct errbuf *eb)
{
	if (n < 4 || n > PBFT_REPLICAS_MAX || (n - 1) % 3 != 0)
		return errbuf_set(eb, -EINVAL, "--nodes: pbft needs 3f+1 replicas: 4, 7 or 10");
	return 0;
}

/* Modes for at most n replicas (more than f only warned about), one source of Byzantine
 * replicas at a time, and a client id for every client thread, the readiness probe and
 * the final reads. */
static int pbft_opts_check(void *opts, struct campaign_opts *o, struct errbuf *eb)
{
	const struct pbft_system_opts *so = opts;
	char modes[PBFT_MODES_MAX][PBFT_MODE_BYTES_MAX];
	uint32_t n = o->node_count, count = 0, byzantine = 0;

	if (so->byzantine && campaign_opts_has_fault(o, NEM_F_BYZANTINE))
		return errbuf_set(eb, -EINVAL, "--byzantine and --nemesis byzantine together could "
				  "make more than f replicas Byzantine; pick one");
	if (so->byzantine) {
		int err = parse_modes(so->byzantine, modes, n, &count, eb);

		if (err < 0)
			return err;
		for (uint32_t i = 0; i < count; i++)
			byzantine += strcmp(modes[i], "none") != 0;
		if (byzantine > (n - 1) / 3)
			fprintf(stderr, "faultline run: warning: %u Byzantine replicas, more than "
				"f = %u: safety is not promised\n", byzantine, (n - 1) / 3);
	}
	if (o->concurrency + 2 > PBFT_CLIENTS_MAX)
		return errbuf_set(eb, -EINVAL, "--concurrency: pbft has client ids for at most "
				  "%d client threads", PBFT_CLIENTS_MAX - 2);
	return 0;
}

static void pbft_config_json(const void *opts, json_t *root)
{
	const struct pbft_system_opts *so = opts;

	if (so->byzantine)
		json_object_set_new(root, "byzantine", json_string(so->byzantine));
	json_object_set_new(root, "fast", json_boolean(so->fast));
	if (so->msgdrop_text)
		json_object_set_new(root, "msgdrop_types", json_string(so->msgdrop_text));
}

static void pbft_reproduce(const void *opts, FILE *out)
{
	const struct pbft_system_opts *so = opts;

	if (so->byzantine)
		fprintf(out, " --byzantine %s", so->byzantine);
	if (so->fast)
		fprintf(out, " --fast");
	if (so->msgdrop_text)
		fprintf(out, " --msgdrop-types %s", so->msgdrop_text);
}

/* ---- The byzantine fault ----------------------------------------------------------------- */

/*
 * Up to f = (n-1)/3 replicas (at least one) turn Byzantine, each in a mode drawn from
 * pbft_mode_names past "none"; the stop makes them correct again.
 */
static void draw_byzantine(struct prng *prng, const struct schedule_opts *o,
			   struct schedule_event *ev)
{
	uint32_t f = o->node_count > 3 ? (o->node_count - 1) / 3 : 1;
	uint32_t want = 1 + (uint32_t)prng_below(prng, f);
	const char *sep = "";
	struct textbuf t;

	ev->params.nodes = 0;
	while (want > 0) {
		uint32_t node = (uint32_t)prng_below(prng, o->node_count);

		if (ev->params.nodes & (1ull << node))
			continue;
		ev->params.nodes |= 1ull << node;
		ev->params.modes[node] = (uint8_t)(1 + prng_below(prng, PBFT_MODE_NAMES - 1));
		want--;
	}
	textbuf_init(&t, ev->value, sizeof(ev->value));
	textbuf_put(&t, "{\"byzantine\":{");
	for (uint32_t i = 0; i < o->node_count; i++) {
		if (ev->params.nodes & (1ull << i)) {
			textbuf_put(&t, "%s\"n%u\":\"%s\"", sep, i + 1,
				    pbft_mode_names[ev->params.modes[i]]);
			sep = ",";
		}
	}
	textbuf_put(&t, "}}");
}

static int byzantine_new(struct fault_env *env, struct nemesis **out, struct errbuf *eb)
{
	(void)env;
	return nem_byzantine_new(out, &(struct nem_byzantine_config){
					 .port = PBFT_STATUS_PORT, .modes = pbft_mode_names },
				 eb);
}

static const struct fault_kind pbft_byzantine_fault = {
	NEM_F_BYZANTINE, "byzantine", "start-byzantine", "stop-byzantine",
	"1..f replicas, each in a random mode", "turn replicas Byzantine at run time, then "
	"correct again", draw_byzantine, true, 10, byzantine_new, false,
};

static const struct fault_kind *const pbft_faults[] = { &pbft_byzantine_fault, NULL };

/* msgdrop: pre-prepare, prepare, commit, checkpoint, view-change (pbft_wire.h). */
static const uint8_t pbft_msg_types[] = { PBFT_MSG_PRE_PREPARE, PBFT_MSG_PREPARE,
					  PBFT_MSG_COMMIT, PBFT_MSG_CHECKPOINT,
					  PBFT_MSG_VIEW_CHANGE, 0 };
static const char *const pbft_msg_names[] = { "pre-prepare", "prepare", "commit",
					      "checkpoint", "view-change" };
STATIC_ASSERT(ARRAY_SIZE(pbft_msg_types) == PBFT_MSGDROP_TYPES + 1 &&
	      ARRAY_SIZE(pbft_msg_names) == PBFT_MSGDROP_TYPES, "one name per type");

/* --msgdrop-types: names from pbft_msg_names, comma-separated, each once. */
static int parse_msgdrop_types(void *opts, const char *arg, struct errbuf *eb)
{
	struct pbft_system_opts *so = opts;
	uint32_t n = 0;

	for (const char *p = arg; *p;) {
		size_t len = strcspn(p, ",");
		uint32_t k = 0;

		while (k < PBFT_MSGDROP_TYPES && (strlen(pbft_msg_names[k]) != len ||
						  strncmp(pbft_msg_names[k], p, len) != 0))
			k++;
		if (k == PBFT_MSGDROP_TYPES || memchr(so->msgdrop_types, pbft_msg_types[k], n))
			return errbuf_set(eb, -EINVAL, "--msgdrop-types: '%.*s' is not one of "
					  "pre-prepare, prepare, commit, checkpoint, view-change "
					  "(or is given twice)", (int)len, p);
		so->msgdrop_types[n++] = pbft_msg_types[k];
		p += len + (p[len] == ',');
	}
	if (n == 0)
		return errbuf_set(eb, -EINVAL, "--msgdrop-types: empty list");
	so->msgdrop_types[n] = 0;
	so->msgdrop_text = arg;
	return 0;
}

static const uint8_t *pbft_msgdrop_types(const void *opts)
{
	const struct pbft_system_opts *so = opts;

	return so->msgdrop_text ? so->msgdrop_types : NULL;
}

/* ---- The descriptor ------------------------------------------------------------------- */

static const struct system_option pbft_options[] = {
	{ "byzantine", "MODE[,MODE]", "replica i starts with the i-th mode: silent, equivocate, "
	  "corrupt-digest, conflicting-votes, wrong-results, replay, forge-sender, "
	  "fake-certificates, or none", parse_byzantine },
	{ "fast", NULL, "the fast path: replicas execute tentatively (--tentative), clients "
	  "send reads as READ-ONLY and wait for 2f+1 matching replies", parse_fast },
	{ "msgdrop-types", "TYPE[,TYPE]", "the messages the msgdrop fault may drop: "
	  "pre-prepare, prepare, commit, checkpoint, view-change (default: all)",
	  parse_msgdrop_types },
	{ NULL, NULL, NULL, NULL },
};

static const struct system_bug pbft_bugs[] = {
	{ "quorum-2f", "commits with 2f matching commits instead of 2f+1",
	  "--nemesis partition:2",
	  "commit-quorum", false },
	{ "no-digest-check", "accepts a pre-prepare whose digest does not match its batch",
	  "--byzantine corrupt-digest --nemesis none",
	  "checkpoint-divergence", false },
	{ "count-messages-not-senders", "counts votes, not distinct voters, toward a quorum",
	  "--nodes 7 --byzantine equivocate,conflicting-votes --nemesis none",
	  "agreement", false },
	{ "view-change-drops-prepared", "a new view forgets requests prepared in the old one",
	  "--rate 400 --concurrency 20 --msgdrop-types commit "
	  "--nemesis msgdrop:1,kill:2,partition:1.5,loss:1", "agreement",
	  false },
	{ "client-first-reply", "the client accepts the first reply, not f+1 matching ones",
	  "--byzantine wrong-results --nemesis none",
	  "not-linearizable", true },
	{ NULL, NULL, NULL, NULL, false },
};

const struct system_desc pbft_system_desc = {
	.name = "pbft",
	.summary = "PBFT replicas (pbft-node), 3f+1 of them, checked for agreement, integrity, "
		   "total order and linearizability (cas-register)",
	.node_program = "pbft-node",
	.nodes_default = 4,
	.nodes_min = 4,
	.nodes_max = PBFT_REPLICAS_MAX,
	.nodes_rule = "3f+1: 4, 7 or 10",
	.nodes_check = pbft_nodes_check,
	.options = pbft_options,
	.bugs = pbft_bugs,
	.checkers = "pbft",
	.faults = pbft_faults,
	.msg_types = pbft_msg_types,
	.msgdrop_types = pbft_msgdrop_types,
	.opts_size = sizeof(struct pbft_system_opts),
	.opts_defaults = pbft_opts_defaults,
	.opts_check = pbft_opts_check,
	.make = pbft_system_new,
	.config_json = pbft_config_json,
	.reproduce = pbft_reproduce,
};
