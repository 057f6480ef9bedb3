/* SPDX-License-Identifier: MIT */
/* clock.h - per-node clock skew: the shm block controller, the clock nemesis, time namespaces. */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nemesis.h"

struct errbuf;

#define CLOCK_OFFSET_NS_MAX 1000000000000000ll   /* |realtime offset| <= 10^6 s */
#define CLOCK_PERIOD_NS_MIN 1000ll                /* strobe period >= 1 us */
#define CLOCK_PERIOD_NS_MAX 3600000000000ll       /* strobe period <= 1 h */
#define CLOCK_DURATION_NS_MAX 86400000000000ll    /* strobe duration <= 1 day */

/* ---- Controller of one block (clock_shared.h): the writer side of the seqlock. ---- */

struct clock_ctl;

/**
 * clock_ctl_open() - create the block file @path (O_EXCL, mode 0600, so only root nodes or the
 * same user can read it), size it and map it read-write; the clocks start unskewed.
 * Return: 0; -EEXIST if @path exists (a crashed run: `faultline clean` removes /dev/shm/fl-*);
 * -ENAMETOOLONG; -ENOMEM; -errno. Nothing is left behind on error.
 */
int clock_ctl_open(struct clock_ctl **out, const char *path, struct errbuf *eb);

/**
 * clock_ctl_close() - unmap and free; with @unlink also remove the file (processes that mapped
 * it keep reading the last state). NULL is allowed. Return: 0 or -errno of unlink().
 */
int clock_ctl_close(struct clock_ctl *ctl, bool unlink, struct errbuf *eb);

/* clock_ctl_path() - the block's file name, valid until clock_ctl_close(). */
const char *clock_ctl_path(const struct clock_ctl *ctl);

/**
 * clock_ctl_bump() - step the node's realtime by @delta_ns (either sign), as clock_settime()
 * would; monotonic is untouched. Return: 0; -ERANGE if the offset would leave
 * +-CLOCK_OFFSET_NS_MAX (nothing changes).
 */
int clock_ctl_bump(struct clock_ctl *ctl, int64_t delta_ns, struct errbuf *eb);

/**
 * clock_ctl_strobe() - from @now_ns (unfaked CLOCK_REALTIME) for @duration_ns, add @delta_ns to
 * realtime during the 1st, 3rd, ... period of @period_ns and nothing during the others, the
 * way Jepsen's strobe-time does; replaces a strobe under way. The shim evaluates it from real
 * time, so nothing has to run during the strobe. @duration_ns 0 turns a strobe off.
 * Return: 0; -EINVAL if |@delta_ns| > CLOCK_OFFSET_NS_MAX, @period_ns is outside
 * [CLOCK_PERIOD_NS_MIN, CLOCK_PERIOD_NS_MAX] or @duration_ns outside [0,
 * CLOCK_DURATION_NS_MAX].
 */
int clock_ctl_strobe(struct clock_ctl *ctl, int64_t delta_ns, int64_t period_ns,
		     int64_t duration_ns, int64_t now_ns, struct errbuf *eb);

/**
 * clock_ctl_drift() - make realtime and monotonic run at @rate times real speed from now on.
 * Both are re-anchored at the current time first, so neither jumps.
 * Return: 0; -EINVAL unless CLOCK_RATE_MIN <= @rate <= CLOCK_RATE_MAX (clock_shared.h).
 */
int clock_ctl_drift(struct clock_ctl *ctl, double rate, struct errbuf *eb);

/*
 * clock_ctl_reset() - realtime back to real time (offset 0, rate 1, no strobe). Monotonic gets
 * rate 1 but keeps the offset it has built up (re-anchored), so it never goes back.
 */
void clock_ctl_reset(struct clock_ctl *ctl);

/* clock_ctl_offset_ns() - the realtime skew (strobe excluded) at unfaked realtime @now_ns. */
int64_t clock_ctl_offset_ns(const struct clock_ctl *ctl, int64_t now_ns);

/* ---- The clock nemesis (fs NEM_F_CLOCK). ---- */

