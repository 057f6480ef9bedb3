/* SPDX-License-Identifier: MIT */
/* clock_shared.h - the per-node clock control block shared by the controller and the shim. */
#ifndef CLOCK_SHARED_H
#define CLOCK_SHARED_H

#include <stdint.h>

/*
 * One block per node, in the file /dev/shm/fl-<run_id>-clock-<node name>. The controller
 * (clock.c) maps it read-write and is its only writer; every process of the node maps it
 * read-only through the LD_PRELOAD shim (clock_shim.c), found by $CLOCK_SHM_ENV.
 *
 * Seqlock: the writer makes @seq odd, writes, makes it even again (release). A reader loads
 * @seq (acquire), copies the fields, fences, and retries while @seq was odd or changed.
 *
 * With r the unfaked clock in ns, the shim returns
 *   realtime:  r + real_off_ns + (r - real_anchor_ns) * (real_rate - 1) + strobe(r)
 *   monotonic: r + mono_off_ns + (r - mono_anchor_ns) * (mono_rate - 1)
 * where strobe(r) is strobe_delta_ns during the even periods of length strobe_period_ns
 * counted from strobe_start_ns, 0 during the odd ones, and 0 outside
 * [strobe_start_ns, strobe_until_ns); strobe times are unfaked CLOCK_REALTIME.
 *
 * Invariants (kept by the controller): rates are in [CLOCK_RATE_MIN, CLOCK_RATE_MAX], so both
 * transforms increase with r; the monotonic transform only ever changes by re-anchoring at
 * the current time (value-continuous), so a process never sees CLOCK_MONOTONIC go back; a
 * strobe is off when strobe_period_ns == 0. All fields are naturally aligned and written with
 * relaxed atomic stores, so a torn read is impossible and a stale one is retried.
 */
#define CLOCK_SHM_MAGIC 0x4b434c46u            /* "FLCK" little-endian */
#define CLOCK_SHM_ENV "FL_CLOCK_FILE"          /* absolute path of a node's block */
#define CLOCK_RATE_MIN (1.0 / 64)
#define CLOCK_RATE_MAX 64.0

enum {
	CLOCK_SHM_VERSION = 1,
	CLOCK_SHM_BYTES = 128,
};

struct clock_shm {
	uint32_t magic;                 /* CLOCK_SHM_MAGIC, stored last at creation */
	uint32_t version;               /* CLOCK_SHM_VERSION */
	uint32_t seq;                   /* seqlock sequence: odd while a write is under way */
	uint32_t reserved;              /* 0 */
	int64_t real_off_ns;
	int64_t real_anchor_ns;         /* unfaked CLOCK_REALTIME */
	double real_rate;
	int64_t mono_off_ns;
	int64_t mono_anchor_ns;         /* unfaked CLOCK_MONOTONIC */
	double mono_rate;
	int64_t strobe_delta_ns;
	int64_t strobe_period_ns;       /* 0: no strobe */
	int64_t strobe_start_ns;        /* unfaked CLOCK_REALTIME */
	int64_t strobe_until_ns;        /* unfaked CLOCK_REALTIME, exclusive */
	uint8_t padding[CLOCK_SHM_BYTES - 96];
};
_Static_assert(sizeof(struct clock_shm) == CLOCK_SHM_BYTES, "clock_shm is a file layout");

#endif /* CLOCK_SHARED_H */
