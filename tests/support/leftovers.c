/* SPDX-License-Identifier: MIT */
/* leftovers.c - scans /proc, /run/netns, /sys/class/net, /dev/shm and the bpf program ids. */
#include "leftovers.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"

static void add_netns(struct leftovers *l, uint64_t ino)
{
	for (uint32_t i = 0; i < l->netns_count; i++)
		if (l->netns[i] == ino)
			return;
	if (l->netns_count < LEFTOVERS_NETNS_MAX)
		l->netns[l->netns_count++] = ino;
}

static void scan_proc(struct leftovers *l, pid_t ignore_pid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[300];
		struct stat st;

		if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
		    strtol(e->d_name, NULL, 10) == ignore_pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		if (stat(path, &st) == 0)
			add_netns(l, st.st_ino);
		if (cluster_process_marked((pid_t)strtol(e->d_name, NULL, 10), NULL))
			l->marked_processes++;
	}
	if (d)
		closedir(d);
}

static uint32_t count_prefixed(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	uint32_t n = 0;

	while (d && (e = readdir(d)))
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	if (d)
		closedir(d);
	return n;
}

static uint32_t count_bpf_programs(void)
{
	uint32_t id = 0, n = 0;

	while (bpf_prog_get_next_id(id, &id) == 0) {
		struct bpf_prog_info info = { 0 };
		uint32_t len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			n += strncmp(info.name, "fl_", 3) == 0;
		close(fd);
	}
	return n;
}

void leftovers_take(struct leftovers *l, pid_t ignore_pid)
{
	memset(l, 0, sizeof(*l));
	scan_proc(l, ignore_pid);
	l->named_netns = count_prefixed("/run/netns", "fl-");
	l->root_links = count_prefixed("/sys/class/net", "fl-");
	l->shm_files = count_prefixed("/dev/shm", "fl-");
	l->cgroups = count_prefixed("/sys/fs/cgroup/unified", "fl-") +
		     count_prefixed("/sys/fs/cgroup", "fl-");
	l->bpf_programs = count_bpf_programs();
}

bool leftovers_new_since(const struct leftovers *before, const struct leftovers *now, char *msg,
			 size_t size)
{
	uint32_t new_netns = 0;
	int n;

	for (uint32_t i = 0; i < now->netns_count; i++) {
		bool old = false;

		for (uint32_t j = 0; j < before->netns_count && !old; j++)
			old = before->netns[j] == now->netns[i];
		new_netns += !old;
	}
	n = snprintf(msg, size, "new netns %u, marked processes %u, /run/netns/fl-* %u, "
		     "fl-* links %u, fl_* bpf programs %u, /dev/shm/fl-* %u, fl-* cgroups %u",
		     new_netns, now->marked_processes, now->named_netns, now->root_links,
		     now->bpf_programs, now->shm_files, now->cgroups);
	(void)n;
	/* Counts, not names: more than before means this test left something. */
	return new_netns || now->marked_processes > before->marked_processes ||
	       now->named_netns > before->named_netns || now->root_links > before->root_links ||
	       now->bpf_programs > before->bpf_programs || now->shm_files > before->shm_files ||
	       now->cgroups > before->cgroups;
}

bool leftovers_wait_clean(const struct leftovers *before, struct leftovers *now, int timeout_ms,
			  char *msg, size_t size)
{
	for (int waited = 0;; waited += 100) {
		struct timespec ts = { .tv_sec = 0, .tv_nsec = 100000000 };

		leftovers_take(now, 0);
		if (!leftovers_new_since(before, now, msg, size))
			return false;
		if (waited >= timeout_ms)
			return true;
		nanosleep(&ts, NULL);
	}
}
