/* SPDX-License-Identifier: MIT */
/* test_bugs.c - each deliberate bug really changes behaviour, in the way the checker sees. */
#include <criterion/criterion.h>
#include <errno.h>

#include "crdt_harness.h"
#include "prng.h"

enum { ALL = 0x3, ONLY_A = 0x1 };

TestSuite(crdt_bugs, .fini = harness_teardown);

Test(crdt_bugs, bug_names_parse)
{
	enum crdt_bug bug;

	cr_assert_eq(crdt_bug_parse("gcounter-sum-merge", &bug), 0);
	cr_assert_eq(bug, CRDT_BUG_GCOUNTER_SUM_MERGE);
	cr_assert_eq(crdt_bug_parse("orset-remove-wins", &bug), 0);
	cr_assert_eq(bug, CRDT_BUG_ORSET_REMOVE_WINS);
	cr_assert_eq(crdt_bug_parse("no-retransmit", &bug), 0);
	cr_assert_eq(bug, CRDT_BUG_NO_RETRANSMIT);
	cr_assert_eq(crdt_bug_parse("none", &bug), -EINVAL);
}

Test(crdt_bugs, sum_merge_breaks_idempotence)
{
	struct gcounter a, x;
	struct prng prng;
	int broken = 0;

	prng_init(&prng, 7);
	for (int it = 0; it < 100; it++) {
		gcounter_random(&a, &prng, 4);
		x = a;
		gcounter_merge_sum(&x, &a);
		if (gcounter_value(&a) > 0) {
			cr_assert_not(gcounter_equal(&x, &a), "a + a != a, iteration %d", it);
			broken++;
		}
	}
	cr_assert_gt(broken, 50);
}

Test(crdt_bugs, sum_merge_inflates_reads_after_anti_entropy)
{
	harness_setup(2, CRDT_BUG_GCOUNTER_SUM_MERGE);
	cr_assert_str_eq(harness_request(0, "add gcounter c 5"), "ok\n");
	harness_deliver(ALL);
	cr_assert_str_eq(harness_request(1, "read gcounter c"), "ok 5\n");
	harness_sync(0);
	harness_sync(100);
	cr_assert_str_neq(harness_request(1, "read gcounter c"), "ok 5\n");
	cr_assert_str_neq(harness_request(0, "read gcounter c"), "ok 5\n");
}

/* The lead's scenario: {A} | {B}; remove e at A, then add e at B (ok); heal. */
static void partition_scenario(uint32_t bugs)
{
	harness_setup(2, bugs);
	cr_assert_str_eq(harness_request(0, "add orset s 1"), "ok\n");
	cr_assert_str_eq(harness_request(0, "add orset s 2"), "ok\n");
	harness_deliver(ALL);
	cr_assert_str_eq(harness_request(0, "remove orset s 1"), "ok\n");
	harness_drop();
	cr_assert_str_eq(harness_request(1, "add orset s 1"), "ok\n");
	harness_drop();
	cr_assert_str_eq(harness_request(1, "read orset s"), "ok 1 2\n");
	for (int64_t round = 0; round < 3; round++)
		harness_sync(round * 100);
}

Test(crdt_bugs, correct_build_keeps_the_add_made_across_a_partition)
{
	partition_scenario(0);
	cr_assert_str_eq(harness_request(0, "read orset s"), "ok 1 2\n");
	cr_assert_str_eq(harness_request(1, "read orset s"), "ok 1 2\n");
}

Test(crdt_bugs, remove_wins_loses_the_add_made_across_a_partition)
{
	partition_scenario(CRDT_BUG_ORSET_REMOVE_WINS);
	cr_assert_str_eq(harness_request(0, "read orset s"), "ok 2\n");
	cr_assert_str_eq(harness_request(1, "read orset s"), "ok 2\n");
	/* Replicas still converge, and adds after the remove event was applied survive. */
	cr_assert(crdt_object_equal(crdt_replica_find(harness_r[0], "s"),
				    crdt_replica_find(harness_r[1], "s")));
	cr_assert_str_eq(harness_request(1, "add orset s 1"), "ok\n");
	harness_sync(1000);
	cr_assert_str_eq(harness_request(0, "read orset s"), "ok 1 2\n");
	cr_assert_str_eq(harness_request(1, "read orset s"), "ok 1 2\n");
}

Test(crdt_bugs, no_retransmit_sends_one_delta_per_update_and_nothing_on_tick)
{
	harness_setup(2, CRDT_BUG_NO_RETRANSMIT);
	cr_assert_str_eq(harness_request(0, "add gset s 1"), "ok\n");
	cr_assert_eq(harness_queued, 1, "one delta");
	harness_deliver(ALL);
	cr_assert_str_eq(harness_request(0, "read gset s"), "ok 1\n");
	cr_assert_eq(harness_queued, 0, "reads send nothing");
	cr_assert_eq(harness_tick(0, 0), 0);
	cr_assert_eq(harness_tick(0, 1000000000), 0);
	cr_assert_eq(crdt_replica_next_tick_ns(harness_r[0]), INT64_MAX);
	cr_assert_str_eq(harness_request(1, "read gset s"), "ok 1\n");
}

Test(crdt_bugs, no_retransmit_stays_divergent_after_heal)
{
	harness_setup(2, CRDT_BUG_NO_RETRANSMIT);
	cr_assert_str_eq(harness_request(0, "add gset s 1"), "ok\n");
	harness_deliver(ONLY_A); /* B is partitioned away: the delta is lost */
	cr_assert_str_eq(harness_request(1, "add gset s 2"), "ok\n");
	harness_deliver(ALL);    /* healed */
	for (int64_t round = 0; round < 5; round++)
		harness_sync(round * 100);
	cr_assert_str_eq(harness_request(0, "read gset s"), "ok 1 2\n");
	cr_assert_str_eq(harness_request(1, "read gset s"), "ok 2\n");
}

Test(crdt_bugs, correct_build_converges_after_heal)
{
	harness_setup(2, 0);
	cr_assert_str_eq(harness_request(0, "add gset s 1"), "ok\n");
	harness_deliver(ONLY_A);
	cr_assert_str_eq(harness_request(1, "add gset s 2"), "ok\n");
	harness_deliver(ALL);
	harness_sync(0);
	cr_assert_str_eq(harness_request(0, "read gset s"), "ok 1 2\n");
	cr_assert_str_eq(harness_request(1, "read gset s"), "ok 1 2\n");
}
