/* SPDX-License-Identifier: MIT */
/* test_clock_shim.c - the clock controller and LD_PRELOAD shim, seen by a probe process. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "clock_shared.h"
#include "clock_support.h"
#include "errbuf.h"

static struct clock_ctl *ctl;
static char path[128];

static void block_open(void)
{
	struct errbuf eb = { "" };

	clock_block_path(path, sizeof(path), "clock");
	cr_assert_eq(clock_ctl_open(&ctl, path, &eb), 0, "%s", eb.msg);
}

/* Also removes the extra blocks a failed test may have left (they are only ours). */
static void block_close(void)
{
	static const char *const extra[] = { "other", "corrupt" };
	char extra_path[128];

	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		clock_block_path(extra_path, sizeof(extra_path), extra[i]);
		unlink(extra_path);
	}
	cr_expect_eq(clock_ctl_close(ctl, true, NULL), 0);
	ctl = NULL;
	cr_expect_neq(access(path, F_OK), 0, "%s removed", path);
}

TestSuite(clock_shim, .init = block_open, .fini = block_close);

/* The skew a probe saw: its libc realtime minus the kernel's, read back to back. */
static int64_t skew(const struct clock_sample *s)
{
	return s->rt_ns - s->raw_rt_ns;
}

static void expect_near(int64_t value, int64_t want, int64_t slack, const char *what)
{
	cr_expect(value >= want - slack && value <= want + slack, "%s: %lld, want %lld +- %lld",
		  what, (long long)value, (long long)want, (long long)slack);
}

/*
 * gettimeofday and time() report the same skewed time as clock_gettime. glibc's time() reads
 * the coarse clock, which may trail the fine one by a tick (up to 10 ms at HZ=100): just
 * after a second boundary it may still show the second before.
 */
static void expect_agree(const struct clock_sample *s)
{
	int64_t low = (s->rt_ns - 10 * MS) / 1000000000, high = s->rt_ns / 1000000000 + 1;

	expect_near(s->tv_us * 1000, s->rt_ns, MS, "gettimeofday vs realtime");
	cr_expect(s->time_s >= low && s->time_s <= high, "time() %lld vs realtime %lld ns",
		  (long long)s->time_s, (long long)s->rt_ns);
}

Test(clock_shim, bump_forward_moves_realtime_gettimeofday_and_time)
{
	struct clock_sample s;
	int64_t before, after;

	cr_assert_eq(clock_ctl_bump(ctl, 250 * MS, NULL), 0);
	before = host_realtime_ns();
	s = clock_probe_once(true, path);
	after = host_realtime_ns();
	expect_near(skew(&s), 250 * MS, MS, "skew");
	cr_expect(s.rt_ns >= before + 249 * MS && s.rt_ns <= after + 251 * MS,
		  "probe %lld not within host [%lld, %lld] + 250 ms", (long long)s.rt_ns,
		  (long long)before, (long long)after);
	expect_agree(&s);
	expect_near(s.mono_ns - s.raw_mono_ns, 0, MS, "monotonic untouched");
	expect_near(clock_ctl_offset_ns(ctl, host_realtime_ns()), 250 * MS, 0, "offset");
}

Test(clock_shim, bump_backward_moves_realtime_but_never_monotonic)
{
	struct clock_sample s[CLOCK_PROBE_SAMPLES_MAX];
	struct timespec pause = { 0, 15 * MS };
	struct clock_probe p;
	uint32_t n, i;

	clock_probe_start(&p, true, path, 100, 1000);
	nanosleep(&pause, NULL);
	cr_assert_eq(clock_ctl_bump(ctl, -2000 * MS, NULL), 0);
	nanosleep(&pause, NULL);
	cr_assert_eq(clock_ctl_drift(ctl, 4.0, NULL), 0);
	nanosleep(&pause, NULL);
	cr_assert_eq(clock_ctl_drift(ctl, 0.25, NULL), 0);
	nanosleep(&pause, NULL);
	clock_ctl_reset(ctl);
	nanosleep(&pause, NULL);
	cr_assert_eq(clock_ctl_bump(ctl, -1000 * MS, NULL), 0);
	n = clock_probe_wait(&p, s, CLOCK_PROBE_SAMPLES_MAX);
	cr_assert_eq(n, 100);
	expect_near(skew(&s[0]), 0, MS, "first sample unskewed");
	expect_near(skew(&s[n - 1]), -1000 * MS, MS, "last sample 1 s behind");
	for (i = 1; i < n; i++)
		cr_expect(s[i].mono_ns >= s[i - 1].mono_ns, "monotonic went back at sample %u", i);
	for (i = 1; i < n && skew(&s[i]) > -1500 * MS; i++)
		;
	cr_expect(i < n, "no sample saw the -2 s bump");
	expect_agree(&s[n - 1]);
}

