/* SPDX-License-Identifier: MIT */
/* jepsen_lenient.h - private to the import: what Jepsen really writes, fitted to the format's
 * rules (histories/FORMAT.md), each oddity counted with the first line it showed on. */
#ifndef JEPSEN_LENIENT_H
#define JEPSEN_LENIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist_procs.h"
#include "op.h"

struct errbuf;

/* The oddities an import accepts (and --strict refuses), in report order. */
enum jepsen_oddity {
	JEPSEN_ODDITY_NEMESIS_INFO,     /* a nemesis op logged as :info with no :invoke */
	JEPSEN_ODDITY_TIME_BACKWARDS,   /* :time below the line before's */
	JEPSEN_ODDITY_PROCESS_REUSED,   /* a client invokes again after its op ended in info */
	JEPSEN_ODDITY_INDEX_RENUMBERED, /* :index missing on some ops, or not 0, 1, 2, ... */
	JEPSEN_ODDITY_TUPLES_SPLIT,     /* values are Jepsen independent [key value] tuples */
	JEPSEN_ODDITY_COUNT
};

/* Logical processes given to a reused client process: this, then upwards. */
enum { JEPSEN_LOGICAL_PROCESS_BASE = 1 << 30 };

struct jepsen_lenient_proc;

/*
 * Invariants: @states has @procs.count entries in use (@states_capacity allocated), indexed
 * by the slot of the process as the file names it; @first_line[k] is the line of the first
 * oddity k when @counts[k] > 0; @index_next is the :index a dense history has next.
 */
struct jepsen_lenient {
	const char *path;               /* borrowed, for messages */
	bool strict;                    /* refuse every oddity instead of fitting it */
	struct hist_procs procs;
	struct jepsen_lenient_proc *states;
	uint32_t states_capacity;
	int32_t logical_next;
	char *closing_f;                /* the f of the last *before made (owned) */
	int64_t time_last;
	uint64_t index_next;
	bool index_seen, index_missing;
	uint64_t counts[JEPSEN_ODDITY_COUNT];
	uint64_t first_line[JEPSEN_ODDITY_COUNT];
};

/* jepsen_lenient_init() - no ops seen; @path (borrowed) names the file in messages. */
void jepsen_lenient_init(struct jepsen_lenient *l, const char *path, bool strict);

/* jepsen_lenient_fini() - free; a zeroed struct is allowed. */
void jepsen_lenient_fini(struct jepsen_lenient *l);

/**
 * jepsen_lenient_note() - record oddity @what, first at @line, in @ops ops (for the ones the
 * caller finds, such as split tuples). Return: 0; under strict, -EINVAL with
 * "path:line: expected ..." in @eb.
 */
int jepsen_lenient_note(struct jepsen_lenient *l, enum jepsen_oddity what, uint64_t line,
			uint64_t ops, struct errbuf *eb);

/**
 * jepsen_lenient_index() - the op at @line has :index @index (-1: none); a history whose
 * indexes are not all present and 0, 1, 2, ... in file order is renumbered (every op's
 * index is its position anyway). Return: as jepsen_lenient_note().
 */
int jepsen_lenient_index(struct jepsen_lenient *l, int64_t index, uint64_t line,
			 struct errbuf *eb);

/**
 * jepsen_lenient_fit() - make @op (read at @line, as the file has it) fit the format's
 * rules, before it is appended: a time that goes back takes the time before it (file order
 * is the real-time order, as Jepsen's checkers assume); a nemesis :info with nothing in
 * flight becomes the invocation, and one that follows an op of another f first gets a
 * completion for that op, in *@before (*@has_before set; append it first); a client that
 * invokes after its info becomes a new logical process (JEPSEN_LOGICAL_PROCESS_BASE, +1,
 * ...), and its later ops follow. Anything else is left for the format's rules to judge.
 * Return: 0; under strict, -EINVAL at the first oddity; -ENOMEM; -E2BIG (processes).
 */
int jepsen_lenient_fit(struct jepsen_lenient *l, struct op *op, uint64_t line,
		       struct op *before, bool *has_before, struct errbuf *eb);

/**
 * jepsen_lenient_warnings() - one line per oddity seen ("path:line: what (N ops); how it
 * was read"), '\n'-separated, into @out (@size bytes, cut at a line's end when full).
 * Return: the number of kinds of oddity seen.
 */
int jepsen_lenient_warnings(const struct jepsen_lenient *l, char *out, size_t size);

#endif /* JEPSEN_LENIENT_H */
