/* SPDX-License-Identifier: MIT */
/* system.c - the table of systems `faultline run` knows. */
#include "system.h"

#include <string.h>

#include "fl_assert.h"

static const struct system_kind kinds[] = {
	{ "crdt", "crdt-node", crdt_system_new },
	{ "lww", "lww-node", lww_system_new },
};

const struct system_kind *system_kind_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	}
	return NULL;
}

const char *system_kind_names(void)
{
	return "crdt, lww";
}
