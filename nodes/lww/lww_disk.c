/* SPDX-License-Identifier: MIT */
/* lww_disk.c - file I/O of the state directory, kept out of the pure core (STYLE S27). */
#include "lww_disk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"

static const char state_name[] = "state";
static const char temp_name[] = "state.tmp";

/* make_dirs() - mkdir -p @path with mode 0700 for what is created. */
static int make_dirs(const char *path, struct errbuf *eb)
{
	char buf[LWW_DISK_PATH_BYTES_MAX];
	size_t size = strlen(path);

	if (size == 0 || size >= sizeof(buf))
		return errbuf_set(eb, -ENAMETOOLONG, "data dir '%s': empty or too long", path);
	memcpy(buf, path, size + 1);
	/* Bounded by the path's size, checked above. */
	for (size_t i = 1; i <= size; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return errbuf_set(eb, -errno, "data dir: mkdir '%s'", buf);
		buf[i] = i < size ? '/' : '\0';
	}
	return 0;
}

int lww_disk_open(struct lww_disk *d, const char *dir, struct errbuf *eb)
{
	struct stat st;
	int err;

	ASSERT(d);
	ASSERT(dir);
	memset(d, 0, sizeof(*d));
	d->dir_fd = -1;
	if (snprintf(d->path, sizeof(d->path), "%s/%s", dir, temp_name) >= (int)sizeof(d->path))
		return errbuf_set(eb, -ENAMETOOLONG, "data dir '%s' is too long", dir);
	snprintf(d->path, sizeof(d->path), "%s/%s", dir, state_name);
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	err = make_dirs(dir, eb);
	if (err < 0)
		return err;
	d->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->dir_fd < 0)
		return errbuf_set(eb, -errno, "data dir '%s': open", dir);
	if (fstat(d->dir_fd, &st) < 0)
		return errbuf_set(eb, -errno, "data dir '%s': stat", dir);
	if (st.st_uid == geteuid() && (st.st_mode & 077))
		fchmod(d->dir_fd, 0700);        /* best effort: ours, so keep it private */
	return 0;
}

ssize_t lww_disk_read(struct lww_disk *d, struct errbuf *eb)
{
	int fd = openat(d->dir_fd, state_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	size_t size = 0;
	ssize_t n = 1;
	int err = 0;

	ASSERT(d->dir_fd >= 0);
	if (fd < 0)
		return errbuf_set(eb, -errno, "%s: open", d->path);
	if (fstat(fd, &st) < 0)
		err = errbuf_set(eb, -errno, "%s: stat", d->path);
	else if (!S_ISREG(st.st_mode))
		err = errbuf_set(eb, -EBADMSG, "%s: not a regular file", d->path);
	else if (st.st_size > LWW_STORE_BYTES_MAX)
		err = errbuf_set(eb, -EBADMSG, "%s: %lld bytes, larger than any valid state",
				 d->path, (long long)st.st_size);
	/* Bounded by the buffer: a file that grows under us is cut and fails validation. */
	while (err == 0 && n > 0 && size < sizeof(d->buf)) {
		n = read(fd, d->buf + size, sizeof(d->buf) - size);
		if (n < 0 && errno != EINTR)
			err = errbuf_set(eb, -errno, "%s: read", d->path);
		size += n > 0 ? (size_t)n : 0;
	}
	close(fd);
	ASSERT(size <= sizeof(d->buf));
	return err < 0 ? err : (ssize_t)size;
}

/* write_all() - @size bytes to @fd. Return: 0 or -errno. */
static int write_all(int fd, const uint8_t *p, size_t size)
{
	size_t done = 0;

	/* Bounded: each pass writes at least one byte or returns. */
	while (done < size) {
		ssize_t n = write(fd, p + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

int lww_disk_write(struct lww_disk *d, size_t size, struct errbuf *eb)
{
	int64_t start = monotime_ns(), took;
	int fd, err;

	ASSERT(d->dir_fd >= 0);
	ASSERT(size <= sizeof(d->buf));
	fd = openat(d->dir_fd, temp_name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		    0600);
	if (fd < 0)
		return errbuf_set(eb, -errno, "%s/%s: open", d->dir, temp_name);
	err = write_all(fd, d->buf, size);
	if (err == 0 && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && err == 0)
		err = -errno;
	if (err < 0)
		return errbuf_set(eb, err, "%s/%s: write and fsync", d->dir, temp_name);
	if (renameat(d->dir_fd, temp_name, d->dir_fd, state_name) < 0)
		return errbuf_set(eb, -errno, "rename %s/%s to %s", d->dir, temp_name, d->path);
	if (fsync(d->dir_fd) < 0)
		return errbuf_set(eb, -errno, "%s: fsync of the directory", d->dir);
	took = monotime_ns() - start;
	d->write_count++;
	d->write_ns_total += took;
	d->write_ns_max = took > d->write_ns_max ? took : d->write_ns_max;
	return 0;
}

void lww_disk_close(struct lww_disk *d)
{
	if (!d)
		return;
	if (d->dir_fd >= 0)
		close(d->dir_fd);
	d->dir_fd = -1;
}
