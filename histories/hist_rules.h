/* SPDX-License-Identifier: MIT */
/* hist_rules.h - private: the format's per-op rules, shared by writer and reader (S17). */
#ifndef HIST_RULES_H
#define HIST_RULES_H

#include <stdint.h>

#include "hist_procs.h"
#include "op.h"

struct errbuf;

enum hist_proc_phase {
	HIST_PROC_IDLE,         /* may invoke */
	HIST_PROC_IN_FLIGHT,    /* invoked; the next op of this process completes it */
	HIST_PROC_CRASHED,      /* a client whose op ended in info; never invokes again */
};

/* One process's state. @f holds the in-flight invocation's f (a copy, reused). */
struct hist_proc_state {
	enum hist_proc_phase phase;
	uint32_t f_size;        /* bytes allocated at @f */
	char *f;
	uint64_t invoke_index;  /* valid when not idle: the last invocation */
};

/*
 * Invariants: @states has @procs.count valid entries (@states_capacity allocated);
 * @next_index ops have been committed; @time_ns_last is the time of the last one (0 before).
 */
struct hist_rules {
	const char *path;       /* borrowed, for messages */
	struct hist_procs procs;
	struct hist_proc_state *states;
	uint32_t states_capacity;
	uint64_t next_index;
	int64_t time_ns_last;
	int64_t slot_checked;   /* slot reserved by the last successful check */
};

/* hist_rules_init() - no ops yet; @path (borrowed) names the file in messages. */
void hist_rules_init(struct hist_rules *rules, const char *path);

/* hist_rules_fini() - free; a zeroed struct is allowed. */
void hist_rules_fini(struct hist_rules *rules);

/**
 * hist_rules_check() - check @op against every rule of FORMAT.md given the ops committed so
 * far: field ranges, dense index, non-decreasing time, one op in flight per process, a
 * completion matches its invocation's f, no invocation after a client's info. Changes no
 * rule state, but reserves what hist_rules_commit() needs so that it cannot fail.
 * @line: 1-based line number of @op, for "path:line: expected ..." messages.
 * Return: 0; -EINVAL with a message; -E2BIG past HIST_PROCESSES_MAX; -ENOMEM.
 */
int hist_rules_check(struct hist_rules *rules, const struct op *op, uint64_t line,
		     struct errbuf *eb);

/* hist_rules_commit() - record @op, which the last hist_rules_check() accepted. */
void hist_rules_commit(struct hist_rules *rules, const struct op *op);

#endif /* HIST_RULES_H */
