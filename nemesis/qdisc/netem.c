/* SPDX-License-Identifier: MIT */
/* netem.c - the "netem" nemesis: delay and reorder by a netem root qdisc towards each node. */
#include "qdisc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "qdisc_internal.h"

STATIC_ASSERT((int)NEM_NODES_MAX >= (int)CLUSTER_NODES_MAX, "params rows cover every node");

enum fault { FAULT_DELAY, FAULT_REORDER, FAULT_COUNT };

static const char *const fault_name[] = { [FAULT_DELAY] = "delay", [FAULT_REORDER] = "reorder" };

/* One active fault: its parameters and the receiving nodes (ports) it covers. */
struct fault_state {
	int64_t delay_ns, jitter_ns;
	double p;
	uint64_t receivers;             /* 0: fault inactive */
};

/* Invariant: ports.sk != NULL exactly between a successful setup and teardown. */
struct nem_netem {
	struct nemesis base;
	struct qdisc_ports ports;
	struct fault_state faults[FAULT_COUNT];
};

static struct nem_netem *netem_of(struct nemesis *nem)
{
	ASSERT(nem && nem->ops == &nem_netem_ops);
	return container_of(nem, struct nem_netem, base);
}

int nem_qdisc_netem_new(struct nemesis **out, struct errbuf *eb)
{
	struct nem_netem *n;

	ASSERT(out);
	n = calloc(1, sizeof(*n));
	if (!n)
		return errbuf_set(eb, -ENOMEM, "allocate netem nemesis");
	n->base.ops = &nem_netem_ops;
	*out = &n->base;
	return 0;
}

static void nem_qdisc_netem_free(struct nemesis *nem)
{
	if (!nem)
		return;
	nem_teardown(nem, NULL);
	free(netem_of(nem));
}

static int netem_setup(struct nemesis *nem, struct cluster *cluster, struct errbuf *eb)
{
	struct nem_netem *n = netem_of(nem);
	int err;

	ASSERT(cluster);
	ASSERT(!n->ports.sk);
	err = nem_netem_probe(cluster, eb);     /* -EOPNOTSUPP: use the NFQUEUE backend */
	if (err)
		return err;
	err = qdisc_ports_open(&n->ports, cluster, "netem", QDISC_HANDLE_NETEM, eb);
	if (err)
		return errbuf_prefix(eb, err, "netem setup: ");
	memset(n->faults, 0, sizeof(n->faults));
	return 0;
}

static int netem_teardown(struct nemesis *nem, struct errbuf *eb)
{
	struct nem_netem *n = netem_of(nem);
	int err;

	err = qdisc_ports_close(&n->ports, eb);
	memset(n->faults, 0, sizeof(n->faults));
	ASSERT(!n->ports.sk);
	return err;
}

/* Brings port @i in line with the active faults: a netem qdisc, or none. */
static int port_sync(struct nem_netem *n, uint32_t i, struct errbuf *eb)
{
	const struct fault_state *delay = &n->faults[FAULT_DELAY];
	const struct fault_state *reorder = &n->faults[FAULT_REORDER];
	bool delayed = (delay->receivers >> i) & 1, reordered = (reorder->receivers >> i) & 1;
	struct qdisc_netem_config config = { 0 };
	int err;

	if (!delayed && !reordered)
		return qdisc_ports_remove(&n->ports, i, eb);
	config.delay_ns = delayed ? delay->delay_ns : reorder->delay_ns;
	config.jitter_ns = delayed ? delay->jitter_ns : 0;
	config.hold_p = reordered ? reorder->p : 0.0;
	err = qdisc_netem_fill(n->ports.qdiscs[i], cluster_port_ifindex(n->ports.cluster, i),
			       &config, eb);
	ASSERT(err == 0);       /* start validated the parameters */
	return qdisc_ports_install(&n->ports, i, eb);
}

/*
 * The receivers whose whole row is named; all rows 0: every node. A partial row is
 * -EOPNOTSUPP: netem on a port delays everything towards that node.
 */
static int receivers_of(const struct nem_netem *n, const uint64_t *rows, uint64_t *receivers,
			bool *all, struct errbuf *eb)
{
	uint32_t count = n->ports.count, i;
	uint64_t mask = nem_nodes_all(count), any = 0;

	for (i = 0; i < NEM_NODES_MAX; i++)
		any |= rows[i];
	*receivers = any ? 0 : mask;
	*all = !any;
	for (i = 0; any && i < NEM_NODES_MAX; i++) {
		if (!rows[i])
			continue;
		if (i >= count || rows[i] != (mask & ~(1ull << i)))
			return errbuf_set(eb, -EOPNOTSUPP, "netem works per receiving node: pairs "
					  "row %u must be empty or name every other node", i);
		*receivers |= 1ull << i;
	}
	*all = *all || *receivers == mask;
	return 0;
}

/* Appends "all" or [["from","to"],..] for every pair towards @receivers. */
static int pairs_append(const struct nem_netem *n, uint64_t receivers, bool all, char *buf,
			size_t size, size_t len, struct errbuf *eb)
{
	uint32_t count = n->ports.count, from, to;
	int w;

	w = snprintf(buf + len, size - len, "%s", all ? "\"all\"}" : "[");
	for (from = 0; !all && w > 0 && from < count; from++) {
		for (to = 0; w > 0 && to < count; to++) {
			if (from == to || !((receivers >> to) & 1))
				continue;
			len += (size_t)w;
			w = snprintf(buf + len, size - len, "%s[\"%s\",\"%s\"]",
				     buf[len - 1] == '[' ? "" : ",", n->ports.names[from],
				     n->ports.names[to]);
			w = w > 0 && (size_t)w < size - len ? w : -1;
		}
	}
	if (w > 0 && !all) {
		len += (size_t)w;
		w = snprintf(buf + len, size - len, "]}");
	}
	if (w < 0 || (size_t)w >= size - len)
		return errbuf_set(eb, -EMSGSIZE, "pair list exceeds %zu bytes", size);
	return 0;
}

