/* SPDX-License-Identifier: MIT */
/* jepsen_lenient.c - what Jepsen really writes, fitted to the format's rules, counted. */
#include "jepsen_lenient.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"

enum lenient_phase { LENIENT_IDLE, LENIENT_IN_FLIGHT, LENIENT_CRASHED };

/* One process as the file names it: where its ops stand, and the process they go to. */
struct jepsen_lenient_proc {
	enum lenient_phase phase;
	int32_t logical;        /* the process its ops get in the history */
	char *f;                /* the in-flight invocation's f (owned), when in flight */
	int64_t time;           /* the in-flight invocation's time */
};

/* What each oddity is, and how the import read it: for warnings and --strict errors. */
static const struct {
	const char *what;
	const char *read_as;
	const char *expected;   /* the rule, as --strict states it */
} oddities[JEPSEN_ODDITY_COUNT] = {
	[JEPSEN_ODDITY_NEMESIS_INFO] = {
		"nemesis op logged as :info with no :invoke",
		"read each :info that opens a nemesis op as its invocation",
		"a nemesis :info to complete an :invoke of the same :f" },
	[JEPSEN_ODDITY_TIME_BACKWARDS] = {
		":time goes back from the op before",
		"file order taken as real-time order; the time raised to the one before",
		":time >= the op before's (non-decreasing)" },
	[JEPSEN_ODDITY_PROCESS_REUSED] = {
		"process invokes again after its op ended in :info",
		"each such invocation starts a new logical process",
		"no invocation from a process after its :info" },
	[JEPSEN_ODDITY_INDEX_RENUMBERED] = {
		":index missing or not 0, 1, 2, ... in file order",
		"ops numbered by file order",
		":index on every op, 0, 1, 2, ... in file order" },
	[JEPSEN_ODDITY_TUPLES_SPLIT] = {
		"values are [key value] tuples (Jepsen independent)",
		"split per key: checked key by key, each invalid key named",
		"a value that is not a [key value] tuple" },
};

void jepsen_lenient_init(struct jepsen_lenient *l, const char *path, bool strict)
{
	ASSERT(l);
	ASSERT(path);
	*l = (struct jepsen_lenient){ .path = path, .strict = strict,
				      .logical_next = JEPSEN_LOGICAL_PROCESS_BASE };
	hist_procs_init(&l->procs);
}

void jepsen_lenient_fini(struct jepsen_lenient *l)
{
	if (!l)
		return;
	for (uint32_t i = 0; i < l->procs.count; i++)
		free(l->states[i].f);
	free(l->states);
	free(l->closing_f);
	hist_procs_fini(&l->procs);
	*l = (struct jepsen_lenient){ 0 };
}

int jepsen_lenient_note(struct jepsen_lenient *l, enum jepsen_oddity what, uint64_t line,
			uint64_t ops, struct errbuf *eb)
{
	ASSERT((unsigned)what < JEPSEN_ODDITY_COUNT);
	if (l->strict)
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected %s (--strict), got %s",
				  l->path, line, oddities[what].expected, oddities[what].what);
	if (l->counts[what] == 0)
		l->first_line[what] = line;
	l->counts[what] += ops;
	return 0;
}

int jepsen_lenient_index(struct jepsen_lenient *l, int64_t index, uint64_t line,
			 struct errbuf *eb)
{
	bool odd;

	if (index < 0)
		l->index_missing = true;
	else
		l->index_seen = true;
	/* A history with no :index at all is plain older Jepsen: nothing to say. */
	odd = l->index_seen && (l->index_missing || (uint64_t)index != l->index_next);
	l->index_next++;
	if (!odd || l->counts[JEPSEN_ODDITY_INDEX_RENUMBERED])
		return 0;       /* said once: every later index is off by as much */
	return jepsen_lenient_note(l, JEPSEN_ODDITY_INDEX_RENUMBERED, line, 1, eb);
}

/* The state of @process, added (idle, logical = itself) if new. */
static int proc_state(struct jepsen_lenient *l, int32_t process,
		      struct jepsen_lenient_proc **out)
{
	uint32_t before = l->procs.count;
	int64_t slot = hist_procs_insert(&l->procs, process);

	if (slot < 0)
		return (int)slot;
	if ((uint64_t)slot >= l->states_capacity) {
		uint32_t capacity = l->states_capacity ? l->states_capacity * 2 : 16;
		struct jepsen_lenient_proc *states;

		states = reallocarray(l->states, capacity, sizeof(*states));
		if (!states)
			return -ENOMEM;
		l->states = states;
		l->states_capacity = capacity;
	}
	if (l->procs.count > before)
		l->states[slot] = (struct jepsen_lenient_proc){ .logical = process };
	*out = &l->states[slot];
	return 0;
}

