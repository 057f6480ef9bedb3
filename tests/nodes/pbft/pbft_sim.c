/* SPDX-License-Identifier: MIT */
/* pbft_sim.c - the deterministic PBFT network simulator and its evidence checks. */
#include "pbft_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl_assert.h"
#include "pbft_kv.h"
#include "prng.h"

struct packet {
	uint32_t from, to;              /* principals: replicas 0..n-1, clients n + c */
	uint32_t size;
	uint8_t *bytes;                 /* sealed, owned */
};

struct exec_record {
	uint64_t seq;
	uint32_t index, client;         /* index SIM_MARK: a state transfer to seq */
	uint64_t timestamp;
};

enum { SIM_MARK = UINT32_MAX };

struct sim_client {
	uint64_t ts;                    /* of the outstanding request; 0 before the first */
	bool waiting;
	uint64_t sent_tick;
	uint32_t reply_mask;
	bool ordered;                   /* a read sent as REQUEST (READ-ONLY timed out) */
	struct pbft_result replies[PBFT_REPLICAS_MAX];
	struct pbft_op ops[SIM_REQUESTS_MAX + 1];       /* by timestamp */
	bool accepted_set[SIM_REQUESTS_MAX + 1];
	struct pbft_result accepted[SIM_REQUESTS_MAX + 1];
};

struct sim {
	struct sim_opts o;
	uint32_t n;
	struct prng prng;
	struct pbft_replica *r[PBFT_REPLICAS_MAX];
	bool down[PBFT_REPLICAS_MAX];   /* crashed: no ticks, its messages are dropped */
	struct pbft_config config;      /* every replica's, but for id and byzantine */
	struct pbft_outputs out;
	uint32_t packet_count;
	struct packet packets[SIM_PACKETS_MAX];
	struct sim_client clients[SIM_CLIENTS_MAX];
	uint8_t secret[PBFT_SECRET_BYTES];
	uint64_t ticks;
	bool commit_set[SIM_SEQS_MAX], ckpt_set[SIM_SEQS_MAX];
	uint8_t commit_digest[SIM_SEQS_MAX][PBFT_DIGEST_BYTES];
	uint8_t ckpt_digest[SIM_SEQS_MAX][PBFT_DIGEST_BYTES];
	uint32_t exec_count[PBFT_REPLICAS_MAX];
	struct exec_record *exec[PBFT_REPLICAS_MAX];
	uint8_t executed[PBFT_REPLICAS_MAX][SIM_CLIENTS_MAX][SIM_REQUESTS_MAX + 1];
	struct pbft_msg decoded;
	struct sim_report report;
};

static uint8_t sealed[PBFT_SEALED_BYTES_MAX];

void sim_defaults(struct sim_opts *o, uint32_t f, uint64_t seed)
{
	memset(o, 0, sizeof(*o));
	o->f = f;
	o->seed = seed;
	o->clients = 4;
	o->requests = 20;
	o->keys = 3;
	o->batch_max = 4;
	o->checkpoint_interval = 4;
	o->window = 16;
	o->view_timeout_ticks = 30;
	o->retransmit_ticks = 5;
	o->deliveries_per_tick = 400;
}

bool sim_correct(const struct sim *s, uint32_t i)
{
	return s->o.byzantine[i] == 0;
}

struct pbft_replica *sim_replica(struct sim *s, uint32_t i)
{
	ASSERT(i < s->n);
	return s->r[i];
}

static void violation(struct sim *s, uint32_t *counter, const char *what, uint32_t replica,
		      uint64_t seq)
{
	if (s->report.agreement + s->report.order + s->report.checkpoint +
	    s->report.integrity + s->report.results == 0)
		snprintf(s->report.first, sizeof(s->report.first), "%s at replica %u seq %llu",
			 what, replica, (unsigned long long)seq);
	(*counter)++;
}

