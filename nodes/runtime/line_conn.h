/* SPDX-License-Identifier: MIT */
/* line_conn.h - one TCP connection carrying text lines, every step bounded by a deadline. */
#ifndef LINE_CONN_H
#define LINE_CONN_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct errbuf;

/* Invariant: fd >= 0 exactly while connected; @used <= @size - 1 (room for a NUL). */
struct line_conn {
	int fd;
	uint16_t port;
	uint32_t used, size;
	char *buffer;                   /* caller's storage of @size bytes: one reply line */
};

/* line_conn_init() - not connected; @buffer (of @size >= 2 bytes) is borrowed. */
void line_conn_init(struct line_conn *c, uint16_t port, char *buffer, uint32_t size);

/* line_conn_open() - connect to @addr:port before @deadline_ns (monotonic).
 * Return: 0; -ETIMEDOUT; -errno (@eb says "connect ADDR:PORT: ..."). */
int line_conn_open(struct line_conn *c, struct in_addr addr, int64_t deadline_ns,
		   struct errbuf *eb);

void line_conn_close(struct line_conn *c);

/* line_conn_send() - all of @line before @deadline_ns. Return: 0, -ETIMEDOUT or -errno. */
int line_conn_send(struct line_conn *c, const char *line, size_t size, int64_t deadline_ns);

/**
 * line_conn_recv() - one line into c->buffer, its newline replaced by NUL; the next call
 * starts a new line (anything received past it is dropped: one request, one reply).
 * Return: the line's length; -EMSGSIZE if it does not fit; -ECONNRESET; -ETIMEDOUT; -errno.
 */
ssize_t line_conn_recv(struct line_conn *c, int64_t deadline_ns);

#endif /* LINE_CONN_H */
