/* SPDX-License-Identifier: MIT */
/* cluster_attach.c - finding and opening the named cluster of another (--keep) process. */
#include "cluster_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"

enum {
	LIST_ENTRIES_MAX = 65536,       /* bound on the /run/netns entries looked at */
};

#define SWITCH_SUFFIX "-sw"

/*
 * Opens @path if it is a bind-mounted network namespace. -ENOENT for a missing file and for
 * a plain file left behind (an unmounted name is no namespace); other -errno as met.
 */
static int ns_open_named(const char *path, int *fd_out)
{
	struct statfs fs;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &fs)) {
		err = -errno;
		goto out_close;
	}
	err = -ENOENT;
	if (fs.f_type != NSFS_MAGIC || ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET)
		goto out_close;
	*fd_out = fd;
	return 0;
out_close:
	close(fd);
	return err;
}

static void ns_path(char *path, size_t size, const char *run_id, const char *part)
{
	int len;

	len = snprintf(path, size, CLUSTER_NETNS_DIR "/" CLUSTER_PREFIX "%s-%s", run_id, part);
	ASSERT(len > 0 && (size_t)len < size);
}

/* The switch, then n1, n2.. while they exist; c->node_count counts the nodes opened. */
static int namespaces_open(struct cluster *c, struct errbuf *eb)
{
	char path[CLUSTER_PATH_BYTES_MAX];
	int err;

	ASSERT(c->node_count == 0);
	ns_path(path, sizeof(path), c->run_id, "sw");
	err = ns_open_named(path, &c->sw.fd);
	if (err == -ENOENT)
		return errbuf_set(eb, err, "no namespace %s", path);
	if (err)
		return errbuf_set(eb, err, "open %s", path);
	while (c->node_count < CLUSTER_NODES_MAX) {
		struct cluster_node *n = &c->nodes[c->node_count];

		ns_path(path, sizeof(path), c->run_id, n->name);
		err = ns_open_named(path, &n->ns.fd);
		if (err == -ENOENT)
			break;
		if (err)
			return errbuf_set(eb, err, "open %s", path);
		c->node_count++;
	}
	if (c->node_count == 0)
		return errbuf_set(eb, -ENOENT, "no namespace %s", path);
	return 0;
}

/* Each node whose cgroup directory exists gets it; c->cgroups if every node has one. */
static void cgroups_find(struct cluster *c)
{
	char root[CLUSTER_CGROUP_PATH_BYTES_MAX], path[2 * CLUSTER_CGROUP_PATH_BYTES_MAX];
	struct cluster_node *n;
	uint32_t i, found = 0;
	struct stat st;

	ASSERT(!c->cgroups);
	if (cluster_cgroup_root(root, sizeof(root)))
		return;
	for (i = 0; i < c->node_count; i++) {
		n = &c->nodes[i];
		ASSERT(!n->cgroup[0]);
		if ((size_t)snprintf(path, sizeof(path), "%s/" CLUSTER_PREFIX "%s-%s", root,
				     c->run_id, n->name) >= sizeof(n->cgroup))
			continue;
		if (stat(path, &st) || !S_ISDIR(st.st_mode))
			continue;
		memcpy(n->cgroup, path, strlen(path) + 1);
		found++;
	}
	c->cgroups = found == c->node_count;
}

int cluster_attach(struct cluster **out, const char *run_id, struct errbuf *eb)
{
	struct cluster_opts opts = { .node_count = CLUSTER_NODES_MAX, .run_id = run_id };
	struct cluster *c;
	int err, home_fd;

	ASSERT(out);
	*out = NULL;
	err = cluster_run_id_check(run_id, eb);
	if (err)
		return err;
	c = cluster_alloc(&opts);
	if (!c)
		return errbuf_set(eb, -ENOMEM, "allocate cluster");
	c->attached = true;
	c->node_count = 0;
	err = namespaces_open(c, eb);
	if (!err)
		err = cluster_ns_home_open(&home_fd, eb);
	if (!err) {
		err = cluster_topology_find(c, home_fd, eb);
		close(home_fd);
	}
	if (err)
		goto out_teardown;
	cgroups_find(c);
	ASSERT(c->node_count >= 1 && c->node_count <= CLUSTER_NODES_MAX);
	*out = c;
	return 0;
out_teardown:
	cluster_teardown(c, NULL);
	return errbuf_prefix(eb, err, "attach to run %s: ", run_id);
}

