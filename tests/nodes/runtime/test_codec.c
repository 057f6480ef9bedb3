/* SPDX-License-Identifier: MIT */
/* test_codec.c - little-endian integers of every width round-trip; CRC-32 is zlib's. */
#include <criterion/criterion.h>
#include <string.h>

#include "codec.h"

TestSuite(codec);

Test(codec, put_le_writes_the_low_bytes_first_and_nothing_more)
{
	uint8_t p[10];

	memset(p, 0xee, sizeof(p));
	codec_put_le(p + 1, 0x0102030405060708ull, 3);
	cr_assert_eq(p[0], 0xee);
	cr_assert_eq(p[1], 0x08);
	cr_assert_eq(p[2], 0x07);
	cr_assert_eq(p[3], 0x06);
	cr_assert_eq(p[4], 0xee, "a 3-byte field stops after 3 bytes");
}

Test(codec, every_width_round_trips_and_truncates_to_its_bytes)
{
	const uint64_t v = 0xf1e2d3c4b5a69788ull;
	uint8_t p[CODEC_INT_BYTES_MAX];

	for (size_t bytes = 1; bytes <= CODEC_INT_BYTES_MAX; bytes++) {
		uint64_t mask = bytes == 8 ? UINT64_MAX : (1ull << (8 * bytes)) - 1;

		codec_put_le(p, v, bytes);
		cr_assert_eq(codec_get_le(p, bytes), v & mask, "%zu bytes", bytes);
	}
	codec_put_le(p, UINT64_MAX, 8);
	cr_assert_eq(codec_get_le(p, 8), UINT64_MAX);
}

Test(codec, crc32_is_the_zlib_one)
{
	cr_assert_eq(codec_crc32("123456789", 9), 0xcbf43926u);
	cr_assert_eq(codec_crc32("", 0), 0);
	cr_assert_eq(codec_crc32(NULL, 0), 0);
	cr_assert_eq(codec_crc32("a", 1), 0xe8b7be43u);
}

Test(codec, crc32_sees_every_single_bit_flip)
{
	uint8_t buf[64];
	uint32_t good;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	good = codec_crc32(buf, sizeof(buf));
	for (size_t bit = 0; bit < 8 * sizeof(buf); bit++) {
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert_neq(codec_crc32(buf, sizeof(buf)), good, "bit %zu", bit);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	cr_assert_eq(codec_crc32(buf, sizeof(buf)), good);
}
