/* SPDX-License-Identifier: MIT */
/* churn.c - membership churn on a ring overlay: crash, leave and join, each one known. */
#include "churn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "line_conn.h"
#include "monotime.h"
#include "nem_value.h"
#include "prng.h"

enum node_state { NODE_MEMBER = 1, NODE_IDLE, NODE_DOWN };

/* Invariant: @cluster != NULL exactly between setup and teardown; order[] lists every node
 * by rising id; state[] is what the last op left each node as. */
struct churn_nem {
	struct nemesis base;
	struct cluster *cluster;        /* borrowed */
	struct nem_churn_config config;
	uint64_t ids[NEM_NODES_MAX];
	uint32_t order[NEM_NODES_MAX];  /* node numbers by rising id */
	uint32_t rank[NEM_NODES_MAX];   /* rank[node]: its place in order[] */
	uint8_t state[NEM_NODES_MAX];
	int64_t removed_ns[NEM_NODES_MAX];      /* when it last crashed or left; 0: never */
	int32_t last_removed;           /* -1: none yet */
	char reply[NEM_CHURN_STATE_BYTES_MAX];
};

static struct churn_nem *churn_of(struct nemesis *nem)
{
	struct churn_nem *c = container_of(nem, struct churn_nem, base);

	ASSERT(c->base.ops == &nem_churn_ops);
	return c;
}

static int churn_setup(struct nemesis *nem, struct cluster *cluster, struct errbuf *eb)
{
	struct churn_nem *c = churn_of(nem);

	ASSERT(cluster && !c->cluster);
	if (cluster_node_count(cluster) != c->config.node_count)
		return errbuf_set(eb, -EINVAL, "churn: %u nodes in the cluster, %u configured",
				  cluster_node_count(cluster), c->config.node_count);
	c->cluster = cluster;
	for (uint32_t i = 0; i < c->config.node_count; i++) {
		c->state[i] = i + c->config.spares < c->config.node_count ? NODE_MEMBER : NODE_IDLE;
		c->removed_ns[i] = 0;
	}
	c->last_removed = -1;
	return 0;
}

static int churn_teardown(struct nemesis *nem, struct errbuf *eb)
{
	(void)eb;
	churn_of(nem)->cluster = NULL;
	return 0;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };

	nanosleep(&ts, NULL);
}

/* One line to @node and its reply into c->reply. Return: 0 or -errno (@eb says why). */
static int tell(struct churn_nem *c, uint32_t node, const char *line, struct errbuf *eb)
{
	int64_t deadline = monotime_ns() + NEM_CHURN_LINE_TIMEOUT_NS;
	struct line_conn conn;
	ssize_t got;
	int err;

	line_conn_init(&conn, c->config.port, c->reply, sizeof(c->reply));
	err = line_conn_open(&conn, cluster_node_addr(c->cluster, node), deadline, eb);
	if (err == 0)
		err = line_conn_send(&conn, line, strlen(line), deadline);
	if (err == 0) {
		got = line_conn_recv(&conn, deadline);
		err = got < 0 ? (int)got : 0;
	}
	line_conn_close(&conn);
	if (err < 0 && !eb->msg[0])
		errbuf_set(eb, err, "%s: %s", cluster_node_name(c->cluster, node), strerror(-err));
	return err;
}

static bool gone(const struct churn_nem *c, uint32_t node, int64_t now)
{
	return c->state[node] != NODE_MEMBER && c->removed_ns[node] != 0 &&
	       now - c->removed_ns[node] < c->config.settle_ns;
}

static uint32_t member_count(const struct churn_nem *c)
{
	uint32_t m = 0;

	for (uint32_t i = 0; i < c->config.node_count; i++)
		m += c->state[i] == NODE_MEMBER;
	return m;
}

/*
 * Zave's failure assumption for removing member @v now: at least r+1 members stay, and every
 * other member keeps a live node among the r that may head its successor list (members and
 * nodes removed within settle_ns, which a list may still hold).
 */
static bool removable(const struct churn_nem *c, uint32_t v, int64_t now)
{
	uint32_t n = c->config.node_count;

	if (member_count(c) < c->config.succ_list + 2)
		return false;
	if (c->config.unsafe)
		return true;
	for (uint32_t x = 0; x < n; x++) {
		uint32_t seen = 0, live = 0;

		if (x == v || c->state[x] != NODE_MEMBER)
			continue;
		for (uint32_t k = 1; k < n && seen < c->config.succ_list; k++) {
			uint32_t y = c->order[(c->rank[x] + k) % n];
			bool dead = y == v || gone(c, y, now);

			if (!dead && c->state[y] != NODE_MEMBER)
				continue;       /* never in its list */
			seen++;
			live += !dead;
		}
		if (seen > 0 && live == 0)
			return false;
	}
	return true;
}

/* The node whose id is @id, or -1. */
static int32_t node_of_id(const struct churn_nem *c, uint64_t id)
{
	for (uint32_t i = 0; i < c->config.node_count; i++) {
		if (c->ids[i] == id)
			return (int32_t)i;
	}
	return -1;
}

