/* SPDX-License-Identifier: MIT */
/* append_file.c - append-only line logs (append_file.h). */
#include "append_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"

/* Cut @fd after its last '\n' (a torn line from a kill mid-write). */
static int cut_torn_line(int fd, const char *path, struct errbuf *eb)
{
	char buf[4096];
	off_t end = lseek(fd, 0, SEEK_END), at = end;

	if (end < 0)
		return errbuf_set(eb, -errno, "%s: cannot seek", path);
	while (at > 0) {
		size_t n = at < (off_t)sizeof(buf) ? (size_t)at : sizeof(buf);
		ssize_t got = pread(fd, buf, n, at - (off_t)n);

		if (got != (ssize_t)n)
			return errbuf_set(eb, got < 0 ? -errno : -EIO, "%s: cannot read", path);
		for (size_t i = n; i > 0; i--) {
			if (buf[i - 1] == '\n') {
				off_t keep = at - (off_t)n + (off_t)i;

				if (keep != end && ftruncate(fd, keep) < 0)
					return errbuf_set(eb, -errno, "%s: cannot cut", path);
				return 0;
			}
		}
		at -= (off_t)n;
	}
	if (end > 0 && ftruncate(fd, 0) < 0)
		return errbuf_set(eb, -errno, "%s: cannot cut", path);
	return 0;
}

int append_file_open(const char *dir, const char *name, struct errbuf *eb)
{
	char path[PATH_MAX];
	int fd, err;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return errbuf_set(eb, -ENAMETOOLONG, "%s/%s: path too long", dir, name);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return errbuf_set(eb, -errno, "%s: cannot create directory", dir);
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return errbuf_set(eb, -errno, "%s: cannot open", path);
	err = cut_torn_line(fd, path, eb);
	if (err < 0) {
		close(fd);
		return err;
	}
	return fd;
}
