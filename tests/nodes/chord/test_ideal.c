/* SPDX-License-Identifier: MIT */
/* test_ideal.c - chord_node_start_ideal() and chord_node_start_base() (which sorts, then
 * calls it): the exact pointers a plain scan finds, the refusals, and a ring larger than
 * the base bound that the simulated network keeps ideal. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chord.h"
#include "chord_sim.h"

enum { RING_MAX = 64 };         /* chord_node_start_base()'s bound */

static struct chord_node *node_new(uint64_t id, uint32_t addr, uint32_t bits)
{
	struct chord_config c = { .self = { .id = id, .addr = addr }, .bits = bits,
				  .succ_max = 3, .stabilize_ticks = 5, .fix_fingers_ticks = 2,
				  .check_pred_ticks = 5, .rpc_timeout_ticks = 10 };
	struct chord_node *n = NULL;

	cr_assert_eq(chord_node_new(&c, &n, NULL), 0);
	return n;
}

static int peer_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct chord_peer *)a)->id, y = ((const struct chord_peer *)b)->id;

	return x < y ? -1 : x > y;
}

/* @count distinct ids of @bits bits, hashed from n1, n2, ... (a repeat takes the next). */
static void ring_of(struct chord_peer *ring, uint32_t count, uint32_t bits)
{
	struct chord_space space;
	uint32_t name = 0;

	cr_assert_eq(chord_space_init(&space, bits), 0);
	for (uint32_t k = 0; k < count; k++) {
		bool repeat;

		do {
			char text[16];

			snprintf(text, sizeof(text), "n%u", ++name);
			ring[k] = (struct chord_peer){ .id = chord_hash(&space, text, strlen(text)),
						       .addr = k + 1 };
			repeat = false;
			for (uint32_t i = 0; i < k; i++)
				repeat |= ring[i].id == ring[k].id;
		} while (repeat);
	}
}

static void expect_same_view(const struct chord_view *a, const struct chord_view *b,
			     uint32_t bits, uint64_t id)
{
	cr_expect_eq(a->joined, b->joined, "node %lu: joined", (unsigned long)id);
	cr_expect_eq(a->has_pred, b->has_pred, "node %lu: has_pred", (unsigned long)id);
	cr_expect_eq(a->pred.id, b->pred.id, "node %lu: pred", (unsigned long)id);
	cr_expect_eq(a->succ_count, b->succ_count, "node %lu: succ_count", (unsigned long)id);
	for (uint32_t k = 0; k < a->succ_count && k < CHORD_SUCC_MAX; k++)
		cr_expect_eq(a->succ[k].addr, b->succ[k].addr, "node %lu: succ %u",
			     (unsigned long)id, k);
	for (uint32_t j = 0; j < bits; j++) {
		cr_expect_eq(a->finger_set[j], b->finger_set[j], "node %lu: finger %u set",
			     (unsigned long)id, j);
		cr_expect_eq(a->finger[j].addr, b->finger[j].addr, "node %lu: finger %u",
			     (unsigned long)id, j);
	}
}

/* Node @k of @sorted's exact pointers, by a plain scan: r = 3 successors (repeating on
 * short rings), the predecessor, and finger j at the first id >= n + 2^j, wrapping. */
static void scanned_view(const struct chord_peer *sorted, uint32_t count, uint32_t k,
			 uint32_t bits, struct chord_view *v)
{
	struct chord_space space;

	cr_assert_eq(chord_space_init(&space, bits), 0);
	*v = (struct chord_view){ .joined = true, .has_pred = true,
				  .pred = sorted[(k + count - 1) % count], .succ_count = 3 };
	for (uint32_t i = 0; i < 3; i++)
		v->succ[i] = sorted[(k + 1 + i) % count];
	for (uint32_t j = 0; j < bits; j++) {
		uint64_t start = (sorted[k].id + (1ull << j)) % space.size;
		uint32_t at = 0;

		while (at < count && sorted[at].id < start)
			at++;
		v->finger_set[j] = true;
		v->finger[j] = sorted[at % count];
	}
}

/* Each node of a ring of @count ids of @bits bits, started from the unsorted list (base)
 * and the sorted one (ideal): both hold the pointers a plain scan finds. */
