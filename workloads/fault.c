/* SPDX-License-Identifier: MIT */
/* fault.c - the generic fault kinds: their draws, help and nemeses; lookups over a system's. */
#include "fault.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "nemesis.h"
#include "nfqueue.h"
#include "partition.h"
#include "prng.h"
#include "qdisc.h"
#include "schedule.h"
#include "system.h"
#include "textbuf.h"

/* The widest value: msgdrop's "from" and "to", each of up to every node, "n64" the longest. */
STATIC_ASSERT(SCHEDULE_VALUE_BYTES_MAX >= 2 * NEM_NODES_MAX * sizeof("\"n64\",") + 64,
	      "a drawn value names every node twice");

static double uniform(struct prng *prng, double lo, double hi)
{
	return lo + (hi - lo) * (double)(prng_next(prng) >> 11) * 0x1.0p-53;
}

static void draw_partition(struct prng *prng, const struct schedule_opts *o,
			   struct schedule_event *ev)
{
	uint32_t count = 0;

	while (o->shapes[count])
		count++;
	ASSERT(count > 0);
	snprintf(ev->arg, sizeof(ev->arg), "\"%s\"", o->shapes[prng_below(prng, count)]);
	snprintf(ev->value, sizeof(ev->value), "%s", ev->arg);
}

static void draw_probability(struct prng *prng, const struct schedule_opts *o,
			     struct schedule_event *ev)
{
	(void)o;
	ev->params.probability = uniform(prng, 0.05, 0.3);
	snprintf(ev->value, sizeof(ev->value), "{\"p\":%.3f,\"pairs\":\"all\"}",
		 ev->params.probability);
}

static void draw_delay(struct prng *prng, const struct schedule_opts *o,
		       struct schedule_event *ev)
{
	int64_t delay_ms = 10 + (int64_t)prng_below(prng, 91);
	int64_t jitter_ms = (int64_t)prng_below(prng, (uint64_t)delay_ms / 10 + 1);

	(void)o;
	ev->params.delay_ns = delay_ms * 1000000;
	ev->params.jitter_ns = jitter_ms * 1000000;
	snprintf(ev->value, sizeof(ev->value),
		 "{\"delay_ms\":%lld,\"jitter_ms\":%lld,\"pairs\":\"all\"}", (long long)delay_ms,
		 (long long)jitter_ms);
}

static void draw_reorder(struct prng *prng, const struct schedule_opts *o,
			 struct schedule_event *ev)
{
	int64_t delay_ms = 10 + (int64_t)prng_below(prng, 31);

	(void)o;
	ev->params.probability = uniform(prng, 0.1, 0.5);
	ev->params.delay_ns = delay_ms * 1000000;
	snprintf(ev->value, sizeof(ev->value), "{\"p\":%.3f,\"delay_ms\":%lld,\"pairs\":\"all\"}",
		 ev->params.probability, (long long)delay_ms);
}

void fault_nodes_list(struct textbuf *t, const char *key, uint64_t set)
{
	const char *sep = "";

	textbuf_put(t, "\"%s\":[", key);
	for (uint32_t i = 0; i < NEM_NODES_MAX; i++) {
		if (set & (1ull << i)) {
			textbuf_put(t, "%s\"n%u\"", sep, i + 1);
			sep = ",";
		}
	}
	textbuf_put(t, "]");
}

void fault_nodes_value(char *out, size_t size, const char *prefix, uint64_t nodes)
{
	struct textbuf t;

	textbuf_init(&t, out, size);
	textbuf_put(&t, "%s", prefix);
	fault_nodes_list(&t, "nodes", nodes);
	textbuf_put(&t, "}");
}

static void draw_bandwidth(struct prng *prng, const struct schedule_opts *o,
			   struct schedule_event *ev)
{
	static const uint64_t kbits[] = { 256, 512, 1024, 2048 };
	uint64_t kbit = kbits[prng_below(prng, ARRAY_SIZE(kbits))];
	char prefix[48];

