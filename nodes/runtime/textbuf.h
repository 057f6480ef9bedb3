/* SPDX-License-Identifier: MIT */
/* textbuf.h - appending printf output to a caller's buffer, bounded: never past its end. */
#ifndef TEXTBUF_H
#define TEXTBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Invariants: used < size and buf[used] == '\0' (the NUL always fits); full once something
 * did not fit (what fitted of it is kept: the text is cut, never overrun).
 */
struct textbuf {
	char *buf;
	size_t size, used;
	bool full;
};

/* textbuf_init() - an empty text in @buf of @size >= 1 bytes. */
void textbuf_init(struct textbuf *t, char *buf, size_t size);

/* textbuf_put() - append printf output, cutting it (and setting full) where @buf ends. */
void textbuf_put(struct textbuf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* textbuf_vput() - textbuf_put() with a va_list. */
void textbuf_vput(struct textbuf *t, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#endif /* TEXTBUF_H */
