/* SPDX-License-Identifier: MIT */
/* pbft_promise_file.c - DIR/promises: two alternating records, each checked whole. */
#include "pbft_promise_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"

enum { PATH_BYTES_MAX = 4096, SUM_OFFSET = 24 };

static const uint8_t record_magic[8] = { 'P', 'B', 'F', 'T', 'P', 'R', 'O', 'M' };

static uint64_t record_sum(const uint8_t *record, size_t size)
{
	uint64_t h = codec_fnv1a(CODEC_FNV1A_BASIS, record, SUM_OFFSET);

	return codec_fnv1a(h, record + PBFT_PROMISE_HEAD_BYTES, size);
}

/* One record read at slot @k: its generation if whole and ours (its promises in @pf->record
 * after the head), else 0. */
static uint64_t read_record(struct pbft_promise_file *pf, uint32_t k, size_t *size)
{
	ssize_t n = pread(pf->fd, pf->record, sizeof(pf->record),
			  (off_t)k * PBFT_PROMISE_RECORD_BYTES);
	uint64_t generation, want;

	if (n < PBFT_PROMISE_HEAD_BYTES || memcmp(pf->record, record_magic, 8) != 0)
		return 0;
	generation = codec_get_le(pf->record + 8, 8);
	*size = codec_get_le(pf->record + 16, 4);
	if (*size > PBFT_PROMISES_BYTES_MAX || (size_t)n < PBFT_PROMISE_HEAD_BYTES + *size ||
	    codec_get_le(pf->record + 20, 4) != pf->replica)
		return 0;
	want = codec_get_le(pf->record + SUM_OFFSET, 8);
	return want == record_sum(pf->record, *size) ? generation : 0;
}

ssize_t pbft_promise_file_open(struct pbft_promise_file *pf, const char *dir, uint32_t replica,
			       struct errbuf *eb)
{
	char path[PATH_BYTES_MAX];
	uint64_t generation[2];
	size_t size[2] = { 0, 0 };
	struct stat st;
	uint32_t best;
	int n;

	pf->fd = -1;
	pf->replica = replica;
	pf->generation = 0;
	pf->last_size = 0;
	pf->write_count = pf->skip_count = 0;
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
	if (st.st_size == 0)
		return 0;       /* a new replica: it promised nothing */
	generation[0] = read_record(pf, 0, &size[0]);
	generation[1] = read_record(pf, 1, &size[1]);
	if (generation[0] == 0 && generation[1] == 0)
		return errbuf_set(eb, -EBADMSG, "%s: %lld bytes and no whole record of replica "
				  "%u; what this replica promised is lost, so it must not rejoin "
				  "(remove the data directory to start it as a new one)", path,
				  (long long)st.st_size, replica);
	best = generation[1] > generation[0];
	if (best == 0)
		read_record(pf, 0, &size[0]);   /* pf->record held slot 1 */
	pf->generation = generation[best];
	pf->last_size = size[best];
	memcpy(pf->last, pf->record + PBFT_PROMISE_HEAD_BYTES, size[best]);
	return (ssize_t)size[best];
}

int pbft_promise_file_save(struct pbft_promise_file *pf, const uint8_t *bytes, size_t size)
{
	size_t total = PBFT_PROMISE_HEAD_BYTES + size, done = 0;
	off_t at;

	ASSERT(size <= PBFT_PROMISES_BYTES_MAX);
	if (pf->fd < 0)
		return 0;
	if (size == pf->last_size && memcmp(bytes, pf->last, size) == 0) {
		pf->skip_count++;
		return 0;
	}
	memcpy(pf->record, record_magic, 8);
	codec_put_le(pf->record + 8, pf->generation + 1, 8);
	codec_put_le(pf->record + 16, size, 4);
	codec_put_le(pf->record + 20, pf->replica, 4);
	memcpy(pf->record + PBFT_PROMISE_HEAD_BYTES, bytes, size);
	codec_put_le(pf->record + SUM_OFFSET, record_sum(pf->record, size), 8);
	/* The slot the latest record is not in; generation 0 (none yet) writes slot 1. */
	at = (off_t)((pf->generation + 1) % 2) * PBFT_PROMISE_RECORD_BYTES;
	while (done < total) {          /* bounded: each pass writes a byte or returns */
		ssize_t n = pwrite(pf->fd, pf->record + done, total - done, at + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	pf->generation++;
	pf->last_size = size;
	memcpy(pf->last, bytes, size);
	pf->write_count++;
	return 0;
}

void pbft_promise_file_close(struct pbft_promise_file *pf)
{
	if (pf->fd >= 0)
		close(pf->fd);
	pf->fd = -1;
}
