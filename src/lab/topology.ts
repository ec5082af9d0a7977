/**
 * The lab's topology model and its planner: from a request (datapath, node and pod counts, address blocks, MTU) to
 * every name and address the builder will create. Pure: no IO, so it is unit-tested and printed by --dry-run.
 *
 * Naming: every namespace is `cnb-<lab>.<role>`. Lab names cannot contain dots, so the prefix of one lab never matches
 * another's (lab "a" and lab "a-b"), and `lab clean` can find leftovers by the `cnb-` prefix alone. Interfaces live
 * inside those namespaces and take the names the real plugins use (eth0, cni0, flannel.1, caliXXXX).
 */
import { CnibenchError } from '../errors.js'
import { DEFAULT_NIC_PROFILE, parseNicProfile, type NicProfile } from './offloads.js'
import { formatCidr, formatIp, host, overlaps, parseCidr, size, subnet as subnetOf, type Cidr } from './ipv4.js'

export const NETNS_PREFIX = 'cnb-'
export const LAB_NAME_PATTERN = /^[a-z][a-z0-9-]{0,23}$/

export interface LabRequest {
  name: string
  nodes: number
  podsPerNode: number
  /** The underlay (node network) block; nodes get .1, .2, ...; the last host address is the underlay gateway. */
  underlayCidr: string
  /** The cluster's pod block; node i gets the i-th /24 (its "PodCIDR"). */
  podCidr: string
  /** MTU of the underlay (the node's eth0). Pod MTU follows from the datapath. */
  underlayMtu: number
  /** Datapath options as given (`--opt key=value`); validated and completed by resolveOptions. */
  options?: Record<string, string>
  /**
   * 'switched': every node on one subnet, one L2 switch; 'routed': nodes in two subnets joined by a router (what
   * CrossSubnet needs, and the host baseline that crosses the same router). Default: the datapath's first underlay.
   */
  underlay?: Underlay
  /** NIC offload profile of the nodes' underlay devices (lab/offloads.ts); default `full`. */
  nicOffloads?: string
}

export const underlays = ['switched', 'routed'] as const
export type Underlay = (typeof underlays)[number]

/** How a datapath gives pods their addresses. */
export type Addressing =
  /** hostNetwork: the "pods" are the node namespaces themselves. */
  | 'host'
  /** Each node owns a /24 of the pod block (Flannel, Calico, Cilium). */
  | 'node-cidr'
  /** Pods take addresses in the underlay subnet (macvlan: static IPs on the physical network). */
  | 'underlay'
  /** Pods share one flat L2 subnet across nodes (OVS with the physical port on the bridge): the pod block's first /24. */
  | 'flat'

export interface DatapathShape {
  addressing: Addressing
  /** The underlays this datapath can run on, its default first (default: ['switched']). */
  underlays?: readonly Underlay[]
  /** Pod MTU the real plugin would configure over an underlay of this MTU (and these options). */
  podMtu(underlayMtu: number, options: Readonly<Record<string, string>>): number
}

export interface NodePlan {
  name: string
  /** 1-based. */
  index: number
  netns: string
  underlayIp: string
  underlayPrefix: number
  /** Index into LabPlan.underlay.subnets. */
  subnet: number
  /** The node's default gateway: the underlay router's address on its subnet. */
  underlayGateway: string
  /** Node-local pod block (e.g. 10.244.1.0/24), also for datapaths that do not use it. */
  podCidr: string
  /** First address of podCidr: bridge gateway (Flannel) or tunnel endpoint address. */
  podGateway: string
  /** Deterministic MAC for this node's tunnel endpoint, so peers can be programmed before it exists. */
  vtepMac: string
}

export interface PodPlan {
  name: string
  /** 1-based, global across nodes: pod1 is the first pod on node1. */
  index: number
  node: string
  netns: string
  ip: string
  prefixLen: number
}

export interface LabPlan {
  name: string
  datapath: string
  netnsPrefix: string
  /** The namespace holding the underlay switch (bridge br0) that joins all nodes' eth0. */
  wireNetns: string
  /** The first underlay subnet (cidr, gateway) and the MTU; `subnets` lists all of them (two when routed). */
  underlay: { kind: Underlay; cidr: string; gateway: string; mtu: number; subnets: UnderlaySubnet[] }
  podCidr: string
  podMtu: number
  nodes: NodePlan[]
  pods: PodPlan[]
  /** Resolved datapath options (every declared key; 'auto' resolved when the host was known). */
  options: Readonly<Record<string, string>>
  /** The NIC offload profile applied to every node's eth0. */
  nicOffloads: NicProfile
}

