/* SPDX-License-Identifier: MIT */
/* hist_value.c - unpacks null, integers and integer arrays; keeps other JSON as compact text. */
#include "hist_value.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

static bool all_integers(const json_t *array)
{
	size_t i;
	json_t *e;

	json_array_foreach(array, i, e) {
		if (!json_is_integer(e))
			return false;
	}
	return true;
}

int hist_value_unpack(const json_t *v, int64_t **ints, size_t *ints_max, char **json,
		      struct op_value *out)
{
	*out = (struct op_value){ .kind = OP_VALUE_NULL };
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		out->kind = OP_VALUE_INT;
		out->integer = json_integer_value(v);
		return 0;
	}
	if (json_is_array(v) && all_integers(v)) {
		size_t count = json_array_size(v);

		if (count > UINT32_MAX)
			return -E2BIG;
		if (count > *ints_max) {
			int64_t *grown = reallocarray(*ints, count, sizeof(*grown));

			if (!grown)
				return -ENOMEM;
			*ints = grown;
			*ints_max = count;
		}
		for (size_t i = 0; i < count; i++)
			(*ints)[i] = json_integer_value(json_array_get(v, i));
		*out = (struct op_value){ .kind = OP_VALUE_INTS, .count = (uint32_t)count,
					  .ints = count ? *ints : NULL };
		return 0;
	}
	*json = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!*json)
		return -ENOMEM;
	*out = (struct op_value){ .kind = OP_VALUE_JSON, .json = *json };
	return 0;
}

bool hist_value_digits(const char *p, const char *end, bool negative, int64_t *out,
		       const char **stop)
{
	uint64_t v = 0, limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	const char *start = p;

	/* Bounded by @end. */
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		uint64_t d = (uint64_t)(*p - '0');

		/* 18 digits stay below INT64_MAX: divide only from the 19th on (the division
		 * on every digit was a sixth of loading a set history, by perf). */
		if (p - start >= 18 && v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = negative ? (int64_t)(0 - v) : (int64_t)v;
	*stop = p;
	return p > start;
}
