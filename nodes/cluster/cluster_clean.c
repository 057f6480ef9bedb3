/* SPDX-License-Identifier: MIT */
/* cluster_clean.c - remove what crashed runs left behind, and only things that are ours. */
#include "cluster.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cluster_internal.h"
#include "errbuf.h"
#include "fl_assert.h"

enum {
	ANCESTORS_MAX = 256,
	DIR_ENTRIES_MAX = 1 << 22,      /* bound on any directory scan */
	ENVIRON_BYTES_MAX = 1 << 20,
	LINKS_MAX = 1 << 16,
	CGROUP_PIDS_MAX = 1 << 16,      /* bound on one cgroup.procs read */
	CGROUP_V1_KILL_ROUNDS = 50,     /* v1 has no cgroup.kill: SIGKILL, recheck, 20 ms apart */
};

#define CGROUP_V1_FREEZER_DIR "/sys/fs/cgroup/freezer"

#define BPF_FS_DIR "/sys/fs/bpf"
#define SHM_DIR "/dev/shm"
#define BPF_FS_MAGIC_VALUE 0xcafe4a11

/* The calling process and its ancestors: never killed, whatever their environment says. */
struct protected_pids {
	uint32_t count;
	pid_t pids[ANCESTORS_MAX];
};

/* State of one cleaning pass: the report plus the first error met. */
struct clean {
	struct cluster_clean_report *report;
	struct protected_pids protected;
	struct errbuf *eb;
	int first_err;
};

static void clean_fail(struct clean *cl, int err)
{
	ASSERT(err < 0);
	if (!cl->first_err)
		cl->first_err = err;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *close_paren;
	int ppid = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	close_paren = strrchr(buf, ')');      /* comm may contain spaces and parens */
	if (!close_paren || sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
		return 0;
	return (pid_t)ppid;
}

static void protected_collect(struct protected_pids *p)
{
	pid_t pid = getpid();

	p->count = 0;
	while (pid > 0 && p->count < ANCESTORS_MAX) {
		p->pids[p->count++] = pid;
		pid = parent_of(pid);
	}
	ASSERT(p->count >= 1);
}

static bool is_protected(const struct protected_pids *p, pid_t pid)
{
	uint32_t i;

	for (i = 0; i < p->count; i++) {
		if (p->pids[i] == pid)
			return true;
	}
	return pid <= 1;
}

static pid_t pid_of_entry(const char *name)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)name[0]))
		return 0;
	v = strtol(name, &end, 10);
	return (*end || v <= 0 || v > 0x3fffffff) ? 0 : (pid_t)v;
}

static void kill_one(struct clean *cl, pid_t pid)
{
	if (is_protected(&cl->protected, pid))
		return;
	if (!kill(pid, SIGKILL))
		cl->report->processes_killed++;
	else if (errno != ESRCH)
		clean_fail(cl, errbuf_set(cl->eb, -errno, "kill %d", (int)pid));
}

/*
 * True if the NUL-separated environment in @env holds a CLUSTER_RUN_ENV= entry, with the
 * value @run_id when that is not NULL.
 */
static bool environ_marked(const char *env, size_t size, const char *run_id)
{
	static const char marker[] = CLUSTER_RUN_ENV "=";
	size_t pos = 0, len;

	while (pos < size) {
		len = strnlen(env + pos, size - pos);
		if (len >= sizeof(marker) - 1 && !memcmp(env + pos, marker, sizeof(marker) - 1) &&
		    (!run_id || (len == sizeof(marker) - 1 + strlen(run_id) &&
				 !memcmp(env + pos + sizeof(marker) - 1, run_id, strlen(run_id)))))
			return true;
		pos += len + 1;
	}
	return false;
}

static bool process_marked(pid_t pid, const char *run_id, char *buf, size_t buf_size)
{
	char path[64];
	size_t size = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	while (size < buf_size) {
		n = read(fd, buf + size, buf_size - size);
		if (n <= 0)
			break;
		size += (size_t)n;
	}
	close(fd);
	return environ_marked(buf, size, run_id);
}

