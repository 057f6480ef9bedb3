/* SPDX-License-Identifier: MIT */
/* netns_probe.c - test helpers: UDP echo servers and probes across cluster namespaces. */
#include "netns_probe.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monotime.h"

const char *netns_skip_reason(void)
{
	pid_t pid;
	int status;

	if (geteuid() != 0)
		return "needs root";
	pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWNET) ? 1 : 0);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return "fork failed";
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return "unshare(CLONE_NEWNET) fails";
	return NULL;
}

/* A socket created in @ns_fd stays there; the calling thread comes back home. */
static int socket_in(int ns_fd, int type)
{
	int home, fd = -1;

	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0)
		return -1;
	if (!setns(ns_fd, CLONE_NEWNET)) {
		fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
		if (setns(home, CLONE_NEWNET))
			abort();
	}
	close(home);
	return fd;
}

pid_t echo_start(int ns_fd)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(PROBE_PORT) };
	struct sockaddr_in peer;
	socklen_t peer_len;
	char buf[256], ready = 1;
	int fd, ready_pipe[2];
	ssize_t n;
	pid_t pid;

	fd = socket_in(ns_fd, SOCK_DGRAM);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)))
		return -1;
	if (pipe(ready_pipe))
		return -1;
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		n = write(ready_pipe[1], &ready, 1);
		for (;;) {
			peer_len = sizeof(peer);
			n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &peer_len);
			if (n > 0)
				sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, peer_len);
		}
	}
	close(fd);
	close(ready_pipe[1]);
	if (pid > 0 && read(ready_pipe[0], &ready, 1) != 1)
		pid = -1;
	close(ready_pipe[0]);
	return pid;
}

void echo_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

struct probe {
	int fd;
	uint32_t source, target;
	bool answered;
};

static void probe_send(const struct probe *p)
{
	char msg[32];
	int len;

	len = snprintf(msg, sizeof(msg), "probe %u %u", p->source, p->target);
	send(p->fd, msg, (size_t)len, 0);
}

static uint32_t probes_open(const struct cluster *c, struct probe *probes)
{
	uint32_t n = cluster_node_count(c), count = 0, s, d;
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(PROBE_PORT) };
	struct probe *p;

	for (s = 0; s <= n; s++) {
		for (d = 0; d < n; d++) {
			if (s == d)
				continue;
			p = &probes[count++];
			*p = (struct probe){ .source = s, .target = d };
			p->fd = socket_in(s == n ? cluster_switch_ns_fd(c)
						 : cluster_node_ns_fd(c, s), SOCK_DGRAM);
			dst.sin_addr = cluster_node_addr(c, d);
			if (p->fd < 0 || connect(p->fd, (struct sockaddr *)&dst, sizeof(dst)))
				abort();
			probe_send(p);
		}
	}
	return count;
}

void probe_matrix(const struct cluster *c, int timeout_ms,
		  bool reached[CLUSTER_NODES_MAX + 1][CLUSTER_NODES_MAX])
{
	static struct probe probes[(CLUSTER_NODES_MAX + 1) * CLUSTER_NODES_MAX];
	static struct pollfd fds[(CLUSTER_NODES_MAX + 1) * CLUSTER_NODES_MAX];
	int64_t deadline = monotime_ns() + (int64_t)timeout_ms * 1000000, left;
	uint32_t count, pending, i;
	bool resent = false;
	char buf[64];

	memset(reached, 0, sizeof(bool) * (CLUSTER_NODES_MAX + 1) * CLUSTER_NODES_MAX);
	count = probes_open(c, probes);
	for (;;) {
		pending = 0;
		for (i = 0; i < count; i++) {
			if (probes[i].answered)
				continue;
			fds[pending++] = (struct pollfd){ .fd = probes[i].fd, .events = POLLIN };
		}
		left = (deadline - monotime_ns()) / 1000000;
		if (!pending || left <= 0)
			break;
		if (!resent && left < timeout_ms / 2) {
			for (i = 0; i < count; i++)     /* one retry, for a lost first ARP */
				if (!probes[i].answered)
					probe_send(&probes[i]);
			resent = true;
		}
		poll(fds, pending, (int)(left < timeout_ms / 2 ? left : left - timeout_ms / 2));
		for (i = 0; i < count; i++) {
			if (!probes[i].answered && recv(probes[i].fd, buf, sizeof(buf),
							MSG_DONTWAIT) > 0) {
				probes[i].answered = true;
				reached[probes[i].source][probes[i].target] = true;
			}
		}
	}
	for (i = 0; i < count; i++)
		close(probes[i].fd);
}

bool bpf_prog_named(const char *name)
{
	struct bpf_prog_info info;
	uint32_t id = 0, len;
	bool found = false;
	int fd;

	while (!found && !bpf_prog_get_next_id(id, &id)) {
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;       /* freed meanwhile */
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, name))
			found = true;
		close(fd);
	}
	return found;
}

bool process_with_env(const char *run_id)
{
	struct dirent *e;
	bool found = false;
	DIR *dir;

	dir = opendir("/proc");
	while (dir && !found && (e = readdir(dir))) {
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			found = cluster_process_marked((pid_t)strtol(e->d_name, NULL, 10), run_id);
	}
	if (dir)
		closedir(dir);
	return found;
}

static bool link_is_ns(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;

	return !stat(path, &st) && st.st_dev == dev && st.st_ino == ino;
}

bool netns_in_use(dev_t dev, ino_t ino)
{
	char path[300];
	struct dirent *e;
	bool found = false;
	DIR *dir;

	dir = opendir("/proc");
	while (dir && !found && (e = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		found = e->d_name[0] >= '1' && e->d_name[0] <= '9' && link_is_ns(path, dev, ino);
	}
	if (dir)
		closedir(dir);
	dir = opendir("/proc/self/fd");
	while (dir && !found && (e = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		found = e->d_name[0] != '.' && link_is_ns(path, dev, ino);
	}
	if (dir)
		closedir(dir);
	return found;
}

bool netns_named(const char *prefix)
{
	struct dirent *e;
	bool found = false;
	DIR *dir;

	dir = opendir("/run/netns");
	while (dir && !found && (e = readdir(dir)))
		found = !strncmp(e->d_name, prefix, strlen(prefix));
	if (dir)
		closedir(dir);
	return found;
}
