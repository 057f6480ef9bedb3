/* SPDX-License-Identifier: MIT */
/* schedule.c - draws every fault's start, parameters and stop from the seed, then sorts. */
#include "schedule.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byzantine.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "prng.h"
#include "textbuf.h"

struct fault_kind {
	uint32_t fault;
	const char *name, *start, *stop;
	void (*draw)(struct prng *prng, const struct schedule_opts *o, struct schedule_event *ev);
};

static double uniform(struct prng *prng, double lo, double hi)
{
	return lo + (hi - lo) * (double)(prng_next(prng) >> 11) * 0x1.0p-53;
}

static void draw_partition(struct prng *prng, const struct schedule_opts *o,
			   struct schedule_event *ev)
{
	uint32_t count = 0;

	while (o->shapes[count])
		count++;
	ASSERT(count > 0);
	snprintf(ev->arg, sizeof(ev->arg), "\"%s\"", o->shapes[prng_below(prng, count)]);
	snprintf(ev->value, sizeof(ev->value), "%s", ev->arg);
}

static void draw_probability(struct prng *prng, const struct schedule_opts *o,
			     struct schedule_event *ev)
{
	(void)o;
	ev->params.probability = uniform(prng, 0.05, 0.3);
	snprintf(ev->value, sizeof(ev->value), "{\"p\":%.3f,\"pairs\":\"all\"}",
		 ev->params.probability);
}

static void draw_delay(struct prng *prng, const struct schedule_opts *o,
		       struct schedule_event *ev)
{
	int64_t delay_ms = 10 + (int64_t)prng_below(prng, 91);
	int64_t jitter_ms = (int64_t)prng_below(prng, (uint64_t)delay_ms / 10 + 1);

	(void)o;
	ev->params.delay_ns = delay_ms * 1000000;
	ev->params.jitter_ns = jitter_ms * 1000000;
	snprintf(ev->value, sizeof(ev->value),
		 "{\"delay_ms\":%lld,\"jitter_ms\":%lld,\"pairs\":\"all\"}", (long long)delay_ms,
		 (long long)jitter_ms);
}

static void draw_reorder(struct prng *prng, const struct schedule_opts *o,
			 struct schedule_event *ev)
{
	int64_t delay_ms = 10 + (int64_t)prng_below(prng, 31);

	(void)o;
	ev->params.probability = uniform(prng, 0.1, 0.5);
	ev->params.delay_ns = delay_ms * 1000000;
	snprintf(ev->value, sizeof(ev->value), "{\"p\":%.3f,\"delay_ms\":%lld,\"pairs\":\"all\"}",
		 ev->params.probability, (long long)delay_ms);
}

/* Writes {"nodes":["n1",...]} (or @key instead of "nodes") for the bits of @nodes. */
/* Appends "key":["n1",...] for the bits of @set. */
static void nodes_list(struct textbuf *t, const char *key, uint64_t set)
{
	const char *sep = "";

	textbuf_put(t, "\"%s\":[", key);
	for (uint32_t i = 0; i < NEM_NODES_MAX; i++) {
		if (set & (1ull << i)) {
			textbuf_put(t, "%s\"n%u\"", sep, i + 1);
			sep = ",";
		}
	}
	textbuf_put(t, "]");
}

/* Writes @prefix then "nodes":["n1",...]} for the bits of @nodes. */
static void nodes_value(char *out, size_t size, const char *prefix, uint64_t nodes)
{
	struct textbuf t;

	textbuf_init(&t, out, size);
	textbuf_put(&t, "%s", prefix);
	nodes_list(&t, "nodes", nodes);
	textbuf_put(&t, "}");
}

static void draw_bandwidth(struct prng *prng, const struct schedule_opts *o,
			   struct schedule_event *ev)
{
	static const uint64_t kbits[] = { 256, 512, 1024, 2048 };
	uint64_t kbit = kbits[prng_below(prng, ARRAY_SIZE(kbits))];
	char prefix[48];

	ev->params.rate_bytes_per_s = kbit * 1000 / 8;
	ev->params.nodes = 1 + prng_below(prng, (1ull << o->node_count) - 1);
	snprintf(prefix, sizeof(prefix), "{\"rate_kbit\":%llu,", (unsigned long long)kbit);
	nodes_value(ev->value, sizeof(ev->value), prefix, ev->params.nodes);
}

