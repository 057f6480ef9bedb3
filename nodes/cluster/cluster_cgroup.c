/* SPDX-License-Identifier: MIT */
/* cluster_cgroup.c - one cgroup v2 directory per node: create, freeze, kill, remove. */
#include "cluster_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"

enum {
	EVENTS_BYTES_MAX = 512,         /* cgroup.events is two short lines */
	WAIT_SLEEP_US_MIN = 50,
	WAIT_SLEEP_US_MAX = 5000,
	RMDIR_SLEEP_US = 20000,
};

/*
 * Pure v2 hosts mount the hierarchy at /sys/fs/cgroup; hybrid ones (systemd's "unified"
 * layout, this VM) at /sys/fs/cgroup/unified. freeze and kill are core files, so they work
 * in hybrid mode even though every controller is bound to v1.
 */
static const char *const root_candidates[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };

int cluster_cgroup_root(char *path, size_t size)
{
	struct statfs fs;
	size_t i;

	ASSERT(path);
	ASSERT(size > 0);
	for (i = 0; i < ARRAY_SIZE(root_candidates); i++) {
		if (statfs(root_candidates[i], &fs) || fs.f_type != CGROUP2_SUPER_MAGIC)
			continue;
		if ((size_t)snprintf(path, size, "%s", root_candidates[i]) >= size)
			return -ENAMETOOLONG;
		return 0;
	}
	path[0] = '\0';
	return -ENOENT;
}

int cluster_cgroup_write(const char *dir, const char *file, const char *value,
			 struct errbuf *eb)
{
	char path[CLUSTER_CGROUP_PATH_BYTES_MAX + 32];
	size_t len = strlen(value);
	ssize_t n;
	int fd, err = 0;

	ASSERT(dir[0] == '/');
	ASSERT(len > 0);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errbuf_set(eb, -errno, "open %s", path);
	n = write(fd, value, len);
	if (n < 0)
		err = errbuf_set(eb, -errno, "write '%s' to %s", value, path);
	else if ((size_t)n != len)
		err = errbuf_set(eb, -EIO, "short write '%s' to %s", value, path);
	close(fd);
	return err;
}

