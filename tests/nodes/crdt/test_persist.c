/* SPDX-License-Identifier: MIT */
/* test_persist.c - the step function asks for a save before every update's ok (not for
 * reads or errors), and a replica restored from its saved state loses nothing. */
#include <criterion/criterion.h>
#include <errno.h>

#include "crdt_harness.h"
#include "crdt_store.h"

TestSuite(crdt_persist, .fini = harness_teardown);

static uint8_t file[CRDT_STORE_BYTES_MAX];

static void expect(uint32_t i, const char *line, const char *reply, enum crdt_persist persist)
{
	cr_assert_str_eq(harness_request(i, line), reply, "%s", line);
	cr_assert_eq(harness_out.persist, persist, "%s: persist %d", line, harness_out.persist);
}

Test(crdt_persist, every_update_ok_asks_for_a_save_first)
{
	harness_setup(2, 0);
	expect(0, "add gcounter c 5", "ok\n", CRDT_PERSIST_NOW);
	expect(0, "add gcounter c 0", "ok\n", CRDT_PERSIST_NOW);
	expect(0, "add gset s 7", "ok\n", CRDT_PERSIST_NOW);
	expect(0, "add gset s 7", "ok\n", CRDT_PERSIST_NOW);
	expect(0, "add orset o 1", "ok\n", CRDT_PERSIST_NOW);
	expect(0, "remove orset o 1", "ok\n", CRDT_PERSIST_NOW);
	expect(0, "remove orset absent 1", "ok\n", CRDT_PERSIST_NOW);
}

Test(crdt_persist, reads_and_errors_ask_for_nothing)
{
	harness_setup(2, 0);
	expect(0, "add gcounter c 5", "ok\n", CRDT_PERSIST_NOW);
	expect(0, "read gcounter c", "ok 5\n", CRDT_PERSIST_NONE);
	expect(0, "read gset nothing", "ok\n", CRDT_PERSIST_NONE);
	expect(0, "read orset nothing", "ok\n", CRDT_PERSIST_NONE);
	expect(0, "add gset c 1", "err type mismatch\n", CRDT_PERSIST_NONE);
	expect(0, "add gcounter c -1", "err negative delta\n", CRDT_PERSIST_NONE);
	expect(0, "remove gset s 1", "err remove not supported by gset\n", CRDT_PERSIST_NONE);
	harness_tick(0, 1000);
	cr_assert_eq(harness_out.persist, CRDT_PERSIST_NONE, "a tick changes nothing");
}

Test(crdt_persist, merges_ask_for_a_lazy_save_only_when_news_arrive)
{
	struct harness_datagram d;

	harness_setup(2, 0);
	harness_request(0, "add orset o 3");
	harness_drop();
	harness_tick(0, 1000);
	cr_assert_eq(harness_queued, 1);
	d = harness_queue[0];
	harness_drop();
	cr_assert_eq(harness_feed(1, d.bytes, d.size), 0);
	cr_assert_eq(harness_out.persist, CRDT_PERSIST_LAZY);
	cr_assert_eq(harness_feed(1, d.bytes, d.size), 0);
	cr_assert_eq(harness_out.persist, CRDT_PERSIST_NONE, "old news");
}

/* restart() - replica @i saves, is "killed" and comes back from its file (bugs @bugs). */
static void restart(uint32_t i, uint32_t bugs, uint64_t seq_base)
{
	struct crdt_config c = { .id = i, .replicas = harness_n, .bugs = bugs,
				 .seq_base = seq_base, .gossip_interval_ns = 100 };
	struct errbuf eb = { "" };
	ssize_t n = crdt_replica_save(harness_r[i], file, sizeof(file));

	cr_assert_gt(n, 0);
	crdt_replica_free(harness_r[i]);
	cr_assert_eq(crdt_replica_new(&harness_r[i], &c, &eb), 0, "%s", eb.msg);
	cr_assert_eq(crdt_replica_load(harness_r[i], file, (size_t)n, &eb), 0, "%s", eb.msg);
}

Test(crdt_persist, a_restored_replica_has_every_acknowledged_update)
{
	harness_setup(2, 0);
	harness_request(0, "add gcounter c 5");
	harness_request(0, "add gset s 7");
	harness_request(0, "add orset o 1");
	harness_request(0, "add orset o 2");
	harness_request(0, "remove orset o 1");
	harness_drop();
	restart(0, 0, 1);       /* a base below the old tags: the file's seqs win */
	cr_assert_str_eq(harness_request(0, "read gcounter c"), "ok 5\n");
	cr_assert_str_eq(harness_request(0, "read gset s"), "ok 7\n");
	cr_assert_str_eq(harness_request(0, "read orset o"), "ok 2\n");
	/* A new tag of element 1 must not collide with the tombstoned old one. */
	cr_assert_str_eq(harness_request(0, "add orset o 1"), "ok\n");
	cr_assert_str_eq(harness_request(0, "read orset o"), "ok 1 2\n");
	harness_sync(1000);
	cr_assert_str_eq(harness_request(1, "read orset o"), "ok 1 2\n");
}

Test(crdt_persist, restart_empty_ignores_the_file)
{
	harness_setup(2, CRDT_BUG_RESTART_EMPTY);
	harness_request(0, "add gcounter c 5");
	harness_request(0, "add gset s 7");
	harness_drop();
	restart(0, CRDT_BUG_RESTART_EMPTY, 5000);
	cr_assert_str_eq(harness_request(0, "read gcounter c"), "ok 0\n");
	cr_assert_str_eq(harness_request(0, "read gset s"), "ok\n");
	cr_assert_eq(crdt_replica_object_count(harness_r[0]), 0);
}

Test(crdt_persist, load_refuses_another_replicas_file)
{
	struct crdt_config c = { .id = 1, .replicas = 2, .seq_base = 1,
				 .gossip_interval_ns = 100 };
	struct crdt_replica *other;
	struct errbuf eb = { "" };
	ssize_t n;

	harness_setup(2, 0);
	harness_request(0, "add gcounter c 5");
	n = crdt_replica_save(harness_r[0], file, sizeof(file));
	cr_assert_eq(crdt_replica_new(&other, &c, &eb), 0);
	cr_assert_eq(crdt_replica_load(other, file, (size_t)n, &eb), -EPROTO);
	cr_assert_eq(crdt_replica_object_count(other), 0);
	crdt_replica_free(other);
}
