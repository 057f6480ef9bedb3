/* SPDX-License-Identifier: MIT */
/* schedule.c - draws every fault's start, parameters and stop from the seed, then sorts. */
#include "schedule.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fault.h"
#include "fl_assert.h"
#include "prng.h"
#include "system.h"

static int check_opts(const struct schedule_opts *o, struct errbuf *eb)
{
	uint32_t seen = 0;

	if (o->node_count == 0 || o->node_count > NEM_NODES_MAX)
		return errbuf_set(eb, -EINVAL, "schedule: %u nodes", o->node_count);
	if (o->fault_count > SCHEDULE_FAULTS_MAX)
		return errbuf_set(eb, -E2BIG, "schedule: at most %d faults", SCHEDULE_FAULTS_MAX);
	for (uint32_t i = 0; i < o->fault_count; i++) {
		const struct schedule_fault *f = &o->faults[i];
		const struct fault_kind *k = fault_of(o->system, f->fault);

		if (!k)
			return errbuf_set(eb, -EINVAL, "schedule: unknown fault %#x", f->fault);
		if (seen & f->fault)
			return errbuf_set(eb, -EINVAL, "schedule: fault %s given twice", k->name);
		if (!(f->interval_s >= 0.05) || !(f->probability >= 0 && f->probability <= 1))
			return errbuf_set(eb, -EINVAL, "schedule: %s needs an interval >= 0.05 s "
					  "and a probability in [0, 1]", k->name);
		if (f->fault == NEM_F_PARTITION && !o->shapes[0])
			return errbuf_set(eb, -EINVAL, "schedule: partition without shapes");
		if (f->fault == NEM_F_MSGDROP && !(o->system && o->system->msg_types &&
						   o->system->msg_types[0]))
			return errbuf_set(eb, -EINVAL, "schedule: msgdrop, but %s declares "
					  "no message types",
					  o->system ? o->system->name : "the system");
		seen |= f->fault;
	}
	return 0;
}

static int event_order(const void *a, const void *b)
{
	const struct schedule_event *x = a, *y = b;

	if (x->at_ns != y->at_ns)
		return x->at_ns < y->at_ns ? -1 : 1;
	/* Same instant: the fault drawn first goes first; its substream says which. */
	return x->substream < y->substream ? -1 : x->substream > y->substream;
}

/* Appends the decisions of one fault; @order numbers events to keep the sort stable. */
static int build_fault(struct schedule *s, const struct schedule_opts *o, uint32_t index,
		       uint32_t capacity, uint64_t *order)
{
	const struct schedule_fault *f = &o->faults[index];
	const struct fault_kind *k = fault_of(o->system, f->fault);
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
		ev->substream = (*order)++;
		if (!active) {
			ev->f = k->start;
			k->draw(&prng, o, ev);
			started = *ev;
		} else {
			ev->f = k->stop;
			ev->params = started.params;
			if (k->stop_lists_nodes)
				fault_nodes_value(ev->value, sizeof(ev->value), "{",
						  ev->params.nodes);
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

uint32_t schedule_final(const struct system_desc *system, uint32_t faults,
			struct schedule_event *out, uint32_t size)
{
	uint32_t n = 0;

	/* Every fault in rising heal rank: processes first, so later heals reach every node. */
	for (uint32_t rank = 0; rank < SCHEDULE_HEAL_RANKS_MAX && n < size; rank++) {
		for (uint32_t bit = 1; bit && n < size; bit <<= 1) {
			const struct fault_kind *k = faults & bit ? fault_of(system, bit) : NULL;

			if (!k || k->heal_rank != rank)
				continue;
			memset(&out[n], 0, sizeof(out[n]));
			out[n].f = k->stop;
			/* nodes 0: every node this nemesis took down, paused or skewed. */
			snprintf(out[n].value, sizeof(out[n].value), "null");
			out[n].substream = UINT64_MAX - rank;
			n++;
		}
	}
	return n;
}

void schedule_fini(struct schedule *s)
{
	free(s->events);
	memset(s, 0, sizeof(*s));
}
