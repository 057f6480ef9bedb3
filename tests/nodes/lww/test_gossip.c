/* SPDX-License-Identifier: MIT */
/* test_gossip.c - gossip merges whole states, moves the receiver's clock past what it
 * merges, converges under any delivery, and drops every kind of malformed datagram whole. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "hlc.h"
#include "lww_harness.h"
#include "prng.h"

TestSuite(lww_gossip);

static uint8_t good[LWW_DATAGRAM_BYTES_MAX + 8];
static size_t good_size;

/* A datagram from node 0 of 2 with the key "k" (record at byte 12: size 1, 'k', value at
 * 14, ts at 22, writer at 30), or two keys "k" and "j" if @two. */
static void make_good(bool two)
{
	ssize_t n;

	harness_setup(2, 0, 0);
	harness_request(0, "write k 5 0", HARNESS_PT_NS);
	if (two)
		harness_request(0, "write j 6 0", HARNESS_PT_NS);
	n = lww_node_gossip(&harness_node[0], good, LWW_DATAGRAM_BYTES_MAX);
	cr_assert_eq(n, 12 + (two ? 2 : 1) * 19);
	good_size = (size_t)n;
}

Test(lww_gossip, a_write_on_one_node_is_read_on_the_other)
{
	bool changed;

	harness_setup(2, 0, 0);
	harness_request(0, "write k 17 0", HARNESS_PT_NS);
	cr_assert_eq(harness_gossip(0, 1, HARNESS_PT_NS, &changed), 0);
	cr_assert(changed);
	harness_request(1, "read k", HARNESS_PT_NS);
	cr_assert_eq(harness_last.reg.value, 17);
	cr_assert_eq(harness_last.reg.writer, 0, "the writer is the stamping node");
	cr_assert_eq(harness_gossip(0, 1, HARNESS_PT_NS, &changed), 0);
	cr_assert_not(changed, "old news changes nothing");
}

Test(lww_gossip, receiving_moves_the_clock_past_every_merged_ts)
{
	bool changed;

	harness_setup(2, 0, 0);
	harness_request(0, "write k 1 0", HARNESS_PT_NS + 60 * HARNESS_S_NS);
	cr_assert_eq(harness_gossip(0, 1, HARNESS_PT_NS, &changed), 0);
	cr_assert_gt(hlc_pack(&harness_node[1].hlc.last), harness_register(0, "k").ts);
	harness_request(1, "write other 2 0", HARNESS_PT_NS);
	cr_assert_gt(harness_last.reg.ts, harness_register(0, "k").ts,
		     "a later write at node 1 is stamped after what it merged");
}

Test(lww_gossip, a_register_too_far_ahead_is_refused_and_the_rest_merged)
{
	bool changed;

	harness_setup(2, 0, HARNESS_S_NS);
	harness_request(0, "write near 1 0", HARNESS_PT_NS);
	harness_request(0, "write far 2 0", HARNESS_PT_NS + 60 * HARNESS_S_NS);
	cr_assert_eq(harness_gossip(0, 1, HARNESS_PT_NS, &changed), -ERANGE);
	cr_assert(changed);
	cr_assert_eq(harness_register(1, "near").value, 1);
	cr_assert_eq(harness_register(1, "far").ts, 0, "not merged: the clock refused it");
	cr_assert_eq(harness_node[1].refused_count, 1);
	cr_assert_lt(hlc_pack(&harness_node[1].hlc.last), harness_register(0, "far").ts);
	/* A minute later the local clock has caught up and the register is accepted. */
	cr_assert_eq(harness_gossip(0, 1, HARNESS_PT_NS + 60 * HARNESS_S_NS, &changed), 0);
	cr_assert_eq(harness_register(1, "far").value, 2);
}

