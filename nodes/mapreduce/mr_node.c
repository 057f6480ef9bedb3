/* SPDX-License-Identifier: MIT */
/* mr_node.c - what mapreduce-node's roles share: bug names and peers' addresses. */
#include "mr_node.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "fl_assert.h"

int mr_node_bug_parse(const char *name, uint32_t *bug)
{
	static const struct { const char *name; uint32_t flag; } bugs[] = {
		{ "no-reexec-completed-maps", MR_BUG_NO_REEXEC_COMPLETED_MAPS },
		{ "early-reduce", MR_BUG_EARLY_REDUCE },
		{ "serial-coordinator", MR_BUG_SERIAL_COORDINATOR },
		{ "non-atomic-output", MR_NODE_BUG_NON_ATOMIC_OUTPUT },
		{ "duplicate-commit", MR_NODE_BUG_DUPLICATE_COMMIT },
		{ "exit-before-commit", MR_NODE_BUG_EXIT_BEFORE_COMMIT },
		{ "short-timeout", MR_NODE_BUG_SHORT_TIMEOUT },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bugs); i++) {
		if (strcmp(name, bugs[i].name) == 0) {
			*bug = bugs[i].flag;
			return 0;
		}
	}
	return -EINVAL;
}

bool mr_node_tcp_addr(const struct replica_args *a, uint32_t id, struct sockaddr_in *out)
{
	for (uint32_t i = 0; i < a->addrs.peer_count; i++) {
		if (a->addrs.peer_ids[i] != id)
			continue;
		*out = a->addrs.peer_addrs[i];
		out->sin_port = htons((uint16_t)(ntohs(out->sin_port) - 1));
		return true;
	}
	return false;
}
