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

Test(codec, fnv1a_is_the_published_64_bit_one_and_continues)
{
	/* Test vectors of the FNV reference (Fowler, Noll, Vo): "" is the basis. */
	cr_expect_eq(codec_fnv1a(CODEC_FNV1A_BASIS, "", 0), 0xcbf29ce484222325ull);
	cr_expect_eq(codec_fnv1a(CODEC_FNV1A_BASIS, "a", 1), 0xaf63dc4c8601ec8cull);
	cr_expect_eq(codec_fnv1a(CODEC_FNV1A_BASIS, "foobar", 6), 0x85944171f73967e8ull);
	cr_expect_eq(codec_fnv1a(codec_fnv1a(CODEC_FNV1A_BASIS, "foo", 3), "bar", 3),
		     0x85944171f73967e8ull, "in pieces as in one");
}

Test(codec, writer_stops_at_its_bound_and_remembers)
{
	uint8_t buf[5] = { 0 };
	struct codec_writer w = codec_writer_of(buf, sizeof(buf));

	codec_write_le(&w, 0x0201, 2);
	codec_write(&w, "xy", 2);
	cr_expect(!w.overflow && w.used == 4);
	codec_write_le(&w, 0x07060504, 4);
	cr_expect(w.overflow, "4 bytes do not fit in 1");
	cr_expect_eq(w.used, 4, "and nothing of them was written");
	codec_write(&w, "z", 1);
	cr_expect_eq(w.used, 4, "nor anything after");
	cr_expect(buf[0] == 1 && buf[1] == 2 && buf[2] == 'x' && buf[4] == 0);
}

Test(codec, reader_names_the_first_bad_field_and_yields_zeros)
{
	const uint8_t buf[3] = { 0x34, 0x12, 0x09 };
	struct codec_reader r = codec_reader_of(buf, sizeof(buf));
	uint8_t out[2] = { 0xff, 0xff };

	cr_expect_eq(codec_read_le(&r, 2, "id"), 0x1234);
	cr_expect_null(r.bad);
	codec_read_check(&r, true, "fine");
	cr_expect_null(r.bad);
	cr_expect_eq(codec_read_le(&r, 4, "seq"), 0, "past the end");
	cr_expect_str_eq(r.bad, "seq");
	codec_read(&r, out, 1, "later");
	cr_expect(out[0] == 0 && r.used == 2, "zeros once bad; nothing consumed");
	cr_expect_str_eq(r.bad, "seq", "the first failure stands");
	r = codec_reader_of(buf, sizeof(buf));
	codec_read_check(&r, false, "value");
	cr_expect_str_eq(r.bad, "value");
}
