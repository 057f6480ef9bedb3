/* SPDX-License-Identifier: MIT */
/* nemesis.h - the Nemesis seam: setup / invoke / teardown of one kind of fault (Jepsen). */
#ifndef NEMESIS_H
#define NEMESIS_H

#include <stddef.h>
#include <stdint.h>

struct cluster;
struct errbuf;
struct prng;

enum nem_f {
	NEM_F_PARTITION = 1u << 0,
	NEM_F_DELAY = 1u << 1,
	NEM_F_CLOCK = 1u << 2,
	NEM_F_KILL = 1u << 3,
	NEM_F_PAUSE = 1u << 4,
	NEM_F_LOSS = 1u << 5,
	NEM_F_DUP = 1u << 6,
	NEM_F_REORDER = 1u << 7,
	NEM_F_BANDWIDTH = 1u << 8,
	NEM_F_BYZANTINE = 1u << 9,
	NEM_F_MSGDROP = 1u << 10,
	NEM_F_CHURN = 1u << 11,
};

enum {
	NEM_VALUE_BYTES_MAX = 16384,    /* JSON text of one fault's description (halves of
					 * 64 nodes, the densest partition: 12,529 bytes) */
	NEM_NODES_MAX = 64,             /* >= CLUSTER_NODES_MAX, asserted where both are seen */
};

_Static_assert(NEM_NODES_MAX <= 64, "a node set is one uint64_t");

/*
 * nem_nodes_all() - the node set of every node of a @node_count-node cluster: bits 0 ..
 * @node_count - 1. Unlike (1 << @node_count) - 1, right for 64 nodes too (a shift by the
 * width of the type is undefined). @node_count <= NEM_NODES_MAX.
 */
static inline uint64_t nem_nodes_all(uint32_t node_count)
{
	return node_count >= 64 ? UINT64_MAX : (UINT64_C(1) << node_count) - 1;
}

/*
 * Typed parameters of one fault (nemesis/FAULTS.md says which f reads which field). They are
 * drawn by the schedule, which also records them as the invoke's JSON value; invoke reads
 * only this struct, so it never parses or allocates.
 */
struct nem_params {
	uint64_t nodes;                 /* bit i: node i is a target (kill, pause, bandwidth);
					 * 0: the nemesis picks (documented per fault) */
	uint64_t pairs[NEM_NODES_MAX];  /* bit j of row i: traffic from node j to node i is
					 * affected; all rows 0: every ordered pair */
	int64_t delay_ns;               /* delay, reorder */
	int64_t jitter_ns;              /* delay */
	double probability;             /* loss, dup, reorder: 0 < p <= 1 */
	uint64_t rate_bytes_per_s;      /* bandwidth */
	int64_t duration_ns;            /* clock strobe: how long it lasts */
	double rate;                    /* clock drift: the clock's speed, 1.0 is real time */
	uint8_t modes[NEM_NODES_MAX];   /* byzantine: node i's mode (byzantine.h), 0 none */
	uint32_t msg_types;             /* msgdrop: bit t drops UDP datagrams starting with t */
};

/*
 * One nemesis request: @f is the op's f ("start-partition", "stop-delay", "kill", ...);
 * @arg is optional JSON text naming the variant (partitions: the shape, e.g. "\"halves\""),
 * NULL for a random choice; @params are the typed parameters, NULL for the nemesis's defaults.
 * The completion is always an info op (Jepsen): whether a fault took effect is not known to
 * the clients. @value receives JSON text describing exactly what was done.
 */
struct nem_request {
	const char *f;
	const char *arg;
	const struct nem_params *params;
};

struct nem_completion {
	char value[NEM_VALUE_BYTES_MAX];
};

struct nemesis;

struct nemesis_ops {
	const char *name;
	uint32_t fs;                    /* NEM_F_* handled */
	int (*setup)(struct nemesis *nem, struct cluster *cluster, struct errbuf *eb);
	/* Must not allocate (STYLE S20). Random choices come from @prng only. */
	int (*invoke)(struct nemesis *nem, const struct nem_request *request, struct prng *prng,
		      struct nem_completion *completion, struct errbuf *eb);
	/* Removes only what setup made; heals first. NULL-safe on a nemesis never set up. */
	int (*teardown)(struct nemesis *nem, struct errbuf *eb);
	/* Tears down if still set up, then frees what _new() made; NULL for a static one. */
	void (*free)(struct nemesis *nem);
};

struct nemesis {
	const struct nemesis_ops *ops;
};

extern const struct nemesis_ops nem_noop_ops;

static inline int nem_setup(struct nemesis *nem, struct cluster *cluster, struct errbuf *eb)
{
	return nem->ops->setup ? nem->ops->setup(nem, cluster, eb) : 0;
}

static inline int nem_invoke(struct nemesis *nem, const struct nem_request *request,
			     struct prng *prng, struct nem_completion *completion,
			     struct errbuf *eb)
{
	completion->value[0] = '\0';
	return nem->ops->invoke(nem, request, prng, completion, eb);
}

static inline int nem_teardown(struct nemesis *nem, struct errbuf *eb)
{
	return nem->ops->teardown ? nem->ops->teardown(nem, eb) : 0;
}

/* nem_free() - free any nemesis through its ops; NULL is allowed. */
static inline void nem_free(struct nemesis *nem)
{
	if (nem && nem->ops->free)
		nem->ops->free(nem);
}

#endif /* NEMESIS_H */
