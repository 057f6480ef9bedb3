/* SPDX-License-Identifier: MIT */
/* test_kv.c - the key-value layer on the simulated network: puts read back from any node,
 * every key on its r owners, and the values kept through joins (handoff), crashes
 * (re-replication) and leaves; no-handoff and no-rereplicate lose values the correct build
 * keeps under the same schedule (the canaries: these tests can fail). */
#include <criterion/criterion.h>
#include <inttypes.h>

#include "chord_sim.h"

enum { KEYS = 24, RING = 16, WAIT = 150 };

static uint64_t key_of(uint32_t k, uint32_t bits)
{
	return (k * 0x9e3779b97f4a7c15ull >> 11) & ((1ull << bits) - 1);
}

/* Put KEYS keys (value 1000 + k) from nodes in turn; how many puts ended ok. */
static uint32_t put_all(struct csim *s, uint32_t bits)
{
	uint32_t ok = 0, asker = 0;

	for (uint32_t k = 0; k < KEYS; k++) {
		const struct chord_kv_result *r;

		asker += 5;
		while (!csim_joined(s, asker % csim_count(s)))
			asker++;
		csim_put(s, asker % csim_count(s), key_of(k, bits), 1000 + k, 100 + k);
		csim_run(s, WAIT);
		r = csim_kv_result(s, 100 + k);
		ok += r && r->status == CHORD_KV_OK && r->version >= 1;
	}
	return ok;
}

/* Read every key from a live node; how many read their value back. */
static uint32_t read_all(struct csim *s, uint32_t bits, uint64_t tag0)
{
	uint32_t right = 0, asker = 0;

	for (uint32_t k = 0; k < KEYS; k++) {
		const struct chord_kv_result *r;

		while (!csim_joined(s, asker % csim_count(s)))
			asker++;
		csim_get(s, asker++ % csim_count(s), key_of(k, bits), tag0 + k);
		csim_run(s, WAIT);
		r = csim_kv_result(s, tag0 + k);
		right += r && r->status == CHORD_KV_OK && r->value == 1000 + (int64_t)k;
	}
	return right;
}

/* How many of successor(key) and the r-1 live members after it store key (at @value, unless
 * @value is NULL). */
static uint32_t owners_holding_value(struct csim *s, uint64_t key, uint32_t r,
				     const int64_t *value)
{
	uint32_t holding = 0, n = csim_count(s), idx = csim_owner(s, key);

	for (uint32_t seen = 0; seen < r && seen < n; seen++) {
		struct chord_stored keys[CHORD_KV_KEYS_MAX];
		uint32_t count = chord_node_keys(csim_node(s, idx), keys, CHORD_KV_KEYS_MAX);
		uint64_t best = UINT64_MAX;
		uint32_t next = idx;

		for (uint32_t i = 0; i < count; i++)
			holding += keys[i].key == key && (!value || keys[i].value == *value);
		/* The next live member clockwise: the least distance from this one. */
		for (uint32_t i = 0; i < n; i++) {
			uint64_t d = (csim_id(s, i) - csim_id(s, idx)) & ((1ull << 63) * 2 - 1);

			if (i != idx && csim_joined(s, i) && d < best) {
				best = d;
				next = i;
			}
		}
		idx = next;
	}
	return holding;
}

static uint32_t owners_holding(struct csim *s, uint64_t key, uint32_t r)
{
	return owners_holding_value(s, key, r, NULL);
}

static struct csim *grown(uint64_t seed, uint32_t bugs, uint32_t *bits)
{
	struct csim_opts o;
	struct csim *s;

	csim_defaults(&o, seed);
	o.bugs = bugs;
	*bits = o.bits;
	s = csim_grown(&o, RING, 5);
	csim_run(s, 2000);
	return s;
}

Test(chord_kv, puts_are_read_back_from_any_node_and_sit_on_their_r_owners)
{
	uint32_t bits;
	struct csim *s = grown(21, 0, &bits);

	cr_expect_eq(put_all(s, bits), KEYS);
	cr_expect_eq(read_all(s, bits, 500), KEYS);
	csim_run(s, 1000);
	for (uint32_t k = 0; k < KEYS; k++)
		cr_expect_eq(owners_holding(s, key_of(k, bits), 3), 3, "key %u", k);
	csim_free(s);
}

