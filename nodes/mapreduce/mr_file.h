/* SPDX-License-Identifier: MIT */
/* mr_file.h - MapReduce's two file formats, each sealed by a trailer so a torn file is told
 * from a whole one: a map's intermediate file (binary pairs) and a reduce's output file (the
 * lab's "key value" lines). Writers build or stream them; readers check the trailer first. */
#ifndef MR_FILE_H
#define MR_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mr_app.h"

struct errbuf;

/*
 * An intermediate file: per pair, key size and value size (u32, little-endian), the key, the
 * value; then the trailer: "MRI1", the pair count (u64) and the FNV-1a 64 of every byte
 * before the trailer (u64).
 */
enum { MR_IFILE_TRAILER_BYTES = 4 + 8 + 8 };
#define MR_IFILE_BYTES_MAX ((size_t)1 << 30)    /* one map's pairs for one reduce */

/* An intermediate file built in memory. Invariant: size <= capacity <= MR_IFILE_BYTES_MAX. */
struct mr_ibuf {
	uint8_t *bytes;
	size_t size, capacity;
	uint64_t count;
	bool sealed;
};

/* mr_ibuf_append() - one more pair. Return: 0; -E2BIG past MR_IFILE_BYTES_MAX; -ENOMEM. */
int mr_ibuf_append(struct mr_ibuf *b, struct mr_slice key, struct mr_slice value,
		   struct errbuf *eb);
/* mr_ibuf_seal() - append the trailer; nothing may follow. Return: 0; -E2BIG; -ENOMEM. */
int mr_ibuf_seal(struct mr_ibuf *b, struct errbuf *eb);
/* mr_ibuf_free() - release the bytes; the buffer is empty again. */
void mr_ibuf_free(struct mr_ibuf *b);

/* Reads the pairs of a sealed intermediate file. */
struct mr_ifile_reader {
	const uint8_t *bytes;
	size_t body;                    /* bytes before the trailer */
	size_t used;
	uint64_t count, seen;
};

/**
 * mr_ifile_open() - check @bytes[0..@size) (borrowed) is a whole intermediate file.
 * @what: names it in messages ("map 3's file for reduce 1 from 10.77.0.2").
 * Return: 0; -EBADMSG if the trailer is missing or its count or digest is wrong (torn), or a
 *         pair's sizes pass the end.
 */
int mr_ifile_open(struct mr_ifile_reader *r, const void *bytes, size_t size, const char *what,
		  struct errbuf *eb);
/* mr_ifile_next() - the next pair (views into the bytes). Return: 1, or 0 after the last. */
int mr_ifile_next(struct mr_ifile_reader *r, struct mr_slice *key, struct mr_slice *value);

/*
 * An output file: lines "KEY OUTPUT\n" (the lab's), keys in byte order; then the trailer line
 * "mr-end N HHHHHHHHHHHHHHHH\n", N the number of lines before it and H the FNV-1a 64 of every
 * byte before it, in 16 lower-case hex digits. The trailer is known by being last: a key may
 * be anything without a space or newline.
 */
#define MR_OFILE_TRAILER_WORD "mr-end"
enum { MR_OFILE_TRAILER_BYTES_MAX = 6 + 1 + 20 + 1 + 16 + 1 };

/* Streams an output file to a descriptor, through a buffer. */
struct mr_ofile_writer {
	int fd;                         /* owned from open to finish; -1 after */
	uint64_t lines, digest;
	size_t used;
	char buf[64 * 1024];
	char name[256];                 /* for messages */
};

/* mr_ofile_writer_init() - write to @fd (owned from now on), named @name in messages. */
void mr_ofile_writer_init(struct mr_ofile_writer *w, int fd, const char *name);
/* mr_ofile_line() - one line; @key has no space or newline, @output no newline (asserted by
 * a -EINVAL). Return: 0; -EINVAL; -errno of write. */
int mr_ofile_line(struct mr_ofile_writer *w, struct mr_slice key, struct mr_slice output,
		  struct errbuf *eb);
/* mr_ofile_finish() - the trailer, fsync, close. Return: 0; -errno (closed anyway). */
int mr_ofile_finish(struct mr_ofile_writer *w, struct errbuf *eb);
/* mr_ofile_abandon() - close without a trailer (a failed task). */
void mr_ofile_abandon(struct mr_ofile_writer *w);

/* Reads the lines of an output file whose trailer checked. */
struct mr_ofile_reader {
	const char *bytes;
	size_t body;                    /* bytes before the trailer line */
	size_t used;
	uint64_t lines, line;           /* the trailer's count; lines read */
	uint64_t digest;                /* the trailer's */
};

/**
 * mr_ofile_open() - check @bytes[0..@size) (borrowed) ends with a trailer line whose count and
 * digest match what precedes it. @what names the file in messages.
 * Return: 0; -EBADMSG naming what is wrong (no trailer, a count or digest that differs: torn).
 */
int mr_ofile_open(struct mr_ofile_reader *r, const void *bytes, size_t size, const char *what,
		  struct errbuf *eb);
/* mr_ofile_next() - the next line split at its first space (the output may be empty).
 * Return: 1; 0 after the last; -EBADMSG for a line with no space or an empty key. */
int mr_ofile_next(struct mr_ofile_reader *r, struct mr_slice *key, struct mr_slice *output,
		  const char *what, struct errbuf *eb);

/**
 * mr_file_read() - the whole regular file at @path, of at most @max bytes, into a new buffer
 * (*@out, freed by the caller; *@size its size). A file that changes size while read is
 * refused. Return: 0; -errno of open or read; -EINVAL for a file that is not regular; -E2BIG
 * over @max; -EIO if it changed; -ENOMEM. @eb names @path.
 */
int mr_file_read(const char *path, size_t max, char **out, size_t *size, struct errbuf *eb);

/* A job's output directory as a reader finds it at one moment: a digest of the files
 * mr-out-0..R-1 in order (each file's index, size and bytes; a missing one its index alone),
 * how many there are, and how many are whole (their trailer checks). */
struct mr_output_snapshot {
	uint64_t digest;
	uint32_t files, whole;
};

/* mr_output_snapshot_take() - read @dir's R files. Return: 0 (a missing directory is a
 * snapshot of no file); -errno of a read other than a missing file. */
int mr_output_snapshot_take(const char *dir, uint32_t reduces, struct mr_output_snapshot *out,
			    struct errbuf *eb);

/* Both digests are codec_fnv1a() from this offset basis (FNV-1a 64's). */
#define MR_FILE_DIGEST_INIT 0xcbf29ce484222325ull

#endif /* MR_FILE_H */