/*
 * Each member's successor list as it says ("state": "succ":[{"id":ID,...},...]), as node
 * bits into @lists; a member that does not answer, or answers no list, gets 0 (nothing
 * live in it, so nothing may go). A partition makes nodes forget live successors, so the
 * lists can be shorter than the ring says: Zave's assumption is about these lists.
 */
static void read_lists(struct churn_nem *c, uint64_t *lists)
{
	for (uint32_t x = 0; x < c->config.node_count; x++) {
		struct errbuf eb = { "" };
		const char *at, *end_of_list;

		lists[x] = 0;
		if (c->state[x] != NODE_MEMBER || tell(c, x, "state\n", &eb) < 0)
			continue;
		at = strstr(c->reply, "\"succ\":[");
		end_of_list = at ? strchr(at, ']') : NULL;
		/* Bounded by the reply: each pass moves past one "id". */
		while (end_of_list && (at = strstr(at, "\"id\":")) && at < end_of_list) {
			char *end;
			uint64_t id = strtoull(at + 5, &end, 10);
			int32_t y = node_of_id(c, id);

			if (y >= 0)
				lists[x] |= 1ull << y;
			at = end;
		}
	}
}

/* No member is left with nothing live in its own list by the removal of @v. */
static bool lists_allow(const struct churn_nem *c, const uint64_t *lists, uint32_t v,
			int64_t now)
{
	uint64_t live = 0;

	for (uint32_t y = 0; y < c->config.node_count; y++) {
		if (c->state[y] == NODE_MEMBER && y != v && !gone(c, y, now))
			live |= 1ull << y;
	}
	for (uint32_t x = 0; x < c->config.node_count; x++) {
		if (x != v && c->state[x] == NODE_MEMBER && !(lists[x] & live))
			return false;
	}
	return true;
}

/* A node drawn from the bits of @set, which is not empty. */
static uint32_t draw(struct prng *prng, uint64_t set)
{
	uint32_t count = (uint32_t)__builtin_popcountll(set), k = (uint32_t)prng_below(prng, count);

	for (uint32_t i = 0; i < NEM_NODES_MAX; i++) {
		if ((set & (1ull << i)) && k-- == 0)
			return i;
	}
	ASSERT(false);
	return 0;
}

static void removed(struct churn_nem *c, uint32_t node, uint8_t state, int64_t now)
{
	c->state[node] = state;
	c->removed_ns[node] = now;
	c->last_removed = (int32_t)node;
}

static int remove_member(struct churn_nem *c, bool crash, struct prng *prng,
			 struct nem_value *w, struct errbuf *eb)
{
	int64_t now = monotime_ns();
	uint64_t set = 0, one = 1;
	struct errbuf why = { "" };
	uint64_t lists[NEM_NODES_MAX];
	uint32_t v;
	int err;

	if (!c->config.unsafe)
		read_lists(c, lists);
	for (uint32_t i = 0; i < c->config.node_count; i++) {
		if (c->state[i] == NODE_MEMBER && removable(c, i, now) &&
		    (c->config.unsafe || lists_allow(c, lists, i, now)))
			set |= one << i;
	}
	if (!set) {
		nem_value_put(w, "{\"noop\":\"no member can go: %s\"}",
			      c->config.unsafe ? "r+1 must stay" : "r+1 must stay, and every "
			      "member keeps a live successor (Zave's failure assumption)");
		return 0;
	}
	v = draw(prng, set);
	if (crash && c->config.unsafe && c->last_removed >= 0 && prng_chance(prng, 0.5)) {
		uint32_t n = c->config.node_count, from = c->rank[c->last_removed];

		for (uint32_t k = 1; k < n; k++) {
			uint32_t y = c->order[(from + k) % n];

			if (c->state[y] == NODE_MEMBER) {
				v = set & (one << y) ? y : v;
				break;
			}
		}
	}
	if (!crash && tell(c, v, "leave\n", &why) == 0 && strncmp(c->reply, "ok", 2) == 0) {
		removed(c, v, NODE_IDLE, now);
		nem_value_put(w, "{");
		nem_value_nodes(w, c->cluster, "left", one << v);
		nem_value_put(w, "}");
		return 0;
	}
	err = cluster_node_kill(c->cluster, v, eb);
	if (err < 0)
		return err;     /* its membership is not known: the error says so */
	removed(c, v, NODE_DOWN, now);
	nem_value_put(w, "{");
	nem_value_nodes(w, c->cluster, "crashed", one << v);
	if (!crash)
		nem_value_put(w, ",\"why\":\"leave: %s\"", why.msg[0] ? why.msg : c->reply);
	nem_value_put(w, "}");
	return 0;
}

/* Ask "state" until @node says it is a member, or @deadline passes. */
static bool joined_by(struct churn_nem *c, uint32_t node, int64_t deadline)
{
	do {
		struct errbuf eb = { "" };

		if (tell(c, node, "state\n", &eb) == 0 && strstr(c->reply, "\"joined\":true"))
			return true;
		sleep_ns(NEM_CHURN_POLL_NS);
	} while (monotime_ns() < deadline);
	return false;
}

