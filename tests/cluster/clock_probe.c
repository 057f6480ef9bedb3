/* SPDX-License-Identifier: MIT */
/* clock_probe.c - test helper: print libc's clocks next to the kernel's, to see a clock shim. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage: fl_clock_probe [samples [interval_us]]. Each sample is one line:
 *   <realtime ns> <raw realtime ns> <gettimeofday us> <time() s> <monotonic ns> <raw mono ns>
 * where the raw values come from the clock_gettime syscall, which no LD_PRELOAD shim sees.
 * Dynamically linked on purpose.
 */
enum {
	SAMPLES_MAX = 10000,
	/* A sample is read again (up to TRIES times) when its reads took longer than this: a
	 * probe preempted between the shimmed and the raw read would show the pause as skew,
	 * and the tests compare skews within a millisecond. */
	WINDOW_NS_MAX = 200000,
	TRIES = 100,
};

static int64_t ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000ll + ts->tv_nsec;
}

static void sample(void)
{
	struct timespec rt, raw_rt, mono, raw_mono, start;
	struct timeval tv;
	time_t t;

	for (int k = 0; k < TRIES; k++) {
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &start);
		syscall(SYS_clock_gettime, CLOCK_REALTIME, &raw_rt);
		clock_gettime(CLOCK_REALTIME, &rt);
		gettimeofday(&tv, NULL);
		t = time(NULL);
		clock_gettime(CLOCK_MONOTONIC, &mono);
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &raw_mono);
		if (ns_of(&raw_mono) - ns_of(&start) < WINDOW_NS_MAX)
			break;
	}
	printf("%lld %lld %lld %lld %lld %lld\n", (long long)ns_of(&rt), (long long)ns_of(&raw_rt),
	       (long long)tv.tv_sec * 1000000 + tv.tv_usec, (long long)t,
	       (long long)ns_of(&mono), (long long)ns_of(&raw_mono));
}

int main(int argc, char **argv)
{
	long samples = argc > 1 ? strtol(argv[1], NULL, 10) : 1;
	long interval_us = argc > 2 ? strtol(argv[2], NULL, 10) : 0;

	if (samples < 1 || samples > SAMPLES_MAX || interval_us < 0) {
		fprintf(stderr, "usage: fl_clock_probe [samples [interval_us]]\n");
		return 64;
	}
	for (long i = 0; i < samples; i++) {
		if (i && interval_us)
			usleep((useconds_t)interval_us);
		sample();
	}
	return fflush(stdout) ? 70 : 0;
}
