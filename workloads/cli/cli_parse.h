/* SPDX-License-Identifier: MIT */
/* cli_parse.h - number parsing for command-line options, strict about the whole argument. */
#ifndef CLI_PARSE_H
#define CLI_PARSE_H

#include <stdint.h>

/* cli_parse_double() - @text is a number in [@min, @max] (NaN never is). -EINVAL otherwise. */
int cli_parse_double(const char *text, double min, double max, double *out);

/* cli_parse_u64() - @text is an unsigned 64-bit integer (decimal, 0x hex, 0 octal). -EINVAL. */
int cli_parse_u64(const char *text, uint64_t *out);

/* cli_parse_u64_in() - the same, and in [@min, @max]. -EINVAL otherwise. */
int cli_parse_u64_in(const char *text, uint64_t min, uint64_t max, uint64_t *out);

#endif /* CLI_PARSE_H */
