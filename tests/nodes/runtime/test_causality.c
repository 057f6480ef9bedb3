/* SPDX-License-Identifier: MIT */
/* test_causality.c - N processes exchange messages in random orders; every clock must agree
 * with the true happens-before relation, computed here independently by transitive closure. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hlc.h"
#include "lamport.h"
#include "prng.h"
#include "vclock.h"

enum { PROCS_MAX = 8, EVENTS_MAX = 256, WORDS = EVENTS_MAX / 64, BAG_MAX = 24, RUNS = 300 };
enum kind { EV_LOCAL, EV_SEND, EV_RECV };

struct event {
	uint32_t proc;
	enum kind kind;
	int64_t pt_ns;                  /* the physical time the process read */
	uint64_t lamport;
	struct vclock vc;
	struct hlc_ts hlc;
	uint64_t hb[WORDS];             /* truth: bit g is set when g -> this event */
};

struct msg {
	uint32_t send;                  /* the send event */
	uint32_t target;
	uint64_t lamport;
	uint8_t vc[VCLOCK_ENCODED_BYTES_MAX];
	size_t vc_size;
	uint64_t hlc;                   /* packed */
};

struct proc {
	struct lamport lamport;
	struct vclock vc;
	struct hlc hlc;
	int64_t offset_ns;              /* physical clock = true time + offset, in [0, skew] */
	int last;                       /* its last event, -1 before any */
};

struct config {
	int64_t skew_ns;                /* offsets are drawn from [0, skew_ns] */
	int64_t step_ns_min, step_ns_max;       /* true time advance per event */
	double bump_p;                  /* chance per event that a clock is stepped */
	int max_offset;                 /* configure hlc max_offset_ns and forge far futures */
};

/* Static: about 170 KiB, too much for a test's stack. */
static struct sim {
	struct config cfg;
	uint64_t seed;
	struct prng prng;
	uint32_t procs;
	struct proc proc[PROCS_MAX];
	struct event ev[EVENTS_MAX];
	uint32_t count;
	struct msg bag[BAG_MAX];
	uint32_t bag_count;
	int64_t now_ns;
	int64_t offset_ns_min, offset_ns_max;   /* over the whole run */
	int64_t pt_ns_max;                      /* the largest physical time read so far */
	uint32_t forged;
} sim;

#define SEED_FMT "seed=%" PRIu64 " (reproduce: FL_SEED=%" PRIu64 " test_runtime_causality)"
#define SEED_ARGS sim.seed, sim.seed

static int hb(uint32_t a, uint32_t b)
{
	return (int)((sim.ev[b].hb[a / 64] >> (a % 64)) & 1);
}

static void draw_offset(uint32_t p)
{
	int64_t o = (int64_t)prng_below(&sim.prng, (uint64_t)sim.cfg.skew_ns + 1);

	sim.proc[p].offset_ns = o;
	sim.offset_ns_min = o < sim.offset_ns_min ? o : sim.offset_ns_min;
	sim.offset_ns_max = o > sim.offset_ns_max ? o : sim.offset_ns_max;
}

static void sim_init(const struct config *cfg, uint64_t seed)
{
	memset(&sim, 0, sizeof(sim));
	sim.cfg = *cfg;
	sim.seed = seed;
	prng_init(&sim.prng, seed);
	sim.procs = 2 + (uint32_t)prng_below(&sim.prng, PROCS_MAX - 1);
	sim.now_ns = INT64_C(1700000000000000000) + (int64_t)prng_below(&sim.prng, 1000000000);
	sim.offset_ns_min = INT64_MAX;
	sim.offset_ns_max = 0;
	for (uint32_t p = 0; p < sim.procs; p++) {
		lamport_init(&sim.proc[p].lamport);
		vclock_init(&sim.proc[p].vc, sim.procs);
		hlc_init(&sim.proc[p].hlc, cfg->max_offset ? cfg->skew_ns + 1 : 0);
		sim.proc[p].last = -1;
		draw_offset(p);
	}
}

static int64_t pt_of(uint32_t p)
{
	int64_t pt = sim.now_ns + sim.proc[p].offset_ns;

	sim.pt_ns_max = pt > sim.pt_ns_max ? pt : sim.pt_ns_max;
	return pt;
}

/* A new event at @p; @send is its message's send event, or -1. Closes hb transitively. */
static struct event *event_new(uint32_t p, enum kind kind, int send)
{
	struct event *e = &sim.ev[sim.count];
	int last = sim.proc[p].last;