/* Value of the line "@key N" in @dir/cgroup.events: 0 or 1, or -errno. */
int cluster_cgroup_event(const char *dir, const char *key)
{
	char path[CLUSTER_CGROUP_PATH_BYTES_MAX + 32], buf[EVENTS_BYTES_MAX], *line;
	size_t key_len = strlen(key);
	ssize_t n;
	int fd;

	ASSERT(key_len > 0);
	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	line = buf;
	while (line) {          /* bounded: @buf holds fewer than EVENTS_BYTES_MAX lines */
		if (!strncmp(line, key, key_len) && line[key_len] == ' ')
			return line[key_len + 1] == '1' ? 1 : 0;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -ENOENT;
}

int cluster_cgroup_wait(const char *dir, const char *key, int value, struct errbuf *eb)
{
	int64_t deadline = monotime_ns() + (int64_t)CLUSTER_CGROUP_WAIT_MS * 1000000;
	useconds_t sleep_us = WAIT_SLEEP_US_MIN;
	int got;

	ASSERT(value == 0 || value == 1);
	for (;;) {
		got = cluster_cgroup_event(dir, key);
		if (got < 0)
			return errbuf_set(eb, got, "read %s/cgroup.events", dir);
		if (got == value)
			return 0;
		if (monotime_ns() > deadline)
			return errbuf_set(eb, -ETIMEDOUT, "%s: '%s %d' not reached in %d ms",
					  dir, key, value, CLUSTER_CGROUP_WAIT_MS);
		usleep(sleep_us);
		if (sleep_us < WAIT_SLEEP_US_MAX)
			sleep_us *= 2;
	}
}

/* SIGKILL everything in @dir (daemonised children too) and wait until it is empty. */
int cluster_cgroup_kill(const char *dir, struct errbuf *eb)
{
	int err, populated;

	populated = cluster_cgroup_event(dir, "populated");
	if (populated == 0)
		return 0;
	err = cluster_cgroup_write(dir, "cgroup.kill", "1", eb);
	if (!err)
		err = cluster_cgroup_wait(dir, "populated", 0, eb);
	return err;
}

/* Fatal signals get through a frozen cgroup, so kill works on a frozen node too. */
int cluster_cgroup_freeze(const char *dir, bool frozen, struct errbuf *eb)
{
	int err;

	err = cluster_cgroup_write(dir, "cgroup.freeze", frozen ? "1" : "0", eb);
	if (!err)
		err = cluster_cgroup_wait(dir, "frozen", frozen ? 1 : 0, eb);
	return err;
}

/* A cgroup that just emptied can stay busy for a moment; retry, bounded. */
int cluster_cgroup_rmdir(const char *dir, struct errbuf *eb)
{
	int tries;

	for (tries = 0; tries < CLUSTER_CGROUP_RMDIR_TRIES; tries++) {
		if (!rmdir(dir) || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return errbuf_set(eb, -errno, "rmdir %s", dir);
		usleep(RMDIR_SLEEP_US);
	}
	return errbuf_set(eb, -EBUSY, "rmdir %s: still busy after %d tries", dir, tries);
}

/*
 * Without a writable cgroup v2 hierarchy (none mounted, or no permission on it) the cluster
 * falls back to process-group signals. A directory left by a crashed run with the same id
 * is adopted if it is empty (then teardown removes it), an error if processes live in it.
 */
int cluster_cgroups_create(struct cluster *c, struct errbuf *eb)
{
	char root[CLUSTER_CGROUP_PATH_BYTES_MAX], path[2 * CLUSTER_CGROUP_PATH_BYTES_MAX];
	struct cluster_node *n;
	uint32_t i;
	int err;

	ASSERT(!c->cgroups);
	if (cluster_cgroup_root(root, sizeof(root)))
		return 0;
	for (i = 0; i < c->node_count; i++) {
		n = &c->nodes[i];
		ASSERT(!n->cgroup[0]);
		if ((size_t)snprintf(path, sizeof(path), "%s/" CLUSTER_PREFIX "%s-%s", root,
				     c->run_id, n->name) >= sizeof(n->cgroup))
			return errbuf_set(eb, -ENAMETOOLONG, "cgroup path under %s", root);
		memcpy(n->cgroup, path, strlen(path) + 1);
		if (!mkdir(n->cgroup, 0755))
			continue;
		err = -errno;
		/* An empty leftover of a crashed run with the same id is adopted, thawed. */
		if (err == -EEXIST && cluster_cgroup_event(n->cgroup, "populated") == 0 &&
		    !cluster_cgroup_freeze(n->cgroup, false, NULL))
			continue;
		if (i == 0 && (err == -EACCES || err == -EPERM || err == -EROFS)) {
			n->cgroup[0] = '\0';
			return 0;
		}
		if (err == -EEXIST)
			err = errbuf_set(eb, err, "%s exists (left by a crashed run? "
					 "try `faultline clean`)", n->cgroup);
		else
			err = errbuf_set(eb, err, "mkdir %s", n->cgroup);
		n->cgroup[0] = '\0';
		return err;
	}
	c->cgroups = true;
	return 0;
}

/* Kills what is left in each cgroup we made, then removes it. Runs past errors. */
int cluster_cgroups_remove(struct cluster *c, struct errbuf *eb)
{
	struct cluster_node *n;
	int err, first = 0;
	uint32_t i;

	for (i = 0; i < CLUSTER_NODES_MAX; i++) {
		n = &c->nodes[i];
		if (!n->cgroup[0])
			continue;
		ASSERT(n->pid == 0);
		err = cluster_cgroup_kill(n->cgroup, first ? NULL : eb);
		if (!err)
			err = cluster_cgroup_rmdir(n->cgroup, first ? NULL : eb);
		if (err && !first)
			first = err;
		n->cgroup[0] = '\0';
	}
	c->cgroups = false;
	return first;
}
