/* SPDX-License-Identifier: MIT */
/* proc_support.h - test helpers for node cgroups: echo probes, cgroup reads, a clean sandbox. */
#ifndef PROC_SUPPORT_H
#define PROC_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cluster.h"

/* The cgroup v2 mount the cluster uses, or NULL if there is none. */
const char *cgroup_v2_root(void);

/* True if a UDP datagram to @node's echo (port 7007), sent from the switch, comes back. */
bool echo_answers(const struct cluster *c, uint32_t node, int timeout_ms);

/* "<root>/fl-<run_id>-<node name>" into @path. */
void node_cgroup_path(const struct cluster *c, uint32_t node, char *path, size_t size);

/* Value of @key ("frozen", "populated") in @dir/cgroup.events, or -1. */
int cgroup_event_read(const char *dir, const char *key);

/* True if @pid's cgroup v2 path (the "0::" line of /proc/<pid>/cgroup) ends with @suffix. */
bool pid_in_cgroup(pid_t pid, const char *suffix);

/* True if @pid exists and is not a zombie. */
bool pid_running(pid_t pid);

/* True if some directory fl-<run_id>-* exists under the cgroup v2 root. */
bool cgroup_left(const char *run_id);

/*
 * sandbox_run() - run @fn in a forked sandbox with new PID, mount, network and cgroup
 * namespaces: /proc, /run/netns, /dev/shm and /sys/fs/bpf are private, /sys/fs/cgroup is a
 * tmpfs holding a fresh cgroup2 mount at unified/ whose root is a scratch cgroup of this
 * test, so cluster_clean() inside sees only what @fn made. Afterwards the scratch cgroup is
 * emptied and removed. @prepare, if not NULL, runs first outside, with the scratch cgroup's
 * path (nonzero: fail). Return: @fn's result (0 = pass; keep it < 128), or nonzero after
 * printing the failed step.
 */
int sandbox_run(int (*fn)(void), int (*prepare)(const char *scratch));

#endif /* PROC_SUPPORT_H */
