/* SPDX-License-Identifier: MIT */
/* leftovers.h - what a faultline run could leave on the machine, counted for tests. */
#ifndef LEFTOVERS_H
#define LEFTOVERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum { LEFTOVERS_NETNS_MAX = 4096 };

struct leftovers {
	uint64_t netns[LEFTOVERS_NETNS_MAX];    /* inodes of live network namespaces */
	uint32_t netns_count;
	uint32_t marked_processes;              /* processes with FAULTLINE_RUN in environ */
	uint32_t named_netns;                   /* /run/netns/fl-* */
	uint32_t root_links;                    /* /sys/class/net/fl-* in our namespace */
	uint32_t bpf_programs;                  /* loaded programs whose name starts with fl_ */
	uint32_t shm_files;                     /* /dev/shm/fl-* */
	uint32_t cgroups;                       /* fl-* under the cgroup v2 root */
};

/* leftovers_take() - snapshot the machine now; @ignore_pid's tree is not counted (0: none). */
void leftovers_take(struct leftovers *l, pid_t ignore_pid);

/*
 * leftovers_new_since() - describe into @msg what @now has that @before had not: new
 * namespaces, and more marked processes, named netns, fl- links, fl_ programs or shm files.
 * Return: true if anything is left.
 */
bool leftovers_new_since(const struct leftovers *before, const struct leftovers *now, char *msg,
			 size_t size);

/*
 * leftovers_wait_clean() - namespaces and programs are freed asynchronously after their last
 * holder dies: retake the snapshot for up to @timeout_ms until nothing new is left.
 */
bool leftovers_wait_clean(const struct leftovers *before, struct leftovers *now, int timeout_ms,
			  char *msg, size_t size);

#endif /* LEFTOVERS_H */
