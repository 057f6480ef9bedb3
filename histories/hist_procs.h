/* SPDX-License-Identifier: MIT */
/* hist_procs.h - private: process numbers mapped to dense slot numbers, bounded. */
#ifndef HIST_PROCS_H
#define HIST_PROCS_H

#include <stdint.h>

/*
 * Invariants: @keys and @slots have @capacity entries (a power of two, or 0 before the first
 * insert); a free entry has key HIST_PROCS_KEY_FREE; @count <= @capacity / 2; slots are
 * handed out densely as 0, 1, 2, ... in insertion order; @clients counts keys >= 0 and
 * never exceeds HIST_PROCESSES_MAX.
 * Open addressing with linear probing: process numbers are small and clustered, and the
 * table is read once per op, so a probe beats a pointer chase.
 */
enum { HIST_PROCS_KEY_FREE = INT32_MIN };

struct hist_procs {
	int32_t *keys;
	uint32_t *slots;
	uint32_t capacity;
	uint32_t count;
	uint32_t clients;
};

/* hist_procs_init() - an empty table; allocates nothing. */
void hist_procs_init(struct hist_procs *procs);

/* hist_procs_fini() - free the table; a zeroed table is allowed. */
void hist_procs_fini(struct hist_procs *procs);

/* hist_procs_find() - the slot of @process, or -ENOENT. */
int64_t hist_procs_find(const struct hist_procs *procs, int32_t process);

/**
 * hist_procs_insert() - the slot of @process, adding it if new.
 * @process: >= 0 or OP_PROCESS_NEMESIS (the nemesis does not count against the bound).
 * Return: the slot (>= 0); -E2BIG past HIST_PROCESSES_MAX client processes; -ENOMEM.
 */
int64_t hist_procs_insert(struct hist_procs *procs, int32_t process);

#endif /* HIST_PROCS_H */
