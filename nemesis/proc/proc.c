/* SPDX-License-Identifier: MIT */
/* proc.c - the process nemesis: crash and restart nodes, freeze and thaw them. */
#include "proc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "nem_value.h"
#include "prng.h"

STATIC_ASSERT((int)CLUSTER_NODES_MAX <= (int)NEM_NODES_MAX, "a node set fits nem_params.nodes");
STATIC_ASSERT(NEM_NODES_MAX <= 64, "nem_params.nodes is a uint64_t");
/* Two lists of every node name, quoted and comma-separated, plus the keys. */
STATIC_ASSERT(NEM_VALUE_BYTES_MAX >= 2 * CLUSTER_NODES_MAX * (CLUSTER_NAME_BYTES_MAX + 3) + 64,
	      "a completion value always fits");

enum proc_action { ACT_KILL, ACT_START, ACT_PAUSE, ACT_RESUME, ACT_COUNT };

static const struct {
	const char *f;
	const char *done_key;
} actions[ACT_COUNT] = {
	[ACT_KILL] = { "kill", "killed" },
	[ACT_START] = { "start", "started" },
	[ACT_PAUSE] = { "pause", "paused" },
	[ACT_RESUME] = { "resume", "resumed" },
};

/*
 * Invariants: @cluster != NULL exactly between setup and teardown. @killed and @paused are
 * disjoint sets of nodes below the cluster's node count: a kill takes a node out of @paused
 * (a killed node is thawed by the cluster).
 */
struct proc_nem {
	struct nemesis base;
	struct cluster *cluster;        /* borrowed */
	nem_proc_restart_fn *restart;
	void *ctx;
	uint64_t killed;                /* killed by us and not started since */
	uint64_t paused;                /* paused by us and not resumed since */
};

static struct proc_nem *proc_of(struct nemesis *nem)
{
	struct proc_nem *p = container_of(nem, struct proc_nem, base);

	ASSERT(p->base.ops == &nem_proc_ops);
	return p;
}

static int proc_setup(struct nemesis *nem, struct cluster *cluster, struct errbuf *eb)
{
	struct proc_nem *p = proc_of(nem);

	ASSERT(cluster);
	ASSERT(!p->cluster);
	ASSERT(cluster_node_count(cluster) <= NEM_NODES_MAX);
	p->cluster = cluster;
	p->killed = 0;
	p->paused = 0;
	return 0;
}

static uint64_t up_nodes(struct proc_nem *p, bool unpaused_only)
{
	uint32_t i, n = cluster_node_count(p->cluster);
	uint64_t up = 0;

	for (i = 0; i < n; i++) {
		if (!cluster_node_alive(p->cluster, i))
			continue;
		if (unpaused_only && cluster_node_frozen(p->cluster, i))
			continue;
		up |= 1ull << i;
	}
	return up;
}

/* One member of @set, uniformly from @prng; 0 for the empty set. */
static uint64_t pick_one(struct prng *prng, uint64_t set)
{
	uint64_t k, bit;

	if (!set)
		return 0;
	k = prng_below(prng, (uint64_t)__builtin_popcountll(set));
	for (bit = set & -set; k > 0; k--) {
		set &= ~bit;
		bit = set & -set;
	}
	ASSERT(bit);
	return bit;
}

static uint64_t targets_default(struct proc_nem *p, enum proc_action act, struct prng *prng)
{
	switch (act) {
	case ACT_KILL:
		return pick_one(prng, up_nodes(p, false));
	case ACT_PAUSE:
		return pick_one(prng, up_nodes(p, true));
	case ACT_START:
		return p->killed;
	case ACT_RESUME:
		return p->paused;
	default:
		ASSERT(false);
		return 0;
	}
}

/* Acts on one node. *@done is false when there was nothing to do (a no-op). */
static int act_one(struct proc_nem *p, enum proc_action act, uint32_t node, bool *done,
		   struct errbuf *eb)
{
	struct cluster *c = p->cluster;
	uint64_t bit = 1ull << node;
	int err = 0;

