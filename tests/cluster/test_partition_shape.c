/* SPDX-License-Identifier: MIT */
/* test_partition_shape.c - properties of every partition shape over many seeds and sizes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nemesis.h"
#include "partition_shape.h"
#include "prng.h"

enum { SEEDS = 300, NODES_MIN = 3, NODES_TEST_MAX = 9, BIG_SEEDS = 40 };

static char name_text[CLUSTER_NODES_MAX][CLUSTER_NAME_BYTES_MAX];
static const char *names[CLUSTER_NODES_MAX];    /* "n1".."n64", as the cluster names them */

static void names_init(void)
{
	for (uint32_t i = 0; i < CLUSTER_NODES_MAX; i++) {
		snprintf(name_text[i], sizeof(name_text[i]), "n%u", i + 1);
		names[i] = name_text[i];
	}
}

/* The set of nodes @node hears, itself included. */
static uint64_t view_of(const struct grudge *g, uint32_t node)
{
	return nem_nodes_all(g->node_count) & ~g->blocked_from[node];
}

/* Connected components of the "hears" graph; returns their count, fills comp[]. */
static uint32_t components(const struct grudge *g, uint32_t *comp)
{
	uint32_t stack[CLUSTER_NODES_MAX], top, count = 0, i, j, v;

	for (i = 0; i < g->node_count; i++)
		comp[i] = UINT32_MAX;
	for (i = 0; i < g->node_count; i++) {
		if (comp[i] != UINT32_MAX)
			continue;
		top = 0;
		stack[top++] = i;
		comp[i] = count;
		while (top) {
			v = stack[--top];
			for (j = 0; j < g->node_count; j++) {
				if (comp[j] == UINT32_MAX && !grudge_blocks(g, v, j)) {
					comp[j] = count;
					stack[top++] = j;
				}
			}
		}
		count++;
	}
	return count;
}

/* Two sides, each a clique, nobody hears across: the shape of isolate/halves/random. */
static void assert_two_sides(const struct grudge *g, uint32_t *small, uint32_t *large)
{
	uint32_t comp[CLUSTER_NODES_MAX], size[2] = { 0, 0 }, i, j;

	cr_assert_eq(components(g, comp), 2);
	for (i = 0; i < g->node_count; i++) {
		size[comp[i]]++;
		for (j = 0; j < g->node_count; j++)
			cr_assert_eq(grudge_blocks(g, i, j), comp[i] != comp[j]);
	}
	*small = size[0] < size[1] ? size[0] : size[1];
	*large = size[0] < size[1] ? size[1] : size[0];
	cr_assert_eq(*small + *large, g->node_count);
}

static void draw(enum partition_shape shape, uint32_t n, uint64_t seed, struct grudge *g)
{
	struct prng prng;

	prng_init(&prng, seed * 1000 + n);
	cr_assert_eq(partition_shape_grudge(shape, n, &prng, g), 0);
	cr_assert_eq(g->node_count, n);
	cr_assert_eq(g->shape, shape);
	cr_assert(grudge_check(g), "symmetric, nobody cut from itself");
	for (uint32_t i = 0; i < n; i++)
		cr_assert_not(grudge_blocks(g, i, i));
}

#define FOR_SIZES_AND_SEEDS(n, seed)                                                      \
	for (uint32_t n = NODES_MIN; n <= NODES_TEST_MAX; n++)                            \
		for (uint64_t seed = 0; seed < SEEDS; seed++)

TestSuite(partition_shape, .init = names_init);

Test(partition_shape, every_node_set_is_right_up_to_64_nodes)
{
	cr_assert_eq(CLUSTER_NODES_MAX, 64);
	cr_assert_eq(nem_nodes_all(0), 0);
	cr_assert_eq(nem_nodes_all(1), 0x1);
	cr_assert_eq(nem_nodes_all(5), 0x1f);
	cr_assert_eq(nem_nodes_all(32), 0xffffffffull);
	cr_assert_eq(nem_nodes_all(63), UINT64_MAX >> 1);
	cr_assert_eq(nem_nodes_all(64), UINT64_MAX);
	for (uint32_t n = 1; n <= NEM_NODES_MAX; n++)
		cr_assert_eq(__builtin_popcountll(nem_nodes_all(n)), n, "n=%u", n);
}

/* The largest clusters: every shape draws a valid grudge over all 63 or 64 nodes, whose
 * every node is cut from someone (but the bridge) and can be named in a nemesis value. */
