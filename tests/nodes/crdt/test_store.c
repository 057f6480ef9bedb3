/* SPDX-License-Identifier: MIT */
/* test_store.c - the state file: round trips of every type, and corrupt or foreign files
 * rejected with a message, never a crash. */
#include <criterion/criterion.h>
#include <errno.h>

#include "codec.h"
#include "crdt_object.h"
#include "crdt_store.h"
#include "errbuf.h"
#include "prng.h"

enum { ID = 1, REPLICAS = 3, MUTATIONS = 400, BIG_TAGS = 5000, NEXT_SEQ = 123456 };

/* Static: objects and files are far too big for the stack. */
static struct crdt_object objects[CRDT_OBJECTS_MAX];
static struct crdt_object decoded[CRDT_OBJECTS_MAX];
static struct crdt_object scratch;
static uint8_t file[CRDT_STORE_BYTES_MAX];
static uint8_t bad[CRDT_STORE_BYTES_MAX];
static uint32_t decoded_count;

/* fill() - one random object of each type, and (if @big) an OR-Set that spans chunks. */
static uint32_t fill(uint64_t seed, bool big)
{
	struct prng prng;
	uint32_t n = 0;

	prng_init(&prng, seed);
	crdt_object_init(&objects[n], CRDT_TYPE_GCOUNTER, "c", 1);
	gcounter_random(&objects[n++].u.gcounter, &prng, REPLICAS);
	crdt_object_init(&objects[n], CRDT_TYPE_GSET, "g-1", 3);
	gset_random(&objects[n++].u.gset, &prng, CRDT_SET_ELEMENTS_MAX, 1000000);
	crdt_object_init(&objects[n], CRDT_TYPE_ORSET, "o_2", 3);
	orset_random(&objects[n].u.orset, &prng, REPLICAS, 64);
	cr_assert_eq(orset_remove_event(&objects[n++].u.orset, 17, ID, 99), 0);
	crdt_object_init(&objects[n++], CRDT_TYPE_ORSET, "empty", 5);
	if (big) {
		struct orset *o = &objects[n].u.orset;

		crdt_object_init(&objects[n++], CRDT_TYPE_ORSET, "big", 3);
		for (uint32_t i = 0; i < (uint32_t)BIG_TAGS && i < CRDT_ORSET_TAGS_MAX; i++)
			cr_assert_eq(orset_add(o, (int64_t)prng_below(&prng, 100), i % REPLICAS, i),
				     0);
		for (uint32_t i = 0; i < 50 && i < CRDT_ORSET_REMOVES_MAX; i++)
			cr_assert_eq(orset_remove_event(o, (int64_t)i, ID, BIG_TAGS + i), 0);
	}
	return n;
}

static size_t encode(uint32_t count)
{
	ssize_t n = crdt_store_encode(objects, count, ID, REPLICAS, NEXT_SEQ, file, sizeof(file));

	cr_assert_geq(n, CRDT_STORE_HEADER_BYTES);
	return (size_t)n;
}

static int decode(const void *bytes, size_t size, uint32_t id, uint32_t replicas,
		  struct errbuf *eb)
{
	uint32_t count = 99;
	uint64_t next_seq;
	int err;

	errbuf_clear(eb);
	err = crdt_store_decode(bytes, size, id, replicas, decoded, &count, &next_seq, &scratch,
				eb);
	decoded_count = count;
	if (err < 0) {
		cr_assert(err == -EBADMSG || err == -EPROTO, "err %d", err);
		cr_assert_neq(eb->msg[0], '\0', "a rejection says why");
		cr_assert_eq(count, 0);
	}
	return err;
}

static void round_trip(uint64_t seed, bool big)
{
	struct errbuf eb = { "" };
	uint32_t n = fill(seed, big), count;
	size_t size = encode(n);
	uint64_t next_seq;

	cr_assert_eq(crdt_store_decode(file, size, ID, REPLICAS, decoded, &count, &next_seq,
				       &scratch, &eb), 0, "%s", eb.msg);
	cr_assert_eq(count, n);
	cr_assert_eq(next_seq, NEXT_SEQ);
	for (uint32_t i = 0; i < n; i++)
		cr_assert(crdt_object_equal(&objects[i], &decoded[i]), "object %u", i);
	cr_assert_eq(decoded[2].u.orset.remove_count, 1, "remove events survive");
}

Test(crdt_store, round_trip_every_type)
{
	for (uint64_t seed = 1; seed <= 20; seed++)
		round_trip(seed, false);
}

Test(crdt_store, round_trip_state_split_over_chunks)
{
	size_t size;

	round_trip(7, true);
	size = encode(fill(7, true));
	if ((int)CRDT_ORSET_TAGS_MAX >= (int)BIG_TAGS)
		cr_assert_gt(size, CRDT_DATAGRAM_BYTES_MAX, "the big set spans several chunks");
}

Test(crdt_store, empty_state_round_trips)
{
	struct errbuf eb = { "" };
	size_t size = encode(0);

	cr_assert_eq(size, CRDT_STORE_HEADER_BYTES);
	cr_assert_eq(decode(file, size, ID, REPLICAS, &eb), 0, "%s", eb.msg);
}

Test(crdt_store, encode_refuses_a_small_buffer)
{
	fill(3, false);
	cr_assert_eq(crdt_store_encode(objects, 3, ID, REPLICAS, 0, file, 100), -EMSGSIZE);
	cr_assert_eq(crdt_store_encode(objects, 3, ID, REPLICAS, 0, file, 8), -EMSGSIZE);
}