Test(clock_shim, drift_doubles_realtime_rate)
{
	struct clock_sample s[2];
	struct clock_probe p;
	double real_rate, mono_rate;

	cr_assert_eq(clock_ctl_drift(ctl, 2.0, NULL), 0);
	clock_probe_start(&p, true, path, 2, 200000);
	cr_assert_eq(clock_probe_wait(&p, s, 2), 2);
	real_rate = (double)(s[1].rt_ns - s[0].rt_ns) / (double)(s[1].raw_rt_ns - s[0].raw_rt_ns);
	mono_rate = (double)(s[1].mono_ns - s[0].mono_ns) /
		    (double)(s[1].raw_mono_ns - s[0].raw_mono_ns);
	cr_expect(real_rate > 1.9 && real_rate < 2.1, "realtime rate %f", real_rate);
	cr_expect(mono_rate > 1.9 && mono_rate < 2.1, "monotonic rate %f", mono_rate);
	cr_expect(s[1].raw_rt_ns - s[0].raw_rt_ns >= 200 * MS);
	expect_agree(&s[1]);
}

Test(clock_shim, drift_is_continuous)
{
	struct clock_sample s;
	int64_t before, since, mono_since, low, high;

	cr_assert_eq(clock_ctl_bump(ctl, 40 * MS, NULL), 0);
	before = host_realtime_ns();
	cr_assert_eq(clock_ctl_drift(ctl, 0.5, NULL), 0);
	since = host_realtime_ns();
	mono_since = host_monotonic_ns();
	s = clock_probe_once(true, path);
	/* Time passes between the drift and the probe (more on a loaded machine): at rate 0.5
	 * the skew shrinks by half of it, continuously, never jumping. */
	low = 40 * MS - (s.raw_rt_ns - before) / 2 - MS;
	high = 40 * MS - (s.raw_rt_ns - since) / 2 + MS;
	cr_expect(skew(&s) >= low && skew(&s) <= high, "skew %lld, want [%lld, %lld]",
		  (long long)skew(&s), (long long)low, (long long)high);
	cr_expect(s.mono_ns - s.raw_mono_ns <= 0 &&
		  s.mono_ns - s.raw_mono_ns >= -(s.raw_mono_ns - mono_since) / 2 - MS,
		  "monotonic lag %lld", (long long)(s.mono_ns - s.raw_mono_ns));
	cr_expect_eq(clock_ctl_drift(ctl, 0.0, NULL), -EINVAL);
	cr_expect_eq(clock_ctl_drift(ctl, CLOCK_RATE_MAX * 2, NULL), -EINVAL);
}

Test(clock_shim, strobe_flips_between_two_offsets)
{
	struct clock_sample s[CLOCK_PROBE_SAMPLES_MAX], after;
	uint32_t n, i, normal = 0, ahead = 0;
	struct timespec rest = { 0, 250 * MS };
	struct clock_probe p;

	cr_assert_eq(clock_ctl_strobe(ctl, 100 * MS, 10 * MS, 300 * MS, host_realtime_ns(),
				      NULL), 0);
	clock_probe_start(&p, true, path, 80, 2000);
	n = clock_probe_wait(&p, s, CLOCK_PROBE_SAMPLES_MAX);
	cr_assert_eq(n, 80);
	for (i = 0; i < n; i++) {
		if (s[i].raw_rt_ns > s[0].raw_rt_ns + 250 * MS)
			break;
		if (llabs(skew(&s[i])) < MS / 2)
			normal++;
		else if (llabs(skew(&s[i]) - 100 * MS) < MS / 2)
			ahead++;
		else
			cr_expect_fail("sample %u skew %lld is neither 0 nor 100 ms", i,
				       (long long)skew(&s[i]));
	}
	cr_expect(normal >= 5 && ahead >= 5, "normal %u, ahead %u", normal, ahead);
	nanosleep(&rest, NULL);
	after = clock_probe_once(true, path);
	expect_near(skew(&after), 0, MS, "after the strobe's duration");
	cr_expect_eq(clock_ctl_strobe(ctl, MS, 0, MS, 0, NULL), -EINVAL);
	cr_expect_eq(clock_ctl_strobe(ctl, MS, MS, -1, 0, NULL), -EINVAL);
}

Test(clock_shim, reset_returns_to_real_time_keeping_monotonic_ahead)
{
	struct timespec rest = { 0, 50 * MS };
	struct clock_sample before, after;

	cr_assert_eq(clock_ctl_bump(ctl, 5000 * MS, NULL), 0);
	cr_assert_eq(clock_ctl_drift(ctl, 3.0, NULL), 0);
	cr_assert_eq(clock_ctl_strobe(ctl, 7 * MS, MS, 1000 * MS, host_realtime_ns(), NULL), 0);
	nanosleep(&rest, NULL);
	before = clock_probe_once(true, path);
	clock_ctl_reset(ctl);
	after = clock_probe_once(true, path);
	expect_near(skew(&after), 0, MS, "realtime after reset");
	expect_agree(&after);
	cr_expect(after.mono_ns >= before.mono_ns, "monotonic went back over a reset");
	cr_expect(after.mono_ns - after.raw_mono_ns >= 90 * MS, "mono keeps its lead: %lld",
		  (long long)(after.mono_ns - after.raw_mono_ns));
}

