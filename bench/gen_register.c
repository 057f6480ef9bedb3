/* SPDX-License-Identifier: MIT */
/* gen_register.c - a cas-register history made by a simulated linearizable register. */
#include "gen_register.h"

#include <errno.h>
#include <stddef.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"
#include "op.h"
#include "prng.h"

enum call_phase { PHASE_IDLE, PHASE_INVOKED, PHASE_APPLIED };
enum call_f { CALL_READ, CALL_WRITE, CALL_CAS, CALL_F_COUNT };

static const char *const call_f_names[CALL_F_COUNT] = { "read", "write", "cas" };

/* One simulated client. Invariant: phase IDLE means no op of this process is in flight. */
struct client {
	int32_t process;
	enum call_phase phase;
	enum call_f f;
	int64_t arg, arg2;      /* write: arg; cas: arg -> arg2 */
	int64_t seen;           /* read: the register at the instant the read took effect */
	bool crash;             /* this op completes info */
	bool matched;           /* cas: old matched at the instant it took effect */
};

/* The simulation: the register's true value, the clients, and where the ops go. Time
 * advances by 1 to 5 us per op, so it is strictly increasing along the history. */
struct sim {
	const struct gen_register_opts *opts;
	struct prng prng;
	struct hist_builder *builder;
	struct client clients[GEN_REGISTER_PROCESSES_MAX];
	int64_t reg;
	int64_t time_ns;
	uint64_t line;
	struct gen_register_stats stats;
};

static struct op_value value_null(void)
{
	return (struct op_value){ .kind = OP_VALUE_NULL };
}

static struct op_value value_int(int64_t v)
{
	return (struct op_value){ .kind = OP_VALUE_INT, .integer = v };
}

/* A cas's [old new]: @pair is borrowed until the op is appended (the builder copies). */
static struct op_value value_pair(const int64_t pair[2])
{
	return (struct op_value){ .kind = OP_VALUE_INTS, .count = 2, .ints = pair };
}

static int emit(struct sim *s, const struct client *c, enum op_type type,
		struct op_value value, struct errbuf *eb)
{
	struct op op = { .type = type, .process = c->process, .f = call_f_names[c->f],
			 .value = value };

	s->time_ns += 1000 + (int64_t)prng_below(&s->prng, 4000);
	op.time_ns = s->time_ns;
	return hist_builder_append(s->builder, &op, ++s->line, eb);
}

/* The invocation of @c's op (f and arguments already chosen). */
static int invoke(struct sim *s, struct client *c, struct errbuf *eb)
{
	int64_t pair[2] = { c->arg, c->arg2 };

	ASSERT(c->phase == PHASE_IDLE);
	c->phase = PHASE_INVOKED;
	if (c->f == CALL_READ)
		return emit(s, c, OP_INVOKE, value_null(), eb);
	if (c->f == CALL_WRITE)
		return emit(s, c, OP_INVOKE, value_int(c->arg), eb);
	return emit(s, c, OP_INVOKE, value_pair(pair), eb);
}

/* The instant @c's op takes effect on the register. */
static void apply(struct sim *s, struct client *c)
{
	ASSERT(c->phase == PHASE_INVOKED);
	c->phase = PHASE_APPLIED;
	if (c->f == CALL_READ) {
		c->seen = s->reg;
	} else if (c->f == CALL_WRITE) {
		s->reg = c->arg;
	} else {
		c->matched = s->reg == c->arg;
		if (c->matched)
			s->reg = c->arg2;
	}
}

/* The completion of @c's op: info if it crashed (whether it took effect or not), fail for
 * a cas that did not match, ok otherwise. A crashed client returns as a new process. */
static int complete(struct sim *s, struct client *c, struct errbuf *eb)
{
	int64_t pair[2] = { c->arg, c->arg2 };
	enum op_type type = OP_OK;
	struct op_value value = value_pair(pair);
	int err;

	ASSERT(c->phase != PHASE_IDLE);
	if (c->crash)
		type = OP_INFO;
	else if (c->f == CALL_CAS && !c->matched)
		type = OP_FAIL;
	if (c->f == CALL_READ)
		value = type == OP_OK ? value_int(c->seen) : value_null();
	else if (c->f == CALL_WRITE)
		value = value_int(c->arg);
	err = emit(s, c, type, value, eb);
	if (err)
		return err;
	s->stats.crashed += type == OP_INFO;
	s->stats.crashed_applied += type == OP_INFO && c->phase == PHASE_APPLIED;
	s->stats.failed += type == OP_FAIL;
	if (type == OP_INFO)
		c->process += (int32_t)s->opts->processes;
	c->phase = PHASE_IDLE;
	return 0;
}

/* One event of client @c: invoke a random op, take effect, or complete. A crashing op
 * completes without taking effect half the time. */
static int step(struct sim *s, struct client *c, struct errbuf *eb)
{
	switch (c->phase) {
	case PHASE_IDLE:
		c->f = (enum call_f)prng_below(&s->prng, CALL_F_COUNT);
		c->arg = (int64_t)prng_below(&s->prng, s->opts->values);
		c->arg2 = (int64_t)prng_below(&s->prng, s->opts->values);
		c->crash = prng_below(&s->prng, 1000) < s->opts->crash_permille;
		return invoke(s, c, eb);
	case PHASE_INVOKED:
		if (c->crash && prng_chance(&s->prng, 0.5))
			return complete(s, c, eb);
		apply(s, c);
		return 0;
	case PHASE_APPLIED:
		return complete(s, c, eb);
	}
	ASSERT(!"unreachable phase");
	return -EINVAL;
}

