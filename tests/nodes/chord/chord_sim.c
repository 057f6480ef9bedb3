/* SPDX-License-Identifier: MIT */
/* chord_sim.c - Chord nodes on a deterministic simulated network (chord_sim.h). */
#include "chord_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "prng.h"

struct sim_node {
	struct chord_node *core;
	uint64_t id;
	bool alive, joined;
	bool side;                      /* under a partition, which side */
	uint32_t merge_next;
};

struct packet {
	uint32_t to;                    /* node index */
	bool from_side;                 /* the sender's side when it was sent */
	uint64_t due;
	struct chord_msg msg;
};

struct csim {
	struct csim_opts o;
	struct chord_space space;
	struct prng prng;
	uint64_t now;
	bool partitioned;
	uint32_t count;
	struct sim_node nodes[CSIM_NODES_MAX];
	uint32_t packet_count;
	struct packet packets[CSIM_PACKETS_MAX];
	uint64_t dropped;
	uint32_t result_count;
	struct chord_lookup_result results[CSIM_RESULTS_MAX];
	uint32_t kv_count;
	struct chord_kv_result kv[CSIM_RESULTS_MAX];
	struct chord_outputs out;
};

void csim_defaults(struct csim_opts *o, uint64_t seed)
{
	*o = (struct csim_opts){ .seed = seed, .bits = 16, .succ_max = 3, .stabilize_ticks = 10,
				 .fix_fingers_ticks = 10, .check_pred_ticks = 10,
				 .rpc_timeout_ticks = 8, .latency_max = 3, .merge_ticks = 20 };
}

struct csim *csim_new(const struct csim_opts *o)
{
	struct csim *s = calloc(1, sizeof(*s));

	ASSERT(s);
	s->o = *o;
	ASSERT(chord_space_init(&s->space, o->bits) == 0);
	prng_init(&s->prng, o->seed);
	return s;
}

void csim_free(struct csim *s)
{
	for (uint32_t i = 0; s && i < s->count; i++)
		chord_node_free(s->nodes[i].core);
	free(s);
}

uint32_t csim_add(struct csim *s, uint64_t id)
{
	struct chord_config c = { .self = { .id = id, .addr = s->count + 1 }, .bits = s->o.bits,
				  .succ_max = s->o.succ_max, .bugs = s->o.bugs,
				  .stabilize_ticks = s->o.stabilize_ticks,
				  .fix_fingers_ticks = s->o.fix_fingers_ticks,
				  .check_pred_ticks = s->o.check_pred_ticks,
				  .rpc_timeout_ticks = s->o.rpc_timeout_ticks };
	struct errbuf eb = { "" };
	struct sim_node *n = &s->nodes[s->count];

	ASSERT(s->count < CSIM_NODES_MAX);
	for (uint32_t i = 0; i < s->count; i++)
		ASSERT(s->nodes[i].id != id);
	ASSERT(chord_node_new(&c, &n->core, &eb) == 0);
	n->id = id;
	n->alive = true;
	return s->count++;
}

static struct chord_peer peer_of(const struct csim *s, uint32_t i)
{
	return (struct chord_peer){ .id = s->nodes[i].id, .addr = i + 1 };
}

/* Takes what node @from's last step produced: its sends into flight, its events. */
static void collect(struct csim *s, uint32_t from)
{
	for (uint32_t k = 0; k < s->out.send_count; k++) {
		const struct chord_send *send = &s->out.sends[k];

		ASSERT(send->to >= 1 && send->to <= s->count && send->to != from + 1);
		if (s->packet_count == CSIM_PACKETS_MAX || prng_chance(&s->prng, s->o.drop_p)) {
			s->dropped++;
			continue;
		}
		s->packets[s->packet_count++] = (struct packet){
			.to = send->to - 1, .msg = send->msg, .from_side = s->nodes[from].side,
			.due = s->now + 1 + prng_below(&s->prng, s->o.latency_max) };
	}
	for (uint32_t k = 0; k < s->out.event_count; k++) {
		const struct chord_event *e = &s->out.events[k];

		if (e->type == CHORD_EV_JOINED)
			s->nodes[from].joined = true;
		if (e->type == CHORD_EV_LEFT)
			s->nodes[from].joined = false;
		if (e->type == CHORD_EV_LOOKUP && s->result_count < CSIM_RESULTS_MAX)
			s->results[s->result_count++] = e->lookup;
		if (e->type == CHORD_EV_KV && s->kv_count < CSIM_RESULTS_MAX)
			s->kv[s->kv_count++] = e->kv;
	}
}

