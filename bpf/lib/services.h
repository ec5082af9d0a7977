/* SPDX-License-Identifier: GPL-2.0 */
/* The Service table both eBPF proxies look up (lb.c at tc, sock_lb.c at connect): (ClusterIP, port) -> endpoints. */
#ifndef CNB_SERVICES_H
#define CNB_SERVICES_H

#include "common.h"

#define LB_MAX_BACKENDS 4

/* Value of the `services` map of lb.c and sock_lb.c; must match encodeService in src/lab/services/bpf-maps.ts. */
struct service {
	__u32 count; /* backends in use, 1..LB_MAX_BACKENDS */
	struct addr_port backends[LB_MAX_BACKENDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct addr_port);
	__type(value, struct service);
} services SEC(".maps");

#endif
