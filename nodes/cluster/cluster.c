/* SPDX-License-Identifier: MIT */
/* cluster.c - setup, teardown and accessors of the namespace cluster. */
#include "cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cluster_internal.h"
#include "errbuf.h"
#include "fl_assert.h"

STATIC_ASSERT(CLUSTER_NODES_MAX <= 253, "node addresses are 10.77.0.1 .. 10.77.0.253");
STATIC_ASSERT(CLUSTER_NAME_BYTES_MAX >= sizeof("n64"), "node names fit");

STATIC_ASSERT(CLUSTER_RUN_ID_CHARS_MAX < CLUSTER_NAME_BYTES_MAX, "a run id fits run_id[]");

enum { RUN_ID_CHARS_MAX = CLUSTER_RUN_ID_CHARS_MAX };

int cluster_run_id_check(const char *run_id, struct errbuf *eb)
{
	size_t len, i;

	if (!run_id)
		return errbuf_set(eb, -EINVAL, "run_id missing");
	len = strlen(run_id);
	if (len < 1 || len > RUN_ID_CHARS_MAX)
		return errbuf_set(eb, -EINVAL, "run_id '%s' must be 1..%d characters",
				  run_id, RUN_ID_CHARS_MAX);
	for (i = 0; i < len; i++) {
		char ch = run_id[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
			return errbuf_set(eb, -EINVAL, "run_id '%s' must be [a-z0-9]", run_id);
	}
	return 0;
}

static int opts_check(const struct cluster_opts *opts, struct errbuf *eb)
{
	if (opts->node_count < 1 || opts->node_count > CLUSTER_NODES_MAX)
		return errbuf_set(eb, -EINVAL, "node_count %u not in 1..%d", opts->node_count,
				  CLUSTER_NODES_MAX);
	return cluster_run_id_check(opts->run_id, eb);
}

struct cluster *cluster_alloc(const struct cluster_opts *opts)
{
	struct cluster *c;
	uint32_t i;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->node_count = opts->node_count;
	c->keep = opts->keep;
	c->owner_tid = (pid_t)syscall(SYS_gettid);
	memcpy(c->run_id, opts->run_id, strlen(opts->run_id) + 1);
	c->sw.fd = -1;
	for (i = 0; i < CLUSTER_NODES_MAX; i++) {
		c->nodes[i].ns.fd = -1;
		snprintf(c->nodes[i].name, sizeof(c->nodes[i].name), "n%u", i + 1);
	}
	return c;
}

static int namespaces_create(struct cluster *c, int home_fd, struct errbuf *eb)
{
	char path[CLUSTER_PATH_BYTES_MAX];
	uint32_t i;
	int err;

	snprintf(path, sizeof(path), CLUSTER_NETNS_DIR "/" CLUSTER_PREFIX "%s-sw", c->run_id);
	err = cluster_ns_create(&c->sw, home_fd, c->keep ? path : NULL, eb);
	for (i = 0; !err && i < c->node_count; i++) {
		snprintf(path, sizeof(path), CLUSTER_NETNS_DIR "/" CLUSTER_PREFIX "%s-%s",
			 c->run_id, c->nodes[i].name);
		err = cluster_ns_create(&c->nodes[i].ns, home_fd, c->keep ? path : NULL, eb);
	}
	return err;
}

int cluster_setup(struct cluster **out, const struct cluster_opts *opts, struct errbuf *eb)
{
	struct cluster *c;
	int err, home_fd;

	ASSERT(out);
	ASSERT(opts);
	*out = NULL;
	err = opts_check(opts, eb);
	if (err)
		return err;
	c = cluster_alloc(opts);
	if (!c)
		return errbuf_set(eb, -ENOMEM, "allocate cluster");
	err = cluster_ns_home_open(&home_fd, eb);
	if (err)
		goto out_free;
	err = namespaces_create(c, home_fd, eb);
	if (!err)
		err = cluster_topology_build(c, home_fd, eb);
	close(home_fd);
	if (!err)
		err = cluster_cgroups_create(c, eb);
	if (err)
		goto out_free;
	*out = c;
	return 0;
out_free:
	cluster_teardown(c, NULL);
	return errbuf_prefix(eb, err, "cluster setup: ");
}

uint32_t cluster_node_count(const struct cluster *c)
{
	ASSERT(c);
	return c->node_count;
}

const char *cluster_node_name(const struct cluster *c, uint32_t node)
{
	ASSERT(node < c->node_count);
	return c->nodes[node].name;
}

struct in_addr cluster_node_addr(const struct cluster *c, uint32_t node)
{
	struct in_addr addr;

	ASSERT(node < c->node_count);
	addr.s_addr = htonl((10u << 24) | (77u << 16) | (node + 1));
	return addr;
}

int cluster_switch_ns_fd(const struct cluster *c)
{
	ASSERT(c->sw.fd >= 0);
	return c->sw.fd;
}

int cluster_node_ns_fd(const struct cluster *c, uint32_t node)
{
	ASSERT(node < c->node_count);
	ASSERT(c->nodes[node].ns.fd >= 0);
	return c->nodes[node].ns.fd;
}

int cluster_port_ifindex(const struct cluster *c, uint32_t node)
{
	ASSERT(node < c->node_count);
	ASSERT(c->nodes[node].port_ifindex > 0);
	return c->nodes[node].port_ifindex;
}

const char *cluster_run_id(const struct cluster *c)
{
	ASSERT(c);
	return c->run_id;
}

int cluster_enter_switch(struct cluster *c, struct errbuf *eb)
{
	ASSERT(c->sw.fd >= 0);
	if (setns(c->sw.fd, CLONE_NEWNET))
		return errbuf_set(eb, -errno, "setns into switch namespace");
	return 0;
}

int cluster_teardown(struct cluster *c, struct errbuf *eb)
{
	int err, first = 0;
	uint32_t i;

	if (!c)
		return 0;
	if (c->attached)
		goto out_namespaces;    /* the owner kills, removes and unmounts, not us */
	err = cluster_node_kill_all(c, eb);
	if (err && !first)
		first = err;
	err = cluster_cgroups_remove(c, first ? NULL : eb);
	if (err && !first)
		first = err;
out_namespaces:
	for (i = 0; i < CLUSTER_NODES_MAX; i++) {
		err = cluster_ns_destroy(&c->nodes[i].ns, first ? NULL : eb);
		if (err && !first)
			first = err;
	}
	err = cluster_ns_destroy(&c->sw, first ? NULL : eb);
	if (err && !first)
		first = err;
	free(c);
	return first;
}
