/* SPDX-License-Identifier: MIT */
/* crdt_gcounter.c - G-Counter rules: final reads between ok and attempted sums, subset sums. */
#include "crdt_check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"

/*
 * Invariants: ok_sum and info_sum are the delta sums of adds that completed ok, and of adds
 * that completed info or were still in flight; infos[] lists the latter's invocation indices
 * with a non-zero delta (a zero delta cannot change any sum).
 */
struct counter {
	const struct crdt_scan *s;
	int64_t ok_sum, info_sum;
	uint64_t *infos;
	uint64_t info_count;
};

static int64_t delta_of(const struct crdt_scan *s, uint64_t invoke_index)
{
	ASSERT(s->h->ops[invoke_index].value.kind == OP_VALUE_INT);
	return s->h->ops[invoke_index].value.integer;
}

static int sums_build(struct counter *c, struct errbuf *eb)
{
	const struct crdt_scan *s = c->s;

	c->infos = malloc((s->add_count + 1) * sizeof(uint64_t));
	if (!c->infos)
		return errbuf_set(eb, -ENOMEM, "out of memory for info adds");
	for (uint64_t k = 0; k < s->add_count; k++) {
		uint64_t i = s->adds[k];
		enum op_type outcome = crdt_outcome(s->h, i);
		int64_t d = delta_of(s, i);
		int64_t *sum = outcome == OP_OK ? &c->ok_sum : &c->info_sum;

		if (outcome == OP_FAIL)
			continue;
		if (__builtin_add_overflow(*sum, d, sum) ||
		    __builtin_add_overflow(c->ok_sum, c->info_sum, &(int64_t){ 0 }))
			return errbuf_set(eb, -EOVERFLOW, "op %" PRIu64 ": the sum of add "
					  "deltas overflows 64 bits", i);
		if (outcome != OP_OK && d > 0)
			c->infos[c->info_count++] = i;
	}
	ASSERT(c->ok_sum >= 0 && c->info_sum >= 0);
	return 0;
}

/* Cite the read, then as many of @adds as fit (@ok_only: the ok ones, with completions). */
static uint32_t cite(const struct crdt_final *f, const uint64_t *adds, uint64_t add_count,
		     bool ok_only, const struct history *h, uint64_t *ops)
{
	uint32_t n = 0;

	ops[n++] = f->invoke_index;
	ops[n++] = f->result_index;
	for (uint64_t k = 0; k < add_count && n + 2 <= CHECK_ANOMALY_OPS_MAX; k++) {
		if (ok_only && crdt_outcome(h, adds[k]) != OP_OK)
			continue;
		ops[n++] = adds[k];
		if (ok_only)
			ops[n++] = crdt_result_index(h, adds[k]);
	}
	ASSERT(n <= CHECK_ANOMALY_OPS_MAX);
	return n;
}

/* dp |= dp << shift, over @words 64-bit words, in place (high words first). */
static void bitset_shift_or(uint64_t *dp, uint64_t words, uint64_t shift)
{
	uint64_t word_shift = shift / 64, bit_shift = shift % 64;

	for (uint64_t w = words; w-- > word_shift;) {
		uint64_t src = w - word_shift;
		uint64_t v = dp[src] << bit_shift;

		if (bit_shift && src > 0)
			v |= dp[src - 1] >> (64 - bit_shift);
		dp[w] |= v;
	}
}

/*
 * Which subset sums of the info deltas reach up to @bound: a bitset DP. Return: 1 decided
 * (*@dp_out owned by the caller), 0 over a limit (@why says which), -ENOMEM.
 */
static int subset_sums(const struct counter *c, int64_t bound, uint64_t **dp_out, char *why,
		       size_t why_size)
{
	uint64_t words = (uint64_t)bound / 64 + 1, *dp;

	*dp_out = NULL;
	if (c->info_count > CHK_SUBSET_SUM_INFO_MAX ||
	    (uint64_t)bound >= CHK_SUBSET_SUM_TARGET_MAX ||
	    c->info_count * words > CHK_SUBSET_SUM_WORK_MAX ||
	    words * 8 > c->s->memory_bytes_max) {
		snprintf(why, why_size, "subset-sum check skipped: %" PRIu64 " info adds, target "
			 "up to %" PRId64 ", over the bounds", c->info_count, bound);
		return 0;
	}
	dp = calloc(words, sizeof(uint64_t));
	if (!dp)
		return -ENOMEM;
	dp[0] = 1;
	for (uint64_t k = 0; k < c->info_count; k++) {
		int64_t d = delta_of(c->s, c->infos[k]);

		if (d <= bound)
			bitset_shift_or(dp, words, (uint64_t)d);
	}
	ASSERT(dp[0] & 1);
	*dp_out = dp;
	return 1;
}

/* Subset targets below are folded: t is a subset sum iff info_sum - t is one. */
static int64_t fold(const struct counter *c, int64_t v)
{
	int64_t t = v - c->ok_sum;

	ASSERT(t >= 0 && t <= c->info_sum);
	return t < c->info_sum - t ? t : c->info_sum - t;
}

static void report_impossible(const struct counter *c, const struct crdt_final *f,
			      struct check_result *result)
{
	uint64_t ops[CHECK_ANOMALY_OPS_MAX];
	uint32_t n = cite(f, c->infos, c->info_count, false, c->s->h, ops);

