/* SPDX-License-Identifier: MIT */
/* cli_parse.c - strtod/strtoull with the checks every option needs. */
#include "cli_parse.h"

#include <errno.h>
#include <stdlib.h>

int cli_parse_double(const char *text, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || *end || !(v >= min && v <= max))
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_parse_u64(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*text == '-')
		return -EINVAL;
	v = strtoull(text, &end, 0);
	if (errno || end == text || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_parse_u64_in(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (cli_parse_u64(text, &v) < 0 || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}
