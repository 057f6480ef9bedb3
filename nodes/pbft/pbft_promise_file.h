/* SPDX-License-Identifier: MIT */
/* pbft_promise_file.h - pbft-node's DIR/promises: the core's promises (pbft_replica_promises())
 * written before the messages that carry them leave, and read back at a restart. */
#ifndef PBFT_PROMISE_FILE_H
#define PBFT_PROMISE_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pbft_limits.h"

struct errbuf;

#define PBFT_PROMISE_FILE_NAME "promises"

enum {
	/* A record: "PBFTPROM", u64 generation, u32 size, u32 replica, u64 checksum
	 * (BLAKE2b, 8 bytes of it) of the 24 bytes before it and the promises, then the
	 * promises (little-endian). */
	PBFT_PROMISE_HEAD_BYTES = 8 + 8 + 4 + 4 + 8,
	PBFT_PROMISE_RECORD_BYTES = PBFT_PROMISE_HEAD_BYTES + PBFT_PROMISES_BYTES_MAX,
};

/*
 * Two records at offsets 0 and PBFT_PROMISE_RECORD_BYTES of a file mapped shared; a save
 * goes to the one that does not hold the latest generation, so a save cut short by a kill
 * leaves the other whole. No fsync: a killed process loses nothing it stored (the page cache
 * outlives it); a machine that loses power could lose the last records (PROTOCOL.md,
 * Promises). Invariants: map != NULL (and fd >= 0) between a successful open with a
 * directory and close; last_size <= PBFT_PROMISES_BYTES_MAX.
 */
struct pbft_promise_file {
	int fd;                         /* -1: none (no --data-dir) */
	uint8_t *map;                   /* the two records; NULL: none */
	uint32_t replica;
	uint64_t generation;            /* of the latest record, 0: none */
	size_t last_size;               /* the size of the latest record's promises */
	uint64_t write_count, skip_count;       /* saves written; saves equal to the latest */
};

/**
 * pbft_promise_file_open() - open (creating, 0600) @dir/promises of replica @replica and
 * find its latest whole record. @dir NULL: no file, nothing to load, saves do nothing.
 * Return: the size of the promises found (0: none, a new replica; or its first save was cut
 *         short), at pbft_promise_file_latest(); -EBADMSG if a record was written over
 *         yet none is whole and ours; -errno. @eb says.
 */
ssize_t pbft_promise_file_open(struct pbft_promise_file *pf, const char *dir, uint32_t replica,
			       struct errbuf *eb);

/* pbft_promise_file_latest() - the promises of the latest record (last_size bytes, in the
 * mapping: valid until the next save). Only with a record (generation > 0, asserted). */
const uint8_t *pbft_promise_file_latest(const struct pbft_promise_file *pf);

/* pbft_promise_file_save() - make @bytes[0..@size) the latest record, unless they are the
 * latest record's already; nothing without a file. @size <= PBFT_PROMISES_BYTES_MAX
 * (asserted). Stores to the mapping: it cannot fail once open has mapped the file. */
void pbft_promise_file_save(struct pbft_promise_file *pf, const uint8_t *bytes, size_t size);

/* pbft_promise_file_close() - also after a failed open, twice, or on a zeroed struct with
 * fd -1. */
void pbft_promise_file_close(struct pbft_promise_file *pf);

#endif /* PBFT_PROMISE_FILE_H */
