/* SPDX-License-Identifier: MIT */
/* codec.c - little-endian integers, bounded cursors, a table-light CRC-32 and FNV-1a for the
 * replicas' formats. */
#include "codec.h"

#include <string.h>

#include "fl_assert.h"

/*
 * Half-byte table of the reflected polynomial 0xedb88320: 64 bytes instead of the usual
 * 1 KB, at two lookups per byte. State files and datagrams are a few KB to a few MB, and a
 * save is bounded by its fsync, so the slower loop costs nothing measurable.
 */
static const uint32_t crc_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
	0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

void codec_put_le(uint8_t *p, uint64_t v, size_t bytes)
{
	ASSERT(p);
	ASSERT(bytes >= 1 && bytes <= CODEC_INT_BYTES_MAX);
	for (size_t i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t codec_get_le(const uint8_t *p, size_t bytes)
{
	uint64_t v = 0;

	ASSERT(p);
	ASSERT(bytes >= 1 && bytes <= CODEC_INT_BYTES_MAX);
	for (size_t i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

uint32_t codec_crc32(const void *buf, size_t size)
{
	const uint8_t *p = buf;
	uint32_t crc = 0xffffffffu;

	ASSERT(p || size == 0);
	for (size_t i = 0; i < size; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
	}
	return ~crc;
}

uint64_t codec_fnv1a(uint64_t h, const void *data, size_t size)
{
	const uint8_t *p = data;

	ASSERT(p || size == 0);
	for (size_t i = 0; i < size; i++)
		h = (h ^ p[i]) * 1099511628211ull;      /* the 64-bit FNV prime */
	return h;
}

void codec_write(struct codec_writer *w, const void *src, size_t n)
{
	ASSERT(w->used <= w->size);
	if (w->overflow || w->size - w->used < n) {
		w->overflow = true;
		return;
	}
	if (n)
		memcpy(w->buf + w->used, src, n);
	w->used += n;
}

void codec_write_le(struct codec_writer *w, uint64_t v, size_t bytes)
{
	uint8_t b[CODEC_INT_BYTES_MAX];

	codec_put_le(b, v, bytes);
	codec_write(w, b, bytes);
}

void codec_read(struct codec_reader *r, void *dst, size_t n, const char *field)
{
	ASSERT(r->used <= r->size);
	if (r->bad || r->size - r->used < n) {
		codec_read_check(r, false, field);
		if (n)
			memset(dst, 0, n);
		return;
	}
	if (n)
		memcpy(dst, r->buf + r->used, n);
	r->used += n;
}

uint64_t codec_read_le(struct codec_reader *r, size_t bytes, const char *field)
{
	uint8_t b[CODEC_INT_BYTES_MAX];

	ASSERT(bytes >= 1 && bytes <= CODEC_INT_BYTES_MAX);
	codec_read(r, b, bytes, field);
	return codec_get_le(b, bytes);
}
