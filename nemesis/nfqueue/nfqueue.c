/* SPDX-License-Identifier: MIT */
/* nfqueue.c - the "nfqueue" nemesis: delay and reorder by a userspace delayer in the switch. */
#include "nfqueue.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "iptables.h"

STATIC_ASSERT((int)NFQ_NODES_MAX >= (int)CLUSTER_NODES_MAX, "the delayer knows every node");
STATIC_ASSERT((int)NFQ_NODES_MAX <= (int)NEM_NODES_MAX, "pairs rows cover the delayer's table");

enum {
	NS_PER_MS = 1000000,
	MS_TEXT_BYTES = 32,
};

/*
 * Invariants: @delayer != NULL exactly between a successful setup and teardown; then
 * @cluster is set, names[0 .. node_count-1] are the nodes, and @rule_added says whether the
 * FORWARD rule is ours to delete. @last holds the counters of the last teardown.
 */
struct nem_nfqueue {
	struct nemesis base;
	struct cluster *cluster;        /* borrowed */
	struct delayer *delayer;
	uint64_t seed;
	uint16_t queue_num;
	uint32_t node_count;
	bool rule_added;
	const char *names[CLUSTER_NODES_MAX];
	struct delayer_counters last;
};

static struct nem_nfqueue *nfqueue_of(struct nemesis *nem)
{
	ASSERT(nem && nem->ops == &nem_nfqueue_ops);
	return container_of(nem, struct nem_nfqueue, base);
}

int nem_nfqueue_new_on(struct nemesis **out, uint64_t seed, uint16_t queue_num,
		       struct errbuf *eb)
{
	struct nem_nfqueue *q;

	ASSERT(out);
	q = calloc(1, sizeof(*q));
	if (!q)
		return errbuf_set(eb, -ENOMEM, "allocate nfqueue nemesis");
	q->base.ops = &nem_nfqueue_ops;
	q->seed = seed;
	q->queue_num = queue_num;
	*out = &q->base;
	return 0;
}

int nem_nfqueue_new(struct nemesis **out, uint64_t seed, struct errbuf *eb)
{
	return nem_nfqueue_new_on(out, seed, NFQ_QUEUE_NUM, eb);
}

static void nem_nfqueue_free(struct nemesis *nem)
{
	if (!nem)
		return;
	nem_teardown(nem, NULL);
	free(nfqueue_of(nem));
}

void nem_nfqueue_counters(const struct nemesis *nem, struct delayer_counters *out)
{
	const struct nem_nfqueue *q;

	ASSERT(nem && nem->ops == &nem_nfqueue_ops);
	ASSERT(out);
	q = container_of(nem, struct nem_nfqueue, base);
	if (q->delayer)
		delayer_counters(q->delayer, out);
	else
		*out = q->last;
}

void nem_nfqueue_crash_for_test(struct nemesis *nem)
{
	struct nem_nfqueue *q = nfqueue_of(nem);

	ASSERT(q->delayer);
	delayer_abandon(q->delayer);
}

static int nfqueue_teardown(struct nemesis *nem, struct errbuf *eb)
{
	static const uint64_t none[NFQ_NODES_MAX];
	struct nem_nfqueue *q = nfqueue_of(nem);
	int err = 0;

	if (!q->delayer)
		return 0;
	delayer_update(q->delayer, DELAYER_DELAY | DELAYER_REORDER, none, NULL);
	if (q->rule_added)
		err = iptables_queue_rule(cluster_switch_ns_fd(q->cluster), IPTABLES_DELETE,
					  q->queue_num, eb);
	q->rule_added = false;
	delayer_stop(q->delayer);
	delayer_counters(q->delayer, &q->last);
	delayer_free(q->delayer);
	q->delayer = NULL;
	q->cluster = NULL;
	return err;
}

