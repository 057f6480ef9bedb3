/* SPDX-License-Identifier: MIT */
/* byzantine.c - "byzantine MODE" lines to replicas; the set it made Byzantine. */
#include "byzantine.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "line_conn.h"
#include "monotime.h"
#include "nem_value.h"
#include "prng.h"

enum { REPLY_BYTES_MAX = 256 };

/* Invariant: @cluster != NULL exactly between setup and teardown; @byzantine only holds
 * nodes below its node count. */
struct byz_nem {
	struct nemesis base;
	struct cluster *cluster;        /* borrowed */
	struct nem_byzantine_config config; /* the system's port and mode names, borrowed */
	uint32_t mode_count;            /* names in config.modes, "none" included */
	uint64_t byzantine;             /* made Byzantine by us, not made correct since */
	char reply[REPLY_BYTES_MAX];
};

static struct byz_nem *byz_of(struct nemesis *nem)
{
	struct byz_nem *b = container_of(nem, struct byz_nem, base);

	ASSERT(b->base.ops == &nem_byzantine_ops);
	return b;
}

static int byz_setup(struct nemesis *nem, struct cluster *cluster, struct errbuf *eb)
{
	struct byz_nem *b = byz_of(nem);

	(void)eb;
	ASSERT(cluster && !b->cluster);
	ASSERT(cluster_node_count(cluster) <= NEM_NODES_MAX);
	b->cluster = cluster;
	b->byzantine = 0;
	return 0;
}

/* One "byzantine MODE" exchange with @node. Return: 0 when it said ok; -errno. */
static int tell(struct byz_nem *b, uint32_t node, const char *mode, struct errbuf *eb)
{
	int64_t deadline = monotime_ns() + NEM_BYZANTINE_TIMEOUT_NS;
	struct line_conn conn;
	char line[64];
	int n = snprintf(line, sizeof(line), "byzantine %s\n", mode);
	ssize_t got;
	int err;

	ASSERT(n > 0 && (size_t)n < sizeof(line));
	line_conn_init(&conn, b->config.port, b->reply, sizeof(b->reply));
	err = line_conn_open(&conn, cluster_node_addr(b->cluster, node), deadline, eb);
	if (err == 0)
		err = line_conn_send(&conn, line, (size_t)n, deadline);
	got = err == 0 ? line_conn_recv(&conn, deadline) : err;
	line_conn_close(&conn);
	if (got < 0)
		return errbuf_set(eb, (int)got, "byzantine %s on %s: %s", mode,
				  cluster_node_name(b->cluster, node), strerror((int)-got));
	if (!strstr(b->reply, "\"ok\":true"))
		return errbuf_set(eb, -EPROTO, "byzantine %s on %s: %s", mode,
				  cluster_node_name(b->cluster, node), b->reply);
	return 0;
}

/* Sends @modes (indices) to @nodes; fills the value's map and failures. */
static int switch_nodes(struct byz_nem *b, uint64_t nodes, const uint8_t *modes, bool start,
			struct nem_value *w, struct errbuf *eb)
{
	uint32_t count = cluster_node_count(b->cluster);
	uint64_t failed = 0, done = 0;
	int first = 0;

	nem_value_put(w, start ? "{\"byzantine\":{" : "{");
	for (uint32_t i = 0; i < count; i++) {
		const char *mode = !start ? b->config.modes[0]
				   : modes[i] < b->mode_count ? b->config.modes[modes[i]] : NULL;
		int err;

		if (!(nodes & (1ull << i)))
			continue;
		err = mode ? tell(b, i, mode, first ? NULL : eb) : -EINVAL;
		if (err < 0) {
			failed |= 1ull << i;
			first = first ? first : err;
			continue;
		}
		done |= 1ull << i;
		if (start)
			nem_value_put(w, "%s\"%s\":\"%s\"", done & ((1ull << i) - 1) ? "," : "",
				      cluster_node_name(b->cluster, i), mode);
	}
	if (start) {
		nem_value_put(w, "}");
		b->byzantine |= done;
	} else {
		nem_value_nodes(w, b->cluster, "correct", done);
		b->byzantine &= ~done;
	}
	if (failed) {
		nem_value_put(w, ",");
		nem_value_nodes(w, b->cluster, "failed", failed);
	}
	nem_value_put(w, "}");
	return first;
}

static int byz_invoke(struct nemesis *nem, const struct nem_request *request,
		      struct prng *prng, struct nem_completion *completion, struct errbuf *eb)
{
	struct byz_nem *b = byz_of(nem);
	uint32_t count = cluster_node_count(b->cluster);
	uint64_t all = nem_nodes_all(count), nodes = request->params ? request->params->nodes : 0;
	uint8_t modes[NEM_NODES_MAX] = { 0 };
	bool start = strcmp(request->f, "start-byzantine") == 0;
	struct nem_value w;

	if (!start && strcmp(request->f, "stop-byzantine") != 0)
		return errbuf_set(eb, -EINVAL, "byzantine: unknown f '%s'", request->f);
	if (nodes & ~all)
		return errbuf_set(eb, -EINVAL, "byzantine: node set past the cluster");
	if (start && nodes) {
		memcpy(modes, request->params->modes, sizeof(modes));
	} else if (start) {
		uint32_t node = (uint32_t)prng_below(prng, count);

		nodes = 1ull << node;
		modes[node] = (uint8_t)(1 + prng_below(prng, b->mode_count - 1));
	} else if (!nodes) {
		nodes = b->byzantine;
	}
	nem_value_init(&w, completion);
	return switch_nodes(b, nodes, modes, start, &w, eb);
}

static int byz_teardown(struct nemesis *nem, struct errbuf *eb)
{
	struct byz_nem *b = byz_of(nem);
	struct nem_completion scratch;
	struct nem_value w;
	int err = 0;

	if (!b->cluster)
		return 0;
	nem_value_init(&w, &scratch);
	if (b->byzantine)
		err = switch_nodes(b, b->byzantine, NULL, false, &w, eb);
	b->cluster = NULL;
	b->byzantine = 0;
	return err;
}

static void nem_byzantine_free(struct nemesis *nem);

const struct nemesis_ops nem_byzantine_ops = {
	.name = "byzantine",
	.fs = NEM_F_BYZANTINE,
	.setup = byz_setup,
	.invoke = byz_invoke,
	.teardown = byz_teardown,
	.free = nem_byzantine_free,
};

int nem_byzantine_new(struct nemesis **out, const struct nem_byzantine_config *config,
		      struct errbuf *eb)
{
	struct byz_nem *b;
	uint32_t count = 0;

	while (config->modes[count])
		count++;
	if (count < 2 || count > NEM_BYZANTINE_MODES_MAX || config->port == 0)
		return errbuf_set(eb, -EINVAL, "byzantine: %u modes (expected 2..%d with the "
				  "correct one first) on port %u", count, NEM_BYZANTINE_MODES_MAX,
				  config->port);
	b = calloc(1, sizeof(*b));
	if (!b)
		return errbuf_set(eb, -ENOMEM, "out of memory for the byzantine nemesis");
	b->base.ops = &nem_byzantine_ops;
	b->config = *config;
	b->mode_count = count;
	*out = &b->base;
	return 0;
}

static void nem_byzantine_free(struct nemesis *nem)
{
	if (!nem)
		return;
	(void)byz_teardown(nem, NULL);
	free(byz_of(nem));
}
