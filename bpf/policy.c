// SPDX-License-Identifier: GPL-2.0
/*
 * Network policy as an eBPF dataplane enforces it (Cilium's policy map, Calico eBPF's policy programs reduced to
 * what costs per packet): tc ingress of the server pod's interface, one hash lookup of (destination address, TCP
 * port) per packet; a listed pair is dropped, anything else goes on. The lookup costs the same for 10 or 10,000
 * entries, which is the claim the policy-at-scale curves test. Entries are written from TypeScript
 * (src/lab/policy/ebpf.ts). Packets with IP options (ihl != 5) are let through unchecked, as are non-first fragments
 * (no TCP header): the lab's flows carry neither, and a real dataplane would parse them.
 */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct addr_port);
	__type(value, __u8);
} blocked SEC(".maps");

SEC("tc")
int cnb_policy(struct __sk_buff *skb)
{
	struct iphdr *ip = ipv4_of(skb);
	struct tcphdr *tcp = ip ? tcp_of(skb, ip) : 0;
	if (!tcp)
		return TC_ACT_OK;
	struct addr_port key = { .addr = ip->daddr, .port = tcp->dest };
	if (bpf_map_lookup_elem(&blocked, &key)) {
		count(CNB_DROP);
		return TC_ACT_SHOT;
	}
	count(CNB_PASS);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
