/* SPDX-License-Identifier: MIT */
/* bench_stream.c - events/s through the window operator (nodes/stream) beside a plain map. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli_parse.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"
#include "prng.h"
#include "stream_operator.h"

enum {
	EXIT_WRONG = 1,
	EXIT_USAGE = 64,
	EXIT_INTERNAL = 70,
	EVENTS_MAX = 50 * 1000 * 1000,  /* 24 bytes each in memory: 1.2 GB */
	KEYS_MAX = 100 * 1000,
	ROUNDS_MAX = 50,
	SLIDES_PER_WINDOW = 10,         /* the sliding shape: size / slide = 10 */
	GOAL_KEYS = 10000,
	GOAL_EVENTS_PER_S = 1000 * 1000,
	GOAL_SLIDING_RATIO_MAX = 2,
	CASES = 8,
};

struct bench_opts {
	uint64_t events;                /* per pass */
	uint32_t keys;                  /* uniform over 0 .. keys - 1 */
	uint32_t rounds;                /* passes of every case, at most */
	double seconds;                 /* no new round after this much time */
	uint32_t watermark_every;       /* events between watermarks */
	uint32_t events_per_ms;         /* event-time density */
	int64_t bound_ms;               /* out-of-orderness, as Nexmark's 4 s */
	int64_t size_ms;                /* window size; the sliding slide is size / 10 */
	uint64_t seed;
};

static const struct bench_opts bench_defaults = {
	.events = 500 * 1000,
	.keys = GOAL_KEYS,
	.rounds = 5,
	.seconds = 4.0,
	.watermark_every = 1000,
	.events_per_ms = 10,
	.bound_ms = 4000,
	.size_ms = 10000,
	.seed = 20261208,
};

/* One generated event; COUNT ignores value. */
struct event {
	uint64_t key;
	int64_t time_ms;
	int64_t value;
};

/* What a run emitted: ON_TIME panes, their values summed, and an order-free digest of
 * every (key, window start, value) so that two runs can be compared result by result. */
struct tally {
	uint64_t panes;
	uint64_t late;                  /* LATE panes and side-output records: none expected */
	int64_t total;
	uint64_t digest;
};

struct bench_case {
	const char *name;
	enum stream_window_kind kind;
	enum stream_aggregate aggregate;
	bool baseline;
	double best_s;
	struct tally tally;
	struct stream_operator *op;     /* NULL for a baseline */
	uint8_t *empty;                 /* the operator's snapshot before any event */
	size_t empty_size;
	struct baseline *map;           /* NULL for the operator */
};

