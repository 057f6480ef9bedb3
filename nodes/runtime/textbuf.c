/* SPDX-License-Identifier: MIT */
/* textbuf.c - bounded appends of printf output. */
#include "textbuf.h"

#include <stdio.h>

#include "fl_assert.h"

void textbuf_init(struct textbuf *t, char *buf, size_t size)
{
	ASSERT(buf && size >= 1);
	*t = (struct textbuf){ .buf = buf, .size = size };
	buf[0] = '\0';
}

void textbuf_vput(struct textbuf *t, const char *fmt, va_list ap)
{
	int n;

	ASSERT(t->used < t->size);
	n = vsnprintf(t->buf + t->used, t->size - t->used, fmt, ap);
	ASSERT(n >= 0);
	if ((size_t)n >= t->size - t->used) {
		t->full = true;
		t->used = t->size - 1;
	} else {
		t->used += (size_t)n;
	}
	ASSERT(t->buf[t->used] == '\0');
}

void textbuf_put(struct textbuf *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	textbuf_vput(t, fmt, ap);
	va_end(ap);
}