static void step(struct csim *s, uint32_t i, const struct chord_input *in)
{
	ASSERT(chord_step(s->nodes[i].core, in, &s->out) == 0);
	collect(s, i);
}

void csim_start_base(struct csim *s, uint32_t first, uint32_t count)
{
	struct chord_peer base[64];

	ASSERT(count <= 64 && first + count <= s->count);
	for (uint32_t k = 0; k < count; k++)
		base[k] = peer_of(s, first + k);
	for (uint32_t k = 0; k < count; k++) {
		ASSERT(chord_node_start_base(s->nodes[first + k].core, base, count) == 0);
		s->nodes[first + k].joined = true;
	}
}

static int peer_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct chord_peer *)a)->id, y = ((const struct chord_peer *)b)->id;

	return x < y ? -1 : x > y;
}

void csim_start_ideal(struct csim *s, uint32_t first, uint32_t count)
{
	struct chord_peer sorted[CSIM_NODES_MAX];

	ASSERT(count >= 1 && first + count <= s->count);
	for (uint32_t k = 0; k < count; k++)
		sorted[k] = peer_of(s, first + k);
	qsort(sorted, count, sizeof(sorted[0]), peer_cmp);
	for (uint32_t k = 0; k < count; k++) {
		ASSERT(chord_node_start_ideal(s->nodes[first + k].core, sorted, count) == 0);
		s->nodes[first + k].joined = true;
	}
}

void csim_join(struct csim *s, uint32_t i, uint32_t via)
{
	struct chord_input in = { .type = CHORD_IN_JOIN, .via = peer_of(s, via) };

	step(s, i, &in);
}

void csim_leave(struct csim *s, uint32_t i)
{
	const struct chord_input in = { .type = CHORD_IN_LEAVE };

	step(s, i, &in);
}

void csim_crash(struct csim *s, uint32_t i)
{
	s->nodes[i].alive = false;
}

/* Node @i looks its id up through the next node, in turn (chord-node's merge). */
static void merge(struct csim *s, uint32_t i)
{
	uint32_t via = s->nodes[i].merge_next++ % s->count;
	struct chord_input in = { .type = CHORD_IN_MERGE };

	if (via == i)
		via = s->nodes[i].merge_next++ % s->count;
	if (via == i)
		return;
	in.via = peer_of(s, via);
	step(s, i, &in);
}

void csim_partition(struct csim *s, const bool *side)
{
	for (uint32_t i = 0; i < s->count; i++)
		s->nodes[i].side = side[i];
	s->partitioned = true;
}

void csim_heal(struct csim *s)
{
	s->partitioned = false;
}

void csim_run(struct csim *s, uint32_t ticks)
{
	struct chord_input tick = { .type = CHORD_IN_TICK };

	for (uint32_t t = 0; t < ticks; t++) {
		s->now++;
		/* Bounded: packets sent now are due later, so each due one is taken once. */
		for (uint32_t k = 0; k < s->packet_count;) {
			struct packet p = s->packets[k];
			struct chord_input in = { .type = CHORD_IN_MESSAGE, .msg = &p.msg };

			if (p.due > s->now) {
				k++;
				continue;
			}
			s->packets[k] = s->packets[--s->packet_count];
			if (s->nodes[p.to].alive && (!s->partitioned || p.from_side ==
						     s->nodes[p.to].side))
				step(s, p.to, &in);
		}
		for (uint32_t i = 0; i < s->count; i++) {
			if (s->nodes[i].alive)
				step(s, i, &tick);
			if (s->nodes[i].alive && s->nodes[i].joined && s->o.merge_ticks &&
			    (s->now + i) % s->o.merge_ticks == 0)
				merge(s, i);
		}
	}
}