static uint64_t mix64(uint64_t h)
{
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

static inline void tally_pane(struct tally *t, uint64_t key, int64_t start_ms, int64_t value)
{
	t->panes++;
	t->total = (int64_t)((uint64_t)t->total + (uint64_t)value);
	t->digest += mix64(key ^ mix64((uint64_t)start_ms ^ mix64((uint64_t)value)));
}

static inline int64_t mod_floor(int64_t a, int64_t modulus)
{
	int64_t r = a % modulus;

	return r < 0 ? r + modulus : r;
}

/* ---- The baseline: one plain (key -> value) map per window, reused round a ring ---------- */

struct map_slot {
	uint64_t key_plus_one;          /* 0: free */
	int64_t value;
};

/* One open window's aggregates; start_ms is INT64_MIN while the map is empty. */
struct window_map {
	int64_t start_ms;
	struct map_slot *slots;
};

/*
 * The cheapest thing that computes the operator's results: no panes, no watermarks, no
 * snapshot. Window start s lives in map (s / slide) mod R with R * slide >= size + bound, so
 * by the time an event of the window R slides later arrives, bounded disorder says no event
 * of s will: the map is emitted (the window "fires") and cleared then, or at the end.
 */
struct baseline {
	int64_t size_ms, slide_ms;
	bool count;
	uint32_t windows_per_event;
	uint32_t maps_count;
	uint32_t slots_count;           /* per map: a power of two >= 2 * keys */
	struct window_map *maps;
};

static void baseline_free(struct baseline *b)
{
	if (!b)
		return;
	for (uint32_t index = 0; b->maps && index < b->maps_count; index++)
		free(b->maps[index].slots);
	free(b->maps);
	free(b);
}

static struct baseline *baseline_new(const struct bench_opts *o, int64_t slide_ms, bool count)
{
	struct baseline *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->size_ms = o->size_ms;
	b->slide_ms = slide_ms;
	b->count = count;
	b->windows_per_event = (uint32_t)(o->size_ms / slide_ms);
	b->maps_count = (uint32_t)((o->size_ms + o->bound_ms + slide_ms - 1) / slide_ms) + 1;
	b->slots_count = 1;
	while (b->slots_count < 2 * o->keys)
		b->slots_count *= 2;
	b->maps = calloc(b->maps_count, sizeof(b->maps[0]));
	for (uint32_t index = 0; b->maps && index < b->maps_count; index++) {
		b->maps[index].start_ms = INT64_MIN;
		b->maps[index].slots = calloc(b->slots_count, sizeof(struct map_slot));
		if (!b->maps[index].slots)
			break;
	}
	if (!b->maps || !b->maps[b->maps_count - 1].slots) {
		baseline_free(b);
		return NULL;
	}
	return b;
}

/* Emit every (key, value) of @m as a pane of its window, then empty it. */
static void baseline_flush(struct baseline *b, struct window_map *m, struct tally *t)
{
	if (m->start_ms == INT64_MIN)
		return;
	for (uint32_t slot = 0; slot < b->slots_count; slot++) {
		if (m->slots[slot].key_plus_one)
			tally_pane(t, m->slots[slot].key_plus_one - 1, m->start_ms,
				   m->slots[slot].value);
	}
	memset(m->slots, 0, (size_t)b->slots_count * sizeof(m->slots[0]));
	m->start_ms = INT64_MIN;
}

static inline void baseline_add(struct baseline *b, uint64_t key, int64_t start_ms,
				int64_t value, struct tally *t)
{
	struct window_map *m = &b->maps[mod_floor(start_ms / b->slide_ms, b->maps_count)];
	uint32_t mask = b->slots_count - 1, slot = (uint32_t)mix64(key) & mask;

	if (m->start_ms != start_ms) {
		/* An older window's map: complete, by bounded disorder. A newer one would mean
		 * the event came after its window was emitted. */
		ASSERT(m->start_ms == INT64_MIN || m->start_ms < start_ms);
		baseline_flush(b, m, t);
		m->start_ms = start_ms;
	}
	while (m->slots[slot].key_plus_one && m->slots[slot].key_plus_one != key + 1)
		slot = (slot + 1) & mask;
	m->slots[slot].key_plus_one = key + 1;
	m->slots[slot].value = (int64_t)((uint64_t)m->slots[slot].value + (uint64_t)value);
}

static void baseline_run(struct baseline *b, const struct event *events, uint64_t count,
			 struct tally *t)
{
	for (uint64_t index = 0; index < count; index++) {
		const struct event *e = &events[index];
		int64_t last_ms = e->time_ms - mod_floor(e->time_ms, b->slide_ms);
		int64_t value = b->count ? 1 : e->value;

		for (uint32_t w = 0; w < b->windows_per_event; w++)
			baseline_add(b, e->key, last_ms - (int64_t)w * b->slide_ms, value, t);
	}
	/* The end of input: every window left is complete. */
	for (uint32_t index = 0; index < b->maps_count; index++)
		baseline_flush(b, &b->maps[index], t);
}

/* ---- The operator --------------------------------------------------------------------------- */

static inline void consume(struct stream_outputs *out, struct tally *t)
{
	for (uint32_t index = 0; index < out->count; index++) {
		const struct stream_output *r = &out->records[index];

		if (r->kind == STREAM_OUTPUT_PANE && r->timing == STREAM_PANE_ON_TIME)
			tally_pane(t, r->key, r->window_start_ms, r->value);
		else if (r->kind != STREAM_OUTPUT_WATERMARK)
			t->late++;
	}
	out->count = 0;
}

static void step_failed(const char *what, int err, const struct errbuf *eb)
{
	fprintf(stderr, "bench-stream: %s: %s: %s\n", what, eb->msg, strerror(-err));
	exit(EXIT_INTERNAL);
}

/*
 * Every event through stream_operator_event(); every @every events the source's watermark,
 * Flink's bounded out-of-orderness one: the highest time seen - bound - 1; then +inf.
 */
static void operator_run(struct stream_operator *op, const struct bench_opts *o,
			 const struct event *events, struct stream_outputs *out, struct tally *t)
{
	struct errbuf eb = { "" };
	int64_t max_ms = INT64_MIN;
	uint32_t until_watermark = o->watermark_every;
	int err;

	for (uint64_t index = 0; index < o->events; index++) {
		const struct event *e = &events[index];

		err = stream_operator_event(op, 0, index + 1, e->key, e->time_ms, e->value, out,
					    &eb);
		if (err)
			step_failed("event", err, &eb);
		consume(out, t);
		max_ms = e->time_ms > max_ms ? e->time_ms : max_ms;
		if (--until_watermark > 0)
			continue;
		until_watermark = o->watermark_every;
		err = stream_operator_watermark(op, 0, max_ms - o->bound_ms - 1, out, &eb);
		if (err)
			step_failed("watermark", err, &eb);
		consume(out, t);
	}
	err = stream_operator_watermark(op, 0, INT64_MAX, out, &eb);
	if (err)
		step_failed("final watermark", err, &eb);
	consume(out, t);
}

/*
 * Entries an operator holds at most: the windows and panes that end after the watermark and
 * start before the highest time seen, which runs ahead of it by the bound plus the event time
 * one watermark interval covers; a slide more each side for alignment.
 */
static uint64_t entries_per_key(const struct bench_opts *o, int64_t grid_ms)
{
	int64_t span_ms = o->size_ms + o->bound_ms + 1 +
			  (int64_t)(o->watermark_every / o->events_per_ms) + 2 * grid_ms;

	return (uint64_t)(span_ms / grid_ms + 1);
}

static int operator_make(const struct bench_opts *o, struct bench_case *c, struct errbuf *eb)
{
	int64_t slide_ms = c->kind == STREAM_WINDOW_TUMBLING ? o->size_ms :
							       o->size_ms / SLIDES_PER_WINDOW;
	uint64_t windows = o->keys * entries_per_key(o, slide_ms);
	uint64_t panes = o->keys * entries_per_key(o, slide_ms);  /* pane == slide here */
	struct stream_operator_config config = {
		.aggregate = c->aggregate,
		.inputs = 1,
	};
	ssize_t size;
	int err;

	if (windows > STREAM_OPERATOR_ENTRIES_MAX || panes > STREAM_OPERATOR_ENTRIES_MAX)
		return errbuf_set(eb, -E2BIG, "%s: %" PRIu64 " entries needed, over %d", c->name,
				  windows > panes ? windows : panes, STREAM_OPERATOR_ENTRIES_MAX);
	config.pane_entries_max = (uint32_t)panes;
	config.window_entries_max = (uint32_t)windows;
	if (c->kind == STREAM_WINDOW_TUMBLING)
		err = stream_window_tumbling_init(&config.spec, o->size_ms, 0, eb);
	else
		err = stream_window_sliding_init(&config.spec, o->size_ms, slide_ms, 0, eb);
	err = err ? err : stream_operator_new(&config, &c->op, eb);
	if (err)
		return err;
	c->empty = malloc(stream_operator_snapshot_size_max(c->op));
	if (!c->empty)
		return errbuf_set(eb, -ENOMEM, "%s: snapshot", c->name);
	size = stream_operator_snapshot(c->op, c->empty, stream_operator_snapshot_size_max(c->op));
	ASSERT(size > 0);
	c->empty_size = (size_t)size;
	return 0;
}

/* ---- Events, cases and rounds ---------------------------------------------------------------- */

/*
 * @o->events events, keys uniform, event time advancing @events_per_ms per ms from half the
 * run below zero (so about half the times are negative), each up to @bound_ms early: the
 * highest time seen minus the bound is a perfect watermark. @value_sum: their values summed.
 */
static struct event *events_make(const struct bench_opts *o, int64_t *value_sum)
{
	struct event *events = calloc(o->events, sizeof(*events));
	int64_t first_ms = -(int64_t)(o->events / o->events_per_ms / 2);
	struct prng prng;

	if (!events)
		return NULL;
	prng_init(&prng, o->seed);
	*value_sum = 0;
	for (uint64_t index = 0; index < o->events; index++) {
		int64_t base_ms = first_ms + (int64_t)(index / o->events_per_ms);

		events[index].key = prng_below(&prng, o->keys);
		events[index].time_ms = base_ms - (int64_t)prng_below(&prng,
								       (uint64_t)o->bound_ms + 1);
		events[index].value = (int64_t)prng_below(&prng, 1u << 20);
		*value_sum += events[index].value;
	}
	return events;
}

static void wrong(const struct bench_case *c, const char *what, int64_t found, int64_t expected)
{
	fprintf(stderr, "bench-stream: %s %s: %s is %" PRId64 ", expected %" PRId64
		": the measured path is broken\n", c->name, c->baseline ? "baseline" : "operator",
		what, found, expected);
	exit(EXIT_WRONG);
}

/* The pass's results must add up: every event in each of its windows, nothing late, the
 * operator's state all cleaned at the end. */
static void case_check(const struct bench_case *c, const struct bench_opts *o,
		       const struct tally *t, int64_t value_sum)
{
	int64_t windows = c->kind == STREAM_WINDOW_TUMBLING ? 1 : SLIDES_PER_WINDOW;
	int64_t per_window = c->aggregate == STREAM_AGGREGATE_COUNT ? (int64_t)o->events :
								      value_sum;
	struct stream_operator_status status;

	if (t->late)
		wrong(c, "late panes and side-output records", (int64_t)t->late, 0);
	if (t->total != windows * per_window)
		wrong(c, "the sum of every ON_TIME pane", t->total, windows * per_window);
	if (c->baseline)
		return;
	stream_operator_status(c->op, &status);
	if (status.events != o->events)
		wrong(c, "events accepted", (int64_t)status.events, (int64_t)o->events);
	if (status.pane_entries + status.window_entries != 0)
		wrong(c, "entries held after +inf",
		      (int64_t)(status.pane_entries + status.window_entries), 0);
}

static void case_run(struct bench_case *c, const struct bench_opts *o, const struct event *events,
		     struct stream_outputs *out, int64_t value_sum)
{
	struct errbuf eb = { "" };
	struct tally t = { 0 };
	int64_t start_ns;
	double seconds;
	int err;

	if (!c->baseline) {
		err = stream_operator_restore(c->op, c->empty, c->empty_size, &eb);
		if (err)
			step_failed("restore", err, &eb);
	}
	start_ns = monotime_ns();
	if (c->baseline)
		baseline_run(c->map, events, o->events, &t);
	else
		operator_run(c->op, o, events, out, &t);
	seconds = (double)(monotime_ns() - start_ns) / 1e9;
	case_check(c, o, &t, value_sum);
	if (c->best_s == 0 || seconds < c->best_s)
		c->best_s = seconds;
	c->tally = t;
}

/* Cases come in pairs, operator then baseline of the same windows and aggregate: their
 * results must be the same panes, value for value. */
static void pairs_check(const struct bench_case *cases)
{
	for (uint32_t index = 0; index < CASES; index += 2) {
		const struct tally *a = &cases[index].tally, *b = &cases[index + 1].tally;

		if (a->panes != b->panes)
			wrong(&cases[index], "panes, against the baseline's", (int64_t)a->panes,
			      (int64_t)b->panes);
		if (a->digest != b->digest)
			wrong(&cases[index], "the digest of (key, window, value), against the "
			      "baseline's", (int64_t)a->digest, (int64_t)b->digest);
	}
}

/* Rounds of every case, in alternating order, until @o->rounds or @o->seconds. */
static uint32_t rounds_run(struct bench_case *cases, const struct bench_opts *o,
			   const struct event *events, struct stream_outputs *out,
			   int64_t value_sum)
{
	int64_t start_ns = monotime_ns();
	uint32_t round;

	for (round = 0; round < o->rounds; round++) {
		if (round > 0 && (double)(monotime_ns() - start_ns) / 1e9 >= o->seconds)
			break;
		for (uint32_t step = 0; step < CASES; step++) {
			uint32_t index = round % 2 ? CASES - 1 - step : step;

			case_run(&cases[index], o, events, out, value_sum);
		}
		pairs_check(cases);
	}
	return round;
}

/* ---- Figures ------------------------------------------------------------------------------ */

static double events_per_s(const struct bench_case *c, const struct bench_opts *o)
{
	return (double)o->events / c->best_s;
}

static double ns_per_event(const struct bench_case *c, const struct bench_opts *o)
{
	return c->best_s * 1e9 / (double)o->events;
}

static void print_cases(const struct bench_case *cases, const struct bench_opts *o)
{
	printf("%-15s %-9s %9s %12s %9s %11s %12s\n", "windows", "path", "best ms", "events/s",
	       "ns/event", "x baseline", "panes");
	for (uint32_t index = 0; index < CASES; index++) {
		const struct bench_case *c = &cases[index];
		double base_s = cases[index | 1].best_s;

		printf("%-15s %-9s %9.1f %12.0f %9.1f %10.2fx %12" PRIu64 "\n",
		       index % 2 ? "" : c->name, c->baseline ? "baseline" : "operator",
		       c->best_s * 1e3, events_per_s(c, o), ns_per_event(c, o),
		       c->best_s / base_s, c->tally.panes);
	}
}

static const char *verdict(bool met)
{
	return met ? "PASS" : "MISS";
}

static void print_goals(const struct bench_case *cases, const struct bench_opts *o)
{
	/* cases: 0/1 tumbling count, 2/3 tumbling sum, 4/5 sliding count, 6/7 sliding sum. */
	double count_ratio = cases[4].best_s / cases[0].best_s;
	double sum_ratio = cases[6].best_s / cases[2].best_s;
	double base_ratio = cases[5].best_s / cases[1].best_s;
	double tumbling = events_per_s(&cases[0], o);

	printf("\nsliding / tumbling cost per event, same run: operator count %.2fx, sum %.2fx;"
	       " baseline count %.2fx\n", count_ratio, sum_ratio, base_ratio);
	printf("\ngoals (the issue's):\n");
	printf("  in-process tumbling count over %u keys >= %d events/s: %.0f  %s%s\n", GOAL_KEYS,
	       GOAL_EVENTS_PER_S, tumbling, verdict(tumbling >= GOAL_EVENTS_PER_S),
	       o->keys == GOAL_KEYS ? "" : "  (measured over --keys, not the goal's)");
	printf("  sliding (size/slide = %d) <= %dx tumbling per event: count %.2fx  %s, "
	       "sum %.2fx  %s\n", SLIDES_PER_WINDOW, GOAL_SLIDING_RATIO_MAX, count_ratio,
	       verdict(count_ratio <= GOAL_SLIDING_RATIO_MAX), sum_ratio,
	       verdict(sum_ratio <= GOAL_SLIDING_RATIO_MAX));
	printf("\nFlink on Nexmark, per core: QUOTED from ../shared/STREAMS.md, NOT measured here\n"
	       "(they include serialization, RocksDB state and exactly-once checkpoints):\n"
	       "  q5 sliding 10 s / 2 s count      22,000 -  75,000 events/s\n"
	       "  q7 tumbling 10 s max             12,000 -  23,000 events/s\n"
	       "  q12 processing-time tumbling     76,000 - 194,000 events/s\n"
	       "  q0/q1 stateless                 155,000 - 395,000 events/s\n");
}

static double peak_rss_mb(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return -1;
	return (double)ru.ru_maxrss / 1024.0;
}

/* ---- Options and main -------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench-stream [--events N] [--keys K] [--rounds R] [--seconds S]\n"
		"                    [--watermark-every N] [--events-per-ms D] [--bound-ms B]\n"
		"                    [--size-ms S] [--seed S]\n"
		"  --events N           events per pass, 1000 .. %d (default %" PRIu64 ")\n"
		"  --keys K             keys, uniform, 1 .. %d (default %u)\n"
		"  --rounds R           passes of each of the 8 cases, 1 .. %d (default %u)\n"
		"  --seconds S          no new round after S seconds (default %.0f)\n"
		"  --watermark-every N  events between watermarks (default %u)\n"
		"  --events-per-ms D    event-time density (default %u)\n"
		"  --bound-ms B         out-of-orderness; watermark = max seen - B - 1 (default %"
		PRId64 ")\n"
		"  --size-ms S          window size, a multiple of %d; slide S/%d (default %" PRId64
		")\n"
		"  --seed S             event keys, times and values (default %" PRIu64 ")\n"
		"exit: 0 figures printed (goals MISSed included); %d results did not add up; %d "
		"usage; %d internal error\n",
		EVENTS_MAX, bench_defaults.events, KEYS_MAX, bench_defaults.keys, ROUNDS_MAX,
		bench_defaults.rounds, bench_defaults.seconds, bench_defaults.watermark_every,
		bench_defaults.events_per_ms, bench_defaults.bound_ms, SLIDES_PER_WINDOW,
		SLIDES_PER_WINDOW, bench_defaults.size_ms, bench_defaults.seed, EXIT_WRONG,
		EXIT_USAGE, EXIT_INTERNAL);
}

static int parse_one(int opt, const char *arg, struct bench_opts *o)
{
	uint64_t v = 0;
	int err = 0;

	switch (opt) {
	case 'e':
		err = cli_parse_u64_in(arg, 1000, EVENTS_MAX, &o->events);
		break;
	case 'k':
		err = cli_parse_u64_in(arg, 1, KEYS_MAX, &v);
		o->keys = (uint32_t)v;
		break;
	case 'r':
		err = cli_parse_u64_in(arg, 1, ROUNDS_MAX, &v);
		o->rounds = (uint32_t)v;
		break;
	case 't':
		err = cli_parse_double(arg, 0, 3600, &o->seconds);
		break;
	case 'w':
		err = cli_parse_u64_in(arg, 1, EVENTS_MAX, &v);
		o->watermark_every = (uint32_t)v;
		break;
	case 'd':
		err = cli_parse_u64_in(arg, 1, 1000000, &v);
		o->events_per_ms = (uint32_t)v;
		break;
	case 'b':
		err = cli_parse_u64_in(arg, 0, 3600 * 1000, &v);
		o->bound_ms = (int64_t)v;
		break;
	case 'z':
		err = cli_parse_u64_in(arg, SLIDES_PER_WINDOW, 24 * 3600 * 1000, &v);
		o->size_ms = (int64_t)v;
		break;
	case 's':
		err = cli_parse_u64(arg, &o->seed);
		break;
	default:
		return -EINVAL;
	}
	return err;
}

static int parse_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "events", required_argument, NULL, 'e' },
		{ "keys", required_argument, NULL, 'k' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 't' },
		{ "watermark-every", required_argument, NULL, 'w' },
		{ "events-per-ms", required_argument, NULL, 'd' },
		{ "bound-ms", required_argument, NULL, 'b' },
		{ "size-ms", required_argument, NULL, 'z' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	*o = bench_defaults;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(0);
		}
		if (parse_one(opt, optarg, o) < 0)
			return -EINVAL;
	}
	if (o->size_ms % SLIDES_PER_WINDOW != 0)
		return -EINVAL;
	return optind == argc ? 0 : -EINVAL;
}

static int cases_make(struct bench_case *cases, const struct bench_opts *o, struct errbuf *eb)
{
	static const char *const names[] = { "tumbling count", "tumbling sum", "sliding count",
					      "sliding sum" };

	for (uint32_t index = 0; index < CASES; index++) {
		struct bench_case *c = &cases[index];
		int err;

		c->name = names[index / 2];
		c->kind = index < 4 ? STREAM_WINDOW_TUMBLING : STREAM_WINDOW_SLIDING;
		c->aggregate = index / 2 % 2 ? STREAM_AGGREGATE_SUM : STREAM_AGGREGATE_COUNT;
		c->baseline = index % 2;
		if (!c->baseline) {
			err = operator_make(o, c, eb);
			if (err)
				return err;
			continue;
		}
		c->map = baseline_new(o, index < 4 ? o->size_ms : o->size_ms / SLIDES_PER_WINDOW,
				      c->aggregate == STREAM_AGGREGATE_COUNT);
		if (!c->map)
			return errbuf_set(eb, -ENOMEM, "%s: baseline maps", c->name);
	}
	return 0;
}

static void cases_free(struct bench_case *cases)
{
	for (uint32_t index = 0; index < CASES; index++) {
		stream_operator_free(cases[index].op);
		free(cases[index].empty);
		baseline_free(cases[index].map);
	}
}

static void print_header(const struct bench_opts *o, const struct bench_case *cases)
{
	printf("bench-stream: %" PRIu64 " events a pass, %u keys (uniform), seed %" PRIu64 "\n"
	       "event time: %u events/ms from %" PRId64 " ms (about half negative), each up to %"
	       PRId64 " ms early;\nwatermark: highest time seen - %" PRId64 " - 1, every %u "
	       "events, then +inf; lateness 0\nwindows: tumbling %" PRId64 " ms; sliding %" PRId64
	       " ms every %" PRId64 " ms (size/slide = %d)\n", o->events, o->keys, o->seed,
	       o->events_per_ms, -(int64_t)(o->events / o->events_per_ms / 2), o->bound_ms,
	       o->bound_ms, o->watermark_every, o->size_ms, o->size_ms,
	       o->size_ms / SLIDES_PER_WINDOW, SLIDES_PER_WINDOW);
	printf("operator: at most %u (tumbling) and %u (sliding) window entries held, as many "
	       "pane entries;\nbaseline: one map per open window, %u and %u maps\n",
	       stream_operator_outputs_max(cases[0].op) - 1,
	       stream_operator_outputs_max(cases[4].op) - 1, cases[1].map->maps_count,
	       cases[5].map->maps_count);
}

int main(int argc, char **argv)
{
	struct bench_case cases[CASES] = { 0 };
	struct stream_outputs out = { 0 };
	struct bench_opts o;
	struct errbuf eb = { "" };
	struct event *events;
	int64_t start_ns = monotime_ns(), value_sum = 0;
	uint32_t rounds;
	int err;

	if (parse_opts(argc, argv, &o) < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	events = events_make(&o, &value_sum);
	err = events ? cases_make(cases, &o, &eb) : errbuf_set(&eb, -ENOMEM, "events");
	for (uint32_t index = 0; !err && index < CASES; index += 2) {
		uint32_t capacity = stream_operator_outputs_max(cases[index].op);

		out.capacity = capacity > out.capacity ? capacity : out.capacity;
	}
	out.records = err ? NULL : calloc(out.capacity, sizeof(out.records[0]));
	if (!err && !out.records)
		err = errbuf_set(&eb, -ENOMEM, "%u output records", out.capacity);
	if (err) {
		fprintf(stderr, "bench-stream: %s: %s\n", eb.msg, strerror(-err));
		cases_free(cases);
		free(events);
		return EXIT_INTERNAL;
	}
	print_header(&o, cases);
	rounds = rounds_run(cases, &o, events, &out, value_sum);
	printf("\n%u round(s), best of each; results checked against the baseline's every round\n",
	       rounds);
	print_cases(cases, &o);
	print_goals(cases, &o);
	printf("\ntotal %.1f s, peak RSS %.0f MB\n", (double)(monotime_ns() - start_ns) / 1e9,
	       peak_rss_mb());
	free(out.records);
	cases_free(cases);
	free(events);
	return 0;
}
