/* SPDX-License-Identifier: MIT */
/* cluster_internal.h - the cluster's private layout, shared by the cluster_*.c files only. */
#ifndef CLUSTER_INTERNAL_H
#define CLUSTER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cluster.h"

struct errbuf;

enum {
	CLUSTER_PATH_BYTES_MAX = 64,    /* "/run/netns/fl-<8>-n32" fits with room */
};

#define CLUSTER_NETNS_DIR "/run/netns"

/*
 * One namespace we created. Invariants: @fd >= 0 while the namespace is ours; @path[0] != 0
 * only if we bind-mounted it there (keep), and then teardown unmounts and unlinks exactly it.
 */
struct cluster_ns {
	int fd;
	char path[CLUSTER_PATH_BYTES_MAX];
};

/*
 * One node. Invariants: @pid > 0 only while a process we forked is unreaped, and then it
 * leads its own process group (pgid == pid).
 */
struct cluster_node {
	char name[CLUSTER_NAME_BYTES_MAX];
	struct cluster_ns ns;
	int port_ifindex;               /* p<i+1> in the switch ns; 0 until created */
	pid_t pid;
};

/*
 * Invariants: @node_count in 1..CLUSTER_NODES_MAX; entries past @node_count are unused
 * (fd -1). @owner_tid is the thread that ran setup: node processes are forked from it only.
 */
struct cluster {
	uint32_t node_count;
	bool keep;
	char run_id[CLUSTER_NAME_BYTES_MAX];
	pid_t owner_tid;
	struct cluster_ns sw;
	struct cluster_node nodes[CLUSTER_NODES_MAX];
};

/* cluster_netns.c */
int cluster_ns_home_open(int *fd_out, struct errbuf *eb);
void cluster_ns_home_return(int home_fd);
int cluster_ns_create(struct cluster_ns *ns, int home_fd, const char *path, struct errbuf *eb);
int cluster_ns_destroy(struct cluster_ns *ns, struct errbuf *eb);

/* cluster_topology.c */
int cluster_topology_build(struct cluster *c, int home_fd, struct errbuf *eb);

/* cluster_process.c */
int cluster_node_kill_all(struct cluster *c, struct errbuf *eb);

#endif /* CLUSTER_INTERNAL_H */
