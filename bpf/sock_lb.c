// SPDX-License-Identifier: GPL-2.0
/*
 * ClusterIP Services as Cilium's socket-level load balancer handles them: a cgroup/connect4 program rewrites the
 * address a client connects to, once, at connect(); the connection then runs to the backend directly, with no
 * per-packet translation and no conntrack entry. One hash lookup of (ClusterIP, port); the backend is picked at
 * random per connection. Attached to a cgroup cnibench makes for the lab (src/lab/services/ebpf-socket.ts), holding
 * only the measuring client.
 */
#include "services.h"

SEC("cgroup/connect4")
int cnb_sock_connect(struct bpf_sock_addr *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 1;
	struct addr_port key = { .addr = ctx->user_ip4, .port = (__u16)ctx->user_port };
	struct service *svc = bpf_map_lookup_elem(&services, &key);
	if (!svc || svc->count == 0)
		return 1;
	__u32 pick = bpf_get_prandom_u32() % svc->count;
	if (pick >= LB_MAX_BACKENDS)
		return 1;
	count(CNB_NAT);
	ctx->user_ip4 = svc->backends[pick].addr;
	ctx->user_port = svc->backends[pick].port;
	return 1;
}

char _license[] SEC("license") = "GPL";