	cr_assert_lt(sim.count, EVENTS_MAX);
	memset(e, 0, sizeof(*e));
	e->proc = p;
	e->kind = kind;
	e->pt_ns = pt_of(p);
	for (int k = 0; k < 2; k++) {
		int g = k ? send : last;

		if (g < 0)
			continue;
		for (int w = 0; w < WORDS; w++)
			e->hb[w] |= sim.ev[g].hb[w];
		e->hb[g / 64] |= UINT64_C(1) << (g % 64);
	}
	sim.proc[p].last = (int)sim.count;
	return e;
}

/* The checks one event allows on its own: per-process order and the paper's l - pt bound. */
static void check_event(const struct event *e, int last, const struct hlc_ts *prev)
{
	int64_t skew = sim.offset_ns_max - sim.offset_ns_min;

	if (last >= 0)
		cr_assert_gt(hlc_compare(&e->hlc, prev), 0, "hlc went backwards; " SEED_FMT,
			     SEED_ARGS);
	cr_assert_leq(e->hlc.wall_ns - e->pt_ns, skew, "l - pt = %" PRId64 " > skew %" PRId64
		      "; " SEED_FMT, e->hlc.wall_ns - e->pt_ns, skew, SEED_ARGS);
	cr_assert_leq(e->hlc.wall_ns, sim.pt_ns_max, "l beyond every pt read; " SEED_FMT,
		      SEED_ARGS);
	cr_assert_leq(e->hlc.logical, sim.count, "c above the event count; " SEED_FMT,
		      SEED_ARGS);
}

static void local_or_send(uint32_t p, enum kind kind)
{
	struct proc *pr = &sim.proc[p];
	int last = pr->last;
	struct hlc_ts prev = pr->hlc.last;
	struct event *e = event_new(p, kind, -1);
	int64_t l = lamport_tick(&pr->lamport);

	cr_assert_eq(l, (int64_t)(last < 0 ? 1 : sim.ev[last].lamport + 1),
		     "tick is not + 1; " SEED_FMT, SEED_ARGS);
	e->lamport = (uint64_t)l;
	cr_assert_eq(vclock_tick(&pr->vc, p), 0, SEED_FMT, SEED_ARGS);
	e->vc = pr->vc;
	cr_assert_eq(hlc_now(&pr->hlc, e->pt_ns, &e->hlc), 0, SEED_FMT, SEED_ARGS);
	check_event(e, last, &prev);
	if (kind == EV_SEND) {
		struct msg *m = &sim.bag[sim.bag_count++];
		ssize_t size = vclock_encode(&e->vc, m->vc, sizeof(m->vc));

		cr_assert_gt(size, 0, SEED_FMT, SEED_ARGS);
		m->vc_size = (size_t)size;
		m->send = sim.count;
		m->target = (p + 1 + (uint32_t)prng_below(&sim.prng, sim.procs - 1)) % sim.procs;
		m->lamport = e->lamport;
		m->hlc = hlc_pack(&e->hlc);
	}
	sim.count++;
}

static void deliver(uint32_t index)
{
	struct msg m = sim.bag[index];
	struct proc *pr = &sim.proc[m.target];
	int last = pr->last;
	struct hlc_ts prev = pr->hlc.last, remote;
	struct vclock vc;
	struct event *e;
	uint64_t base;

	sim.bag[index] = sim.bag[--sim.bag_count];
	cr_assert_eq(vclock_decode(&vc, m.vc, m.vc_size), (ssize_t)m.vc_size, SEED_FMT,
		     SEED_ARGS);
	cr_assert_eq(hlc_unpack(m.hlc, &remote), 0, SEED_FMT, SEED_ARGS);
	e = event_new(m.target, EV_RECV, (int)m.send);
	base = last < 0 ? 0 : sim.ev[last].lamport;
	base = base > m.lamport ? base : m.lamport;
	cr_assert_eq(lamport_recv(&pr->lamport, m.lamport), (int64_t)base + 1,
		     "receive is not max + 1; " SEED_FMT, SEED_ARGS);
	e->lamport = base + 1;
	cr_assert_eq(vclock_recv(&pr->vc, m.target, &vc), 0, SEED_FMT, SEED_ARGS);
	e->vc = pr->vc;
	cr_assert_eq(hlc_recv(&pr->hlc, e->pt_ns, &remote, &e->hlc), 0,
		     "a legitimate message was refused; " SEED_FMT, SEED_ARGS);
	cr_assert_gt(hlc_compare(&e->hlc, &remote), 0, "hlc not past the message; " SEED_FMT,
		     SEED_ARGS);
	check_event(e, last, &prev);
	sim.count++;
}