static void enqueue(struct sim *s, uint32_t from, uint32_t to, const uint8_t *b, size_t size)
{
	struct packet *p;

	if (s->packet_count == SIM_PACKETS_MAX) {
		s->report.dropped++;
		return;
	}
	p = &s->packets[s->packet_count++];
	p->from = from;
	p->to = to;
	p->size = (uint32_t)size;
	p->bytes = malloc(size);
	ASSERT(p->bytes);
	memcpy(p->bytes, b, size);
}

/* Seal @plain from replica @i to principal @to, run the filter and the dice, enqueue. */
static void route(struct sim *s, uint32_t i, uint8_t kind, uint32_t target,
		  const uint8_t *plain, uint32_t size)
{
	uint32_t to = kind == PBFT_TO_CLIENT ? s->n + target : target;
	ssize_t n;

	if (s->down[i] || (to < s->n && s->down[to])) {
		s->report.dropped++;
		return;
	}
	if (s->o.filter) {
		int err = pbft_decode(plain, size, s->n + PBFT_CLIENTS_MAX, &s->decoded, NULL);

		ASSERT(err == 0);
		if (s->o.filter(i, to, &s->decoded)) {
			s->report.dropped++;
			return;
		}
	}
	if (prng_chance(&s->prng, s->o.drop_p)) {
		s->report.dropped++;
		return;
	}
	n = pbft_replica_seal(s->r[i], kind, target, plain, size, sealed, sizeof(sealed));
	ASSERT(n > 0);
	enqueue(s, i, to, sealed, (size_t)n);
	if (prng_chance(&s->prng, s->o.dup_p))
		enqueue(s, i, to, sealed, (size_t)n);
}

static bool op_equal(const struct pbft_op *a, const struct pbft_op *b)
{
	return a->verb == b->verb && a->key == b->key && pbft_value_equal(&a->a, &b->a) &&
	       pbft_value_equal(&a->b, &b->b);
}

/* A replica took the state at a checkpoint: it must be the checkpoint correct replicas
 * took there; its execution log jumps (a marker record, index SIM_MARK). */
static void on_state_transfer(struct sim *s, uint32_t i, const struct pbft_event *e)
{
	struct exec_record *x = &s->exec[i][s->exec_count[i]++];

	ASSERT(s->exec_count[i] <= SIM_EXEC_MAX);
	s->report.state_transfers++;
	if (!s->ckpt_set[e->seq]) {
		s->ckpt_set[e->seq] = true;
		memcpy(s->ckpt_digest[e->seq], e->digest, PBFT_DIGEST_BYTES);
	} else if (memcmp(s->ckpt_digest[e->seq], e->digest, PBFT_DIGEST_BYTES)) {
		violation(s, &s->report.checkpoint, "state transfer: not the checkpoint's digest",
			  i, e->seq);
	}
	*x = (struct exec_record){ .seq = e->seq, .index = SIM_MARK, .client = UINT32_MAX };
}

static void on_event(struct sim *s, uint32_t i, const struct pbft_event *e)
{
	bool correct = sim_correct(s, i);

	ASSERT(e->seq < SIM_SEQS_MAX);
	if (!correct)
		return;         /* evidence of Byzantine replicas proves nothing */
	if (e->type == PBFT_EV_COMMIT) {
		if (!s->commit_set[e->seq]) {
			s->commit_set[e->seq] = true;
			memcpy(s->commit_digest[e->seq], e->digest, PBFT_DIGEST_BYTES);
		} else if (memcmp(s->commit_digest[e->seq], e->digest, PBFT_DIGEST_BYTES)) {
			violation(s, &s->report.agreement, "agreement: two digests committed",
				  i, e->seq);
		}
	} else if (e->type == PBFT_EV_CHECKPOINT) {
		if (!s->ckpt_set[e->seq]) {
			s->ckpt_set[e->seq] = true;
			memcpy(s->ckpt_digest[e->seq], e->digest, PBFT_DIGEST_BYTES);
		} else if (memcmp(s->ckpt_digest[e->seq], e->digest, PBFT_DIGEST_BYTES)) {
			violation(s, &s->report.checkpoint, "checkpoint digests differ", i, e->seq);
		}
	} else if (e->type == PBFT_EV_STATE_TRANSFER) {
		on_state_transfer(s, i, e);
	} else {
		struct exec_record *x = &s->exec[i][s->exec_count[i]++];

		ASSERT(s->exec_count[i] <= SIM_EXEC_MAX);
		x->seq = e->seq;
		x->index = e->index;
		x->client = e->client;
		x->timestamp = e->timestamp;
		if (e->client == UINT32_MAX)
			return;
		if (e->client >= s->o.clients || e->timestamp == 0 ||
		    e->timestamp > s->clients[e->client].ts ||
		    !op_equal(&s->clients[e->client].ops[e->timestamp], &e->op)) {
			violation(s, &s->report.integrity, "integrity: op never invoked", i,
				  e->seq);
			return;
		}
		if (s->executed[i][e->client][e->timestamp]++)
			violation(s, &s->report.integrity, "integrity: executed twice", i, e->seq);
	}
}

