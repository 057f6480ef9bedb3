/* SPDX-License-Identifier: MIT */
/* tbf.c - the "bandwidth" nemesis: a tbf root qdisc on the switch port towards each node. */
#include "qdisc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "qdisc_internal.h"

enum { DEFAULT_RATE_BYTES_PER_S = 125000 };     /* 1 Mbit/s */

/* Invariant: ports.sk != NULL exactly between a successful setup and teardown. */
struct nem_bandwidth {
	struct nemesis base;
	struct qdisc_ports ports;
};

static struct nem_bandwidth *bandwidth_of(struct nemesis *nem)
{
	ASSERT(nem && nem->ops == &nem_bandwidth_ops);
	return container_of(nem, struct nem_bandwidth, base);
}

int nem_qdisc_bandwidth_new(struct nemesis **out, struct errbuf *eb)
{
	struct nem_bandwidth *b;

	ASSERT(out);
	b = calloc(1, sizeof(*b));
	if (!b)
		return errbuf_set(eb, -ENOMEM, "allocate bandwidth nemesis");
	b->base.ops = &nem_bandwidth_ops;
	*out = &b->base;
	return 0;
}

static void nem_qdisc_bandwidth_free(struct nemesis *nem)
{
	if (!nem)
		return;
	nem_teardown(nem, NULL);
	free(bandwidth_of(nem));
}

static int bandwidth_setup(struct nemesis *nem, struct cluster *cluster, struct errbuf *eb)
{
	struct nem_bandwidth *b = bandwidth_of(nem);
	int err;

	ASSERT(cluster);
	ASSERT(!b->ports.sk);
	err = qdisc_ports_open(&b->ports, cluster, "tbf", QDISC_HANDLE_TBF, eb);
	if (err)
		return errbuf_prefix(eb, err, "bandwidth setup: ");
	ASSERT(b->ports.installed == 0);
	return 0;
}

static int bandwidth_teardown(struct nemesis *nem, struct errbuf *eb)
{
	struct nem_bandwidth *b = bandwidth_of(nem);
	int err;

	err = qdisc_ports_close(&b->ports, eb);
	ASSERT(!b->ports.sk);
	return err;
}

/* {"rate_kbit":800,"nodes":["n1","n2"]}; every node's name always fits NEM_VALUE_BYTES_MAX. */
static void describe(const struct nem_bandwidth *b, uint64_t rate, uint64_t nodes,
		     struct nem_completion *completion)
{
	size_t size = sizeof(completion->value), len;
	char *buf = completion->value;
	int w;

	w = snprintf(buf, size, "{\"rate_kbit\":%llu,\"nodes\":[",
		     (unsigned long long)(rate * 8 / 1000));
	ASSERT(w > 0 && (size_t)w < size);
	len = (size_t)w;
	for (uint32_t i = 0; i < b->ports.count; i++) {
		if (!((nodes >> i) & 1))
			continue;
		w = snprintf(buf + len, size - len, "%s\"%s\"", buf[len - 1] == '[' ? "" : ",",
			     b->ports.names[i]);
		ASSERT(w > 0 && (size_t)w < size - len);
		len += (size_t)w;
	}
	ASSERT(len + 3 <= size);
	memcpy(buf + len, "]}", 3);
}

static int bandwidth_start(struct nem_bandwidth *b, const struct nem_params *params,
			   struct nem_completion *completion, struct errbuf *eb)
{
	uint64_t rate = params ? params->rate_bytes_per_s : DEFAULT_RATE_BYTES_PER_S;
	uint64_t all = nem_nodes_all(b->ports.count), nodes = params ? params->nodes : 0;
	struct qdisc_ports *ports = &b->ports;
	uint32_t i;
	int err;

	if (nodes & ~all)
		return errbuf_set(eb, -EINVAL, "start-bandwidth: nodes %#llx beyond %u nodes",
				  (unsigned long long)nodes, ports->count);
	nodes = nodes ? nodes : all;
	for (i = 0; i < ports->count; i++) {        /* validate all before changing any */
		err = qdisc_tbf_fill(ports->qdiscs[i], cluster_port_ifindex(ports->cluster, i),
				     rate, eb);
		if (err)
			return errbuf_prefix(eb, err, "start-bandwidth: ");
	}
	for (i = 0; i < ports->count; i++) {
		if ((nodes >> i) & 1)
			err = qdisc_ports_install(ports, i, eb);
		else
			err = qdisc_ports_remove(ports, i, eb);
		if (err)
			return err;
	}
	ASSERT(ports->installed == nodes);
	describe(b, rate, nodes, completion);
	return 0;
}

static int bandwidth_invoke(struct nemesis *nem, const struct nem_request *request,
			    struct prng *prng, struct nem_completion *completion,
			    struct errbuf *eb)
{
	struct nem_bandwidth *b = bandwidth_of(nem);
	int w, err;

	ASSERT(request && request->f);
	ASSERT(completion);
	if (!b->ports.sk)
		return errbuf_set(eb, -EINVAL, "bandwidth nemesis is not set up");
	if (!strcmp(request->f, "start-bandwidth"))
		return bandwidth_start(b, request->params, completion, eb);
	if (strcmp(request->f, "stop-bandwidth"))
		return errbuf_set(eb, -EINVAL, "bandwidth nemesis: unknown f '%s'", request->f);
	for (uint32_t i = 0; i < b->ports.count; i++) {
		err = qdisc_ports_remove(&b->ports, i, eb);
		if (err)
			return err;
	}
	ASSERT(b->ports.installed == 0);
	w = snprintf(completion->value, sizeof(completion->value), "{\"healed\":\"bandwidth\"}");
	ASSERT(w > 0 && (size_t)w < sizeof(completion->value));
	return 0;
}

const struct nemesis_ops nem_bandwidth_ops = {
	.name = "bandwidth",
	.fs = NEM_F_BANDWIDTH,
	.setup = bandwidth_setup,
	.invoke = bandwidth_invoke,
	.teardown = bandwidth_teardown,
	.free = nem_qdisc_bandwidth_free,
};
