/* SPDX-License-Identifier: MIT */
/* clock_shim.c - LD_PRELOAD interposer: skews a node's clocks as its clock_shm block says. */
#include "clock_shared.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/*
 * Built as its own shared object, so it links nothing of the project: no errbuf, no ASSERT
 * (it must never abort a node). Without $CLOCK_SHM_ENV, or with a block that is missing,
 * short or of the wrong magic or version, every wrapper is a plain call into libc.
 *
 * glibc reaches the vDSO from gettimeofday() and time() directly, not through the PLT
 * clock_gettime(), so each public entry point is wrapped. Static binaries, raw syscalls and
 * runtimes that call the vDSO themselves (Go) are not affected.
 */
#define SHIM_EXPORT __attribute__((visibility("default")))

enum {
	SEQ_TRIES_MAX = 1 << 20,        /* a writer that died mid-write: fall back to libc */
	NS_PER_S = 1000000000,
};

enum clock_kind { KIND_NONE, KIND_REAL, KIND_MONO };

typedef int clock_gettime_fn(clockid_t id, struct timespec *ts);
typedef int gettimeofday_fn(struct timeval *restrict tv, void *restrict tz);
typedef time_t time_fn(time_t *tloc);
typedef int timespec_get_fn(struct timespec *ts, int base);

static clock_gettime_fn *real_clock_gettime;
static gettimeofday_fn *real_gettimeofday;
static time_fn *real_time;
static timespec_get_fn *real_timespec_get;
static const struct clock_shm *shm;     /* NULL: behave exactly like libc */
/* This process's time-namespace offsets (0 outside one): the block is in host terms. */
static int64_t timens_mono_ns, timens_boot_ns;

/* One consistent copy of the transform of one clock kind. */
struct snapshot {
	int64_t off_ns, anchor_ns;
	double rate;
	int64_t strobe_delta_ns, strobe_period_ns, strobe_start_ns, strobe_until_ns;
};

static const struct clock_shm *block_map(const char *path)
{
	const struct clock_shm *b;
	struct stat st;
	void *map;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(*b)) {
		close(fd);
		return NULL;
	}
	map = mmap(NULL, sizeof(*b), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return NULL;
	b = map;
	if (__atomic_load_n(&b->magic, __ATOMIC_ACQUIRE) != CLOCK_SHM_MAGIC ||
	    b->version != CLOCK_SHM_VERSION) {
		munmap(map, sizeof(*b));
		return NULL;
	}
	return b;
}

/* Parses a signed decimal at *@p, skipping leading blanks; 0 if there is none. */
static int64_t parse_int(const char **p, const char *end)
{
	int64_t v = 0;
	bool neg = false;

	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	if (*p < end && **p == '-') {
		neg = true;
		(*p)++;
	}
	while (*p < end && **p >= '0' && **p <= '9')
		v = v * 10 + (*(*p)++ - '0');
	return neg ? -v : v;
}

/*
 * /proc/self/timens_offsets: lines "monotonic <s> <ns>" and "boottime <s> <ns>" (Linux 5.6+).
 * A node started in a time namespace (clock_timens_open()) reads its monotonic clocks
 * shifted by these; the controller anchors in host terms, so the shim subtracts them first.
 * No stdio: this runs in a constructor, before the program may have set anything up.
 */
static void timens_offsets_read(void)
{
	char buf[256];
	const char *p = buf, *end;
	ssize_t n;
	int fd = open("/proc/self/timens_offsets", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return;
	end = buf + n;
	while (p < end) {
		const char *line = p;
		int64_t sec, nsec;

		while (p < end && *p != ' ' && *p != '\n')
			p++;
		sec = parse_int(&p, end);
		nsec = parse_int(&p, end);
		if (end - line > 9 && memcmp(line, "monotonic", 9) == 0)
			timens_mono_ns = sec * NS_PER_S + nsec;
		else if (end - line > 8 && memcmp(line, "boottime", 8) == 0)
			timens_boot_ns = sec * NS_PER_S + nsec;
		while (p < end && *p++ != '\n')
			;
	}
}

/* Runs at load; also on the first wrapped call if another constructor got there first. */
__attribute__((constructor)) static void shim_init(void)
{
	const char *path;

	if (real_clock_gettime)
		return;
	real_gettimeofday = (gettimeofday_fn *)dlsym(RTLD_NEXT, "gettimeofday");
	real_time = (time_fn *)dlsym(RTLD_NEXT, "time");
	real_timespec_get = (timespec_get_fn *)dlsym(RTLD_NEXT, "timespec_get");
	path = getenv(CLOCK_SHM_ENV);
	if (path && path[0] == '/')
		shm = block_map(path);
	if (shm)
		timens_offsets_read();
	__atomic_store_n(&real_clock_gettime, (clock_gettime_fn *)dlsym(RTLD_NEXT, "clock_gettime"),
			 __ATOMIC_RELEASE);
}

static enum clock_kind kind_of(clockid_t id)
{
	switch (id) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_TAI:
		return KIND_REAL;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		return KIND_MONO;
	default:
		return KIND_NONE;
	}
}