	*done = false;
	switch (act) {
	case ACT_KILL:
		if (!cluster_node_alive(c, node))
			return 0;
		err = cluster_node_kill(c, node, eb);
		if (!err) {
			p->killed |= bit;
			p->paused &= ~bit;
		}
		break;
	case ACT_START:
		if (cluster_node_alive(c, node)) {
			p->killed &= ~bit;
			return 0;
		}
		err = p->restart(p->ctx, node, eb);
		if (!err)
			p->killed &= ~bit;
		break;
	case ACT_PAUSE:
		if (!cluster_node_alive(c, node) || cluster_node_frozen(c, node))
			return 0;
		err = cluster_node_freeze(c, node, eb);
		if (!err)
			p->paused |= bit;
		break;
	default:
		ASSERT(act == ACT_RESUME);
		p->paused &= ~bit;
		if (!cluster_node_frozen(c, node))
			return 0;
		err = cluster_node_thaw(c, node, eb);
		break;
	}
	*done = err == 0;
	ASSERT(!(p->killed & p->paused));
	return err;
}

static int action_parse(const char *f, enum proc_action *act)
{
	int i;

	for (i = 0; i < ACT_COUNT; i++) {
		if (!strcmp(f, actions[i].f)) {
			*act = (enum proc_action)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int proc_invoke(struct nemesis *nem, const struct nem_request *request,
		       struct prng *prng, struct nem_completion *completion, struct errbuf *eb)
{
	struct nem_value w;
	struct proc_nem *p = proc_of(nem);
	uint64_t nodes, all, done = 0, noop = 0;
	enum proc_action act;
	int err, first = 0;
	bool did;
	uint32_t i;

	ASSERT(p->cluster);
	ASSERT(request && request->f);
	nem_value_init(&w, completion);
	if (action_parse(request->f, &act))
		return errbuf_set(eb, -EINVAL, "proc nemesis: unknown f '%s'", request->f);
	nodes = request->params ? request->params->nodes : 0;
	all = nem_nodes_all(cluster_node_count(p->cluster));
	if (nodes & ~all)
		return errbuf_set(eb, -EINVAL, "%s: nodes 0x%llx names a node past n%u",
				  request->f, (unsigned long long)nodes,
				  cluster_node_count(p->cluster));
	if (!nodes)
		nodes = targets_default(p, act, prng);
	for (i = 0; i < cluster_node_count(p->cluster); i++) {
		if (!(nodes & (1ull << i)))
			continue;
		err = act_one(p, act, i, &did, first ? NULL : eb);
		if (err && !first)
			first = errbuf_prefix(eb, err, "%s %s: ", request->f,
					      cluster_node_name(p->cluster, i));
		if (did)
			done |= 1ull << i;
		else if (!err)
			noop |= 1ull << i;
	}
	nem_value_put(&w, "{");
	nem_value_nodes(&w, p->cluster, actions[act].done_key, done);
	if (noop) {
		nem_value_put(&w, ",");
		nem_value_nodes(&w, p->cluster, "noop", noop);
	}
	nem_value_put(&w, "}");
	return first;
}

/* Resumes what we paused; killed nodes stay down (see proc.h). */
static int proc_teardown(struct nemesis *nem, struct errbuf *eb)
{
	struct proc_nem *p = proc_of(nem);
	int err, first = 0;
	uint32_t i;

	if (!p->cluster)
		return 0;
	for (i = 0; i < cluster_node_count(p->cluster); i++) {
		if (!(p->paused & (1ull << i)))
			continue;
		err = cluster_node_thaw(p->cluster, i, first ? NULL : eb);
		if (err && !first)
			first = err;
	}
	p->paused = 0;
	p->killed = 0;
	p->cluster = NULL;
	return first;
}

static void nem_proc_free(struct nemesis *nem);

const struct nemesis_ops nem_proc_ops = {
	.name = "proc",
	.fs = NEM_F_KILL | NEM_F_PAUSE,
	.setup = proc_setup,
	.invoke = proc_invoke,
	.teardown = proc_teardown,
	.free = nem_proc_free,
};

int nem_proc_new(struct nemesis **out, nem_proc_restart_fn *restart, void *ctx,
		 struct errbuf *eb)
{
	struct proc_nem *p;

	ASSERT(out);
	ASSERT(restart);
	p = calloc(1, sizeof(*p));
	if (!p)
		return errbuf_set(eb, -ENOMEM, "allocate proc nemesis");
	p->base.ops = &nem_proc_ops;
	p->restart = restart;
	p->ctx = ctx;
	*out = &p->base;
	return 0;
}

static void nem_proc_free(struct nemesis *nem)
{
	if (!nem)
		return;
	nem_teardown(nem, NULL);
	free(proc_of(nem));
}
