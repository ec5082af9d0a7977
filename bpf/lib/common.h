/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every cnibench tc program shares: headers, packet parsing, counters. The map value structs here are
 * also encoded by TypeScript (src/lab/bpf.ts); any change here must be mirrored there (a test checks the sizes).
 */
#ifndef CNB_COMMON_H
#define CNB_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* Missing from the 6.1 uapi headers Debian 12 ships; the running kernel (>= 5.18) knows it. */
#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV4
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7)
#endif

/* Key of an LPM trie over IPv4 prefixes: a pod block -> where it lives. */
struct lpm_v4_key {
	__u32 prefixlen;
	__u32 addr; /* network byte order */
};

/* Counter indices of the per-CPU `stats` array each program has. */
enum cnb_counter {
	CNB_PASS = 0,       /* handed to the kernel stack unchanged */
	CNB_REDIRECT_PEER,  /* delivered straight into a pod (bpf_redirect_peer) */
	CNB_REDIRECT_NEIGH, /* sent out of the node (bpf_redirect_neigh) */
	CNB_ENCAP,          /* encapsulated (IP-in-IP header added, or VXLAN tunnel key set) */
	CNB_DECAP,          /* decapsulated */
	CNB_DROP,           /* dropped: encapsulation failed, or denied by policy */
	CNB_NAT,            /* a Service address translated (to a backend, or back) */
	CNB_COUNTERS,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CNB_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 counter)
{
	__u64 *value = bpf_map_lookup_elem(&stats, &counter);
	if (value)
		*value += 1;
}

/* The IPv4 header of an Ethernet frame, or NULL. */
static __always_inline struct iphdr *ipv4_of(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return 0;
	return ip;
}

/*
 * The TCP header after an option-less IPv4 header, or NULL. Packets with IP options and non-first fragments (no TCP
 * header to read) are left alone by the callers: the lab's flows carry neither.
 */
static __always_inline struct tcphdr *tcp_of(struct __sk_buff *skb, struct iphdr *ip)
{
	struct tcphdr *tcp = (void *)(ip + 1);
	if (ip->protocol != IPPROTO_TCP || ip->ihl != 5 || (ip->frag_off & bpf_htons(0x1fff)) || (void *)(tcp + 1) > (void *)(long)skb->data_end)
		return 0;
	return tcp;
}

/* A Service frontend, or a policy entry: address and port as on the wire (network byte order). */
struct addr_port {
	__u32 addr;
	__u16 port;
	__u16 pad;
};

#endif
