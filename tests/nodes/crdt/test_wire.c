/* SPDX-License-Identifier: MIT */
/* test_wire.c - state datagrams round-trip, and decoding untrusted bytes never crashes. */
#include <criterion/criterion.h>
#include <errno.h>

#include "crdt_harness.h"
#include "prng.h"

enum { MUTATIONS = 600, ALL = 0x3 };

static uint8_t valid[CRDT_DATAGRAM_BYTES_MAX + 16];
static size_t valid_size;
static uint8_t bytes[CRDT_DATAGRAM_BYTES_MAX + 16];

TestSuite(crdt_wire, .fini = harness_teardown);

/* Two replicas; replica 0 holds one object of each type; its tick datagram is `valid`. */
static void make_valid(void)
{
	harness_setup(2, CRDT_BUG_ORSET_REMOVE_WINS); /* so remove events are encoded too */
	harness_request(0, "add gcounter c 3");
	harness_request(0, "add gset g -1");
	harness_request(0, "add gset g 5");
	harness_request(0, "add orset o 2");
	harness_request(0, "add orset o 8");
	harness_request(0, "remove orset o 2");
	harness_drop();
	cr_assert_eq(harness_tick(0, 0), 1);
	valid_size = harness_queue[0].size;
	memcpy(valid, harness_queue[0].bytes, valid_size);
	harness_drop();
}

static void check_invariants(uint32_t i)
{
	for (uint32_t k = 0; k < crdt_replica_object_count(harness_r[i]); k++) {
		const struct crdt_object *obj = crdt_replica_object(harness_r[i], k);

		if (obj->type == CRDT_TYPE_GSET)
			gset_check(&obj->u.gset);
		if (obj->type == CRDT_TYPE_ORSET)
			orset_check(&obj->u.orset);
	}
}

Test(crdt_wire, state_round_trips_into_an_equal_replica)
{
	make_valid();
	cr_assert_eq(harness_feed(1, valid, valid_size), 0, "%s", harness_out.eb.msg);
	cr_assert_eq(crdt_replica_object_count(harness_r[1]), 3);
	for (uint32_t k = 0; k < 3; k++) {
		const struct crdt_object *obj = crdt_replica_object(harness_r[0], k);

		cr_assert(crdt_object_equal(obj, crdt_replica_find(harness_r[1], obj->name)));
	}
}

Test(crdt_wire, every_truncation_is_rejected)
{
	make_valid();
	for (size_t size = 0; size < valid_size; size++)
		cr_assert_eq(harness_feed(1, valid, size), -EBADMSG, "size %zu", size);
	cr_assert_eq(crdt_replica_object_count(harness_r[1]), 0, "nothing half-applied");
}

Test(crdt_wire, oversized_and_trailing_bytes_are_rejected)
{
	make_valid();
	memcpy(bytes, valid, valid_size);
	bytes[valid_size] = 0;
	cr_assert_eq(harness_feed(1, bytes, valid_size + 1), -EBADMSG);
	cr_assert_eq(harness_feed(1, bytes, CRDT_DATAGRAM_BYTES_MAX + 1), -EBADMSG);
}

Test(crdt_wire, wrong_cluster_or_own_id_is_a_protocol_error)
{
	make_valid();
	memcpy(bytes, valid, valid_size);
	bytes[6] = 3; /* replicas */
	cr_assert_eq(harness_feed(1, bytes, valid_size), -EPROTO);
	memcpy(bytes, valid, valid_size);
	bytes[5] = 1; /* sender: the receiver itself */
	cr_assert_eq(harness_feed(1, bytes, valid_size), -EPROTO);
}

Test(crdt_wire, type_mismatch_rejects_only_that_record)
{
	make_valid();
	cr_assert_str_eq(harness_request(1, "add orset g 1"), "ok\n");
	harness_drop();
	cr_assert_eq(harness_feed(1, valid, valid_size), -EPROTO);
	cr_assert_str_eq(harness_request(1, "read gcounter c"), "ok 3\n");
	cr_assert_str_eq(harness_request(1, "read orset g"), "ok 1\n");
}

Test(crdt_wire, random_garbage_is_rejected)
{
	struct prng prng;

	make_valid();
	prng_init(&prng, 99);
	for (int it = 0; it < MUTATIONS; it++) {
		size_t size = (size_t)prng_below(&prng, 200);

		for (size_t i = 0; i < size; i++)
			bytes[i] = (uint8_t)prng_next(&prng);
		cr_assert_lt(harness_feed(1, bytes, size), 0);
	}
}

Test(crdt_wire, random_mutations_never_crash_nor_break_invariants)
{
	struct prng prng;
	int accepted = 0;

	make_valid();
	prng_init(&prng, 1234);
	for (int it = 0; it < MUTATIONS; it++) {
		size_t size = valid_size;
		int flips = 1 + (int)prng_below(&prng, 4), err;

		memcpy(bytes, valid, valid_size);
		for (int f = 0; f < flips; f++)
			bytes[prng_below(&prng, size)] ^= (uint8_t)(1u << prng_below(&prng, 8));
		if (prng_chance(&prng, 0.2))
			size = (size_t)prng_below(&prng, size + 8);
		err = harness_feed(1, bytes, size);
		cr_assert(err == 0 || err == -EBADMSG || err == -EPROTO || err == -E2BIG,
			  "iteration %d: %d", it, err);
		accepted += err == 0;
		check_invariants(1);
	}
	cr_assert_lt(accepted, MUTATIONS);
}

/* A cluster of 64 (the most a campaign runs): the state of replica 63 reaches replica 0,
 * its G-Counter slot and its OR-Set tags named by its id; 65 replicas are refused. */
Test(crdt_wire, the_last_of_64_replicas_is_heard_with_its_id)
{
	struct crdt_config first = { .id = 0, .replicas = 64, .seq_base = 1000,
				     .gossip_interval_ns = 100 };
	struct crdt_config last = first, over = first;
	struct crdt_replica *r0, *r63, *r65 = NULL;
	struct errbuf eb = { "" };
	const struct crdt_object *c, *o;

	last.id = 63;
	over.replicas = 65;
	cr_assert_eq(crdt_replica_new(&r0, &first, &eb), 0, "%s", eb.msg);
	cr_assert_eq(crdt_replica_new(&r63, &last, &eb), 0, "%s", eb.msg);
	cr_assert_eq(crdt_replica_new(&r65, &over, &eb), -EINVAL);
	cr_assert(strstr(eb.msg, "(max 64)"), "%s", eb.msg);
	harness_n = 2;
	harness_r[0] = r0;
	harness_r[1] = r63;
	cr_assert_str_eq(harness_request(1, "add gcounter c 5"), "ok\n");
	cr_assert_str_eq(harness_request(1, "add orset o 7"), "ok\n");
	harness_drop();
	cr_assert_eq(harness_tick(1, 0), 1);
	cr_assert_eq(harness_feed(0, harness_queue[0].bytes, harness_queue[0].size), 0, "%s",
		     harness_out.eb.msg);
	c = crdt_replica_find(r0, "c");
	o = crdt_replica_find(r0, "o");
	cr_assert(c && o);
	cr_assert_eq(c->u.gcounter.counts[63], 5);
	cr_assert_eq(o->u.orset.tag_count, 1);
	cr_assert_eq(orset_id_origin(o->u.orset.tags[0].id), 63);
}