/* A random minority (at least one node): the cluster keeps a majority up. */
static void draw_minority(struct prng *prng, const struct schedule_opts *o,
			  struct schedule_event *ev)
{
	uint32_t want = 1 + (uint32_t)prng_below(prng, o->node_count > 2 ? (o->node_count - 1) / 2
									  : 1);

	ev->params.nodes = 0;
	while (want > 0) {
		uint64_t bit = 1ull << prng_below(prng, o->node_count);

		if (!(ev->params.nodes & bit)) {
			ev->params.nodes |= bit;
			want--;
		}
	}
	nodes_value(ev->value, sizeof(ev->value), "{", ev->params.nodes);
}

/* 2^k ms for k in [k_min, k_max]. */
static int64_t pow2_ms(struct prng *prng, uint32_t k_min, uint32_t k_max)
{
	return (int64_t)(1ull << (k_min + prng_below(prng, k_max - k_min + 1))) * 1000000;
}

/*
 * One node's clock: a bump of +-2^k ms (k 2..12: 4 ms to 4 s, past any op's latency), a
 * strobe (2^k ms, k 2..10, flipping every 1..64 ms for 1..4 s) or a drift at one of a few
 * rates; the stop ("reset") returns that node's clock to real time. The draw names its own f.
 */
static void draw_clock(struct prng *prng, const struct schedule_opts *o,
		       struct schedule_event *ev)
{
	static const double rates[] = { 0.5, 0.8, 0.95, 1.05, 1.25, 2.0 };
	uint64_t which = prng_below(prng, 4);
	char prefix[160];

	ev->params.nodes = 1ull << prng_below(prng, o->node_count);
	if (which <= 1) {
		ev->f = "bump";
		ev->params.delay_ns = pow2_ms(prng, 2, 12) * (prng_chance(prng, 0.5) ? 1 : -1);
		snprintf(prefix, sizeof(prefix), "{\"delta_ns\":%lld,",
			 (long long)ev->params.delay_ns);
	} else if (which == 2) {
		ev->f = "strobe";
		ev->params.delay_ns = pow2_ms(prng, 2, 10);
		ev->params.jitter_ns = pow2_ms(prng, 0, 6);
		ev->params.duration_ns = pow2_ms(prng, 10, 12);
		snprintf(prefix, sizeof(prefix), "{\"delta_ns\":%lld,\"period_ns\":%lld,"
			 "\"duration_ns\":%lld,", (long long)ev->params.delay_ns,
			 (long long)ev->params.jitter_ns, (long long)ev->params.duration_ns);
	} else {
		ev->f = "drift";
		ev->params.rate = rates[prng_below(prng, ARRAY_SIZE(rates))];
		snprintf(prefix, sizeof(prefix), "{\"rate\":%g,", ev->params.rate);
	}
	nodes_value(ev->value, sizeof(ev->value), prefix, ev->params.nodes);
}

/*
 * Up to f = (n-1)/3 replicas (at least one) turn Byzantine, each in a mode drawn from the
 * byzantine nemesis's list; the stop makes them correct again.
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
		ev->params.modes[node] = (uint8_t)(1 + prng_below(prng, NEM_BYZANTINE_MODES - 1));
		want--;
	}
	textbuf_init(&t, ev->value, sizeof(ev->value));
	textbuf_put(&t, "{\"byzantine\":{");
	for (uint32_t i = 0; i < o->node_count; i++) {
		if (ev->params.nodes & (1ull << i)) {
			textbuf_put(&t, "%s\"n%u\":\"%s\"", sep, i + 1,
				    nem_byzantine_mode_name(ev->params.modes[i]));
			sep = ",";
		}
	}
	textbuf_put(&t, "}}");
}

/* A random nonempty set of nodes, each in with probability 1/2. */
static uint64_t draw_set(struct prng *prng, uint32_t node_count)
{
	return 1 + prng_below(prng, (1ull << node_count) - 1);
}

/*
 * One kind of message lost between chosen nodes: a type 2..6 (pbft-node's pre-prepare,
 * prepare, commit, checkpoint, view-change) and every pair from a random set of senders to a
 * random set of receivers (a node never to itself). Redrawn until some pair remains.
 */
