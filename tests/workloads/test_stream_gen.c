/* SPDX-License-Identifier: MIT */
/* test_stream_gen.c - the stream workload: the same op from the same (seed, op number), event
 * times that follow the op's due time with the bounds it states, the idle source, the lag and
 * the bursts. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "prng.h"
#include "stream_gen.h"

struct event {
	unsigned long long id, key;
	long long t, v;
	unsigned source;
};

/* Op @k: an event (true), or a status read of an operator (false, checked here). */
static bool draw(struct stream_gen *g, uint64_t k, uint64_t seed, uint32_t *node,
		 struct event *e)
{
	struct prng prng;
	struct gen_ctx ctx = { .op_number = k, .node_count = 5, .prng = &prng };
	struct gen_op op;

	prng_init(&prng, seed ^ (k + 1) * 0xbf58476d1ce4e5b9ull);
	cr_assert_eq(gen_op(&g->base, &ctx, &op), GEN_OP);
	*node = op.node;
	if (k % STREAM_GEN_READ_EVERY == STREAM_GEN_READ_EVERY - 1) {
		cr_assert_str_eq(op.op.f, "read");
		cr_assert(op.node >= g->sources && op.node < g->sources + g->operators,
			  "op %llu reads node %u", (unsigned long long)k, op.node);
		return false;
	}
	cr_assert_str_eq(op.op.f, "send");
	cr_assert_eq(op.op.value.kind, OP_VALUE_JSON);
	cr_assert_eq(sscanf(op.op.value.json, "{\"id\":%llu,\"key\":%llu,\"t\":%lld,\"v\":%lld,"
			    "\"source\":%u}", &e->id, &e->key, &e->t, &e->v, &e->source), 5, "%s",
		     op.op.value.json);
	return true;
}

Test(stream_gen, events_follow_the_due_time_within_the_stated_bounds)
{
	struct stream_gen g;
	uint64_t late = 0, negative = 0, idle_source_events = 0, edges = 0, n = 2000;

	/* 100 ops/s for 20 s, B = 300 ms, windows of 1000 ms, no lateness. */
	struct stream_window_spec spec;

	cr_assert_eq(stream_window_tumbling_init(&spec, 1000, 0, NULL), 0);
	stream_gen_init(&g, 2, 2, 8, 100, 20, 300, &spec, 0, 7);
	for (uint64_t k = 0; k < n; k++) {
		uint32_t node;
		struct event e;
		long long now;

		if (!draw(&g, k, 7, &node, &e))
			continue;
		now = g.t0_ms + (long long)((double)k * g.ms_per_op) -
		      (long long)e.source * g.lag_ms;
		cr_assert_eq(e.id, k + 1);
		cr_assert_eq(node, e.source, "the event goes to its source");
		cr_assert_lt(e.source, 2);
		cr_assert_lt(e.key, 8);
		cr_assert(e.v >= 1 && e.v <= STREAM_GEN_VALUE_MAX);
		cr_assert_leq(e.t, now, "never ahead of the due time");
		if (e.t % 1000 == 0) {
			edges++;        /* moved down to a window boundary */
			continue;
		}
		if (e.t < now - 300)
			late++;
		else
			cr_assert_geq(e.t, now - 270, "on-time disorder stays below 9B/10");
		cr_assert_geq(e.t, now - 300 - 1 - 1250, "late by at most size + lateness + 250");
		negative += e.t < 0;
		idle_source_events += e.source == 0 && k >= g.idle_from && k < g.idle_until;
	}
	cr_expect(edges > n / 100 && edges < n / 10, "about 3%% on a boundary: %llu",
		  (unsigned long long)edges);
	cr_expect(late > n / 40 && late < n / 10, "about 5%% late: %llu", (unsigned long long)late);
	cr_expect(negative > n / 4 && negative < 3 * n / 4, "about half negative: %llu",
		  (unsigned long long)negative);
	cr_expect_eq(idle_source_events, 0, "source 0 is left idle from op %llu to %llu",
		     (unsigned long long)g.idle_from, (unsigned long long)g.idle_until);
	cr_expect_gt(g.idle_until - g.idle_from, 100 * 1.0, "longer than the idle timeout");
	cr_expect_eq(g.lag_ms, 300);
}

Test(stream_gen, the_same_seed_and_op_give_the_same_event_and_bursts_hit_one_key)
{
	struct stream_gen a, b;
	uint32_t na, nb;

	struct stream_window_spec spec;

	cr_assert_eq(stream_window_sliding_init(&spec, 1000, 300, 0, NULL), 0);
	stream_gen_init(&a, 3, 2, 8, 50, 20, 300, &spec, 500, 11);
	stream_gen_init(&b, 3, 2, 8, 50, 20, 300, &spec, 500, 11);
	for (uint64_t k = 0; k < 500; k++) {
		struct event x, y;

		if (!draw(&a, k, 11, &na, &x)) {
			cr_assert(!draw(&b, k, 11, &nb, &y) && na == nb);
			continue;
		}
		cr_assert(draw(&b, k, 11, &nb, &y));
		cr_assert(x.id == y.id && x.key == y.key && x.t == y.t && x.v == y.v &&
			  x.source == y.source && na == nb, "op %llu",
			  (unsigned long long)k);
		if (k % a.burst_period < a.burst_ops)
			cr_assert_eq(x.key, k / a.burst_period % 8, "op %llu is in a burst",
				     (unsigned long long)k);
	}
	cr_expect_gt(a.burst_ops, 0);
}
