/* SPDX-License-Identifier: MIT */
/* codec.h - byte-level encoding shared by the wire and file formats: little-endian integers,
 * bounded cursors over a buffer, CRC-32 and FNV-1a. */
#ifndef CODEC_H
#define CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { CODEC_INT_BYTES_MAX = 8 };       /* the widest integer codec_put_le() writes */

/**
 * codec_put_le() - the low @bytes bytes of @v at @p, little-endian.
 * @bytes: 1..CODEC_INT_BYTES_MAX (asserted); @p must have room for them.
 */
void codec_put_le(uint8_t *p, uint64_t v, size_t bytes);

/**
 * codec_get_le() - the little-endian unsigned integer of @bytes bytes at @p.
 * @bytes: 1..CODEC_INT_BYTES_MAX (asserted); the caller has checked they are there.
 */
uint64_t codec_get_le(const uint8_t *p, size_t bytes);

/**
 * codec_crc32() - CRC-32 (IEEE 802.3, reflected, as zlib's crc32()) of @buf[0..@size).
 * codec_crc32("123456789", 9) == 0xcbf43926; of nothing it is 0.
 */
uint32_t codec_crc32(const void *buf, size_t size);

/* FNV-1a, 64-bit: start from CODEC_FNV1A_BASIS, continue with the previous result. */
#define CODEC_FNV1A_BASIS 14695981039346656037ull

/* codec_fnv1a() - FNV-1a of @data[0..@size), continuing from @h. Not a cryptographic hash:
 * hash tables, and digests compared for equality. */
uint64_t codec_fnv1a(uint64_t h, const void *data, size_t size);

/*
 * A writer that never passes its bound: a write that does not fit sets @overflow, writes
 * nothing, and so do all later ones. Invariant: used <= size.
 */
struct codec_writer {
	uint8_t *buf;
	size_t size, used;
	bool overflow;
};

/*
 * A reader that never passes its bound: a read past the end, or a value found bad, sets
 * @bad to the first field that failed and yields zeros from then on. Invariant:
 * used <= size.
 */
struct codec_reader {
	const uint8_t *buf;
	size_t size, used;
	const char *bad;                /* static text, or NULL while every read was good */
};

static inline struct codec_writer codec_writer_of(void *buf, size_t size)
{
	return (struct codec_writer){ .buf = buf, .size = size };
}

static inline struct codec_reader codec_reader_of(const void *buf, size_t size)
{
	return (struct codec_reader){ .buf = buf, .size = size };
}

/* codec_write() - @n bytes of @src. codec_write_le() - @v in @bytes bytes, little-endian. */
void codec_write(struct codec_writer *w, const void *src, size_t n);
void codec_write_le(struct codec_writer *w, uint64_t v, size_t bytes);

/* codec_read() - @n bytes into @dst (zeros once bad). codec_read_le() - a little-endian
 * integer of @bytes bytes (0 once bad). @field names what is read, for @bad. */
void codec_read(struct codec_reader *r, void *dst, size_t n, const char *field);
uint64_t codec_read_le(struct codec_reader *r, size_t bytes, const char *field);

/* codec_read_check() - a value read is bad unless @ok: @field becomes @bad (if first). */
static inline void codec_read_check(struct codec_reader *r, bool ok, const char *field)
{
	if (!ok && !r->bad)
		r->bad = field;
}

#endif /* CODEC_H */
