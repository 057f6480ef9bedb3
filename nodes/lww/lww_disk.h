/* SPDX-License-Identifier: MIT */
/* lww_disk.h - lww-node's state directory: read DIR/state, replace it atomically. */
#ifndef LWW_DISK_H
#define LWW_DISK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lww_limits.h"

struct errbuf;

enum { LWW_DISK_PATH_BYTES_MAX = 4096 };

/*
 * An open state directory. Files: DIR/state, and DIR/state.tmp while a write is in progress
 * (a leftover one from a crash is overwritten). @buf is the one I/O buffer: a state file
 * never exceeds LWW_STORE_BYTES_MAX (3232) bytes, so it is embedded.
 */
struct lww_disk {
	int dir_fd;                             /* -1: closed */
	char dir[LWW_DISK_PATH_BYTES_MAX];
	char path[LWW_DISK_PATH_BYTES_MAX];     /* DIR/state, for messages */
	uint8_t buf[LWW_STORE_BYTES_MAX];
	uint64_t write_count;
	int64_t write_ns_total;                 /* time spent in lww_disk_write() */
	int64_t write_ns_max;
};

/**
 * lww_disk_open() - open @dir, creating it (and missing parents) with mode 0700.
 * Return: 0; -ENAMETOOLONG; -errno with @eb naming the path.
 */
int lww_disk_open(struct lww_disk *d, const char *dir, struct errbuf *eb);

/**
 * lww_disk_read() - read DIR/state into @d->buf.
 * Return: its size (>= 0); -ENOENT if there is no state file; -EBADMSG if it is not a
 *         regular file or larger than LWW_STORE_BYTES_MAX; -errno. @eb names the file.
 */
ssize_t lww_disk_read(struct lww_disk *d, struct errbuf *eb);

/**
 * lww_disk_write() - make @d->buf[0..@size) the new DIR/state durably: write DIR/state.tmp,
 * fsync it, rename it over DIR/state, fsync DIR. Blocks.
 * Return: 0; -errno with @eb set (the old file is then intact or replaced: both valid).
 */
int lww_disk_write(struct lww_disk *d, size_t size, struct errbuf *eb);

/* lww_disk_close() - close what lww_disk_open() opened; also after it failed, and twice. */
void lww_disk_close(struct lww_disk *d);

#endif /* LWW_DISK_H */