static void snapshot_copy(struct snapshot *s, enum clock_kind kind)
{
	const struct clock_shm *b = shm;

	if (kind == KIND_MONO) {
		s->off_ns = __atomic_load_n(&b->mono_off_ns, __ATOMIC_RELAXED);
		s->anchor_ns = __atomic_load_n(&b->mono_anchor_ns, __ATOMIC_RELAXED);
		__atomic_load(&b->mono_rate, &s->rate, __ATOMIC_RELAXED);
		s->strobe_delta_ns = 0;
		s->strobe_period_ns = 0;
		return;
	}
	s->off_ns = __atomic_load_n(&b->real_off_ns, __ATOMIC_RELAXED);
	s->anchor_ns = __atomic_load_n(&b->real_anchor_ns, __ATOMIC_RELAXED);
	__atomic_load(&b->real_rate, &s->rate, __ATOMIC_RELAXED);
	s->strobe_delta_ns = __atomic_load_n(&b->strobe_delta_ns, __ATOMIC_RELAXED);
	s->strobe_period_ns = __atomic_load_n(&b->strobe_period_ns, __ATOMIC_RELAXED);
	s->strobe_start_ns = __atomic_load_n(&b->strobe_start_ns, __ATOMIC_RELAXED);
	s->strobe_until_ns = __atomic_load_n(&b->strobe_until_ns, __ATOMIC_RELAXED);
}

/*
 * The amount to add to the unfaked time @r of this kind. A monotonic @r before the anchor
 * (a coarse clock one tick behind the controller's fine one) counts as the anchor, so a
 * re-anchoring can never move a coarse reading back.
 */
static int64_t shift_ns(const struct snapshot *s, enum clock_kind kind, int64_t r)
{
	int64_t since, shift;

	since = r - s->anchor_ns;
	if (kind == KIND_MONO && since < 0)
		return s->anchor_ns - r + s->off_ns;
	shift = s->off_ns;
	if (s->rate != 1.0)
		shift += (int64_t)((double)since * (s->rate - 1.0));
	if (s->strobe_period_ns > 0 && r >= s->strobe_start_ns && r < s->strobe_until_ns &&
	    ((r - s->strobe_start_ns) / s->strobe_period_ns) % 2 == 0)
		shift += s->strobe_delta_ns;
	return shift;
}

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * NS_PER_S + ts->tv_nsec;
}

static void ts_add(struct timespec *ts, int64_t shift)
{
	int64_t ns = ts_ns(ts) + shift;
	int64_t sec = ns / NS_PER_S, nsec = ns % NS_PER_S;

	if (nsec < 0) {
		nsec += NS_PER_S;
		sec--;
	}
	ts->tv_sec = (time_t)sec;
	ts->tv_nsec = (long)nsec;
}

/* The real clock @id, shifted under the seqlock; the clock is read after the copy, so a
 * reading never predates the anchor of the parameters it is combined with. */
static int faked_gettime(clockid_t id, enum clock_kind kind, struct timespec *ts)
{
	struct timespec base;
	struct snapshot s;
	uint32_t seq;
	int tries, ret;

	for (tries = 0; tries < SEQ_TRIES_MAX; tries++) {
		seq = __atomic_load_n(&shm->seq, __ATOMIC_ACQUIRE);
		if (seq & 1)
			continue;
		snapshot_copy(&s, kind);
		ret = real_clock_gettime(id, ts);
		if (ret)
			return ret;
		base = *ts;
		if (id == CLOCK_TAI && real_clock_gettime(CLOCK_REALTIME, &base))
			base = *ts;
		if (kind == KIND_MONO)
			ts_add(&base, id == CLOCK_BOOTTIME ? -timens_boot_ns : -timens_mono_ns);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&shm->seq, __ATOMIC_RELAXED) != seq)
			continue;
		ts_add(ts, shift_ns(&s, kind, ts_ns(&base)));
		return 0;
	}
	return real_clock_gettime(id, ts);
}

SHIM_EXPORT int clock_gettime(clockid_t id, struct timespec *ts)
{
	enum clock_kind kind;

	if (!__atomic_load_n(&real_clock_gettime, __ATOMIC_ACQUIRE))
		shim_init();
	kind = kind_of(id);
	if (!shm || kind == KIND_NONE)
		return real_clock_gettime(id, ts);
	return faked_gettime(id, kind, ts);
}

SHIM_EXPORT int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	if (!__atomic_load_n(&real_clock_gettime, __ATOMIC_ACQUIRE))
		shim_init();
	if (!shm)
		return real_gettimeofday(tv, tz);
	if (tz && real_gettimeofday(NULL, tz))
		return -1;
	if (faked_gettime(CLOCK_REALTIME, KIND_REAL, &ts))
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

SHIM_EXPORT time_t time(time_t *tloc)
{
	struct timespec ts;

	if (!__atomic_load_n(&real_clock_gettime, __ATOMIC_ACQUIRE))
		shim_init();
	if (!shm)
		return real_time(tloc);
	if (faked_gettime(CLOCK_REALTIME, KIND_REAL, &ts))
		return (time_t)-1;
	if (tloc)
		*tloc = ts.tv_sec;
	return ts.tv_sec;
}

SHIM_EXPORT int timespec_get(struct timespec *ts, int base)
{
	if (!__atomic_load_n(&real_clock_gettime, __ATOMIC_ACQUIRE))
		shim_init();
	if (!shm || base != TIME_UTC)
		return real_timespec_get(ts, base);
	if (faked_gettime(CLOCK_REALTIME, KIND_REAL, ts))
		return 0;
	return base;
}
