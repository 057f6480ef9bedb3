/* SPDX-License-Identifier: MIT */
/* partition.c - loader of fl_partition and the "partition" nemesis. */
#include "partition.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "partition.skel.h"
#include "partition_internal.h"
#include "partition_shared.h"
#include "prng.h"

STATIC_ASSERT(FL_PARTITION_BLOCKED_MAX >= CLUSTER_NODES_MAX * CLUSTER_NODES_MAX,
	      "the blocked map holds every directed pair");
STATIC_ASSERT(sizeof(struct fl_partition_key) == 8, "key has no padding");

enum {
	TCX_INGRESS = 46,               /* BPF_TCX_INGRESS; absent from Debian 12's uapi */
	TC_HANDLE = 1,
	TC_PRIORITY = 0x4c46,           /* "FL": our filter's slot when tcx is missing */
	SHAPE_NAME_BYTES_MAX = 32,
};

static struct nem_partition *partition_of(struct nemesis *nem)
{
	ASSERT(nem && nem->ops == &nem_partition_ops);
	return container_of(nem, struct nem_partition, base);
}

static int libbpf_print_cb(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	log_debug("libbpf: %s", line);
	return 0;
}

int nem_partition_new(struct nemesis **out, struct errbuf *eb)
{
	struct nem_partition *p;
	uint32_t i;

	ASSERT(out);
	p = calloc(1, sizeof(*p));
	if (!p)
		return errbuf_set(eb, -ENOMEM, "allocate partition nemesis");
	p->base.ops = &nem_partition_ops;
	for (i = 0; i < CLUSTER_NODES_MAX; i++)
		p->ports[i].link_fd = -1;
	libbpf_set_print(libbpf_print_cb);
	*out = &p->base;
	return 0;
}

static void nem_partition_free(struct nemesis *nem)
{
	if (!nem)
		return;
	nem_teardown(nem, NULL);
	free(partition_of(nem));
}

static int tc_attach(struct port *port, int prog_fd, struct errbuf *eb)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = port->ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIORITY,
		    .prog_fd = prog_fd);
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return errbuf_set(eb, err, "create clsact on ifindex %d", port->ifindex);
	port->hook_created = !err;      /* -EEXIST: someone else's hook, not ours to destroy */
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		if (port->hook_created)
			bpf_tc_hook_destroy(&hook);
		port->hook_created = false;
		return errbuf_set(eb, err, "tc attach on ifindex %d", port->ifindex);
	}
	port->tc_attached = true;
	return 0;
}

static void tc_detach(struct port *port)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = port->ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIORITY);

	if (port->tc_attached)
		bpf_tc_detach(&hook, &opts);
	if (port->hook_created) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	port->tc_attached = false;
	port->hook_created = false;
}

/* In the switch namespace: a tcx link if the kernel has tcx, else a cls_bpf filter. */
static int port_attach(struct port *port, int prog_fd, struct errbuf *eb)
{
	int fd;

	fd = bpf_link_create(prog_fd, port->ifindex, (enum bpf_attach_type)TCX_INGRESS, NULL);
	if (fd >= 0) {
		port->link_fd = fd;
		return 0;
	}
	if (fd != -EINVAL)
		return errbuf_set(eb, fd, "tcx link on ifindex %d", port->ifindex);
	return tc_attach(port, prog_fd, eb);
}

static void port_detach(struct port *port)
{
	if (port->link_fd >= 0)
		close(port->link_fd);
	port->link_fd = -1;
	tc_detach(port);
}

/* Runs @attach (true) or detach over all ports inside the switch namespace, then returns. */
static int ports_in_switch(struct nem_partition *p, bool attach, struct errbuf *eb)
{
	int err = 0, home_fd, prog_fd, back;
	uint32_t i;

	home_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home_fd < 0)
		return errbuf_set(eb, -errno, "open /proc/thread-self/ns/net");
	if (setns(cluster_switch_ns_fd(p->cluster), CLONE_NEWNET)) {
		err = errbuf_set(eb, -errno, "setns into switch namespace");
		goto out;
	}
	prog_fd = bpf_program__fd(p->skel->progs.fl_partition);
	for (i = 0; attach && !err && i < cluster_node_count(p->cluster); i++) {
		p->ports[i].ifindex = cluster_port_ifindex(p->cluster, i);
		err = port_attach(&p->ports[i], prog_fd, eb);
		if (!err)
			p->port_count = i + 1;
	}
	for (i = 0; !attach && i < p->port_count; i++)
		port_detach(&p->ports[i]);
	if (!attach)
		p->port_count = 0;
	back = setns(home_fd, CLONE_NEWNET);
	ASSERT(back == 0);      /* else this thread would stay in the switch namespace */
out:
	close(home_fd);
	return err;
}

