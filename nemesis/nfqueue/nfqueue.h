/* SPDX-License-Identifier: MIT */
/* nfqueue.h - delay and reorder through an NFQUEUE rule in the switch (nem_nfqueue). */
#ifndef NFQUEUE_H
#define NFQUEUE_H

#include <stdint.h>

#include "delayer.h"
#include "nemesis.h"

struct errbuf;

enum {
	NFQ_QUEUE_NUM = 7700,           /* per namespace: the switch namespace is ours alone */
	NFQ_QUEUE_NUM_HAND = 7701,      /* `faultline nemesis` beside a running campaign's */
};
#define NFQ_DELAY_NS_DEFAULT (50ll * 1000000)   /* start-delay with NULL params */
#define NFQ_REORDER_P_DEFAULT 0.25              /* start-reorder with NULL params */
#define NFQ_REORDER_NS_DEFAULT (20ll * 1000000)

/*
 * The "nfqueue" nemesis (fs NEM_F_DELAY | NEM_F_REORDER), for kernels without sch_netem.
 * Lifecycle: nem_nfqueue_new() -> nem_setup(cluster) -> nem_invoke()... -> nem_teardown()
 * -> nem_free(). Setup and teardown run on the thread that owns the cluster.
 *
 * setup starts the delayer thread (bound to its queue number, NFQ_QUEUE_NUM unless made by
 * nem_nfqueue_new_on(), in the switch namespace), then appends
 * `-A FORWARD -j NFQUEUE --queue-num <that number> --queue-bypass` there (br0 is
 * bridged through that chain). With --queue-bypass a dead delayer heals the network; held
 * packets are lost then. Traffic from the switch's own address (clients) is not forwarded,
 * so it is never delayed.
 *
 * invoke understands (nemesis/FAULTS.md), with the value written into the completion:
 *   "start-delay"   delay_ns, jitter_ns, pairs  {"backend":"nfqueue","delay_ms":50,
 *                   "jitter_ms":0,"pairs":"all"}; NULL params: 50 ms, no jitter, all pairs.
 *                   The delay is per packet per hop through the switch: both directions of
 *                   a pair delayed make a round trip 2 * delay_ms longer.
 *   "start-reorder" probability, delay_ns, pairs  {"backend":"nfqueue","p":0.25,
 *                   "delay_ms":20,"pairs":"all"}; NULL params: p 0.25, 20 ms, all pairs.
 *   "stop-delay", "stop-reorder"  {"healed":"delay"} / {"healed":"reorder"}; idempotent.
 * A start replaces that fault's previous pairs; delay and reorder add up on a pair. Pairs
 * with all rows 0 mean every ordered pair of distinct nodes; a listed pair is ["from","to"].
 * Errors: -EINVAL for an unknown f or a parameter out of range (delay and jitter 0 .. 60 s,
 * 0 < p <= 1, a pair naming a missing node or a node to itself); -E2BIG if the list of
 * pairs does not fit the completion value. invoke allocates nothing and never blocks.
 *
 * teardown heals, deletes exactly the rule setup added, releases the held packets and stops
 * the thread. It must run before cluster_teardown() (it borrows the switch namespace).
 */
extern const struct nemesis_ops nem_nfqueue_ops;

/* nem_nfqueue_new() - an idle nemesis; @seed drives jitter and reorder. 0 or -ENOMEM. */
int nem_nfqueue_new(struct nemesis **out, uint64_t seed, struct errbuf *eb);

/*
 * nem_nfqueue_new_on() - as nem_nfqueue_new(), but the delayer binds @queue_num and the
 * FORWARD rule names it, so two delayers (a campaign's on NFQ_QUEUE_NUM, a hand one on
 * NFQ_QUEUE_NUM_HAND) can be set up on one switch. setup fails with -EBUSY if another
 * process has bound @queue_num there. NFQUEUE is a terminal target and the verdict is
 * ACCEPT, so while the first rule's delayer is bound, a packet it takes never reaches the
 * second rule: the delayer set up first delays, the other sees nothing.
 * Return: 0 or -ENOMEM.
 */
int nem_nfqueue_new_on(struct nemesis **out, uint64_t seed, uint16_t queue_num,
		       struct errbuf *eb);

/*
 * nem_nfqueue_counters() - the delayer's counters: live while set up, the final ones after
 * teardown, zero before the first setup.
 */
void nem_nfqueue_counters(const struct nemesis *nem, struct delayer_counters *out);

/*
 * nem_nfqueue_crash_for_test() - end the delayer thread as a crash would (held packets are
 * dropped), leaving the rule in place: the kill-safety test. teardown still removes the rule.
 */
void nem_nfqueue_crash_for_test(struct nemesis *nem);

#endif /* NFQUEUE_H */
