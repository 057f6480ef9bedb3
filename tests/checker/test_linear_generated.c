/* SPDX-License-Identifier: MIT */
/*
 * test_linear_generated.c - generated histories with known verdicts for every model of the
 * linearizability checker. A simulated object takes each op at one instant between its
 * invocation and its completion (clients overlap, some crash before or after the op took
 * effect), so the history is linearizable by construction: it must pass. Then one op is
 * appended after everything else that no state reachable from that history allows: it must
 * fail.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "checker.h"
#include "errbuf.h"
#include "hist_build.h"
#include "linear.h"

TestSuite(linear_generated, .timeout = 120);

enum {
	GEN_PROCESSES = 5, GEN_OPS = 160, GEN_SEEDS = 12, GEN_ELEMENTS = 16,
	/* Crashed ops per history: each may take effect at any later time, so the search
	 * grows with them (a few, as in a real run; bench-linear times the heavy cases). */
	GEN_CRASHES_MAX = 4,
	/* Queues: a refutation must try every order of the prefix, and a queue's contents
	 * make far more states than a register's, so their histories are shorter. */
	GEN_QUEUE_OPS = 48,
};

/* Processes below HB_PROCESSES_MAX - 1 (the nemesis's slot): clients, then two for the tail. */
enum { GEN_PROCESS_LAST = HB_PROCESSES_MAX - 3 };

/* xorshift64*: the test's own reproducible randomness. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static uint32_t rng_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rng_next(s) % n);
}

/* The simulated object: every model's state, only the model's part used. */
struct object {
	enum linear_model model;
	int64_t reg;                    /* register, cas-register */
	bool held;                      /* mutex */
	uint32_t count[GEN_ELEMENTS];   /* set (0/1), unordered-queue (multiset) */
	int64_t fifo[GEN_OPS];          /* fifo-queue, fifo[head .. tail) */
	uint32_t head, tail;
};

/* One client's op in flight: what it asked, and what it got when it took effect. */
struct pending {
	bool open, applied, failed;
	const char *f;
	struct hb_val arg;
	int64_t ints[GEN_ELEMENTS];
	struct hb_val result;
};

/* Picks an op for the current state and fills @p's f and arg. */
static void op_pick(const struct object *o, struct pending *p, uint64_t *rng)
{
	int64_t v = rng_below(rng, GEN_ELEMENTS);

	p->arg = HB_NULL;
	switch (o->model) {
	case LINEAR_MODEL_REGISTER:
	case LINEAR_MODEL_CAS_REGISTER:
		p->f = rng_below(rng, 2) ? "read" : "write";
		if (o->model == LINEAR_MODEL_CAS_REGISTER && rng_below(rng, 3) == 0) {
			p->f = "cas";
			p->ints[0] = rng_below(rng, 4);
			p->ints[1] = v;
			p->arg = (struct hb_val){ .kind = OP_VALUE_INTS, .ints = p->ints,
						  .count = 2 };
		} else if (strcmp(p->f, "write") == 0) {
			p->arg = HB_INT(rng_below(rng, 4));
		}
		break;
	case LINEAR_MODEL_MUTEX:
		p->f = rng_below(rng, 2) ? "acquire" : "release";
		break;
	case LINEAR_MODEL_SET:
		p->f = rng_below(rng, 3) ? "add" : "read";
		if (p->f[0] == 'a')
			p->arg = HB_INT(v);
		break;
	default:
		p->f = rng_below(rng, 2) ? "enqueue" : "dequeue";
		if (p->f[0] == 'e')
			p->arg = HB_INT(v);
		break;
	}
}

/* The op takes effect now: the object changes, the result is what the client will see;
 * an op the object refuses fails (and changes nothing). */
