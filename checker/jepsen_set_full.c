/* SPDX-License-Identifier: MIT */
/*
 * jepsen_set_full.c - Jepsen's checker/set-full, written afresh: it matches the public
 * behaviour of jepsen.checker/set-full (jepsen/src/jepsen/checker.clj, SetFullElement and
 * set-full-results). Per element, in history order: the add invoked starts (or restarts) its
 * record; it is *known* at the first ok add or ok read showing it; each ok read moves its
 * last present or last absent read invocation forward. It is *stable* when some read shows
 * it and began after the last read that missed it; *lost* when known, and the last read
 * that missed it began after both the last read that showed it and the moment it was known;
 * *never-read* otherwise. Latencies are Jepsen's: whole milliseconds, from known to one
 * nanosecond after the last absent (stable) or last present (lost) read invocation.
 */
#include "jepsen_set.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"
#include "jepsen_elements.h"

enum {
	FULL_FIGURE_BYTES_MAX = 1024,   /* one printed set in the figures */
	FULL_WORST_STALE_MAX = 8,       /* Jepsen's :worst-stale takes 8 */
	FULL_DUPLICATES_SHOWN_MAX = 16,
};

#define NO_OP HIST_NO_PAIR

enum outcome { OUTCOME_NEVER_READ, OUTCOME_STABLE, OUTCOME_LOST };

/* One element's timeline; op indices NO_OP when none. last_present and last_absent are
 * read *invocations*; known is the ok add or ok read completion that first showed it. */
struct full_element {
	uint64_t add_invoke, known, last_present, last_absent;
	uint64_t seen_in_read;          /* serial (1-based) of the last read showing it */
	uint32_t seen_times;            /* how often that read showed it */
	uint32_t duplicated_max;        /* most times one read showed it; > 1 is a duplicate */
	int64_t latency_ms;             /* stable or lost latency, once judged */
	enum outcome outcome;
	bool tracked;                   /* some add of it was invoked */
};

/* Invariants: elements[] has an entry for every element of @pool; tracked[] lists, in order
 * of first add, the ids whose element is tracked. */
struct full_scan {
	const struct history *h;
	struct jepsen_elements *pool;
	struct full_element *elements;
	uint32_t slots;
	uint32_t *tracked;
	uint32_t tracked_count, tracked_slots;
	uint64_t read_serial;
	uint64_t counts[3];             /* by enum outcome */
	uint64_t stale_count, duplicated_count;
};

static int fit(struct full_scan *s, struct errbuf *eb)
{
	void *array = s->elements;
	int err = jepsen_elements_fit(s->pool, &array, &s->slots, sizeof(*s->elements), eb);

	s->elements = array;
	array = s->tracked;
	if (!err)
		err = jepsen_elements_fit(s->pool, &array, &s->tracked_slots, sizeof(*s->tracked),
					  eb);
	s->tracked = array;
	return err;
}

static int add_seen(struct full_scan *s, uint64_t i, struct errbuf *eb)
{
	const struct op *op = &s->h->ops[i];
	uint64_t invoke = op->type == OP_INVOKE ? i : hist_pair(s->h, i);
	struct full_element *e;
	uint32_t id;
	int err;

	if (op->type != OP_INVOKE && op->type != OP_OK)
		return 0;
	ASSERT(invoke != NO_OP);
	err = jepsen_elements_intern(s->pool, &s->h->ops[invoke].value, &id, eb);
	if (!err)
		err = fit(s, eb);
	if (err)
		return errbuf_prefix(eb, err, "op %" PRIu64 ": ", i);
	e = &s->elements[id];
	if (op->type == OP_OK) {
		if (e->tracked && e->known == NO_OP)
			e->known = i;
		return 0;
	}
	if (!e->tracked)
		s->tracked[s->tracked_count++] = id;
	/* As Jepsen's (assoc elements v (set-full-element op)): a new add starts afresh. */
	*e = (struct full_element){ .add_invoke = i, .known = NO_OP, .last_present = NO_OP,
				    .last_absent = NO_OP, .seen_in_read = e->seen_in_read,
				    .seen_times = e->seen_times,
				    .duplicated_max = e->duplicated_max, .tracked = true };
	ASSERT(s->tracked_count <= jepsen_elements_count(s->pool));
	return 0;
}