/* rewrite_crcs() - make a tampered header and body self-consistent again. */
static void rewrite_crcs(uint8_t *p, size_t size)
{
	uint32_t body = codec_crc32(p + CRDT_STORE_HEADER_BYTES, size - CRDT_STORE_HEADER_BYTES);
	uint32_t head;

	for (int i = 0; i < 4; i++)
		p[24 + i] = (uint8_t)(body >> (8 * i));
	head = codec_crc32(p, 28);
	for (int i = 0; i < 4; i++)
		p[28 + i] = (uint8_t)(head >> (8 * i));
}

static int tampered(size_t size, size_t offset, uint8_t value, bool fix_crcs)
{
	struct errbuf eb = { "" };

	memcpy(bad, file, size);
	bad[offset] = value;
	if (fix_crcs)
		rewrite_crcs(bad, size);
	return decode(bad, size, ID, REPLICAS, &eb);
}

Test(crdt_store, crc32_matches_the_standard_check_value)
{
	cr_assert_eq(codec_crc32("123456789", 9), 0xcbf43926u);
}

Test(crdt_store, corrupt_or_foreign_files_are_rejected)
{
	struct errbuf eb = { "" };
	size_t size = encode(fill(5, false));

	cr_assert_eq(decode(file, 0, ID, REPLICAS, &eb), -EBADMSG, "empty");
	cr_assert_eq(decode(file, 10, ID, REPLICAS, &eb), -EBADMSG, "truncated header");
	cr_assert_eq(decode(file, size - 1, ID, REPLICAS, &eb), -EBADMSG, "truncated body");
	memcpy(bad, file, size);
	memcpy(bad + size, "junk", 4);
	cr_assert_eq(decode(bad, size + 4, ID, REPLICAS, &eb), -EBADMSG, "trailing garbage");
	cr_assert(strstr(eb.msg, "body bytes"), "%s", eb.msg);
	cr_assert_eq(tampered(size, 0, 'X', false), -EBADMSG, "wrong magic");
	cr_assert_eq(tampered(size, 0, 'X', true), -EBADMSG, "wrong magic, valid checksums");
	cr_assert_eq(tampered(size, 4, 2, true), -EBADMSG, "wrong version");
	cr_assert_eq(tampered(size, size - 3, file[size - 3] ^ 0x40, false), -EBADMSG,
		     "a flipped byte in the body");
	cr_assert_eq(tampered(size, 12, 0x7f, false), -EBADMSG, "a flipped byte in the header");
	cr_assert_eq(tampered(size, 15, 0x7f, true), -EBADMSG, "next_seq out of range");
	cr_assert_eq(decode(file, size, ID + 1, REPLICAS, &eb), -EPROTO, "another replica id");
	cr_assert(strstr(eb.msg, "replica 1 of 3"), "%s", eb.msg);
	cr_assert_eq(decode(file, size, ID, REPLICAS + 1, &eb), -EPROTO, "another count");
	cr_assert_eq(tampered(size, 16, 9, true), -EBADMSG, "chunk count");
	/* A consistent frame around a bad datagram: the wire decoder still says no. */
	cr_assert_eq(tampered(size, CRDT_STORE_HEADER_BYTES + 4, 0, true), -EBADMSG);
	cr_assert_eq(tampered(size, CRDT_STORE_HEADER_BYTES + 4 + 5, 0, true), -EBADMSG,
		     "a chunk from another sender");
}

Test(crdt_store, duplicate_or_unordered_slices_are_rejected)
{
	struct errbuf eb = { "" };
	uint32_t n = fill(9, false);
	size_t size;

	objects[n] = objects[0];                /* the same name again */
	size = encode(n + 1);
	cr_assert_eq(decode(file, size, ID, REPLICAS, &eb), -EBADMSG);
	cr_assert(strstr(eb.msg, "twice"), "%s", eb.msg);
}

/* Random byte changes, with and without fixed-up checksums: a clean verdict every time. */
Test(crdt_store, random_mutations_never_crash)
{
	struct errbuf eb = { "" };
	struct prng prng;
	size_t size = encode(fill(11, false)), n;
	uint32_t accepted = 0;

	prng_init(&prng, 2024);
	for (int round = 0; round < MUTATIONS; round++) {
		memcpy(bad, file, size);
		n = size;
		for (uint64_t k = prng_below(&prng, 4) + 1; k > 0; k--)
			bad[prng_below(&prng, size)] = (uint8_t)prng_next(&prng);
		if (prng_chance(&prng, 0.2))
			n = prng_below(&prng, size + 1);
		if (prng_chance(&prng, 0.5))
			rewrite_crcs(bad, n >= CRDT_STORE_HEADER_BYTES ? n : size);
		if (decode(bad, n, ID, REPLICAS, &eb) == 0) {
			accepted++;
			for (uint32_t i = 0; i < decoded_count; i++) {
				if (decoded[i].type == CRDT_TYPE_ORSET)
					orset_check(&decoded[i].u.orset);
				if (decoded[i].type == CRDT_TYPE_GSET)
					gset_check(&decoded[i].u.gset);
			}
		}
	}
	cr_assert_lt(accepted, MUTATIONS / 2, "most mutations are caught");
}