bool cluster_process_marked(pid_t pid, const char *run_id)
{
	char *buf = malloc(ENVIRON_BYTES_MAX);
	bool marked;

	/* Out of memory reads as marked: callers ask "is anything left?", so err on yes. */
	if (!buf)
		return true;
	marked = process_marked(pid, run_id, buf, ENVIRON_BYTES_MAX);
	free(buf);
	return marked;
}

typedef bool proc_match_fn(pid_t pid, void *ctx);

/* SIGKILL every process in /proc that @match selects (never a protected one). */
static void procs_kill_matching(struct clean *cl, proc_match_fn *match, void *ctx)
{
	struct dirent *entry;
	uint32_t seen = 0;
	DIR *dir;
	pid_t pid;

	dir = opendir("/proc");
	if (!dir) {
		clean_fail(cl, errbuf_set(cl->eb, -errno, "opendir /proc"));
		return;
	}
	while ((entry = readdir(dir)) && seen++ < DIR_ENTRIES_MAX) {
		pid = pid_of_entry(entry->d_name);
		if (pid > 0 && !is_protected(&cl->protected, pid) && match(pid, ctx))
			kill_one(cl, pid);
	}
	closedir(dir);
}

struct env_match {
	char *buf;
	size_t size;
};

static bool env_match_cb(pid_t pid, void *ctx)
{
	struct env_match *m = ctx;

	return process_marked(pid, NULL, m->buf, m->size);
}

static void kill_marked(struct clean *cl)
{
	struct env_match m = { .size = ENVIRON_BYTES_MAX };

	m.buf = malloc(m.size);
	if (!m.buf) {
		clean_fail(cl, errbuf_set(cl->eb, -ENOMEM, "allocate environ buffer"));
		return;
	}
	procs_kill_matching(cl, env_match_cb, &m);
	free(m.buf);
}

static bool ns_match_cb(pid_t pid, void *ctx)
{
	const struct stat *ns = ctx;
	struct stat st;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat(path, &st))
		return false;
	return st.st_dev == ns->st_dev && st.st_ino == ns->st_ino;
}

static bool is_ours(const char *name)
{
	return !strncmp(name, CLUSTER_PREFIX, strlen(CLUSTER_PREFIX));
}

/* A named namespace: kill whoever lives in it (they keep it alive), unmount, unlink. */
static void netns_remove(struct clean *cl, const char *name)
{
	char path[320];
	struct stat ns;

	snprintf(path, sizeof(path), CLUSTER_NETNS_DIR "/%s", name);
	if (!stat(path, &ns))
		procs_kill_matching(cl, ns_match_cb, &ns);
	if (umount2(path, MNT_DETACH) && errno != EINVAL && errno != ENOENT)
		clean_fail(cl, errbuf_set(cl->eb, -errno, "umount %s", path));
	if (unlink(path)) {
		if (errno != ENOENT)
			clean_fail(cl, errbuf_set(cl->eb, -errno, "unlink %s", path));
		return;
	}
	cl->report->namespaces_removed++;
}

typedef void entry_fn(struct clean *cl, const char *dir_path, const char *name);

/* Calls @fn for every entry of @dir_path named fl-*; a missing directory is empty. */
static void dir_each_ours(struct clean *cl, const char *dir_path, entry_fn *fn)
{
	struct dirent *entry;
	uint32_t seen = 0;
	DIR *dir;

	dir = opendir(dir_path);
	if (!dir) {
		if (errno != ENOENT)
			clean_fail(cl, errbuf_set(cl->eb, -errno, "opendir %s", dir_path));
		return;
	}
	while ((entry = readdir(dir)) && seen++ < DIR_ENTRIES_MAX) {
		if (is_ours(entry->d_name))
			fn(cl, dir_path, entry->d_name);
	}
	closedir(dir);
}

static void netns_entry_cb(struct clean *cl, const char *dir_path, const char *name)
{
	(void)dir_path;
	netns_remove(cl, name);
}