static int describe(const struct nem_netem *n, enum fault fault, const struct fault_state *f,
		    bool all, struct nem_completion *completion, struct errbuf *eb)
{
	size_t size = sizeof(completion->value);
	char *buf = completion->value;
	int w;

	if (fault == FAULT_DELAY)
		w = snprintf(buf, size, "{\"backend\":\"netem\",\"delay_ms\":%.6g,\"jitter_ms\":"
			     "%.6g,\"pairs\":", (double)f->delay_ns / 1e6,
			     (double)f->jitter_ns / 1e6);
	else
		w = snprintf(buf, size, "{\"backend\":\"netem\",\"p\":%.6g,\"delay_ms\":%.6g,"
			     "\"pairs\":", f->p, (double)f->delay_ns / 1e6);
	ASSERT(w > 0 && (size_t)w < size);
	return pairs_append(n, f->receivers, all, buf, size, (size_t)w, eb);
}

/* The range checks of qdisc_netem_fill(), made before anything changes. */
static int fault_check(enum fault fault, const struct fault_state *f, struct errbuf *eb)
{
	if (fault == FAULT_REORDER && !(f->p > 0.0 && f->p <= 1.0))
		return errbuf_set(eb, -EINVAL, "probability %g not in (0, 1]", f->p);
	if (f->delay_ns < 1000 || f->delay_ns > QDISC_NETEM_TIME_NS_MAX)
		return errbuf_set(eb, -EINVAL, "delay_ns %lld not in [1 us, 60 s]",
				  (long long)f->delay_ns);
	if (f->jitter_ns < 0 || f->jitter_ns > QDISC_NETEM_TIME_NS_MAX)
		return errbuf_set(eb, -EINVAL, "jitter_ns %lld not in [0, 60 s]",
				  (long long)f->jitter_ns);
	return 0;
}

static int netem_start(struct nem_netem *n, enum fault fault, const struct nem_params *params,
		       struct nem_completion *completion, struct errbuf *eb)
{
	static const uint64_t every_pair[NEM_NODES_MAX];
	struct fault_state want = { 0 };
	bool all;
	int err;

	want.delay_ns = params ? params->delay_ns : fault == FAULT_DELAY ? 50000000 : 20000000;
	want.jitter_ns = fault == FAULT_DELAY ? (params ? params->jitter_ns : 5000000) : 0;
	want.p = fault == FAULT_REORDER ? (params ? params->probability : 0.25) : 0.0;
	err = fault_check(fault, &want, eb);
	if (!err)
		err = receivers_of(n, params ? params->pairs : every_pair, &want.receivers, &all,
				   eb);
	if (!err)
		err = describe(n, fault, &want, all, completion, eb);
	if (err)
		return errbuf_prefix(eb, err, "start-%s: ", fault_name[fault]);
	n->faults[fault] = want;
	for (uint32_t i = 0; i < n->ports.count; i++) {
		err = port_sync(n, i, eb);
		if (err)
			return err;
	}
	return 0;
}

static int netem_invoke(struct nemesis *nem, const struct nem_request *request,
			struct prng *prng, struct nem_completion *completion, struct errbuf *eb)
{
	static const struct {
		const char *f;
		enum fault fault;
		bool start;
	} f_table[] = {
		{ "start-delay", FAULT_DELAY, true },     { "stop-delay", FAULT_DELAY, false },
		{ "start-reorder", FAULT_REORDER, true }, { "stop-reorder", FAULT_REORDER, false },
	};
	struct nem_netem *n = netem_of(nem);
	enum fault fault;
	size_t i;
	int w, err;

	ASSERT(request && request->f);
	ASSERT(completion);
	if (!n->ports.sk)
		return errbuf_set(eb, -EINVAL, "netem nemesis is not set up");
	for (i = 0; i < ARRAY_SIZE(f_table) && strcmp(request->f, f_table[i].f); i++)
		continue;
	if (i == ARRAY_SIZE(f_table))
		return errbuf_set(eb, -EINVAL, "netem nemesis: unknown f '%s'", request->f);
	fault = f_table[i].fault;
	if (f_table[i].start)
		return netem_start(n, fault, request->params, completion, eb);
	n->faults[fault].receivers = 0;
	for (uint32_t port = 0; port < n->ports.count; port++) {
		err = port_sync(n, port, eb);
		if (err)
			return err;
	}
	w = snprintf(completion->value, sizeof(completion->value), "{\"healed\":\"%s\"}",
		     fault_name[fault]);
	ASSERT(w > 0 && (size_t)w < sizeof(completion->value));
	return 0;
}

const struct nemesis_ops nem_netem_ops = {
	.name = "netem",
	.fs = NEM_F_DELAY | NEM_F_REORDER,
	.setup = netem_setup,
	.invoke = netem_invoke,
	.teardown = netem_teardown,
	.free = nem_qdisc_netem_free,
};
