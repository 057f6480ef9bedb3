/* SPDX-License-Identifier: MIT */
/* bench_chord.c - Chord routing figures from the pure core (nodes/chord): lookup hops on
 * ideal rings of up to 65536 nodes, hops on rings grown by joins with and without
 * fix-fingers, and the ticks until a ring is ideal again after a quarter more nodes join
 * at once. Prints figures; asserts no timing. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "chord.h"
#include "cli_parse.h"
#include "chord_sim.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"
#include "prng.h"

enum {
	NODES_MIN = 16,
	NODES_MAX = 65536,              /* --max-nodes, and its default */
	LOOKUPS_DEFAULT = 2000,
	LOOKUPS_MAX = 1000000,
	SUCC_R = 3,                     /* the successor list length, as chord-node's */
	/* chord-node's periods (chord_main.c, chord_net.h), in its 10 ms ticks. */
	TICK_MS = 10,
	STABILIZE_TICKS = 5,
	FIX_FINGERS_TICKS = 2,
	CHECK_PRED_TICKS = 5,
	RPC_TIMEOUT_TICKS = 40,             /* as chord-node (chord_main.c) */
	MERGE_TICKS = 20,
	SIM_NODES_MAX = 256,            /* sections 2 and 3 run on chord_sim */
	JOIN_GAP_TICKS = 5,             /* section 2: ticks between one join and the next */
	SETTLE_TICKS = 20,              /* section 3: ticks on the ideal ring before the joins */
	CONVERGE_TICKS_MAX = 20000,     /* a ring not ideal by then is reported as such */
	BATCH_LOOKUPS = 32,             /* section 2: lookups in flight at once */
	BATCH_TICKS_MAX = 2000,         /* a batch unanswered by then is reported as such */
	QUEUE_MAX = 64,                 /* section 1: sends in flight within one lookup */
	STEPS_MAX = 4 * CHORD_PATH_MAX, /* section 1: chord_step() calls within one lookup */
	HOPS_MAX = CHORD_BITS_MAX + CHORD_SUCC_MAX,     /* a lookup asks no more nodes */
	NAME_BYTES_MAX = 16,            /* "n65600" and its NUL */
	NAMES_TRIES_MAX = 8,
	EXIT_WRONG = 1,
	EXIT_USAGE = 64,
	EXIT_INTERNAL = 70,
};
STATIC_ASSERT(SIM_NODES_MAX + SIM_NODES_MAX / 4 <= CSIM_NODES_MAX, "section 3 fits chord_sim");
STATIC_ASSERT((int)HOPS_MAX < (int)CHORD_PATH_MAX, "a result's hops fit the histogram");

struct bench_opts {
	uint32_t nodes_max;             /* NODES_MIN .. NODES_MAX */
	uint32_t lookups;               /* 1 .. LOOKUPS_MAX */
	uint64_t seed;
};

static const struct bench_opts bench_defaults = {
	.nodes_max = NODES_MAX, .lookups = LOOKUPS_DEFAULT, .seed = 20261207,
};

/* Distinct 32-bit ids of the names n1, n2, ...: a name whose id repeats an earlier name's
 * is skipped, so ids[0 .. count) are the first count distinct ones, in name order. */
struct names {
	uint32_t count;
	uint32_t skipped;
	uint64_t *ids;
};

/* One ring's lookups: every result's hops, and the answers that were not the owner. */
struct hop_stats {
	uint32_t lookups;
	uint32_t wrong;                 /* OK, but the owner is not successor(key) */
	uint32_t failed;                /* not OK: too-long, timeout, busy, ... */
	uint64_t hops_sum;
	uint32_t histogram[HOPS_MAX + 1];       /* by hops */
};

/* ---- Names and ids ----------------------------------------------------------------------- */

struct named_id {
	uint64_t id;
	uint32_t name;                  /* n<name + 1> */
};

