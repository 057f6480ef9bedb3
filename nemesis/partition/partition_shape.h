/* SPDX-License-Identifier: MIT */
/* partition_shape.h - grudges (who does not hear whom) and the Jepsen partition shapes. */
#ifndef PARTITION_SHAPE_H
#define PARTITION_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cluster.h"

struct prng;

enum partition_shape {
	PARTITION_SHAPE_ISOLATE,        /* one random node vs the rest */
	PARTITION_SHAPE_HALVES,         /* random halves, sizes floor(n/2) and ceil(n/2) */
	PARTITION_SHAPE_BRIDGE,         /* halves plus one node that sees both (n >= 3) */
	PARTITION_SHAPE_MAJORITIES_RING,/* each sees a majority, no two the same (n >= 3) */
	PARTITION_SHAPE_RANDOM,         /* any nontrivial split into two sides */
	PARTITION_SHAPE_COUNT,
};

/*
 * A grudge: bit j of @blocked_from[i] set means node i does not receive from node j.
 * Invariants (checked by grudge_check()): only bits below @node_count are set, no node holds
 * a grudge against itself, and every shape here is symmetric (i blocks j iff j blocks i).
 */
struct grudge {
	uint32_t node_count;
	enum partition_shape shape;
	uint64_t blocked_from[CLUSTER_NODES_MAX];
};

/* partition_shape_parse() - "halves" -> PARTITION_SHAPE_HALVES; -EINVAL if unknown. */
int partition_shape_parse(const char *name);

/* partition_shape_name() - the name partition_shape_parse() accepts. */
const char *partition_shape_name(enum partition_shape shape);

/**
 * partition_shape_grudge() - draw a grudge of @shape over @node_count nodes from @prng.
 * Pure: the same prng state gives the same grudge. Does not allocate.
 * Return: 0; -EINVAL if @node_count < 2, or < 3 for bridge and majorities-ring, or
 * > CLUSTER_NODES_MAX.
 */
int partition_shape_grudge(enum partition_shape shape, uint32_t node_count, struct prng *prng,
			   struct grudge *out);

/* grudge_blocks() - true if @receiver does not receive from @sender. */
bool grudge_blocks(const struct grudge *grudge, uint32_t receiver, uint32_t sender);

/* grudge_check() - true if the invariants above hold (symmetry included). */
bool grudge_check(const struct grudge *grudge);

/**
 * grudge_describe() - JSON text {"shape":"halves","cut":{"n1":["n3","n4"],...}} where cut[x]
 * lists the nodes x cannot reach; nodes with an empty list are left out. @names[i] is node
 * i's name ([a-z0-9], not escaped). A NULL @grudge describes the healed network {"cut":{}}.
 * Return: length written (NUL excluded), or -EMSGSIZE if @size is too small.
 */
ssize_t grudge_describe(const struct grudge *grudge, const char *const *names, char *buf,
			size_t size);

#endif /* PARTITION_SHAPE_H */