/* Moves @slot to the later of itself and @invoke, by index. */
static void latest(uint64_t *slot, uint64_t invoke)
{
	if (*slot == NO_OP || *slot < invoke)
		*slot = invoke;
}

static int read_seen(struct full_scan *s, uint64_t i, struct errbuf *eb)
{
	uint64_t invoke = hist_pair(s->h, i), serial = ++s->read_serial;
	const uint32_t *ids;
	uint32_t count;
	int err;

	ASSERT(invoke != NO_OP);
	err = jepsen_elements_intern_all(s->pool, &s->h->ops[i].value, &ids, &count, eb);
	if (!err)
		err = fit(s, eb);
	if (err)
		return errbuf_prefix(eb, err, "op %" PRIu64 " (a read): ", i);
	for (uint32_t k = 0; k < count; k++) {
		struct full_element *e = &s->elements[ids[k]];

		e->seen_times = e->seen_in_read == serial ? e->seen_times + 1 : 1;
		e->seen_in_read = serial;
		if (e->seen_times > e->duplicated_max)
			e->duplicated_max = e->seen_times;
	}
	/* Every element tracked so far: O(tracked) per read, as Jepsen's map-kv. */
	for (uint32_t k = 0; k < s->tracked_count; k++) {
		struct full_element *e = &s->elements[s->tracked[k]];

		if (e->seen_in_read == serial) {
			if (e->known == NO_OP)
				e->known = i;
			latest(&e->last_present, invoke);
		} else {
			latest(&e->last_absent, invoke);
		}
	}
	return 0;
}

static int scan(struct full_scan *s, const char *add_f, const char *read_f,
		struct errbuf *eb)
{
	int err = 0;

	for (uint64_t i = 0; !err && i < s->h->count; i++) {
		const struct op *op = &s->h->ops[i];

		if (op->process < 0)
			continue;
		if (strcmp(op->f, add_f) == 0)
			err = add_seen(s, i, eb);
		else if (strcmp(op->f, read_f) == 0 && op->type == OP_OK)
			err = read_seen(s, i, eb);
	}
	return err;
}

/* Jepsen's (-> t (- known-time) (max 0) util/nanos->ms long). */
static int64_t latency_ms(int64_t time_ns, int64_t known_ns)
{
	int64_t gap = time_ns > known_ns ? time_ns - known_ns : 0;

	return gap / 1000000;
}

static void judge(struct full_scan *s, struct full_element *e)
{
	const struct op *ops = s->h->ops;
	/* Jepsen compares (:index x -1): an absent read counts as index -1. */
	int64_t present = e->last_present == NO_OP ? -1 : (int64_t)e->last_present;
	int64_t absent = e->last_absent == NO_OP ? -1 : (int64_t)e->last_absent;

	e->outcome = OUTCOME_NEVER_READ;
	e->latency_ms = 0;
	if (e->last_present != NO_OP && absent < present) {
		int64_t stable_ns = e->last_absent == NO_OP ? 0 : ops[e->last_absent].time_ns + 1;

		ASSERT(e->known != NO_OP);
		e->outcome = OUTCOME_STABLE;
		e->latency_ms = latency_ms(stable_ns, ops[e->known].time_ns);
		s->stale_count += e->latency_ms > 0;
	} else if (e->known != NO_OP && e->last_absent != NO_OP && present < absent &&
		   e->known < e->last_absent) {
		int64_t lost_ns = e->last_present == NO_OP ? 0 : ops[e->last_present].time_ns + 1;

		e->outcome = OUTCOME_LOST;
		e->latency_ms = latency_ms(lost_ns, ops[e->known].time_ns);
	}
	s->counts[e->outcome]++;
	s->duplicated_count += e->duplicated_max > 1;
}

static void report_element(struct full_scan *s, uint32_t id, bool linearizable,
			   struct check_result *result)
{
	const struct full_element *e = &s->elements[id];
	uint64_t ops[4] = { e->add_invoke, e->known, e->last_absent, e->last_present };
	char name[64], seen[48] = "no read";