/* One op of @c run alone to the end, not crashing; a read reports @seen, whatever the
 * register holds. */
static int run_alone(struct sim *s, struct client *c, enum call_f f, int64_t arg,
		     int64_t seen, struct errbuf *eb)
{
	int err;

	ASSERT(c->phase == PHASE_IDLE);
	c->f = f;
	c->arg = arg;
	c->arg2 = arg;
	c->crash = false;
	err = invoke(s, c, eb);
	if (err)
		return err;
	apply(s, c);
	if (f == CALL_READ)
		c->seen = seen;
	return complete(s, c, eb);
}

/* Write 1000, write 1001, then a read that says 1000: impossible after the second write,
 * and no generated op (values below GEN_REGISTER_VALUES_MAX) can write either value. */
static int impossible_tail(struct sim *s, struct errbuf *eb)
{
	struct client *c = &s->clients[0];
	int err = run_alone(s, c, CALL_WRITE, GEN_REGISTER_TAIL_FIRST, 0, eb);

	if (!err)
		err = run_alone(s, c, CALL_WRITE, GEN_REGISTER_TAIL_SECOND, 0, eb);
	if (!err)
		err = run_alone(s, c, CALL_READ, 0, GEN_REGISTER_TAIL_FIRST, eb);
	ASSERT(err || s->reg == GEN_REGISTER_TAIL_SECOND);
	return err;
}

STATIC_ASSERT(GEN_REGISTER_VALUES_MAX <= GEN_REGISTER_TAIL_FIRST,
	      "the tail's values are ones no generated op writes");
STATIC_ASSERT((long long)GEN_REGISTER_OPS_MAX < (long long)HIST_OPS_MAX,
	      "a generated history always loads");

static int check_opts(const struct gen_register_opts *opts, struct errbuf *eb)
{
	if (opts->ops < GEN_REGISTER_OPS_MIN || opts->ops > GEN_REGISTER_OPS_MAX)
		return errbuf_set(eb, -EINVAL, "ops %llu: expected %d .. %d",
				  (unsigned long long)opts->ops, GEN_REGISTER_OPS_MIN,
				  GEN_REGISTER_OPS_MAX);
	if (opts->processes < 1 || opts->processes > GEN_REGISTER_PROCESSES_MAX)
		return errbuf_set(eb, -EINVAL, "processes %u: expected 1 .. %d",
				  opts->processes, GEN_REGISTER_PROCESSES_MAX);
	if (opts->values < 1 || opts->values > GEN_REGISTER_VALUES_MAX)
		return errbuf_set(eb, -EINVAL, "values %u: expected 1 .. %d", opts->values,
				  GEN_REGISTER_VALUES_MAX);
	if (opts->crash_permille > GEN_REGISTER_CRASH_PERMILLE_MAX)
		return errbuf_set(eb, -EINVAL, "crash per mille %u: expected at most %d",
				  opts->crash_permille, GEN_REGISTER_CRASH_PERMILLE_MAX);
	return 0;
}

/* Random events until about @opts->ops ops, then every in-flight op runs to completion. */
static int simulate(struct sim *s, struct errbuf *eb)
{
	const uint64_t processes = s->opts->processes;
	/* Each op is at most 3 events; the bound only guards the loop (S18). */
	const uint64_t events_max = 4 * s->opts->ops + 16;
	uint64_t events = 0;
	int err = 0;

	while (!err && hist_builder_count(s->builder) + 2 * processes < s->opts->ops) {
		ASSERT(events++ < events_max);
		err = step(s, &s->clients[prng_below(&s->prng, processes)], eb);
	}
	for (uint64_t k = 0; !err && k < processes; k++) {
		/* At most 2 steps: invoked -> applied (or completed) -> completed. */
		for (int left = 2; !err && left > 0 && s->clients[k].phase != PHASE_IDLE; left--)
			err = step(s, &s->clients[k], eb);
		ASSERT(err || s->clients[k].phase == PHASE_IDLE);
	}
	if (!err && s->opts->impossible_tail)
		err = impossible_tail(s, eb);
	return err;
}

int gen_register_build(struct history *h, const struct gen_register_opts *opts,
		       struct gen_register_stats *stats, struct errbuf *eb)
{
	struct sim sim;
	int err;

	ASSERT(h);
	ASSERT(opts);
	*h = (struct history){ 0 };
	err = check_opts(opts, eb);
	if (err)
		return err;
	sim = (struct sim){ .opts = opts };
	prng_init(&sim.prng, opts->seed);
	for (uint32_t k = 0; k < opts->processes; k++)
		sim.clients[k].process = (int32_t)k;
	err = hist_builder_new(&sim.builder, "generated cas-register", eb);
	if (err)
		return err;
	err = simulate(&sim, eb);
	if (err) {
		hist_builder_free(sim.builder);
		return err;
	}
	if (stats)
		*stats = sim.stats;
	return hist_builder_finish(sim.builder, h, eb);
}