static void step(struct sim *s, uint32_t i, const struct pbft_input *in)
{
	int err = pbft_step(s->r[i], in, &s->out);

	ASSERT(err == 0);
	for (uint32_t k = 0; k < s->out.event_count; k++)
		on_event(s, i, &s->out.events[k]);
	for (uint32_t k = 0; k < s->out.send_count; k++) {
		const struct pbft_send *d = &s->out.sends[k];
		const uint8_t *plain = s->out.bytes + d->offset;

		if (d->target_kind != PBFT_TO_ALL) {
			route(s, i, d->target_kind, d->target, plain, d->size);
			continue;
		}
		for (uint32_t j = 0; j < s->n; j++) {
			if (j != i)
				route(s, i, PBFT_TO_REPLICA, j, plain, d->size);
		}
	}
}

/* --- clients --- */

static void client_send(struct sim *s, uint32_t c)
{
	struct sim_client *cl = &s->clients[c];
	struct pbft_msg *m = &s->decoded;
	uint8_t plain[PBFT_MSG_BYTES_MAX], key[PBFT_KEY_BYTES];
	ssize_t size, n;

	memset(m, 0, sizeof(*m));
	m->type = s->o.read_only && !cl->ordered && cl->ops[cl->ts].verb == PBFT_VERB_READ
		? PBFT_MSG_READ_ONLY : PBFT_MSG_REQUEST;
	m->sender = s->n + c;
	m->request.client = c;
	m->request.timestamp = cl->ts;
	m->request.op = cl->ops[cl->ts];
	size = pbft_encode(m, plain, sizeof(plain));
	ASSERT(size > 0);
	cl->sent_tick = s->ticks;
	for (uint32_t j = 0; j < s->n; j++) {
		pbft_key_derive(s->secret, s->n + c, j, key);
		n = pbft_seal(key, plain, (size_t)size, sealed, sizeof(sealed));
		ASSERT(n > 0);
		enqueue(s, s->n + c, j, sealed, (size_t)n);
	}
}

static void client_next(struct sim *s, uint32_t c)
{
	struct sim_client *cl = &s->clients[c];
	struct pbft_op *op;

	if (cl->ts == s->o.requests) {
		cl->waiting = false;
		return;
	}
	op = &cl->ops[++cl->ts];
	memset(op, 0, sizeof(*op));
	op->verb = (uint8_t)(PBFT_VERB_READ + prng_below(&s->prng, 3));
	op->key = (uint32_t)prng_below(&s->prng, s->o.keys);
	if (op->verb != PBFT_VERB_READ)
		op->a = (struct pbft_value){ true, (int64_t)prng_below(&s->prng, 5) };
	if (op->verb == PBFT_VERB_CAS)
		op->b = (struct pbft_value){ true, (int64_t)prng_below(&s->prng, 5) };
	cl->waiting = true;
	cl->ordered = false;
	cl->reply_mask = 0;
	client_send(s, c);
}

/* The result a client accepts (f+1 matching replies) must be one a correct replica gave;
 * replies that differ from it are counted as wrong (a client trusting one would be fooled). */
