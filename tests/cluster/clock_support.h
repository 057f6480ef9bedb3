/* SPDX-License-Identifier: MIT */
/* clock_support.h - test helpers: run fl_clock_probe under the clock shim and read its samples. */
#ifndef CLOCK_SUPPORT_H
#define CLOCK_SUPPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum { CLOCK_PROBE_SAMPLES_MAX = 256 };

#define MS 1000000ll                    /* ns */

/* One line of fl_clock_probe: libc's view and the kernel's (raw) view. */
struct clock_sample {
	int64_t rt_ns, raw_rt_ns, tv_us, time_s, mono_ns, raw_mono_ns;
};

/* A probe started in the background: read its samples with clock_probe_wait(). */
struct clock_probe {
	pid_t pid;
	int fd;
};

/*
 * Start fl_clock_probe with @count samples @interval_us apart. @preload: LD_PRELOAD the shim;
 * @file: FL_CLOCK_FILE, or NULL to leave it unset. The environment holds nothing else.
 */
void clock_probe_start(struct clock_probe *p, bool preload, const char *file, uint32_t count,
		       uint32_t interval_us);

/* Wait for the probe; returns the number of samples read (asserts a clean exit). */
uint32_t clock_probe_wait(struct clock_probe *p, struct clock_sample *out, uint32_t max);

/* Run one probe with one sample, in the foreground. */
struct clock_sample clock_probe_once(bool preload, const char *file);

/* The test process's own clocks, in ns. */
int64_t host_realtime_ns(void);
int64_t host_monotonic_ns(void);

/* "/dev/shm/fl-test<pid>-<tag>" into @buf. */
void clock_block_path(char *buf, size_t size, const char *tag);

#endif /* CLOCK_SUPPORT_H */
