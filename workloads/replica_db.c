/* SPDX-License-Identifier: MIT */
/*
 * replica_db.c - builds a replica's command line and starts it in its namespace. crdt-node and
 * lww-node share it: --id --replicas --listen --peer... --data-dir --seed [--bug].
 */
#include "replica_db.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "errbuf.h"
#include "fl_assert.h"

enum {
	ARG_BYTES_MAX = REPLICA_DB_ARG_BYTES_MAX,
	FIXED_ARGS_MAX = 14,            /* the program, then --id .. --bug with their values */
};

/* Two per peer, the fixed ones and a system's extras, for the largest cluster. */
STATIC_ASSERT(2 * (CLUSTER_NODES_MAX - 1) + FIXED_ARGS_MAX + REPLICA_DB_EXTRA_MAX <=
	      CLUSTER_ARGS_MAX, "a replica's command line fits");

static int replica_db_start(struct db *base, struct cluster *cluster, uint32_t node,
			    const char *log_path, const struct cluster_start_opts *opts,
			    struct errbuf *eb)
{
	struct replica_db *db = container_of(base, struct replica_db, base);
	uint32_t n = cluster_node_count(cluster);
	char args[CLUSTER_ARGS_MAX][ARG_BYTES_MAX];
	char *argv[CLUSTER_ARGS_MAX + 1];
	uint32_t argc = 0;

	ASSERT(node < n);
	ASSERT(n <= CLUSTER_NODES_MAX); /* so the command line fits (asserted above) */
#define ARG(...) snprintf(args[argc], ARG_BYTES_MAX, __VA_ARGS__), argv[argc] = args[argc], argc++
	argv[argc++] = db->exe;
	ARG("--id");
	ARG("%u", node);
	ARG("--replicas");
	ARG("%u", n);
	ARG("--listen");
	ARG("%s", inet_ntoa(cluster_node_addr(cluster, node)));
	for (uint32_t j = 0; j < n; j++) {
		if (j == node)
			continue;
		ARG("--peer");
		ARG("%u=%s", j, inet_ntoa(cluster_node_addr(cluster, j)));
	}
	ARG("--data-dir");
	if (snprintf(args[argc], ARG_BYTES_MAX, "%s/%s.data", db->data_root,
		     cluster_node_name(cluster, node)) >= ARG_BYTES_MAX)
		return errbuf_set(eb, -ENAMETOOLONG, "data dir path too long");
	argv[argc] = args[argc];
	argc++;
	ARG("--seed");
	ARG("%" PRIu64, db->seed + node);
	if (db->bug) {
		ARG("--bug");
		ARG("%s", db->bug);
	}
#undef ARG
	if (db->extra) {
		uint32_t added = db->extra(db, node, &args[argc], REPLICA_DB_EXTRA_MAX);

		ASSERT(added <= REPLICA_DB_EXTRA_MAX);
		for (uint32_t i = 0; i < added; i++, argc++)
			argv[argc] = args[argc];
	}
	argv[argc] = NULL;
	return cluster_node_start_opts(cluster, node, argv, log_path, opts, eb);
}

static const struct db_ops replica_db_ops = {
	.name = "replica",
	.start = replica_db_start,
	.kill = db_process_kill,
	.pause = db_process_pause,
	.resume = db_process_resume,
};

int replica_db_init(struct replica_db *db, const char *exe, const char *data_root,
		    const char *bug, uint64_t seed)
{
	db->base.ops = &replica_db_ops;
	if (strlen(exe) >= sizeof(db->exe) || strlen(data_root) >= sizeof(db->data_root))
		return -ENAMETOOLONG;
	snprintf(db->exe, sizeof(db->exe), "%s", exe);
	snprintf(db->data_root, sizeof(db->data_root), "%s", data_root);
	db->bug = bug;
	db->seed = seed;
	db->extra = NULL;
	db->extra_ctx = NULL;
	return 0;
}
