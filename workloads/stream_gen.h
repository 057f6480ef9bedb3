/* SPDX-License-Identifier: MIT */
/* stream_gen.h - the events of a stream campaign: event times that follow the op's due time,
 * bounded disorder, some truly late events, negative times, and one source left idle. */
#ifndef STREAM_GEN_H
#define STREAM_GEN_H

#include <stdint.h>

#include "gen.h"
#include "stream_window.h"

enum {
	STREAM_GEN_VALUE_BYTES_MAX = 128,       /* an event's JSON value */
	STREAM_GEN_VALUE_MAX = 100,             /* values are 1 .. this */
	STREAM_GEN_READ_EVERY = 10,
};

/*
 * Op k is due at k / rate seconds; its event's "now" is t0 + k * ms_per_op (t0 < 0, so the
 * first part of a campaign has negative times); source s lags s * lag_ms behind that, as
 * partitions of a real topic drift apart (lag_ms = B, so a lagging source's events stay
 * on time for a correct job, but not if its idleness lets the others' watermark pass
 * them). An event is late with probability
 * late_fraction: now - B - 1 - U(0, size + lateness + 250); else now - U(0, 9B/10), and
 * then, with probability edge_fraction, moved down to the window boundary below it (a start
 * of the spec's windows: t mod slide == offset), where off-by-one windows show. Keys are
 * uniform over @keys, sources uniform, except that source 0 gets none for ops idle_from ..
 * idle_until - 1 (with two sources or more; 35% to 65% of the ops), so it goes idle.
 * Bursts: in every period of burst_period ops, the first burst_ops all go to one key (the
 * period's), so a few windows of one operator get a flood of events. Values are uniform
 * 1..100. Every STREAM_GEN_READ_EVERY-th op instead reads an operator's status (f "read", key
 * "watermark"), the operators in turn: the checker's evidence that watermarks kept up.
 */
struct stream_gen {
	struct gen base;
	uint32_t sources, operators, keys;
	int64_t t0_ms;
	double ms_per_op;
	int64_t out_of_order_ms, window_ms, lateness_ms, lag_ms;
	struct stream_window_spec spec;
	double late_fraction, edge_fraction;
	uint64_t idle_from, idle_until;         /* op numbers */
	uint64_t burst_period, burst_ops;
};

/* stream_gen_init() - @g for a campaign of @time_s at @rate ops/s; see above. */
void stream_gen_init(struct stream_gen *g, uint32_t sources, uint32_t operators, uint32_t keys,
		     double rate, double time_s, int64_t out_of_order_ms,
		     const struct stream_window_spec *spec, int64_t lateness_ms, uint64_t seed);

#endif /* STREAM_GEN_H */
