/* SPDX-License-Identifier: MIT */
/* clock_ctl.c - the writer side of a node's clock block, and time namespaces with offsets. */
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock_shared.h"
#include "errbuf.h"
#include "fl_assert.h"

enum {
	CLOCK_PATH_BYTES_MAX = 128,
	NS_PER_S = 1000000000,
};

/* Invariant: @shm is the only writable mapping of @path, and this is its only writer. */
struct clock_ctl {
	struct clock_shm *shm;
	char path[CLOCK_PATH_BYTES_MAX];
};

/*
 * Unfaked time: a raw syscall, so the controller reads real time even if the harness were
 * started under the shim by mistake. It costs ~100 ns more than the vDSO, once per change.
 */
static int64_t raw_now_ns(clockid_t id)
{
	struct timespec ts;

	ASSERT(syscall(SYS_clock_gettime, id, &ts) == 0);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static void shm_init(struct clock_shm *b)
{
	memset(b, 0, sizeof(*b));
	b->version = CLOCK_SHM_VERSION;
	b->real_rate = 1.0;
	b->mono_rate = 1.0;
	b->real_anchor_ns = raw_now_ns(CLOCK_REALTIME);
	b->mono_anchor_ns = raw_now_ns(CLOCK_MONOTONIC);
	__atomic_store_n(&b->magic, CLOCK_SHM_MAGIC, __ATOMIC_RELEASE);
}

int clock_ctl_open(struct clock_ctl **out, const char *path, struct errbuf *eb)
{
	struct clock_ctl *ctl;
	void *map;
	int fd, err;

	ASSERT(out && path);
	if (strlen(path) >= CLOCK_PATH_BYTES_MAX)
		return errbuf_set(eb, -ENAMETOOLONG, "clock block path '%s' too long", path);
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return errbuf_set(eb, -ENOMEM, "allocate clock controller");
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = errbuf_set(eb, -errno, "create clock block %s", path);
		goto out_free;
	}
	if (ftruncate(fd, sizeof(struct clock_shm))) {
		err = errbuf_set(eb, -errno, "size clock block %s", path);
		goto out_unlink;
	}
	map = mmap(NULL, sizeof(struct clock_shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		err = errbuf_set(eb, -errno, "map clock block %s", path);
		goto out_unlink;
	}
	close(fd);
	ctl->shm = map;
	shm_init(ctl->shm);
	*out = ctl;
	return 0;
out_unlink:
	unlink(path);
	close(fd);
out_free:
	free(ctl);
	return err;
}

int clock_ctl_close(struct clock_ctl *ctl, bool unlink_file, struct errbuf *eb)
{
	int err = 0;

	if (!ctl)
		return 0;
	munmap(ctl->shm, sizeof(*ctl->shm));
	if (unlink_file && unlink(ctl->path))
		err = errbuf_set(eb, -errno, "unlink %s", ctl->path);
	free(ctl);
	return err;
}

const char *clock_ctl_path(const struct clock_ctl *ctl)
{
	return ctl->path;
}

/* Seqlock writer: odd while the fields change; readers retry on an odd or changed @seq. */
static void write_begin(struct clock_shm *b)
{
	uint32_t seq = __atomic_load_n(&b->seq, __ATOMIC_RELAXED);

	ASSERT(!(seq & 1));
	__atomic_store_n(&b->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void write_end(struct clock_shm *b)
{
	uint32_t seq = __atomic_load_n(&b->seq, __ATOMIC_RELAXED);

	ASSERT(seq & 1);
	__atomic_store_n(&b->seq, seq + 1, __ATOMIC_RELEASE);
}

#define SET(field, value) __atomic_store_n(&(field), (value), __ATOMIC_RELAXED)
#define SET_RATE(field, value)                                                           \
	do {                                                                             \
		double v_ = (value);                                                     \
		__atomic_store(&(field), &v_, __ATOMIC_RELAXED);                         \
	} while (0)

/* The transform's offset at @now, as the shim computes it (strobe excluded). */
static int64_t offset_at(int64_t off_ns, int64_t anchor_ns, double rate, int64_t now_ns)
{
	return off_ns + (int64_t)((double)(now_ns - anchor_ns) * (rate - 1.0));
}

int64_t clock_ctl_offset_ns(const struct clock_ctl *ctl, int64_t now_ns)
{
	const struct clock_shm *b = ctl->shm;

	return offset_at(b->real_off_ns, b->real_anchor_ns, b->real_rate, now_ns);
}

int clock_ctl_bump(struct clock_ctl *ctl, int64_t delta_ns, struct errbuf *eb)
{
	struct clock_shm *b = ctl->shm;

	if (delta_ns > CLOCK_OFFSET_NS_MAX || delta_ns < -CLOCK_OFFSET_NS_MAX ||
	    llabs(b->real_off_ns + delta_ns) > CLOCK_OFFSET_NS_MAX)
		return errbuf_set(eb, -ERANGE, "%s: bump %lld ns: offset would pass %lld ns",
				  ctl->path, (long long)delta_ns, CLOCK_OFFSET_NS_MAX);
	write_begin(b);
	SET(b->real_off_ns, b->real_off_ns + delta_ns);
	write_end(b);
	return 0;
}

int clock_ctl_strobe(struct clock_ctl *ctl, int64_t delta_ns, int64_t period_ns,
		     int64_t duration_ns, int64_t now_ns, struct errbuf *eb)
{
	struct clock_shm *b = ctl->shm;

	if (delta_ns > CLOCK_OFFSET_NS_MAX || delta_ns < -CLOCK_OFFSET_NS_MAX)
		return errbuf_set(eb, -EINVAL, "strobe delta %lld ns out of range",
				  (long long)delta_ns);
	if (period_ns < CLOCK_PERIOD_NS_MIN || period_ns > CLOCK_PERIOD_NS_MAX)
		return errbuf_set(eb, -EINVAL, "strobe period %lld ns out of range",
				  (long long)period_ns);
	if (duration_ns < 0 || duration_ns > CLOCK_DURATION_NS_MAX)
		return errbuf_set(eb, -EINVAL, "strobe duration %lld ns out of range",
				  (long long)duration_ns);
	write_begin(b);
	SET(b->strobe_delta_ns, delta_ns);
	SET(b->strobe_start_ns, now_ns);
	SET(b->strobe_until_ns, now_ns + duration_ns);
	SET(b->strobe_period_ns, duration_ns ? period_ns : 0);
	write_end(b);
	return 0;
}

/*
 * Re-anchors both transforms at the current real time (read inside the write section, so no
 * reader combines old parameters with a later time) and gives them @rate. With @reset the
 * realtime offset goes to 0 and the strobe stops; monotonic stays continuous either way.
 */
static void reanchor(struct clock_shm *b, double rate, bool reset)
{
	int64_t real_now, mono_now, real_off;

	write_begin(b);
	real_now = raw_now_ns(CLOCK_REALTIME);
	mono_now = raw_now_ns(CLOCK_MONOTONIC);
	real_off = offset_at(b->real_off_ns, b->real_anchor_ns, b->real_rate, real_now);
	SET(b->real_off_ns, reset ? 0 : real_off);
	SET(b->real_anchor_ns, real_now);
	SET_RATE(b->real_rate, rate);
	SET(b->mono_off_ns, offset_at(b->mono_off_ns, b->mono_anchor_ns, b->mono_rate, mono_now));
	SET(b->mono_anchor_ns, mono_now);
	SET_RATE(b->mono_rate, rate);
	if (reset) {
		SET(b->strobe_period_ns, 0);
		SET(b->strobe_delta_ns, 0);
	}
	write_end(b);
}

int clock_ctl_drift(struct clock_ctl *ctl, double rate, struct errbuf *eb)
{
	if (!(rate >= CLOCK_RATE_MIN && rate <= CLOCK_RATE_MAX))
		return errbuf_set(eb, -EINVAL, "%s: drift rate %g outside [%g, %g]", ctl->path,
				  rate, CLOCK_RATE_MIN, CLOCK_RATE_MAX);
	reanchor(ctl->shm, rate, false);
	return 0;
}

void clock_ctl_reset(struct clock_ctl *ctl)
{
	reanchor(ctl->shm, 1.0, true);
}

/* ---- Time namespaces ---- */

/* Appends "<name> <sec> <nsec>\n" with nsec in [0, 1e9); no stdio, for use after fork(). */
static size_t offset_line(char *buf, const char *name, int64_t ns)
{
	int64_t sec = ns / NS_PER_S, nsec = ns % NS_PER_S;
	char digits[2][24];
	size_t len = 0, k;
	int64_t values[2];

	if (nsec < 0) {
		nsec += NS_PER_S;
		sec--;
	}
	values[0] = sec;
	values[1] = nsec;
	while (*name)
		buf[len++] = *name++;
	for (k = 0; k < 2; k++) {
		uint64_t v = (uint64_t)values[k];
		size_t n = 0;

		buf[len++] = ' ';
		if (values[k] < 0) {
			buf[len++] = '-';
			v = 0 - v;      /* modular: right for INT64_MIN too */
		}
		do {
			digits[k][n++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		while (n)
			buf[len++] = digits[k][--n];
	}
	buf[len++] = '\n';
	return len;
}

int clock_timens_prepare(int64_t mono_offset_ns, struct errbuf *eb)
{
	char buf[128];
	size_t len;
	ssize_t n;
	int fd, err;

	len = offset_line(buf, "monotonic", mono_offset_ns);
	len += offset_line(buf + len, "boottime", mono_offset_ns);
	ASSERT(len < sizeof(buf));
	if (unshare(CLONE_NEWTIME))
		return errbuf_set(eb, -errno, "unshare(CLONE_NEWTIME)");
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errbuf_set(eb, -errno, "open /proc/self/timens_offsets");
	n = write(fd, buf, len);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return errbuf_set(eb, err, "time namespace offset %lld ns",
				  (long long)mono_offset_ns);
	if ((size_t)n != len)
		return errbuf_set(eb, -EIO, "short write to /proc/self/timens_offsets");
	return 0;
}

/* The helper: prepare, report the result, then wait to be killed. */
static __attribute__((noreturn)) void timens_helper(int64_t mono_offset_ns, int report_fd)
{
	int err = clock_timens_prepare(mono_offset_ns, NULL);
	ssize_t n = write(report_fd, &err, sizeof(err));

	(void)n;
	for (;;)
		pause();
}

int clock_timens_open(int64_t mono_offset_ns, int *fd_out, struct errbuf *eb)
{
	char path[64];
	int pipefd[2], err = 0, fd = -1;
	pid_t pid;

	ASSERT(fd_out);
	if (pipe2(pipefd, O_CLOEXEC))
		return errbuf_set(eb, -errno, "pipe2");
	pid = fork();
	if (pid < 0) {
		err = errbuf_set(eb, -errno, "fork");
		goto out_pipe;
	}
	if (pid == 0)
		timens_helper(mono_offset_ns, pipefd[1]);
	close(pipefd[1]);
	pipefd[1] = -1;
	if (read(pipefd[0], &err, sizeof(err)) != (ssize_t)sizeof(err))
		err = -EPROTO;
	if (!err) {
		snprintf(path, sizeof(path), "/proc/%d/ns/time_for_children", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			err = -errno;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (err)
		errbuf_set(eb, err, "time namespace with offset %lld ns",
			   (long long)mono_offset_ns);
	else
		*fd_out = fd;
out_pipe:
	close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	return err;
}
