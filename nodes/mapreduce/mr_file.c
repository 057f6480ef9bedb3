/* SPDX-License-Identifier: MIT */
/* mr_file.c - the intermediate and output file formats (mr_file.h). */
#include "mr_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"

enum { IFILE_MAGIC = 0x3149524d }; /* "MRI1" */

/* --- intermediate files --- */

static int ibuf_room(struct mr_ibuf *b, size_t more, struct errbuf *eb)
{
	size_t capacity = b->capacity ? b->capacity : 4096;
	uint8_t *bytes;

	if (more > MR_IFILE_BYTES_MAX - b->size)
		return errbuf_set(eb, -E2BIG, "intermediate file: over %zu bytes",
				  MR_IFILE_BYTES_MAX);
	if (b->size + more <= b->capacity)
		return 0;
	while (capacity < b->size + more)
		capacity = capacity > MR_IFILE_BYTES_MAX / 2 ? MR_IFILE_BYTES_MAX : capacity * 2;
	bytes = realloc(b->bytes, capacity);
	if (!bytes)
		return errbuf_set(eb, -ENOMEM, "intermediate file: out of memory at %zu bytes",
				  capacity);
	b->bytes = bytes;
	b->capacity = capacity;
	return 0;
}

int mr_ibuf_append(struct mr_ibuf *b, struct mr_slice key, struct mr_slice value,
		   struct errbuf *eb)
{
	int err;

	ASSERT(!b->sealed);
	ASSERT(key.size <= MR_KEY_BYTES_MAX && value.size <= MR_VALUE_BYTES_MAX);
	err = ibuf_room(b, 8 + key.size + value.size, eb);
	if (err)
		return err;
	codec_put_le(b->bytes + b->size, key.size, 4);
	codec_put_le(b->bytes + b->size + 4, value.size, 4);
	memcpy(b->bytes + b->size + 8, key.bytes, key.size);
	memcpy(b->bytes + b->size + 8 + key.size, value.bytes, value.size);
	b->size += 8 + key.size + value.size;
	b->count++;
	return 0;
}

int mr_ibuf_seal(struct mr_ibuf *b, struct errbuf *eb)
{
	uint64_t digest;
	int err;

	ASSERT(!b->sealed);
	err = ibuf_room(b, MR_IFILE_TRAILER_BYTES, eb);
	if (err)
		return err;
	digest = codec_fnv1a(MR_FILE_DIGEST_INIT, b->bytes, b->size);
	codec_put_le(b->bytes + b->size, IFILE_MAGIC, 4);
	codec_put_le(b->bytes + b->size + 4, b->count, 8);
	codec_put_le(b->bytes + b->size + 12, digest, 8);
	b->size += MR_IFILE_TRAILER_BYTES;
	b->sealed = true;
	return 0;
}

void mr_ibuf_free(struct mr_ibuf *b)
{
	free(b->bytes);
	*b = (struct mr_ibuf){ 0 };
}

int mr_ifile_open(struct mr_ifile_reader *r, const void *bytes, size_t size, const char *what,
		  struct errbuf *eb)
{
	const uint8_t *p = bytes;
	const uint8_t *trailer = p + size - MR_IFILE_TRAILER_BYTES;

