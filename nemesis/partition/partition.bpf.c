// SPDX-License-Identifier: (MIT OR GPL-2.0)
/* partition.bpf.c - drop IPv4 packets whose (source, destination) pair is in `blocked`. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
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
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_PARTITION_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/*
 * Attached to the ingress of every switch port, i.e. the egress of each node. Anything that
 * is not a complete Ethernet + IPv4 header passes (fail open). Passing returns TC_ACT_UNSPEC
 * (tcx: "next"), so other programs on the same port still see the packet.
 */
SEC("tc")
int fl_partition(struct __sk_buff *skb)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;
	struct ethhdr *eth = data;
	struct fl_partition_key key;
	__u32 index = FL_PARTITION_COUNTER_DROPS;
	struct iphdr *ip;
	__u64 *count;

	if ((void *)(eth + 1) > data_end)
		return TC_ACT_UNSPEC;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_UNSPEC;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return TC_ACT_UNSPEC;
	key.saddr = ip->saddr;
	key.daddr = ip->daddr;
	if (!bpf_map_lookup_elem(&blocked, &key))
		return TC_ACT_UNSPEC;
	count = bpf_map_lookup_elem(&drops, &index);
	if (count)
		__sync_fetch_and_add(count, 1);
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