static int nfqueue_setup(struct nemesis *nem, struct cluster *cluster, struct errbuf *eb)
{
	struct nem_nfqueue *q = nfqueue_of(nem);
	struct in_addr addrs[CLUSTER_NODES_MAX];
	uint32_t i;
	int err;

	ASSERT(cluster);
	ASSERT(!q->delayer);
	q->node_count = cluster_node_count(cluster);
	ASSERT(q->node_count <= CLUSTER_NODES_MAX);
	for (i = 0; i < q->node_count; i++) {
		addrs[i] = cluster_node_addr(cluster, i);
		q->names[i] = cluster_node_name(cluster, i);
	}
	memset(&q->last, 0, sizeof(q->last));
	err = delayer_new(&q->delayer, addrs, q->node_count, q->seed, eb);
	if (err)
		return errbuf_prefix(eb, err, "nfqueue setup: ");
	q->cluster = cluster;
	/* Bind the queue before the rule sends packets to it: none takes the bypass. */
	err = delayer_start(q->delayer, cluster_switch_ns_fd(cluster), q->queue_num, eb);
	if (!err)
		err = iptables_queue_rule(cluster_switch_ns_fd(cluster), IPTABLES_APPEND,
					  q->queue_num, eb);
	if (err) {
		nfqueue_teardown(nem, NULL);
		return errbuf_prefix(eb, err, "nfqueue setup: ");
	}
	q->rule_added = true;
	return 0;
}

/* ---- invoke ---- */

/* Milliseconds as JSON: "50", or "0.25" when not whole. */
static void ms_text(int64_t ns, char *text)
{
	int len;

	ASSERT(ns >= 0);
	len = snprintf(text, MS_TEXT_BYTES, "%" PRId64 ".%06" PRId64, ns / NS_PER_MS,
		       ns % NS_PER_MS);
	ASSERT(len > 0 && len < MS_TEXT_BYTES);
	while (text[len - 1] == '0')
		text[--len] = '\0';
	if (text[len - 1] == '.')
		text[len - 1] = '\0';
}

/* Copies the requested pairs into @from; *all: every ordered pair (all rows 0). */
static int pairs_resolve(const struct nem_nfqueue *q, const uint64_t *pairs, uint64_t *from,
			 bool *all, struct errbuf *eb)
{
	uint64_t known = nem_nodes_all(q->node_count);
	uint32_t t;

	*all = true;
	for (t = 0; t < NEM_NODES_MAX; t++)
		*all = *all && pairs[t] == 0;
	memset(from, 0, NFQ_NODES_MAX * sizeof(*from));
	for (t = 0; t < q->node_count; t++) {
		from[t] = *all ? known & ~(1ull << t) : pairs[t];
		if (from[t] & ~known)
			return errbuf_set(eb, -EINVAL, "pairs to %s name a node beyond n%u",
					  q->names[t], q->node_count);
		if ((from[t] >> t) & 1)
			return errbuf_set(eb, -EINVAL, "pair %s -> %s: a node to itself",
					  q->names[t], q->names[t]);
	}
	for (; t < NEM_NODES_MAX; t++) {
		if (pairs[t])
			return errbuf_set(eb, -EINVAL, "pairs to n%u: only %u nodes", t + 1,
					  q->node_count);
	}
	return 0;
}

/* Appends "pairs":... and the closing brace at @len; returns the new length or -E2BIG. */
static int pairs_describe(const struct nem_nfqueue *q, const uint64_t *from, bool all,
			  char *value, int len, struct errbuf *eb)
{
	const int size = NEM_VALUE_BYTES_MAX;
	bool first = true;
	uint32_t s, t;

	len += snprintf(value + len, (size_t)(size - len), "\"pairs\":%s", all ? "\"all\"" : "[");
	for (s = 0; !all && s < q->node_count && len < size; s++) {
		for (t = 0; t < q->node_count && len < size; t++) {
			if (!((from[t] >> s) & 1))
				continue;
			len += snprintf(value + len, (size_t)(size - len), "%s[\"%s\",\"%s\"]",
					first ? "" : ",", q->names[s], q->names[t]);
			first = false;
		}
	}
	if (len < size)
		len += snprintf(value + len, (size_t)(size - len), "%s}", all ? "" : "]");
	if (len >= size)
		return errbuf_set(eb, -E2BIG, "the list of pairs does not fit %d bytes", size);
	return len;
}

static int delay_start(struct nem_nfqueue *q, const struct nem_params *params,
		       struct nem_completion *completion, struct errbuf *eb)
{
	static const struct nem_params defaults = { .delay_ns = NFQ_DELAY_NS_DEFAULT };
	const struct nem_params *p = params ? params : &defaults;
	char delay[MS_TEXT_BYTES], jitter[MS_TEXT_BYTES];
	uint64_t from[NFQ_NODES_MAX];
	struct delayer_rule rule;
	bool all;
	int len, err;

