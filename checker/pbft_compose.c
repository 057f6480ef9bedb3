/* SPDX-License-Identifier: MIT */
/* pbft_compose.c - the pbft checker: linearizability (cas-register) + the replicas' evidence
 * + liveness, composed (check_compose.h); its row is in checker_table.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "check_compose.h"
#include "checker_table.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "linear.h"
#include "liveness.h"
#include "pbft_check.h"

/* The evidence part: the logs under the run directory, judged against the history; its
 * figures go into the result's. A history with no run around it has no evidence. */
static int evidence_check(const struct checker *checker, const struct check_run *run,
			  const struct check_opts *opts, struct check_result *result,
			  struct errbuf *eb)
{
	struct pbft_figures fig;
	char *text = NULL;
	size_t size = 0;
	FILE *mem;
	int err;

	(void)checker;
	(void)opts;
	if (!run->dir) {
		check_result_set_unknown(result, "no PBFT evidence: a history without its run "
					 "directory");
		return 0;
	}
	err = pbft_check_evidence_figures(run->dir, run->history, result, &fig, eb);
	mem = open_memstream(&text, &size);
	if (mem) {
		pbft_figures_fprint(mem, &fig);
		if (fclose(mem) == 0 && size)
			check_result_add_figures(result, "%s", text);
	}
	free(text);
	return err;
}

static const struct checker_ops evidence_ops = {
	.name = "pbft-evidence",
	.check = evidence_check,
};

static const struct checker evidence_checker = { .ops = &evidence_ops };

struct pbft_checker {
	struct check_compose compose;
	struct linear_checker linear;
};

static void pbft_checker_free(struct checker *checker)
{
	free(container_of(checker, struct pbft_checker, compose.base));
}

checker_make_fn pbft_checker_make;

/* cas-register with its default options (a null read means empty), whatever @linear says:
 * the pbft workload's registers start empty. */
int pbft_checker_make(const struct checker_entry *entry, const struct linear_opts *linear,
		      struct check_opts *opts, const struct checker **out, struct errbuf *eb)
{
	struct pbft_checker *c = calloc(1, sizeof(*c));
	const struct checker *parts[3];

	(void)linear;
	(void)opts;
	if (!c)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	linear_checker_init(&c->linear, &(struct linear_opts){
				    .model = LINEAR_MODEL_CAS_REGISTER });
	parts[0] = &c->linear.base;
	parts[1] = &evidence_checker;
	parts[2] = &liveness_checker;
	check_compose_init(&c->compose, entry->name, parts, 3);
	c->compose.ops.free = pbft_checker_free;
	*out = &c->compose.base;
	return 0;
}
