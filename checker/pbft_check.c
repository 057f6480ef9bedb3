/* SPDX-License-Identifier: MIT */
/* pbft_check.c - the PBFT safety rules over the correct replicas' evidence and the history. */
#include "pbft_check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"

/* One event of a correct replica, as the checks sort them. */
struct ev_ref {
	const struct pbft_ev *e;
	uint32_t replica;
};

/*
 * Invariants: refs has room for every event of every correct replica (ref_capacity); a
 * check fills refs[0 .. ref_count) with the events it needs, then sorts them its way.
 */
struct scan {
	const struct pbft_evidence *ev;
	const struct history *h;
	struct check_result *res;
	struct ev_ref *refs;
	uint64_t ref_count, ref_capacity;
};

enum { KIND_BIT_COMMIT = 1u << PBFT_EV_COMMIT, KIND_BIT_EXECUTE = 1u << PBFT_EV_EXECUTE,
       KIND_BIT_STATE = 1u << PBFT_EV_CHECKPOINT | 1u << PBFT_EV_STATE_TRANSFER };

static bool replica_correct(const struct pbft_ev_replica *r)
{
	return r->seen && !r->byzantine_ever;
}

/* refs := the events of correct replicas of the kinds in @kinds (requests only: @requests). */
static void refs_collect(struct scan *s, uint32_t kinds, bool requests)
{
	s->ref_count = 0;
	for (uint32_t id = 0; id < PBFT_EV_REPLICAS_MAX; id++) {
		const struct pbft_ev_replica *r = &s->ev->replicas[id];

		if (!replica_correct(r))
			continue;
		for (uint32_t k = 0; k < r->event_count; k++) {
			const struct pbft_ev *e = &r->events[k];

			if (!(kinds & 1u << e->kind) || (requests && e->client < 0))
				continue;
			ASSERT(s->ref_count < s->ref_capacity);
			s->refs[s->ref_count++] = (struct ev_ref){ .e = e, .replica = id };
		}
	}
}

/* The history index of @e's request (ts - 1), when it names one the history has. */
static bool request_op(const struct history *h, const struct pbft_ev *e, uint64_t *index)
{
	if (e->client < 0 || e->ts == 0 || e->ts - 1 >= h->count)
		return false;
	*index = e->ts - 1;
	return true;
}

