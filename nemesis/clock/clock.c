/* SPDX-License-Identifier: MIT */
/* clock.c - the clock nemesis: bump, strobe, drift and reset each node's clocks (nem_clock). */
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock_shared.h"
#include "clock_shim_path.h"
#include "cluster.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "nem_value.h"
#include "prng.h"

STATIC_ASSERT((int)CLUSTER_NODES_MAX <= (int)NEM_NODES_MAX, "a node set fits nem_params.nodes");
/* Per node: a quoted name, a colon, two 64-bit numbers; plus the keys. */
STATIC_ASSERT(NEM_VALUE_BYTES_MAX >= CLUSTER_NODES_MAX * (CLUSTER_NAME_BYTES_MAX + 48) + 128,
	      "a completion value always fits");

enum clock_action { ACT_BUMP, ACT_STROBE, ACT_DRIFT, ACT_RESET, ACT_COUNT };

static const char *const action_names[ACT_COUNT] = {
	[ACT_BUMP] = "bump", [ACT_STROBE] = "strobe", [ACT_DRIFT] = "drift", [ACT_RESET] = "reset",
};

/* Drift rates drawn when the params give none. */
static const double default_rates[] = { 0.5, 0.8, 0.95, 1.05, 1.25, 2.0 };

/* Invariant: @cluster != NULL exactly between setup and teardown, and then every one of the
 * cluster's nodes has its block in @ctls. */
struct clock_nem {
	struct nemesis base;
	struct cluster *cluster;        /* borrowed */
	uint32_t node_count;
	struct clock_ctl *ctls[CLUSTER_NODES_MAX];
	int timens_fds[CLUSTER_NODES_MAX];      /* -1: no time namespace for the node */
};

/* The parameters of one invoke, defaults filled in and checked. */
struct clock_args {
	enum clock_action act;
	uint64_t nodes;
	int64_t delta_ns, period_ns, duration_ns;
	double rate;
};

static struct clock_nem *clock_of(struct nemesis *nem)
{
	struct clock_nem *c = container_of(nem, struct clock_nem, base);

	ASSERT(c->base.ops == &nem_clock_ops);
	return c;
}

static const struct clock_nem *clock_of_const(const struct nemesis *nem)
{
	return clock_of((struct nemesis *)nem);
}

static int64_t real_now_ns(void)
{
	struct timespec ts;

	ASSERT(syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts) == 0);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void close_all(struct clock_nem *c, struct errbuf *eb, int *first)
{
	uint32_t i;
	int err;

	for (i = 0; i < CLUSTER_NODES_MAX; i++) {
		if (!c->ctls[i])
			continue;
		if (c->timens_fds[i] >= 0)
			close(c->timens_fds[i]);
		c->timens_fds[i] = -1;
		clock_ctl_reset(c->ctls[i]);
		err = clock_ctl_close(c->ctls[i], true, *first ? NULL : eb);
		if (err && !*first)
			*first = err;
		c->ctls[i] = NULL;
	}
}

/*
 * Node i's monotonic clocks start (i + 1) * NEM_CLOCK_TIMENS_STEP_NS ahead of the host's, as
 * if the machines had booted at different times. Without time namespaces (a kernel before
 * 5.6, no CAP_SYS_ADMIN) the nodes share the host's monotonic clock: a warning, not an error.
 */
static void timens_open_all(struct clock_nem *c)
{
	struct errbuf eb = { "" };

	for (uint32_t i = 0; i < c->node_count; i++) {
		int64_t offset = (int64_t)(i + 1) * NEM_CLOCK_TIMENS_STEP_NS;

		if (clock_timens_open(offset, &c->timens_fds[i], &eb) < 0) {
			log_warn("clock: no time namespace for node %u (%s); monotonic clocks "
				 "not offset", i, eb.msg);
			c->timens_fds[i] = -1;
		}
	}
}