	if (size < MR_IFILE_TRAILER_BYTES || codec_get_le(trailer, 4) != IFILE_MAGIC)
		return errbuf_set(eb, -EBADMSG, "%s: %zu bytes, no trailer (torn)", what, size);
	*r = (struct mr_ifile_reader){ .bytes = p, .body = size - MR_IFILE_TRAILER_BYTES,
				       .count = codec_get_le(trailer + 4, 8) };
	if (codec_get_le(trailer + 12, 8) != codec_fnv1a(MR_FILE_DIGEST_INIT, p, r->body))
		return errbuf_set(eb, -EBADMSG, "%s: %zu bytes, digest differs from the "
				  "trailer's (torn)", what, size);
	/* Walk the pairs once, so next() can trust every size. */
	for (size_t at = 0, pairs = 0;; pairs++) {
		size_t key_size, value_size;

		if (at == r->body) {
			if (pairs != r->count)
				return errbuf_set(eb, -EBADMSG, "%s: %zu pairs, the trailer says "
						  "%" PRIu64, what, pairs, r->count);
			return 0;
		}
		if (r->body - at < 8)
			return errbuf_set(eb, -EBADMSG, "%s: pair %zu at byte %zu: cut short",
					  what, pairs, at);
		key_size = codec_get_le(p + at, 4);
		value_size = codec_get_le(p + at + 4, 4);
		if (key_size > MR_KEY_BYTES_MAX || value_size > MR_VALUE_BYTES_MAX ||
		    key_size + value_size > r->body - at - 8)
			return errbuf_set(eb, -EBADMSG, "%s: pair %zu at byte %zu: sizes %zu, %zu "
					  "pass the end or a bound", what, pairs, at, key_size,
					  value_size);
		at += 8 + key_size + value_size;
	}
}

int mr_ifile_next(struct mr_ifile_reader *r, struct mr_slice *key, struct mr_slice *value)
{
	size_t key_size, value_size;

	if (r->used == r->body)
		return 0;
	key_size = codec_get_le(r->bytes + r->used, 4);
	value_size = codec_get_le(r->bytes + r->used + 4, 4);
	ASSERT(8 + key_size + value_size <= r->body - r->used); /* checked by open */
	*key = (struct mr_slice){ (const char *)r->bytes + r->used + 8, key_size };
	*value = (struct mr_slice){ key->bytes + key_size, value_size };
	r->used += 8 + key_size + value_size;
	r->seen++;
	return 1;
}

/* --- output files --- */

void mr_ofile_writer_init(struct mr_ofile_writer *w, int fd, const char *name)
{
	w->fd = fd;
	w->lines = 0;
	w->digest = MR_FILE_DIGEST_INIT;
	w->used = 0;
	snprintf(w->name, sizeof(w->name), "%s", name);
}

