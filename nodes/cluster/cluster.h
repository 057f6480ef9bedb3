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
	CLUSTER_NODES_MAX = 64,
	CLUSTER_NAME_BYTES_MAX = 16,    /* "n1".."n64", and namespace-name parts */
	CLUSTER_ARGS_MAX = 160,         /* argv entries for a node process: 64 nodes' peers */
	CLUSTER_ENV_MAX = 8,            /* extra environment entries for a node process */
	CLUSTER_RUN_ID_CHARS_MAX = 8,   /* [a-z0-9] */
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
 * anonymous (held by fds) unless @opts->keep. Each node also gets the cgroup v2 directory
 * <root>/fl-<run_id>-<node>, root being /sys/fs/cgroup when that is cgroup2, else
 * /sys/fs/cgroup/unified (hybrid hosts); with neither, or no permission to create there, the
 * cluster falls back to process-group signals (cluster_has_cgroups()). Must run before any
 * other thread is started; leaves the calling thread in the namespace it started in.
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

/* cluster_has_cgroups() - true if nodes run in cgroups, false for the signal fallback. */
bool cluster_has_cgroups(const struct cluster *c);

/**
 * cluster_node_start() - fork and exec @argv[0] with @argv in @node's namespace and cgroup
 * (joined before exec): own process group, PR_SET_PDEATHSIG(SIGKILL),
 * CLUSTER_RUN_ENV=<run_id> in the environment, stdin from /dev/null, stdout and stderr
 * appended to @log_path. Must be called from the thread that called cluster_setup()
 * (PDEATHSIG follows the forking thread).
 * Return: 0, -EBUSY if the node is running, or -errno.
 */
int cluster_node_start(struct cluster *c, uint32_t node, char *const argv[],
		       const char *log_path, struct errbuf *eb);

/* What else a node process gets at start. */
struct cluster_start_opts {
	const char *const *env;         /* extra "NAME=value" entries, NULL-ended, at most
					 * CLUSTER_ENV_MAX; NULL for none */
	int timens_fd;                  /* a time namespace to join (clock_timens_open()), or -1 */
};

/**
 * cluster_node_start_opts() - cluster_node_start() with @opts: the child also joins the time
 * namespace @opts->timens_fd (after the network namespace) and puts @opts->env into its
 * environment before exec. Same threading rule.
 * Return: as cluster_node_start(); -EINVAL for an entry without '=' or too many entries.
 */
int cluster_node_start_opts(struct cluster *c, uint32_t node, char *const argv[],
			    const char *log_path, const struct cluster_start_opts *opts,
			    struct errbuf *eb);

/**
 * cluster_node_kill() - kill every process of the node with cgroup.kill (daemonised children
 * included), reap the leader and wait until the cgroup is empty; without cgroups, SIGKILL
 * the process group. A frozen node is killed too and is then thawed. Blocks up to about 1 s.
 * Return: 0 (also when not running), -ETIMEDOUT if the cgroup does not empty, or -errno.
 */
int cluster_node_kill(struct cluster *c, uint32_t node, struct errbuf *eb);

/**
 * cluster_node_freeze() - pause every process of the node: cgroup.freeze = 1, then wait for
 * "frozen 1" in cgroup.events (invisible to the processes). Without cgroups, SIGSTOP to the
 * process group (visible: the parent sees WUNTRACED). Idempotent. Blocks up to about 1 s.
 * Return: 0, -ESRCH if the node is not running, -ETIMEDOUT, or -errno.
 */
int cluster_node_freeze(struct cluster *c, uint32_t node, struct errbuf *eb);

/**
 * cluster_node_thaw() - undo cluster_node_freeze(): cgroup.freeze = 0 and wait for
 * "frozen 0", or SIGCONT without cgroups. Idempotent; 0 for a node that is not frozen.
 * Return: 0, -ETIMEDOUT, or -errno.
 */
int cluster_node_thaw(struct cluster *c, uint32_t node, struct errbuf *eb);

/* cluster_node_frozen() - true from a successful freeze until the next thaw or kill. */
bool cluster_node_frozen(const struct cluster *c, uint32_t node);