	jepsen_elements_format(s->pool, id, name, sizeof(name));
	if (e->last_present != NO_OP)
		snprintf(seen, sizeof(seen), "the read invoked at op %" PRIu64, e->last_present);
	if (e->outcome == OUTCOME_LOST)
		check_result_add_anomaly(
			result, "lost", ops, e->last_present == NO_OP ? 3 : 4,
			"element %s lost: known at op %" PRIu64 ", then missing from the read "
			"invoked at op %" PRIu64 " and every read after it (last seen by %s); "
			"lost latency %" PRId64 " ms", name, e->known, e->last_absent, seen,
			e->latency_ms);
	if (linearizable && e->outcome == OUTCOME_STABLE && e->latency_ms > 0)
		check_result_add_anomaly(
			result, "stale", ops, 3,
			"element %s stale: known at op %" PRIu64 ", yet missing from the read "
			"invoked at op %" PRIu64 "; stable latency %" PRId64 " ms", name, e->known,
			e->last_absent, e->latency_ms);
}

static bool is_stale(const struct full_element *e)
{
	return e->outcome == OUTCOME_STABLE && e->latency_ms > 0;
}

/* The figures line "NAME: #{...}" of the tracked elements @which selects; @ids has room
 * for every tracked element. */
static void figure_set(struct full_scan *s, uint32_t *ids, const char *name,
		       bool (*which)(const struct full_element *e), struct check_result *result)
{
	char text[FULL_FIGURE_BYTES_MAX];
	uint32_t count = 0;

	for (uint32_t k = 0; k < s->tracked_count; k++) {
		if (which(&s->elements[s->tracked[k]]))
			ids[count++] = s->tracked[k];
	}
	jepsen_elements_format_set(s->pool, ids, count, text, sizeof(text));
	check_result_add_figures(result, "%s: %s\n", name, text);
}

static bool is_lost(const struct full_element *e)
{
	return e->outcome == OUTCOME_LOST;
}

static bool is_never_read(const struct full_element *e)
{
	return e->outcome == OUTCOME_NEVER_READ;
}

static int compare_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Jepsen's frequency-distribution at points 0, 0.5, 0.95, 0.99 and 1 of the latencies of
 * the elements with @outcome; @latencies has room for every tracked element. */
static void figure_latencies(struct full_scan *s, int64_t *latencies, enum outcome outcome,
			     const char *name, struct check_result *result)
{
	static const unsigned percent[] = { 0, 50, 95, 99, 100 };
	uint32_t n = 0;

	for (uint32_t k = 0; k < s->tracked_count; k++) {
		const struct full_element *e = &s->elements[s->tracked[k]];

		if (e->outcome == outcome)
			latencies[n++] = e->latency_ms;
	}
	if (n == 0)
		return;
	qsort(latencies, n, sizeof(*latencies), compare_int64);
	check_result_add_figures(result, "%s (ms):", name);
	for (size_t p = 0; p < ARRAY_SIZE(percent); p++) {
		uint64_t at = (uint64_t)n * percent[p] / 100;

		at = at < n - 1 ? at : n - 1;
		check_result_add_figures(result, " %u%%: %" PRId64, percent[p], latencies[at]);
	}
	check_result_add_figures(result, "\n");
}

/* Jepsen's :worst-stale: the stale elements with the highest stable latencies. */
static void figure_worst_stale(struct full_scan *s, struct check_result *result)
{
	uint32_t shown[FULL_WORST_STALE_MAX], shown_count = 0;

	while (shown_count < FULL_WORST_STALE_MAX) {
		uint32_t best = UINT32_MAX;
		char name[64];

		for (uint32_t k = 0; k < s->tracked_count; k++) {
			uint32_t id = s->tracked[k];
			bool taken = false;

			for (uint32_t j = 0; j < shown_count; j++)
				taken = taken || shown[j] == id;
			if (taken || !is_stale(&s->elements[id]))
				continue;
			if (best == UINT32_MAX ||
			    s->elements[id].latency_ms > s->elements[best].latency_ms)
				best = id;
		}
		if (best == UINT32_MAX)
			return;
		shown[shown_count++] = best;
		jepsen_elements_format(s->pool, best, name, sizeof(name));
		check_result_add_figures(result, "worst-stale: %s stable latency %" PRId64
					 " ms (known op %" PRIu64 ", last absent read op %" PRIu64
					 ")\n", name, s->elements[best].latency_ms,
					 s->elements[best].known, s->elements[best].last_absent);
	}
}

