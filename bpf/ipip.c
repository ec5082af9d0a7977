// SPDX-License-Identifier: GPL-2.0
/*
 * Calico IPIP without the ipip module: genuine IP-in-IP (protocol 4) put on the wire by tc programs on the node's
 * underlay device. `ipip_encap` (egress) wraps packets bound for a remote pod block in an outer IPv4 header from this
 * node to the block's node; `ipip_decap` (ingress) strips protocol-4 packets addressed to this node. The kernel's
 * ordinary routes choose the next hop (the peer node, or the router for a node in another subnet); only the
 * encapsulation is done here. GSO packets keep their size and are marked SKB_GSO_IPXIP4, as the ipip module marks them.
 */
#include "common.h"

#define IPPROTO_IPIP_ 4

/* Must match startIpipEbpf in src/lab/encap.ts (4 bytes, the address in network order). */
struct ipip_config {
	__u32 local_ip; /* network byte order */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ipip_config);
} config SEC(".maps");

/* Remote pod block -> its node's underlay IP (network byte order). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4_key);
	__type(value, __u32);
} routes SEC(".maps");

SEC("tc")
int ipip_encap(struct __sk_buff *skb)
{
	struct iphdr *inner = ipv4_of(skb);
	__u32 zero = 0;
	if (!inner)
		return TC_ACT_OK;
	struct lpm_v4_key key = { .prefixlen = 32, .addr = inner->daddr };
	__u32 *remote = bpf_map_lookup_elem(&routes, &key);
	struct ipip_config *cfg = bpf_map_lookup_elem(&config, &zero);
	if (!remote || !cfg) {
		count(CNB_PASS);
		return TC_ACT_OK;
	}
	struct iphdr outer = {
		.version = 4,
		.ihl = 5,
		.tos = inner->tos,
		.tot_len = bpf_htons(bpf_ntohs(inner->tot_len) + sizeof(struct iphdr)),
		.frag_off = inner->frag_off & bpf_htons(0x4000), /* keep DF */
		.ttl = 64,
		.protocol = IPPROTO_IPIP_,
		.saddr = cfg->local_ip,
		.daddr = *remote,
	};
	__s64 sum = bpf_csum_diff(0, 0, (__be32 *)&outer, sizeof(outer), 0);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	outer.check = ~sum & 0xffff;
	if (bpf_skb_adjust_room(skb, sizeof(outer), BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_FIXED_GSO) ||
	    bpf_skb_store_bytes(skb, sizeof(struct ethhdr), &outer, sizeof(outer), 0)) {
		count(CNB_DROP);
		return TC_ACT_SHOT;
	}
	count(CNB_ENCAP);
	return TC_ACT_OK;
}

SEC("tc")
int ipip_decap(struct __sk_buff *skb)
{
	struct iphdr *outer = ipv4_of(skb);
	__u32 zero = 0;
	struct ipip_config *cfg = bpf_map_lookup_elem(&config, &zero);
	if (!outer || !cfg || outer->protocol != IPPROTO_IPIP_ || outer->daddr != cfg->local_ip || outer->ihl != 5)
		return TC_ACT_OK;
	if (bpf_skb_adjust_room(skb, -(__s32)sizeof(struct iphdr), BPF_ADJ_ROOM_MAC,
				BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_DECAP_L3_IPV4)) {
		count(CNB_DROP);
		return TC_ACT_SHOT;
	}
	count(CNB_DECAP);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
