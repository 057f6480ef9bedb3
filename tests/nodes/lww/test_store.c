/* SPDX-License-Identifier: MIT */
/* test_store.c - the state file: a round trip keeps every register and puts the clock past
 * them; any flipped bit, truncation, trailing byte or foreign file is refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "codec.h"
#include "hlc.h"
#include "lww_harness.h"

TestSuite(lww_store);

static uint8_t file[LWW_STORE_BYTES_MAX + 1];

/* A file from node 0 of 2 holding @keys keys, one of them written by node 1. */
static size_t make_file(uint32_t bugs, int keys)
{
	char line[64];
	size_t expected = LWW_STORE_HEADER_BYTES + 1 + strlen("from-1") + 17;
	bool changed;
	ssize_t n;

	harness_setup(2, bugs, 0);
	harness_request(1, "write from-1 100 0", HARNESS_PT_NS + 5 * HARNESS_S_NS);
	cr_assert_eq(harness_gossip(1, 0, HARNESS_PT_NS, &changed), 0);
	for (int k = 1; k < keys; k++) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", k);
		snprintf(line, sizeof(line), "write %s %d 0", key, -k);
		harness_request(0, line, HARNESS_PT_NS + k);
		cr_assert_null(harness_last.error, "%s", harness_line);
		expected += 1 + strlen(key) + 17;
	}
	n = lww_node_save(&harness_node[0], file, sizeof(file));
	cr_assert_eq(n, (ssize_t)expected);
	return (size_t)n;
}

static int load(uint32_t id, uint32_t replicas, const void *buf, size_t size,
		struct lww_node *n)
{
	struct lww_config c = { .id = id, .replicas = replicas };
	struct errbuf eb = { "" };

	cr_assert_eq(lww_node_init(n, &c, &eb), 0);
	return lww_node_load(n, buf, size, &eb);
}

Test(lww_store, round_trip_keeps_every_register_and_the_clock_moves_past_them)
{
	static struct lww_node restored;
	size_t size = make_file(0, 40);
	struct lww_request req = { .verb = LWW_VERB_WRITE, .key = "k3", .key_size = 2 };
	struct lww_reply reply;

	cr_assert_eq(load(0, 2, file, size, &restored), 0);
	cr_assert(lww_store_equal(&restored.store, &harness_node[0].store));
	cr_assert_eq(hlc_pack(&restored.hlc.last), lww_store_ts_max(&restored.store));
	/* Restarted with a clock an hour behind: the next write still wins. */
	lww_node_serve(&restored, &req, HARNESS_PT_NS - 3600 * HARNESS_S_NS, &reply);
	cr_assert_null(reply.error);
	cr_assert_gt(reply.reg.ts, lww_store_ts_max(&harness_node[0].store));
}

Test(lww_store, empty_and_wallclock_states_round_trip)
{
	static struct lww_node restored, empty;
	size_t size;
	ssize_t n;

	cr_assert_eq(load(0, 1, file, 0, &empty), -EBADMSG, "an empty file is not a state");
	n = lww_node_save(&empty, file, sizeof(file));
	cr_assert_eq(n, LWW_STORE_HEADER_BYTES);
	cr_assert_eq(load(0, 1, file, (size_t)n, &restored), 0);
	cr_assert_eq(restored.store.count, 0);
	size = make_file(LWW_BUG_WALLCLOCK, 3);
	cr_assert_eq(load(0, 2, file, size, &restored), 0);
	cr_assert(lww_store_equal(&restored.store, &harness_node[0].store));
}

Test(lww_store, every_flipped_bit_is_detected)
{
	static struct lww_node restored;
	size_t size = make_file(0, 5);

	for (size_t at = 0; at < size; at++) {
		for (int bit = 0; bit < 8; bit++) {
			int err;

			file[at] ^= (uint8_t)(1u << bit);
			err = load(0, 2, file, size, &restored);
			cr_assert(err == -EBADMSG || err == -EPROTO, "byte %zu bit %d: %d", at,
				  bit, err);
			cr_assert_eq(restored.store.count, 0, "nothing loaded");
			file[at] ^= (uint8_t)(1u << bit);
		}
	}
	cr_assert_eq(load(0, 2, file, size, &restored), 0, "the untouched file still loads");
}

Test(lww_store, truncated_longer_and_foreign_files_are_refused)
{
	static struct lww_node restored;
	size_t size = make_file(0, 5);

	for (size_t cut = 0; cut < size; cut++)
		cr_assert_eq(load(0, 2, file, cut, &restored), -EBADMSG, "cut at %zu", cut);
	file[size] = 0;
	cr_assert_eq(load(0, 2, file, size + 1, &restored), -EBADMSG, "a trailing byte");
	cr_assert_eq(load(1, 2, file, size, &restored), -EPROTO, "node 1 reads node 0's file");
	cr_assert_eq(load(0, 3, file, size, &restored), -EPROTO, "another cluster size");
}

Test(lww_store, a_message_names_the_fault)
{
	struct lww_config c = { .id = 0, .replicas = 2 };
	static struct lww_node restored;
	struct errbuf eb = { "" };
	size_t size = make_file(0, 5);

	file[size - 1] ^= 1;
	cr_assert_eq(lww_node_init(&restored, &c, &eb), 0);
	cr_assert_eq(lww_node_load(&restored, file, size, &eb), -EBADMSG);
	cr_assert(strstr(eb.msg, "checksum"), "%s", eb.msg);
}

Test(lww_store, crc32_is_the_zlib_one)
{
	cr_assert_eq(codec_crc32("123456789", 9), 0xcbf43926u);
	cr_assert_eq(codec_crc32("", 0), 0);
}
