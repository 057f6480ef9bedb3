/* SPDX-License-Identifier: MIT */
/* iptables.h - the one NFQUEUE rule in a namespace's FORWARD chain, via the iptables binary. */
#ifndef IPTABLES_H
#define IPTABLES_H

#include <stdint.h>

struct errbuf;

enum iptables_op {
	IPTABLES_APPEND,                /* -A */
	IPTABLES_DELETE,                /* -D: exactly the rule APPEND made */
	IPTABLES_CHECK,                 /* -C: is it there? */
};

/* Binaries tried in order; the first executable one is used for every call. */
#define IPTABLES_LEGACY_PATH "/usr/sbin/iptables-legacy"
#define IPTABLES_PATH "/usr/sbin/iptables"

/**
 * iptables_queue_rule() - run `iptables -w 5 <op> FORWARD -j NFQUEUE --queue-num @queue_num
 * --queue-bypass` inside the network namespace @ns_fd: fork, setns in the child, execv.
 * The calling thread's namespace does not change. Blocks until iptables exits (~1.5 ms).
 * Return: 0; for IPTABLES_CHECK -ENOENT when the rule is absent; -ENOENT if no iptables
 * binary exists; -EIO when iptables fails (its first output line in @eb); or -errno.
 */
int iptables_queue_rule(int ns_fd, enum iptables_op op, uint16_t queue_num, struct errbuf *eb);

#endif /* IPTABLES_H */