/* "join" to @node until it says ok (a restarted process may not listen yet). */
static int ask_join(struct churn_nem *c, uint32_t node, int64_t deadline, struct errbuf *eb)
{
	int err;

	do {
		eb->msg[0] = '\0';
		err = tell(c, node, "join\n", eb);
		if (err == 0)
			return strncmp(c->reply, "ok", 2) == 0 ? 0 : -EPROTO;
		sleep_ns(NEM_CHURN_POLL_NS);
	} while (monotime_ns() < deadline);
	return err;
}

static int add_node(struct churn_nem *c, struct prng *prng, struct nem_value *w,
		    struct errbuf *eb)
{
	uint32_t target = c->config.node_count - c->config.spares, v;
	uint64_t set = 0, one = 1;
	struct errbuf why = { "" };
	bool restarted = false;
	int64_t deadline;
	int err;

	for (uint32_t i = 0; i < c->config.node_count; i++) {
		if (c->state[i] != NODE_MEMBER)
			set |= one << i;
	}
	if (member_count(c) >= target || !set) {
		nem_value_put(w, "{\"noop\":\"the ring has its %u members\"}", member_count(c));
		return 0;
	}
	v = draw(prng, set);
	if (c->state[v] == NODE_DOWN) {
		err = c->config.restart(c->config.restart_ctx, v, eb);
		if (err < 0)
			return err;     /* the process may or may not run: the error says so */
		c->state[v] = NODE_IDLE;
		restarted = true;
	}
	deadline = monotime_ns() + c->config.join_wait_ns;
	if (ask_join(c, v, deadline, &why) == 0 && joined_by(c, v, deadline)) {
		c->state[v] = NODE_MEMBER;
		nem_value_put(w, "{");
		nem_value_nodes(w, c->cluster, "joined", one << v);
		nem_value_put(w, "%s}", restarted ? ",\"restarted\":true" : "");
		return 0;
	}
	nem_value_put(w, "{");
	nem_value_nodes(w, c->cluster, "join-failed", one << v);
	if (tell(c, v, "leave\n", &why) < 0 || strncmp(c->reply, "ok", 2) != 0) {
		err = cluster_node_kill(c->cluster, v, eb);
		if (err < 0)
			return err;
		c->state[v] = NODE_DOWN;
		nem_value_put(w, ",");
		nem_value_nodes(w, c->cluster, "crashed", one << v);
	}
	nem_value_put(w, "}");
	return 0;
}

static int churn_invoke(struct nemesis *nem, const struct nem_request *request,
			struct prng *prng, struct nem_completion *completion, struct errbuf *eb)
{
	struct churn_nem *c = churn_of(nem);
	struct nem_value w;

	ASSERT(c->cluster);
	nem_value_init(&w, completion);
	if (strcmp(request->f, "crash") == 0 || strcmp(request->f, "leave") == 0)
		return remove_member(c, request->f[0] == 'c', prng, &w, eb);
	if (strcmp(request->f, "join") == 0)
		return add_node(c, prng, &w, eb);
	return errbuf_set(eb, -EINVAL, "churn: unknown f '%s'", request->f);
}

static void churn_free(struct nemesis *nem)
{
	free(churn_of(nem));
}

const struct nemesis_ops nem_churn_ops = {
	.name = "churn",
	.fs = NEM_F_CHURN,
	.setup = churn_setup,
	.invoke = churn_invoke,
	.teardown = churn_teardown,
	.free = churn_free,
};

int nem_churn_new(struct nemesis **out, const struct nem_churn_config *config,
		  struct errbuf *eb)
{
	struct churn_nem *c;
	uint32_t n = config->node_count;

	*out = NULL;
	if (n < 2 || n > NEM_NODES_MAX || config->spares >= n || config->succ_list < 1 ||
	    !config->ids || !config->restart || config->join_wait_ns <= 0)
		return errbuf_set(eb, -EINVAL, "churn: bad config (%u nodes, %u spares, r %u)", n,
				  config->spares, config->succ_list);
	c = calloc(1, sizeof(*c));
	if (!c)
		return errbuf_set(eb, -ENOMEM, "churn: out of memory");
	c->base.ops = &nem_churn_ops;
	c->config = *config;
	memcpy(c->ids, config->ids, n * sizeof(config->ids[0]));
	c->config.ids = c->ids;
	/* Insertion sort by id: at most NEM_NODES_MAX nodes, once. */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = i;

		while (k > 0 && c->ids[c->order[k - 1]] > c->ids[i]) {
			c->order[k] = c->order[k - 1];
			k--;
		}
		c->order[k] = i;
	}
	for (uint32_t k = 0; k < n; k++) {
		if (k > 0 && c->ids[c->order[k]] == c->ids[c->order[k - 1]]) {
			int err = errbuf_set(eb, -EINVAL, "churn: two nodes share id %llu",
					     (unsigned long long)c->ids[c->order[k]]);

			free(c);
			return err;
		}
		c->rank[c->order[k]] = k;
	}
	c->last_removed = -1;
	*out = &c->base;
	return 0;
}
