/* SPDX-License-Identifier: MIT */
/* hist_procs.c - process numbers mapped to dense slot numbers (open addressing). */
#include "hist_procs.h"

#include <errno.h>
#include <stdlib.h>

#include "fl_assert.h"
#include "hist.h"

enum { PROCS_CAPACITY_MIN = 16 };

/* The table never holds more than every client plus the nemesis, at half load. */
STATIC_ASSERT(HIST_PROCESSES_MAX <= (1u << 29), "capacity arithmetic fits in uint32_t");

static uint32_t probe_start(int32_t process, uint32_t capacity)
{
	/* Fibonacci hashing spreads consecutive process numbers over the table. */
	uint32_t h = (uint32_t)process * 2654435769u;

	ASSERT(capacity != 0);
	ASSERT((capacity & (capacity - 1)) == 0);
	return h & (capacity - 1);
}

void hist_procs_init(struct hist_procs *procs)
{
	ASSERT(procs != NULL);
	*procs = (struct hist_procs){ 0 };
}

void hist_procs_fini(struct hist_procs *procs)
{
	if (!procs)
		return;
	free(procs->keys);
	free(procs->slots);
	*procs = (struct hist_procs){ 0 };
}

int64_t hist_procs_find(const struct hist_procs *procs, int32_t process)
{
	ASSERT(procs != NULL);
	ASSERT(process != HIST_PROCS_KEY_FREE);
	if (procs->capacity == 0)
		return -ENOENT;
	uint32_t i = probe_start(process, procs->capacity);
	/* Bounded: at most half the entries are used, so a free one is met within capacity. */
	for (uint32_t n = 0; n < procs->capacity; n++) {
		if (procs->keys[i] == process)
			return procs->slots[i];
		if (procs->keys[i] == HIST_PROCS_KEY_FREE)
			return -ENOENT;
		i = (i + 1) & (procs->capacity - 1);
	}
	ASSERT(!"hist_procs table full");
	return -ENOENT;
}

static void place(int32_t *keys, uint32_t *slots, uint32_t capacity, int32_t process,
		  uint32_t slot)
{
	uint32_t i = probe_start(process, capacity);

	for (uint32_t n = 0; n < capacity; n++) {
		if (keys[i] == HIST_PROCS_KEY_FREE) {
			keys[i] = process;
			slots[i] = slot;
			return;
		}
		ASSERT(keys[i] != process);
		i = (i + 1) & (capacity - 1);
	}
	ASSERT(!"hist_procs table full");
}

static int grow(struct hist_procs *procs)
{
	uint32_t capacity = procs->capacity ? procs->capacity * 2 : PROCS_CAPACITY_MIN;
	int32_t *keys = malloc((size_t)capacity * sizeof(*keys));
	uint32_t *slots = malloc((size_t)capacity * sizeof(*slots));

	if (!keys || !slots) {
		free(keys);
		free(slots);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < capacity; i++)
		keys[i] = HIST_PROCS_KEY_FREE;
	for (uint32_t i = 0; i < procs->capacity; i++) {
		if (procs->keys[i] != HIST_PROCS_KEY_FREE)
			place(keys, slots, capacity, procs->keys[i], procs->slots[i]);
	}
	free(procs->keys);
	free(procs->slots);
	procs->keys = keys;
	procs->slots = slots;
	procs->capacity = capacity;
	return 0;
}

int64_t hist_procs_insert(struct hist_procs *procs, int32_t process)
{
	int64_t slot = hist_procs_find(procs, process);
	int err;

	ASSERT(process >= 0 || process == OP_PROCESS_NEMESIS);
	if (slot >= 0)
		return slot;
	if (process >= 0 && procs->clients >= HIST_PROCESSES_MAX)
		return -E2BIG;
	if ((procs->count + 1) * 2 > procs->capacity) {
		err = grow(procs);
		if (err < 0)
			return err;
	}
	place(procs->keys, procs->slots, procs->capacity, process, procs->count);
	slot = procs->count++;
	if (process >= 0)
		procs->clients++;
	ASSERT(procs->count * 2 <= procs->capacity);
	ASSERT(procs->clients <= HIST_PROCESSES_MAX);
	return slot;
}