static void check_accepted(struct sim *s, const struct sim_client *cl,
			   const struct pbft_result *accepted)
{
	bool from_correct = false;

	for (uint32_t j = 0; j < s->n; j++) {
		if (!(cl->reply_mask & (1u << j)))
			continue;
		if (cl->replies[j].ok != accepted->ok ||
		    !pbft_value_equal(&cl->replies[j].value, &accepted->value))
			s->report.wrong_replies++;
		else if (sim_correct(s, j))
			from_correct = true;
	}
	if (!from_correct)
		violation(s, &s->report.integrity,
			  "a client accepted a result no correct replica gave", 0, 0);
}

/* A reply counts once per replica; f+1 matching ones complete the request. */
static void client_receive(struct sim *s, uint32_t c, const struct packet *p)
{
	struct sim_client *cl = &s->clients[c];
	uint8_t key[PBFT_KEY_BYTES];
	size_t plain;
	uint32_t quorum = s->o.tentative || s->o.read_only ? 2 * s->o.f + 1
								      : s->o.f + 1;

	pbft_key_derive(s->secret, p->from, s->n + c, key);
	if (pbft_open(key, p->bytes, p->size, &plain) ||
	    pbft_decode(p->bytes, plain, s->n + PBFT_CLIENTS_MAX, &s->decoded, NULL))
		return;
	if (!cl->waiting || s->decoded.type != PBFT_MSG_REPLY || p->from >= s->n ||
	    s->decoded.result.timestamp != cl->ts || (cl->reply_mask & (1u << p->from)))
		return;
	cl->reply_mask |= 1u << p->from;
	cl->replies[p->from] = s->decoded.result;
	if (pbft_replies_matching(cl->replies, cl->reply_mask, s->n, &s->decoded.result) < quorum)
		return;
	check_accepted(s, cl, &s->decoded.result);
	cl->accepted[cl->ts] = s->decoded.result;
	/* A read may mix READ-ONLY replies (committed state then) with ordered ones. */
	cl->accepted_set[cl->ts] = !(s->o.read_only && cl->ops[cl->ts].verb == PBFT_VERB_READ);
	s->report.completed++;
	client_next(s, c);
}

/* --- the run --- */

static void deliver_one(struct sim *s)
{
	uint32_t k = (uint32_t)prng_below(&s->prng, s->packet_count);
	struct packet p = s->packets[k];

	s->packets[k] = s->packets[--s->packet_count];
	s->report.delivered++;
	if (p.to < s->n && s->down[p.to]) {
		s->report.dropped++;
	} else if (p.to >= s->n) {
		client_receive(s, p.to - s->n, &p);
	} else {
		struct pbft_input in = { .type = PBFT_IN_MESSAGE, .bytes = p.bytes,
					 .size = p.size };

		step(s, p.to, &in);
	}
	free(p.bytes);
}

static void tick(struct sim *s)
{
	struct pbft_input in = { .type = PBFT_IN_TICK };

	s->ticks++;
	for (uint32_t i = 0; i < s->n; i++) {
		if (!s->down[i])
			step(s, i, &in);
	}
	for (uint32_t c = 0; c < s->o.clients; c++) {
		struct sim_client *cl = &s->clients[c];

		if (cl->waiting && s->ticks - cl->sent_tick >= SIM_CLIENT_TIMEOUT_TICKS) {
			if (s->o.read_only && !cl->ordered &&
			    cl->ops[cl->ts].verb == PBFT_VERB_READ) {
				cl->ordered = true;     /* resent in order, counted afresh */
				cl->reply_mask = 0;
			}
			client_send(s, c);
		}
	}
}

static bool all_done(const struct sim *s)
{
	return s->report.completed == s->o.clients * s->o.requests;
}

/* One tick of simulated time: up to deliveries_per_tick packets, then every replica's tick. */
static void run_tick(struct sim *s)
{
	for (uint32_t d = 0; d < s->o.deliveries_per_tick && s->packet_count > 0; d++)
		deliver_one(s);
	tick(s);
}

bool sim_run(struct sim *s, uint32_t ticks)
{
	for (uint32_t t = 0; t < ticks && (s->o.run_all_ticks || !all_done(s)); t++)
		run_tick(s);
	return all_done(s);
}

