/* SPDX-License-Identifier: MIT */
/* durable_file.c - the replicas' state file I/O, kept out of their pure cores (STYLE S27). */
#include "durable_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"

/* make_dirs() - mkdir -p @path with mode 0700 for what is created. */
static int make_dirs(const char *path, struct errbuf *eb)
{
	char buf[DURABLE_FILE_PATH_BYTES_MAX];
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

/* set_names() - the names and paths of @f. Return: 0, or -ENAMETOOLONG for @dir. */
static int set_names(struct durable_file *f, const char *dir, const char *name,
		     struct errbuf *eb)
{
	size_t name_size = strlen(name);
	int n;

	ASSERT(name_size >= 1);
	ASSERT(name_size + sizeof(DURABLE_FILE_TEMP_SUFFIX) <= sizeof(f->temp_name));
	ASSERT(!strchr(name, '/'));
	memcpy(f->name, name, name_size + 1);
	snprintf(f->temp_name, sizeof(f->temp_name), "%s%s", name, DURABLE_FILE_TEMP_SUFFIX);
	/* The temporary path is the longer one: if it fits, every path fits. */
	n = snprintf(f->path, sizeof(f->path), "%s/%s", dir, f->temp_name);
	if (n < 0 || (size_t)n >= sizeof(f->path))
		return errbuf_set(eb, -ENAMETOOLONG, "data dir '%s' is too long", dir);
	snprintf(f->path, sizeof(f->path), "%s/%s", dir, name);
	snprintf(f->dir, sizeof(f->dir), "%s", dir);
	return 0;
}

int durable_file_open(struct durable_file *f, const char *dir, const char *name, void *buf,
		      size_t buf_size, struct errbuf *eb)
{
	struct stat st;
	int err;

	ASSERT(f);
	ASSERT(dir);
	ASSERT(name);
	ASSERT(buf && buf_size >= 1 && buf_size <= (size_t)SSIZE_MAX);
	memset(f, 0, sizeof(*f));
	f->dir_fd = -1;
	f->buf = buf;
	f->buf_size = buf_size;
	err = set_names(f, dir, name, eb);
	if (err == 0)
		err = make_dirs(dir, eb);
	if (err < 0)
		return err;
	f->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dir_fd < 0)
		return errbuf_set(eb, -errno, "data dir '%s': open", dir);
	if (fstat(f->dir_fd, &st) < 0)
		return errbuf_set(eb, -errno, "data dir '%s': stat", dir);
	if (st.st_uid == geteuid() && (st.st_mode & 077))
		fchmod(f->dir_fd, 0700);        /* best effort: ours, so keep it private */
	return 0;
}

ssize_t durable_file_read(struct durable_file *f, struct errbuf *eb)
{
	int fd;
	struct stat st;
	size_t size = 0;
	ssize_t n = 1;
	int err = 0;

	ASSERT(f->dir_fd >= 0);
	fd = openat(f->dir_fd, f->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errbuf_set(eb, -errno, "%s: open", f->path);
	if (fstat(fd, &st) < 0)
		err = errbuf_set(eb, -errno, "%s: stat", f->path);
	else if (!S_ISREG(st.st_mode))
		err = errbuf_set(eb, -EBADMSG, "%s: not a regular file", f->path);
	else if ((uint64_t)st.st_size > f->buf_size)
		err = errbuf_set(eb, -EBADMSG, "%s: %lld bytes, larger than any valid state",
				 f->path, (long long)st.st_size);
	/* Bounded by the buffer: a file that grows under us is cut and fails validation. */
	while (err == 0 && n > 0 && size < f->buf_size) {
		n = read(fd, f->buf + size, f->buf_size - size);
		if (n < 0 && errno != EINTR)
			err = errbuf_set(eb, -errno, "%s: read", f->path);
		size += n > 0 ? (size_t)n : 0;
	}
	close(fd);
	ASSERT(size <= f->buf_size);
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

int durable_file_write(struct durable_file *f, size_t size, struct errbuf *eb)
{
	int64_t start = monotime_ns(), took;
	int fd, err;

	ASSERT(f->dir_fd >= 0);
	ASSERT(size <= f->buf_size);
	fd = openat(f->dir_fd, f->temp_name,
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return errbuf_set(eb, -errno, "%s/%s: open", f->dir, f->temp_name);
	err = write_all(fd, f->buf, size);
	if (err == 0 && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && err == 0)
		err = -errno;
	if (err < 0)
		return errbuf_set(eb, err, "%s/%s: write and fsync", f->dir, f->temp_name);
	if (renameat(f->dir_fd, f->temp_name, f->dir_fd, f->name) < 0)
		return errbuf_set(eb, -errno, "rename %s/%s to %s", f->dir, f->temp_name, f->path);
	if (fsync(f->dir_fd) < 0)
		return errbuf_set(eb, -errno, "%s: fsync of the directory", f->dir);
	took = monotime_ns() - start;
	f->write_count++;
	f->write_ns_total += took;
	f->write_ns_max = took > f->write_ns_max ? took : f->write_ns_max;
	return 0;
}

void durable_file_close(struct durable_file *f)
{
	if (!f)
		return;
	if (f->dir_fd >= 0)
		close(f->dir_fd);
	f->dir_fd = -1;
}