struct fl_partition_key partition_pair_key(const struct nem_partition *p, uint32_t receiver,
					   uint32_t sender)
{
	struct fl_partition_key key = {
		.saddr = cluster_node_addr(p->cluster, sender).s_addr,
		.daddr = cluster_node_addr(p->cluster, receiver).s_addr,
	};

	return key;
}

/* Makes the map entry for (sender -> receiver) match @want, and @current with it. */
static int pair_set(struct nem_partition *p, uint32_t receiver, uint32_t sender, bool want,
		    struct errbuf *eb)
{
	struct fl_partition_key key = partition_pair_key(p, receiver, sender);
	int map_fd = bpf_map__fd(p->skel->maps.blocked);
	uint32_t one = 1;
	int err;

	if (want)
		err = bpf_map_update_elem(map_fd, &key, &one, BPF_ANY);
	else
		err = bpf_map_delete_elem(map_fd, &key);
	if (err && !(err == -ENOENT && !want))
		return errbuf_set(eb, err, "%s %s -> %s in the blocked map",
				  want ? "add" : "delete", p->names[sender], p->names[receiver]);
	if (want)
		p->current.blocked_from[receiver] |= 1ull << sender;
	else
		p->current.blocked_from[receiver] &= ~(1ull << sender);
	return 0;
}

/* Two passes: deletions first, so the set never holds more than the old or the new one. */
static int blocked_set(struct nem_partition *p, const uint64_t *want_from, struct errbuf *eb)
{
	uint32_t n = p->current.node_count, pass, i, j;
	uint64_t change;
	int err;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			change = pass == 0 ? p->current.blocked_from[i] & ~want_from[i]
					   : want_from[i] & ~p->current.blocked_from[i];
			for (j = 0; change && j < n; j++) {
				if (!((change >> j) & 1))
					continue;
				err = pair_set(p, i, j, pass == 1, eb);
				if (err)
					return err;
			}
		}
	}
	return 0;
}

int nem_partition_apply(struct nemesis *nem, const struct grudge *grudge, struct errbuf *eb)
{
	struct nem_partition *p = partition_of(nem);
	int err;

	ASSERT(p->skel);
	ASSERT(grudge_check(grudge));
	ASSERT(grudge->node_count == p->current.node_count);
	err = blocked_set(p, grudge->blocked_from, eb);
	if (err)
		return err;
	p->current.shape = grudge->shape;
	ASSERT(!memcmp(p->current.blocked_from, grudge->blocked_from,
		       sizeof(grudge->blocked_from)));
	return 0;
}

int nem_partition_heal(struct nemesis *nem, struct errbuf *eb)
{
	static const uint64_t none[CLUSTER_NODES_MAX];
	struct nem_partition *p = partition_of(nem);
	int err;

	ASSERT(p->skel);
	err = blocked_set(p, none, eb);
	if (err)
		return err;
	ASSERT(!memcmp(p->current.blocked_from, none, sizeof(none)));
	return 0;
}

int nem_partition_drops(const struct nemesis *nem, uint64_t *drops, struct errbuf *eb)
{
	struct nem_partition_counters counters;
	int err;

	ASSERT(drops);
	err = nem_partition_counters(nem, &counters, eb);
	if (!err)
		*drops = counters.drops;
	return err;
}

int nem_partition_counters(const struct nemesis *nem, struct nem_partition_counters *out,
			   struct errbuf *eb)
{
	static const uint32_t index[] = { FL_PARTITION_COUNTER_DROPS, FL_PARTITION_COUNTER_LOSS,
					  FL_PARTITION_COUNTER_DUPS, FL_PARTITION_COUNTER_TYPED };
	uint64_t *field[] = { &out->drops, &out->losses, &out->dups, &out->typed };
	const struct nem_partition *p;
	int err;

	STATIC_ASSERT(ARRAY_SIZE(index) == FL_PARTITION_COUNTERS, "every counter is read");
	ASSERT(nem && nem->ops == &nem_partition_ops);
	ASSERT(out);
	p = container_of(nem, struct nem_partition, base);
	ASSERT(p->skel);
	for (size_t i = 0; i < ARRAY_SIZE(index); i++) {
		err = bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.drops), &index[i], field[i]);
		if (err)
			return errbuf_set(eb, err, "read counter %u", index[i]);
	}
	return 0;
}

static int partition_teardown(struct nemesis *nem, struct errbuf *eb)
{
	struct nem_partition *p = partition_of(nem);
	int err = 0, detach_err;

	if (!p->skel)
		return 0;
	if (p->cluster)
		err = nem_partition_heal(nem, eb);
	if (p->cluster && !err)
		err = partition_lossy_heal(p, eb);
	detach_err = ports_in_switch(p, false, err ? NULL : eb);
	if (!err)
		err = detach_err;
	partition_bpf__destroy(p->skel);
	p->skel = NULL;
	p->cluster = NULL;
	ASSERT(p->port_count == 0);
	return err;
}

