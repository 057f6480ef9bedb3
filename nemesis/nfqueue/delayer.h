/* SPDX-License-Identifier: MIT */
/* delayer.h - a thread that holds NFQUEUE'd packets: per-pair delay, jitter and reorder. */
#ifndef DELAYER_H
#define DELAYER_H

#include <netinet/in.h>
#include <stdint.h>

struct delayer;
struct errbuf;

/* The limits of nemesis/nfqueue (STYLE S18). */
enum {
	NFQ_NODES_MAX = 64,             /* node table of the delayer; >= CLUSTER_NODES_MAX */
	NFQ_HELD_MAX = 65536,           /* packets held at once; beyond it they pass at once */
	NFQ_QUEUE_MAXLEN = 2 * NFQ_HELD_MAX,    /* kernel queue; beyond it: fail open */
	NFQ_COPY_BYTES = 64,            /* headers only: enough to key on (src, dst) */
	NFQ_RECV_BYTES = 64 * 1024,     /* one netlink message, however large */
	NFQ_RECV_BATCH_MAX = 256,       /* messages read before due packets are released */
	NFQ_RCVBUF_BYTES = 16 << 20,    /* socket buffer: a burst waits here, not in drops */
};
#define NFQ_HOLD_NS_MAX (60ll * 1000000000ll)   /* no packet is held longer */

/* Which fields of a rule an update writes. */
enum delayer_kind {
	DELAYER_DELAY = 1u << 0,        /* delay_ns, jitter_ns */
	DELAYER_REORDER = 1u << 1,      /* reorder_p, reorder_delay_ns */
};

/* What happens to the packets from one node to another. All zero: they pass at once. */
struct delayer_rule {
	int64_t delay_ns;               /* every packet: held delay_ns +- uniform jitter_ns */
	int64_t jitter_ns;
	double reorder_p;               /* with probability reorder_p: held reorder_delay_ns more */
	int64_t reorder_delay_ns;
};

struct delayer_counters {
	uint64_t seen;                  /* packets the kernel queued to us */
	uint64_t held;                  /* held for a while */
	uint64_t passed;                /* accepted at once (no rule, not IPv4, draining) */
	uint64_t overflowed;            /* should have been held, but NFQ_HELD_MAX were */
	uint64_t held_max;              /* high-water mark of packets held at once */
	uint64_t verdict_errors;        /* nfq_set_verdict failed (the kernel drops those) */
};

/**
 * delayer_new() - allocate a stopped delayer for @node_count nodes at @addrs (copied; their
 * last octets must differ). Every table and the held-packet heap are allocated here, never
 * per packet (STYLE S20). @seed drives jitter and reorder choices.
 * Return: 0, -EINVAL if @node_count > NFQ_NODES_MAX, or -ENOMEM.
 */
int delayer_new(struct delayer **out, const struct in_addr *addrs, uint32_t node_count,
		uint64_t seed, struct errbuf *eb);

/* delayer_free() - stop (releasing held packets) and free. NULL is allowed. */
void delayer_free(struct delayer *d);

/**
 * delayer_start() - start the packet thread: it enters the network namespace @ns_fd (that
 * thread only), binds NFQUEUE @queue_num there with fail-open and headers-only copies, and
 * serves it until stopped. Blocks until the queue is bound or failed.
 * Return: 0, or -errno (-EBUSY: someone else has bound @queue_num in that namespace).
 */
int delayer_start(struct delayer *d, int ns_fd, uint16_t queue_num, struct errbuf *eb);

/*
 * delayer_stop() - accept everything held or waiting in the socket, unbind, join the thread.
 * Remove the iptables rule first, or packets queued after the unbind take the bypass.
 * Idempotent.
 */
void delayer_stop(struct delayer *d);

/*
 * delayer_abandon() - for tests: end the thread like a crash would, closing the queue
 * without a verdict for the held packets (the kernel drops them).
 */
void delayer_abandon(struct delayer *d);

/**
 * delayer_update() - for every ordered pair, set the fields of @kinds (DELAYER_*) to those of
 * @rule if bit src of @from[dst] is set, else to zero. One atomic change for the packet
 * thread. @from has NFQ_NODES_MAX rows; @rule may be NULL when @from is all zero.
 */
void delayer_update(struct delayer *d, unsigned int kinds, const uint64_t *from,
		    const struct delayer_rule *rule);

/* delayer_counters() - a snapshot of the counters (each read atomically). */
void delayer_counters(const struct delayer *d, struct delayer_counters *out);

#endif /* DELAYER_H */
