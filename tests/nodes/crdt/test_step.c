/* SPDX-License-Identifier: MIT */
/* test_step.c - the replica step function: requests, replies, deltas, anti-entropy. */
#include <criterion/criterion.h>
#include <errno.h>

#include "crdt_harness.h"

enum { ALL = 0x7 };

TestSuite(crdt_step, .fini = harness_teardown);

Test(crdt_step, add_then_tick_reaches_a_peer)
{
	harness_setup(2, 0);
	cr_assert_str_eq(harness_request(0, "add gset s 7\n"), "ok\n");
	harness_drop(); /* lose the delta: anti-entropy alone must carry it */
	cr_assert_str_eq(harness_request(1, "read gset s\n"), "ok\n");
	cr_assert_geq(harness_tick(0, 0), 1);
	harness_deliver(ALL);
	cr_assert_str_eq(harness_request(1, "read gset s\n"), "ok 7\n");
}

Test(crdt_step, delta_alone_reaches_a_peer)
{
	harness_setup(2, 0);
	cr_assert_str_eq(harness_request(0, "add orset o 3"), "ok\n");
	cr_assert_eq(harness_queued, 1);
	harness_deliver(ALL);
	cr_assert_str_eq(harness_request(1, "read orset o"), "ok 3\n");
}

Test(crdt_step, tick_waits_for_the_gossip_interval)
{
	harness_setup(2, 0);
	harness_request(0, "add gcounter c 1");
	harness_drop();
	cr_assert_eq(harness_tick(0, 1000), 1);
	cr_assert_eq(harness_tick(0, 1050), 0);
	cr_assert_eq(harness_tick(0, 1100), 1);
	cr_assert_eq(crdt_replica_next_tick_ns(harness_r[0]), 1200);
}

Test(crdt_step, gcounter_converges_to_the_sum)
{
	harness_setup(3, 0);
	cr_assert_str_eq(harness_request(0, "add gcounter c 5"), "ok\n");
	cr_assert_str_eq(harness_request(1, "add gcounter c 7"), "ok\n");
	cr_assert_str_eq(harness_request(2, "add gcounter c 0"), "ok\n");
	harness_drop();
	harness_sync(0);
	harness_sync(100);
	for (uint32_t i = 0; i < 3; i++)
		cr_assert_str_eq(harness_request(i, "read gcounter c"), "ok 12\n");
}

Test(crdt_step, orset_concurrent_add_and_remove_add_wins)
{
	harness_setup(2, 0);
	harness_request(0, "add orset s 1");
	harness_deliver(ALL);
	cr_assert_str_eq(harness_request(1, "read orset s"), "ok 1\n");
	/* Partition: each side acts without hearing from the other. */
	cr_assert_str_eq(harness_request(0, "remove orset s 1"), "ok\n");
	cr_assert_str_eq(harness_request(1, "add orset s 1"), "ok\n");
	harness_drop();
	cr_assert_str_eq(harness_request(0, "read orset s"), "ok\n");
	harness_sync(0);
	cr_assert_str_eq(harness_request(0, "read orset s"), "ok 1\n");
	cr_assert_str_eq(harness_request(1, "read orset s"), "ok 1\n");
}

Test(crdt_step, orset_observed_remove_is_absent_everywhere)
{
	harness_setup(3, 0);
	harness_request(0, "add orset s 4");
	harness_request(2, "add orset s 4");
	harness_request(2, "add orset s 9");
	harness_deliver(ALL);
	cr_assert_str_eq(harness_request(1, "remove orset s 4"), "ok\n");
	harness_drop();
	harness_sync(0);
	for (uint32_t i = 0; i < 3; i++)
		cr_assert_str_eq(harness_request(i, "read orset s"), "ok 9\n");
	/* A later add makes it live again. */
	harness_request(1, "add orset s 4");
	harness_deliver(ALL);
	for (uint32_t i = 0; i < 3; i++)
		cr_assert_str_eq(harness_request(i, "read orset s"), "ok 4 9\n");
}

