/* SPDX-License-Identifier: MIT */
/* cluster_internal.h - the cluster's private layout, shared by the cluster_*.c files only. */
#ifndef CLUSTER_INTERNAL_H
#define CLUSTER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cluster.h"

struct errbuf;

enum {
	CLUSTER_PATH_BYTES_MAX = 64,    /* "/run/netns/fl-<8>-n64" fits with room */
	CLUSTER_CGROUP_PATH_BYTES_MAX = 128,    /* "<v2 root>/fl-<8>-n64" */
	CLUSTER_CGROUP_WAIT_MS = 1000,  /* bound on waiting for frozen/populated in cgroup.events */
	CLUSTER_CGROUP_RMDIR_TRIES = 50,        /* rmdir retries on EBUSY, 20 ms apart */
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
 * leads its own process group (pgid == pid). @cgroup[0] != 0 only while the cgroup directory
 * we made exists, and then every process of the node runs in it. @frozen implies @pid > 0.
 */
struct cluster_node {
	char name[CLUSTER_NAME_BYTES_MAX];
	struct cluster_ns ns;
	int port_ifindex;               /* p<i+1> in the switch ns; 0 until created */
	pid_t pid;
	bool frozen;                    /* by cluster_node_freeze(), until thaw or kill */
	char cgroup[CLUSTER_CGROUP_PATH_BYTES_MAX];
};

/*
 * Invariants: @node_count in 1..CLUSTER_NODES_MAX; entries past @node_count are unused
 * (fd -1). @owner_tid is the thread that ran setup: node processes are forked from it only.
 * @cgroups: every node has its cgroup v2 directory; false means process-group signals.
 * @attached: made by cluster_attach(), so another process owns everything: no ns path and
 * no pid is ever set, teardown only closes fds, and node state (running, frozen) is read
 * from the cgroup files rather than remembered.
 */
struct cluster {
	uint32_t node_count;
	bool keep;
	bool cgroups;
	bool attached;
	char run_id[CLUSTER_NAME_BYTES_MAX];
	pid_t owner_tid;
	struct cluster_ns sw;
	struct cluster_node nodes[CLUSTER_NODES_MAX];
};

/* cluster.c */
int cluster_run_id_check(const char *run_id, struct errbuf *eb);
/* A cluster with no resources yet: every fd -1, names n1..; NULL if out of memory. */
struct cluster *cluster_alloc(const struct cluster_opts *opts);

/* cluster_netns.c */
int cluster_ns_home_open(int *fd_out, struct errbuf *eb);
void cluster_ns_home_return(int home_fd);
int cluster_ns_create(struct cluster_ns *ns, int home_fd, const char *path, struct errbuf *eb);
int cluster_ns_destroy(struct cluster_ns *ns, struct errbuf *eb);

/* cluster_topology.c */
int cluster_topology_build(struct cluster *c, int home_fd, struct errbuf *eb);
int cluster_topology_find(struct cluster *c, int home_fd, struct errbuf *eb);

/* cluster_process.c */
int cluster_node_kill_all(struct cluster *c, struct errbuf *eb);

/* cluster_cgroup.c: cgroup v2 directories, addressed by path. */
int cluster_cgroup_root(char *path, size_t size);
int cluster_cgroups_create(struct cluster *c, struct errbuf *eb);
int cluster_cgroups_remove(struct cluster *c, struct errbuf *eb);
int cluster_cgroup_write(const char *dir, const char *file, const char *value,
			 struct errbuf *eb);
int cluster_cgroup_event(const char *dir, const char *key);
int cluster_cgroup_wait(const char *dir, const char *key, int value, struct errbuf *eb);
int cluster_cgroup_kill(const char *dir, struct errbuf *eb);
int cluster_cgroup_freeze(const char *dir, bool frozen, struct errbuf *eb);
int cluster_cgroup_rmdir(const char *dir, struct errbuf *eb);

#endif /* CLUSTER_INTERNAL_H */