/* Add @e's request to @ops (at most CHECK_ANOMALY_OPS_MAX, no repeats). */
static void ops_add(const struct history *h, const struct pbft_ev *e, uint64_t *ops,
		    uint32_t *count)
{
	uint64_t index;

	if (!request_op(h, e, &index) || *count >= CHECK_ANOMALY_OPS_MAX)
		return;
	for (uint32_t k = 0; k < *count; k++)
		if (ops[k] == index)
			return;
	ops[(*count)++] = index;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* By seq, digest, replica, then file order. */
static int cmp_seq_digest(const void *pa, const void *pb)
{
	const struct ev_ref *a = pa, *b = pb;
	int c = cmp_u64(a->e->seq, b->e->seq);

	if (!c)
		c = memcmp(a->e->digest, b->e->digest, PBFT_EV_DIGEST_BYTES);
	if (!c)
		c = cmp_u64(a->replica, b->replica);
	return c ? c : cmp_u64(a->e->line, b->e->line);
}

/* "replica 2 commit 1a2b3c4d (view 1, line 7)". */
static void ref_describe(struct check_text *t, const struct ev_ref *r)
{
	char digest[9];

	pbft_ev_digest_prefix(r->e->digest, digest);
	check_text_add(t, "replica %" PRIu32 " %s %s (", r->replica,
		       pbft_ev_kind_name((enum pbft_ev_kind)r->e->kind), digest);
	if (r->e->kind == PBFT_EV_COMMIT || r->e->kind == PBFT_EV_EXECUTE)
		check_text_add(t, "view %" PRIu64 ", ", r->e->view);
	check_text_add(t, "line %" PRIu64 ")", r->e->line);
}

/* refs[@first .. @end) share a seq and hold more than one digest: one anomaly. */
static void seq_report(struct scan *s, uint64_t first, uint64_t end, const char *kind)
{
	const struct ev_ref *a = &s->refs[first], *b = NULL;
	uint64_t ops[CHECK_ANOMALY_OPS_MAX];
	uint32_t op_count = 0, digests = 1;
	struct check_text t;

	for (uint64_t k = first + 1; k < end; k++) {
		if (memcmp(s->refs[k].e->digest, s->refs[k - 1].e->digest, PBFT_EV_DIGEST_BYTES))
			digests++;
		if (!b && digests > 1)
			b = &s->refs[k];
	}
	ASSERT(b);
	for (uint64_t k = first; k < end; k++)
		ops_add(s->h, s->refs[k].e, ops, &op_count);
	check_text_init(&t);
	check_text_add(&t, "seq %" PRIu64 ": ", a->e->seq);
	ref_describe(&t, a);
	check_text_add(&t, " vs ");
	ref_describe(&t, b);
	check_text_add(&t, "; %" PRIu32 " digests among correct replicas", digests);
	check_result_add_anomaly(s->res, kind, ops, op_count, "%s", t.buf);
}

/* Correct replicas' events of @kinds must agree on the digest at each seq (any view). */
static void seq_conflicts(struct scan *s, uint32_t kinds, const char *kind)
{
	uint64_t first = 0;

	refs_collect(s, kinds, false);
	qsort(s->refs, s->ref_count, sizeof(s->refs[0]), cmp_seq_digest);
	for (uint64_t k = 1; k <= s->ref_count; k++) {
		if (k < s->ref_count && s->refs[k].e->seq == s->refs[first].e->seq)
			continue;
		if (memcmp(s->refs[first].e->digest, s->refs[k - 1].e->digest,
			   PBFT_EV_DIGEST_BYTES) != 0)
			seq_report(s, first, k, kind);
		first = k;
	}
}

/* ---- Per incarnation: executes in seq order, each request once ------------------------- */

static void order_report(struct scan *s, const struct pbft_ev_replica *r,
			 const struct pbft_ev *prev, const struct pbft_ev *e)
{
	uint64_t ops[CHECK_ANOMALY_OPS_MAX];
	uint32_t op_count = 0;

	ops_add(s->h, e, ops, &op_count);
	ops_add(s->h, prev, ops, &op_count);
	check_result_add_anomaly(s->res, "total-order", ops, op_count,
				 "replica %" PRIu32 " (incarnation %" PRIu32 ") executed seq %"
				 PRIu64 " (line %" PRIu64 ") after %s seq %" PRIu64 " (line %"
				 PRIu64 ")", r->id, r->incarnations[e->incarnation].number, e->seq,
				 e->line, prev->kind == PBFT_EV_EXECUTE ? "executing" :
				 "a state transfer to", prev->seq, prev->line);
}

/* Each incarnation's execute seqs never go down; a state transfer may move them forward. */
static void order_check(struct scan *s, const struct pbft_ev_replica *r)
{
	const struct pbft_ev *prev = NULL;

	for (uint32_t k = 0; k < r->event_count; k++) {
		const struct pbft_ev *e = &r->events[k];

		if (prev && prev->incarnation != e->incarnation)
			prev = NULL;    /* a restart starts over */
		if (e->kind == PBFT_EV_STATE_TRANSFER) {
			if (!prev || e->seq > prev->seq)
				prev = e;
			continue;
		}
		if (e->kind != PBFT_EV_EXECUTE)
			continue;
		if (prev && e->seq < prev->seq)
			order_report(s, r, prev, e);    /* then resynchronise on e */
		prev = e;
	}
}

/* By replica, incarnation, client, ts, then file order. */
static int cmp_request_in_incarnation(const void *pa, const void *pb)
{
	const struct ev_ref *a = pa, *b = pb;
	int c = cmp_u64(a->replica, b->replica);

	if (!c)
		c = cmp_u64(a->e->incarnation, b->e->incarnation);
	if (!c)
		c = cmp_u64((uint64_t)a->e->client, (uint64_t)b->e->client);
	if (!c)
		c = cmp_u64(a->e->ts, b->e->ts);
	return c ? c : cmp_u64(a->e->line, b->e->line);
}

static bool same_request_in_incarnation(const struct ev_ref *a, const struct ev_ref *b)
{
	return a->replica == b->replica && a->e->incarnation == b->e->incarnation &&
	       a->e->client == b->e->client && a->e->ts == b->e->ts;
}

static void duplicate_report(struct scan *s, uint64_t first, uint64_t end)
{
	const struct ev_ref *a = &s->refs[first];
	const struct pbft_ev_replica *r = &s->ev->replicas[a->replica];
	uint64_t ops[CHECK_ANOMALY_OPS_MAX];
	uint32_t op_count = 0;
	struct check_text t;

	ops_add(s->h, a->e, ops, &op_count);
	check_text_init(&t);
	check_text_add(&t, "replica %" PRIu32 " (incarnation %" PRIu32 ") executed request "
		       "client %" PRId32 " ts %" PRIu64 " %" PRIu64 " times:", a->replica,
		       r->incarnations[a->e->incarnation].number, a->e->client, a->e->ts,
		       end - first);
	for (uint64_t k = first; k < end; k++)
		check_text_add(&t, "%s seq %" PRIu64 " view %" PRIu64 " (line %" PRIu64 ")",
			       k > first ? "," : "", s->refs[k].e->seq, s->refs[k].e->view,
			       s->refs[k].e->line);
	check_result_add_anomaly(s->res, "duplicate-execution", ops, op_count, "%s", t.buf);
}

static void duplicate_check(struct scan *s)
{
	uint64_t first = 0;

	refs_collect(s, KIND_BIT_EXECUTE, true);
	qsort(s->refs, s->ref_count, sizeof(s->refs[0]), cmp_request_in_incarnation);
	for (uint64_t k = 1; k <= s->ref_count; k++) {
		if (k < s->ref_count && same_request_in_incarnation(&s->refs[first], &s->refs[k]))
			continue;
		if (k - first > 1)
			duplicate_report(s, first, k);
		first = k;
	}
}

/* ---- Requests against the history ------------------------------------------------------ */

static const char *const f_names[] = {
	[PBFT_EV_F_NONE] = "null", [PBFT_EV_F_READ] = "read",
	[PBFT_EV_F_WRITE] = "write", [PBFT_EV_F_CAS] = "cas",
};

/* The history value of an invoke, in words: null, 5, [1, 2] or its JSON text. */
static void value_describe(struct check_text *t, const struct op_value *v)
{
	if (v->kind == OP_VALUE_NULL)
		check_text_add(t, "null");
	else if (v->kind == OP_VALUE_INT)
		check_text_add(t, "%" PRId64, v->integer);
	else if (v->kind == OP_VALUE_JSON)
		check_text_add(t, "%.40s", v->json);
	for (uint32_t k = 0; v->kind == OP_VALUE_INTS && k < v->count && k < 4; k++)
		check_text_add(t, "%s%" PRId64 "%s", k ? ", " : "[", v->ints[k],
			       k + 1 == v->count ? "]" : "");
	if (v->kind == OP_VALUE_INTS && (v->count == 0 || v->count > 4))
		check_text_add(t, v->count ? ", ...]" : "[]");
}

static void executed_describe(struct check_text *t, const struct pbft_ev *e)
{
	check_text_add(t, "executed %s k%" PRId64, f_names[e->f], e->key);
	if (e->f == PBFT_EV_F_WRITE && !e->a_null)
		check_text_add(t, " %" PRId64, e->a);
	if (e->f == PBFT_EV_F_CAS && !e->a_null && !e->b_null)
		check_text_add(t, " [%" PRId64 ", %" PRId64 "]", e->a, e->b);
}

static bool value_matches(const struct op_value *v, const struct pbft_ev *e)
{
	switch (e->f) {
	case PBFT_EV_F_READ:
		return v->kind == OP_VALUE_NULL;
	case PBFT_EV_F_WRITE:
		return v->kind == OP_VALUE_INT && !e->a_null && v->integer == e->a;
	case PBFT_EV_F_CAS:
		return v->kind == OP_VALUE_INTS && v->count == 2 && !e->a_null && !e->b_null &&
		       v->ints[0] == e->a && v->ints[1] == e->b;
	default:
		return false;
	}
}

/* Whether @e's request is history op ts - 1's invoke, same f, key and value; else why. */
static bool request_matches(const struct history *h, const struct pbft_ev *e,
			    struct check_text *why)
{
	const struct op *op;
	char key[32];

	ASSERT(e->client >= 0 && e->f != PBFT_EV_F_NONE);
	if (e->ts == 0 || e->ts - 1 >= h->count) {
		check_text_add(why, "no history op %" PRId64 " (the history has %" PRIu64 " ops)",
			       (int64_t)e->ts - 1, h->count);
		return false;
	}
	op = &h->ops[e->ts - 1];
	snprintf(key, sizeof(key), "k%" PRId64, e->key);
	if (op->type == OP_INVOKE && op->process >= 0 && strcmp(op->f, f_names[e->f]) == 0 &&
	    op->key && strcmp(op->key, key) == 0 && value_matches(&op->value, e))
		return true;
	if (op->type != OP_INVOKE || op->process < 0) {
		check_text_add(why, "op %" PRIu64 " is %s %s, not a client invoke",
			       (uint64_t)op->index,
			       op->process < 0 ? "a nemesis" : op->type == OP_FAIL ? "a" : "an",
			       op_type_name(op->type));
		return false;
	}
	check_text_add(why, "op %" PRIu64 " is %s %s ", (uint64_t)op->index, op->f,
		       op->key ? op->key : "(no key)");
	value_describe(why, &op->value);
	check_text_add(why, ", ");
	executed_describe(why, e);
	return false;
}

/* By client, ts, replica, then file order. */
static int cmp_request(const void *pa, const void *pb)
{
	const struct ev_ref *a = pa, *b = pb;
	int c = cmp_u64((uint64_t)a->e->client, (uint64_t)b->e->client);

	if (!c)
		c = cmp_u64(a->e->ts, b->e->ts);
	if (!c)
		c = cmp_u64(a->replica, b->replica);
	return c ? c : cmp_u64(a->e->line, b->e->line);
}

/* refs[@first .. @end) execute one request: one anomaly if any of them does not match. */
static void phantom_judge(struct scan *s, uint64_t first, uint64_t end)
{
	const struct ev_ref *bad = NULL;
	uint64_t ops[CHECK_ANOMALY_OPS_MAX], replicas = 0;
	uint32_t op_count = 0;
	struct check_text why, t;

	check_text_init(&why);
	for (uint64_t k = first; k < end; k++) {
		struct check_text scratch;

		check_text_init(&scratch);
		if (request_matches(s->h, s->refs[k].e, bad ? &scratch : &why))
			continue;
		if (!bad)
			bad = &s->refs[k];
		replicas |= 1ull << s->refs[k].replica;
	}
	if (!bad)
		return;
	ops_add(s->h, bad->e, ops, &op_count);
	check_text_init(&t);
	check_text_add(&t, "request client %" PRId32 " ts %" PRIu64 " executed by replica",
		       bad->e->client, bad->e->ts);
	for (uint32_t id = 0, n = 0; id < PBFT_EV_REPLICAS_MAX; id++)
		if (replicas & 1ull << id)
			check_text_add(&t, "%s%" PRIu32, n++ ? "," : " ", id);
	check_text_add(&t, " (seq %" PRIu64 "): %s", bad->e->seq, why.buf);
	check_result_add_anomaly(s->res, "phantom-request", ops, op_count, "%s", t.buf);
}

static void phantom_check(struct scan *s)
{
	uint64_t first = 0;

	refs_collect(s, KIND_BIT_EXECUTE, true);
	qsort(s->refs, s->ref_count, sizeof(s->refs[0]), cmp_request);
	for (uint64_t k = 1; k <= s->ref_count; k++) {
		if (k < s->ref_count && s->refs[k].e->client == s->refs[first].e->client &&
		    s->refs[k].e->ts == s->refs[first].e->ts)
			continue;
		phantom_judge(s, first, k);
		first = k;
	}
}

/* ---- The check ------------------------------------------------------------------------- */

static void figures_fill(const struct pbft_evidence *ev, struct pbft_figures *fig)
{
	memset(fig, 0, sizeof(*fig));
	fig->loaded = true;
	fig->replicas_declared = ev->replicas_declared;
	fig->f = ev->f;
	fig->replica_count = ev->replica_count;
	for (uint32_t id = 0; id < PBFT_EV_REPLICAS_MAX; id++) {
		const struct pbft_ev_replica *r = &ev->replicas[id];
		struct pbft_fig_replica *fr = &fig->replicas[id];
		uint32_t kept = r->switch_count < PBFT_FIG_SWITCHES_MAX ? r->switch_count :
				PBFT_FIG_SWITCHES_MAX;

		fr->seen = r->seen;
		fr->byzantine = r->byzantine_ever;
		fig->byzantine_count += r->seen && r->byzantine_ever;
		fr->executed_any = r->executed_any;
		fr->executed_max = r->executed_max;
		fr->incarnations = r->incarnation_count;
		fr->switch_count = r->switch_count;
		memcpy(fr->events, r->kind_counts, sizeof(fr->events));
		memcpy(fr->switches, r->switches, kept * sizeof(fr->switches[0]));
	}
	ASSERT(fig->byzantine_count <= fig->replica_count);
}

/* No logs, or none from a correct replica, or nothing logged by one: UNKNOWN, never VALID. */
static bool evidence_usable(const struct pbft_evidence *ev, const char *run_dir,
			    struct check_result *res)
{
	uint64_t batches = 0;
	uint32_t correct = 0;

	for (uint32_t id = 0; id < PBFT_EV_REPLICAS_MAX; id++) {
		const struct pbft_ev_replica *r = &ev->replicas[id];

		if (!replica_correct(r))
			continue;
		correct++;
		batches += r->kind_counts[PBFT_EV_COMMIT] + r->kind_counts[PBFT_EV_EXECUTE];
	}
	if (ev->file_count == 0)
		check_result_set_unknown(res, "no PBFT evidence: no %s/nodes/*.data/evidence.jsonl "
					 "with a line in it", run_dir);
	else if (correct == 0)
		check_result_set_unknown(res, "no PBFT evidence from a correct replica: all "
					 "%" PRIu32 " replicas that logged were Byzantine at "
					 "some time",
					 ev->replica_count);
	else if (batches == 0)
		check_result_set_unknown(res, "no commit or execute in the PBFT evidence of the "
					 "%" PRIu32 " correct replicas", correct);
	return correct > 0;
}

/*
 * commit-quorum: a correct replica commits a batch only on a certificate of 2f+1 matching
 * commits from distinct replicas; its commit lines name them ("voters"). One anomaly per
 * (replica, view, seq) whose certificate is smaller. Lines without "voters" are skipped.
 */
static void quorum_check(struct scan *s, const struct pbft_ev_replica *r)
{
	uint32_t quorum = 2 * s->ev->f + 1;

	for (uint32_t k = 0; s->ev->f > 0 && k < r->event_count; k++) {
		const struct pbft_ev *e = &r->events[k];
		uint32_t held = (uint32_t)__builtin_popcount(e->voters);
		uint64_t ops[CHECK_ANOMALY_OPS_MAX];
		uint32_t n = 0;

		if (e->kind != PBFT_EV_COMMIT || !e->has_voters || e->index != 0 || held >= quorum)
			continue;
		ops_add(s->h, e, ops, &n);
		check_result_add_anomaly(s->res, "commit-quorum", ops, n,
					 "replica %" PRIu32 " committed seq %" PRIu64 " in view %"
					 PRIu64 " on commits from %" PRIu32 " replicas (mask %#x, "
					 "line %" PRIu64 "); a certificate needs 2f+1 = %" PRIu32,
					 r->id, e->seq, e->view, held, e->voters, e->line, quorum);
	}
}

static int evidence_judge(const struct pbft_evidence *ev, const char *run_dir,
			  const struct history *h, struct check_result *res, struct errbuf *eb)
{
	struct scan s = { .ev = ev, .h = h, .res = res };

	if (!evidence_usable(ev, run_dir, res))
		return 0;
	for (uint32_t id = 0; id < PBFT_EV_REPLICAS_MAX; id++)
		if (replica_correct(&ev->replicas[id]))
			s.ref_capacity += ev->replicas[id].event_count;
	s.refs = calloc(s.ref_capacity ? s.ref_capacity : 1, sizeof(*s.refs));
	if (!s.refs)
		return errbuf_set(eb, -ENOMEM, "%s: out of memory for %" PRIu64 " PBFT events",
				  run_dir, s.ref_capacity);
	seq_conflicts(&s, KIND_BIT_COMMIT, "agreement");
	duplicate_check(&s);
	phantom_check(&s);
	seq_conflicts(&s, KIND_BIT_EXECUTE, "total-order");
	for (uint32_t id = 0; id < PBFT_EV_REPLICAS_MAX; id++)
		if (replica_correct(&ev->replicas[id]))
			order_check(&s, &ev->replicas[id]);
	seq_conflicts(&s, KIND_BIT_STATE, "checkpoint-divergence");
	for (uint32_t id = 0; id < PBFT_EV_REPLICAS_MAX; id++)
		if (replica_correct(&ev->replicas[id]))
			quorum_check(&s, &ev->replicas[id]);
	free(s.refs);
	return 0;
}

int pbft_check_evidence_figures(const char *run_dir, const struct history *h,
				struct check_result *res, struct pbft_figures *fig,
				struct errbuf *eb)
{
	struct errbuf local = { .msg = "" };
	struct pbft_evidence *ev;
	int err;

	ASSERT(run_dir && h && res);
	ASSERT(h->count == 0 || h->ops);
	if (!eb)
		eb = &local;
	errbuf_clear(eb);
	if (fig)
		memset(fig, 0, sizeof(*fig));
	err = pbft_evidence_new(&ev, run_dir, eb);
	if (!err) {
		if (fig)
			figures_fill(ev, fig);
		err = evidence_judge(ev, run_dir, h, res, eb);
	}
	if (err)
		check_result_set_unknown(res, "PBFT evidence not checked: %s", eb->msg);
	else if (ev->warning[0])
		errbuf_set(eb, 0, "warning: %s", ev->warning);
	pbft_evidence_free(ev);
	ASSERT(!err || res->verdict != VERDICT_VALID);
	return err;
}

int pbft_check_evidence(const char *run_dir, const struct history *h, struct check_result *res,
			struct errbuf *eb)
{
	return pbft_check_evidence_figures(run_dir, h, res, NULL, eb);
}

static void replica_fprint(FILE *out, uint32_t id, const struct pbft_fig_replica *r)
{
	uint32_t kept = r->switch_count < PBFT_FIG_SWITCHES_MAX ? r->switch_count :
			PBFT_FIG_SWITCHES_MAX;

	fprintf(out, "  replica %" PRIu32 "%s: %" PRIu32 " incarnation%s", id,
		r->byzantine ? " (byzantine)" : "", r->incarnations,
		r->incarnations == 1 ? "" : "s");
	for (int k = 0; k < PBFT_EV_KIND_COUNT; k++)
		fprintf(out, ", %" PRIu64 " %s", r->events[k],
			pbft_ev_kind_name((enum pbft_ev_kind)k));
	if (r->executed_any)
		fprintf(out, "; executed up to seq %" PRIu64, r->executed_max);
	else
		fprintf(out, "; executed nothing");
	for (uint32_t k = 0; k < kept; k++)
		fprintf(out, "%s%s at time_ns %" PRId64 " (incarnation %" PRIu32 ")",
			k ? ", " : "; modes: ", r->switches[k].modes[0] ? r->switches[k].modes :
			"none", r->switches[k].time_ns, r->switches[k].incarnation);
	if (r->switch_count > kept)
		fprintf(out, " and %" PRIu32 " more", r->switch_count - kept);
	fprintf(out, "\n");
}

void pbft_figures_fprint(FILE *out, const struct pbft_figures *fig)
{
	ASSERT(out);
	if (!fig || !fig->loaded)
		return;
	fprintf(out, "pbft evidence: %" PRIu32 " replica logs (replicas %" PRIu32 ", f %" PRIu32
		"), %" PRIu32 " byzantine\n", fig->replica_count, fig->replicas_declared, fig->f,
		fig->byzantine_count);
	for (uint32_t id = 0; id < PBFT_EV_REPLICAS_MAX; id++)
		if (fig->replicas[id].seen)
			replica_fprint(out, id, &fig->replicas[id]);
	if (fig->byzantine_count > fig->f)
		fprintf(out, "  more Byzantine replicas than f: PBFT promises nothing here\n");
}
