// SPDX-License-Identifier: GPL-2.0
/*
 * Cilium-style eBPF host routing, the shape of Cilium's bpf_lxc / bpf_host / bpf_overlay programs reduced to what
 * moves packets between pods:
 *   cil_from_container  tc ingress of each pod's host veth (lxcXXXX): packets leaving a pod. A local endpoint is
 *                       reached with bpf_redirect_peer (straight into its namespace); a pod block of another node with
 *                       bpf_redirect_neigh out of the underlay device (native routing) or, in tunnel mode, by setting
 *                       the VXLAN tunnel key and redirecting to cilium_vxlan (external / collect_md mode).
 *   cil_from_netdev     tc ingress of the node's underlay device (native routing): packets for a local endpoint go
 *                       straight into it with bpf_redirect_peer, bypassing the node's IP stack.
 *   cil_from_overlay    tc ingress of cilium_vxlan (tunnel mode): the same for decapsulated packets.
 * Anything else is left to the kernel (TC_ACT_OK). Maps are filled from TypeScript (src/lab/cilium.ts).
 */
#include "common.h"

/* Must match encodeEndpoint in src/lab/cilium.ts. */
struct endpoint {
	__u32 ifindex;   /* the pod's host-side veth */
	__u8 pod_mac[6]; /* the pod's eth0 */
	__u8 host_mac[6];
};

/* Must match encodeCiliumConfig in src/lab/cilium.ts. */
struct cilium_config {
	__u32 tunnel;           /* 0: native routing, 1: VXLAN */
	__u32 underlay_ifindex; /* the node's eth0 */
	__u32 vxlan_ifindex;    /* cilium_vxlan */
	__u32 vni;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cilium_config);
} config SEC(".maps");

/* Local endpoints: pod IP (network byte order) -> where to deliver. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct endpoint);
} endpoints SEC(".maps");

/* Pod blocks of the other nodes -> that node's underlay IP (network byte order). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4_key);
	__type(value, __u32);
} remote_blocks SEC(".maps");

/* Deliver into a local pod: rewrite the MACs as the pod's veth would see them, then jump into its namespace. */
static __always_inline int to_endpoint(struct __sk_buff *skb, struct endpoint *ep)
{
	if (bpf_skb_store_bytes(skb, 0, ep->pod_mac, 6, 0) || bpf_skb_store_bytes(skb, 6, ep->host_mac, 6, 0)) {
		count(CNB_DROP);
		return TC_ACT_SHOT;
	}
	count(CNB_REDIRECT_PEER);
	return bpf_redirect_peer(ep->ifindex, 0);
}

SEC("tc")
int cil_from_container(struct __sk_buff *skb)
{
	struct iphdr *ip = ipv4_of(skb);
	__u32 zero = 0;
	struct cilium_config *cfg = bpf_map_lookup_elem(&config, &zero);
	if (!ip || !cfg)
		return TC_ACT_OK;
	__u32 daddr = ip->daddr;
	struct endpoint *ep = bpf_map_lookup_elem(&endpoints, &daddr);
	if (ep)
		return to_endpoint(skb, ep);
	struct lpm_v4_key key = { .prefixlen = 32, .addr = daddr };
	__u32 *node = bpf_map_lookup_elem(&remote_blocks, &key);
	if (!node) {
		count(CNB_PASS);
		return TC_ACT_OK;
	}
	if (cfg->tunnel) {
		struct bpf_tunnel_key tkey = { .remote_ipv4 = bpf_ntohl(*node), .tunnel_id = cfg->vni, .tunnel_ttl = 64 };
		if (bpf_skb_set_tunnel_key(skb, &tkey, sizeof(tkey), BPF_F_ZERO_CSUM_TX)) {
			count(CNB_DROP);
			return TC_ACT_SHOT;
		}
		count(CNB_ENCAP);
		return bpf_redirect(cfg->vxlan_ifindex, 0);
	}
	count(CNB_REDIRECT_NEIGH);
	return bpf_redirect_neigh(cfg->underlay_ifindex, 0, 0, 0);
}

static __always_inline int deliver_if_local(struct __sk_buff *skb)
{
	struct iphdr *ip = ipv4_of(skb);
	if (!ip)
		return TC_ACT_OK;
	__u32 daddr = ip->daddr;
	struct endpoint *ep = bpf_map_lookup_elem(&endpoints, &daddr);
	if (ep)
		return to_endpoint(skb, ep);
	count(CNB_PASS);
	return TC_ACT_OK;
}

SEC("tc")
int cil_from_netdev(struct __sk_buff *skb)
{
	return deliver_if_local(skb);
}

SEC("tc")
int cil_from_overlay(struct __sk_buff *skb)
{
	count(CNB_DECAP);
	return deliver_if_local(skb);
}

char _license[] SEC("license") = "GPL";