void csim_lookup(struct csim *s, uint32_t i, uint64_t key, uint64_t tag)
{
	struct chord_input in = { .type = CHORD_IN_LOOKUP, .key = key, .tag = tag };

	step(s, i, &in);
}

void csim_put(struct csim *s, uint32_t i, uint64_t key, int64_t value, uint64_t tag)
{
	struct chord_input in = { .type = CHORD_IN_PUT, .key = key, .value = value, .tag = tag };

	step(s, i, &in);
}

void csim_get(struct csim *s, uint32_t i, uint64_t key, uint64_t tag)
{
	struct chord_input in = { .type = CHORD_IN_GET, .key = key, .tag = tag };

	step(s, i, &in);
}

const struct chord_kv_result *csim_kv_result(const struct csim *s, uint64_t tag)
{
	for (uint32_t k = 0; k < s->kv_count; k++) {
		if (s->kv[k].tag == tag)
			return &s->kv[k];
	}
	return NULL;
}

const struct chord_lookup_result *csim_result(const struct csim *s, uint64_t tag)
{
	for (uint32_t k = 0; k < s->result_count; k++) {
		if (s->results[k].tag == tag)
			return &s->results[k];
	}
	return NULL;
}

bool csim_joined(const struct csim *s, uint32_t i)
{
	return s->nodes[i].alive && s->nodes[i].joined;
}

/* The live members' indexes sorted by id, into @out; their count. */
static uint32_t members(const struct csim *s, uint32_t *out)
{
	uint32_t m = 0;

	for (uint32_t i = 0; i < s->count; i++) {
		uint32_t k = m++;

		if (!csim_joined(s, i)) {
			m--;
			continue;
		}
		while (k > 0 && s->nodes[out[k - 1]].id > s->nodes[i].id) {
			out[k] = out[k - 1];
			k--;
		}
		out[k] = i;
	}
	return m;
}

/* The member that owns @key among @m sorted members: the first id >= key, wrapping. */
static uint32_t owner_among(const struct csim *s, const uint32_t *sorted, uint32_t m,
			    uint64_t key)
{
	for (uint32_t k = 0; k < m; k++) {
		if (s->nodes[sorted[k]].id >= key)
			return sorted[k];
	}
	return sorted[0];
}

uint32_t csim_owner(const struct csim *s, uint64_t key)
{
	uint32_t sorted[CSIM_NODES_MAX], m = members(s, sorted);

	ASSERT(m > 0);
	return owner_among(s, sorted, m, key);
}

bool csim_ideal(const struct csim *s, char *why, size_t size)
{
	uint32_t sorted[CSIM_NODES_MAX], m = members(s, sorted);
	uint32_t r = s->o.bugs & CHORD_BUG_SUCC_LIST_1 ? 1 : s->o.succ_max;
	struct chord_view v;

	for (uint32_t p = 0; p < m; p++) {
		uint32_t i = sorted[p];

		chord_node_view(s->nodes[i].core, &v);
		if (!v.has_pred || v.pred.id != s->nodes[sorted[(p + m - 1) % m]].id)
			return snprintf(why, size, "node %lu: pred", (unsigned long)s->nodes[i].id),
			       false;
		if (v.succ_count != r)
			return snprintf(why, size, "node %lu: %u successors, want %u",
					(unsigned long)s->nodes[i].id, v.succ_count, r), false;
		for (uint32_t k = 0; k < r; k++) {
			if (v.succ[k].id != s->nodes[sorted[(p + 1 + k) % m]].id)
				return snprintf(why, size, "node %lu: successor %u",
						(unsigned long)s->nodes[i].id, k), false;
		}
		for (uint32_t j = 0; j < s->o.bits; j++) {
			uint64_t want = s->nodes[owner_among(s, sorted, m, chord_finger_start(
				&s->space, s->nodes[i].id, j))].id;

			if (!v.finger_set[j] || v.finger[j].id != want)
				return snprintf(why, size, "node %lu: finger %u",
						(unsigned long)s->nodes[i].id, j), false;
		}
	}
	return m > 0 || (snprintf(why, size, "no members"), false);
}

