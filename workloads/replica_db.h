/* SPDX-License-Identifier: MIT */
/* replica_db.h - how the harness starts replicas that share crdt-node's command line. */
#ifndef REPLICA_DB_H
#define REPLICA_DB_H

#include <stdint.h>

#include "cluster.h"
#include "db.h"
#include "replica_args.h"

enum {
	REPLICA_DB_PATH_BYTES_MAX = 512,
	REPLICA_DB_ARG_BYTES_MAX = REPLICA_DB_PATH_BYTES_MAX + 32,      /* one argument */
	REPLICA_DB_EXTRA_MAX = 8,       /* arguments a system adds per node */
	/* The most nodes such a cluster can have: each replica's --replicas N (the shared
	 * command line's bound), within the cluster's own bound. */
	REPLICA_DB_NODES_MAX = (int)REPLICA_ARGS_REPLICAS_MAX < (int)CLUSTER_NODES_MAX
			       ? REPLICA_ARGS_REPLICAS_MAX : CLUSTER_NODES_MAX,
};

struct replica_db;

/*
 * More arguments for node @node (pbft-node: its secret, its Byzantine mode): writes at most
 * @max NUL-terminated ones into @args. Return: how many.
 */
typedef uint32_t replica_db_extra_fn(const struct replica_db *db, uint32_t node,
				     char args[][REPLICA_DB_ARG_BYTES_MAX], uint32_t max);

struct replica_db {
	struct db base;
	char exe[REPLICA_DB_PATH_BYTES_MAX];    /* the node program */
	const char *bug;                        /* --bug NAME or NULL; borrowed */
	uint64_t seed;                          /* node i gets seed + i */
	char data_root[REPLICA_DB_PATH_BYTES_MAX]; /* node state in <data_root>/<name>.data */
	replica_db_extra_fn *extra;             /* NULL: none */
	void *extra_ctx;                        /* for @extra */
};

/*
 * replica_db_init() - @exe and @data_root are copied, @bug borrowed. Every replica runs durable
 * (--data-dir), so a restart after a kill finds what it acknowledged. Return: 0 or
 * -ENAMETOOLONG.
 */
int replica_db_init(struct replica_db *db, const char *exe, const char *data_root,
		    const char *bug, uint64_t seed);

#endif /* REPLICA_DB_H */
