/* SPDX-License-Identifier: MIT */
/* errbuf.c - formatting of error messages passed beside -errno codes. */
#include "errbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int errbuf_set(struct errbuf *eb, int err, const char *fmt, ...)
{
	va_list ap;

	if (!eb)
		return err;
	va_start(ap, fmt);
	vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
	va_end(ap);
	return err;
}

int errbuf_prefix(struct errbuf *eb, int err, const char *fmt, ...)
{
	char old[ERRBUF_BYTES_MAX];
	va_list ap;
	int n;

	if (!eb)
		return err;
	memcpy(old, eb->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	va_start(ap, fmt);
	n = vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(eb->msg))
		snprintf(eb->msg + n, sizeof(eb->msg) - (size_t)n, "%s", old);
	return err;
}

void errbuf_clear(struct errbuf *eb)
{
	if (eb)
		eb->msg[0] = '\0';
}
