/* SPDX-License-Identifier: MIT */
/* nem_value.h - building a completion's JSON value in place, bounded by its buffer. */
#ifndef NEM_VALUE_H
#define NEM_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "textbuf.h"

struct cluster;
struct nem_completion;

/* The completion's text (nodes/runtime/textbuf.h); never full (nem_value_put asserts). */
struct nem_value {
	struct textbuf text;
};

/* nem_value_init() - start an empty value in @completion->value. */
void nem_value_init(struct nem_value *w, struct nem_completion *completion);

/*
 * nem_value_put() - append printf output. Values are sized by their nemesis to fit
 * NEM_VALUE_BYTES_MAX, so an overflow is a programmer error and asserts.
 */
void nem_value_put(struct nem_value *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* nem_value_nodes() - append "key":["n1","n3"] for the bits of @set, in node order. */
void nem_value_nodes(struct nem_value *w, const struct cluster *c, const char *key, uint64_t set);

#endif /* NEM_VALUE_H */
