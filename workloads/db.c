/* SPDX-License-Identifier: MIT */
/* db.c - kill, pause and resume through the cluster, shared by every db implementation. */
#include "db.h"

#include "cluster.h"
#include "errbuf.h"

int db_process_kill(struct db *db, struct cluster *cluster, uint32_t node, struct errbuf *eb)
{
	(void)db;
	return cluster_node_kill(cluster, node, eb);
}

int db_process_pause(struct db *db, struct cluster *cluster, uint32_t node, struct errbuf *eb)
{
	(void)db;
	return cluster_node_freeze(cluster, node, eb);
}

int db_process_resume(struct db *db, struct cluster *cluster, uint32_t node, struct errbuf *eb)
{
	(void)db;
	return cluster_node_thaw(cluster, node, eb);
}