export interface UnderlaySubnet {
  cidr: string
  /** The router's (top of rack's) address on this subnet, held by `routerLeg` in the wire namespace. */
  gateway: string
  /** The subnet's switch: a bridge in the wire namespace. */
  bridge: string
  /** The router's interface on this subnet: a veth in the wire namespace whose peer is a port of `bridge`. */
  routerLeg: string
}

export function labNetnsPrefix(lab: string): string {
  return `${NETNS_PREFIX}${lab}.`
}

export function validateLabName(name: string): void {
  if (!LAB_NAME_PATTERN.test(name)) {
    throw new CnibenchError('E_USAGE', `invalid lab name "${name}"`, {
      hint: 'use 1-24 characters: a lowercase letter first, then lowercase letters, digits or "-"',
    })
  }
}

export function planLab(
  request: LabRequest,
  datapath: { name: string } & DatapathShape,
  options: Readonly<Record<string, string>> = request.options ?? {},
): LabPlan {
  validateLabName(request.name)
  checkCounts(request)
  const first = parseCidr(request.underlayCidr)
  const pods = parseCidr(request.podCidr)
  const kind = underlayOf(request, datapath)
  const subnetBlocks = Array.from({ length: kind === 'routed' ? 2 : 1 }, (_, i) => ({ network: first.network + i * size(first), prefix: first.prefix }))
  for (const block of subnetBlocks) checkBlocks(block, pods, request)
  const subnets = subnetBlocks.map((block, i) => ({ cidr: formatCidr(block), gateway: formatIp(host(block, size(block) - 2)), bridge: `br${i}`, routerLeg: `gw${i}` }))
  const prefix = labNetnsPrefix(request.name)
  const perSubnet = Math.ceil(request.nodes / subnets.length)
  const nodes = Array.from({ length: request.nodes }, (_, i) => {
    const subnet = Math.floor(i / perSubnet)
    const hostNumber = i + 1 - subnet * perSubnet // nodes number from .1 in each subnet
    return planNode(prefix, i + 1, hostNumber, subnet, subnetBlocks[subnet] as Cidr, subnets[subnet] as UnderlaySubnet, pods)
  })
  const [firstSubnet] = subnets as [UnderlaySubnet]
  return {
    name: request.name,
    datapath: datapath.name,
    netnsPrefix: prefix,
    wireNetns: `${prefix}wire`,
    underlay: { kind, cidr: firstSubnet.cidr, gateway: firstSubnet.gateway, mtu: request.underlayMtu, subnets },
    podCidr: formatCidr(pods),
    podMtu: datapath.podMtu(request.underlayMtu, options),
    nodes,
    pods: planPods(prefix, nodes, request, datapath.addressing, subnetBlocks, perSubnet),
    options,
    nicOffloads: parseNicProfile(request.nicOffloads ?? DEFAULT_NIC_PROFILE),
  }
}

/** The underlay asked for, checked against what the datapath can run on. */
export function underlayOf(request: Pick<LabRequest, 'underlay'>, datapath: { name: string } & Pick<DatapathShape, 'underlays'>): Underlay {
  const supported = datapath.underlays ?? ['switched']
  const wanted = request.underlay ?? (supported[0] as Underlay)
  if (!supported.includes(wanted)) {
    throw new CnibenchError('E_USAGE', `datapath ${datapath.name} cannot run on a ${wanted} underlay`, { hint: `it runs on: ${supported.join(', ')}` })
  }
  return wanted
}

function planNode(prefix: string, index: number, hostNumber: number, subnet: number, block: Cidr, underlay: UnderlaySubnet, pods: Cidr): NodePlan {
  const nodeCidr = subnetOf(pods, 24, index)
  return {
    name: `node${index}`,
    index,
    netns: `${prefix}node${index}`,
    underlayIp: formatIp(host(block, hostNumber)),
    underlayPrefix: block.prefix,
    subnet,
    underlayGateway: underlay.gateway,
    podCidr: formatCidr(nodeCidr),
    podGateway: formatIp(nodeCidr.network),
    vtepMac: `0e:cb:00:00:${hex2(Math.floor(index / 256))}:${hex2(index % 256)}`,
  }
}

