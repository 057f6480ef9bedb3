/* SPDX-License-Identifier: MIT */
/* chord_sim.h - an in-process deterministic network of Chord nodes: one seed decides
 * latencies and drops; ticks drive every live node. Nodes crash (and stay down), join, and
 * answer lookups; the sim says whether the ring is ideal and gives snapshots to judge. */
#ifndef CHORD_SIM_H
#define CHORD_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "chord.h"
#include "chord_ring.h"

enum {
	CSIM_NODES_MAX = 320,           /* bench-chord: 256 members and 64 joiners */
	CSIM_PACKETS_MAX = 1 << 16,     /* in flight; more are dropped and counted */
	CSIM_RESULTS_MAX = 4096,        /* lookup results kept */
};

struct csim_opts {
	uint64_t seed;
	uint32_t bits, succ_max, bugs;
	uint32_t stabilize_ticks, fix_fingers_ticks, check_pred_ticks, rpc_timeout_ticks;
	uint32_t latency_max;           /* a message takes 1 .. latency_max ticks */
	double drop_p;
	uint32_t merge_ticks;           /* each member merges through the next node this
					 * often, as chord-node does; 0: never */
};

struct csim;

/* csim_defaults() - 16-bit ids, r = 3, periods of 10 ticks, timeout 8, latency 1..3. */
void csim_defaults(struct csim_opts *o, uint64_t seed);

struct csim *csim_new(const struct csim_opts *o);
void csim_free(struct csim *s);

/* csim_add() - a node with @id (distinct), not yet a member. Return: its index. */
uint32_t csim_add(struct csim *s, uint64_t id);

/* csim_start_base() - nodes @first .. @first + @count - 1 form the stable base. */
void csim_start_base(struct csim *s, uint32_t first, uint32_t count);

/* csim_start_ideal() - nodes @first .. @first + @count - 1 (any count) form a ring with
 * exact pointers (chord_node_start_ideal()). */
void csim_start_ideal(struct csim *s, uint32_t first, uint32_t count);

/* csim_join() - node @i joins through node @via. */
void csim_join(struct csim *s, uint32_t i, uint32_t via);

/* csim_leave() - node @i leaves gracefully; it stays up and may join again. */
void csim_leave(struct csim *s, uint32_t i);

/* csim_crash() - node @i stops for good: no ticks, and what is sent to it is lost. */
void csim_crash(struct csim *s, uint32_t i);

/* csim_partition() - nodes with @side[i] true and the others no longer hear each other
 * (messages between them are lost) until csim_heal(). */
void csim_partition(struct csim *s, const bool *side);
void csim_heal(struct csim *s);

/* csim_run() - @ticks ticks: deliver what is due, then tick every live node. */
void csim_run(struct csim *s, uint32_t ticks);

/* csim_lookup() - node @i looks up @key; the result comes with later ticks. */
void csim_lookup(struct csim *s, uint32_t i, uint64_t key, uint64_t tag);

/* csim_put(), csim_get() - node @i puts @value under @key, or reads @key; the result, by
 * csim_kv_result(@tag) (NULL until it came), comes with later ticks. */
void csim_put(struct csim *s, uint32_t i, uint64_t key, int64_t value, uint64_t tag);
void csim_get(struct csim *s, uint32_t i, uint64_t key, uint64_t tag);
const struct chord_kv_result *csim_kv_result(const struct csim *s, uint64_t tag);

/* csim_result() - the result for @tag, or NULL if none came yet. */
const struct chord_lookup_result *csim_result(const struct csim *s, uint64_t tag);

/* csim_joined() - node @i completed a join (or is in the base) and is alive. */
bool csim_joined(const struct csim *s, uint32_t i);

/* csim_owner() - successor(@key) over the live members: the index of its node. */
uint32_t csim_owner(const struct csim *s, uint64_t key);

/* csim_ideal() - every live member's pred, successor list and fingers are exact; if not,
 * @why (@size bytes) says the first that is not. */
bool csim_ideal(const struct csim *s, char *why, size_t size);

/* csim_ring() - Zave's invariants over the live nodes' successor lists now. */
void csim_ring(const struct csim *s, struct chord_ring_report *out);

/* csim_node() - node @i's core, to read its view. */
const struct chord_node *csim_node(const struct csim *s, uint32_t i);

/* csim_grown() - @n nodes named n1, n2, ... (ids hashed): n1..n4 are the base, the rest
 * join one by one through one of them, @gap ticks apart. */
struct csim *csim_grown(const struct csim_opts *o, uint32_t n, uint32_t gap);

/* csim_joins_then_crashes() - CHORD.md's small ring with @bugs: m = 6, r = 2, a base of 3
 * and 3 joiners a few ticks apart, then two crashes of joiners, each only if it keeps Zave's
 * failure assumption (on the nodes' lists then). Ideal after 3000 quiet ticks? If not, @why
 * says what is not. */
bool csim_joins_then_crashes(uint64_t seed, uint32_t bugs, char *why, size_t size);

uint32_t csim_count(const struct csim *s);
uint64_t csim_id(const struct csim *s, uint32_t i);

#endif /* CHORD_SIM_H */
