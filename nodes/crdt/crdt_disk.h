/* SPDX-License-Identifier: MIT */
/* crdt_disk.h - the daemon's state directory: read DIR/state, replace it atomically. */
#ifndef CRDT_DISK_H
#define CRDT_DISK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct errbuf;

enum { CRDT_DISK_PATH_BYTES_MAX = 4096 };

/*
 * An open state directory. @buf is the one I/O buffer (CRDT_STORE_BYTES_MAX bytes, allocated
 * by crdt_disk_open(); pages never used stay unmapped). Files: DIR/state, and DIR/state.tmp
 * while a write is in progress (a leftover one from a crash is simply overwritten).
 */
struct crdt_disk {
	int dir_fd;                             /* -1: closed */
	char dir[CRDT_DISK_PATH_BYTES_MAX];
	char path[CRDT_DISK_PATH_BYTES_MAX];    /* DIR/state, for messages */
	uint8_t *buf;
	uint64_t write_count;
	int64_t write_ns_total;                 /* time spent in crdt_disk_write() */
	int64_t write_ns_max;
};

/**
 * crdt_disk_open() - open @dir, creating it (and missing parents) with mode 0700, and
 * allocate the buffer. Return: 0; -errno with @eb naming the path.
 */
int crdt_disk_open(struct crdt_disk *d, const char *dir, struct errbuf *eb);

/**
 * crdt_disk_read() - read DIR/state into @d->buf.
 * Return: its size (>= 0); -ENOENT if there is no state file; -EBADMSG if it is not a
 *         regular file or larger than any valid state; -errno. @eb names the file.
 */
ssize_t crdt_disk_read(struct crdt_disk *d, struct errbuf *eb);

/**
 * crdt_disk_write() - make @d->buf[0..@size) the new DIR/state durably: write DIR/state.tmp,
 * fsync it, rename it over DIR/state, fsync DIR. Return: 0; -errno with @eb set (the old
 * state file is then intact or already replaced; either is a valid state).
 */
int crdt_disk_write(struct crdt_disk *d, size_t size, struct errbuf *eb);

/* crdt_disk_close() - close what crdt_disk_open() opened; also after it failed, and twice. */
void crdt_disk_close(struct crdt_disk *d);

#endif /* CRDT_DISK_H */