static int partition_setup(struct nemesis *nem, struct cluster *cluster, struct errbuf *eb)
{
	struct nem_partition *p = partition_of(nem);
	uint32_t i;
	int err;

	ASSERT(cluster);
	ASSERT(!p->skel);
	p->skel = partition_bpf__open();
	if (!p->skel)
		return errbuf_set(eb, -errno, "open fl_partition skeleton");
	err = partition_bpf__load(p->skel);
	if (err) {
		partition_bpf__destroy(p->skel);
		p->skel = NULL;
		return errbuf_set(eb, err, "load fl_partition (needs CAP_BPF)");
	}
	p->cluster = cluster;
	memset(&p->current, 0, sizeof(p->current));
	memset(p->lossy, 0, sizeof(p->lossy));
	p->current.node_count = cluster_node_count(cluster);
	for (i = 0; i < p->current.node_count; i++)
		p->names[i] = cluster_node_name(cluster, i);
	err = ports_in_switch(p, true, eb);
	if (err) {
		partition_teardown(nem, NULL);
		return errbuf_prefix(eb, err, "partition setup: ");
	}
	return 0;
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

/*
 * The request arg is JSON text: a string naming a shape, or null/absent for a random shape.
 * A tiny hand parser, because invoke must not allocate (jansson would).
 */
static int shape_from_arg(const char *arg, uint32_t node_count, struct prng *prng,
			  struct errbuf *eb)
{
	char name[SHAPE_NAME_BYTES_MAX];
	const char *s, *end;
	int shape;

	s = arg ? skip_space(arg) : "null";
	if (!strncmp(s, "null", 4) && !*skip_space(s + 4)) {
		do {
			shape = (int)prng_below(prng, PARTITION_SHAPE_COUNT);
		} while (node_count < 3 && (shape == PARTITION_SHAPE_BRIDGE ||
					    shape == PARTITION_SHAPE_MAJORITIES_RING));
		return shape;
	}
	end = *s == '"' ? strchr(s + 1, '"') : NULL;
	if (!end || *skip_space(end + 1) || (size_t)(end - s - 1) >= sizeof(name))
		return errbuf_set(eb, -EINVAL, "start-partition arg %s: want a JSON string", arg);
	memcpy(name, s + 1, (size_t)(end - s - 1));
	name[end - s - 1] = '\0';
	shape = partition_shape_parse(name);
	if (shape < 0)
		return errbuf_set(eb, -EINVAL, "unknown partition shape '%s'", name);
	return shape;
}

static int partition_start(struct nem_partition *p, const struct nem_request *request,
			   struct prng *prng, struct nem_completion *completion,
			   struct errbuf *eb)
{
	uint32_t n = p->current.node_count;
	struct grudge grudge;
	ssize_t len;
	int shape, err;

	shape = shape_from_arg(request->arg, n, prng, eb);
	if (shape < 0)
		return shape;
	err = partition_shape_grudge((enum partition_shape)shape, n, prng, &grudge);
	if (err)
		return errbuf_set(eb, err, "shape %s needs more than %u nodes",
				  partition_shape_name((enum partition_shape)shape), n);
	err = nem_partition_apply(&p->base, &grudge, eb);
	if (err)
		return err;
	len = grudge_describe(&grudge, p->names, completion->value, sizeof(completion->value));
	ASSERT(len > 0);        /* NEM_VALUE_BYTES_MAX holds the densest 64-node grudge */
	return 0;
}

static int partition_invoke(struct nemesis *nem, const struct nem_request *request,
			    struct prng *prng, struct nem_completion *completion,
			    struct errbuf *eb)
{
	struct nem_partition *p = partition_of(nem);
	ssize_t len;
	int err;

	ASSERT(request && request->f);
	ASSERT(prng && completion);
	if (!p->skel)
		return errbuf_set(eb, -EINVAL, "partition nemesis is not set up");
	if (!strcmp(request->f, "start-partition"))
		return partition_start(p, request, prng, completion, eb);
	if (partition_lossy_handles(request->f))
		return partition_lossy_invoke(p, request, completion, eb);
	if (strcmp(request->f, "stop-partition"))
		return errbuf_set(eb, -EINVAL, "partition nemesis: unknown f '%s'", request->f);
	err = nem_partition_heal(nem, eb);
	if (err)
		return err;
	len = grudge_describe(NULL, NULL, completion->value, sizeof(completion->value));
	ASSERT(len > 0);
	return 0;
}

const struct nemesis_ops nem_partition_ops = {
	.name = "partition",
	.fs = NEM_F_PARTITION | NEM_F_LOSS | NEM_F_DUP | NEM_F_MSGDROP,
	.setup = partition_setup,
	.invoke = partition_invoke,
	.teardown = partition_teardown,
	.free = nem_partition_free,
};
