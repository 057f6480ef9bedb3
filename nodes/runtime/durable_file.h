/* SPDX-License-Identifier: MIT */
/* durable_file.h - one file in a private directory, read whole and replaced atomically. */
#ifndef DURABLE_FILE_H
#define DURABLE_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct errbuf;

enum {
	DURABLE_FILE_PATH_BYTES_MAX = 4096,     /* "DIR/NAME.tmp" and its NUL */
	DURABLE_FILE_NAME_BYTES_MAX = 64,       /* "NAME.tmp" and its NUL */
};

/* The temporary file beside DIR/NAME is DIR/NAME plus this suffix. */
#define DURABLE_FILE_TEMP_SUFFIX ".tmp"

/*
 * An open directory holding the file DIR/NAME. A write goes to DIR/NAME.tmp, which is
 * fsynced and renamed over DIR/NAME, so a crash at any moment leaves the old or the new
 * file whole; a leftover DIR/NAME.tmp is overwritten by the next write and never read.
 * Invariants: dir_fd >= 0 from a successful durable_file_open() to durable_file_close();
 * @buf is the caller's and outlives the struct; no file read or written exceeds @buf_size.
 */
struct durable_file {
	int dir_fd;                                     /* -1: closed */
	char dir[DURABLE_FILE_PATH_BYTES_MAX];
	char path[DURABLE_FILE_PATH_BYTES_MAX];         /* DIR/NAME, for messages */
	char name[DURABLE_FILE_NAME_BYTES_MAX];
	char temp_name[DURABLE_FILE_NAME_BYTES_MAX];    /* NAME.tmp */
	uint8_t *buf;                                   /* borrowed I/O buffer */
	size_t buf_size;                                /* the largest valid file */
	uint64_t write_count;
	int64_t write_ns_total;                         /* time spent in durable_file_write() */
	int64_t write_ns_max;
};

/**
 * durable_file_open() - open @dir, creating it (and missing parents) with mode 0700, and
 * make it private (0700) if it is ours. Blocks.
 * @name: the file's name, a constant of the caller: 1..DURABLE_FILE_NAME_BYTES_MAX - 5
 *        bytes without '/' (asserted).
 * @buf: borrowed, @buf_size (>= 1) bytes: the I/O buffer of read and write.
 * Return: 0; -ENAMETOOLONG if "@dir/@name.tmp" does not fit DURABLE_FILE_PATH_BYTES_MAX;
 *         -errno from mkdir, open or stat. @eb names the directory.
 */
int durable_file_open(struct durable_file *f, const char *dir, const char *name, void *buf,
		      size_t buf_size, struct errbuf *eb);

/**
 * durable_file_read() - read DIR/NAME whole into @f->buf. Blocks.
 * Return: its size (0..@f->buf_size); -ENOENT if there is no such file; -EBADMSG if it is
 *         not a regular file or larger than @f->buf_size; -errno. @eb names the file.
 */
ssize_t durable_file_read(struct durable_file *f, struct errbuf *eb);

/**
 * durable_file_write() - make @f->buf[0..@size) the new DIR/NAME durably: write
 * DIR/NAME.tmp, fsync it, rename it over DIR/NAME, fsync DIR. Blocks.
 * @size: <= @f->buf_size (asserted).
 * Return: 0; -errno with @eb naming the file (DIR/NAME is then the old file or the new one,
 *         both whole).
 */
int durable_file_write(struct durable_file *f, size_t size, struct errbuf *eb);

/*
 * durable_file_close() - close what durable_file_open() opened; also after it failed, twice,
 * or with NULL. A struct never opened must have dir_fd = -1.
 */
void durable_file_close(struct durable_file *f);

#endif /* DURABLE_FILE_H */