static void op_apply(struct object *o, struct pending *p)
{
	uint32_t n = 0;

	p->applied = true;
	p->failed = false;
	p->result = p->arg;
	if (strcmp(p->f, "read") == 0 && o->model != LINEAR_MODEL_SET) {
		p->result = HB_INT(o->reg);
	} else if (strcmp(p->f, "write") == 0) {
		o->reg = p->arg.integer;
	} else if (strcmp(p->f, "cas") == 0) {
		p->failed = o->reg != p->ints[0];
		if (!p->failed)
			o->reg = p->ints[1];
	} else if (strcmp(p->f, "acquire") == 0 || strcmp(p->f, "release") == 0) {
		p->failed = o->held == (p->f[0] == 'a');
		if (!p->failed)
			o->held = !o->held;
	} else if (strcmp(p->f, "add") == 0) {
		o->count[p->arg.integer] = 1;
	} else if (strcmp(p->f, "read") == 0) {
		for (uint32_t e = 0; e < GEN_ELEMENTS; e++) {
			if (o->count[e])
				p->ints[n++] = e;
		}
		p->result = (struct hb_val){ .kind = OP_VALUE_INTS, .ints = p->ints, .count = n };
	} else if (strcmp(p->f, "enqueue") == 0) {
		o->count[p->arg.integer]++;
		o->fifo[o->tail++] = p->arg.integer;
	} else {                                                /* dequeue */
		int64_t v = -1;

		if (o->model == LINEAR_MODEL_FIFO_QUEUE && o->head < o->tail)
			v = o->fifo[o->head++];
		for (uint32_t e = 0; v < 0 && e < GEN_ELEMENTS; e++) {
			if (o->count[e])
				v = e;          /* unordered: the smallest there */
		}
		p->failed = v < 0;      /* empty */
		if (!p->failed)
			o->count[v]--;
		p->result = p->failed ? HB_NULL : HB_INT(v);
	}
	if (p->failed)
		p->result = HB_NULL;
}

/* Builds a linearizable history of @model from @seed into @b; crashes some clients. */
static void generate(struct hist_build *b, enum linear_model model, uint64_t seed)
{
	struct object o = { .model = model };
	struct pending p[GEN_PROCESSES] = { 0 };
	int32_t process[GEN_PROCESSES];
	uint64_t rng = seed * 0x9e3779b97f4a7c15ull + 1;
	uint32_t invoked = 0, crashes = 0;
	uint32_t ops = model == LINEAR_MODEL_UNORDERED_QUEUE || model == LINEAR_MODEL_FIFO_QUEUE ?
		       GEN_QUEUE_OPS : GEN_OPS;

	for (int32_t k = 0; k < GEN_PROCESSES; k++)
		process[k] = k;
	/* Bounded: every pass invokes, applies or completes, and ops are capped. */
	for (;;) {
		uint32_t k = rng_below(&rng, GEN_PROCESSES);
		struct pending *q = &p[k];
		bool open_left = false;

		for (uint32_t j = 0; j < GEN_PROCESSES; j++)
			open_left |= p[j].open;
		if (invoked >= ops && !open_left)
			break;
		if (!q->open) {
			if (invoked >= ops)
				continue;
			op_pick(&o, q, &rng);
			q->open = true;
			q->applied = false;
			hb_invoke(b, process[k], q->f, NULL, q->arg, false);
			invoked++;
		} else if (!q->applied && rng_below(&rng, 2)) {
			op_apply(&o, q);
		} else if (rng_below(&rng, 12) == 0 && crashes < GEN_CRASHES_MAX) {
			crashes++;
			/* A crash, applied or not: the client never hears; a new process goes on */
			hb_complete(b, process[k], OP_INFO, HB_NULL);
			q->open = false;
			process[k] += GEN_PROCESSES;
		} else if (q->applied) {
			hb_complete(b, process[k], q->failed ? OP_FAIL : OP_OK, q->result);
			q->open = false;
		}
	}
}

/*
 * Appends, after everything, ops no state reachable from the history allows. @produced:
 * the impossible value is one an op put in (a stale read, a second dequeue of a unique
 * element), so only the search can refute it; else a value nothing put in, which the
 * checker refutes before searching (linear_produce.c).
 */
