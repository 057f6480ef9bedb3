/* SPDX-License-Identifier: MIT */
/* jepsen_scan.h - private to the import: a fast scanner for the common shape of a Jepsen
 * EDN op map. */
#ifndef JEPSEN_SCAN_H
#define JEPSEN_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "op.h"

/* A piece of the text: a keyword's name (no colon) or a string's bytes (no quotes). */
struct jepsen_span {
	const char *start;
	size_t size;            /* 0 and start NULL: absent */
};

/* What the scanner read of one op map. */
struct jepsen_scanned {
	int32_t process;        /* >= 0, or OP_PROCESS_NEMESIS */
	enum op_type type;
	struct jepsen_span f, key, node, error;
	struct op_value value;  /* null, an integer, or integers (in the caller's array) */
	bool has_time;
	int64_t time;
	int64_t index;          /* -1: none */
};

/**
 * jepsen_scan_op() - read the op map at @text[*@pos] when it has the common shape: one
 * line, keys that are keywords among :process :type :f :value :time :index :key :node
 * :error (each once) plus others whose values are single atoms (ignored, as the full
 * reader ignores them), :process an integer or :nemesis, :type one of the four, :f a
 * keyword, :value nil, an integer or a vector of integers, :time and :index integers
 * >= 0, :key :node :error keywords or plain ASCII strings. On success *@pos is past the
 * closing brace. Anything else returns 0 with *@pos unchanged, for the full EDN reader,
 * which reads it or refuses it with its message: the scanner never decides a map is bad.
 * Hand-written because bench-checker shows the EDN import at about 0.4M ops/s through a
 * JSON tree per op, against a target of 1M.
 * Return: 1 scanned into @out; 0 not the common shape; -ENOMEM (growing *@ints).
 */
int jepsen_scan_op(const char *text, size_t size, size_t *pos, struct jepsen_scanned *out,
		   int64_t **ints, size_t *ints_max);

#endif /* JEPSEN_SCAN_H */
