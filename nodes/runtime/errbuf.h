/* SPDX-License-Identifier: MIT */
/* errbuf.h - a fixed-size human message that travels beside a -errno return code. */
#ifndef ERRBUF_H
#define ERRBUF_H

enum { ERRBUF_BYTES_MAX = 256 };

struct errbuf {
	char msg[ERRBUF_BYTES_MAX];
};

/**
 * errbuf_set() - format a message into @eb (which may be NULL) and return @err unchanged.
 * The message names the input (file:line, field, value). Truncated silently to the buffer,
 * which is the one place truncation is allowed: it is a diagnostic, not data.
 */
int errbuf_set(struct errbuf *eb, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * errbuf_prefix() - prepend context ("while doing X: ") to the message already in @eb.
 * Return: @err unchanged. Does nothing if @eb is NULL.
 */
int errbuf_prefix(struct errbuf *eb, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* errbuf_clear() - empty the message; @eb may be NULL. */
void errbuf_clear(struct errbuf *eb);

#endif /* ERRBUF_H */
