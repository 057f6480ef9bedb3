/* SPDX-License-Identifier: MIT */
/* crdt_object.c - naming, type dispatch and the join of whole objects. */
#include "crdt_object.h"

#include <errno.h>
#include <string.h>

#include "fl_assert.h"

static const char *const type_names[CRDT_TYPE_COUNT] = {
	[CRDT_TYPE_GCOUNTER] = "gcounter",
	[CRDT_TYPE_GSET] = "gset",
	[CRDT_TYPE_ORSET] = "orset",
};

static const struct {
	const char *name;
	enum crdt_bug bug;
} bugs_table[] = {
	{ "gcounter-sum-merge", CRDT_BUG_GCOUNTER_SUM_MERGE },
	{ "orset-remove-wins", CRDT_BUG_ORSET_REMOVE_WINS },
	{ "no-retransmit", CRDT_BUG_NO_RETRANSMIT },
	{ "restart-empty", CRDT_BUG_RESTART_EMPTY },
};

const char *crdt_type_name(enum crdt_type type)
{
	ASSERT(type > CRDT_TYPE_NONE);
	ASSERT(type < CRDT_TYPE_COUNT);
	return type_names[type];
}

enum crdt_type crdt_type_parse(const char *name, size_t size)
{
	for (int t = CRDT_TYPE_GCOUNTER; t < CRDT_TYPE_COUNT; t++) {
		if (strlen(type_names[t]) == size && memcmp(type_names[t], name, size) == 0)
			return (enum crdt_type)t;
	}
	return CRDT_TYPE_NONE;
}

bool crdt_name_valid(const char *name, size_t size)
{
	if (size < 1 || size > CRDT_NAME_BYTES_MAX)
		return false;
	for (size_t i = 0; i < size; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

int crdt_bug_parse(const char *name, enum crdt_bug *bug)
{
	for (size_t i = 0; i < ARRAY_SIZE(bugs_table); i++) {
		if (strcmp(bugs_table[i].name, name) == 0) {
			*bug = bugs_table[i].bug;
			return 0;
		}
	}
	return -EINVAL;
}

void crdt_object_init(struct crdt_object *obj, enum crdt_type type, const char *name,
		      size_t name_size)
{
	ASSERT(crdt_name_valid(name, name_size));
	ASSERT(type > CRDT_TYPE_NONE && type < CRDT_TYPE_COUNT);
	obj->type = type;
	obj->name_size = (uint32_t)name_size;
	memcpy(obj->name, name, name_size);
	obj->name[name_size] = '\0';
	switch (type) {
	case CRDT_TYPE_GCOUNTER:
		gcounter_init(&obj->u.gcounter);
		break;
	case CRDT_TYPE_GSET:
		gset_init(&obj->u.gset);
		break;
	default:
		orset_init(&obj->u.orset);
		break;
	}
}

int crdt_object_merge(struct crdt_object *dst, const struct crdt_object *src, uint32_t bugs)
{
	ASSERT(dst->type == src->type);
	ASSERT(strcmp(dst->name, src->name) == 0);
	switch (dst->type) {
	case CRDT_TYPE_GCOUNTER:
		if (bugs & CRDT_BUG_GCOUNTER_SUM_MERGE)
			gcounter_merge_sum(&dst->u.gcounter, &src->u.gcounter);
		else if (dst != src)
			gcounter_merge(&dst->u.gcounter, &src->u.gcounter);
		return 0;
	case CRDT_TYPE_GSET:
		return gset_merge(&dst->u.gset, &src->u.gset);
	case CRDT_TYPE_ORSET:
		return orset_merge(&dst->u.orset, &src->u.orset);
	default:
		ASSERT(!"object without a type");
		return -EINVAL;
	}
}

bool crdt_object_equal(const struct crdt_object *a, const struct crdt_object *b)
{
	if (a->type != b->type || strcmp(a->name, b->name) != 0)
		return false;
	switch (a->type) {
	case CRDT_TYPE_GCOUNTER:
		return gcounter_equal(&a->u.gcounter, &b->u.gcounter);
	case CRDT_TYPE_GSET:
		return gset_equal(&a->u.gset, &b->u.gset);
	case CRDT_TYPE_ORSET:
		return orset_equal(&a->u.orset, &b->u.orset);
	default:
		return false;
	}
}