static int flush(struct mr_ofile_writer *w, struct errbuf *eb)
{
	size_t done = 0;

	while (done < w->used) {
		ssize_t n = write(w->fd, w->buf + done, w->used - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errbuf_set(eb, -errno, "%s: write: %s", w->name, strerror(errno));
		done += (size_t)n;
	}
	w->used = 0;
	return 0;
}

static int put(struct mr_ofile_writer *w, const void *bytes, size_t size, struct errbuf *eb)
{
	const char *p = bytes;

	w->digest = codec_fnv1a(w->digest, bytes, size);
	while (size) {
		size_t n = sizeof(w->buf) - w->used < size ? sizeof(w->buf) - w->used : size;
		int err;

		memcpy(w->buf + w->used, p, n);
		w->used += n;
		p += n;
		size -= n;
		if (w->used == sizeof(w->buf) && (err = flush(w, eb)))
			return err;
	}
	return 0;
}

int mr_ofile_line(struct mr_ofile_writer *w, struct mr_slice key, struct mr_slice output,
		  struct errbuf *eb)
{
	int err;

	ASSERT(w->fd >= 0);
	if (key.size == 0 || memchr(key.bytes, ' ', key.size) || memchr(key.bytes, '\n', key.size))
		return errbuf_set(eb, -EINVAL, "%s: key '%.*s' is empty or holds a space or "
				  "newline", w->name, (int)key.size, key.bytes);
	if (memchr(output.bytes, '\n', output.size))
		return errbuf_set(eb, -EINVAL, "%s: the output of key '%.*s' holds a newline",
				  w->name, (int)key.size, key.bytes);
	err = put(w, key.bytes, key.size, eb);
	if (!err)
		err = put(w, " ", 1, eb);
	if (!err)
		err = put(w, output.bytes, output.size, eb);
	if (!err)
		err = put(w, "\n", 1, eb);
	w->lines += !err;
	return err;
}

int mr_ofile_finish(struct mr_ofile_writer *w, struct errbuf *eb)
{
	char trailer[MR_OFILE_TRAILER_BYTES_MAX + 1];
	int size = snprintf(trailer, sizeof(trailer), MR_OFILE_TRAILER_WORD " %" PRIu64
			    " %016" PRIx64 "\n", w->lines, w->digest);
	int err;

	ASSERT(w->fd >= 0 && size > 0 && (size_t)size < sizeof(trailer));
	err = put(w, trailer, (size_t)size, eb);
	if (!err)
		err = flush(w, eb);
	if (!err && fsync(w->fd) != 0)
		err = errbuf_set(eb, -errno, "%s: fsync: %s", w->name, strerror(errno));
	if (close(w->fd) != 0 && !err)
		err = errbuf_set(eb, -errno, "%s: close: %s", w->name, strerror(errno));
	w->fd = -1;
	return err;
}

void mr_ofile_abandon(struct mr_ofile_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/* Parse the trailer line @line[0..@size) (with its '\n'), strictly: one space between
 * fields, a decimal count without sign, 16 lower-case hex digits. Return: true if so. */
static bool trailer_parse(const char *line, size_t size, uint64_t *lines, uint64_t *digest)
{
	static const char word[] = MR_OFILE_TRAILER_WORD " ";
	size_t at = sizeof(word) - 1, digits = 0;
	uint64_t count = 0, hash = 0;

	if (size < at || memcmp(line, word, at) != 0)
		return false;
	for (; at < size && line[at] >= '0' && line[at] <= '9' && digits < 20; at++, digits++) {
		if (count > (UINT64_MAX - 9) / 10)
			return false;
		count = count * 10 + (uint64_t)(line[at] - '0');
	}
	if (digits == 0 || at >= size || line[at++] != ' ' || size - at != 17 ||
	    line[size - 1] != '\n')
		return false;
	for (; at < size - 1; at++) {
		char c = line[at];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		hash = hash << 4 | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
	}
	*lines = count;
	*digest = hash;
	return true;
}

int mr_ofile_open(struct mr_ofile_reader *r, const void *bytes, size_t size, const char *what,
		  struct errbuf *eb)
{
	const char *p = bytes;
	size_t start, newlines = 0;

	if (size == 0 || p[size - 1] != '\n')
		return errbuf_set(eb, -EBADMSG, "%s: %zu bytes, not ending in a trailer line "
				  "(torn)", what, size);
	for (start = size - 1; start > 0 && p[start - 1] != '\n'; start--)
		;
	*r = (struct mr_ofile_reader){ .bytes = p, .body = start };
	if (!trailer_parse(p + start, size - start, &r->lines, &r->digest))
		return errbuf_set(eb, -EBADMSG, "%s: last line '%.*s' is not a trailer "
				  "\"" MR_OFILE_TRAILER_WORD " N DIGEST\" (torn)", what,
				  (int)(size - start - 1 < 80 ? size - start - 1 : 80), p + start);
	for (const char *at = p; (at = memchr(at, '\n', (size_t)(p + start - at))); at++)
		newlines++;
	if (newlines != r->lines)
		return errbuf_set(eb, -EBADMSG, "%s: %zu lines before the trailer, which says "
				  "%" PRIu64 " (torn)", what, newlines, r->lines);
	if (codec_fnv1a(MR_FILE_DIGEST_INIT, p, start) != r->digest)
		return errbuf_set(eb, -EBADMSG, "%s: digest of the lines differs from the "
				  "trailer's (torn)", what);
	return 0;
}

int mr_ofile_next(struct mr_ofile_reader *r, struct mr_slice *key, struct mr_slice *output,
		  const char *what, struct errbuf *eb)
{
	const char *line = r->bytes + r->used, *end, *space;

	if (r->used == r->body)
		return 0;
	end = memchr(line, '\n', r->body - r->used);
	ASSERT(end); /* the body's lines all end in '\n': open counted them */
	r->line++;
	space = memchr(line, ' ', (size_t)(end - line));
	if (!space || space == line)
		return errbuf_set(eb, -EBADMSG, "%s:%" PRIu64 ": expected \"KEY OUTPUT\", got "
				  "'%.*s'", what, r->line, (int)(end - line < 80 ? end - line : 80),
				  line);
	*key = (struct mr_slice){ line, (size_t)(space - line) };
	*output = (struct mr_slice){ space + 1, (size_t)(end - space - 1) };
	r->used = (size_t)(end + 1 - r->bytes);
	return 1;
}

/* --- reading a whole file --- */

enum { READ_CHUNK_BYTES_MAX = 1u << 20 };

/* Reads all of @fd (of @size bytes by fstat) into a new buffer; a file that changes size while
 * read is refused. */
static int read_whole(int fd, const char *path, size_t size, char **out, struct errbuf *eb)
{
	char *bytes = malloc(size ? size : 1);
	size_t done = 0;
	char extra;

	if (bytes == NULL)
		return errbuf_set(eb, -ENOMEM, "%s: %zu bytes: out of memory", path, size);
	while (done < size) {
		size_t left = size - done;
		size_t want = left < READ_CHUNK_BYTES_MAX ? left : READ_CHUNK_BYTES_MAX;
		ssize_t got = read(fd, bytes + done, want);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			int err = got < 0 ? -errno : -EIO;

			free(bytes);
			return errbuf_set(eb, err, "%s: read at byte %zu of %zu: %s", path, done,
					  size, got < 0 ? strerror(-err) : "file shrank");
		}
		done += (size_t)got;
	}
	if (read(fd, &extra, 1) > 0) {
		free(bytes);
		return errbuf_set(eb, -EIO, "%s: grew while read", path);
	}
	*out = bytes;
	return 0;
}

int mr_file_read(const char *path, size_t max, char **out, size_t *size, struct errbuf *eb)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	*out = NULL;
	*size = 0;
	if (fd < 0) {
		err = -errno;
		return errbuf_set(eb, err, "%s: open: %s", path, strerror(-err));
	}
	if (fstat(fd, &st) < 0)
		err = errbuf_set(eb, -errno, "%s: fstat: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		err = errbuf_set(eb, -EINVAL, "%s: not a regular file", path);
	else if ((uint64_t)st.st_size > max)
		err = errbuf_set(eb, -E2BIG, "%s: %lld bytes, over %zu", path,
				 (long long)st.st_size, max);
	else
		err = read_whole(fd, path, (size_t)st.st_size, out, eb);
	close(fd);
	if (!err)
		*size = (size_t)st.st_size;
	return err;
}

int mr_output_snapshot_take(const char *dir, uint32_t reduces, struct mr_output_snapshot *out,
			    struct errbuf *eb)
{
	*out = (struct mr_output_snapshot){ .digest = MR_FILE_DIGEST_INIT };
	for (uint32_t r = 0; r < reduces; r++) {
		struct mr_ofile_reader reader;
		char path[4096], *bytes = NULL;
		size_t size = 0;
		uint64_t header[2] = { r, 0 };
		int err;

		snprintf(path, sizeof(path), "%s/mr-out-%u", dir, r);
		err = mr_file_read(path, (size_t)1 << 31, &bytes, &size, eb);
		if (err == -ENOENT) {
			out->digest = codec_fnv1a(out->digest, header, sizeof(header[0]));
			continue;
		}
		if (err)
			return err;
		header[1] = size;
		out->digest = codec_fnv1a(out->digest, header, sizeof(header));
		out->digest = codec_fnv1a(out->digest, bytes, size);
		out->files++;
		out->whole += mr_ofile_open(&reader, bytes, size, path, NULL) == 0;
		free(bytes);
	}
	return 0;
}