void sim_settle(struct sim *s, uint32_t ticks)
{
	for (uint32_t t = 0; t < ticks; t++)
		run_tick(s);
}

void sim_inject(struct sim *s, uint32_t to, const uint8_t *bytes, size_t size)
{
	struct pbft_input in = { .type = PBFT_IN_MESSAGE, .bytes = bytes, .size = size };

	step(s, to, &in);
}

/* Two execution logs agree: walking both, every record matches, except that a state
 * transfer marker to seq S in either makes both skip what they executed at or below S. */
static bool logs_agree(const struct exec_record *a, uint32_t na, const struct exec_record *b,
		       uint32_t nb, uint64_t *where)
{
	uint32_t i = 0, j = 0;
	uint64_t floor = 0;

	for (;;) {
		while (i < na && a[i].index != SIM_MARK && a[i].seq <= floor)
			i++;
		while (j < nb && b[j].index != SIM_MARK && b[j].seq <= floor)
			j++;
		if (i == na || j == nb)
			return true;
		if (a[i].index == SIM_MARK || b[j].index == SIM_MARK) {
			const struct exec_record *m = a[i].index == SIM_MARK ? &a[i++] : &b[j++];

			floor = m->seq > floor ? m->seq : floor;
			continue;
		}
		if (a[i].seq != b[j].seq || a[i].index != b[j].index ||
		    a[i].client != b[j].client || a[i].timestamp != b[j].timestamp) {
			*where = b[j].seq;
			return false;
		}
		i++;
		j++;
	}
}

/* Total order: the execution logs of correct replicas are prefixes of one another. */
const struct sim_report *sim_report(struct sim *s)
{
	uint64_t where = 0;

	for (uint32_t i = 0; i < s->n; i++) {
		for (uint32_t j = i + 1; j < s->n; j++) {
			if (!sim_correct(s, i) || !sim_correct(s, j))
				continue;
			if (logs_agree(s->exec[i], s->exec_count[i], s->exec[j],
				       s->exec_count[j], &where))
				continue;
			violation(s, &s->report.order, "total order: logs differ", j, where);
		}
	}
	return &s->report;
}

/* The correct replica whose log is longest and has no state transfer; UINT32_MAX if none. */
static uint32_t reference_log(const struct sim *s)
{
	uint32_t best = UINT32_MAX;

	for (uint32_t i = 0; i < s->n; i++) {
		bool jumped = false;

		for (uint32_t k = 0; k < s->exec_count[i] && !jumped; k++)
			jumped = s->exec[i][k].index == SIM_MARK;
		if (sim_correct(s, i) && !jumped &&
		    (best == UINT32_MAX || s->exec_count[i] > s->exec_count[best]))
			best = i;
	}
	return best;
}

uint32_t sim_check_results(struct sim *s)
{
	static bool seen[SIM_CLIENTS_MAX][SIM_REQUESTS_MAX + 1];
	struct pbft_kv kv;
	uint32_t ref = reference_log(s), compared = 0;

	if (ref == UINT32_MAX)
		return 0;
	memset(seen, 0, sizeof(seen));
	pbft_kv_init(&kv);
	for (uint32_t k = 0; k < s->exec_count[ref]; k++) {
		const struct exec_record *x = &s->exec[ref][k];
		const struct sim_client *cl;
		struct pbft_result r = { 0 };

		if (x->client == UINT32_MAX)
			continue;       /* the null request */
		cl = &s->clients[x->client];
		seen[x->client][x->timestamp] = true;
		pbft_kv_apply(&kv, &cl->ops[x->timestamp], &r);
		if (!cl->accepted_set[x->timestamp])
			continue;
		compared++;
		if (cl->accepted[x->timestamp].ok != r.ok ||
		    !pbft_value_equal(&cl->accepted[x->timestamp].value, &r.value))
			violation(s, &s->report.results, "results: accepted result is not the "
				  "committed order's", ref, x->seq);
	}
	for (uint32_t c = 0; c < s->o.clients; c++) {
		for (uint64_t ts = 1; ts <= s->clients[c].ts; ts++) {
			if (s->clients[c].accepted_set[ts] && !seen[c][ts])
				violation(s, &s->report.results, "results: an accepted request "
					  "never executed (seq: its timestamp)", ref, ts);
		}
	}
	return compared;
}

