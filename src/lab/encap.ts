/**
 * IP-in-IP between nodes, the two ways cnibench can build it: the kernel's ipip module (tunl0, as Calico uses it) or,
 * where the kernel has no ipip module, tc eBPF programs on the node's underlay device that put the same protocol-4
 * packets on the wire (bpf/ipip.c). Shared by calico-ipip and calico-crosssubnet; `peersOf(node)` says which peers
 * are reached encapsulated (all of them, or only those in another subnet).
 */
import { Counter, attachTc, ipBytes, lpmKey, readCounters, attachedPrograms, updateMaps, type MapUpdate } from './bpf.js'
import { needsBuilt, needsFeature, needsTool, type DatapathOptions, type InspectSection, type Requirement } from './datapath.js'
import type { LabRuntime } from './runtime.js'
import type { Script } from './script.js'
import type { LabPlan, NodePlan } from './topology.js'
import { bpfObjectPath } from '../system/paths.js'
import type { HostReport } from '../system/doctor.js'

export type IpipImplementation = 'kernel' | 'ebpf'

export const ipipOption = {
  choices: ['auto', 'kernel', 'ebpf'],
  default: 'auto',
  describe: 'IP-in-IP implementation: the kernel ipip module (tunl0), or eBPF (tc) where the module is missing',
} as const

/** 'auto': the kernel module where it exists, else eBPF. */
export function resolveIpip(options: DatapathOptions, host: HostReport): DatapathOptions {
  if (options['ipip'] !== 'auto') return options
  const kernel = host.features.find((f) => f.feature === 'ipip')?.available ?? false
  return { ...options, ipip: kernel ? 'kernel' : 'ebpf' }
}

export function ipipRequirements(impl: string): Requirement[] {
  return impl === 'ebpf'
    ? [needsFeature('tc-bpf'), needsBuilt(bpfObjectPath('ipip'), 'the eBPF IP-in-IP object (bpf/ipip.c)'), needsTool('bpftool')]
    : [needsFeature('ipip')]
}

export function ipipImplementationLabel(impl: string): string {
  return impl === 'ebpf' ? 'eBPF tc IP-in-IP (protocol 4; no ipip module)' : 'kernel ipip (tunl0)'
}

/** The same packets on the wire as Calico's tunl0, made by cnibench's eBPF instead of the kernel's ipip module. */
export function ipipCaveat(impl: string): { caveat?: string } {
  return impl === 'ebpf' ? { caveat: 'eBPF IP-in-IP' } : {}
}

/** Where `from` sends packets for `peer`: straight to it on a shared subnet, else to its own router. */
export function nextHopTo(from: NodePlan, peer: NodePlan): string {
  return from.subnet === peer.subnet ? peer.underlayIp : from.underlayGateway
}

/** Routes for the eBPF implementation (plain routes out of eth0; the program adds the outer header). Pure. */
export function ipipEbpfRoutes(plan: LabPlan, script: Script, peersOf: (node: NodePlan) => NodePlan[]): void {
  for (const node of plan.nodes) {
    for (const peer of peersOf(node)) script.ip(node.netns, 'route', 'add', peer.podCidr, 'via', nextHopTo(node, peer), 'dev', 'eth0')
  }
}

/** eBPF: attach encap (egress) and decap (ingress) to each node's eth0 and fill their maps. */
export async function startIpipEbpf(plan: LabPlan, peersOf: (node: NodePlan) => NodePlan[]): Promise<void> {
  const updates: MapUpdate[] = []
  for (const node of plan.nodes) {
    const encap = await attachTc(node.netns, 'eth0', 'egress', 'ipip', 'ipip_encap')
    const decap = await attachTc(node.netns, 'eth0', 'ingress', 'ipip', 'ipip_decap')
    for (const program of [encap, decap]) updates.push({ program, map: 'config', key: Buffer.alloc(4), value: ipBytes(node.underlayIp) })
    for (const peer of peersOf(node)) updates.push({ program: encap, map: 'routes', key: lpmKey(peer.podCidr), value: ipBytes(peer.underlayIp) })
  }
  await updateMaps(updates)
}

/** Kernel: tunl0 (created by the ipip module in every namespace, or by us) and routes via it with the peer as gateway. */
export async function startIpipKernel(plan: LabPlan, runtime: LabRuntime, peersOf: (node: NodePlan) => NodePlan[]): Promise<void> {
  for (const node of plan.nodes) {
    const hasTunl0 = (await runtime.links(node.netns)).some((l) => l.ifname === 'tunl0')
    await runtime.apply((script) => {
      if (!hasTunl0) script.ip(node.netns, 'link', 'add', 'tunl0', 'type', 'ipip')
      script.ip(node.netns, 'link', 'set', 'tunl0', 'mtu', plan.podMtu, 'up').ip(node.netns, 'addr', 'add', `${node.podGateway}/32`, 'dev', 'tunl0')
      for (const peer of peersOf(node)) script.ip(node.netns, 'route', 'add', peer.podCidr, 'via', peer.underlayIp, 'dev', 'tunl0', 'onlink')
    })
  }
}

/** Per node, the eBPF programs' counters: proof that packets were encapsulated and decapsulated. */
export async function ipipEbpfInspect(plan: LabPlan): Promise<InspectSection[]> {
  const sections: InspectSection[] = []
  for (const node of plan.nodes) {
    const rows: string[][] = []
    for (const p of await attachedPrograms(node.netns, 'eth0')) {
      const c = await readCounters(p)
      rows.push([`eth0 ${p.direction}`, p.name, String(c[Counter.encap] ?? 0), String(c[Counter.decap] ?? 0), String(c[Counter.pass] ?? 0), String(c[Counter.drop] ?? 0)])
    }
    sections.push({ node: node.name, title: `eBPF IP-in-IP on ${node.name}`, headers: ['ATTACHED', 'PROGRAM', 'ENCAP', 'DECAP', 'PASS', 'DROP'], rows })
  }
  return sections
}
