/* SPDX-License-Identifier: MIT */
/* test_restart.c - a replica that restarts empty must not reuse an OR-Set tag it handed
 * out before (seqs start at wall-clock-ms << 12, paced to 4096 per ms); a durable restart
 * keeps its G-Counter entry, restart-empty loses acknowledged adds. */
#include <criterion/criterion.h>
#include <errno.h>

#include "crdt_harness.h"
#include "crdt_store.h"

enum { MS = 1000000, WALL_MS = 1000000 };

TestSuite(crdt_restart, .fini = harness_teardown);

static struct crdt_outbox out;

/* incarnation() - (re)start replica @id of 2 as the daemon would at wall time @wall_ms. */
static void incarnation(uint32_t id, int64_t wall_ms, bool paced, int64_t clock_ns)
{
	struct crdt_config c = { .id = id, .replicas = 2, .gossip_interval_ns = 100,
				 .seq_base = (uint64_t)wall_ms << CRDT_SEQS_PER_MS_BITS,
				 .seq_paced = paced, .seq_clock_ns = clock_ns };
	struct errbuf eb = { "" };

	crdt_replica_free(harness_r[id]);
	cr_assert_eq(crdt_replica_new(&harness_r[id], &c, &eb), 0, "%s", eb.msg);
}

/* add() - "add orset o @element" at @now_ns. Return: the reply; deltas are dropped. */
static const char *add(uint32_t i, int64_t element, int64_t now_ns)
{
	struct crdt_input in = { .kind = CRDT_INPUT_CLIENT };
	struct errbuf eb = { "" };
	char line[64];
	int n = snprintf(line, sizeof(line), "add orset o %lld", (long long)element);

	cr_assert_eq(crdt_request_parse(line, (size_t)n, &in.request, &eb), 0);
	cr_assert_eq(crdt_step(harness_r[i], &in, now_ns, &out), 0);
	return out.reply;
}

/* needs_tags() - skip a test whose bursts hold @tags OR-Set tags at once when the build's
 * bound is smaller (-Dtest_limits shrinks it to 256). */
static void needs_tags(uint32_t tags)
{
	if (tags > CRDT_ORSET_TAGS_MAX)
		cr_skip_test("needs %u OR-Set tags; this build's bound is %d", tags,
			     CRDT_ORSET_TAGS_MAX);
}

/* burst() - adds at @now_ns until refused (at most @count). Return: how many were ok. */
static uint32_t burst(uint32_t i, int64_t element, int64_t now_ns, uint32_t count)
{
	uint32_t ok = 0;

	while (ok < count && strcmp(add(i, element, now_ns), "ok\n") == 0)
		ok++;
	return ok;
}

Test(crdt_restart, paced_replica_hands_out_4096_seqs_per_ms)
{
	const int64_t t0 = 5 * MS;

	needs_tags(3 * CRDT_SEQS_PER_MS + 1);
	harness_setup(2, 0);
	incarnation(0, WALL_MS, true, t0);
	cr_assert_str_eq(add(0, 1, t0 - 1), "err busy\n", "monotonic time before the base");
	cr_assert_eq(burst(0, 1, t0 + MS / 2, 10), 0, "the first ms has no seqs");
	cr_assert_eq(burst(0, 1, t0 + MS, 5000), CRDT_SEQS_PER_MS);
	cr_assert_str_eq(add(0, 1, t0 + MS + MS / 2), "err busy\n");
	cr_assert_eq(burst(0, 2, t0 + 3 * MS, 10000), 2 * CRDT_SEQS_PER_MS);
	cr_assert_str_eq(harness_request(0, "read orset o"), "ok 1 2\n");
	/* Far in the future: no overflow in the budget arithmetic. */
	cr_assert_str_eq(add(0, 3, INT64_MAX), "ok\n");
}

/*
 * The scenario of the defect: incarnation A starts at wall ms W and makes a burst of adds
 * of element 7 within a few ms (more than 4096 per ms), replica 1 learns them, A's
 * element 7 is removed; A is killed and restarts 2 ms after W. Its add of 7 must survive.
 */