static void figure_duplicates(struct full_scan *s, struct check_result *result)
{
	uint32_t shown = 0;
	char name[64];

	if (s->duplicated_count == 0)
		return;
	check_result_add_figures(result, "duplicated (most times one read showed it; not "
				 "part of the verdict, as in Jepsen):");
	for (uint32_t k = 0; k < s->tracked_count && shown < FULL_DUPLICATES_SHOWN_MAX; k++) {
		const struct full_element *e = &s->elements[s->tracked[k]];

		if (e->duplicated_max <= 1)
			continue;
		shown++;
		jepsen_elements_format(s->pool, s->tracked[k], name, sizeof(name));
		check_result_add_figures(result, " %s x%u", name, e->duplicated_max);
	}
	check_result_add_figures(result, "%s\n", s->duplicated_count > shown ? " ..." : "");
}

static int report(struct full_scan *s, bool linearizable, struct check_result *result,
		  struct errbuf *eb)
{
	uint64_t bytes = (uint64_t)s->tracked_count * sizeof(int64_t);
	int64_t *scratch;
	int err;

	for (uint32_t k = 0; k < s->tracked_count; k++)
		judge(s, &s->elements[s->tracked[k]]);
	for (uint32_t k = 0; k < s->tracked_count; k++)
		report_element(s, s->tracked[k], linearizable, result);
	/* Jepsen's cond: lost first, then no stable element is unknown. */
	if (s->counts[OUTCOME_LOST] == 0 && s->counts[OUTCOME_STABLE] == 0)
		check_result_set_unknown(result, "no element is stable: %" PRIu64 " attempted, "
					 "%" PRIu64 " never read", (uint64_t)s->tracked_count,
					 s->counts[OUTCOME_NEVER_READ]);
	check_result_add_figures(
		result, "set-full: attempt-count %u, stable-count %" PRIu64 ", lost-count %"
		PRIu64 ", never-read-count %" PRIu64 ", stale-count %" PRIu64
		", duplicated-count %" PRIu64 "%s\n", s->tracked_count,
		s->counts[OUTCOME_STABLE], s->counts[OUTCOME_LOST],
		s->counts[OUTCOME_NEVER_READ], s->stale_count, s->duplicated_count,
		linearizable ? " (linearizable: stale is invalid)" : "");
	err = jepsen_elements_reserve(s->pool, bytes, eb);
	if (err)
		return err;
	scratch = malloc(bytes ? bytes : 1);
	if (!scratch)
		return errbuf_set(eb, -ENOMEM, "out of memory for %u elements", s->tracked_count);
	/* One scratch array serves as uint32_t ids and as int64_t latencies. */
	figure_set(s, (uint32_t *)(void *)scratch, "lost", is_lost, result);
	figure_set(s, (uint32_t *)(void *)scratch, "never-read", is_never_read, result);
	figure_set(s, (uint32_t *)(void *)scratch, "stale", is_stale, result);
	figure_worst_stale(s, result);
	figure_latencies(s, scratch, OUTCOME_STABLE, "stable-latencies", result);
	figure_latencies(s, scratch, OUTCOME_LOST, "lost-latencies", result);
	figure_duplicates(s, result);
	free(scratch);
	return 0;
}

static int set_full_check(const struct checker *checker, const struct check_run *run,
			  const struct check_opts *opts, struct check_result *result,
			  struct errbuf *eb)
{
	struct full_scan s = { .h = run->history };
	int err;

	ASSERT(checker == &jepsen_set_full_checker);
	result->model = checker->ops->name;  /* the summary's "model:" line */
	ASSERT(s.h);
	err = jepsen_elements_new(&s.pool, opts->memory_bytes_max, eb);
	if (!err)
		err = scan(&s, opts->add_f ? opts->add_f : "add",
			   opts->read_f ? opts->read_f : "read", eb);
	if (!err)
		err = report(&s, opts->linearizable, result, eb);
	ASSERT(err || s.counts[0] + s.counts[1] + s.counts[2] == s.tracked_count);
	free(s.elements);
	free(s.tracked);
	jepsen_elements_free(s.pool);
	return err;
}

const struct checker_ops jepsen_set_full_ops = {
	.name = "set-full",
	.check = set_full_check,
};

const struct checker jepsen_set_full_checker = { .ops = &jepsen_set_full_ops };