Test(partition_shape, every_shape_holds_at_63_and_64_nodes)
{
	char buf[NEM_VALUE_BYTES_MAX];
	struct grudge g;

	for (uint32_t n = CLUSTER_NODES_MAX - 1; n <= CLUSTER_NODES_MAX; n++) {
		for (int shape = 0; shape < PARTITION_SHAPE_COUNT; shape++) {
			for (uint64_t seed = 0; seed < BIG_SEEDS; seed++) {
				uint64_t touched = 0;

				draw((enum partition_shape)shape, n, seed, &g);
				for (uint32_t i = 0; i < n; i++)
					touched |= g.blocked_from[i];
				cr_assert_eq(touched & ~nem_nodes_all(n), 0);
				cr_assert_geq(__builtin_popcountll(touched), n - 1, "n=%u %s", n,
					      partition_shape_name((enum partition_shape)shape));
				cr_assert_gt(grudge_describe(&g, names, buf, sizeof(buf)), 0);
			}
		}
	}
}

Test(partition_shape, isolate_cuts_exactly_one_node_from_the_rest)
{
	uint32_t small, large;
	struct grudge g;

	FOR_SIZES_AND_SEEDS(n, seed) {
		draw(PARTITION_SHAPE_ISOLATE, n, seed, &g);
		assert_two_sides(&g, &small, &large);
		cr_assert_eq(small, 1);
	}
}

Test(partition_shape, halves_split_into_floor_and_ceil)
{
	uint32_t small, large;
	struct grudge g;

	FOR_SIZES_AND_SEEDS(n, seed) {
		draw(PARTITION_SHAPE_HALVES, n, seed, &g);
		assert_two_sides(&g, &small, &large);
		cr_assert_eq(small, n / 2);
		cr_assert_eq(large, n - n / 2);
	}
}

Test(partition_shape, random_is_any_nontrivial_split)
{
	uint32_t small, large, seen = 0;
	struct grudge g;

	FOR_SIZES_AND_SEEDS(n, seed) {
		draw(PARTITION_SHAPE_RANDOM, n, seed, &g);
		assert_two_sides(&g, &small, &large);
		cr_assert_geq(small, 1);
		if (n == 9)
			seen |= 1u << small;
	}
	cr_assert_eq(seen, 0x1e, "n=9 draws every smaller side 1..4");
}

Test(partition_shape, bridge_has_exactly_one_node_hearing_both_sides)
{
	uint32_t comp[CLUSTER_NODES_MAX], bridges, middle = 0, i;
	struct grudge g, rest;

	FOR_SIZES_AND_SEEDS(n, seed) {
		draw(PARTITION_SHAPE_BRIDGE, n, seed, &g);
		bridges = 0;
		for (i = 0; i < n; i++) {
			if (!g.blocked_from[i]) {
				bridges++;
				middle = i;
			}
		}
		cr_assert_eq(bridges, 1, "n=%u seed=%lu", n, (unsigned long)seed);
		/* Without the bridge, the others form exactly two sides. */
		rest = g;
		for (i = 0; i < n; i++)
			rest.blocked_from[i] |= 1ull << middle;
		rest.blocked_from[middle] = nem_nodes_all(n) & ~(1ull << middle);
		cr_assert_eq(components(&rest, comp), 3);
		for (i = 0; i < n; i++) {
			if (i != middle)
				cr_assert(g.blocked_from[i],
					  "everyone but the bridge misses a side");
		}
	}
}

Test(partition_shape, majorities_ring_gives_each_node_its_own_majority)
{
	uint32_t i, j;
	struct grudge g;

	FOR_SIZES_AND_SEEDS(n, seed) {
		draw(PARTITION_SHAPE_MAJORITIES_RING, n, seed, &g);
		bool cut = false;

		for (i = 0; i < n; i++) {
			cr_assert_geq(__builtin_popcountll(view_of(&g, i)), n / 2 + 1);
			cr_assert(view_of(&g, i) & (1ull << i));
			cut |= g.blocked_from[i] != 0;
		}
		cr_assert(cut, "not fully connected");
		for (i = 0; n >= 5 && i < n; i++) {
			for (j = i + 1; j < n; j++)
				cr_assert_neq(view_of(&g, i), view_of(&g, j), "n=%u", n);
		}
	}
}

Test(partition_shape, majorities_ring_for_five_is_self_and_two_ring_neighbours)
{
	struct grudge g;

	for (uint64_t seed = 0; seed < SEEDS; seed++) {
		draw(PARTITION_SHAPE_MAJORITIES_RING, 5, seed, &g);
		for (uint32_t i = 0; i < 5; i++)
			cr_assert_eq(__builtin_popcountll(view_of(&g, i)), 3);
	}
}