static void draw_msgdrop(struct prng *prng, const struct schedule_opts *o,
			 struct schedule_event *ev)
{
	uint32_t type = 2 + (uint32_t)prng_below(prng, 5);
	uint64_t from, to, any = 0;
	struct textbuf t;

	do {
		from = draw_set(prng, o->node_count);
		to = draw_set(prng, o->node_count);
		for (uint32_t i = 0; i < o->node_count; i++)
			any |= to & (1ull << i) ? from & ~(1ull << i) : 0;
	} while (!any && o->node_count > 1);
	ev->params.msg_types = 1u << type;
	for (uint32_t i = 0; i < o->node_count; i++)
		ev->params.pairs[i] = to & (1ull << i) ? from & ~(1ull << i) : 0;
	textbuf_init(&t, ev->value, sizeof(ev->value));
	textbuf_put(&t, "{\"types\":[%u],", type);
	nodes_list(&t, "from", from);
	textbuf_put(&t, ",");
	nodes_list(&t, "to", to);
	textbuf_put(&t, "}");
}

static const struct fault_kind kinds[] = {
	{ NEM_F_PARTITION, "partition", "start-partition", "stop-partition", draw_partition },
	{ NEM_F_LOSS, "loss", "start-loss", "stop-loss", draw_probability },
	{ NEM_F_DUP, "dup", "start-dup", "stop-dup", draw_probability },
	{ NEM_F_DELAY, "delay", "start-delay", "stop-delay", draw_delay },
	{ NEM_F_REORDER, "reorder", "start-reorder", "stop-reorder", draw_reorder },
	{ NEM_F_BANDWIDTH, "bandwidth", "start-bandwidth", "stop-bandwidth", draw_bandwidth },
	{ NEM_F_KILL, "kill", "kill", "start", draw_minority },
	{ NEM_F_PAUSE, "pause", "pause", "resume", draw_minority },
	{ NEM_F_CLOCK, "clock", "bump", "reset", draw_clock },
	{ NEM_F_BYZANTINE, "byzantine", "start-byzantine", "stop-byzantine", draw_byzantine },
	{ NEM_F_MSGDROP, "msgdrop", "start-msgdrop", "stop-msgdrop", draw_msgdrop },
};

static const struct fault_kind *kind_of(uint32_t fault)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (kinds[i].fault == fault)
			return &kinds[i];
	}
	return NULL;
}

const char *schedule_fault_name(uint32_t fault)
{
	const struct fault_kind *k = kind_of(fault);

	return k ? k->name : NULL;
}

uint32_t schedule_fault_parse(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (strcmp(kinds[i].name, name) == 0)
			return kinds[i].fault;
	}
	return 0;
}

static int check_opts(const struct schedule_opts *o, struct errbuf *eb)
{
	uint32_t seen = 0;

	if (o->node_count == 0 || o->node_count > NEM_NODES_MAX)
		return errbuf_set(eb, -EINVAL, "schedule: %u nodes", o->node_count);
	if (o->fault_count > SCHEDULE_FAULTS_MAX)
		return errbuf_set(eb, -E2BIG, "schedule: at most %d faults", SCHEDULE_FAULTS_MAX);
	for (uint32_t i = 0; i < o->fault_count; i++) {
		const struct schedule_fault *f = &o->faults[i];

		if (!kind_of(f->fault))
			return errbuf_set(eb, -EINVAL, "schedule: unknown fault %#x", f->fault);
		if (seen & f->fault)
			return errbuf_set(eb, -EINVAL, "schedule: fault %s given twice",
					  schedule_fault_name(f->fault));
		if (!(f->interval_s >= 0.05) || !(f->probability >= 0 && f->probability <= 1))
			return errbuf_set(eb, -EINVAL, "schedule: %s needs an interval >= 0.05 s "
					  "and a probability in [0, 1]",
					  schedule_fault_name(f->fault));
		if (f->fault == NEM_F_PARTITION && !o->shapes[0])
			return errbuf_set(eb, -EINVAL, "schedule: partition without shapes");
		seen |= f->fault;
	}
	return 0;
}

static int event_order(const void *a, const void *b)
{
	const struct schedule_event *x = a, *y = b;

	if (x->at_ns != y->at_ns)
		return x->at_ns < y->at_ns ? -1 : 1;
	/* Same instant: the fault drawn first goes first; its stream says which. */
	return x->stream < y->stream ? -1 : x->stream > y->stream;
}

