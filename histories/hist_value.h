/* SPDX-License-Identifier: MIT */
/* hist_value.h - a JSON value as an op_value: the unpacking every history reader shares. */
#ifndef HIST_VALUE_H
#define HIST_VALUE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "op.h"

/**
 * hist_value_unpack() - @v as @out: NULL or null is OP_VALUE_NULL, an integer OP_VALUE_INT,
 * an array of integers OP_VALUE_INTS (copied into *@ints, grown to *@ints_max entries as
 * needed), anything else OP_VALUE_JSON with its compact text in a new *@json, which the caller
 * frees (and must have freed before the call). @out borrows *@ints or *@json.
 * Return: 0; -ENOMEM; -E2BIG for an array of more than UINT32_MAX elements.
 */
int hist_value_unpack(const json_t *v, int64_t **ints, size_t *ints_max, char **json,
		      struct op_value *out);

/**
 * hist_value_digits() - the decimal digits from @p on (up to the first other byte, or @end),
 * negated when @negative, into *@out; *@stop gets where they end. For the scanners
 * (hist_scan.c, jepsen_scan.c), which check the sign and what may follow themselves.
 * Return: false when there is no digit or the value does not fit int64_t.
 */
bool hist_value_digits(const char *p, const char *end, bool negative, int64_t *out,
		       const char **stop);

#endif /* HIST_VALUE_H */
