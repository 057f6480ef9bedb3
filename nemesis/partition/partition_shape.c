/* SPDX-License-Identifier: MIT */
/* partition_shape.c - grudges drawn from a seeded prng, after Jepsen's nemesis/combined.clj. */
#include "partition_shape.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fl_assert.h"
#include "nemesis.h"
#include "prng.h"

STATIC_ASSERT((int)CLUSTER_NODES_MAX <= (int)NEM_NODES_MAX, "a grudge row is one node set");

static const char *const shape_names[PARTITION_SHAPE_COUNT] = {
	[PARTITION_SHAPE_ISOLATE] = "isolate",
	[PARTITION_SHAPE_HALVES] = "halves",
	[PARTITION_SHAPE_BRIDGE] = "bridge",
	[PARTITION_SHAPE_MAJORITIES_RING] = "majorities-ring",
	[PARTITION_SHAPE_RANDOM] = "random",
};

int partition_shape_parse(const char *name)
{
	int i;

	ASSERT(name);
	for (i = 0; i < PARTITION_SHAPE_COUNT; i++) {
		if (!strcmp(name, shape_names[i]))
			return i;
	}
	return -EINVAL;
}

const char *partition_shape_name(enum partition_shape shape)
{
	ASSERT(shape < PARTITION_SHAPE_COUNT);
	return shape_names[shape];
}

static void block_pair(struct grudge *g, uint32_t a, uint32_t b)
{
	ASSERT(a != b);
	ASSERT(a < g->node_count && b < g->node_count);
	g->blocked_from[a] |= 1ull << b;
	g->blocked_from[b] |= 1ull << a;
}

static void shuffle(uint32_t *order, uint32_t n, struct prng *prng)
{
	uint32_t i, j, tmp;

	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {
		j = (uint32_t)prng_below(prng, (uint64_t)i + 1);
		tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
}

/* order[0 .. side_count-1] on one side, the rest on the other; nobody hears across. */
static void split(struct grudge *g, const uint32_t *order, uint32_t side_count)
{
	uint32_t i, j;

	ASSERT(side_count >= 1 && side_count < g->node_count);
	for (i = 0; i < side_count; i++) {
		for (j = side_count; j < g->node_count; j++)
			block_pair(g, order[i], order[j]);
	}
}

/* Jepsen's bridge: split at floor(n/2); the first node of the second half hears everyone. */
static void bridge(struct grudge *g, const uint32_t *order)
{
	uint32_t half = g->node_count / 2, middle = order[half], i;

	split(g, order, half);
	g->blocked_from[middle] = 0;
	for (i = 0; i < g->node_count; i++)
		g->blocked_from[i] &= ~(1ull << middle);
}

/*
 * Majorities ring, made symmetric: nodes on a random ring hear the nodes within distance d,
 * with d = ceil(floor(n/2) / 2), so each hears 2d + 1 >= floor(n/2) + 1 nodes (a majority)
 * and, as 2d + 1 < n for n >= 4, every node's view is a different arc. Jepsen's original
 * (windows of size majority, centred) is asymmetric for even majorities; we want every
 * partition symmetric. For n = 3 the ring loses one edge: a path, views {a,b} {a,b,c} {b,c}.
 */
static void majorities_ring(struct grudge *g, const uint32_t *order)
{
	uint32_t n = g->node_count, d = (n / 2 + 1) / 2, p, q, dist;

	if (n == 3) {
		block_pair(g, order[0], order[2]);
		return;
	}
	ASSERT(2 * d + 1 < n);
	for (p = 0; p < n; p++) {
		for (q = p + 1; q < n; q++) {
			dist = q - p < n - (q - p) ? q - p : n - (q - p);
			if (dist > d)
				block_pair(g, order[p], order[q]);
		}
	}
}

int partition_shape_grudge(enum partition_shape shape, uint32_t node_count, struct prng *prng,
			   struct grudge *out)
{
	uint32_t order[CLUSTER_NODES_MAX];
	uint32_t n = node_count;

	ASSERT(shape < PARTITION_SHAPE_COUNT);
	ASSERT(prng && out);
	if (n < 2 || n > CLUSTER_NODES_MAX)
		return -EINVAL;
	if (n < 3 && (shape == PARTITION_SHAPE_BRIDGE || shape == PARTITION_SHAPE_MAJORITIES_RING))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->node_count = n;
	out->shape = shape;
	shuffle(order, n, prng);
	switch (shape) {
	case PARTITION_SHAPE_ISOLATE:
		split(out, order, 1);
		break;
	case PARTITION_SHAPE_HALVES:
		split(out, order, n / 2);
		break;
	case PARTITION_SHAPE_BRIDGE:
		bridge(out, order);
		break;
	case PARTITION_SHAPE_MAJORITIES_RING:
		majorities_ring(out, order);
		break;
	case PARTITION_SHAPE_RANDOM:
		split(out, order, 1 + (uint32_t)prng_below(prng, n - 1));
		break;
	case PARTITION_SHAPE_COUNT:
		ASSERT(0);
	}
	ASSERT(grudge_check(out));
	return 0;
}

bool grudge_blocks(const struct grudge *grudge, uint32_t receiver, uint32_t sender)
{
	ASSERT(receiver < grudge->node_count);
	ASSERT(sender < grudge->node_count);
	return (grudge->blocked_from[receiver] >> sender) & 1;
}

bool grudge_check(const struct grudge *grudge)
{
	uint32_t i, j, n = grudge->node_count;

	if (n > CLUSTER_NODES_MAX || grudge->shape >= PARTITION_SHAPE_COUNT)
		return false;
	for (i = 0; i < CLUSTER_NODES_MAX; i++) {
		if (i >= n && grudge->blocked_from[i])
			return false;
		if (i < n && ((grudge->blocked_from[i] & ~nem_nodes_all(n)) ||
			      grudge_blocks(grudge, i, i)))
			return false;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			if (grudge_blocks(grudge, i, j) != grudge_blocks(grudge, j, i))
				return false;
		}
	}
	return true;
}

/* Bounded appender: remembers overflow instead of truncating silently. */
struct text {
	char *buf;
	size_t size, len;
	bool overflow;
};

static __attribute__((format(printf, 2, 3))) void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->size - t->len) {
		t->overflow = true;
		return;
	}
	t->len += (size_t)n;
}

ssize_t grudge_describe(const struct grudge *grudge, const char *const *names, char *buf,
			size_t size)
{
	struct text t = { .buf = buf, .size = size };
	uint32_t i, j, rows = 0, cols;

	ASSERT(buf && size > 0);
	buf[0] = '\0';
	if (grudge) {
		ASSERT(names);
		text_add(&t, "{\"shape\":\"%s\",", partition_shape_name(grudge->shape));
	} else {
		text_add(&t, "{");
	}
	text_add(&t, "\"cut\":{");
	for (i = 0; grudge && i < grudge->node_count; i++) {
		if (!grudge->blocked_from[i])
			continue;
		text_add(&t, "%s\"%s\":[", rows++ ? "," : "", names[i]);
		for (j = 0, cols = 0; j < grudge->node_count; j++) {
			if (grudge_blocks(grudge, i, j))
				text_add(&t, "%s\"%s\"", cols++ ? "," : "", names[j]);
		}
		text_add(&t, "]");
	}
	text_add(&t, "}}");
	if (t.overflow) {
		buf[0] = '\0';
		return -EMSGSIZE;
	}
	return (ssize_t)t.len;
}
