/**
 * The contract of a Service proxy: lay out N ClusterIP Services, two endpoints each, the way a real proxy does, inside
 * the lab's namespaces (and, for socket-level load balancing, a cgroup named after the lab). One file per proxy,
 * registered in ./index.ts.
 *
 * The measured Service is the last one: the worst case for a proxy that walks its Services in order (kube-proxy's
 * iptables mode), and any other position for one that hashes. Its endpoints are the two server pods on the server's
 * node, on the Service's own port (servers.SERVICE_PORT); the other Services point at addresses that exist nowhere
 * and are never reached.
 */
import { formatIp, parseIp } from '../ipv4.js'
import type { Datapath, Requirement } from '../datapath.js'

export interface ServiceEntry {
  name: string
  ip: string
  port: number
  endpoints: { ip: string; port: number }[]
}

export interface ServicesTarget {
  /** The client's node namespace and the netfilter hook the client's packets enter it by (kube-proxy's place). */
  nodeNetns: string
  hook: 'prerouting' | 'output'
  /** The client pod's namespace and interface (where Cilium's tc program sees its packets). */
  clientNetns: string
  clientDevice: string
  /** The lab, for anything named after it outside its namespaces (the socket-LB cgroup). */
  lab: string
}

export interface LoadedServices {
  /** A cgroup the measuring client must run in (socket-level load balancing attaches there). */
  clientCgroup?: string
}

export interface ServiceProxy {
  describe(target: ServicesTarget): string
  requires: readonly Requirement[]
  /** Why this proxy cannot serve `datapath`'s pods, as the real one could not either; undefined when it can. */
  problem(datapath: Datapath): string | undefined
  load(target: ServicesTarget, services: readonly ServiceEntry[]): Promise<LoadedServices>
}

const FIRST_CLUSTER_IP = parseIp('10.96.0.10')
const FIRST_UNUSED_ENDPOINT = parseIp('10.240.0.0')

/** N Services: the last one fronts `backends` on `port`, the others point nowhere (port 80 to 8080, as usual). */
export function serviceTable(count: number, backends: readonly string[], port: number): ServiceEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const last = i === count - 1
    const endpoints = last
      ? backends.map((ip) => ({ ip, port }))
      : [0, 1].map((k) => ({ ip: formatIp(FIRST_UNUSED_ENDPOINT + 2 * i + k), port: 8080 }))
    return { name: `svc-${i}`, ip: formatIp(FIRST_CLUSTER_IP + i), port: last ? port : 80, endpoints }
  })
}

/** kube-proxy's rules live in the node's netfilter hooks; a pod whose packets never cross them cannot use it. */
export function needsNodeNetfilter(datapath: Datapath): string | undefined {
  return datapath.bypassesNodeNetfilter ? `${datapath.name}'s pod packets do not cross the node's netfilter hooks, where kube-proxy's rules sit (the real plugin needs its own Service handling)` : undefined
}