bool cluster_attached_live(const struct cluster *c)
{
	char path[CLUSTER_PATH_BYTES_MAX];
	struct stat named, held;

	ASSERT(c->attached);
	ASSERT(c->sw.fd >= 0);
	ns_path(path, sizeof(path), c->run_id, "sw");
	if (stat(path, &named) || fstat(c->sw.fd, &held))
		return false;
	return named.st_dev == held.st_dev && named.st_ino == held.st_ino;
}

/* "fl-<id>-sw" with a valid id: copies the id into @id and returns true. */
static bool switch_name_id(const char *name, char *id)
{
	size_t len = strlen(name), prefix = strlen(CLUSTER_PREFIX), suffix;

	suffix = strlen(SWITCH_SUFFIX);
	if (len <= prefix + suffix || strncmp(name, CLUSTER_PREFIX, prefix) ||
	    strcmp(name + len - suffix, SWITCH_SUFFIX))
		return false;
	len -= prefix + suffix;
	if (len > CLUSTER_RUN_ID_CHARS_MAX)
		return false;
	memcpy(id, name + prefix, len);
	id[len] = '\0';
	return cluster_run_id_check(id, NULL) == 0;
}

static uint32_t nodes_count(const char *run_id)
{
	char path[CLUSTER_PATH_BYTES_MAX], name[CLUSTER_NAME_BYTES_MAX];
	uint32_t n;
	int fd;

	for (n = 0; n < CLUSTER_NODES_MAX; n++) {
		snprintf(name, sizeof(name), "n%u", n + 1);
		ns_path(path, sizeof(path), run_id, name);
		if (ns_open_named(path, &fd))
			break;
		close(fd);
	}
	return n;
}

static int live_compare(const void *a, const void *b)
{
	return strcmp(((const struct cluster_live *)a)->run_id,
		      ((const struct cluster_live *)b)->run_id);
}

int cluster_list_live(struct cluster_live *live, uint32_t max, uint32_t *count,
		      struct errbuf *eb)
{
	char path[CLUSTER_PATH_BYTES_MAX], id[CLUSTER_NAME_BYTES_MAX];
	uint32_t n = 0, scanned;
	struct dirent *e;
	int fd, err = 0;
	DIR *dir;

	ASSERT(count);
	ASSERT(live || max == 0);
	*count = 0;
	dir = opendir(CLUSTER_NETNS_DIR);
	if (!dir)
		return errno == ENOENT ? 0 : errbuf_set(eb, -errno, "open " CLUSTER_NETNS_DIR);
	for (scanned = 0; (e = readdir(dir)); scanned++) {
		if (scanned == LIST_ENTRIES_MAX) {
			err = errbuf_set(eb, -E2BIG, CLUSTER_NETNS_DIR ": over %d entries",
					 LIST_ENTRIES_MAX);
			break;
		}
		if (!switch_name_id(e->d_name, id))
			continue;
		ns_path(path, sizeof(path), id, "sw");
		if (ns_open_named(path, &fd))
			continue;
		close(fd);
		if (n == max) {
			err = errbuf_set(eb, -E2BIG, "more than %u live clusters", max);
			break;
		}
		memcpy(live[n].run_id, id, strlen(id) + 1);
		live[n].node_count = nodes_count(id);
		n++;
	}
	closedir(dir);
	if (n > 1)
		qsort(live, n, sizeof(*live), live_compare);
	*count = n;
	ASSERT(n <= max);
	return err;
}