Test(partition_shape, same_seed_same_grudge)
{
	struct prng a, b;
	struct grudge ga, gb;

	for (int shape = 0; shape < PARTITION_SHAPE_COUNT; shape++) {
		prng_init(&a, 42);
		prng_init(&b, 42);
		cr_assert_eq(partition_shape_grudge((enum partition_shape)shape, 7, &a, &ga), 0);
		cr_assert_eq(partition_shape_grudge((enum partition_shape)shape, 7, &b, &gb), 0);
		cr_assert_arr_eq(ga.blocked_from, gb.blocked_from, sizeof(ga.blocked_from));
	}
}

Test(partition_shape, too_few_nodes_is_einval)
{
	struct prng prng;
	struct grudge g;

	prng_init(&prng, 1);
	cr_assert_eq(partition_shape_grudge(PARTITION_SHAPE_HALVES, 1, &prng, &g), -EINVAL);
	cr_assert_eq(partition_shape_grudge(PARTITION_SHAPE_BRIDGE, 2, &prng, &g), -EINVAL);
	cr_assert_eq(partition_shape_grudge(PARTITION_SHAPE_MAJORITIES_RING, 2, &prng, &g),
		     -EINVAL);
	cr_assert_eq(partition_shape_grudge(PARTITION_SHAPE_ISOLATE, 2, &prng, &g), 0);
	cr_assert_eq(partition_shape_grudge(PARTITION_SHAPE_HALVES, CLUSTER_NODES_MAX + 1, &prng,
					    &g), -EINVAL);
	cr_assert_eq(partition_shape_grudge(PARTITION_SHAPE_HALVES, CLUSTER_NODES_MAX, &prng,
					    &g), 0);
}

Test(partition_shape, names_round_trip)
{
	for (int shape = 0; shape < PARTITION_SHAPE_COUNT; shape++)
		cr_assert_eq(partition_shape_parse(partition_shape_name(
				     (enum partition_shape)shape)), shape);
	cr_assert_eq(partition_shape_parse("majorities-ring"), PARTITION_SHAPE_MAJORITIES_RING);
	cr_assert_eq(partition_shape_parse("bogus"), -EINVAL);
	cr_assert_eq(partition_shape_parse(""), -EINVAL);
}

Test(partition_shape, describe_names_who_cannot_reach_whom)
{
	struct grudge g = { .node_count = 5, .shape = PARTITION_SHAPE_HALVES };
	char buf[512];
	ssize_t len;

	/* {n1,n2} | {n3,n4,n5} */
	g.blocked_from[0] = g.blocked_from[1] = 0x1c;
	g.blocked_from[2] = g.blocked_from[3] = g.blocked_from[4] = 0x03;
	cr_assert(grudge_check(&g));
	len = grudge_describe(&g, names, buf, sizeof(buf));
	cr_assert_str_eq(buf, "{\"shape\":\"halves\",\"cut\":{"
			 "\"n1\":[\"n3\",\"n4\",\"n5\"],\"n2\":[\"n3\",\"n4\",\"n5\"],"
			 "\"n3\":[\"n1\",\"n2\"],\"n4\":[\"n1\",\"n2\"],\"n5\":[\"n1\",\"n2\"]}}");
	cr_assert_eq(len, (ssize_t)strlen(buf));
	len = grudge_describe(NULL, NULL, buf, sizeof(buf));
	cr_assert_str_eq(buf, "{\"cut\":{}}");
	cr_assert_eq(grudge_describe(&g, names, buf, 20), -EMSGSIZE);
	cr_assert_str_eq(buf, "");
}

Test(partition_shape, describe_lists_only_cut_nodes_of_a_bridge)
{
	struct grudge g;
	struct prng prng;
	char buf[512];
	uint32_t listed = 0;

	prng_init(&prng, 7);
	cr_assert_eq(partition_shape_grudge(PARTITION_SHAPE_BRIDGE, 5, &prng, &g), 0);
	cr_assert_gt(grudge_describe(&g, names, buf, sizeof(buf)), 0);
	cr_assert(strstr(buf, "{\"shape\":\"bridge\",\"cut\":{") == buf);
	for (uint32_t i = 0; i < 5; i++) {
		char key[16];

		snprintf(key, sizeof(key), "\"%s\":[", names[i]);
		if (strstr(buf, key)) {
			listed++;
			cr_assert(g.blocked_from[i]);
		} else {
			cr_assert_eq(g.blocked_from[i], 0);
		}
	}
	cr_assert_eq(listed, 4);
}

Test(partition_shape, densest_grudge_fits_a_nemesis_value)
{
	struct grudge g;
	struct prng prng;
	char buf[NEM_VALUE_BYTES_MAX];

	prng_init(&prng, 3);
	cr_assert_eq(partition_shape_grudge(PARTITION_SHAPE_HALVES, CLUSTER_NODES_MAX, &prng, &g),
		     0);
	cr_assert_gt(grudge_describe(&g, names, buf, sizeof(buf)), 0);
}