Test(clock_shim, host_and_other_blocks_are_unaffected)
{
	struct clock_ctl *other;
	struct clock_sample s;
	struct timespec raw;
	struct timeval tv;
	char other_path[128];
	int64_t host;

	clock_block_path(other_path, sizeof(other_path), "other");
	cr_assert_eq(clock_ctl_open(&other, other_path, NULL), 0);
	cr_assert_eq(clock_ctl_bump(ctl, 10000 * MS, NULL), 0);
	cr_assert_eq(clock_ctl_drift(ctl, 2.0, NULL), 0);
	s = clock_probe_once(true, other_path);
	expect_near(skew(&s), 0, MS, "the other block's probe");
	expect_near(s.mono_ns - s.raw_mono_ns, 0, MS, "the other block's monotonic");
	syscall(SYS_clock_gettime, CLOCK_REALTIME, &raw);
	host = host_realtime_ns();
	expect_near(host, (int64_t)raw.tv_sec * 1000000000ll + raw.tv_nsec, MS, "host");
	gettimeofday(&tv, NULL);
	expect_near((int64_t)tv.tv_sec * 1000000000ll + tv.tv_usec * 1000, host, MS, "host tv");
	s = clock_probe_once(true, path);
	cr_expect(skew(&s) >= 10000 * MS, "the bumped block still applies");
	cr_expect_eq(clock_ctl_close(other, false, NULL), 0);
}

/* Writes @size bytes of @fill (with the magic at the front if @magic) to @file. */
static void write_block(const char *file, size_t size, bool magic)
{
	unsigned char buf[CLOCK_SHM_BYTES];
	uint32_t m = CLOCK_SHM_MAGIC;
	FILE *f = fopen(file, "w");

	cr_assert(f && size <= sizeof(buf));
	memset(buf, 0x5a, sizeof(buf));
	if (magic)
		memcpy(buf, &m, sizeof(m));
	cr_assert_eq(fwrite(buf, 1, size, f), size);
	cr_assert_eq(fclose(f), 0);
}

static void expect_libc(const struct clock_sample *s, const char *what)
{
	expect_near(skew(s), 0, MS, what);
	expect_near(s->mono_ns - s->raw_mono_ns, 0, MS, what);
	expect_agree(s);
}

Test(clock_shim, missing_or_corrupt_block_behaves_like_libc)
{
	struct clock_sample s;
	char bad[128];

	cr_assert_eq(clock_ctl_bump(ctl, 10000 * MS, NULL), 0);
	clock_block_path(bad, sizeof(bad), "missing");
	s = clock_probe_once(true, bad);
	expect_libc(&s, "missing block");
	s = clock_probe_once(true, NULL);
	expect_libc(&s, "no FL_CLOCK_FILE");
	s = clock_probe_once(true, path + strlen("/dev/shm/"));
	expect_libc(&s, "relative path");
	s = clock_probe_once(false, path);
	expect_libc(&s, "no LD_PRELOAD");
	clock_block_path(bad, sizeof(bad), "corrupt");
	write_block(bad, CLOCK_SHM_BYTES, false);
	s = clock_probe_once(true, bad);
	expect_libc(&s, "wrong magic");
	write_block(bad, 16, true);
	s = clock_probe_once(true, bad);
	expect_libc(&s, "short block");
	write_block(bad, CLOCK_SHM_BYTES, true);
	s = clock_probe_once(true, bad);
	expect_libc(&s, "wrong version");
	cr_expect_eq(unlink(bad), 0);
}

Test(clock_shim, controller_refuses_existing_file_and_offsets_out_of_range)
{
	struct errbuf eb = { "" };
	struct clock_ctl *again = NULL;

	cr_expect_eq(clock_ctl_open(&again, path, &eb), -EEXIST);
	cr_expect(strstr(eb.msg, path), "message names the file: %s", eb.msg);
	cr_expect_null(again);
	cr_expect_eq(clock_ctl_bump(ctl, CLOCK_OFFSET_NS_MAX, NULL), 0);
	cr_expect_eq(clock_ctl_bump(ctl, 1, NULL), -ERANGE);
	cr_expect_eq(clock_ctl_bump(ctl, -2 * CLOCK_OFFSET_NS_MAX, NULL), -ERANGE);
	cr_expect_eq(clock_ctl_offset_ns(ctl, host_realtime_ns()), CLOCK_OFFSET_NS_MAX);
	cr_expect_eq(strcmp(clock_ctl_path(ctl), path), 0);
}
