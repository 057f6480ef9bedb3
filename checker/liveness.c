/* SPDX-License-Identifier: MIT */
/* liveness.c - the first ok op after the final heal. */
#include "liveness.h"

#include <string.h>

#include "checker.h"
#include "fl_assert.h"
#include "hist.h"

void liveness_measure(const struct history *h, int64_t bound_ns, struct check_liveness *out)
{
	int64_t heal = 0, first_ok = -1;

	ASSERT(bound_ns > 0);
	for (uint64_t i = 0; i < h->count; i++) {
		if (h->ops[i].process == OP_PROCESS_NEMESIS)
			heal = h->ops[i].time_ns;
	}
	for (uint64_t i = 0; i < h->count && first_ok < 0; i++) {
		const struct op *done = &h->ops[i];
		uint64_t inv = hist_pair(h, i);

		if (done->process == OP_PROCESS_NEMESIS || done->type != OP_OK ||
		    inv == HIST_NO_PAIR || h->ops[inv].time_ns < heal)
			continue;
		first_ok = done->time_ns;
	}
	*out = (struct check_liveness){ .measured = true, .heal_ns = heal,
					 .first_ok_ns = first_ok, .bound_ns = bound_ns };
}

bool liveness_within_bound(const struct check_liveness *l)
{
	return l->measured && l->first_ok_ns >= 0 && l->first_ok_ns - l->heal_ns <= l->bound_ns;
}

static int liveness_check(const struct checker *checker, const struct check_run *run,
			  const struct check_opts *opts, struct check_result *result,
			  struct errbuf *eb)
{
	(void)checker;
	(void)opts;
	(void)eb;
	liveness_measure(run->history, (int64_t)LIVENESS_BOUND_MS * 1000000, &result->liveness);
	return 0;
}

static const struct checker_ops liveness_checker_ops = {
	.name = "liveness",
	.check = liveness_check,
};

const struct checker liveness_checker = { .ops = &liveness_checker_ops };

/* When the fault op @i started is stopped (@stop: its stop f, or what follows "stop-"), or
 * @end if never. */
static int64_t stop_time(const struct history *h, uint64_t i, const char *stop, int64_t end)
{
	bool dashed = strncmp(h->ops[i].f, "start-", 6) == 0;

	for (uint64_t k = i + 1; k < h->count; k++) {
		const struct op *s = &h->ops[k];

		if (s->process != OP_PROCESS_NEMESIS || s->type == OP_INVOKE)
			continue;
		if (dashed ? strncmp(s->f, "stop-", 5) == 0 && strcmp(s->f + 5, stop) == 0
			   : strcmp(s->f, stop) == 0)
			return s->time_ns;
	}
	return end;
}

bool liveness_fault_span(const struct history *h, uint64_t i, int64_t *from_ns, int64_t *to_ns)
{
	static const char *const pairs[][2] = { { "kill", "start" }, { "pause", "resume" } };
	const struct op *op = &h->ops[i];
	int64_t end = h->ops[h->count - 1].time_ns;
	const char *stop = NULL;

	if (op->process != OP_PROCESS_NEMESIS || op->type != OP_INVOKE)
		return false;
	if (strncmp(op->f, "start-", 6) == 0)
		stop = op->f + 6;
	for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
		if (strcmp(op->f, pairs[p][0]) == 0)
			stop = pairs[p][1];
	}
	*from_ns = op->time_ns;
	if (stop)
		*to_ns = stop_time(h, i, stop, end);
	else if (hist_pair(h, i) != HIST_NO_PAIR)
		*to_ns = h->ops[hist_pair(h, i)].time_ns;
	else
		*to_ns = op->time_ns;
	return true;
}