static int named_id_cmp(const void *a, const void *b)
{
	const struct named_id *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

/* The first @count distinct ids of n1, n2, ... into @out (caller frees out->ids). */
static int names_init(struct names *out, uint32_t count, const struct chord_space *space)
{
	uint32_t tried = count;

	*out = (struct names){ .ids = calloc(count, sizeof(uint64_t)) };
	if (!out->ids)
		return -ENOMEM;
	for (uint32_t attempt = 0; attempt < NAMES_TRIES_MAX; attempt++) {
		struct named_id *all = calloc(tried, sizeof(*all));
		bool *repeat = calloc(tried, sizeof(*repeat));

		if (!all || !repeat) {
			free(all);
			free(repeat);
			return -ENOMEM;
		}
		for (uint32_t k = 0; k < tried; k++) {
			char name[NAME_BYTES_MAX];
			int size = snprintf(name, sizeof(name), "n%" PRIu32, k + 1);

			ASSERT(size > 0 && size < (int)sizeof(name));
			all[k] = (struct named_id){ chord_hash(space, name, (size_t)size), k };
		}
		qsort(all, tried, sizeof(*all), named_id_cmp);
		for (uint32_t k = 1; k < tried; k++) {
			if (all[k].id == all[k - 1].id)
				repeat[all[k].name] = true;     /* the later name of the two */
		}
		free(all);
		out->count = out->skipped = 0;
		for (uint32_t k = 0; k < tried && out->count < count; k++) {
			char name[NAME_BYTES_MAX];
			int size = snprintf(name, sizeof(name), "n%" PRIu32, k + 1);

			if (repeat[k]) {
				out->skipped++;
				continue;
			}
			out->ids[out->count++] = chord_hash(space, name, (size_t)size);
		}
		free(repeat);
		if (out->count == count)
			return 0;
		tried += count - out->count + 16;
	}
	return -E2BIG;
}

/* ---- Statistics ---------------------------------------------------------------------------- */

static void stats_add(struct hop_stats *st, const struct chord_lookup_result *res,
		      uint64_t owner_id)
{
	ASSERT(res->hops <= HOPS_MAX);
	st->lookups++;
	st->hops_sum += res->hops;
	st->histogram[res->hops]++;
	if (res->status != CHORD_LOOKUP_OK)
		st->failed++;
	else if (res->owner.id != owner_id)
		st->wrong++;
}

/* The smallest hop count that at least @q of the lookups did not exceed. */
static uint32_t stats_quantile(const struct hop_stats *st, double q)
{
	uint64_t want = (uint64_t)ceil(q * st->lookups), seen = 0;

	for (uint32_t h = 0; h <= HOPS_MAX; h++) {
		seen += st->histogram[h];
		if (seen >= want && seen > 0)
			return h;
	}
	return HOPS_MAX;
}

static double target_hops(uint32_t nodes)
{
	return 0.5 * log2((double)nodes) + 0.5;
}

/* "mean p50 p99 max target ok|OVER" for one row. */
static void stats_print(const struct hop_stats *st, uint32_t nodes)
{
	double mean = st->lookups ? (double)st->hops_sum / st->lookups : 0;
	uint32_t max = 0;

	for (uint32_t h = 0; h <= HOPS_MAX; h++) {
		if (st->histogram[h])
			max = h;
	}
	printf(" %6.3f %4u %4u %4u %6.3f %-4s", mean, stats_quantile(st, 0.5),
	       stats_quantile(st, 0.99), max, target_hops(nodes),
	       mean <= target_hops(nodes) ? "ok" : "OVER");
}

static double peak_rss_mb(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return -1;
	return (double)ru.ru_maxrss / 1024.0;
}

static double ms_since(int64_t start_ns)
{
	return (double)(monotime_ns() - start_ns) / 1e6;
}

/* The index among @count ascending @ids of successor(@key): the first id >= key, wrapping. */
static uint32_t owner_index(const uint64_t *ids, uint32_t count, uint64_t key)
{
	uint32_t low = 0, high = count;

	while (low < high) {
		uint32_t mid = low + (high - low) / 2;

		if (ids[mid] < key)
			low = mid + 1;
		else
			high = mid;
	}
	return low % count;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int peer_cmp(const void *a, const void *b)
{
	return u64_cmp(&((const struct chord_peer *)a)->id, &((const struct chord_peer *)b)->id);
}

/* ---- Section 1: ideal rings, lookups delivered at once --------------------------------- */

/*
 * Invariants: nodes[k] has addr k + 1 and the id names->ids[k]; sorted holds the same
 * peers by id; sorted_ids their ids. Nothing ticks, so no request times out: a lookup's
 * messages are delivered in order, at once, until its LOOKUP event comes. Latency would
 * change no hop count on a ring where nothing changes.
 */
struct lean_ring {
	uint32_t count;
	struct chord_node **nodes;
	struct chord_peer *sorted;
	uint64_t *sorted_ids;
	struct chord_outputs out;       /* of the last chord_step() */
	uint32_t queue_head, queue_count;
	struct chord_send queue[QUEUE_MAX];     /* FIFO of sends not yet delivered */
};

static void lean_free(struct lean_ring *lr)
{
	if (!lr)
		return;
	for (uint32_t k = 0; lr->nodes && k < lr->count; k++)
		chord_node_free(lr->nodes[k]);
	free(lr->nodes);
	free(lr->sorted);
	free(lr->sorted_ids);
	free(lr);
}

static struct chord_config node_config(uint64_t id, uint32_t addr, uint32_t bugs)
{
	return (struct chord_config){ .self = { .id = id, .addr = addr },
				      .bits = CHORD_BITS_MAX, .succ_max = SUCC_R,
				      .stabilize_ticks = STABILIZE_TICKS,
				      .fix_fingers_ticks = FIX_FINGERS_TICKS,
				      .check_pred_ticks = CHECK_PRED_TICKS,
				      .rpc_timeout_ticks = RPC_TIMEOUT_TICKS, .bugs = bugs };
}

/* The first @count names as a ring with exact pointers; NULL on a failure (@eb says). */
static struct lean_ring *lean_new(const struct names *names, uint32_t count,
				  struct errbuf *eb)
{
	struct lean_ring *lr = calloc(1, sizeof(*lr));
	int err = 0;

	ASSERT(count <= names->count);
	if (!lr || !(lr->nodes = calloc(count, sizeof(lr->nodes[0]))) ||
	    !(lr->sorted = calloc(count, sizeof(lr->sorted[0]))) ||
	    !(lr->sorted_ids = calloc(count, sizeof(lr->sorted_ids[0])))) {
		errbuf_set(eb, -ENOMEM, "%" PRIu32 " nodes", count);
		lean_free(lr);
		return NULL;
	}
	for (uint32_t k = 0; k < count && err == 0; k++) {
		struct chord_config c = node_config(names->ids[k], k + 1, 0);

		err = chord_node_new(&c, &lr->nodes[k], eb);
		lr->count = k + 1;
		lr->sorted[k] = c.self;
	}
	qsort(lr->sorted, count, sizeof(lr->sorted[0]), peer_cmp);
	for (uint32_t k = 0; k < count && err == 0; k++) {
		lr->sorted_ids[k] = lr->sorted[k].id;
		err = chord_node_start_ideal(lr->nodes[k], lr->sorted, count);
		if (err)
			errbuf_set(eb, err, "start_ideal: node n%" PRIu32, k + 1);
	}
	if (err) {
		lean_free(lr);
		return NULL;
	}
	return lr;
}

/* Feeds @in to node @index; queues its sends; a LOOKUP event is copied to @res. */
static bool lean_step(struct lean_ring *lr, uint32_t index, const struct chord_input *in,
		      struct chord_lookup_result *res)
{
	bool done = false;

	ASSERT(index < lr->count);
	ASSERT(chord_step(lr->nodes[index], in, &lr->out) == 0);
	for (uint32_t k = 0; k < lr->out.send_count; k++) {
		ASSERT(lr->queue_count < QUEUE_MAX);
		ASSERT(lr->out.sends[k].to >= 1 && lr->out.sends[k].to <= lr->count);
		lr->queue[(lr->queue_head + lr->queue_count++) % QUEUE_MAX] = lr->out.sends[k];
	}
	for (uint32_t k = 0; k < lr->out.event_count; k++) {
		if (lr->out.events[k].type == CHORD_EV_LOOKUP) {
			*res = lr->out.events[k].lookup;
			done = true;
		}
	}
	return done;
}

/* Node @origin looks up @key; every message is delivered before this returns. */
static void lean_lookup(struct lean_ring *lr, uint32_t origin, uint64_t key,
			struct chord_lookup_result *res)
{
	struct chord_input in = { .type = CHORD_IN_LOOKUP, .key = key, .tag = key };
	bool done = lean_step(lr, origin, &in, res);
	uint32_t steps = 1;

	while (!done) {
		struct chord_send send;

		ASSERT(lr->queue_count > 0);    /* an unanswered lookup always has a message out */
		ASSERT(steps++ < STEPS_MAX);
		send = lr->queue[lr->queue_head];
		lr->queue_head = (lr->queue_head + 1) % QUEUE_MAX;
		lr->queue_count--;
		in = (struct chord_input){ .type = CHORD_IN_MESSAGE, .msg = &send.msg };
		done = lean_step(lr, send.to - 1, &in, res);
	}
	ASSERT(res->tag == key);
	ASSERT(lr->queue_count == 0);   /* the owner's pong was the last message */
}

static const uint32_t ring_sizes[] = { 16, 32, 64, 128, 256, 1024, 4096, 16384, 65536 };

static int section_ideal(const struct bench_opts *o, const struct names *names,
			 struct prng *prng, uint32_t *wrong_total)
{
	struct errbuf eb = { "" };

	printf("\n1. Ideal rings: exact pointers (chord_node_start_ideal), 32-bit ids, r = %d;\n"
	       "   lookups of random keys from random nodes, messages delivered at once.\n",
	       SUCC_R);
	printf("%6s %7s %6s %4s %4s %4s %6s %-4s %5s %6s %8s %8s\n", "nodes", "lookups",
	       "mean", "p50", "p99", "max", "target", "", "wrong", "failed", "build ms",
	       "peak MB");
	for (uint32_t s = 0; s < sizeof(ring_sizes) / sizeof(ring_sizes[0]); s++) {
		uint32_t count = ring_sizes[s];
		struct hop_stats st = { 0 };
		struct lean_ring *lr;
		int64_t start = monotime_ns();
		double build_ms;

		if (count > o->nodes_max)
			break;
		lr = lean_new(names, count, &eb);
		if (!lr) {
			fprintf(stderr, "bench-chord: %s\n", eb.msg);
			return EXIT_INTERNAL;
		}
		build_ms = ms_since(start);
		for (uint32_t k = 0; k < o->lookups; k++) {
			uint64_t key = prng_next(prng) & UINT32_MAX;
			uint32_t origin = (uint32_t)prng_below(prng, count);
			struct chord_lookup_result res;

			lean_lookup(lr, origin, key, &res);
			stats_add(&st, &res, lr->sorted_ids[owner_index(lr->sorted_ids, count,
									 key)]);
		}
		printf("%6" PRIu32 " %7" PRIu32, count, st.lookups);
		stats_print(&st, count);
		printf(" %5" PRIu32 " %6" PRIu32 " %8.1f %8.1f\n", st.wrong, st.failed, build_ms,
		       peak_rss_mb());
		*wrong_total += st.wrong + st.failed;
		lean_free(lr);
	}
	return 0;
}

/* ---- Sections 2 and 3: chord_sim, at chord-node's periods ------------------------------ */

/* chord-node's periods and r; 32-bit ids; every message takes exactly one tick. */
static void sim_opts(struct csim_opts *so, uint64_t seed, uint32_t bugs)
{
	csim_defaults(so, seed);
	so->bits = CHORD_BITS_MAX;
	so->succ_max = SUCC_R;
	so->bugs = bugs;
	so->stabilize_ticks = STABILIZE_TICKS;
	so->fix_fingers_ticks = FIX_FINGERS_TICKS;
	so->check_pred_ticks = CHECK_PRED_TICKS;
	so->rpc_timeout_ticks = RPC_TIMEOUT_TICKS;
	so->latency_max = 1;
	so->drop_p = 0;
	so->merge_ticks = MERGE_TICKS;
}

/* The members' ids, ascending, into @ids; their count. */
static uint32_t sim_members(const struct csim *s, uint64_t *ids)
{
	uint32_t m = 0;

	ASSERT(csim_count(s) <= CSIM_NODES_MAX);
	for (uint32_t i = 0; i < csim_count(s); i++) {
		if (csim_joined(s, i))
			ids[m++] = csim_id(s, i);
	}
	qsort(ids, m, sizeof(ids[0]), u64_cmp);
	return m;
}

/*
 * Whether @s has @want members, each with exact pred and successor list, and, if
 * @fingers, exact fingers: csim_ideal() with a member count, at O(n log n) rather than
 * O(n^2), so that it can run every tick. The caller confirms with csim_ideal() at the end.
 */
static bool sim_exact(const struct csim *s, const struct chord_space *space, uint32_t want,
		      bool fingers)
{
	uint64_t ids[CSIM_NODES_MAX];
	uint32_t m = sim_members(s, ids);
	struct chord_view v;

	if (m != want)
		return false;
	for (uint32_t i = 0; i < csim_count(s); i++) {
		uint64_t id = csim_id(s, i);
		uint32_t p = owner_index(ids, m, id);

		if (!csim_joined(s, i))
			continue;
		ASSERT(ids[p] == id);
		chord_node_view(csim_node(s, i), &v);
		if (!v.has_pred || v.pred.id != ids[(p + m - 1) % m] || v.succ_count != SUCC_R)
			return false;
		for (uint32_t k = 0; k < SUCC_R; k++) {
			if (v.succ[k].id != ids[(p + 1 + k) % m])
				return false;
		}
		for (uint32_t j = 0; fingers && j < CHORD_BITS_MAX; j++) {
			uint64_t start = chord_finger_start(space, id, j);

			if (!v.finger_set[j] || v.finger[j].id != ids[owner_index(ids, m, start)])
				return false;
		}
	}
	return true;
}

/* A node that is not a member (its join failed: too long, or timed out) joins again through
 * a random member, as chord-node does after a failed join; a join in progress ignores it. */
static void sim_rejoin(struct csim *s, struct prng *prng)
{
	uint32_t members[CSIM_NODES_MAX], m = 0;

	for (uint32_t i = 0; i < csim_count(s); i++) {
		if (csim_joined(s, i))
			members[m++] = i;
	}
	for (uint32_t i = 0; m > 0 && m < csim_count(s) && i < csim_count(s); i++) {
		if (!csim_joined(s, i))
			csim_join(s, i, members[prng_below(prng, m)]);
	}
}

/* Ticks until sim_exact(); CONVERGE_TICKS_MAX + 1 if it never was within the bound. */
static uint32_t sim_converge(struct csim *s, const struct chord_space *space, uint32_t want,
			     bool fingers, struct prng *prng)
{
	uint32_t t = 0;

	while (!sim_exact(s, space, want, fingers)) {
		if (t == CONVERGE_TICKS_MAX)
			return CONVERGE_TICKS_MAX + 1;
		sim_rejoin(s, prng);
		csim_run(s, 1);
		t++;
	}
	return t;
}

static bool batch_answered(const struct csim *s, uint64_t first_tag, uint32_t count)
{
	for (uint32_t b = 0; b < count; b++) {
		if (!csim_result(s, first_tag + b))
			return false;
	}
	return true;
}

/* @lookups of random keys from random members, BATCH_LOOKUPS in flight at a time: the
 * ring no longer changes, so concurrency changes no hop count, only the ticks spent. */
static void sim_lookups(struct csim *s, uint32_t lookups, struct prng *prng,
			struct hop_stats *st)
{
	uint64_t ids[CSIM_NODES_MAX], keys[BATCH_LOOKUPS];
	uint32_t m = sim_members(s, ids), members[CSIM_NODES_MAX], member_count = 0;
	uint64_t tag = 1;

	ASSERT(lookups <= CSIM_RESULTS_MAX);
	for (uint32_t i = 0; i < csim_count(s); i++) {
		if (csim_joined(s, i))
			members[member_count++] = i;
	}
	ASSERT(member_count == m && m > 0);
	for (uint32_t done = 0; done < lookups;) {
		uint32_t batch = lookups - done < BATCH_LOOKUPS ? lookups - done : BATCH_LOOKUPS;

		for (uint32_t b = 0; b < batch; b++) {
			keys[b] = prng_next(prng) & UINT32_MAX;
			csim_lookup(s, members[prng_below(prng, m)], keys[b], tag + b);
		}
		for (uint32_t t = 0; t < BATCH_TICKS_MAX && !batch_answered(s, tag, batch); t++)
			csim_run(s, 1);
		for (uint32_t b = 0; b < batch; b++) {
			const struct chord_lookup_result *res = csim_result(s, tag + b);

			if (res)
				stats_add(st, res, ids[owner_index(ids, m, keys[b])]);
			else
				st->failed++;   /* unanswered within BATCH_TICKS_MAX */
		}
		tag += batch;
		done += batch;
	}
}

static const uint32_t sim_sizes[] = { 16, 32, 64, 128, 256 };
STATIC_ASSERT(sizeof(sim_sizes) / sizeof(sim_sizes[0]) == 5 && SIM_NODES_MAX == 256,
	      "the last simulated size is SIM_NODES_MAX");

static void print_ticks(uint32_t ticks)
{
	if (ticks > CONVERGE_TICKS_MAX)
		printf(" %7s %8s", "never", "-");
	else
		printf(" %7" PRIu32 " %8" PRIu32, ticks, ticks * TICK_MS);
}

static void section_grown(const struct bench_opts *o, const struct chord_space *space,
			  struct prng *prng, uint32_t *wrong_total)
{
	uint32_t lookups = o->lookups < CSIM_RESULTS_MAX ? o->lookups : CSIM_RESULTS_MAX;

	printf("\n2. Rings grown by joins (chord_sim): a base of 4, the others join one by one,\n"
	       "   %d ticks apart, at chord-node's periods; lookups once the successor lists\n"
	       "   are exact (and, in the correct build, the fingers too).\n", JOIN_GAP_TICKS);
	printf("%6s %-14s %7s %8s %7s %6s %4s %4s %4s %6s %-4s %5s %6s\n", "nodes", "build",
	       "ticks", "ms", "lookups", "mean", "p50", "p99", "max", "target", "", "wrong",
	       "failed");
	for (uint32_t z = 0; z < sizeof(sim_sizes) / sizeof(sim_sizes[0]); z++) {
		for (uint32_t b = 0; b < 2 && sim_sizes[z] <= o->nodes_max; b++) {
			uint32_t count = sim_sizes[z], bugs = b ? CHORD_BUG_NO_FIX_FINGERS : 0;
			struct hop_stats st = { 0 };
			struct csim_opts so;
			struct csim *s;
			uint32_t ticks;

			sim_opts(&so, prng_next(prng), bugs);
			s = csim_grown(&so, count, JOIN_GAP_TICKS);
			ticks = sim_converge(s, space, count, bugs == 0, prng);
			sim_lookups(s, lookups, prng, &st);
			printf("%6" PRIu32 " %-14s", count, bugs ? "no-fix-fingers" : "correct");
			print_ticks(ticks + (count - 4) * JOIN_GAP_TICKS);
			printf(" %7" PRIu32, st.lookups);
			stats_print(&st, count);
			printf(" %5" PRIu32 " %6" PRIu32 "\n", st.wrong, st.failed);
			if (!bugs)
				*wrong_total += st.wrong + st.failed + (ticks > CONVERGE_TICKS_MAX);
			csim_free(s);
		}
	}
}

/* One row of section 3: @count members started ideal, then count / 4 join at once. */
static void rejoin_row(uint32_t count, const struct names *names,
		       const struct chord_space *space, struct prng *prng, uint32_t *wrong_total)
{
	uint32_t joiners = count / 4, ring_ticks = 0, ideal_ticks = 0;
	struct csim_opts so;
	struct csim *s;
	char why[128] = "";
	bool ideal;

	sim_opts(&so, prng_next(prng), 0);
	s = csim_new(&so);
	for (uint32_t k = 0; k < count + joiners; k++)
		csim_add(s, names->ids[k]);
	csim_start_ideal(s, 0, count);
	csim_run(s, SETTLE_TICKS);
	ASSERT(sim_exact(s, space, count, true));
	for (uint32_t k = count; k < count + joiners; k++)
		csim_join(s, k, (uint32_t)prng_below(prng, count));
	while (ideal_ticks <= CONVERGE_TICKS_MAX) {
		if (!ring_ticks && sim_exact(s, space, count + joiners, false))
			ring_ticks = ideal_ticks ? ideal_ticks : 1;
		if (sim_exact(s, space, count + joiners, true))
			break;
		sim_rejoin(s, prng);
		csim_run(s, 1);
		ideal_ticks++;
	}
	ideal = csim_ideal(s, why, sizeof(why));
	/* The two judges agree: sim_exact() counted every member, csim_ideal() checked all. */
	if (ideal_ticks <= CONVERGE_TICKS_MAX)
		ASSERT(ideal);
	printf("%6" PRIu32 " %7" PRIu32, count, joiners);
	print_ticks(ring_ticks ? ring_ticks : CONVERGE_TICKS_MAX + 1);
	print_ticks(ideal_ticks);
	printf("%s%s\n", ideal ? "" : "  not ideal: ", ideal ? "" : why);
	*wrong_total += !ideal;
	csim_free(s);
}

static void section_rejoin(const struct bench_opts *o, const struct names *names,
			   const struct chord_space *space, struct prng *prng,
			   uint32_t *wrong_total)
{
	printf("\n3. Convergence (chord_sim): an ideal ring of N, then N/4 nodes join in one tick\n"
	       "   through random members; ticks until every node is a member with exact pred\n"
	       "   and successor list (ring), and exact fingers too (ideal). %d ms ticks, each\n"
	       "   message takes one tick.\n", TICK_MS);
	printf("%6s %7s %7s %8s %7s %8s\n", "nodes", "joiners", "ring", "ring ms", "ideal",
	       "ideal ms");
	for (uint32_t z = 0; z < sizeof(sim_sizes) / sizeof(sim_sizes[0]); z++) {
		if (sim_sizes[z] <= o->nodes_max)
			rejoin_row(sim_sizes[z], names, space, prng, wrong_total);
	}
}

/* ---- Options and main ---------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench-chord [--max-nodes N] [--lookups L] [--seed S]\n"
		"  --max-nodes N  the largest ring, %d .. %d (default %d); sections 2 and 3 stop\n"
		"                 at %d\n"
		"  --lookups L    lookups per ring, 1 .. %d (default %d; section 2 takes at\n"
		"                 most %d)\n"
		"  --seed S       the seed of keys, origins and join points (default %" PRIu64 ")\n"
		"exit: 0 figures printed; %d a correct build answered a lookup wrong or did not\n"
		"converge; %d usage; %d internal error\n",
		NODES_MIN, NODES_MAX, NODES_MAX, SIM_NODES_MAX, LOOKUPS_MAX, LOOKUPS_DEFAULT,
		CSIM_RESULTS_MAX, bench_defaults.seed, EXIT_WRONG, EXIT_USAGE, EXIT_INTERNAL);
}

static int parse_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "max-nodes", required_argument, NULL, 'n' },
		{ "lookups", required_argument, NULL, 'l' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int opt;

	*o = bench_defaults;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (cli_parse_u64_in(optarg, NODES_MIN, NODES_MAX, &v) < 0)
				return -EINVAL;
			o->nodes_max = (uint32_t)v;
			break;
		case 'l':
			if (cli_parse_u64_in(optarg, 1, LOOKUPS_MAX, &v) < 0)
				return -EINVAL;
			o->lookups = (uint32_t)v;
			break;
		case 's':
			if (cli_parse_u64_in(optarg, 0, UINT64_MAX, &o->seed) < 0)
				return -EINVAL;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	return optind == argc ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct chord_space space;
	struct names names;
	struct prng root, prng;
	uint32_t wrong = 0, name_count;
	int64_t start = monotime_ns();
	int rc;

	if (parse_opts(argc, argv, &o) < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	printf("seed=%" PRIu64 "\n", o.seed);
	ASSERT(chord_space_init(&space, CHORD_BITS_MAX) == 0);
	name_count = o.nodes_max > CSIM_NODES_MAX ? o.nodes_max : CSIM_NODES_MAX;
	if (names_init(&names, name_count, &space) < 0) {
		fprintf(stderr, "bench-chord: names: %s\n", strerror(ENOMEM));
		free(names.ids);
		return EXIT_INTERNAL;
	}
	printf("ids: chord_hash(\"n1\" ..) over 32 bits; %" PRIu32 " name(s) skipped as their id"
	       " repeats an earlier one's\n", names.skipped);
	prng_init(&root, o.seed);
	prng_split(&root, 1, &prng);
	rc = section_ideal(&o, &names, &prng, &wrong);
	if (rc == 0) {
		prng_split(&root, 2, &prng);
		section_grown(&o, &space, &prng, &wrong);
		prng_split(&root, 3, &prng);
		section_rejoin(&o, &names, &space, &prng, &wrong);
	}
	printf("\ntotal %.1f s, peak RSS %.1f MB; %" PRIu32 " wrong, failed or unconverged in "
	       "correct builds\n", ms_since(start) / 1e3, peak_rss_mb(), wrong);
	free(names.ids);
	if (rc)
		return rc;
	return wrong ? EXIT_WRONG : 0;
}
