/* SPDX-License-Identifier: MIT */
/* log.c - one line per message on stderr, prefixed by the level. */
#include "log.h"

#include <stdarg.h>

enum log_level log_level_max = LOG_LEVEL_INFO;

void log_message(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	char line[1024];
	va_list ap;

	if (level > log_level_max)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line, so lines from threads do not interleave mid-line. */
	fprintf(stderr, "%s: %s\n", names[level], line);
}
