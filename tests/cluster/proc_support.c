/* SPDX-License-Identifier: MIT */
/* proc_support.c - test helpers for node cgroups: echo probes, cgroup reads, a clean sandbox. */
#include "proc_support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

enum { ECHO_PORT = 7007 };

const char *cgroup_v2_root(void)
{
	static const char *const roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct statfs fs;
	size_t i;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		if (!statfs(roots[i], &fs) && fs.f_type == CGROUP2_SUPER_MAGIC)
			return roots[i];
	}
	return NULL;
}

/* Resends every 50 ms: a node that just started may not have bound its port yet. */
bool echo_answers(const struct cluster *c, uint32_t node, int timeout_ms)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(ECHO_PORT) };
	struct pollfd pfd = { .events = POLLIN };
	int home, waited_ms = 0;
	bool ok = false;
	char buf[32];

	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0 || setns(cluster_switch_ns_fd(c), CLONE_NEWNET))
		abort();
	pfd.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (setns(home, CLONE_NEWNET) || pfd.fd < 0)
		abort();
	close(home);
	dst.sin_addr = cluster_node_addr(c, node);
	if (connect(pfd.fd, (struct sockaddr *)&dst, sizeof(dst)))
		abort();
	while (!ok && waited_ms < timeout_ms) {
		send(pfd.fd, "ping", 4, 0);     /* ECONNREFUSED from the last ping is fine */
		if (poll(&pfd, 1, 50) == 1)
			ok = recv(pfd.fd, buf, sizeof(buf), 0) == 4;
		else
			waited_ms += 50;
		if (!ok && pfd.revents) {
			usleep(10000);  /* refused: the port is not bound yet */
			waited_ms += 10;
		}
	}
	close(pfd.fd);
	return ok;
}

void node_cgroup_path(const struct cluster *c, uint32_t node, char *path, size_t size)
{
	const char *root = cgroup_v2_root();

	snprintf(path, size, "%s/" CLUSTER_PREFIX "%s-%s", root ? root : "/nonexistent",
		 cluster_run_id(c), cluster_node_name(c, node));
}

int cgroup_event_read(const char *dir, const char *key)
{
	char path[256], name[64];
	int value, found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (found < 0 && fscanf(f, "%63s %d", name, &value) == 2) {
		if (!strcmp(name, key))
			found = value;
	}
	fclose(f);
	return found;
}

bool pid_in_cgroup(pid_t pid, const char *suffix)
{
	char path[64], line[512];
	bool found = false;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		len = strlen(line);
		found = !strncmp(line, "0::", 3) && len >= strlen(suffix) &&
			!strcmp(line + len - strlen(suffix), suffix);
	}
	fclose(f);
	return found;
}

bool pid_running(pid_t pid)
{
	char path[64], buf[256], *paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

bool cgroup_left(const char *run_id)
{
	const char *root = cgroup_v2_root();
	char prefix[64];
	struct dirent *e;
	bool left = false;
	DIR *d;

	if (!root || !(d = opendir(root)))
		return false;
	snprintf(prefix, sizeof(prefix), CLUSTER_PREFIX "%s-", run_id);
	while (!left && (e = readdir(d)))
		left = !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return left;
}

static int file_write(const char *dir, const char *file, const char *value)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -EIO;
}

/* Kill and remove @dir and (one level of) its child cgroups; for the scratch cgroup. */
static void scratch_remove(const char *dir)
{
	char path[512];
	struct dirent *e;
	DIR *d;
	int tries;

	file_write(dir, "cgroup.kill", "1");
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		for (tries = 0; rmdir(path) && errno == EBUSY && tries < 100; tries++)
			usleep(10000);
	}
	if (d)
		closedir(d);
	for (tries = 0; rmdir(dir) && errno == EBUSY && tries < 100; tries++)
		usleep(10000);
}

#define STEP(cond)                                                                        \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "sandbox:%d: %s: %s\n", __LINE__, #cond,         \
				strerror(errno));                                         \
			return 1;                                                         \
		}                                                                         \
	} while (0)

static int sandbox_mounts(void)
{
	STEP(!mount("", "/", NULL, MS_PRIVATE | MS_REC, NULL));
	STEP(!mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
	STEP(!mkdir("/run/netns", 0755) || errno == EEXIST);
	STEP(!mount("tmpfs", "/run/netns", "tmpfs", 0, "mode=0755"));
	STEP(!mount("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777"));
	STEP(!mount("tmpfs", "/sys/fs/bpf", "tmpfs", 0, "mode=0700"));
	STEP(!mount("tmpfs", "/sys/fs/cgroup", "tmpfs", 0, "mode=0755"));
	STEP(!mkdir("/sys/fs/cgroup/unified", 0755));
	STEP(!mount("cgroup2", "/sys/fs/cgroup/unified", "cgroup2", 0, NULL));
	return 0;
}

/* The sandbox's init: mounts, then @fn; children left over die with the PID namespace. */
static int sandbox_outer(const char *scratch, int (*fn)(void))
{
	int status, err;
	pid_t inner;

	STEP(!file_write(scratch, "cgroup.procs", "0"));
	STEP(!unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWCGROUP));
	inner = fork();
	STEP(inner >= 0);
	if (inner == 0) {
		err = sandbox_mounts();
		_exit(err ? err : fn());
	}
	STEP(waitpid(inner, &status, 0) == inner);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int sandbox_run(int (*fn)(void), int (*prepare)(const char *scratch))
{
	const char *root = cgroup_v2_root();
	char scratch[256];
	int status;
	pid_t outer;

	STEP(root);
	/* Not named fl-*: a concurrent cluster_clean() elsewhere must leave it alone. */
	snprintf(scratch, sizeof(scratch), "%s/flsandbox%d", root, (int)getpid());
	STEP(!mkdir(scratch, 0755));
	if (prepare && prepare(scratch)) {
		scratch_remove(scratch);
		return 1;
	}
	outer = fork();
	if (outer == 0)
		_exit(sandbox_outer(scratch, fn));
	if (outer < 0 || waitpid(outer, &status, 0) != outer)
		status = -1;
	scratch_remove(scratch);
	STEP(access(scratch, F_OK) && errno == ENOENT);
	STEP(status >= 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
