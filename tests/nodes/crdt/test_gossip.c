/* SPDX-License-Identifier: MIT */
/* test_gossip.c - hostile and repeated peer datagrams: replays are harmless (the merge is a
 * join), and no bound of crdt_limits.h can be passed by a peer. */
#include <criterion/criterion.h>
#include <errno.h>

#include "crdt_harness.h"

enum { SAVED_MAX = 16 };

TestSuite(crdt_gossip, .fini = harness_teardown);

static struct harness_datagram saved[SAVED_MAX];
static uint8_t bytes[CRDT_DATAGRAM_BYTES_MAX + 1];

/* save() - move the queued datagrams to saved[@first..]. Return: the next free index. */
static uint32_t save(uint32_t first)
{
	for (uint32_t q = 0; q < harness_queued; q++) {
		cr_assert_lt(first, SAVED_MAX);
		saved[first++] = harness_queue[q];
	}
	harness_drop();
	return first;
}

static void feed_ok(uint32_t to, const struct harness_datagram *d)
{
	cr_assert_eq(harness_feed(to, d->bytes, d->size), 0, "%s", harness_out.eb.msg);
	cr_assert_eq(harness_out.message_count, 0);
}

/* same_state() - replica @b holds exactly replica @a's objects. */
static void same_state(uint32_t a, uint32_t b)
{
	uint32_t n = crdt_replica_object_count(harness_r[a]);

	cr_assert_eq(crdt_replica_object_count(harness_r[b]), n);
	for (uint32_t k = 0; k < n; k++) {
		const struct crdt_object *obj = crdt_replica_object(harness_r[a], k);
		const struct crdt_object *other = crdt_replica_find(harness_r[b], obj->name);

		cr_assert_not_null(other, "%s", obj->name);
		cr_assert(crdt_object_equal(obj, other), "%s differs", obj->name);
	}
}

Test(crdt_gossip, duplicated_and_replayed_old_states_are_harmless)
{
	uint32_t old_end, new_end;

	harness_setup(3, 0);
	harness_request(0, "add gcounter c 3");
	harness_request(0, "add gset s 1");
	harness_request(0, "add orset o 1");
	harness_request(0, "add orset o 2");
	harness_drop();
	harness_tick(0, 0);
	old_end = save(0);
	harness_request(0, "add gcounter c 4");
	harness_request(0, "remove orset o 1");
	harness_request(0, "add gset s 2");
	harness_drop();
	harness_tick(0, 1000);
	new_end = save(old_end);
	/* Replica 1: new, then the old state again, several times, in both orders. */
	for (uint32_t k = old_end; k < new_end; k++)
		feed_ok(1, &saved[k]);
	same_state(0, 1);
	for (int round = 0; round < 3; round++) {
		for (uint32_t k = 0; k < new_end; k++)
			feed_ok(1, &saved[(k + (uint32_t)round) % new_end]);
		same_state(0, 1);
	}
	/* Replica 2: old after new converges to the same state. */
	for (uint32_t k = new_end; k-- > 0;)
		feed_ok(2, &saved[k]);
	same_state(0, 2);
	cr_assert_str_eq(harness_request(2, "read orset o"), "ok 2\n");
	cr_assert_str_eq(harness_request(2, "read gcounter c"), "ok 7\n");
}

/* steps() - @count times @line at replica @i, every reply @want; deltas dropped. */
static void steps(uint32_t i, const char *line, uint32_t count, const char *want)
{
	for (uint32_t k = 0; k < count; k++) {
		cr_assert_str_eq(harness_request(i, line), want, "%s #%u", line, k);
		harness_drop();
	}
}

Test(crdt_gossip, orset_tag_bound_is_not_passed_by_a_merge)
{
	const struct crdt_object *obj;

	harness_setup(2, 0);
	steps(1, "add orset o 1", CRDT_ORSET_TAGS_MAX, "ok\n");
	steps(1, "add orset o 1", 1, "err full\n");
	cr_assert_str_eq(harness_request(0, "add orset o 2"), "ok\n");
	cr_assert_eq(harness_queued, 1);
	cr_assert_eq(harness_feed(1, harness_queue[0].bytes, harness_queue[0].size), -E2BIG);
	harness_drop();
	obj = crdt_replica_find(harness_r[1], "o");
	cr_assert_eq(obj->u.orset.tag_count, CRDT_ORSET_TAGS_MAX);
	orset_check(&obj->u.orset);
	cr_assert_str_eq(harness_request(1, "read orset o"), "ok 1\n");
	/* The other way round the union fits nowhere either: replica 0 stays as it was. */
	harness_tick(1, 0);
	for (uint32_t q = 0; q < harness_queued; q++) {
		int err = harness_feed(0, harness_queue[q].bytes, harness_queue[q].size);

		cr_assert(err == 0 || err == -E2BIG, "%d", err);
	}
	harness_drop();
	obj = crdt_replica_find(harness_r[0], "o");
	cr_assert_leq(obj->u.orset.tag_count, CRDT_ORSET_TAGS_MAX);
	orset_check(&obj->u.orset);
}

