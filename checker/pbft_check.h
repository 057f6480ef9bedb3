/* SPDX-License-Identifier: MIT */
/* pbft_check.h - the PBFT checker: replicas' evidence logs against each other and the history. */
#ifndef PBFT_CHECK_H
#define PBFT_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "checker.h"
#include "pbft_evidence.h"

struct errbuf;
struct history;

enum { PBFT_FIG_SWITCHES_MAX = 8 };     /* Byzantine switches kept per replica in figures */

/* What the evidence showed, per replica (figures for the summary, not a verdict). */
struct pbft_fig_replica {
	bool seen;
	bool byzantine;                         /* ever Byzantine: not a correct replica */
	bool executed_any;
	uint32_t incarnations;
	uint32_t switch_count;                  /* all of them; the first few are kept */
	uint64_t executed_max;
	uint64_t events[PBFT_EV_KIND_COUNT];
	struct pbft_ev_switch switches[PBFT_FIG_SWITCHES_MAX];
};

struct pbft_figures {
	bool loaded;                            /* false: the evidence could not be read */
	uint32_t replicas_declared, f;          /* from the start lines */
	uint32_t replica_count, byzantine_count;
	struct pbft_fig_replica replicas[PBFT_EV_REPLICAS_MAX];
};

/**
 * pbft_check_evidence() - check the evidence logs under <@run_dir>/nodes/ *.data/ against
 * each other and the client history @h (rules in checker/CHECKS.md, "PBFT"), adding
 * anomalies (agreement, duplicate-execution, phantom-request, total-order,
 * checkpoint-divergence) to @res, which the caller check_result_init()ed (it may already hold
 * another checker's findings: verdicts merge by maximum). No logs, or none from a correct
 * replica (one never Byzantine), makes @res UNKNOWN with the reason.
 * Return: 0, with a warning or "" in @eb (torn last lines skipped); -errno when the logs
 * cannot be read (pbft_evidence_new(); @eb says "path:line: expected ..."), and then @res
 * is made UNKNOWN with that reason too. Blocks on file I/O only.
 */
int pbft_check_evidence(const char *run_dir, const struct history *h, struct check_result *res,
			struct errbuf *eb);

/* pbft_check_evidence_figures() - the same, also filling @fig (NULL allowed) for the
 * summary; @fig->loaded is false when the logs could not be read. */
int pbft_check_evidence_figures(const char *run_dir, const struct history *h,
				struct check_result *res, struct pbft_figures *fig,
				struct errbuf *eb);

/* pbft_figures_fprint() - the figures as summary lines on @out; nothing when not loaded. */
void pbft_figures_fprint(FILE *out, const struct pbft_figures *fig);

#endif /* PBFT_CHECK_H */