	if (p->delay_ns < 0 || p->delay_ns > NFQ_HOLD_NS_MAX)
		return errbuf_set(eb, -EINVAL, "start-delay: delay_ns %" PRId64 " not in 0..%lld",
				  p->delay_ns, NFQ_HOLD_NS_MAX);
	if (p->jitter_ns < 0 || p->jitter_ns > NFQ_HOLD_NS_MAX)
		return errbuf_set(eb, -EINVAL, "start-delay: jitter_ns %" PRId64 " not in 0..%lld",
				  p->jitter_ns, NFQ_HOLD_NS_MAX);
	err = pairs_resolve(q, p->pairs, from, &all, eb);
	if (err)
		return err;
	ms_text(p->delay_ns, delay);
	ms_text(p->jitter_ns, jitter);
	len = snprintf(completion->value, sizeof(completion->value),
		       "{\"backend\":\"nfqueue\",\"delay_ms\":%s,\"jitter_ms\":%s,", delay, jitter);
	len = pairs_describe(q, from, all, completion->value, len, eb);
	if (len < 0)
		return len;
	rule = (struct delayer_rule){ .delay_ns = p->delay_ns, .jitter_ns = p->jitter_ns };
	delayer_update(q->delayer, DELAYER_DELAY, from, &rule);
	return 0;
}

static int reorder_start(struct nem_nfqueue *q, const struct nem_params *params,
			 struct nem_completion *completion, struct errbuf *eb)
{
	static const struct nem_params defaults = {
		.delay_ns = NFQ_REORDER_NS_DEFAULT,
		.probability = NFQ_REORDER_P_DEFAULT,
	};
	const struct nem_params *p = params ? params : &defaults;
	char delay[MS_TEXT_BYTES];
	uint64_t from[NFQ_NODES_MAX];
	struct delayer_rule rule;
	bool all;
	int len, err;

	if (!(p->probability > 0 && p->probability <= 1))
		return errbuf_set(eb, -EINVAL, "start-reorder: probability %g not in (0, 1]",
				  p->probability);
	if (p->delay_ns <= 0 || p->delay_ns > NFQ_HOLD_NS_MAX)
		return errbuf_set(eb, -EINVAL, "start-reorder: delay_ns %" PRId64 " not in 1..%lld",
				  p->delay_ns, NFQ_HOLD_NS_MAX);
	err = pairs_resolve(q, p->pairs, from, &all, eb);
	if (err)
		return err;
	ms_text(p->delay_ns, delay);
	len = snprintf(completion->value, sizeof(completion->value),
		       "{\"backend\":\"nfqueue\",\"p\":%g,\"delay_ms\":%s,", p->probability, delay);
	len = pairs_describe(q, from, all, completion->value, len, eb);
	if (len < 0)
		return len;
	rule = (struct delayer_rule){ .reorder_p = p->probability,
				      .reorder_delay_ns = p->delay_ns };
	delayer_update(q->delayer, DELAYER_REORDER, from, &rule);
	return 0;
}

static int fault_stop(struct nem_nfqueue *q, enum delayer_kind kind, const char *fault,
		      struct nem_completion *completion)
{
	static const uint64_t none[NFQ_NODES_MAX];

	delayer_update(q->delayer, kind, none, NULL);
	snprintf(completion->value, sizeof(completion->value), "{\"healed\":\"%s\"}", fault);
	return 0;
}

static int nfqueue_invoke(struct nemesis *nem, const struct nem_request *request,
			  struct prng *prng, struct nem_completion *completion, struct errbuf *eb)
{
	struct nem_nfqueue *q = nfqueue_of(nem);
	const char *f;

	ASSERT(request && request->f);
	ASSERT(completion);
	ASSERT(q->delayer);
	f = request->f;
	if (!strcmp(f, "start-delay"))
		return delay_start(q, request->params, completion, eb);
	if (!strcmp(f, "stop-delay"))
		return fault_stop(q, DELAYER_DELAY, "delay", completion);
	if (!strcmp(f, "start-reorder"))
		return reorder_start(q, request->params, completion, eb);
	if (!strcmp(f, "stop-reorder"))
		return fault_stop(q, DELAYER_REORDER, "reorder", completion);
	return errbuf_set(eb, -EINVAL, "nfqueue nemesis: unknown f '%s'", f);
}

const struct nemesis_ops nem_nfqueue_ops = {
	.name = "nfqueue",
	.fs = NEM_F_DELAY | NEM_F_REORDER,
	.setup = nfqueue_setup,
	.invoke = nfqueue_invoke,
	.teardown = nfqueue_teardown,
	.free = nem_nfqueue_free,
};
