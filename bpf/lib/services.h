/* SPDX-License-Identifier: GPL-2.0 */
/* The Service table both eBPF proxies look up (lb.c at tc, sock_lb.c at connect): (ClusterIP, port) -> endpoints. */
#ifndef CNB_SERVICES_H
#define CNB_SERVICES_H

#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct addr_port);
	__type(value, struct service);
} services SEC(".maps");

#endif