/* Puts on 12 nodes, then 4 join: each takes its keys from its successor. */
static uint32_t read_after_joins(uint32_t bugs)
{
	struct csim_opts o;
	struct csim *s;
	uint32_t right;

	csim_defaults(&o, 22);
	o.bugs = bugs;
	s = csim_grown(&o, RING, 5);
	for (uint32_t i = 12; i < RING; i++)
		csim_leave(s, i);       /* the last four leave at once: spares */
	csim_run(s, 2000);
	cr_assert_eq(put_all(s, o.bits), KEYS);
	for (uint32_t i = 12; i < RING; i++)
		csim_join(s, i, 0);
	csim_run(s, 3000);
	right = read_all(s, o.bits, 500);
	csim_free(s);
	return right;
}

Test(chord_kv, joiners_take_their_keys_and_no_handoff_loses_them)
{
	uint32_t correct = read_after_joins(0), buggy = read_after_joins(CHORD_BUG_NO_HANDOFF);

	cr_log_info("after 4 joins: %u of %u read back; no-handoff %u", correct, KEYS, buggy);
	cr_expect_eq(correct, KEYS);
	cr_expect_lt(buggy, KEYS, "no-handoff read every key back");
}

/* The owner of key 0 crashes; later, once re-replication had time, its successor too, and
 * later the next: r = 3 copies were kept on live owners all along. */
static uint32_t read_after_crashes(uint32_t bugs)
{
	uint32_t bits, right;
	struct csim *s = grown(23, bugs, &bits);

	cr_assert_eq(put_all(s, bits), KEYS);
	for (int c = 0; c < 3; c++) {
		csim_crash(s, csim_owner(s, key_of(0, bits)));
		csim_run(s, 2000);
	}
	right = read_all(s, bits, 500);
	csim_free(s);
	return right;
}

Test(chord_kv, crashed_owners_are_replaced_and_no_rereplicate_loses_values)
{
	uint32_t correct = read_after_crashes(0);
	uint32_t buggy = read_after_crashes(CHORD_BUG_NO_REREPLICATE);

	cr_log_info("after 3 crashes: %u of %u read back; no-rereplicate %u", correct, KEYS,
		    buggy);
	cr_expect_eq(correct, KEYS);
	cr_expect_lt(buggy, KEYS, "no-rereplicate read every key back");
}

Test(chord_kv, a_leaving_owner_pushes_its_keys_on)
{
	uint32_t bits;
	struct csim *s = grown(24, 0, &bits);

	cr_assert_eq(put_all(s, bits), KEYS);
	for (int c = 0; c < 3; c++) {
		csim_leave(s, csim_owner(s, key_of(c, bits)));
		csim_run(s, 500);
	}
	cr_expect_eq(read_all(s, bits, 500), KEYS);
	csim_free(s);
}

/*
 * Joiners that never get their keys (no-handoff keeps the old copies away for good) take a
 * put for one: the key's next owners still hold the old value, at the version the joiner
 * gives the put or a newer one. The put must end above them on all r owners, or a crash of
 * the joiner would bring the old value back.
 */
Test(chord_kv, a_put_that_meets_a_newer_copy_is_stored_above_it_on_every_owner)
{
	struct csim_opts o;
	struct csim *s;
	uint32_t judged = 0;

	csim_defaults(&o, 25);
	o.bugs = CHORD_BUG_NO_HANDOFF;
	s = csim_grown(&o, RING, 5);
	for (uint32_t i = 12; i < RING; i++)
		csim_leave(s, i);
	csim_run(s, 2000);
	cr_assert_eq(put_all(s, o.bits), KEYS);
	cr_assert_eq(put_all(s, o.bits), KEYS);         /* the copies are at version 2 */
	for (uint32_t i = 12; i < RING; i++)
		csim_join(s, i, 0);
	csim_run(s, 3000);
	for (uint32_t k = 0; k < KEYS; k++) {
		uint64_t key = key_of(k, o.bits);
		const struct chord_kv_result *r;
		int64_t value = 7000 + k;

		if (csim_owner(s, key) < 12)
			continue;               /* a joiner's keys only */
		csim_put(s, 0, key, value, 900 + k);
		csim_run(s, WAIT);
		r = csim_kv_result(s, 900 + k);
		cr_assert(r && r->status == CHORD_KV_OK, "key %u: put not ok", k);
		cr_expect_gt(r->version, 2, "key %u: the put got version %" PRIu64, k,
			     r->version);
		csim_run(s, 500);
		cr_expect_eq(owners_holding_value(s, key, 3, &value), 3,
			     "key %u: the put is not on its 3 owners", k);
		judged++;
	}
	cr_log_info("%u keys of the joiners put over older copies", judged);
	cr_expect_gt(judged, 0, "no key has a joiner for its owner");
	csim_free(s);
}