function planPods(
  prefix: string,
  nodes: NodePlan[],
  request: LabRequest,
  addressing: Addressing,
  subnetBlocks: Cidr[],
  nodesPerSubnet: number,
): PodPlan[] {
  const pods: PodPlan[] = []
  for (const node of nodes) {
    for (let j = 1; j <= request.podsPerNode; j++) {
      const index = pods.length + 1
      const name = `pod${index}`
      if (addressing === 'host') {
        pods.push({ name, index, node: node.name, netns: node.netns, ip: node.underlayIp, prefixLen: node.underlayPrefix })
      } else if (addressing === 'underlay') {
        // After the node addresses of the subnet, so a pod never takes a node's IP (or the gateway: host() checks).
        const block = subnetBlocks[node.subnet] as Cidr
        const podsBefore = pods.filter((p) => nodes.find((n) => n.name === p.node)?.subnet === node.subnet).length
        const ip = formatIp(host(block, nodesPerSubnet + podsBefore + 1))
        if (ip === formatIp(host(block, size(block) - 2))) throw new CnibenchError('E_ADDRESSING', `the underlay block has no room for ${index} pods`, { hint: 'give a larger --underlay-cidr' })
        pods.push({ name, index, node: node.name, netns: `${prefix}${name}`, ip, prefixLen: block.prefix })
      } else if (addressing === 'flat') {
        const ip = formatIp(host(subnetOf(parseCidr(request.podCidr), 24, 0), index + 1))
        pods.push({ name, index, node: node.name, netns: `${prefix}${name}`, ip, prefixLen: 24 })
      } else {
        // .1 is the node's bridge gateway in bridged datapaths; pods start at .2 everywhere for uniformity.
        const ip = formatIp(host(parseCidr(node.podCidr), j + 1))
        pods.push({ name, index, node: node.name, netns: `${prefix}${name}`, ip, prefixLen: 24 })
      }
    }
  }
  return pods
}

function checkCounts(request: LabRequest): void {
  if (!Number.isInteger(request.nodes) || request.nodes < 2 || request.nodes > 64) {
    throw new CnibenchError('E_USAGE', `--nodes must be an integer from 2 to 64, not ${request.nodes}`, { hint: 'e.g. --nodes 2' })
  }
  if (!Number.isInteger(request.podsPerNode) || request.podsPerNode < 1 || request.podsPerNode > 200) {
    throw new CnibenchError('E_USAGE', `--pods-per-node must be an integer from 1 to 200, not ${request.podsPerNode}`, {
      hint: 'e.g. --pods-per-node 1',
    })
  }
  if (!Number.isInteger(request.underlayMtu) || request.underlayMtu < 1280 || request.underlayMtu > 9000) {
    throw new CnibenchError('E_USAGE', `--mtu must be from 1280 to 9000, not ${request.underlayMtu}`, { hint: 'e.g. --mtu 1500' })
  }
}

function checkBlocks(underlay: Cidr, pods: Cidr, request: LabRequest): void {
  if (overlaps(underlay, pods)) {
    throw new CnibenchError('E_ADDRESSING', `--underlay-cidr ${request.underlayCidr} overlaps --pod-cidr ${request.podCidr}`, {
      hint: 'give blocks that do not overlap, e.g. --underlay-cidr 192.168.250.0/24 --pod-cidr 10.244.0.0/16',
    })
  }
  if (pods.prefix > 23) {
    throw new CnibenchError('E_ADDRESSING', `--pod-cidr ${request.podCidr} is too small to give each node a /24`, {
      hint: 'use a /16 such as 10.244.0.0/16',
    })
  }
  if (underlay.prefix > 29) {
    throw new CnibenchError('E_ADDRESSING', `--underlay-cidr ${request.underlayCidr} is too small`, { hint: 'use a /24' })
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0')
}

/** Client: the first pod on node1. Server: the first pod on node2 (inter-node) or the second on node1 (intra-node). */
export function measuredPods(plan: LabPlan, placement: 'inter-node' | 'intra-node'): [PodPlan, PodPlan] {
  const client = plan.pods.find((p) => p.node === 'node1')
  const server = placement === 'intra-node' ? plan.pods.filter((p) => p.node === 'node1')[1] : plan.pods.find((p) => p.node === 'node2')
  if (!client || !server) throw new Error(`lab ${plan.name} lacks pods for ${placement}`)
  return [client, server]
}