/* Removes a file, or a directory one level deep (bpffs pins may be grouped in a folder). */
static void file_entry_cb(struct clean *cl, const char *dir_path, const char *name)
{
	struct dirent *entry;
	uint32_t seen = 0;
	char path[320];
	DIR *dir;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir_path, name);
	if (!unlink(path)) {
		cl->report->files_removed++;
		return;
	}
	if (errno != EISDIR) {
		if (errno != ENOENT)
			clean_fail(cl, errbuf_set(cl->eb, -errno, "unlink %s", path));
		return;
	}
	dir = opendir(path);
	if (dir) {
		fd = dirfd(dir);
		while ((entry = readdir(dir)) && seen++ < DIR_ENTRIES_MAX) {
			if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, ".."))
				unlinkat(fd, entry->d_name, 0);
		}
		closedir(dir);
	}
	if (rmdir(path))
		clean_fail(cl, errbuf_set(cl->eb, -errno, "rmdir %s", path));
	else
		cl->report->files_removed++;
}

static void pins_remove(struct clean *cl)
{
	struct statfs fs;

	if (statfs(BPF_FS_DIR, &fs) || fs.f_type != BPF_FS_MAGIC_VALUE)
		return;         /* bpffs not mounted: nothing can be pinned */
	dir_each_ours(cl, BPF_FS_DIR, file_entry_cb);
}

/* Root-namespace links named fl-*, e.g. veths a crashed run moved out (cluster never does). */
static void links_remove(struct clean *cl)
{
	struct nl_object *obj;
	struct nl_cache *cache;
	struct nl_sock *sk;
	uint32_t seen = 0;
	const char *name;
	int err;

	sk = nl_socket_alloc();
	if (!sk) {
		clean_fail(cl, errbuf_set(cl->eb, -ENOMEM, "nl_socket_alloc"));
		return;
	}
	err = nl_connect(sk, NETLINK_ROUTE);
	if (!err)
		err = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
	if (err) {
		clean_fail(cl, errbuf_set(cl->eb, -EIO, "netlink link list: %s",
					  nl_geterror(err)));
		nl_socket_free(sk);
		return;
	}
	for (obj = nl_cache_get_first(cache); obj && seen++ < LINKS_MAX;
	     obj = nl_cache_get_next(obj)) {
		name = rtnl_link_get_name((struct rtnl_link *)obj);
		if (!name || !is_ours(name))
			continue;
		err = rtnl_link_delete(sk, (struct rtnl_link *)obj);
		if (!err)
			cl->report->links_removed++;
		else if (err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND)
			clean_fail(cl, errbuf_set(cl->eb, -EIO, "delete link %s: %s", name,
						  nl_geterror(err)));
	}
	nl_cache_free(cache);
	nl_socket_free(sk);
}

/*
 * Sends @sig (0: only look) to every process in @dir/cgroup.procs. A process outside our PID
 * namespace reads as pid 0 and sets *@foreign (it is never signalled). Return: how many
 * there were, -EBUSY if one is this process or an ancestor, or -errno.
 */
static int cgroup_procs_signal(struct clean *cl, const char *dir, int sig, bool *foreign)
{
	char path[CLUSTER_CGROUP_PATH_BYTES_MAX + 320];
	int pid, count = 0, err = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (count < CGROUP_PIDS_MAX && fscanf(f, "%d", &pid) == 1) {
		count++;
		if (pid == 0)
			*foreign = true;
		else if (is_protected(&cl->protected, (pid_t)pid))
			err = -EBUSY;
		else if (sig && kill((pid_t)pid, sig) && errno != ESRCH)
			err = -errno;
	}
	fclose(f);
	return err ? err : count;
}

/* Child cgroups a node made below its own: cgroup.kill took their processes already. */
static void cgroup_children_rmdir(const char *dir)
{
	char path[CLUSTER_CGROUP_PATH_BYTES_MAX + 640];
	struct dirent *entry;
	uint32_t seen = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return;
	while ((entry = readdir(d)) && seen++ < DIR_ENTRIES_MAX) {
		if (entry->d_type != DT_DIR || entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name);
		cluster_cgroup_rmdir(path, NULL);
	}
	closedir(d);
}