/* cluster_node_pid() - pid of the running node process, or 0. */
pid_t cluster_node_pid(const struct cluster *c, uint32_t node);

/* cluster_node_alive() - reap without blocking; true if the node process still runs. */
bool cluster_node_alive(struct cluster *c, uint32_t node);

/**
 * cluster_teardown() - kill every node, remove the node cgroups (once empty; rmdir retried
 * on EBUSY), close the namespaces (and unmount named ones), free. An attached cluster only
 * has its fds closed and is freed: its nodes, cgroups and mounts belong to the owner.
 * NULL is allowed. Return: 0 or the first -errno met (teardown continues past errors).
 */
int cluster_teardown(struct cluster *c, struct errbuf *eb);

/**
 * cluster_attach() - open the live cluster of another process that set it up with keep:
 * /run/netns/fl-<@run_id>-sw, then fl-<@run_id>-n1, -n2.. until the next is missing. Names,
 * addresses and switch ports (looked up in the switch namespace) are as cluster_setup()
 * made them; each node's cgroup is <root>/fl-<@run_id>-nX when that directory exists
 * (cluster_has_cgroups() if all do). Node pids are unknown (0). On the result:
 * cluster_node_start() is -EOPNOTSUPP (the owner launches nodes); kill, freeze and thaw act
 * on the cgroup files (-EOPNOTSUPP for a node without one); cluster_node_alive() and
 * cluster_node_frozen() read cgroup.events ("populated", "frozen"), so they see what other
 * processes did. Same threading rule as cluster_setup(). Blocks for one netlink round trip.
 * Return: 0; -EINVAL for a bad run id; -ENOENT if there is no such switch namespace or no
 * node n1 (@eb says which); -errno otherwise. Nothing is left open on error.
 */
int cluster_attach(struct cluster **out, const char *run_id, struct errbuf *eb);

/*
 * cluster_attached_live() - for a cluster from cluster_attach(): true while its switch
 * namespace is still named in /run/netns, i.e. its owner has not torn it down (our fds keep
 * a torn-down cluster's namespaces alive, unreachable to anyone else, until we close them).
 */
bool cluster_attached_live(const struct cluster *c);

/* One live --keep cluster, as found in /run/netns by cluster_list_live(). */
struct cluster_live {
	char run_id[CLUSTER_NAME_BYTES_MAX];
	uint32_t node_count;            /* fl-<id>-n1..nN present in a row */
};

/**
 * cluster_list_live() - the named clusters in /run/netns: every fl-<id>-sw that is a
 * namespace mount (a leftover plain file is skipped), with its node count, sorted by id.
 * Return: 0 with *@count set (0 when /run/netns does not exist); -E2BIG if more than @max
 * exist (*@count is @max then, and those @max are returned, sorted).
 */
int cluster_list_live(struct cluster_live *live, uint32_t max, uint32_t *count,
		      struct errbuf *eb);

/**
 * cluster_process_marked() - true if @pid's environment holds CLUSTER_RUN_ENV, with the value
 * @run_id (any value when @run_id is NULL). False for a process that is gone or unreadable.
 */
bool cluster_process_marked(pid_t pid, const char *run_id);

struct cluster_clean_report {
	uint32_t processes_killed, namespaces_removed, links_removed, files_removed;
	uint32_t cgroups_removed;
};

/**
 * cluster_clean() - remove every leftover of any faultline run on this machine: cgroups
 * fl-* under the cgroup v2 root and under the v1 freezer (thawed, their processes killed,
 * removed; one holding this process or an ancestor is left and reported as -EBUSY, one
 * holding processes outside this PID namespace is left alone),
 * processes whose environment holds CLUSTER_RUN_ENV (and any process inside a namespace
 * named below), /run/netns/fl-*, root-namespace links named fl-*, /sys/fs/bpf/fl-*,
 * /dev/shm/fl-*. processes_killed counts the processes listed in removed cgroups as well.
 * Return: 0 or the first -errno met (cleaning continues past errors).
 */
int cluster_clean(struct cluster_clean_report *report, struct errbuf *eb);

#endif /* CLUSTER_H */
