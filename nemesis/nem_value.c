/* SPDX-License-Identifier: MIT */
/* nem_value.c - snprintf into a nemesis completion, asserting it fits. */
#include "nem_value.h"

#include <stdarg.h>

#include "cluster.h"
#include "fl_assert.h"
#include "nemesis.h"

void nem_value_init(struct nem_value *w, struct nem_completion *completion)
{
	textbuf_init(&w->text, completion->value, sizeof(completion->value));
}

void nem_value_put(struct nem_value *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	textbuf_vput(&w->text, fmt, ap);
	va_end(ap);
	ASSERT(!w->text.full);
}

void nem_value_nodes(struct nem_value *w, const struct cluster *c, const char *key, uint64_t set)
{
	const char *sep = "";

	nem_value_put(w, "\"%s\":[", key);
	for (uint32_t i = 0; i < cluster_node_count(c); i++) {
		if (!(set & (1ull << i)))
			continue;
		nem_value_put(w, "%s\"%s\"", sep, cluster_node_name(c, i));
		sep = ",";
	}
	nem_value_put(w, "]");
}