static int invoke(struct jepsen_lenient_proc *p, const struct op *op)
{
	char *f = strdup(op->f);

	if (!f)
		return -ENOMEM;
	free(p->f);
	p->f = f;
	p->phase = LENIENT_IN_FLIGHT;
	p->time = op->time_ns;
	return 0;
}

static void complete(struct jepsen_lenient_proc *p, const struct op *op)
{
	bool client = op->process != OP_PROCESS_NEMESIS;

	p->phase = op->type == OP_INFO && client ? LENIENT_CRASHED : LENIENT_IDLE;
	free(p->f);
	p->f = NULL;
}

/* A nemesis :info: the invocation (after closing another op in flight), or a completion. */
static int fit_nemesis(struct jepsen_lenient *l, struct jepsen_lenient_proc *p, struct op *op,
		       uint64_t line, struct op *before, bool *has_before, struct errbuf *eb)
{
	int err;

	if (op->type != OP_INFO ||
	    (p->phase == LENIENT_IN_FLIGHT && strcmp(p->f, op->f) == 0))
		return 0;       /* as the rules want, or for them to judge */
	err = jepsen_lenient_note(l, JEPSEN_ODDITY_NEMESIS_INFO, line, 1, eb);
	if (err)
		return err;
	if (p->phase == LENIENT_IN_FLIGHT) {
		/* The op in flight never logged its second half: it ends, unknown, here. */
		*before = (struct op){ .time_ns = op->time_ns, .type = OP_INFO,
				       .process = OP_PROCESS_NEMESIS, .f = p->f };
		*has_before = true;
		l->closing_f = p->f;    /* @before's, until the next op */
		p->f = NULL;
	}
	op->type = OP_INVOKE;
	return 0;
}

int jepsen_lenient_fit(struct jepsen_lenient *l, struct op *op, uint64_t line,
		       struct op *before, bool *has_before, struct errbuf *eb)
{
	struct jepsen_lenient_proc *p = NULL;
	int err;

	ASSERT(l && op && before && has_before);
	*has_before = false;
	free(l->closing_f);
	l->closing_f = NULL;
	if (op->time_ns < l->time_last) {
		err = jepsen_lenient_note(l, JEPSEN_ODDITY_TIME_BACKWARDS, line, 1, eb);
		if (err)
			return err;
		op->time_ns = l->time_last;
	}
	l->time_last = op->time_ns;
	if (!op->f || !op->f[0])
		return 0;       /* for the rules to refuse */
	err = proc_state(l, op->process, &p);
	if (err == -E2BIG)
		return errbuf_set(eb, err, "%s:%" PRIu64 ": expected at most %d distinct "
				  "processes", l->path, line, HIST_PROCESSES_MAX);
	if (err)
		return errbuf_set(eb, err, "%s:%" PRIu64 ": out of memory", l->path, line);
	if (op->process == OP_PROCESS_NEMESIS)
		err = fit_nemesis(l, p, op, line, before, has_before, eb);
	else if (op->type == OP_INVOKE && p->phase == LENIENT_CRASHED) {
		err = jepsen_lenient_note(l, JEPSEN_ODDITY_PROCESS_REUSED, line, 1, eb);
		if (!err && l->logical_next == INT32_MAX)
			err = errbuf_set(eb, -E2BIG, "%s:%" PRIu64 ": expected fewer reused "
					 "processes", l->path, line);
		if (!err)
			p->logical = l->logical_next++;
	}
	if (err)
		return err;
	op->process = p->logical;
	if (op->type == OP_INVOKE)
		err = invoke(p, op);
	else if (p->phase == LENIENT_IN_FLIGHT && strcmp(p->f, op->f) == 0)
		complete(p, op);
	return err ? errbuf_set(eb, err, "%s:%" PRIu64 ": out of memory", l->path, line) : 0;
}

int jepsen_lenient_warnings(const struct jepsen_lenient *l, char *out, size_t size)
{
	size_t used = 0;
	int kinds = 0;

	ASSERT(out && size > 0);
	out[0] = '\0';
	for (int k = 0; k < JEPSEN_ODDITY_COUNT; k++) {
		int n;

		if (!l->counts[k])
			continue;
		kinds++;
		n = snprintf(out + used, size - used, "%s%s:%" PRIu64 ": %s (%" PRIu64 " op%s); "
			     "%s", used ? "\n" : "", l->path, l->first_line[k], oddities[k].what,
			     l->counts[k], l->counts[k] == 1 ? "" : "s", oddities[k].read_as);
		if (n < 0 || (size_t)n >= size - used) {
			out[used] = '\0';       /* cut at the last whole line */
			break;
		}
		used += (size_t)n;
	}
	return kinds;
}
