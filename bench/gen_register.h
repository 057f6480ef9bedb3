/* SPDX-License-Identifier: MIT */
/* gen_register.h - a cas-register history made by a simulated linearizable register. */
#ifndef GEN_REGISTER_H
#define GEN_REGISTER_H

#include <stdbool.h>
#include <stdint.h>

struct errbuf;
struct history;

enum {
	GEN_REGISTER_PROCESSES_MAX = 64,        /* concurrent clients */
	GEN_REGISTER_OPS_MIN = 100,
	GEN_REGISTER_OPS_MAX = 1 << 24,         /* below HIST_OPS_MAX */
	GEN_REGISTER_VALUES_MAX = 1000,         /* written values are 0 .. values - 1 */
	GEN_REGISTER_CRASH_PERMILLE_MAX = 500,
	/* The impossible tail writes these, far above any generated value. */
	GEN_REGISTER_TAIL_FIRST = 1000,
	GEN_REGISTER_TAIL_SECOND = 1001,
};

struct gen_register_opts {
	uint64_t ops;                   /* GEN_REGISTER_OPS_MIN .. _MAX, about (see below) */
	uint32_t processes;             /* 1 .. GEN_REGISTER_PROCESSES_MAX */
	uint32_t values;                /* 1 .. GEN_REGISTER_VALUES_MAX */
	uint32_t crash_permille;        /* chance that an op crashes (completes info) */
	uint64_t seed;
	/* Append, after every other op has completed: write 1000, write 1001, read -> 1000,
	 * one after the other, so the history cannot be linearizable. */
	bool impossible_tail;
};

struct gen_register_stats {
	uint64_t crashed;               /* ops completed info */
	uint64_t crashed_applied;       /* of those, the ones that took effect */
	uint64_t failed;                /* cas ops completed fail (old did not match) */
};

/**
 * gen_register_build() - simulate @opts->processes clients on one register starting at 0:
 * each client invokes a read, write or cas (a third each; values below @opts->values), and
 * the op takes effect at one instant between its invocation and its completion, so the
 * history is linearizable (model cas-register, initial 0) unless @opts->impossible_tail.
 * A crashed op completes info; it took effect or not (half each) before completing, and
 * its client comes back as a new process number (process + processes), as Jepsen's do.
 * A cas whose old value did not match completes fail. The history has @opts->ops ops,
 * give or take the ones that complete the last in-flight calls, plus 6 for the tail.
 * @h: filled as hist_load() leaves it; hist_fini() it. @stats: may be NULL.
 * Return: 0; -EINVAL (@opts out of range); -ENOMEM; -E2BIG.
 */
int gen_register_build(struct history *h, const struct gen_register_opts *opts,
		       struct gen_register_stats *stats, struct errbuf *eb);

#endif /* GEN_REGISTER_H */
