/** Map entries shared by the two eBPF proxies (bpf/lb.c, bpf/sock_lb.c): the Service table as bytes. */
import { addrPortKey, type MapUpdate } from '../bpf.js'
import type { ServiceEntry } from './services.js'

/** LB_MAX_BACKENDS in bpf/lib/services.h. */
const MAX_BACKENDS = 4

/** struct service: __u32 count, then LB_MAX_BACKENDS struct addr_port. */
export function encodeService(svc: ServiceEntry): Buffer {
  if (svc.endpoints.length < 1 || svc.endpoints.length > MAX_BACKENDS) throw new Error(`a Service has 1 to ${MAX_BACKENDS} endpoints here, not ${svc.endpoints.length}`)
  const value = Buffer.alloc(4 + 8 * MAX_BACKENDS)
  value.writeUInt32LE(svc.endpoints.length, 0)
  svc.endpoints.forEach((ep, k) => addrPortKey(ep.ip, ep.port).copy(value, 4 + 8 * k))
  return value
}

/** The `services` map's entries: (ClusterIP, port) → endpoints. */
export function serviceUpdates(program: MapUpdate['program'], services: readonly ServiceEntry[]): MapUpdate[] {
  return services.map((svc) => ({ program, map: 'services', key: addrPortKey(svc.ip, svc.port), value: encodeService(svc) }))
}