	ev->params.rate_bytes_per_s = kbit * 1000 / 8;
	ev->params.nodes = fault_draw_set(prng, o->node_count);
	snprintf(prefix, sizeof(prefix), "{\"rate_kbit\":%llu,", (unsigned long long)kbit);
	fault_nodes_value(ev->value, sizeof(ev->value), prefix, ev->params.nodes);
}

/* A random minority (at least one node): the cluster keeps a majority up. */
static void draw_minority(struct prng *prng, const struct schedule_opts *o,
			  struct schedule_event *ev)
{
	uint32_t want = 1 + (uint32_t)prng_below(prng, o->node_count > 2 ? (o->node_count - 1) / 2
									  : 1);

	ev->params.nodes = 0;
	while (want > 0) {
		uint64_t bit = 1ull << prng_below(prng, o->node_count);

		if (!(ev->params.nodes & bit)) {
			ev->params.nodes |= bit;
			want--;
		}
	}
	fault_nodes_value(ev->value, sizeof(ev->value), "{", ev->params.nodes);
}

/* 2^k ms for k in [k_min, k_max]. */
static int64_t pow2_ms(struct prng *prng, uint32_t k_min, uint32_t k_max)
{
	return (int64_t)(1ull << (k_min + prng_below(prng, k_max - k_min + 1))) * 1000000;
}

/*
 * One node's clock: a bump of +-2^k ms (k 2..12: 4 ms to 4 s, past any op's latency), a
 * strobe (2^k ms, k 2..10, flipping every 1..64 ms for 1..4 s) or a drift at one of a few
 * rates; the stop ("reset") returns that node's clock to real time. The draw names its own f.
 */
static void draw_clock(struct prng *prng, const struct schedule_opts *o,
		       struct schedule_event *ev)
{
	static const double rates[] = { 0.5, 0.8, 0.95, 1.05, 1.25, 2.0 };
	uint64_t which = prng_below(prng, 4);
	char prefix[160];

	ev->params.nodes = 1ull << prng_below(prng, o->node_count);
	if (which <= 1) {
		ev->f = "bump";
		ev->params.delay_ns = pow2_ms(prng, 2, 12) * (prng_chance(prng, 0.5) ? 1 : -1);
		snprintf(prefix, sizeof(prefix), "{\"delta_ns\":%lld,",
			 (long long)ev->params.delay_ns);
	} else if (which == 2) {
		ev->f = "strobe";
		ev->params.delay_ns = pow2_ms(prng, 2, 10);
		ev->params.jitter_ns = pow2_ms(prng, 0, 6);
		ev->params.duration_ns = pow2_ms(prng, 10, 12);
		snprintf(prefix, sizeof(prefix), "{\"delta_ns\":%lld,\"period_ns\":%lld,"
			 "\"duration_ns\":%lld,", (long long)ev->params.delay_ns,
			 (long long)ev->params.jitter_ns, (long long)ev->params.duration_ns);
	} else {
		ev->f = "drift";
		ev->params.rate = rates[prng_below(prng, ARRAY_SIZE(rates))];
		snprintf(prefix, sizeof(prefix), "{\"rate\":%g,", ev->params.rate);
	}
	fault_nodes_value(ev->value, sizeof(ev->value), prefix, ev->params.nodes);
}

uint64_t fault_draw_set(struct prng *prng, uint32_t node_count)
{
	ASSERT(node_count >= 1 && node_count <= NEM_NODES_MAX);
	return 1 + prng_below(prng, nem_nodes_all(node_count));
}

