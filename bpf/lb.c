// SPDX-License-Identifier: GPL-2.0
/*
 * ClusterIP Services as Cilium's kube-proxy replacement handles them per packet, reduced to what costs: at the tc
 * hook of the client pod's interface, one hash lookup of (ClusterIP, port); a hit picks a backend from the packet's
 * 4-tuple hash (every packet of a connection gets the same one) and rewrites the destination with checksum updates
 * (cnb_lb_dnat, egress); replies get the Service's address back from a reverse map (cnb_lb_rev, ingress). Stateless:
 * there is no connection-tracking entry, as in Cilium's datapath for a client pod, unlike kube-proxy's conntrack.
 * Maps are filled from TypeScript (src/lab/services/ebpf-tc.ts).
 */
#include "services.h"
#include <stddef.h>

/* Backend (address, port) -> the Service frontend its replies must appear to come from. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__type(key, struct addr_port);
	__type(value, struct addr_port);
} rev_nat SEC(".maps");

#define IP_OFF ETH_HLEN
#define TCP_OFF (ETH_HLEN + sizeof(struct iphdr))

/* Replace one address and port of the packet, (daddr, dest) or (saddr, source), fixing both checksums. */
static __always_inline int rewrite(struct __sk_buff *skb, int dst, __u32 old_addr, __u16 old_port, const struct addr_port *to)
{
	int addr_off = IP_OFF + (dst ? offsetof(struct iphdr, daddr) : offsetof(struct iphdr, saddr));
	int port_off = TCP_OFF + (dst ? offsetof(struct tcphdr, dest) : offsetof(struct tcphdr, source));
	int check_off = TCP_OFF + offsetof(struct tcphdr, check);
	if (bpf_l4_csum_replace(skb, check_off, old_addr, to->addr, BPF_F_PSEUDO_HDR | sizeof(to->addr)) ||
	    bpf_l4_csum_replace(skb, check_off, old_port, to->port, sizeof(to->port)) ||
	    bpf_l3_csum_replace(skb, IP_OFF + offsetof(struct iphdr, check), old_addr, to->addr, sizeof(to->addr)) ||
	    bpf_skb_store_bytes(skb, addr_off, &to->addr, sizeof(to->addr), 0) || bpf_skb_store_bytes(skb, port_off, &to->port, sizeof(to->port), 0)) {
		count(CNB_DROP);
		return TC_ACT_SHOT;
	}
	count(CNB_NAT);
	return TC_ACT_OK;
}

SEC("tc")
int cnb_lb_dnat(struct __sk_buff *skb)
{
	struct iphdr *ip = ipv4_of(skb);
	struct tcphdr *tcp = ip ? tcp_of(skb, ip) : 0;
	if (!ip || !tcp)
		return TC_ACT_OK;
	struct addr_port key = { .addr = ip->daddr, .port = tcp->dest };
	struct service *svc = bpf_map_lookup_elem(&services, &key);
	if (!svc || svc->count == 0) {
		count(CNB_PASS);
		return TC_ACT_OK;
	}
	/*
	 * The flow dissector's hash of the 4-tuple: the same for every packet of a connection. A local socket's packets
	 * would otherwise carry its random txhash, which the kernel re-rolls after a retransmission timeout.
	 */
	bpf_set_hash_invalid(skb);
	__u32 pick = bpf_get_hash_recalc(skb) % svc->count;
	if (pick >= LB_MAX_BACKENDS)
		return TC_ACT_OK;
	struct addr_port backend = svc->backends[pick];
	return rewrite(skb, 1, key.addr, key.port, &backend);
}

SEC("tc")
int cnb_lb_rev(struct __sk_buff *skb)
{
	struct iphdr *ip = ipv4_of(skb);
	struct tcphdr *tcp = ip ? tcp_of(skb, ip) : 0;
	if (!ip || !tcp)
		return TC_ACT_OK;
	struct addr_port key = { .addr = ip->saddr, .port = tcp->source };
	struct addr_port *frontend = bpf_map_lookup_elem(&rev_nat, &key);
	if (!frontend) {
		count(CNB_PASS);
		return TC_ACT_OK;
	}
	struct addr_port to = *frontend;
	return rewrite(skb, 0, key.addr, key.port, &to);
}

char _license[] SEC("license") = "GPL";