/*
 * How many processes @path holds, or -1 if it is to be left alone: not a cgroup, unreadable
 * or holding this process (an error), or holding processes of another PID namespace (a
 * sandboxed run, or we are the sandbox: not ours to judge).
 */
static int cgroup_precheck(struct clean *cl, const char *path)
{
	bool foreign = false;
	int count;

	count = cgroup_procs_signal(cl, path, 0, &foreign);
	if (count == -ENOENT || count == -ENOTDIR || (count >= 0 && foreign))
		return -1;
	if (count < 0) {
		clean_fail(cl, errbuf_set(cl->eb, count, "%s: holds this process or an ancestor "
					  "(or is unreadable)", path));
		return -1;
	}
	return count;
}

/* A v2 cgroup fl-*: thaw, cgroup.kill, wait until empty, rmdir. */
static void cgroup_v2_entry_cb(struct clean *cl, const char *dir_path, const char *name)
{
	char path[CLUSTER_CGROUP_PATH_BYTES_MAX + 320];
	int count, err;

	snprintf(path, sizeof(path), "%s/%s", dir_path, name);
	count = cgroup_precheck(cl, path);
	if (count < 0)
		return;
	cluster_cgroup_write(path, "cgroup.freeze", "0", NULL);
	err = cluster_cgroup_kill(path, cl->eb);
	if (!err) {
		cgroup_children_rmdir(path);
		err = cluster_cgroup_rmdir(path, cl->eb);
	}
	if (err) {
		clean_fail(cl, err);
		return;
	}
	cl->report->processes_killed += (uint32_t)count;
	cl->report->cgroups_removed++;
}

/* A v1 freezer cgroup fl-*: THAWED, SIGKILL its processes until none is left, rmdir. */
static void cgroup_v1_entry_cb(struct clean *cl, const char *dir_path, const char *name)
{
	char path[CLUSTER_CGROUP_PATH_BYTES_MAX + 320];
	int count, left = 1, round, err;
	bool foreign = false;

	snprintf(path, sizeof(path), "%s/%s", dir_path, name);
	count = cgroup_precheck(cl, path);
	if (count < 0)
		return;
	cluster_cgroup_write(path, "freezer.state", "THAWED", NULL);
	for (round = 0; round < CGROUP_V1_KILL_ROUNDS && left > 0; round++) {
		left = cgroup_procs_signal(cl, path, SIGKILL, &foreign);
		if (left > 0)
			usleep(20000);
	}
	err = left ? errbuf_set(cl->eb, left < 0 ? left : -ETIMEDOUT, "empty %s", path)
		   : cluster_cgroup_rmdir(path, cl->eb);
	if (err) {
		clean_fail(cl, err);
		return;
	}
	cl->report->processes_killed += (uint32_t)count;
	cl->report->cgroups_removed++;
}

static void cgroups_remove(struct clean *cl)
{
	char root[CLUSTER_CGROUP_PATH_BYTES_MAX];
	struct statfs fs;

	if (!cluster_cgroup_root(root, sizeof(root)))
		dir_each_ours(cl, root, cgroup_v2_entry_cb);
	if (!statfs(CGROUP_V1_FREEZER_DIR, &fs) && fs.f_type == CGROUP_SUPER_MAGIC)
		dir_each_ours(cl, CGROUP_V1_FREEZER_DIR, cgroup_v1_entry_cb);
}

int cluster_clean(struct cluster_clean_report *report, struct errbuf *eb)
{
	struct clean cl = { .report = report, .eb = eb };

	ASSERT(report);
	memset(report, 0, sizeof(*report));
	protected_collect(&cl.protected);
	cgroups_remove(&cl);    /* first: thawing lets v1-frozen marked processes die */
	kill_marked(&cl);
	dir_each_ours(&cl, CLUSTER_NETNS_DIR, netns_entry_cb);
	links_remove(&cl);
	pins_remove(&cl);
	dir_each_ours(&cl, SHM_DIR, file_entry_cb);
	ASSERT(cl.first_err <= 0);
	return cl.first_err;
}