static int clock_setup(struct nemesis *nem, struct cluster *cluster, struct errbuf *eb)
{
	struct clock_nem *c = clock_of(nem);
	char path[96];
	uint32_t i;
	int err, ignored = 0;

	ASSERT(cluster);
	ASSERT(!c->cluster);
	c->node_count = cluster_node_count(cluster);
	ASSERT(c->node_count <= CLUSTER_NODES_MAX);
	for (i = 0; i < c->node_count; i++) {
		snprintf(path, sizeof(path), "/dev/shm/" CLUSTER_PREFIX "%s-clock-%s",
			 cluster_run_id(cluster), cluster_node_name(cluster, i));
		err = clock_ctl_open(&c->ctls[i], path, eb);
		if (err) {
			close_all(c, NULL, &ignored);
			return err;
		}
	}
	timens_open_all(c);
	c->cluster = cluster;
	return 0;
}

static int clock_teardown(struct nemesis *nem, struct errbuf *eb)
{
	struct clock_nem *c = clock_of(nem);
	int first = 0;

	if (!c->cluster)
		return 0;
	close_all(c, eb, &first);
	c->cluster = NULL;
	return first;
}

/* One member of @set, uniformly from @prng; @set is not empty. */
static uint64_t pick_one(struct prng *prng, uint64_t set)
{
	uint64_t k = prng_below(prng, (uint64_t)__builtin_popcountll(set));

	ASSERT(set);
	while (k--)
		set &= set - 1;
	return set & -set;
}

/* 2^k ms with k uniform in [@k_min, @k_max], in ns (Jepsen's time nemesis ranges). */
static int64_t pow2_ms(struct prng *prng, uint32_t k_min, uint32_t k_max)
{
	uint64_t k = k_min + prng_below(prng, k_max - k_min + 1);

	return (int64_t)(1ull << k) * 1000000;
}

/* Fills @a from @request, drawing what is left 0 from @prng; -EINVAL names a bad field. */
static int args_fill(const struct clock_nem *c, const struct nem_request *request,
		     struct prng *prng, struct clock_args *a, struct errbuf *eb)
{
	static const struct nem_params none;
	const struct nem_params *p = request->params ? request->params : &none;
	uint64_t all = nem_nodes_all(c->node_count);

	if (p->nodes & ~all)
		return errbuf_set(eb, -EINVAL, "%s: nodes 0x%llx names a node past n%u",
				  request->f, (unsigned long long)p->nodes, c->node_count);
	a->nodes = p->nodes ? p->nodes : a->act == ACT_RESET ? all : pick_one(prng, all);
	a->delta_ns = p->delay_ns;
	a->period_ns = p->jitter_ns;
	a->duration_ns = p->duration_ns;
	a->rate = p->rate;
	if (a->act == ACT_BUMP && !a->delta_ns)
		a->delta_ns = pow2_ms(prng, 2, 18) * (prng_chance(prng, 0.5) ? 1 : -1);
	if (a->act == ACT_STROBE) {
		if (!a->delta_ns)
			a->delta_ns = pow2_ms(prng, 2, 18);
		if (!a->period_ns)
			a->period_ns = pow2_ms(prng, 0, 10);
		if (!a->duration_ns)
			a->duration_ns = pow2_ms(prng, 10, 15);
		if (a->duration_ns < 0 || a->duration_ns > CLOCK_DURATION_NS_MAX ||
		    a->period_ns < CLOCK_PERIOD_NS_MIN || a->period_ns > CLOCK_PERIOD_NS_MAX ||
		    llabs(a->delta_ns) > CLOCK_OFFSET_NS_MAX)
			return errbuf_set(eb, -EINVAL, "strobe: delta %lld, period %lld or "
					  "duration %lld ns out of range", (long long)a->delta_ns,
					  (long long)a->period_ns, (long long)a->duration_ns);
	}
	if (a->act == ACT_DRIFT && a->rate == 0.0)
		a->rate = default_rates[prng_below(prng, ARRAY_SIZE(default_rates))];
	if (a->act == ACT_DRIFT && !(a->rate >= CLOCK_RATE_MIN && a->rate <= CLOCK_RATE_MAX))
		return errbuf_set(eb, -EINVAL, "drift: rate %g outside [%g, %g]",
				  a->rate, CLOCK_RATE_MIN, CLOCK_RATE_MAX);
	return 0;
}