/*
 * One kind of message lost between chosen nodes: a type drawn from the ones the system
 * declares (its datagrams' first byte), then, half the time each, every pair from a random
 * set of senders to a random set of receivers (a node never to itself; redrawn until some
 * pair remains), or every sender to every node but one, which alone still hears that kind.
 * The second shape opens the window a quorum protocol's view change must close: with
 * PBFT's commits, one replica commits what the others only prepared (the paper's case for
 * carrying prepared certificates into the new view). Random sets open it in about one draw
 * in six.
 */
static void draw_msgdrop(struct prng *prng, const struct schedule_opts *o,
			 struct schedule_event *ev)
{
	const uint8_t *types = o->msg_types ? o->msg_types : o->system->msg_types;
	uint32_t count = 0, type;
	uint64_t from, to, any = 0;
	struct textbuf t;

	while (types[count])
		count++;
	ASSERT(count > 0);      /* schedule_build() refuses msgdrop without types */
	type = types[prng_below(prng, count)];
	if (o->node_count > 1 && prng_chance(prng, 0.5)) {
		from = nem_nodes_all(o->node_count);
		to = from & ~(1ull << prng_below(prng, o->node_count));
	} else {
		do {
			from = fault_draw_set(prng, o->node_count);
			to = fault_draw_set(prng, o->node_count);
			for (uint32_t i = 0; i < o->node_count; i++)
				any |= to & (1ull << i) ? from & ~(1ull << i) : 0;
		} while (!any && o->node_count > 1);
	}
	ev->params.msg_types = 1u << type;
	for (uint32_t i = 0; i < o->node_count; i++)
		ev->params.pairs[i] = to & (1ull << i) ? from & ~(1ull << i) : 0;
	textbuf_init(&t, ev->value, sizeof(ev->value));
	textbuf_put(&t, "{\"types\":[%u],", type);
	fault_nodes_list(&t, "from", from);
	textbuf_put(&t, ",");
	fault_nodes_list(&t, "to", to);
	textbuf_put(&t, "}");
}

/* ---- The nemeses the faults are served by ---------------------------------------------- */

static int partition_new(struct fault_env *env, struct nemesis **out, struct errbuf *eb)
{
	(void)env;
	return nem_partition_new(out, eb);
}

/*
 * Delay and reorder: netem where the kernel has it, else the NFQUEUE delayer. netem and tbf
 * both want the switch ports' root qdisc, so a campaign with bandwidth limits uses NFQUEUE.
 */
static int delay_new(struct fault_env *env, struct nemesis **out, struct errbuf *eb)
{
	struct errbuf probe = { "" };
	int err;

	if (env->faults & NEM_F_BANDWIDTH) {
		env->delay_backend = "nfqueue (bandwidth limits need the ports' root qdisc)";
	} else if ((err = nem_netem_probe(env->cluster, &probe)) == 0) {
		env->delay_backend = "netem";
		return nem_qdisc_netem_new(out, eb);
	} else {
		env->delay_backend = err == -EOPNOTSUPP ? "nfqueue (kernel has no sch_netem)"
							: "nfqueue (netem probe failed)";
	}
	return nem_nfqueue_new(out, env->seed, eb);
}

static int bandwidth_new(struct fault_env *env, struct nemesis **out, struct errbuf *eb)
{
	(void)env;
	return nem_qdisc_bandwidth_new(out, eb);
}

static int proc_new(struct fault_env *env, struct nemesis **out, struct errbuf *eb)
{
	return nem_proc_new(out, env->restart, env->restart_ctx, eb);
}

static int clock_new(struct fault_env *env, struct nemesis **out, struct errbuf *eb)
{
	(void)env;
	return nem_clock_new(out, eb);
}

/* ---- The table --------------------------------------------------------------------------- */

#define NET "(every ordered pair)"