/* Appends the decisions of one fault; @order numbers events to keep the sort stable. */
static int build_fault(struct schedule *s, const struct schedule_opts *o, uint32_t index,
		       uint32_t capacity, uint64_t *order)
{
	const struct schedule_fault *f = &o->faults[index];
	const struct fault_kind *k = kind_of(f->fault);
	int64_t step = (int64_t)(f->interval_s * 1e9), end = (int64_t)(o->time_s * 1e9);
	struct schedule_event started = { 0 };
	struct prng prng;
	bool active = false;

	prng_init(&prng, o->seed ^ (0x5ced0000ull + index) * 0x9e3779b97f4a7c15ull);
	for (int64_t at = step; at < end; at += step) {
		struct schedule_event *ev;

		if (!active && !prng_chance(&prng, f->probability))
			continue;
		if (s->count >= capacity)
			return -E2BIG;
		ev = &s->events[s->count++];
		memset(ev, 0, sizeof(*ev));
		ev->at_ns = at;
		ev->stream = (*order)++;
		if (!active) {
			ev->f = k->start;
			k->draw(&prng, o, ev);
			started = *ev;
		} else {
			ev->f = k->stop;
			ev->params = started.params;
			if (f->fault == NEM_F_KILL || f->fault == NEM_F_PAUSE ||
			    f->fault == NEM_F_CLOCK || f->fault == NEM_F_BYZANTINE)
				nodes_value(ev->value, sizeof(ev->value), "{", ev->params.nodes);
			else
				snprintf(ev->value, sizeof(ev->value), "null");
		}
		active = !active;
	}
	return 0;
}

int schedule_build(struct schedule *s, const struct schedule_opts *o, struct errbuf *eb)
{
	uint32_t capacity = 0;
	uint64_t order = 0;
	int err;

	memset(s, 0, sizeof(*s));
	err = check_opts(o, eb);
	if (err < 0)
		return err;
	for (uint32_t i = 0; i < o->fault_count; i++) {
		double decisions = o->time_s / o->faults[i].interval_s + 1;

		if (capacity + decisions > SCHEDULE_EVENTS_MAX)
			return errbuf_set(eb, -E2BIG, "schedule: more than %d events; use longer "
					  "intervals", SCHEDULE_EVENTS_MAX);
		capacity += (uint32_t)decisions;
		s->faults |= o->faults[i].fault;
	}
	s->events = calloc(capacity ? capacity : 1, sizeof(*s->events));
	if (!s->events)
		return errbuf_set(eb, -ENOMEM, "schedule: out of memory for %u events", capacity);
	for (uint32_t i = 0; i < o->fault_count; i++) {
		err = build_fault(s, o, i, capacity, &order);
		ASSERT(err == 0);       /* capacity counted every decision above */
	}
	qsort(s->events, s->count, sizeof(*s->events), event_order);
	for (uint32_t i = 1; i < s->count; i++)
		ASSERT(s->events[i - 1].at_ns <= s->events[i].at_ns);
	return 0;
}

uint32_t schedule_final(uint32_t faults, struct schedule_event *out, uint32_t size)
{
	/* Processes first, so the heals that follow reach every node. */
	static const uint32_t order[] = { NEM_F_PAUSE, NEM_F_KILL, NEM_F_PARTITION, NEM_F_LOSS,
					  NEM_F_DUP, NEM_F_DELAY, NEM_F_REORDER, NEM_F_BANDWIDTH,
					  NEM_F_CLOCK, NEM_F_MSGDROP, NEM_F_BYZANTINE };
	uint32_t n = 0;

	STATIC_ASSERT(ARRAY_SIZE(order) == ARRAY_SIZE(kinds), "every fault has a final heal");
	for (size_t i = 0; i < ARRAY_SIZE(order) && n < size; i++) {
		if (!(faults & order[i]))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].f = kind_of(order[i])->stop;
		/* nodes 0: every node this nemesis took down, paused or skewed. */
		snprintf(out[n].value, sizeof(out[n].value), "null");
		out[n].stream = UINT64_MAX - i;
		n++;
	}
	return n;
}

void schedule_fini(struct schedule *s)
{
	free(s->events);
	memset(s, 0, sizeof(*s));
}
