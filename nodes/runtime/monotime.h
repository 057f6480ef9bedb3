/* SPDX-License-Identifier: MIT */
/* monotime.h - the process's clocks, read in one place (a seam for simulated time). */
#ifndef MONOTIME_H
#define MONOTIME_H

#include <stdint.h>
#include <time.h>

/* monotime_ns() - CLOCK_MONOTONIC in nanoseconds. */
static inline int64_t monotime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* realtime_ns() - CLOCK_REALTIME in nanoseconds, for names and logs only. */
static inline int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

#endif /* MONOTIME_H */