static const struct fault_kind generic[] = {
	{ NEM_F_PARTITION, "partition", "start-partition", "stop-partition",
	  "a shape from --shapes", "cut the network between groups of nodes (eBPF)",
	  draw_partition, false, 2, partition_new, false },
	{ NEM_F_LOSS, "loss", "start-loss", "stop-loss", "p 0.05..0.3 " NET,
	  "drop packets between nodes", draw_probability, false, 3, partition_new, false },
	{ NEM_F_DUP, "dup", "start-dup", "stop-dup", "p 0.05..0.3 " NET,
	  "duplicate packets between nodes", draw_probability, false, 4, partition_new, false },
	{ NEM_F_DELAY, "delay", "start-delay", "stop-delay", "10..100 ms, jitter to 10% " NET,
	  "delay packets (netem, or NFQUEUE without it)", draw_delay, false, 5, delay_new, false },
	{ NEM_F_REORDER, "reorder", "start-reorder", "stop-reorder", "p 0.1..0.5, 10..40 ms "
	  NET, "hold some packets back so others overtake them", draw_reorder, false, 6,
	  delay_new, false },
	{ NEM_F_BANDWIDTH, "bandwidth", "start-bandwidth", "stop-bandwidth",
	  "256..2048 kbit/s towards a random set of nodes", "limit bandwidth (tbf)",
	  draw_bandwidth, false, 7, bandwidth_new, false },
	{ NEM_F_KILL, "kill", "kill", "start", "a random minority of nodes",
	  "kill node processes (cgroup.kill), then restart them", draw_minority, true, 1,
	  proc_new, false },
	{ NEM_F_PAUSE, "pause", "pause", "resume", "a random minority of nodes",
	  "freeze node processes (cgroup.freeze), then thaw them", draw_minority, true, 0,
	  proc_new, false },
	{ NEM_F_CLOCK, "clock", "bump", "reset", "one node: bump, strobe or drift",
	  "skew one node's clock, then reset it", draw_clock, true, 8, clock_new, false },
	{ NEM_F_MSGDROP, "msgdrop", "start-msgdrop", "stop-msgdrop",
	  "a message type the system declares, from some nodes to others, or to all but one",
	  "drop one kind of the system's messages between chosen nodes", draw_msgdrop, false, 9,
	  partition_new, true },
};

/* Whether @desc (NULL: any system) can take the generic fault @k. */
static bool takes(const struct system_desc *desc, const struct fault_kind *k)
{
	return !desc || !k->needs_msg_types || (desc->msg_types && desc->msg_types[0]);
}

const struct fault_kind *fault_at(const struct system_desc *desc, size_t i)
{
	for (size_t g = 0; g < ARRAY_SIZE(generic); g++) {
		if (!takes(desc, &generic[g]))
			continue;
		if (i == 0)
			return &generic[g];
		i--;
	}
	for (size_t k = 0; desc && desc->faults && desc->faults[k]; k++) {
		if (k == i)
			return desc->faults[k];
	}
	return NULL;
}

const struct fault_kind *fault_find(const struct system_desc *desc, const char *name)
{
	const struct fault_kind *k;

	for (size_t i = 0; (k = fault_at(desc, i)); i++) {
		if (strcmp(k->name, name) == 0)
			return k;
	}
	return NULL;
}

const struct fault_kind *fault_of(const struct system_desc *desc, uint32_t bit)
{
	const struct fault_kind *k;

	for (size_t i = 0; (k = fault_at(desc, i)); i++) {
		if (k->bit == bit)
			return k;
	}
	return NULL;
}

void fault_names(const struct system_desc *desc, char *out, size_t size)
{
	const struct fault_kind *k;
	struct textbuf t;

	textbuf_init(&t, out, size);
	for (size_t i = 0; (k = fault_at(desc, i)); i++)
		textbuf_put(&t, "%s%s", i ? ", " : "", k->name);
}

void fault_help_print(FILE *out, const struct system_desc *desc, int indent)
{
	const struct fault_kind *k;

	for (size_t i = 0; (k = fault_at(desc, i)); i++)
		fprintf(out, "%*s%-10s %s; draws %s\n", indent, "", k->name, k->help, k->params);
}
