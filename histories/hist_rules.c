/* SPDX-License-Identifier: MIT */
/* hist_rules.c - the format's per-op rules, shared by writer and reader (STYLE S17). */
#include "hist_rules.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"

void hist_rules_init(struct hist_rules *rules, const char *path)
{
	ASSERT(rules != NULL);
	ASSERT(path != NULL);
	*rules = (struct hist_rules){ .path = path, .slot_checked = -1 };
	hist_procs_init(&rules->procs);
}

void hist_rules_fini(struct hist_rules *rules)
{
	if (!rules)
		return;
	for (uint32_t i = 0; i < rules->procs.count; i++)
		free(rules->states[i].f);
	free(rules->states);
	hist_procs_fini(&rules->procs);
	*rules = (struct hist_rules){ .slot_checked = -1 };
}

static int check_value(const struct hist_rules *rules, const struct op_value *value,
		       uint64_t line, struct errbuf *eb)
{
	switch (value->kind) {
	case OP_VALUE_NULL:
	case OP_VALUE_INT:
		return 0;
	case OP_VALUE_INTS:
		if (value->count > 0 && !value->ints)
			break;
		return 0;
	case OP_VALUE_JSON:
		if (!value->json)
			break;
		return 0;
	}
	return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected \"value\" of a known kind "
			  "with its data, got kind %d", rules->path, line, (int)value->kind);
}

/* Checks that need no process state. */
static int check_fields(const struct hist_rules *rules, const struct op *op, uint64_t line,
			struct errbuf *eb)
{
	const char *path = rules->path;

	if (op->process < 0 && op->process != OP_PROCESS_NEMESIS)
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected \"process\" >= 0 or "
				  "\"nemesis\", got %" PRId32, path, line, op->process);
	if (!op->f || op->f[0] == '\0')
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected \"f\" to be a "
				  "non-empty string", path, line);
	if (op->index != rules->next_index)
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected \"index\" to be %" PRIu64
				  " (dense, 0-based), got %" PRIu64, path, line,
				  rules->next_index, (uint64_t)op->index);
	if (op->time_ns < 0)
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected \"time\" >= 0, got %"
				  PRId64, path, line, op->time_ns);
	if (op->time_ns < rules->time_ns_last)
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected \"time\" >= %" PRId64
				  " (non-decreasing), got %" PRId64, path, line,
				  rules->time_ns_last, op->time_ns);
	return check_value(rules, &op->value, line, eb);
}

/* Makes room for a state per slot and for @f (if any) in its state; no rule state changes. */
static int reserve(struct hist_rules *rules, int32_t process, const char *f, int64_t *slot_out)
{
	int64_t slot = hist_procs_insert(&rules->procs, process);
	size_t f_size = f ? strlen(f) + 1 : 0;

	if (slot < 0)
		return (int)slot;
	if ((uint64_t)slot >= rules->states_capacity) {
		uint32_t capacity = rules->states_capacity ? rules->states_capacity * 2 : 16;
		struct hist_proc_state *states;

		states = reallocarray(rules->states, capacity, sizeof(*states));
		if (!states)
			return -ENOMEM;
		memset(states + rules->states_capacity, 0,
		       (capacity - rules->states_capacity) * sizeof(*states));
		rules->states = states;
		rules->states_capacity = capacity;
	}
	ASSERT((uint64_t)slot < rules->states_capacity);
	struct hist_proc_state *state = &rules->states[slot];

	if (f_size > state->f_size) {
		char *copy = realloc(state->f, f_size);

		if (!copy)
			return -ENOMEM;
		state->f = copy;
		state->f_size = (uint32_t)f_size;
	}
	*slot_out = slot;
	return 0;
}

static const char *process_text(int32_t process, char buf[16])
{
	if (process == OP_PROCESS_NEMESIS)
		return "nemesis";
	snprintf(buf, 16, "%" PRId32, process);
	return buf;
}

static int check_phase(const struct hist_rules *rules, const struct op *op,
		       const struct hist_proc_state *state, uint64_t line, struct errbuf *eb)
{
	const char *path = rules->path;
	char buf[16];           /* the process as text, formatted only for a message */

	if (op->type == OP_INVOKE) {
		if (state->phase == HIST_PROC_IN_FLIGHT)
			return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected process %s to "
					  "have no op in flight, but index %" PRIu64 " is",
					  path, line, process_text(op->process, buf),
					  state->invoke_index);
		if (state->phase == HIST_PROC_CRASHED && op->process != OP_PROCESS_NEMESIS)
			return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected process %s never "
					  "to invoke again after info (index %" PRIu64 ")",
					  path, line, process_text(op->process, buf),
					  state->invoke_index);
		return 0;
	}
	if (state->phase != HIST_PROC_IN_FLIGHT)
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected an invocation in flight "
				  "for process %s before this %s", path, line,
				  process_text(op->process, buf), op_type_name(op->type));
	if (strcmp(state->f, op->f) != 0)
		return errbuf_set(eb, -EINVAL, "%s:%" PRIu64 ": expected \"f\" \"%s\" of the "
				  "invocation at index %" PRIu64 ", got \"%s\"", path, line,
				  state->f, state->invoke_index, op->f);
	return 0;
}

int hist_rules_check(struct hist_rules *rules, const struct op *op, uint64_t line,
		     struct errbuf *eb)
{
	int64_t slot = -1;
	int err;

	ASSERT(rules != NULL);
	ASSERT(op != NULL);
	rules->slot_checked = -1;
	err = check_fields(rules, op, line, eb);
	if (err < 0)
		return err;
	err = reserve(rules, op->process, op->type == OP_INVOKE ? op->f : NULL, &slot);
	if (err == -E2BIG)
		return errbuf_set(eb, err, "%s:%" PRIu64 ": expected at most %d distinct "
				  "processes", rules->path, line, HIST_PROCESSES_MAX);
	if (err < 0)
		return errbuf_set(eb, err, "%s:%" PRIu64 ": out of memory", rules->path, line);
	err = check_phase(rules, op, &rules->states[slot], line, eb);
	if (err < 0)
		return err;
	rules->slot_checked = slot;
	return 0;
}

void hist_rules_commit(struct hist_rules *rules, const struct op *op)
{
	ASSERT(rules->slot_checked >= 0);
	ASSERT(hist_procs_find(&rules->procs, op->process) == rules->slot_checked);
	struct hist_proc_state *state = &rules->states[rules->slot_checked];

	if (op->type == OP_INVOKE) {
		size_t f_size = strlen(op->f) + 1;

		ASSERT(f_size <= state->f_size);
		memcpy(state->f, op->f, f_size);
		state->phase = HIST_PROC_IN_FLIGHT;
		state->invoke_index = op->index;
	} else {
		ASSERT(state->phase == HIST_PROC_IN_FLIGHT);
		state->phase = op->type == OP_INFO ? HIST_PROC_CRASHED : HIST_PROC_IDLE;
	}
	rules->next_index = op->index + 1;
	rules->time_ns_last = op->time_ns;
	rules->slot_checked = -1;
}
