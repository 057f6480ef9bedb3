/* SPDX-License-Identifier: MIT */
/* chord_liveness.c - liveness of a chord run, apart from the verdict: after each disturbance
 * (a fault healed, a churn op done), how long until the lookups were exact again, i.e. from
 * its end to the completion of the last lookup that did not name successor(key) before the
 * next disturbance. Stoica et al. judge lookups the same way during stabilization. */
#include <inttypes.h>
#include <stdlib.h>

#include "checker.h"
#include "chord_judge.h"

/* One disturbance or several that overlap: [from, to]. */
struct stretch {
	int64_t from, to;
};

static int stretch_cmp(const void *a, const void *b)
{
	const struct stretch *x = a, *y = b;

	return x->from < y->from ? -1 : x->from > y->from;
}

static int mark_cmp(const void *a, const void *b)
{
	const struct lookup_mark *x = a, *y = b;

	return x->at < y->at ? -1 : x->at > y->at;
}

/* The spans of @j merged where they overlap, in time order, into @out (room for
 * j->span_count); how many. */
static uint32_t stretches(const struct judge *j, struct stretch *out)
{
	uint32_t n = 0;

	for (uint32_t k = 0; k < j->span_count; k++)
		out[k] = (struct stretch){ j->spans[k].from, j->spans[k].to };
	qsort(out, j->span_count, sizeof(*out), stretch_cmp);
	for (uint32_t k = 0; k < j->span_count; k++) {
		if (n > 0 && out[k].from <= out[n - 1].to)
			out[n - 1].to = out[k].to > out[n - 1].to ? out[k].to : out[n - 1].to;
		else
			out[n++] = out[k];
	}
	return n;
}

struct recovery {
	uint32_t exact_again, still_inexact, unobserved;
	int64_t total_ns, max_ns;
	int64_t last_ns;                /* after the last stretch: -1 inexact, -2 unobserved */
};

/* The lookups after stretch @k, up to the next one, from j->marks (sorted) at *@m on. */
static void after_stretch(const struct judge *j, const struct stretch *s, uint32_t count,
			  uint32_t k, uint32_t *m, struct recovery *r)
{
	int64_t end = s[k].to, next = k + 1 < count ? s[k + 1].from : INT64_MAX;
	int64_t last_inexact = end, took;
	bool seen = false, exact = false;

	while (*m < j->mark_count && j->marks[*m].at <= end)
		(*m)++;
	for (; *m < j->mark_count && j->marks[*m].at < next; (*m)++) {
		seen = true;
		exact = j->marks[*m].exact;
		if (!exact)
			last_inexact = j->marks[*m].at;
	}
	took = last_inexact - end;
	if (!seen) {
		r->unobserved++;
	} else if (!exact) {
		r->still_inexact++;
	} else {
		r->exact_again++;
		r->total_ns += took;
		r->max_ns = took > r->max_ns ? took : r->max_ns;
	}
	if (k + 1 == count)
		r->last_ns = !seen ? -2 : !exact ? -1 : took;
}

void chord_liveness_report(struct judge *j, struct check_result *result)
{
	struct stretch *s;
	struct recovery r = { .last_ns = -2 };
	uint32_t count, m = 0;

	if (j->span_count == 0 || j->spans_overflow || j->mark_count == 0)
		return;
	s = malloc(j->span_count * sizeof(*s));
	if (!s)
		return;         /* figures only: the verdict does not depend on them */
	qsort(j->marks, j->mark_count, sizeof(*j->marks), mark_cmp);
	count = stretches(j, s);
	for (uint32_t k = 0; k < count; k++)
		after_stretch(j, s, count, k, &m, &r);
	check_result_add_figures(result, "chord: liveness: after %" PRIu32 " of %" PRIu32
				 " disturbances (faults, churn ops; overlapping ones as one) "
				 "lookups were exact again before the next, %.2f s after it "
				 "ended on average, at most %.2f s; after %" PRIu32 " they were "
				 "still inexact at the next, and %" PRIu32 " had no lookup before "
				 "it (S = %.2f s; reported, not judged)\n", r.exact_again, count,
				 r.exact_again ? (double)r.total_ns / r.exact_again / 1e9 : 0.0,
				 (double)r.max_ns / 1e9, r.still_inexact, r.unobserved,
				 (double)j->ring.settle_ns / 1e9);
	if (r.last_ns >= 0)
		check_result_add_figures(result, "chord: liveness after the last disturbance: "
					 "lookups exact again %.2f s after it ended\n",
					 (double)r.last_ns / 1e9);
	else
		check_result_add_figures(result, "chord: liveness after the last disturbance: %s\n",
					 r.last_ns == -1 ? "lookups still inexact at the end"
					 : "no lookup after it");
	free(s);
}