/* The shortest of %.15g and %.17g that reads back as @v exactly. */
static void value_rate(struct nem_value *w, double v)
{
	char text[32];

	snprintf(text, sizeof(text), "%.15g", v);
	if (strtod(text, NULL) != v)
		snprintf(text, sizeof(text), "%.17g", v);
	nem_value_put(w, "%s", text);
}

/* "key":{"n1":<x>,...} over @set, or "key":["n1",...] if @list; x per action. */
/* "key":{"n2":<value>,...}: each node's rate, offset (when @now_ns) or step. */
static void value_nodes(struct nem_value *w, const struct clock_nem *c, const char *key,
			uint64_t set, const struct clock_args *a, int64_t now_ns)
{
	const char *sep = "";
	uint32_t i;

	nem_value_put(w, "\"%s\":{", key);
	for (i = 0; i < c->node_count; i++) {
		if (!(set & (1ull << i)))
			continue;
		nem_value_put(w, "%s\"%s\":", sep, cluster_node_name(c->cluster, i));
		sep = ",";
		if (a->act == ACT_DRIFT)
			value_rate(w, a->rate);
		else if (now_ns)
			nem_value_put(w, "%lld",
				      (long long)clock_ctl_offset_ns(c->ctls[i], now_ns));
		else
			nem_value_put(w, "%lld", (long long)a->delta_ns);
	}
	nem_value_put(w, "}");
}

static void value_write(struct nem_value *w, const struct clock_nem *c,
			const struct clock_args *a, uint64_t done)
{
	nem_value_put(w, "{");
	switch (a->act) {
	case ACT_BUMP:
		value_nodes(w, c, "bumped", done, a, 0);
		nem_value_put(w, ",");
		value_nodes(w, c, "offset_ns", done, a, real_now_ns());
		break;
	case ACT_STROBE:
		value_nodes(w, c, "strobed", done, a, 0);
		nem_value_put(w, ",\"period_ns\":%lld,\"duration_ns\":%lld",
			      (long long)a->period_ns, (long long)a->duration_ns);
		break;
	case ACT_DRIFT:
		value_nodes(w, c, "drift", done, a, 0);
		break;
	default:
		ASSERT(a->act == ACT_RESET);
		nem_value_nodes(w, c->cluster, "reset", done);
		break;
	}
	nem_value_put(w, "}");
}

static int act_one(struct clock_nem *c, const struct clock_args *a, uint32_t node,
		   int64_t now_ns, struct errbuf *eb)
{
	struct clock_ctl *ctl = c->ctls[node];

	switch (a->act) {
	case ACT_BUMP:
		return clock_ctl_bump(ctl, a->delta_ns, eb);
	case ACT_STROBE:
		return clock_ctl_strobe(ctl, a->delta_ns, a->period_ns, a->duration_ns, now_ns,
					eb);
	case ACT_DRIFT:
		return clock_ctl_drift(ctl, a->rate, eb);
	default:
		ASSERT(a->act == ACT_RESET);
		clock_ctl_reset(ctl);
		return 0;
	}
}

static int clock_invoke(struct nemesis *nem, const struct nem_request *request,
			struct prng *prng, struct nem_completion *completion, struct errbuf *eb)
{
	struct nem_value w;
	struct clock_nem *c = clock_of(nem);
	struct clock_args a = { .act = ACT_COUNT };
	int64_t now_ns = real_now_ns();
	int err, first = 0;
	uint64_t done = 0;
	uint32_t i;