static void expect_same_ring(uint32_t count, uint32_t bits)
{
	struct chord_peer ring[RING_MAX], sorted[RING_MAX];

	cr_assert_leq(count, RING_MAX);
	ring_of(ring, count, bits);
	memcpy(sorted, ring, count * sizeof(ring[0]));
	qsort(sorted, count, sizeof(sorted[0]), peer_cmp);
	for (uint32_t k = 0; k < count; k++) {
		struct chord_node *base = node_new(sorted[k].id, sorted[k].addr, bits);
		struct chord_node *ideal = node_new(sorted[k].id, sorted[k].addr, bits);
		struct chord_view vb, vi, want;

		scanned_view(sorted, count, k, bits, &want);
		cr_assert_eq(chord_node_start_base(base, ring, count), 0);
		cr_assert_eq(chord_node_start_ideal(ideal, sorted, count), 0);
		chord_node_view(base, &vb);
		chord_node_view(ideal, &vi);
		expect_same_view(&want, &vb, bits, sorted[k].id);
		expect_same_view(&want, &vi, bits, sorted[k].id);
		chord_node_free(base);
		chord_node_free(ideal);
	}
}

/* Rings shorter than r + 1 too, where the successor list repeats; 6 bits force wraps. */
Test(chord_ideal, base_and_ideal_starts_give_the_exact_pointers)
{
	static const uint32_t sizes[] = { 1, 2, 3, 4, 5, 17, RING_MAX };

	for (uint32_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		expect_same_ring(sizes[s], CHORD_BITS_MIN);
		expect_same_ring(sizes[s], CHORD_BITS_MAX);
	}
}

Test(chord_ideal, refuses_a_list_without_the_node_or_out_of_order_around_it)
{
	struct chord_peer sorted[8];
	struct chord_node *n;

	ring_of(sorted, 8, CHORD_BITS_MAX);
	qsort(sorted, 8, sizeof(sorted[0]), peer_cmp);
	n = node_new(sorted[3].id + 1, 99, CHORD_BITS_MAX);
	cr_expect_eq(chord_node_start_ideal(n, sorted, 8), -EINVAL, "not a member");
	chord_node_free(n);
	n = node_new(sorted[3].id, sorted[3].addr, CHORD_BITS_MAX);
	cr_expect_eq(chord_node_start_ideal(n, sorted, 0), -EINVAL, "an empty list");
	sorted[4].id = sorted[3].id;
	cr_expect_eq(chord_node_start_ideal(n, sorted + 1, 7), -EINVAL, "a repeated id");
	cr_expect_eq(chord_node_start_ideal(n, sorted, 3), -EINVAL, "cut before the node");
	ring_of(sorted, 8, CHORD_BITS_MAX);
	qsort(sorted, 8, sizeof(sorted[0]), peer_cmp);
	cr_expect_eq(chord_node_start_ideal(n, sorted, 8), 0);
	cr_expect_eq(chord_node_start_ideal(n, sorted, 8), -EINVAL, "already a member");
	chord_node_free(n);
}

/* More members than chord_node_start_base() takes: ideal at once, and stabilize and
 * fix-fingers keep it so (nothing to repair, nothing broken). */
Test(chord_ideal, a_ring_larger_than_the_base_bound_starts_and_stays_ideal)
{
	struct csim_opts o;
	struct chord_peer ring[CSIM_NODES_MAX];
	struct csim *s;
	char why[128] = "";

	csim_defaults(&o, 11);
	o.bits = CHORD_BITS_MAX;
	s = csim_new(&o);
	ring_of(ring, CSIM_NODES_MAX, CHORD_BITS_MAX);
	for (uint32_t k = 0; k < CSIM_NODES_MAX; k++)
		csim_add(s, ring[k].id);
	csim_start_ideal(s, 0, CSIM_NODES_MAX);
	cr_expect(csim_ideal(s, why, sizeof(why)), "%s", why);
	csim_run(s, 400);
	cr_expect(csim_ideal(s, why, sizeof(why)), "after 400 ticks: %s", why);
	csim_free(s);
}