/*
 * Lifecycle: nem_clock_new() -> nem_setup(cluster) -> start the nodes with nem_clock_env() ->
 * nem_invoke()... -> nem_teardown() -> nem_free(). Setup creates one block per node,
 * /dev/shm/fl-<run_id>-clock-<node name> (-EEXIST for a stale one); teardown resets and
 * unlinks them. Only dynamically linked programs that call libc see the skew (not static
 * binaries, raw syscalls or Go).
 *
 * invoke: f and the nem_params fields it reads (nodes: bit i is node i; a bit past the
 * cluster is -EINVAL; params NULL or a field 0: drawn from the prng as said):
 *   "bump":   nodes (0: one random node); delay_ns = signed realtime step in ns
 *             (0: +-2^k ms, k in 2..18, as Jepsen). Value
 *             {"bumped":{"n2":250000000},"offset_ns":{"n2":250000000}}: the step and the
 *             node's whole realtime offset afterwards (strobe excluded).
 *   "strobe": nodes (0: one random node); delay_ns = delta (signed, 0: 2^k ms, k 2..18);
 *             jitter_ns = period (0: 2^k ms, k 0..10); duration_ns (0: 2^k ms,
 *             k 10..15). Value
 *             {"strobed":{"n1":8000000},"period_ns":4000000,"duration_ns":2048000000}.
 *   "drift":  nodes (0: one random node); rate (0: one of 0.5, 0.8, 0.95, 1.05, 1.25,
 *             2). Value {"drift":{"n3":1.05}}.
 *   "reset":  nodes (0: every node). Value {"reset":["n1","n2"]}.
 * Other fields are ignored. Out-of-range values are -EINVAL before anything changes. A bump
 * past CLOCK_OFFSET_NS_MAX on one node is -ERANGE for it; the others are still bumped and
 * the value lists those. invoke does not allocate or block.
 */
extern const struct nemesis_ops nem_clock_ops;

/* nem_clock_new() - allocate an idle clock nemesis. Return: 0 or -ENOMEM. */
int nem_clock_new(struct nemesis **out, struct errbuf *eb);

/**
 * nem_clock_env() - what node @node's process needs in its environment: LD_PRELOAD=@preload
 * (the absolute path of the built shim, libfl-clock.so) and FL_CLOCK_FILE=@file (its block).
 * Call between setup and teardown. Return: 0; -ENOENT if not set up; -EINVAL for a node past
 * the cluster; -ENAMETOOLONG if a buffer is too small.
 */
int nem_clock_env(const struct nemesis *nem, uint32_t node, char *preload, size_t preload_size,
		  char *file, size_t file_size);

/* Node i's monotonic clocks run (i + 1) times this far ahead of the host's (1 h). */
#define NEM_CLOCK_TIMENS_STEP_NS 3600000000000ll

/* What one node's process needs at start to live under the clock nemesis. */
struct nem_clock_start {
	char preload_env[512];          /* "LD_PRELOAD=<the built libfl-clock.so>" */
	char file_env[128];             /* "FL_CLOCK_FILE=<the node's block>" */
	const char *env[3];             /* the two above, NULL-ended: cluster_start_opts.env */
	int timens_fd;                  /* the node's time namespace, or -1 (borrowed) */
	int64_t mono_offset_ns;         /* its monotonic offset from the host, 0 without one */
};

/**
 * nem_clock_node_start() - fill @out for node @node: its environment (the shim and its block)
 * and its time namespace, which setup made with a monotonic offset of
 * (node + 1) * NEM_CLOCK_TIMENS_STEP_NS (or none, with a warning, where the kernel refuses).
 * Pass @out->env and @out->timens_fd to cluster_node_start_opts(). Valid until teardown;
 * @out points into itself, so do not copy it. Return: 0; -ENOENT if not set up; -EINVAL for
 * a node past the cluster; -ENAMETOOLONG.
 */
int nem_clock_node_start(const struct nemesis *nem, uint32_t node,
			 struct nem_clock_start *out);

/* ---- Time namespaces: fixed monotonic and boottime offsets (MECHANICS 4a). ---- */

/**
 * clock_timens_prepare() - unshare(CLONE_NEWTIME) and set the new namespace's monotonic and
 * boottime offsets to @mono_offset_ns. The caller does NOT move: only the children it forks
 * afterwards live in the namespace (all of them, so call it in a forked process that does
 * nothing else). Offsets cannot change once a process is inside. The success path is
 * async-signal-safe (no allocation, no stdio), for use between fork() and exec().
 * Return: 0; -EPERM without CAP_SYS_ADMIN; -EINVAL if a clock would go negative; -errno.
 */
int clock_timens_prepare(int64_t mono_offset_ns, struct errbuf *eb);

/**
 * clock_timens_open() - a time namespace with offsets @mono_offset_ns, held by the returned
 * fd (O_CLOEXEC): forks a helper that runs clock_timens_prepare(), opens its
 * /proc/<pid>/ns/time_for_children, then kills and reaps it. A process that calls
 * setns(fd, CLONE_NEWTIME) while single-threaded (a forked child before exec) moves at once.
 * Blocks for one fork. Return: 0 with *@fd_out set, or -errno as clock_timens_prepare().
 */
int clock_timens_open(int64_t mono_offset_ns, int *fd_out, struct errbuf *eb);

#endif /* CLOCK_H */