/* --- hand-made datagrams --- */

static size_t put(size_t at, uint64_t v, size_t size)
{
	for (size_t k = 0; k < size; k++)
		bytes[at + k] = (uint8_t)(v >> (8 * k));
	return at + size;
}

static size_t header(uint32_t sender, uint32_t replicas, uint32_t records)
{
	size_t at = put(0, CRDT_WIRE_MAGIC, 4);

	at = put(at, CRDT_WIRE_VERSION, 1);
	at = put(at, sender, 1);
	at = put(at, replicas, 1);
	at = put(at, 0, 1);
	at = put(at, records, 2);
	return put(at, 0, 2);
}

static size_t record_head(size_t at, enum crdt_type type)
{
	at = put(at, (uint64_t)type, 1);
	at = put(at, 1, 1);
	return put(at, 'x', 1);
}

Test(crdt_gossip, counts_beyond_the_limits_are_malformed)
{
	size_t at;

	harness_setup(2, 0);
	at = record_head(header(0, 2, 1), CRDT_TYPE_ORSET);
	at = put(put(at, CRDT_ORSET_TAGS_MAX + 1, 4), 0, 4);
	cr_assert_eq(harness_feed(1, bytes, sizeof(bytes) - 1), -EBADMSG);
	at = record_head(header(0, 2, 1), CRDT_TYPE_ORSET);
	at = put(put(at, 0, 4), CRDT_ORSET_REMOVES_MAX + 1, 4);
	cr_assert_eq(harness_feed(1, bytes, sizeof(bytes) - 1), -EBADMSG);
	at = record_head(header(0, 2, 1), CRDT_TYPE_ORSET);
	at = put(put(at, UINT32_MAX, 4), UINT32_MAX, 4);
	cr_assert_eq(harness_feed(1, bytes, sizeof(bytes) - 1), -EBADMSG);
	at = record_head(header(0, 2, 1), CRDT_TYPE_GSET);
	at = put(at, CRDT_SET_ELEMENTS_MAX + 1, 4);
	cr_assert_eq(harness_feed(1, bytes, sizeof(bytes) - 1), -EBADMSG);
	at = record_head(header(0, 2, 1), CRDT_TYPE_GCOUNTER);
	at = put(at, 3, 1);
	cr_assert_eq(harness_feed(1, bytes, at + 3 * 9), -EBADMSG);
	/* An OR-Set tag whose origin is not a replica of this cluster. */
	at = record_head(header(0, 2, 1), CRDT_TYPE_ORSET);
	at = put(put(at, 1, 4), 0, 4);
	at = put(put(at, 5, 8), orset_id(2, 1, false), 8);
	cr_assert_eq(harness_feed(1, bytes, at), -EBADMSG);
	/* Too many records; a record count of zero. */
	cr_assert_eq(harness_feed(1, bytes, header(0, 2, CRDT_OBJECTS_MAX + 1)), -EBADMSG);
	cr_assert_eq(harness_feed(1, bytes, header(0, 2, 0)), -EBADMSG);
	/* Sender out of range, or the receiver's own id. */
	cr_assert_eq(harness_feed(1, bytes, header(2, 2, 1)), -EPROTO);
	cr_assert_eq(harness_feed(1, bytes, header(1, 2, 1)), -EPROTO);
	cr_assert_eq(crdt_replica_object_count(harness_r[1]), 0, "nothing applied");
}

Test(crdt_gossip, more_objects_than_slots_are_rejected_per_record)
{
	char line[64];

	harness_setup(2, 0);
	for (int k = 0; k < CRDT_OBJECTS_MAX; k++) {
		snprintf(line, sizeof(line), "add gcounter a%d 1", k);
		steps(0, line, 1, "ok\n");
		snprintf(line, sizeof(line), "add gcounter b%d 1", k);
		steps(1, line, 1, "ok\n");
	}
	harness_tick(0, 0);
	cr_assert_geq(harness_queued, 1);
	for (uint32_t q = 0; q < harness_queued; q++)
		cr_assert_eq(harness_feed(1, harness_queue[q].bytes, harness_queue[q].size),
			     -E2BIG);
	harness_drop();
	cr_assert_eq(crdt_replica_object_count(harness_r[1]), CRDT_OBJECTS_MAX);
	cr_assert_str_eq(harness_request(1, "read gcounter b7"), "ok 1\n");
}
