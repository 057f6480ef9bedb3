/* SPDX-License-Identifier: MIT */
/* op.c - names of op types, both ways. */
#include "op.h"

#include <errno.h>
#include <string.h>

#include "fl_assert.h"

static const char *const op_type_names[OP_TYPE_COUNT] = {
	[OP_INVOKE] = "invoke",
	[OP_OK] = "ok",
	[OP_FAIL] = "fail",
	[OP_INFO] = "info",
};

const char *op_type_name(enum op_type type)
{
	ASSERT((unsigned)type < OP_TYPE_COUNT);
	ASSERT(op_type_names[type] != NULL);
	return op_type_names[type];
}

int op_type_parse(const char *name, enum op_type *out)
{
	ASSERT(out != NULL);
	if (!name)
		return -EINVAL;
	for (unsigned i = 0; i < OP_TYPE_COUNT; i++) {
		if (strcmp(name, op_type_names[i]) == 0) {
			*out = (enum op_type)i;
			return 0;
		}
	}
	return -EINVAL;
}