Test(lww_gossip, a_full_receiver_refuses_new_keys_with_e2big)
{
	char line[32];
	bool changed;

	harness_setup(2, 0, 0);
	for (int k = 0; k < LWW_KEYS_MAX; k++) {
		snprintf(line, sizeof(line), "write n1-%d 0 0", k);
		harness_request(1, line, HARNESS_PT_NS);
	}
	harness_request(0, "write n1-3 33 0", HARNESS_PT_NS + HARNESS_S_NS);
	harness_request(0, "write new 1 0", HARNESS_PT_NS + HARNESS_S_NS);
	cr_assert_eq(harness_gossip(0, 1, HARNESS_PT_NS, &changed), -E2BIG);
	cr_assert_eq(harness_register(1, "n1-3").value, 33, "known keys still merge");
	cr_assert_eq(harness_register(1, "new").ts, 0);
}

/* Each malformed datagram is dropped whole: node 1 stays empty. */
static void expect_rejected(const uint8_t *bytes, size_t size, int err, const char *what)
{
	struct errbuf eb = { "" };
	bool changed = true;

	cr_assert_eq(lww_node_receive(&harness_node[1], bytes, size, HARNESS_PT_NS, &changed,
				      &eb), err, "%s: %s", what, eb.msg);
	cr_assert_not(changed, "%s", what);
	cr_assert_eq(harness_node[1].store.count, 0, "%s: nothing merged", what);
	cr_assert_neq(eb.msg[0], '\0', "%s: a message says why", what);
}

static void expect_patched(size_t at, uint8_t byte, int err, const char *what)
{
	uint8_t bad[sizeof(good)];

	memcpy(bad, good, good_size);
	bad[at] = byte;
	expect_rejected(bad, good_size, err, what);
}

Test(lww_gossip, malformed_datagrams_are_dropped_whole)
{
	uint8_t bad[sizeof(good)];

	make_good(true);
	expect_rejected(good, 0, -EBADMSG, "empty");
	expect_rejected(good, 11, -EBADMSG, "short header");
	expect_rejected(good, good_size - 1, -EBADMSG, "truncated record");
	expect_rejected(good, good_size + 1, -EBADMSG, "trailing byte");
	expect_patched(0, 'X', -EBADMSG, "magic");
	expect_patched(4, 2, -EBADMSG, "version");
	expect_patched(7, 1, -EBADMSG, "padding");
	expect_patched(11, 1, -EBADMSG, "padding");
	expect_patched(6, 3, -EPROTO, "another cluster size");
	expect_patched(5, 2, -EPROTO, "sender >= replicas");
	expect_patched(5, 1, -EPROTO, "the receiver itself as sender");
	expect_patched(8, 3, -EBADMSG, "more records than present");
	expect_patched(8, 1, -EBADMSG, "fewer records than present");
	expect_patched(12, 0, -EBADMSG, "empty key");
	expect_patched(12, 33, -EBADMSG, "key over 32 bytes");
	expect_patched(13, '/', -EBADMSG, "bad key character");
	expect_patched(30, 2, -EBADMSG, "writer >= replicas");
	expect_patched(29, 0x80, -EBADMSG, "ts > INT64_MAX");
	memcpy(bad, good, good_size);
	memset(bad + 22, 0, 8);
	expect_rejected(bad, good_size, -EBADMSG, "ts 0");
	memcpy(bad, good, good_size);
	bad[32] = 'k';          /* the second record's key "j" becomes "k" */
	expect_rejected(bad, good_size, -EBADMSG, "a key twice");
}

