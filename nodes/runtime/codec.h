/* SPDX-License-Identifier: MIT */
/* codec.h - byte-level encoding shared by the wire and file formats: little-endian, CRC-32. */
#ifndef CODEC_H
#define CODEC_H

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

#endif /* CODEC_H */