struct sim *sim_new(const struct sim_opts *o)
{
	struct sim *s = calloc(1, sizeof(*s));
	struct pbft_config c = { 0 };
	int err;

	ASSERT(s);
	ASSERT(o->clients <= SIM_CLIENTS_MAX && o->requests <= SIM_REQUESTS_MAX);
	s->o = *o;
	s->n = 3 * o->f + 1;
	prng_init(&s->prng, o->seed);
	for (uint32_t b = 0; b < PBFT_SECRET_BYTES; b++)
		s->secret[b] = (uint8_t)(0x42 + b);
	c.replicas = s->n;
	c.batch_max = o->batch_max;
	c.checkpoint_interval = o->checkpoint_interval;
	c.window = o->window;
	c.view_timeout_ticks = o->view_timeout_ticks;
	c.retransmit_ticks = o->retransmit_ticks;
	c.bugs = o->bugs;
	c.tentative = o->tentative;
	memcpy(c.secret, s->secret, PBFT_SECRET_BYTES);
	s->config = c;
	for (uint32_t i = 0; i < s->n; i++) {
		c.id = i;
		c.byzantine = o->byzantine[i];
		err = pbft_replica_new(&c, &s->r[i], NULL);
		ASSERT(err == 0);
		s->exec[i] = calloc(SIM_EXEC_MAX, sizeof(*s->exec[i]));
		ASSERT(s->exec[i]);
	}
	for (uint32_t cl = 0; cl < o->clients; cl++)
		client_next(s, cl);
	return s;
}

void sim_free(struct sim *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->n; i++) {
		pbft_replica_free(s->r[i]);
		free(s->exec[i]);
	}
	for (uint32_t k = 0; k < s->packet_count; k++)
		free(s->packets[k].bytes);
	free(s);
}

bool sim_view_0_commits_only_to_2(uint32_t from, uint32_t to, const struct pbft_msg *m)
{
	(void)from;
	return m->view == 0 && m->type == PBFT_MSG_COMMIT && to != 2;
}

void sim_set_down(struct sim *s, uint32_t i, bool down)
{
	ASSERT(i < s->n);
	s->down[i] = down;
}

void sim_replace(struct sim *s, uint32_t i)
{
	struct pbft_config c = s->config;
	int err;

	ASSERT(i < s->n);
	c.id = i;
	c.byzantine = s->o.byzantine[i];
	pbft_replica_free(s->r[i]);
	err = pbft_replica_new(&c, &s->r[i], NULL);
	ASSERT(err == 0);
	s->down[i] = false;
}

void sim_restart(struct sim *s, uint32_t i)
{
	static uint8_t promises[PBFT_PROMISES_BYTES_MAX];
	ssize_t size = pbft_replica_promises(s->r[i], promises, sizeof(promises));
	int err;

	ASSERT(size > 0);
	sim_replace(s, i);
	err = pbft_replica_restore(s->r[i], promises, (size_t)size, NULL);
	ASSERT(err == 0);
}

ssize_t sim_seal(const struct sim *s, uint32_t from, uint32_t to, const struct pbft_msg *m,
		 uint8_t *buf, size_t size)
{
	uint8_t key[PBFT_KEY_BYTES];
	ssize_t n = pbft_encode(m, buf, size);

	ASSERT(n > 0);
	pbft_key_derive(s->secret, from, to, key);
	return pbft_seal(key, buf, (size_t)n, buf, size);
}

void sim_more_requests(struct sim *s, uint32_t requests)
{
	ASSERT(s->o.requests + requests <= SIM_REQUESTS_MAX);
	s->o.requests += requests;
	for (uint32_t c = 0; c < s->o.clients; c++) {
		if (!s->clients[c].waiting)
			client_next(s, c);
	}
}