/* A message from a clock far in the future: refused, and the clock does not move. */
static void forge(uint32_t p)
{
	struct proc *pr = &sim.proc[p];
	struct hlc_ts before = pr->hlc.last, remote, out;
	int64_t pt = sim.now_ns + pr->offset_ns;
	int64_t ahead = pt + pr->hlc.max_offset_ns +
			HLC_TICK_NS * (1 + (int64_t)prng_below(&sim.prng, 1000000));

	remote.wall_ns = ahead - ahead % HLC_TICK_NS;
	remote.logical = (uint32_t)prng_below(&sim.prng, HLC_LOGICAL_MAX + 1);
	cr_assert_eq(hlc_recv(&pr->hlc, pt, &remote, &out), -ERANGE, "forged future accepted; "
		     SEED_FMT, SEED_ARGS);
	cr_assert_eq(hlc_compare(&pr->hlc.last, &before), 0, "moved; " SEED_FMT, SEED_ARGS);
	sim.forged++;
}

static void sim_step(void)
{
	const struct config *cfg = &sim.cfg;
	uint32_t p = (uint32_t)prng_below(&sim.prng, sim.procs);
	uint64_t action = prng_below(&sim.prng, 3);

	sim.now_ns += cfg->step_ns_min +
		      (int64_t)prng_below(&sim.prng, (uint64_t)(cfg->step_ns_max -
								cfg->step_ns_min) + 1);
	if (prng_chance(&sim.prng, cfg->bump_p))
		draw_offset((uint32_t)prng_below(&sim.prng, sim.procs));
	if (cfg->max_offset && prng_chance(&sim.prng, 0.05))
		forge(p);
	if (sim.bag_count == BAG_MAX || (action == 2 && sim.bag_count > 0))
		deliver((uint32_t)prng_below(&sim.prng, sim.bag_count));
	else
		local_or_send(p, action == 1 ? EV_SEND : EV_LOCAL);
}

static void sim_run(const struct config *cfg, uint64_t seed)
{
	sim_init(cfg, seed);
	while (sim.count < EVENTS_MAX)
		sim_step();
}

struct violations {
	uint32_t lamport, vclock, hlc, logical;
};

/* Every ordered pair of distinct events; both directions, so (a, b) and (b, a). */
static struct violations check_pairs(void)
{
	struct violations v = { 0 };

	for (uint32_t b = 0; b < sim.count; b++) {
		const struct event *eb = &sim.ev[b];
		uint32_t same_l = 0;

		for (uint32_t a = 0; a < sim.count; a++) {
			const struct event *ea = &sim.ev[a];
			enum vclock_order want = hb(a, b) ? VCLOCK_BEFORE :
						 hb(b, a) ? VCLOCK_AFTER : VCLOCK_CONCURRENT;

			if (a == b)
				continue;
			v.vclock += vclock_compare(&ea->vc, &eb->vc) != want;
			if (!hb(a, b))
				continue;
			v.lamport += ea->lamport >= eb->lamport;
			v.hlc += hlc_compare(&ea->hlc, &eb->hlc) >= 0;
			same_l += ea->hlc.wall_ns == eb->hlc.wall_ns;
		}
		/* Kulkarni et al., Theorem 2: c.f = k > 0 needs k events g -> f with l.g = l.f. */
		v.logical += eb->hlc.logical > same_l;
	}
	return v;
}

static void seed_range(uint64_t *first, uint64_t *count)
{
	const char *env = getenv("FL_SEED");

	*count = RUNS;
	if (env && *env) {
		*first = strtoull(env, NULL, 10);
		*count = 1;
	}
}

