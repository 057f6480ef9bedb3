/* SPDX-License-Identifier: MIT */
/* db.c - process-group signals shared by every db implementation. */
#include "db.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "cluster.h"
#include "errbuf.h"

static int signal_node(struct cluster *cluster, uint32_t node, int sig, struct errbuf *eb)
{
	pid_t pid = cluster_node_pid(cluster, node);

	if (pid <= 0)
		return errbuf_set(eb, -ESRCH, "node %s is not running",
				  cluster_node_name(cluster, node));
	/* Each node leads its own process group (cluster_node_start), so -pid is the group. */
	if (kill(-pid, sig) < 0)
		return errbuf_set(eb, -errno, "signal %d to node %s: %s", sig,
				  cluster_node_name(cluster, node), strerror(errno));
	return 0;
}

int db_process_kill(struct db *db, struct cluster *cluster, uint32_t node, struct errbuf *eb)
{
	(void)db;
	return cluster_node_kill(cluster, node, eb);
}

int db_process_pause(struct db *db, struct cluster *cluster, uint32_t node, struct errbuf *eb)
{
	(void)db;
	return signal_node(cluster, node, SIGSTOP, eb);
}

int db_process_resume(struct db *db, struct cluster *cluster, uint32_t node, struct errbuf *eb)
{
	(void)db;
	return signal_node(cluster, node, SIGCONT, eb);
}