	check_result_add_anomaly(result, "impossible-sum", ops, n,
				 "final read of %s is %" PRId64 " = %" PRId64 " from ok adds + %"
				 PRId64 ", but no subset of the %" PRIu64 " info adds (total %"
				 PRId64 ") sums to %" PRId64, crdt_node_name(f->node), f->counter,
				 c->ok_sum, f->counter - c->ok_sum, c->info_count, c->info_sum,
				 f->counter - c->ok_sum);
}

static int check_subset_sums(const struct counter *c, struct check_result *result,
			     struct errbuf *eb)
{
	const struct crdt_scan *s = c->s;
	int64_t bound = 0, d0 = c->info_count ? delta_of(s, c->infos[0]) : 1;
	bool uniform = true;
	uint64_t *dp = NULL;
	char why[CHECK_MESSAGE_BYTES_MAX];
	int decided;

	for (uint64_t k = 1; k < c->info_count && uniform; k++)
		uniform = delta_of(s, c->infos[k]) == d0;
	for (uint32_t k = 0; k < s->final_count; k++) {
		int64_t v = s->finals[k].counter;

		if (v >= c->ok_sum && v <= c->ok_sum + c->info_sum && fold(c, v) > bound)
			bound = fold(c, v);
	}
	/* Equal deltas (the usual +1) need no search: t is reachable iff d divides it. */
	decided = uniform || bound == 0;
	if (!decided) {
		decided = subset_sums(c, bound, &dp, why, sizeof(why));
		if (decided < 0)
			return errbuf_set(eb, -ENOMEM, "out of memory for the subset-sum bitset");
	}
	for (uint32_t k = 0; k < s->final_count; k++) {
		const struct crdt_final *f = &s->finals[k];
		int64_t t;

		if (f->counter < c->ok_sum || f->counter > c->ok_sum + c->info_sum)
			continue;
		t = fold(c, f->counter);
		if (t == 0 || !decided)
			continue;
		if (uniform ? t % d0 != 0 : !(dp[t / 64] >> (t % 64) & 1))
			report_impossible(c, f, result);
	}
	if (!decided)
		check_result_set_unknown(result, "%s", why);
	free(dp);
	return 0;
}

static void check_final_bounds(const struct counter *c, struct check_result *result)
{
	const struct crdt_scan *s = c->s;
	uint64_t ops[CHECK_ANOMALY_OPS_MAX];

	for (uint32_t k = 0; k < s->final_count; k++) {
		const struct crdt_final *f = &s->finals[k];
		uint32_t n;

		if (f->counter < c->ok_sum) {
			n = cite(f, s->adds, s->add_count, true, s->h, ops);
			check_result_add_anomaly(result, "lost-add", ops, n,
						 "final read of %s is %" PRId64 ", below the %"
						 PRId64 " acknowledged by ok adds",
						 crdt_node_name(f->node), f->counter, c->ok_sum);
		} else if (f->counter > c->ok_sum + c->info_sum) {
			n = cite(f, NULL, 0, false, s->h, ops);
			check_result_add_anomaly(result, "phantom-increment", ops, n,
						 "final read of %s is %" PRId64 ", above the %"
						 PRId64 " ever attempted (ok %" PRId64
						 " + info %" PRId64 ")",
						 crdt_node_name(f->node), f->counter,
						 c->ok_sum + c->info_sum, c->ok_sum, c->info_sum);
		}
	}
}

/* Every read is at most what adds invoked before its completion (and not failed) could give. */
static void check_reads_attempted(const struct counter *c, struct check_result *result)
{
	const struct history *h = c->s->h;
	int64_t attempted = 0, cap = c->ok_sum + c->info_sum;

	for (uint64_t i = 0; i < h->count; i++) {
		const struct op *op = &h->ops[i];
		uint64_t ops[2];

		if (op->process < 0 || (op->type != OP_INVOKE && op->type != OP_OK))
			continue;
		if (op->type == OP_INVOKE && strcmp(op->f, "add") == 0 &&
		    crdt_outcome(h, i) != OP_FAIL)
			attempted += op->value.integer;      /* no overflow: below cap */
		if (op->type != OP_OK || strcmp(op->f, "read") != 0)
			continue;
		if (op->value.integer <= attempted)
			continue;
		if ((op->final || h->ops[hist_pair(h, i)].final) && op->value.integer > cap)
			continue;                     /* already a final phantom-increment */
		ops[0] = hist_pair(h, i);
		ops[1] = i;
		check_result_add_anomaly(result, "phantom-increment", ops, 2,
					 "read of %s completed at op %" PRIu64 " returned %" PRId64
					 ", above the %" PRId64 " of all adds invoked before it",
					 crdt_node_name(crdt_op_node(h, hist_pair(h, i))),
					 i, op->value.integer, attempted);
	}
	ASSERT(attempted == cap);
}

int crdt_gcounter_check(const struct crdt_scan *s, struct check_result *result,
			struct errbuf *eb)
{
	struct counter c = { .s = s };
	int err;

	ASSERT(s->model == CRDT_MODEL_GCOUNTER);
	ASSERT(result);
	err = sums_build(&c, eb);
	if (!err) {
		check_final_bounds(&c, result);
		err = check_subset_sums(&c, result, eb);
	}
	if (!err)
		check_reads_attempted(&c, result);
	free(c.infos);
	return err;
}