void csim_ring(const struct csim *s, struct chord_ring_report *out)
{
	static struct chord_ring_node nodes[CSIM_NODES_MAX];
	static struct chord_view views[CSIM_NODES_MAX];
	static uint64_t lists[CSIM_NODES_MAX][CHORD_SUCC_MAX];
	struct errbuf eb = { "" };

	for (uint32_t i = 0; i < s->count; i++) {
		chord_node_view(s->nodes[i].core, &views[i]);
		for (uint32_t k = 0; k < views[i].succ_count; k++)
			lists[i][k] = views[i].succ[k].id;
		nodes[i] = (struct chord_ring_node){ .id = s->nodes[i].id,
						     .alive = csim_joined(s, i),
						     .succ = lists[i],
						     .succ_count = views[i].succ_count };
	}
	ASSERT(chord_ring_check(&s->space, nodes, s->count, out, &eb) == 0);
}

const struct chord_node *csim_node(const struct csim *s, uint32_t i)
{
	return s->nodes[i].core;
}

uint32_t csim_count(const struct csim *s)
{
	return s->count;
}

uint64_t csim_id(const struct csim *s, uint32_t i)
{
	return s->nodes[i].id;
}

struct csim *csim_grown(const struct csim_opts *o, uint32_t n, uint32_t gap)
{
	struct csim *s = csim_new(o);
	struct chord_space space;

	ASSERT(chord_space_init(&space, o->bits) == 0);
	for (uint32_t i = 0; i < n; i++) {
		char name[16];
		uint64_t id;

		snprintf(name, sizeof(name), "n%u", i + 1);
		id = chord_hash(&space, name, strlen(name));
		for (uint32_t k = 0; k < i; k++)
			ASSERT(csim_id(s, k) != id);    /* a collision: pick other names */
		csim_add(s, id);
	}
	csim_start_base(s, 0, n < 4 ? n : 4);
	for (uint32_t i = 4; i < n; i++) {
		csim_join(s, i, (i * 7) % 4);
		csim_run(s, gap);
	}
	return s;
}

/* Would crashing node @v leave a joined live member with no live entry in its successor list
 * (Zave's failure assumption, judged on the nodes' lists now)? */
static bool crash_keeps_assumption(const struct csim *s, const bool *crashed, uint32_t v)
{
	for (uint32_t u = 0; u < csim_count(s); u++) {
		struct chord_view w;
		bool live = false;

		if (u == v || crashed[u])
			continue;
		chord_node_view(csim_node(s, u), &w);
		for (uint32_t e = 0; w.joined && e < w.succ_count; e++) {
			for (uint32_t q = 0; q < csim_count(s); q++)
				live |= csim_id(s, q) == w.succ[e].id && q != v && !crashed[q];
		}
		if (w.joined && !live)
			return false;
	}
	return true;
}

bool csim_joins_then_crashes(uint64_t seed, uint32_t bugs, char *why, size_t size)
{
	struct csim_opts o;
	struct csim *s;
	struct prng prng;
	bool crashed[6] = { false }, ideal;

	csim_defaults(&o, seed);
	o.bits = 6;
	o.succ_max = 2;
	o.bugs = bugs;
	prng_init(&prng, seed);
	s = csim_new(&o);
	while (csim_count(s) < 6) {
		uint64_t id = prng_below(&prng, 64);
		bool taken = false;

		for (uint32_t i = 0; i < csim_count(s); i++)
			taken |= csim_id(s, i) == id;
		if (!taken)
			csim_add(s, id);
	}
	csim_start_base(s, 0, 3);
	csim_run(s, 50);
	for (uint32_t i = 3; i < 6; i++) {
		csim_join(s, i, (uint32_t)prng_below(&prng, 3));
		csim_run(s, (uint32_t)prng_below(&prng, 40));
	}
	for (int c = 0; c < 2; c++) {
		uint32_t v = 3 + (uint32_t)prng_below(&prng, 3);

		if (!crashed[v] && crash_keeps_assumption(s, crashed, v)) {
			csim_crash(s, v);
			crashed[v] = true;
		}
		csim_run(s, (uint32_t)prng_below(&prng, 20));
	}
	csim_run(s, 3000);
	ideal = csim_ideal(s, why, size);
	csim_free(s);
	return ideal;
}