	ASSERT(c->cluster);
	ASSERT(request && request->f);
	nem_value_init(&w, completion);
	for (i = 0; i < ACT_COUNT; i++) {
		if (!strcmp(request->f, action_names[i]))
			a.act = (enum clock_action)i;
	}
	if (a.act == ACT_COUNT)
		return errbuf_set(eb, -EINVAL, "clock nemesis: unknown f '%s'", request->f);
	err = args_fill(c, request, prng, &a, eb);
	if (err)
		return err;
	for (i = 0; i < c->node_count; i++) {
		if (!(a.nodes & (1ull << i)))
			continue;
		err = act_one(c, &a, i, now_ns, first ? NULL : eb);
		if (err && !first)
			first = errbuf_prefix(eb, err, "%s %s: ", request->f,
					      cluster_node_name(c->cluster, i));
		if (!err)
			done |= 1ull << i;
	}
	value_write(&w, c, &a, done);
	return first;
}

static void nem_clock_free(struct nemesis *nem);

const struct nemesis_ops nem_clock_ops = {
	.name = "clock",
	.fs = NEM_F_CLOCK,
	.setup = clock_setup,
	.invoke = clock_invoke,
	.teardown = clock_teardown,
	.free = nem_clock_free,
};

int nem_clock_new(struct nemesis **out, struct errbuf *eb)
{
	struct clock_nem *c;

	ASSERT(out);
	c = calloc(1, sizeof(*c));
	if (!c)
		return errbuf_set(eb, -ENOMEM, "allocate clock nemesis");
	c->base.ops = &nem_clock_ops;
	for (uint32_t i = 0; i < CLUSTER_NODES_MAX; i++)
		c->timens_fds[i] = -1;
	*out = &c->base;
	return 0;
}

static void nem_clock_free(struct nemesis *nem)
{
	if (!nem)
		return;
	nem_teardown(nem, NULL);
	free(clock_of(nem));
}

int nem_clock_env(const struct nemesis *nem, uint32_t node, char *preload, size_t preload_size,
		  char *file, size_t file_size)
{
	const struct clock_nem *c = clock_of_const(nem);
	int n;

	if (!c->cluster)
		return -ENOENT;
	if (node >= c->node_count)
		return -EINVAL;
	n = snprintf(preload, preload_size, "%s", FL_CLOCK_SHIM_PATH);
	if (n < 0 || (size_t)n >= preload_size)
		return -ENAMETOOLONG;
	n = snprintf(file, file_size, "%s", clock_ctl_path(c->ctls[node]));
	if (n < 0 || (size_t)n >= file_size)
		return -ENAMETOOLONG;
	return 0;
}

int nem_clock_node_start(const struct nemesis *nem, uint32_t node,
			 struct nem_clock_start *out)
{
	const struct clock_nem *c = clock_of_const(nem);
	int n;

	if (!c->cluster)
		return -ENOENT;
	if (node >= c->node_count)
		return -EINVAL;
	n = snprintf(out->preload_env, sizeof(out->preload_env), "LD_PRELOAD=%s",
		     FL_CLOCK_SHIM_PATH);
	if (n < 0 || (size_t)n >= sizeof(out->preload_env))
		return -ENAMETOOLONG;
	n = snprintf(out->file_env, sizeof(out->file_env), "%s=%s", CLOCK_SHM_ENV,
		     clock_ctl_path(c->ctls[node]));
	if (n < 0 || (size_t)n >= sizeof(out->file_env))
		return -ENAMETOOLONG;
	out->env[0] = out->preload_env;
	out->env[1] = out->file_env;
	out->env[2] = NULL;
	out->timens_fd = c->timens_fds[node];
	out->mono_offset_ns = out->timens_fd >= 0
		? (int64_t)(node + 1) * NEM_CLOCK_TIMENS_STEP_NS : 0;
	return 0;
}
