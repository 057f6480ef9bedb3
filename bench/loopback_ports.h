/* SPDX-License-Identifier: MIT */
/* loopback_ports.h - a window of free ports on 127.0.0.1 for node processes the benchmarks
 * run without namespaces: node i gets TCP first + 2i and UDP first + 2i + 1. */
#ifndef LOOPBACK_PORTS_H
#define LOOPBACK_PORTS_H

#include <stdint.h>

struct errbuf;

/**
 * loopback_ports_find() - the lowest first in @from, @from + 2 * @count, ... with every port
 * of first .. first + 2 * @count - 1 free (even offsets bindable as TCP with SO_REUSEADDR,
 * as the nodes bind them; odd ones as UDP) and the last <= @last.
 * Return: 0 with *@first_out; -EADDRINUSE (@eb names the range).
 */
int loopback_ports_find(uint32_t count, uint32_t from, uint32_t last, uint32_t *first_out,
			struct errbuf *eb);

#endif /* LOOPBACK_PORTS_H */
