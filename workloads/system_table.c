/* SPDX-License-Identifier: MIT */
/* system_table.c - the one table of systems `faultline run` knows: one row per system. */
#include "system.h"

#include <stdio.h>
#include <string.h>

#include "fl_assert.h"

/* Each system's descriptor lives in its own file (workloads/<system>_system.c). */
extern const struct system_desc crdt_system_desc;
extern const struct system_desc lww_system_desc;
extern const struct system_desc pbft_system_desc;
extern const struct system_desc chord_system_desc;
extern const struct system_desc stream_system_desc;
extern const struct system_desc mapreduce_system_desc;

static const struct system_desc *const systems[] = {
	&crdt_system_desc,
	&lww_system_desc,
	&pbft_system_desc,
	&chord_system_desc,
	&stream_system_desc,
	&mapreduce_system_desc,
};

const struct system_desc *system_desc_at(size_t i)
{
	return i < ARRAY_SIZE(systems) ? systems[i] : NULL;
}

const struct system_desc *system_desc_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(systems); i++) {
		if (strcmp(systems[i]->name, name) == 0)
			return systems[i];
	}
	return NULL;
}

const char *system_desc_names(void)
{
	static char names[256];

	/* Built once from the table (a few bytes a system), so the list cannot fall behind. */
	if (!names[0]) {
		size_t used = 0;

		for (size_t i = 0; i < ARRAY_SIZE(systems); i++)
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
						 i ? ", " : "", systems[i]->name);
		ASSERT(used < sizeof(names));
	}
	return names;
}

const struct system_bug *system_bug_find(const struct system_desc *desc, const char *name)
{
	for (const struct system_bug *b = desc->bugs; b && b->name; b++) {
		if (strcmp(b->name, name) == 0)
			return b;
	}
	return NULL;
}
