/* SPDX-License-Identifier: MIT */
/* cluster.h - N node namespaces on a bridge in a switch namespace, and node process lifecycle. */
#ifndef CLUSTER_H
#define CLUSTER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct errbuf;

enum {
	CLUSTER_NODES_MAX = 32,
	CLUSTER_NAME_BYTES_MAX = 16,    /* "n1".."n32", and namespace-name parts */
	CLUSTER_ARGS_MAX = 64,          /* argv entries for a node process */
};

/*
 * Addresses: node i (0-based) is 10.77.0.(i+1)/24 on eth0 in its own namespace; the switch
 * namespace holds bridge br0 with 10.77.0.254/24 (where clients connect from) and the switch
 * ports p1..pN. All of it exists only inside namespaces the cluster created.
 */
#define CLUSTER_SUBNET "10.77.0.0/24"
#define CLUSTER_SWITCH_ADDR "10.77.0.254"
#define CLUSTER_PREFIX "fl-"            /* every name we give in the root ns starts with it */
#define CLUSTER_RUN_ENV "FAULTLINE_RUN" /* set in every node process's environment */

struct cluster_opts {
	uint32_t node_count;            /* 1 .. CLUSTER_NODES_MAX */
	const char *run_id;             /* short id, [a-z0-9] <= 8 chars; names fl-<run_id>-* */
	/* keep: name the namespaces /run/netns/fl-<run_id>-{sw,n1,..} so that `ip netns exec`
	 * works; `faultline clean` removes them. */
	bool keep;
};

struct cluster;

/**
 * cluster_setup() - build the topology with libnl-route (no `ip` shell-outs). Namespaces are
 * anonymous (held by fds) unless @opts->keep. Must run before any other thread is started;
 * leaves the calling thread in the namespace it started in.
 * Return: 0, or -errno with @eb set; on error nothing is left behind.
 */
int cluster_setup(struct cluster **out, const struct cluster_opts *opts, struct errbuf *eb);

uint32_t cluster_node_count(const struct cluster *c);
const char *cluster_node_name(const struct cluster *c, uint32_t node);   /* "n1" for node 0 */
struct in_addr cluster_node_addr(const struct cluster *c, uint32_t node);
int cluster_switch_ns_fd(const struct cluster *c);
int cluster_node_ns_fd(const struct cluster *c, uint32_t node);
/* Interface index, inside the switch namespace, of the switch port facing @node. */
int cluster_port_ifindex(const struct cluster *c, uint32_t node);
const char *cluster_run_id(const struct cluster *c);

/**
 * cluster_enter_switch() - move the calling thread into the switch namespace for good, so the
 * sockets it (and threads it creates afterwards) opens reach the nodes. Return: 0 or -errno.
 */
int cluster_enter_switch(struct cluster *c, struct errbuf *eb);

/**
 * cluster_node_start() - fork and exec @argv[0] with @argv in @node's namespace: own process
 * group, PR_SET_PDEATHSIG(SIGKILL), CLUSTER_RUN_ENV=<run_id> in the environment, stdin from
 * /dev/null, stdout and stderr appended to @log_path. Must be called from the thread that
 * called cluster_setup() (PDEATHSIG follows the forking thread).
 * Return: 0, -EBUSY if the node is running, or -errno.
 */
int cluster_node_start(struct cluster *c, uint32_t node, char *const argv[],
		       const char *log_path, struct errbuf *eb);

/* cluster_node_kill() - SIGKILL the node's process group and reap it; 0 if not running. */
int cluster_node_kill(struct cluster *c, uint32_t node, struct errbuf *eb);

/* cluster_node_pid() - pid of the running node process, or 0. */
pid_t cluster_node_pid(const struct cluster *c, uint32_t node);

/* cluster_node_alive() - reap without blocking; true if the node process still runs. */
bool cluster_node_alive(struct cluster *c, uint32_t node);

/**
 * cluster_teardown() - kill every node, close the namespaces (and unmount named ones), free.
 * NULL is allowed. Return: 0 or the first -errno met (teardown continues past errors).
 */
int cluster_teardown(struct cluster *c, struct errbuf *eb);

/**
 * cluster_process_marked() - true if @pid's environment holds CLUSTER_RUN_ENV, with the value
 * @run_id (any value when @run_id is NULL). False for a process that is gone or unreadable.
 */
bool cluster_process_marked(pid_t pid, const char *run_id);

struct cluster_clean_report {
	uint32_t processes_killed, namespaces_removed, links_removed, files_removed;
};

/**
 * cluster_clean() - remove every leftover of any faultline run on this machine: processes whose
 * environment holds CLUSTER_RUN_ENV (and any process inside a namespace named below),
 * /run/netns/fl-*, root-namespace links named fl-*, /sys/fs/bpf/fl-*, /dev/shm/fl-*.
 * Return: 0 or the first -errno met (cleaning continues past errors).
 */
int cluster_clean(struct cluster_clean_report *report, struct errbuf *eb);

#endif /* CLUSTER_H */
