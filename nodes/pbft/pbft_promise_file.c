/* SPDX-License-Identifier: MIT */
/* pbft_promise_file.c - DIR/promises: two alternating records, each checked whole. */
#include "pbft_promise_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"

enum { PATH_BYTES_MAX = 4096, SUM_OFFSET = 24 };

static const uint8_t record_magic[8] = { 'P', 'B', 'F', 'T', 'P', 'R', 'O', 'M' };

/* BLAKE2b (libsodium, which the daemon links anyway), cut to 8 bytes: it is a checksum
 * against torn writes, not a MAC. Byte-at-a-time FNV-1a took about 5% of a node's CPU under
 * bench-pbft's load, since a record is rewritten whole before each promise leaves. */
static uint64_t record_sum(const uint8_t *record, size_t size)
{
	crypto_generichash_state st;
	uint8_t sum[crypto_generichash_BYTES_MIN];

	crypto_generichash_init(&st, NULL, 0, sizeof(sum));
	crypto_generichash_update(&st, record, SUM_OFFSET);
	crypto_generichash_update(&st, record + PBFT_PROMISE_HEAD_BYTES, size);
	crypto_generichash_final(&st, sum, sizeof(sum));
	return codec_get_le(sum, 8);
}

/* The record at slot @k of the mapping: its generation if whole and ours (its promises'
 * size in *@size), else 0. */
static uint64_t record_check(const struct pbft_promise_file *pf, uint32_t k, size_t *size)
{
	const uint8_t *record = pf->map + (size_t)k * PBFT_PROMISE_RECORD_BYTES;

	if (memcmp(record, record_magic, 8) != 0)
		return 0;
	*size = codec_get_le(record + 16, 4);
	if (*size > PBFT_PROMISES_BYTES_MAX || codec_get_le(record + 20, 4) != pf->replica ||
	    codec_get_le(record + SUM_OFFSET, 8) != record_sum(record, *size))
		return 0;
	return codec_get_le(record + 8, 8);
}

/* map_file() - both records in memory, their blocks allocated (so a full disk fails here, not
 * as a SIGBUS at a later store; a shorter file grows, zeroed). */
static int map_file(struct pbft_promise_file *pf, const char *path, struct errbuf *eb)
{
	size_t bytes = 2 * (size_t)PBFT_PROMISE_RECORD_BYTES;
	int err = posix_fallocate(pf->fd, 0, (off_t)bytes);
	void *map;

	if (err != 0)
		return errbuf_set(eb, -err, "allocate %zu bytes for %s", bytes, path);
	map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, pf->fd, 0);
	if (map == MAP_FAILED)
		return errbuf_set(eb, -errno, "mmap %s", path);
	pf->map = map;
	return 0;
}

ssize_t pbft_promise_file_open(struct pbft_promise_file *pf, const char *dir, uint32_t replica,
			       struct errbuf *eb)
{
	char path[PATH_BYTES_MAX];
	uint64_t generation[2];
	size_t size[2] = { 0, 0 };
	struct stat st;
	uint32_t best;
	int n, err;

	*pf = (struct pbft_promise_file){ .fd = -1, .replica = replica };
	if (!dir)
		return 0;
	n = snprintf(path, sizeof(path), "%s/%s", dir, PBFT_PROMISE_FILE_NAME);
	if (n < 0 || (size_t)n >= sizeof(path))
		return errbuf_set(eb, -ENAMETOOLONG, "promises in '%s'", dir);
	pf->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (pf->fd < 0)
		return errbuf_set(eb, -errno, "open %s", path);
	if (fstat(pf->fd, &st) < 0)
		return errbuf_set(eb, -errno, "stat %s", path);
	err = map_file(pf, path, eb);
	if (err < 0 || st.st_size == 0)
		return err;     /* 0: a new replica, it promised nothing */
	generation[0] = record_check(pf, 0, &size[0]);
	generation[1] = record_check(pf, 1, &size[1]);
	/* The first save goes to slot 1 and the second to slot 0, and a save never touches the
	 * latest record: with no record whole and slot 0 never written, the first save was cut
	 * short (or never came, since open allocated the file), so its messages never left. */
	if (generation[0] == 0 && generation[1] == 0 && memcmp(pf->map, record_magic, 8) != 0)
		return 0;
	if (generation[0] == 0 && generation[1] == 0)
		return errbuf_set(eb, -EBADMSG, "%s: %lld bytes and no whole record of replica "
				  "%u; what this replica promised is lost, so it must not rejoin "
				  "(remove the data directory to start it as a new one)", path,
				  (long long)st.st_size, replica);
	best = generation[1] > generation[0];
	pf->generation = generation[best];
	pf->last_size = size[best];
	return (ssize_t)size[best];
}

const uint8_t *pbft_promise_file_latest(const struct pbft_promise_file *pf)
{
	ASSERT(pf->map && pf->generation > 0);
	return pf->map + (pf->generation % 2) * PBFT_PROMISE_RECORD_BYTES +
	       PBFT_PROMISE_HEAD_BYTES;
}

/*
 * A store to a shared mapping lands in the page cache at once: no system call per save
 * (pwrite(2) took about 4% of a node's CPU in bench-pbft, mostly ext4's time updates),
 * and a killed process loses none of it. A kill in the middle leaves that record torn, so its
 * checksum fails and the other one, older, is used; its messages never left.
 */
void pbft_promise_file_save(struct pbft_promise_file *pf, const uint8_t *bytes, size_t size)
{
	uint8_t *next;

	ASSERT(size <= PBFT_PROMISES_BYTES_MAX);
	if (!pf->map)
		return;
	if (pf->generation > 0 && size == pf->last_size &&
	    memcmp(bytes, pbft_promise_file_latest(pf), size) == 0) {
		pf->skip_count++;
		return;
	}
	/* The slot the latest record is not in; generation 0 (none yet) writes slot 1. */
	next = pf->map + ((pf->generation + 1) % 2) * PBFT_PROMISE_RECORD_BYTES;
	memcpy(next, record_magic, 8);
	codec_put_le(next + 8, pf->generation + 1, 8);
	codec_put_le(next + 16, size, 4);
	codec_put_le(next + 20, pf->replica, 4);
	memcpy(next + PBFT_PROMISE_HEAD_BYTES, bytes, size);
	codec_put_le(next + SUM_OFFSET, record_sum(next, size), 8);
	pf->generation++;
	pf->last_size = size;
	pf->write_count++;
}

void pbft_promise_file_close(struct pbft_promise_file *pf)
{
	if (pf->map)
		munmap(pf->map, 2 * (size_t)PBFT_PROMISE_RECORD_BYTES);
	pf->map = NULL;
	if (pf->fd >= 0)
		close(pf->fd);
	pf->fd = -1;
}
