/* SPDX-License-Identifier: MIT */
/* crdt_object.h - a named CRDT object of one of three types, and the deliberate bugs. */
#ifndef CRDT_OBJECT_H
#define CRDT_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crdt_limits.h"
#include "gcounter.h"
#include "gset.h"
#include "orset.h"

enum crdt_type {
	CRDT_TYPE_NONE = 0,
	CRDT_TYPE_GCOUNTER = 1,
	CRDT_TYPE_GSET = 2,
	CRDT_TYPE_ORSET = 3,
	CRDT_TYPE_COUNT,
};

/* Deliberate bugs, set in the replica config (`--bug NAME`). */
enum crdt_bug {
	CRDT_BUG_GCOUNTER_SUM_MERGE = 1u << 0,
	CRDT_BUG_ORSET_REMOVE_WINS = 1u << 1,
	CRDT_BUG_NO_RETRANSMIT = 1u << 2,
	CRDT_BUG_RESTART_EMPTY = 1u << 3,       /* crdt_replica_load() ignores the file */
};

/*
 * One object. The union is sized by the largest type (the OR-Set), which makes each slot
 * large; slots are allocated once, at start-up, and pages never touched stay unmapped.
 */
struct crdt_object {
	enum crdt_type type;
	uint32_t name_size;                     /* 1..CRDT_NAME_BYTES_MAX */
	char name[CRDT_NAME_BYTES_MAX + 1];     /* NUL-terminated */
	union {
		struct gcounter gcounter;
		struct gset gset;
		struct orset orset;
	} u;
};

/* crdt_type_name() - "gcounter", "gset" or "orset"; @type must be valid. */
const char *crdt_type_name(enum crdt_type type);

/* crdt_type_parse() - Return: the type named by @name[0..@size), or CRDT_TYPE_NONE. */
enum crdt_type crdt_type_parse(const char *name, size_t size);

/* crdt_name_valid() - true if @name[0..@size) is 1..32 chars of [A-Za-z0-9_-]. */
bool crdt_name_valid(const char *name, size_t size);

/* crdt_bug_parse() - Return: 0 and *@bug for a known bug name, or -EINVAL. */
int crdt_bug_parse(const char *name, enum crdt_bug *bug);

/* crdt_object_init() - an empty object; @name must be valid, @type a real type. */
void crdt_object_init(struct crdt_object *obj, enum crdt_type type, const char *name,
		      size_t name_size);

/**
 * crdt_object_merge() - join @src into @dst (same name and type) under the @bugs flags.
 * Return: 0; -E2BIG if a bound would be exceeded (@dst unchanged).
 */
int crdt_object_merge(struct crdt_object *dst, const struct crdt_object *src, uint32_t bugs);

/* crdt_object_equal() - same name, type and state. */
bool crdt_object_equal(const struct crdt_object *a, const struct crdt_object *b);

#endif /* CRDT_OBJECT_H */
