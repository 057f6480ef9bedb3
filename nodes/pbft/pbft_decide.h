/* SPDX-License-Identifier: MIT */
/* pbft_decide.h - what a new view re-proposes, decided from view-change messages that MACs
 * cannot prove (Castro & Liskov, TOCS 2002, section 4.5). A pure function of the messages:
 * the new primary runs it to build its NEW-VIEW and each backup runs it again to check one. */
#ifndef PBFT_DECIDE_H
#define PBFT_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "pbft_wire.h"

struct pbft_decide_params {
	uint32_t replicas;              /* n = 3f+1 */
	uint32_t f;
	uint32_t window;                /* L: a view-change's entries lie in (h, h+L] */
	uint64_t view;                  /* the new view */
	bool drop_prepared;             /* the view-change-drops-prepared bug */
};

/**
 * pbft_view_change_valid() - a received view-change for @view is well formed: its
 * certificates, checkpoint claims and vouches lie in (h, h+L] in increasing seq (one
 * certificate per seq), each from a view before @view, and each certificate's batch has its
 * digest. Nothing else about it can be checked: its sender may lie.
 */
bool pbft_view_change_valid(const struct pbft_msg *m, uint32_t window);

/**
 * pbft_decide_new_view() - the new-view for @p->view from the view-changes @vcs[j] of the
 * senders j in @mask (each valid and for that view), into @nv (type, view, seq = the start
 * checkpoint, digest = its state digest, vc_mask = @mask, and one certificate per seq after
 * it up to the last one chosen non-null):
 * - the start is the highest checkpoint that f+1 messages hold (so one correct replica took
 *   it) and that is at or above the stable checkpoint of 2f+1 of them;
 * - at each seq n above it, a request prepared in view v (some message's certificate) is
 *   chosen if 2f+1 messages below n hold no certificate at n from a later view or another
 *   digest in v, and f+1 say they pre-prepared it at n in v or later; else the null request
 *   if 2f+1 messages below n hold no certificate at n.
 * One sender's lie cannot pass: what a correct replica may have committed was prepared at
 * f+1 correct replicas, so a contradicting choice lacks the 2f+1, and a made-up one the f+1.
 * Deterministic in the messages, so a backup holding the same ones recomputes the same.
 * Return: true if every seq is decided; false if these messages do not decide yet (more
 * view-changes may).
 */
bool pbft_decide_new_view(const struct pbft_msg *vcs, uint32_t mask,
			  const struct pbft_decide_params *p, struct pbft_msg *nv);

#endif /* PBFT_DECIDE_H */