static void impossible_tail(struct hist_build *b, enum linear_model model, bool produced)
{
	int32_t p = GEN_PROCESS_LAST;

	if (produced) {
		switch (model) {
		case LINEAR_MODEL_REGISTER:
		case LINEAR_MODEL_CAS_REGISTER:
			hb_op(b, p, "write", NULL, HB_INT(50), OP_OK, HB_INT(50), false);
			hb_op(b, p, "write", NULL, HB_INT(51), OP_OK, HB_INT(51), false);
			hb_op(b, p, "read", NULL, HB_NULL, OP_OK, HB_INT(50), false);
			return;
		case LINEAR_MODEL_SET:
			hb_op(b, p, "add", NULL, HB_INT(50), OP_OK, HB_INT(50), false);
			hb_op(b, p, "read", NULL, HB_NULL, OP_OK, HB_SET(50), false);
			return;
		case LINEAR_MODEL_UNORDERED_QUEUE:
		case LINEAR_MODEL_FIFO_QUEUE:
			hb_op(b, p, "enqueue", NULL, HB_INT(50), OP_OK, HB_INT(50), false);
			hb_op(b, p, "dequeue", NULL, HB_NULL, OP_OK, HB_INT(50), false);
			hb_op(b, p, "dequeue", NULL, HB_NULL, OP_OK, HB_INT(50), false);
			return;
		default:
			break;          /* the mutex's tail below needs the search already */
		}
	}
	switch (model) {
	case LINEAR_MODEL_REGISTER:
	case LINEAR_MODEL_CAS_REGISTER:
		hb_op(b, p, "read", NULL, HB_NULL, OP_OK, HB_INT(99), false);  /* never written */
		break;
	case LINEAR_MODEL_MUTEX:
		/* Whatever the state, acquires in a row cannot all succeed: a crashed release
		 * may free the lock between two of them, but only once each. */
		for (uint32_t k = 0; k < GEN_CRASHES_MAX + 2; k++)
			hb_op(b, p, "acquire", NULL, HB_NULL, OP_OK, HB_NULL, false);
		break;
	case LINEAR_MODEL_SET:
		hb_op(b, p, "read", NULL, HB_NULL, OP_OK, HB_SET(0, 99), false);
		break;
	default:
		hb_op(b, p, "dequeue", NULL, HB_NULL, OP_OK, HB_INT(99), false);
		break;
	}
}

static enum verdict check(struct hist_build *b, enum linear_model model)
{
	struct linear_opts opts = { .model = model };
	struct check_opts co = { .memory_bytes_max = 0 };
	struct errbuf eb = { "" };
	struct linear_checker c;
	struct check_result r;
	enum verdict v;

	if (model == LINEAR_MODEL_REGISTER || model == LINEAR_MODEL_CAS_REGISTER)
		snprintf(opts.initial, sizeof(opts.initial), "0");
	linear_checker_init(&c, &opts);
	check_result_init(&r);
	cr_assert_eq(check_history(&c.base, &b->h, &co, &r, &eb), 0, "%s", eb.msg);
	v = r.verdict;
	check_result_fini(&r);
	return v;
}

static void generated_verdicts(enum linear_model model)
{
	for (uint64_t seed = 1; seed <= GEN_SEEDS; seed++) {
		struct hist_build b;

		hb_init(&b);
		generate(&b, model, seed);
		cr_expect_eq(check(&b, model), VERDICT_VALID, "%s seed %lu: linearizable by "
			     "construction", linear_model_name(model), (unsigned long)seed);
		impossible_tail(&b, model, seed % 2 == 0);
		cr_expect_eq(check(&b, model), VERDICT_INVALID, "%s seed %lu: impossible tail",
			     linear_model_name(model), (unsigned long)seed);
		hb_fini(&b);
	}
}

Test(linear_generated, register)
{
	generated_verdicts(LINEAR_MODEL_REGISTER);
}

Test(linear_generated, cas_register)
{
	generated_verdicts(LINEAR_MODEL_CAS_REGISTER);
}

Test(linear_generated, mutex)
{
	generated_verdicts(LINEAR_MODEL_MUTEX);
}

Test(linear_generated, set)
{
	generated_verdicts(LINEAR_MODEL_SET);
}

Test(linear_generated, unordered_queue)
{
	generated_verdicts(LINEAR_MODEL_UNORDERED_QUEUE);
}

Test(linear_generated, fifo_queue)
{
	generated_verdicts(LINEAR_MODEL_FIFO_QUEUE);
}
