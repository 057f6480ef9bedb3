/* SPDX-License-Identifier: MIT */
/* op.h - one history operation, mirroring Jepsen's op map (STYLE S30). */
#ifndef OP_H
#define OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum op_type { OP_INVOKE, OP_OK, OP_FAIL, OP_INFO, OP_TYPE_COUNT };

/* The nemesis is process "nemesis" in JSON and this value in memory. */
enum { OP_PROCESS_NEMESIS = -1 };

/*
 * A value is any JSON. The CRDT workloads use only null, integers and arrays of integers,
 * which are kept unpacked so checkers need not parse; anything else keeps its compact JSON
 * text in @json.
 */
enum op_value_kind {
	OP_VALUE_NULL,  /* JSON null */
	OP_VALUE_INT,   /* @integer */
	OP_VALUE_INTS,  /* @ints[0 .. @count-1], in the order written */
	OP_VALUE_JSON,  /* @json: compact JSON text of any other value */
};

struct op_value {
	enum op_value_kind kind;
	uint32_t count;         /* OP_VALUE_INTS only */
	/* The one @kind says: a loaded history holds millions of ops. */
	union {
		int64_t integer;        /* OP_VALUE_INT only */
		const int64_t *ints;    /* OP_VALUE_INTS only; NULL when count == 0 */
		const char *json;       /* OP_VALUE_JSON only; NUL-terminated */
	};
};

/*
 * What an op's node and error say, apart from the op: few distinct pairs recur across a
 * history (nodes times error kinds), so a loaded history stores each pair once and every op
 * one pointer, not two (bench-checker prints the bytes per op).
 */
struct op_note {
	const char *node;       /* optional target node name, e.g. "n3"; NULL when absent */
	const char *error;      /* optional error text; NULL when absent */
};

/*
 * Strings and arrays are borrowed views: who owns them is said by the function that hands
 * the op out (writer: the caller; reader: valid until the next read; history: the history).
 */
enum { OP_INDEX_LIMIT = 1u << 29 };  /* indexes fit in the 29-bit field below */

/*
 * Index, type and final share one 32-bit word (bit-fields), beside process: a loaded history
 * holds millions of ops, and each word saved is 8 bytes per op (bench-checker prints them).
 */
struct op {
	int64_t time_ns;        /* since campaign start, non-decreasing along the history */
	uint32_t index : 29;    /* dense, 0-based, equal to the op's position; < OP_INDEX_LIMIT */
	uint32_t type : 2;      /* enum op_type */
	uint32_t final : 1;     /* true on reads taken after the final heal */
	int32_t process;        /* >= 0 client, OP_PROCESS_NEMESIS for the nemesis */
	const char *f;          /* non-empty */
	struct op_value value;
	const char *key;        /* optional object key; NULL when absent */
	const struct op_note *note;     /* node and error; NULL (or two NULLs) when absent */
};

/* op_node() - the op's target node name, e.g. "n3"; NULL when absent. */
static inline const char *op_node(const struct op *op)
{
	return op->note ? op->note->node : NULL;
}

/* op_error() - the op's error text; NULL when absent. */
static inline const char *op_error(const struct op *op)
{
	return op->note ? op->note->error : NULL;
}

_Static_assert(OP_TYPE_COUNT == 4, "enum op_type fills struct op's 2-bit type field");

/* op_type_name() - "invoke", "ok", "fail" or "info". */
const char *op_type_name(enum op_type type);

/* op_type_parse() - inverse of op_type_name(); -EINVAL for anything else. */
int op_type_parse(const char *name, enum op_type *out);

#endif /* OP_H */
