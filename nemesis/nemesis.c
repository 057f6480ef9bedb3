/* SPDX-License-Identifier: MIT */
/* nemesis.c - the no-op nemesis (Jepsen's noop): accepts every request and changes nothing. */
#include "nemesis.h"

#include <stdio.h>
#include <string.h>

#include "fl_assert.h"

static int noop_invoke(struct nemesis *nem, const struct nem_request *request,
		       struct prng *prng, struct nem_completion *completion, struct errbuf *eb)
{
	const char *value;

	ASSERT(request && request->f);
	ASSERT(completion);
	value = request->arg && strlen(request->arg) < sizeof(completion->value) ? request->arg
										 : "null";
	snprintf(completion->value, sizeof(completion->value), "%s", value);
	return 0;
}

const struct nemesis_ops nem_noop_ops = {
	.name = "noop",
	.fs = 0,
	.setup = NULL,
	.invoke = noop_invoke,
	.teardown = NULL,
};