Test(crdt_step, replies_to_bad_requests)
{
	harness_setup(1, 0);
	cr_assert_str_eq(harness_request(0, "add gcounter c -3"), "err negative delta\n");
	cr_assert_str_eq(harness_request(0, "remove gset s 1"),
			 "err remove not supported by gset\n");
	cr_assert_str_eq(harness_request(0, "add gset s 1"), "ok\n");
	cr_assert_str_eq(harness_request(0, "add orset s 1"), "err type mismatch\n");
	cr_assert_str_eq(harness_request(0, "read gcounter s"), "err type mismatch\n");
	cr_assert_str_eq(harness_request(0, "read gcounter fresh"), "ok 0\n");
	cr_assert_str_eq(harness_request(0, "read orset fresh"), "ok\n");
	cr_assert_str_eq(harness_request(0, "put gset s 1"), "err unknown verb\n");
	cr_assert_str_eq(harness_request(0, "add list s 1"), "err unknown type\n");
	cr_assert_str_eq(harness_request(0, "add gset s"), "err bad syntax\n");
	cr_assert_str_eq(harness_request(0, "read gset s 1"), "err bad syntax\n");
	cr_assert_str_eq(harness_request(0, "add gset  s 1"), "err bad syntax\n");
	cr_assert_str_eq(harness_request(0, "add gset s 1 2"), "err bad syntax\n");
	cr_assert_str_eq(harness_request(0, "add gset s 1x"), "err bad integer\n");
	cr_assert_str_eq(harness_request(0, "add gset s 99999999999999999999"),
			 "err bad integer\n");
	cr_assert_str_eq(harness_request(0, "add gset s.t 1"), "err bad object name\n");
	cr_assert_str_eq(harness_request(0, ""), "err bad syntax\n");
	cr_assert_str_eq(harness_request(0, "read gset s\r\n"), "ok 1\n");
}

Test(crdt_step, integers_span_int64)
{
	harness_setup(1, 0);
	cr_assert_str_eq(harness_request(0, "add gset s -9223372036854775808"), "ok\n");
	cr_assert_str_eq(harness_request(0, "add gset s 9223372036854775807"), "ok\n");
	cr_assert_str_eq(harness_request(0, "read gset s"),
			 "ok -9223372036854775808 9223372036854775807\n");
	cr_assert_str_eq(harness_request(0, "add gcounter c 9223372036854775807"), "ok\n");
	cr_assert_str_eq(harness_request(0, "add gcounter c 1"), "err overflow\n");
}

Test(crdt_step, object_table_full_is_an_error_reply)
{
	char line[64];

	harness_setup(1, 0);
	for (int i = 0; i < CRDT_OBJECTS_MAX; i++) {
		snprintf(line, sizeof(line), "add gcounter c%d 1", i);
		cr_assert_str_eq(harness_request(0, line), "ok\n");
		harness_drop();
	}
	cr_assert_str_eq(harness_request(0, "add gcounter one-more 1"), "err full\n");
	cr_assert_str_eq(harness_request(0, "add gcounter c3 1"), "ok\n");
}

Test(crdt_step, large_orset_is_split_and_arrives_whole)
{
	const int adds = 10000;

#ifdef FL_TEST_LIMITS
	cr_skip_test("needs the full CRDT_ORSET_TAGS_MAX");
#endif
	harness_setup(2, 0);
	for (int i = 0; i < adds; i++) {
		char line[64];

		snprintf(line, sizeof(line), "add orset big %d", i % 50);
		cr_assert_str_eq(harness_request(0, line), "ok\n");
		harness_drop();
	}
	harness_request(0, "remove orset big 7");
	harness_drop();
	cr_assert_geq(harness_tick(0, 0), 3, "10000 tags need several datagrams");
	harness_deliver(ALL);
	cr_assert(crdt_object_equal(crdt_replica_find(harness_r[0], "big"),
				    crdt_replica_find(harness_r[1], "big")));
	cr_assert_eq(crdt_replica_find(harness_r[1], "big")->u.orset.tag_count, (uint32_t)adds);
}
