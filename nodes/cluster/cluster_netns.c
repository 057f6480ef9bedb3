/* SPDX-License-Identifier: MIT */
/* cluster_netns.c - creating and destroying the cluster's network namespaces. */
#include "cluster_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"

int cluster_ns_home_open(int *fd_out, struct errbuf *eb)
{
	int fd;

	ASSERT(fd_out);
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errbuf_set(eb, -errno, "open /proc/thread-self/ns/net");
	*fd_out = fd;
	return 0;
}

/*
 * Going back to the namespace we came from cannot fail for a valid namespace fd we hold; if
 * it did, the thread would carry on in a foreign namespace, so that is a crash, not an error.
 */
void cluster_ns_home_return(int home_fd)
{
	int err;

	ASSERT(home_fd >= 0);
	err = setns(home_fd, CLONE_NEWNET);
	ASSERT(err == 0);
}

/*
 * Make /run/netns a shared mount point, as iproute2 does, so a bind mount made here is seen
 * by `ip netns exec` in other mount namespaces.
 */
static int netns_dir_prepare(struct errbuf *eb)
{
	if (mkdir(CLUSTER_NETNS_DIR, 0755) && errno != EEXIST)
		return errbuf_set(eb, -errno, "mkdir %s", CLUSTER_NETNS_DIR);
	if (!mount("", CLUSTER_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL))
		return 0;
	if (errno != EINVAL)
		return errbuf_set(eb, -errno, "make %s shared", CLUSTER_NETNS_DIR);
	if (mount(CLUSTER_NETNS_DIR, CLUSTER_NETNS_DIR, "none", MS_BIND | MS_REC, NULL))
		return errbuf_set(eb, -errno, "bind %s onto itself", CLUSTER_NETNS_DIR);
	if (mount("", CLUSTER_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL))
		return errbuf_set(eb, -errno, "make %s shared", CLUSTER_NETNS_DIR);
	return 0;
}

static int ns_name(struct cluster_ns *ns, const char *path, struct errbuf *eb)
{
	int err, fd;

	err = netns_dir_prepare(eb);
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		if (err == -EEXIST)
			return errbuf_set(eb, err, "%s exists (left by a crashed run? "
					  "try `faultline clean`)", path);
		return errbuf_set(eb, err, "create %s", path);
	}
	close(fd);
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL)) {
		err = -errno;
		unlink(path);
		return errbuf_set(eb, err, "bind-mount namespace at %s", path);
	}
	ASSERT(strlen(path) < sizeof(ns->path));
	memcpy(ns->path, path, strlen(path) + 1);
	return 0;
}

int cluster_ns_create(struct cluster_ns *ns, int home_fd, const char *path, struct errbuf *eb)
{
	int err = 0;

	ASSERT(ns->fd < 0);
	ASSERT(!ns->path[0]);
	if (unshare(CLONE_NEWNET))
		return errbuf_set(eb, -errno, "unshare(CLONE_NEWNET)");
	ns->fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns->fd < 0)
		err = errbuf_set(eb, -errno, "open new namespace");
	if (!err && path)
		err = ns_name(ns, path, eb);
	cluster_ns_home_return(home_fd);
	if (err && ns->fd >= 0) {
		close(ns->fd);
		ns->fd = -1;
	}
	return err;
}

/* Closes our handle; a named namespace is unmounted and its file removed. */
int cluster_ns_destroy(struct cluster_ns *ns, struct errbuf *eb)
{
	int err = 0;

	if (ns->fd >= 0)
		close(ns->fd);
	ns->fd = -1;
	if (!ns->path[0])
		return 0;
	if (umount2(ns->path, MNT_DETACH) && errno != EINVAL && errno != ENOENT)
		err = errbuf_set(eb, -errno, "umount %s", ns->path);
	if (unlink(ns->path) && errno != ENOENT && !err)
		err = errbuf_set(eb, -errno, "unlink %s", ns->path);
	ns->path[0] = '\0';
	return err;
}