Test(lww_gossip, a_datagram_with_65_records_is_refused)
{
	uint8_t bad[12 + (LWW_KEYS_MAX + 1) * 20];
	size_t size = 12;

	make_good(false);
	memcpy(bad, good, 12);
	/* 65 distinct two-character keys, each record a copy of the good one's body. */
	for (int k = 0; k <= LWW_KEYS_MAX; k++) {
		bad[size] = 2;
		bad[size + 1] = (uint8_t)('a' + k / 10);
		bad[size + 2] = (uint8_t)('0' + k % 10);
		memcpy(bad + size + 3, good + 14, 17);
		size += 20;
	}
	cr_assert_eq(size, sizeof(bad));
	bad[8] = LWW_KEYS_MAX + 1;
	expect_rejected(bad, size, -EBADMSG, "65 records");
	bad[8] = LWW_KEYS_MAX;
	expect_rejected(bad, size, -EBADMSG, "64 records and a trailing one");
	{
		struct errbuf eb = { "" };
		bool changed;

		cr_assert_eq(lww_node_receive(&harness_node[1], bad, size - 20, HARNESS_PT_NS,
					      &changed, &eb), 0, "64 records: %s", eb.msg);
		cr_assert_eq(harness_node[1].store.count, LWW_KEYS_MAX);
	}
}

/* Random writes on 3 nodes, random partial gossip, then a full round: all equal, and each
 * key holds the write with the largest stamp. */
Test(lww_gossip, nodes_converge_under_any_delivery_order)
{
	static struct lww_register best[4];
	char line[64], key[8];
	struct prng prng;
	bool changed;

	prng_init(&prng, 42);
	harness_setup(3, 0, 0);
	for (int step = 0; step < 400; step++) {
		uint32_t i = (uint32_t)prng_below(&prng, 3);
		int64_t pt = HARNESS_PT_NS + (int64_t)prng_below(&prng, 1000) * 1000000;
		int k = (int)prng_below(&prng, 4);

		if (prng_chance(&prng, 0.5)) {
			snprintf(line, sizeof(line), "write k%d %d 0", k, step);
			harness_request(i, line, pt);
			cr_assert_null(harness_last.error, "%s", harness_line);
			lww_register_merge(&best[k], &harness_last.reg);
		} else {
			harness_gossip(i, (i + 1 + (uint32_t)prng_below(&prng, 2)) % 3, pt,
				       &changed);
		}
	}
	for (int round = 0; round < 2; round++) {
		for (uint32_t from = 0; from < 3; from++) {
			for (uint32_t to = 0; to < 3; to++) {
				if (from != to)
					harness_gossip(from, to, HARNESS_PT_NS, &changed);
			}
		}
	}
	cr_assert(lww_store_equal(&harness_node[0].store, &harness_node[1].store));
	cr_assert(lww_store_equal(&harness_node[1].store, &harness_node[2].store));
	for (int k = 0; k < 4; k++) {
		struct lww_register got;

		snprintf(key, sizeof(key), "k%d", k);
		got = harness_register(0, key);
		cr_assert_eq(lww_register_compare(&best[k], &got), 0, "%s", key);
	}
}

/* A cluster of 64 (the most a campaign runs): node 63's write reaches node 0 with its
 * writer id; 65 nodes are refused. */
Test(lww_gossip, the_last_of_64_nodes_is_heard_with_its_id)
{
	struct lww_config first = { .id = 0, .replicas = 64 }, last = { .id = 63, .replicas = 64 };
	struct lww_config over = { .id = 0, .replicas = 65 };
	struct errbuf eb = { "" };
	bool changed;

	cr_assert_eq(lww_node_init(&harness_node[0], &first, &eb), 0, "%s", eb.msg);
	cr_assert_eq(lww_node_init(&harness_node[1], &last, &eb), 0, "%s", eb.msg);
	cr_assert_eq(lww_node_init(&harness_node[2], &over, &eb), -EINVAL);
	cr_assert(strstr(eb.msg, "(max 64)"), "%s", eb.msg);
	harness_request(1, "write k 42 0", HARNESS_PT_NS);
	cr_assert_eq(harness_gossip(1, 0, HARNESS_PT_NS, &changed), 0);
	cr_assert(changed);
	harness_request(0, "read k", HARNESS_PT_NS);
	cr_assert_eq(harness_last.reg.value, 42);
	cr_assert_eq(harness_last.reg.writer, 63);
}