/* Runs RUNS seeds from @first, or only $FL_SEED; returns the largest c seen. */
static uint32_t run_and_check(const struct config *cfg, uint64_t first)
{
	uint32_t logical_max = 0;
	uint64_t count;

	seed_range(&first, &count);
	for (uint64_t seed = first; seed < first + count; seed++) {
		struct violations v;

		sim_run(cfg, seed);
		for (uint32_t e = 0; e < sim.count; e++) {
			if (sim.ev[e].hlc.logical > logical_max)
				logical_max = sim.ev[e].hlc.logical;
		}
		v = check_pairs();
		cr_assert_eq(v.lamport, 0, "lamport: %u pairs; " SEED_FMT, v.lamport, SEED_ARGS);
		cr_assert_eq(v.vclock, 0, "vclock: %u pairs; " SEED_FMT, v.vclock, SEED_ARGS);
		cr_assert_eq(v.hlc, 0, "hlc: %u pairs; " SEED_FMT, v.hlc, SEED_ARGS);
		cr_assert_eq(v.logical, 0, "hlc c: %u events; " SEED_FMT, v.logical, SEED_ARGS);
	}
	return logical_max;
}

TestSuite(causality);

/* Clocks up to 50 ms apart, many events per tick, clocks stepped both ways. */
Test(causality, every_clock_agrees_with_true_happens_before)
{
	struct config cfg = { .skew_ns = 50000000, .step_ns_min = 0, .step_ns_max = 2000000,
			      .bump_p = 0.05 };

	cr_assert_gt(run_and_check(&cfg, 1), 0);
}

/* A third of all events follow a clock step, half of them backwards. */
Test(causality, hlc_never_goes_backwards_when_clocks_step_back)
{
	struct config cfg = { .skew_ns = 20000000, .step_ns_min = 0, .step_ns_max = 200000,
			      .bump_p = 0.3 };

	run_and_check(&cfg, 1001);
}

/* All clocks equal, zero time between events: only the logical counter orders them. */
Test(causality, hlc_degrades_to_lamport_when_time_stands_still)
{
	struct config cfg = { .skew_ns = 0, .step_ns_min = 0, .step_ns_max = 0 };
	uint32_t logical_max = run_and_check(&cfg, 2001);

	cr_assert_leq(logical_max, EVENTS_MAX);
	cr_assert_gt(logical_max, 0);
}

/*
 * Kulkarni et al., Corollary: with at least one tick between a process's events, c is at
 * most N * (skew in ticks + 1); the + 2 covers the rounding of pt down to a tick.
 */
Test(causality, hlc_logical_stays_small_when_clocks_are_close)
{
	struct config cfg = { .skew_ns = 3 * HLC_TICK_NS, .step_ns_min = HLC_TICK_NS,
			      .step_ns_max = 3 * HLC_TICK_NS };
	uint32_t logical_max = run_and_check(&cfg, 3001);
	uint32_t bound = PROCS_MAX * (uint32_t)(cfg.skew_ns / HLC_TICK_NS + 2);

	cr_assert_leq(logical_max, bound, "c reached %u, over %u", logical_max, bound);
}

/* max_offset_ns = skew + 1: every honest message passes, every forged future is refused. */
Test(causality, hlc_max_offset_refuses_forged_future_but_no_honest_message)
{
	struct config cfg = { .skew_ns = 10000000, .step_ns_min = 0, .step_ns_max = 1000000,
			      .bump_p = 0.05, .max_offset = 1 };

	run_and_check(&cfg, 4001);
	cr_assert_gt(sim.forged, 0);
}

/* The canary: break each clock in one recorded event; the checker must notice. */
Test(causality, canary_checker_catches_broken_clocks)
{
	struct config cfg = { .skew_ns = 1000000, .step_ns_max = 100000 };
	struct violations v;
	uint32_t r = 0;
	int broken = 0;

	sim_run(&cfg, 5001);
	cr_assert_eq(check_pairs().vclock, 0);
	while (sim.ev[r].kind != EV_RECV)
		r++;
	cr_assert_lt(r, sim.count);
	for (uint32_t g = 0; g < r; g++) {
		if (!hb(g, r) || sim.ev[g].proc == sim.ev[r].proc)
			continue;
		/* g is the send (or earlier): forget it, as a receive that skipped the merge. */
		sim.ev[r].vc.c[sim.ev[g].proc] = 0;
		sim.ev[r].lamport = sim.ev[g].lamport;
		sim.ev[r].hlc = sim.ev[g].hlc;
		broken = 1;
		break;
	}
	cr_assert(broken);
	v = check_pairs();
	cr_assert_gt(v.vclock, 0);
	cr_assert_gt(v.lamport, 0);
	cr_assert_gt(v.hlc, 0);
}
