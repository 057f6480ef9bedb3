/* SPDX-License-Identifier: MIT */
/* lww_harness.h - helpers for the LWW core tests: nodes in static storage, request lines
 * served at a given physical time, gossip handed from one node to another. Header-only. */
#ifndef LWW_HARNESS_H
#define LWW_HARNESS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "lww.h"
#include "lww_wire.h"

enum { HARNESS_NODES_MAX = 4 };

/* A physical time in 2023, in ns, and one second. */
#define HARNESS_PT_NS 1700000000000000000ll
#define HARNESS_S_NS 1000000000ll

static struct lww_node harness_node[HARNESS_NODES_MAX];
static char harness_line[LWW_REPLY_BYTES_MAX + 1];
static struct lww_reply harness_last;

static inline void harness_setup(uint32_t n, uint32_t bugs, int64_t max_offset_ns)
{
	struct errbuf eb = { "" };

	cr_assert(n >= 1 && n <= HARNESS_NODES_MAX);
	for (uint32_t i = 0; i < n; i++) {
		struct lww_config c = { .id = i, .replicas = n, .bugs = bugs,
					.max_offset_ns = max_offset_ns };

		cr_assert_eq(lww_node_init(&harness_node[i], &c, &eb), 0, "%s", eb.msg);
	}
}

/* request() - @line served by node @i at @pt_ns; the reply line (valid until the next call),
 * its fields in harness_last. A line the parser rejects gives its "err" line. */
static inline const char *harness_request(uint32_t i, const char *line, int64_t pt_ns)
{
	struct lww_request req;
	struct errbuf eb = { "" };
	ssize_t n;

	memset(&harness_last, 0, sizeof(harness_last));
	if (lww_request_parse(line, strlen(line), &req, &eb) < 0)
		harness_last.error = eb.msg;
	else
		lww_node_serve(&harness_node[i], &req, pt_ns, &harness_last);
	n = lww_reply_format(&harness_last, harness_line, sizeof(harness_line));
	cr_assert_gt(n, 0);
	harness_last.error = harness_last.error ? "(see the line)" : NULL;
	return harness_line;
}

/* gossip() - node @from's whole state delivered to node @to at @pt_ns. Return: its result. */
static inline int harness_gossip(uint32_t from, uint32_t to, int64_t pt_ns, bool *changed)
{
	static uint8_t datagram[LWW_DATAGRAM_BYTES_MAX];
	struct errbuf eb = { "" };
	ssize_t n = lww_node_gossip(&harness_node[from], datagram, sizeof(datagram));

	cr_assert_geq(n, LWW_WIRE_HEADER_BYTES);
	return lww_node_receive(&harness_node[to], datagram, (size_t)n, pt_ns, changed, &eb);
}

/* harness_register() - the register of @key at node @i (ts 0 if never written). */
static inline struct lww_register harness_register(uint32_t i, const char *key)
{
	const struct lww_register *r = lww_store_find(&harness_node[i].store, key, strlen(key));
	struct lww_register none = { 0, 0, 0 };

	return r ? *r : none;
}

#endif /* LWW_HARNESS_H */
