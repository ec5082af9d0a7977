// SPDX-License-Identifier: GPL-2.0
/*
 * Doctor's probe: the smallest tc program that uses bpf_redirect. If tc can attach this with a clsact qdisc, the
 * kernel has what every eBPF datapath in cnibench builds on. It redirects nothing: ifindex 0 never matches a packet
 * because the program returns TC_ACT_OK before that for every packet that is not a 1-byte frame.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int probe(struct __sk_buff *skb)
{
	if (skb->len == 1)
		return bpf_redirect(0, 0);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