static const char *restart_scenario(bool paced)
{
	needs_tags(3 * CRDT_SEQS_PER_MS + 1);
	harness_setup(2, 0);
	incarnation(0, WALL_MS, paced, 0);
	burst(0, 7, MS + MS / 2, 3 * CRDT_SEQS_PER_MS);
	cr_assert_str_eq(harness_request(0, "remove orset o 7"), "ok\n");
	harness_drop();
	harness_sync(0);
	cr_assert_str_eq(harness_request(1, "read orset o"), "ok\n");
	incarnation(0, WALL_MS + 2, paced, 2 * MS);
	cr_assert_str_eq(add(0, 7, 4 * MS), "ok\n");
	harness_sync(1000);
	harness_sync(2000);
	return harness_request(1, "read orset o");
}

Test(crdt_restart, unpaced_tags_collide_after_a_restart_and_lose_an_add)
{
	/* The old scheme: 12288 seqs in one ms overlap the next incarnation's base. */
	cr_assert_str_eq(restart_scenario(false), "ok\n");
}

Test(crdt_restart, paced_tags_do_not_collide_after_a_restart)
{
	cr_assert_str_eq(restart_scenario(true), "ok 7\n");
	cr_assert_str_eq(harness_request(0, "read orset o"), "ok 7\n");
}

static uint8_t file[CRDT_STORE_BYTES_MAX];

/*
 * durable_incarnation() - what crdt-node --data-dir does on a kill and restart: the state
 * saved before the last ok is loaded into the new incarnation (ignored under restart-empty).
 */
static void durable_incarnation(uint32_t id, int64_t wall_ms, uint32_t bugs)
{
	struct crdt_config c = { .id = id, .replicas = 2, .gossip_interval_ns = 100, .bugs = bugs,
				 .seq_base = (uint64_t)wall_ms << CRDT_SEQS_PER_MS_BITS };
	struct errbuf eb = { "" };
	ssize_t n = crdt_replica_save(harness_r[id], file, sizeof(file));

	cr_assert_gt(n, 0);
	crdt_replica_free(harness_r[id]);
	cr_assert_eq(crdt_replica_new(&harness_r[id], &c, &eb), 0, "%s", eb.msg);
	cr_assert_eq(crdt_replica_load(harness_r[id], file, (size_t)n, &eb), 0, "%s", eb.msg);
}

/* gcounter_restart() - 5 at replica 0, gossiped; restart; 2 more at 0. Replica 1 reads. */
static const char *gcounter_restart(uint32_t bugs)
{
	harness_setup(2, bugs);
	cr_assert_str_eq(harness_request(0, "add gcounter c 5"), "ok\n");
	harness_sync(0);
	durable_incarnation(0, WALL_MS, bugs);
	cr_assert_str_eq(harness_request(0, "add gcounter c 2"), "ok\n");
	harness_deliver(~0u);
	harness_sync(1000);
	return harness_request(1, "read gcounter c");
}

/* The durable replica restarts from its saved entry (5), so the new add counts. */
Test(crdt_restart, gcounter_add_after_restart_is_kept)
{
	cr_assert_str_eq(gcounter_restart(0), "ok 7\n");
	cr_assert_str_eq(harness_request(0, "read gcounter c"), "ok 7\n");
}

/*
 * restart-empty: the entry restarts at 0, the add of 2 is hidden by the 5 that replica 1
 * still holds (the merge takes the maximum): an acknowledged add is lost.
 */
Test(crdt_restart, gcounter_add_after_restart_empty_is_lost)
{
	cr_assert_str_eq(gcounter_restart(CRDT_BUG_RESTART_EMPTY), "ok 5\n");
	cr_assert_str_eq(harness_request(0, "read gcounter c"), "ok 5\n");
}

/* restart-empty: a G-Set element acknowledged and never gossiped is gone for good. */
Test(crdt_restart, gset_add_not_gossiped_is_lost_by_restart_empty)
{
	harness_setup(2, CRDT_BUG_RESTART_EMPTY);
	cr_assert_str_eq(harness_request(0, "add gset s 9"), "ok\n");
	harness_drop();
	durable_incarnation(0, WALL_MS, CRDT_BUG_RESTART_EMPTY);
	harness_sync(1000);
	cr_assert_str_eq(harness_request(0, "read gset s"), "ok\n");
	cr_assert_str_eq(harness_request(1, "read gset s"), "ok\n");
}
