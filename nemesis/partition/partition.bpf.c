// SPDX-License-Identifier: (MIT OR GPL-2.0)
/* partition.bpf.c - drop IPv4 pairs in `blocked`; typed drops, random loss and duplication
 * for `lossy`. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "partition_shared.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FL_PARTITION_BLOCKED_MAX);
	__type(key, struct fl_partition_key);
	__type(value, __u32);
} blocked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FL_PARTITION_LOSSY_MAX);
	__type(key, struct fl_partition_key);
	__type(value, struct fl_partition_lossy);
} lossy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_PARTITION_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline void count(__u32 index)
{
	__u64 *value = bpf_map_lookup_elem(&drops, &index);

	if (value)
		__sync_fetch_and_add(value, 1);
}

/* True with probability p / (2^32 - 1); p == 0 never, FL_PARTITION_P_ALWAYS always. */
static __always_inline int chance(__u32 p)
{
	if (!p)
		return 0;
	return p == FL_PARTITION_P_ALWAYS || bpf_get_prandom_u32() < p;
}

/*
 * The copy re-enters this hook at the same port's ingress carrying FL_PARTITION_DUP_MARK,
 * so it passes untouched; the original gets its own mark back. The clone is best effort: if
 * the kernel cannot clone, the original still passes (fail open).
 */
static __always_inline void duplicate(struct __sk_buff *skb)
{
	__u32 mark = skb->mark;

	skb->mark = FL_PARTITION_DUP_MARK;
	if (!bpf_clone_redirect(skb, skb->ifindex, BPF_F_INGRESS))
		count(FL_PARTITION_COUNTER_DUPS);
	skb->mark = mark;
}

/*
 * Is @ip a UDP datagram whose first payload byte is a type in @types? Anything truncated or
 * not linear enough to read passes (fail open).
 */
static __always_inline int typed_drop(struct iphdr *ip, void *data_end, __u32 types)
{
	__u32 ihl = ip->ihl & 0xf;
	__u8 *payload;

	if (!types || ip->protocol != IPPROTO_UDP || ihl < 5)
		return 0;
	payload = (__u8 *)ip + ihl * 4 + 8;     /* past the UDP header */
	if ((void *)(payload + 1) > data_end)
		return 0;
	return *payload < FL_PARTITION_TYPES && ((types >> *payload) & 1);
}

/*
 * Attached to the ingress of every switch port, i.e. the egress of each node. Anything that
 * is not a complete Ethernet + IPv4 header passes (fail open). Passing returns TC_ACT_UNSPEC
 * (tcx: "next"), so other programs on the same port still see the packet. Order: a blocked
 * pair drops everything; otherwise a lossy pair drops at random, and a packet that survives
 * may be duplicated. The randomness is the kernel's (bpf_get_prandom_u32), not seeded.
 */
SEC("tc")
int fl_partition(struct __sk_buff *skb)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;
	struct ethhdr *eth = data;
	struct fl_partition_lossy *rule;
	struct fl_partition_key key;
	struct iphdr *ip;

	if (skb->mark == FL_PARTITION_DUP_MARK)
		return TC_ACT_UNSPEC;
	if ((void *)(eth + 1) > data_end)
		return TC_ACT_UNSPEC;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_UNSPEC;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return TC_ACT_UNSPEC;
	key.saddr = ip->saddr;
	key.daddr = ip->daddr;
	if (bpf_map_lookup_elem(&blocked, &key)) {
		count(FL_PARTITION_COUNTER_DROPS);
		return TC_ACT_SHOT;
	}
	rule = bpf_map_lookup_elem(&lossy, &key);
	if (!rule)
		return TC_ACT_UNSPEC;
	if (typed_drop(ip, data_end, rule->drop_types)) {
		count(FL_PARTITION_COUNTER_TYPED);
		return TC_ACT_SHOT;
	}
	if (chance(rule->drop_p)) {
		count(FL_PARTITION_COUNTER_LOSS);
		return TC_ACT_SHOT;
	}
	if (chance(rule->dup_p))
		duplicate(skb);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
