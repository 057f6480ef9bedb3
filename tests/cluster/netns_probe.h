/* SPDX-License-Identifier: MIT */
/* netns_probe.h - test helpers: UDP echo servers and probes across cluster namespaces. */
#ifndef NETNS_PROBE_H
#define NETNS_PROBE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cluster.h"

enum { PROBE_PORT = 7007 };

/* Why the netns suite cannot run here, or NULL if it can. */
const char *netns_skip_reason(void);

/* Fork a UDP echo server on PROBE_PORT in the namespace @ns_fd; returns once it is bound. */
pid_t echo_start(int ns_fd);
void echo_stop(pid_t pid);

/*
 * Probe every (source, destination) pair at once: sources 0..n-1 are the nodes, source n is
 * the switch; destinations are nodes. reached[s][d] says whether the echo came back within
 * @timeout_ms. Returns when all answered or at the timeout.
 */
void probe_matrix(const struct cluster *c, int timeout_ms,
		  bool reached[CLUSTER_NODES_MAX + 1][CLUSTER_NODES_MAX]);

/* True if a loaded BPF program has this name. */
bool bpf_prog_named(const char *name);

/* True if a live process is marked with FAULTLINE_RUN=@run_id. */
bool process_with_env(const char *run_id);

/* True if a process is in, or this process holds an fd of, the namespace @dev/@ino. */
bool netns_in_use(dev_t dev, ino_t ino);

/* True if /run/netns holds an entry starting with @prefix. */
bool netns_named(const char *prefix);

#endif /* NETNS_PROBE_H */
