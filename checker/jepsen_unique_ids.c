/* SPDX-License-Identifier: MIT */
/*
 * jepsen_unique_ids.c - Jepsen's checker/unique-ids, written afresh: it matches the public
 * behaviour of jepsen.checker/unique-ids (jepsen/src/jepsen/checker.clj). attempted-count
 * is the generate invocations, acknowledged-count the ok ones; the ids are the ok values;
 * an id returned more than once is duplicated, and the history is valid when none is. The
 * figures show the 48 most duplicated ids with their counts (Jepsen's :duplicated) and the
 * range [lowest highest] of the ids.
 */
#include "jepsen_unique_ids.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"
#include "jepsen_elements.h"

enum { IDS_DUPLICATES_SHOWN_MAX = 48 }; /* Jepsen's (take 48) */

#define NO_OP HIST_NO_PAIR

/* One id: how often an ok generate returned it, and the first two of those completions. */
struct id_record {
	uint64_t count;
	uint64_t first, second;
};

/* Invariants: ids[] has an entry for every element of @pool; lowest and highest are ids of
 * @pool (UINT32_MAX while no ok generate was seen). */
struct ids_scan {
	const struct history *h;
	struct jepsen_elements *pool;
	struct id_record *ids;
	uint32_t slots;
	uint32_t lowest, highest;
	uint64_t attempted_count, acknowledged_count, duplicated_count;
};

/* A duplicated id and its count, for ranking. */
struct duplicate {
	uint64_t count;
	uint32_t id;
};

static int fit(struct ids_scan *s, struct errbuf *eb)
{
	void *array = s->ids;
	int err = jepsen_elements_fit(s->pool, &array, &s->slots, sizeof(*s->ids), eb);

	s->ids = array;
	return err;
}

static int generated(struct ids_scan *s, uint64_t i, struct errbuf *eb)
{
	struct id_record *r;
	uint32_t id;
	int err = jepsen_elements_intern(s->pool, &s->h->ops[i].value, &id, eb);

	if (!err)
		err = fit(s, eb);
	if (err)
		return errbuf_prefix(eb, err, "op %" PRIu64 ": ", i);
	r = &s->ids[id];
	if (r->count == 0)
		r->first = i;
	else if (r->count == 1)
		r->second = i;
	r->count++;
	s->acknowledged_count++;
	if (s->lowest == UINT32_MAX || jepsen_elements_compare(s->pool, id, s->lowest) < 0)
		s->lowest = id;
	if (s->highest == UINT32_MAX || jepsen_elements_compare(s->pool, id, s->highest) > 0)
		s->highest = id;
	return 0;
}

static int scan(struct ids_scan *s, struct errbuf *eb)
{
	int err = 0;

	for (uint64_t i = 0; !err && i < s->h->count; i++) {
		const struct op *op = &s->h->ops[i];

		if (op->process < 0 || strcmp(op->f, "generate") != 0)
			continue;
		s->attempted_count += op->type == OP_INVOKE;
		if (op->type == OP_OK)
			err = generated(s, i, eb);
	}
	ASSERT(err || s->acknowledged_count <= s->attempted_count);
	return err;
}

static int by_count_then_id(const void *a, const void *b)
{
	const struct duplicate *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return (x->id > y->id) - (x->id < y->id);
}

static void report_range(struct ids_scan *s, struct check_result *result)
{
	char lowest[64] = "nil", highest[64] = "nil";

	if (s->lowest != UINT32_MAX) {
		jepsen_elements_format(s->pool, s->lowest, lowest, sizeof(lowest));
		jepsen_elements_format(s->pool, s->highest, highest, sizeof(highest));
	}
	check_result_add_figures(result, "unique-ids: attempted-count %" PRIu64
				 ", acknowledged-count %" PRIu64 ", duplicated-count %" PRIu64
				 ", range [%s %s]\n", s->attempted_count,
				 s->acknowledged_count, s->duplicated_count, lowest, highest);
}

static int report(struct ids_scan *s, struct check_result *result, struct errbuf *eb)
{
	uint32_t total = jepsen_elements_count(s->pool), n = 0;
	struct duplicate *dups;
	char name[64];
	int err;

	for (uint32_t id = 0; id < total; id++) {
		const struct id_record *r = &s->ids[id];
		uint64_t ops[4] = { hist_pair(s->h, r->first), r->first, 0, r->second };

		if (r->count <= 1)
			continue;
		ops[2] = hist_pair(s->h, r->second);
		s->duplicated_count++;
		jepsen_elements_format(s->pool, id, name, sizeof(name));
		check_result_add_anomaly(result, "duplicated", ops, 4,
					 "id %s was generated %" PRIu64 " times (first ok at ops %"
					 PRIu64 " and %" PRIu64 ")", name, r->count, ops[1],
					 ops[3]);
	}
	report_range(s, result);
	if (s->duplicated_count == 0)
		return 0;
	err = jepsen_elements_reserve(s->pool, s->duplicated_count * sizeof(*dups), eb);
	if (err)
		return err;
	dups = malloc(s->duplicated_count * sizeof(*dups));
	if (!dups)
		return errbuf_set(eb, -ENOMEM, "out of memory for the duplicated ids");
	for (uint32_t id = 0; id < total; id++) {
		if (s->ids[id].count > 1)
			dups[n++] = (struct duplicate){ .count = s->ids[id].count, .id = id };
	}
	ASSERT(n == s->duplicated_count);
	qsort(dups, n, sizeof(*dups), by_count_then_id);
	check_result_add_figures(result, "duplicated (id x count):");
	for (uint32_t k = 0; k < n && k < IDS_DUPLICATES_SHOWN_MAX; k++) {
		jepsen_elements_format(s->pool, dups[k].id, name, sizeof(name));
		check_result_add_figures(result, " %s x%" PRIu64, name, dups[k].count);
	}
	check_result_add_figures(result, "%s\n", n > IDS_DUPLICATES_SHOWN_MAX ? " ..." : "");
	free(dups);
	return 0;
}

static int unique_ids_check(const struct checker *checker, const struct check_run *run,
			    const struct check_opts *opts, struct check_result *result,
			    struct errbuf *eb)
{
	struct ids_scan s = { .h = run->history, .lowest = UINT32_MAX,
			      .highest = UINT32_MAX };
	int err;

	ASSERT(checker == &jepsen_unique_ids_checker);
	result->model = checker->ops->name;  /* the summary's "model:" line */
	ASSERT(s.h);
	err = jepsen_elements_new(&s.pool, opts->memory_bytes_max, eb);
	if (!err)
		err = scan(&s, eb);
	if (!err)
		err = report(&s, result, eb);
	free(s.ids);
	jepsen_elements_free(s.pool);
	return err;
}

const struct checker_ops jepsen_unique_ids_ops = {
	.name = "unique-ids",
	.check = unique_ids_check,
};

const struct checker jepsen_unique_ids_checker = { .ops = &jepsen_unique_ids_ops };
