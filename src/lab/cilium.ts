/**
 * What cilium-native and cilium-vxlan share: Cilium's pod attachment (lxcXXXX veth, pod /32 with its gateway on
 * cilium_host), the BPF programs of bpf/cilium.c attached where Cilium attaches them, and the maps it fills from the
 * lab plan (local endpoints, other nodes' blocks). The two modes differ only in how a packet leaves for another node.
 */
import { Counter, attachTc, attachedPrograms, ipBytes, lpmKey, macBytes, readCounters, u32, updateMaps, type AttachedProgram, type MapUpdate } from './bpf.js'
import { needsBuilt, needsFeature, needsTool, type InspectSection, type Requirement } from './datapath.js'
import { addressIn } from './ipv4.js'
import type { LabRuntime } from './runtime.js'
import type { Script } from './script.js'
import type { LabPlan, NodePlan, PodPlan } from './topology.js'
import { hostIfName, nodeOf } from './wiring.js'
import { bpfObjectPath } from '../system/paths.js'

export type CiliumMode = 'native' | 'vxlan'

/** Cilium's default VXLAN port. */
export const CILIUM_VXLAN_PORT = 8472
const VNI = 2

export function ciliumRequirements(mode: CiliumMode): Requirement[] {
  return [
    needsFeature('veth'),
    needsFeature('tc-bpf'),
    ...(mode === 'vxlan' ? [needsFeature('vxlan-external')] : []),
    needsBuilt(bpfObjectPath('cilium'), 'the Cilium-style eBPF object (bpf/cilium.c)'),
    needsTool('bpftool'),
  ]
}

/** The router address Cilium puts on cilium_host: the first address of the node block. */
export const routerIp = (node: NodePlan) => addressIn(node.podCidr, 1)
const podMac = (pod: PodPlan) => mac(2, pod.index, 2)
const lxcMac = (pod: PodPlan) => mac(2, pod.index, 1)
function mac(kind: number, index: number, end: number): string {
  const hex = (n: number) => n.toString(16).padStart(2, '0')
  return `0e:cb:${hex(kind)}:${hex(Math.floor(index / 256))}:${hex(index % 256)}:${hex(end)}`
}

/** cilium_host/cilium_net, the lxc veth per pod, and (tunnel mode) cilium_vxlan. Pure. */
export function ciliumWire(plan: LabPlan, script: Script, mode: CiliumMode): void {
  for (const node of plan.nodes) {
    script
      .ip(node.netns, 'link', 'add', 'cilium_host', 'type', 'veth', 'peer', 'name', 'cilium_net')
      .ip(node.netns, 'link', 'set', 'cilium_host', 'up')
      .ip(node.netns, 'link', 'set', 'cilium_net', 'up')
      .ip(node.netns, 'addr', 'add', `${routerIp(node)}/32`, 'dev', 'cilium_host')
    if (mode === 'vxlan') {
      script
        .ip(node.netns, 'link', 'add', 'cilium_vxlan', 'type', 'vxlan', 'external', 'dstport', CILIUM_VXLAN_PORT)
        .ip(node.netns, 'link', 'set', 'cilium_vxlan', 'up')
    }
  }
  for (const pod of plan.pods) {
    const node = nodeOf(plan, pod)
    const lxc = hostIfName(plan, pod, 'lxc')
    const gw = routerIp(node)
    script
      .ip(node.netns, 'link', 'add', lxc, 'address', lxcMac(pod), 'mtu', plan.podMtu, 'type', 'veth', 'peer', 'name', 'eth0', 'address', podMac(pod), 'mtu', plan.podMtu, 'netns', pod.netns)
      .ip(node.netns, 'link', 'set', lxc, 'up')
      // For the node's own traffic to the pod; pod-to-pod traffic never consults it (BPF redirects first).
      .ip(node.netns, 'route', 'add', `${pod.ip}/32`, 'dev', lxc, 'scope', 'link')
      .ip(pod.netns, 'addr', 'add', `${pod.ip}/32`, 'dev', 'eth0')
      .ip(pod.netns, 'link', 'set', 'eth0', 'up')
      .ip(pod.netns, 'route', 'add', gw, 'dev', 'eth0', 'scope', 'link')
      .ip(pod.netns, 'route', 'add', 'default', 'via', gw, 'dev', 'eth0')
      // Cilium answers the pod's ARP for its gateway in BPF; a permanent entry gives the pod the same answer.
      .ip(pod.netns, 'neigh', 'add', gw, 'lladdr', lxcMac(pod), 'dev', 'eth0', 'nud', 'permanent')
  }
  for (const node of plan.nodes) {
    for (const peer of plan.nodes.filter((p) => p !== node)) {
      // Native routing: what auto-direct-node-routes installs, used by bpf_redirect_neigh's FIB lookup.
      // Tunnel mode: the kernel's view of the same (packets are redirected into cilium_vxlan by BPF first).
      if (mode === 'native') script.ip(node.netns, 'route', 'add', peer.podCidr, 'via', peer.underlayIp, 'dev', 'eth0')
      else script.ip(node.netns, 'route', 'add', peer.podCidr, 'via', routerIp(peer), 'dev', 'cilium_vxlan', 'onlink')
    }
  }
}

/**
 * How pods are attached, for the programs' maps: the host-side device of each pod and the two MACs a packet delivered
 * into the pod carries. Cilium's lxc devices have fixed MACs; another plugin's (Calico's cali devices, in the
 * calico-ebpf datapath) are read from the live lab.
 */
export interface EbpfPodAttachment {
  hostDevice(plan: LabPlan, pod: PodPlan): string
  macs(plan: LabPlan, pod: PodPlan, runtime: LabRuntime): Promise<{ podMac: string; hostMac: string }>
}

const ciliumPods: EbpfPodAttachment = {
  hostDevice: (plan, pod) => hostIfName(plan, pod, 'lxc'),
  macs: async (_plan, pod) => ({ podMac: podMac(pod), hostMac: lxcMac(pod) }),
}

/** Attach the programs and fill every instance's maps. */
export function ciliumStart(plan: LabPlan, runtime: LabRuntime, mode: CiliumMode): Promise<void> {
  return startEbpfHostRouting(plan, runtime, mode, ciliumPods)
}

/**
 * eBPF host routing as Cilium does it, on any routed-veth pod attachment: cil_from_container at ingress of each pod's
 * host device, cil_from_netdev on eth0 (native routing) or cil_from_overlay on cilium_vxlan, and their maps filled.
 */
export async function startEbpfHostRouting(plan: LabPlan, runtime: LabRuntime, mode: CiliumMode, pods: EbpfPodAttachment): Promise<void> {
  const updates: MapUpdate[] = []
  for (const node of plan.nodes) {
    const links = await runtime.links(node.netns)
    const ifindex = (name: string) => links.find((l) => l.ifname === name)?.ifindex ?? 0
    const local = plan.pods.filter((p) => p.node === node.name)
    const programs: AttachedProgram[] = []
    for (const pod of local) programs.push(await attachTc(node.netns, pods.hostDevice(plan, pod), 'ingress', 'cilium', 'cil_from_container'))
    programs.push(mode === 'native'
      ? await attachTc(node.netns, 'eth0', 'ingress', 'cilium', 'cil_from_netdev')
      : await attachTc(node.netns, 'cilium_vxlan', 'ingress', 'cilium', 'cil_from_overlay'))
    const config = encodeCiliumConfig({ tunnel: mode === 'vxlan', underlayIfindex: ifindex('eth0'), vxlanIfindex: ifindex('cilium_vxlan'), vni: VNI })
    const endpoints = await Promise.all(local.map(async (pod) => ({ pod, value: encodeEndpoint({ ifindex: ifindex(pods.hostDevice(plan, pod)), ...(await pods.macs(plan, pod, runtime)) }) })))
    for (const program of programs) {
      // A program holds only the maps its code uses (cil_from_netdev has no config).
      if ('config' in program.maps) updates.push({ program, map: 'config', key: u32(0), value: config })
      for (const { pod, value } of endpoints) updates.push({ program, map: 'endpoints', key: ipBytes(pod.ip), value })
      if ('remote_blocks' in program.maps) {
        for (const peer of plan.nodes.filter((p) => p !== node)) updates.push({ program, map: 'remote_blocks', key: lpmKey(peer.podCidr), value: ipBytes(peer.underlayIp) })
      }
    }
  }
  await updateMaps(updates)
}

/** struct cilium_config in bpf/cilium.c: four __u32. */
export function encodeCiliumConfig(c: { tunnel: boolean; underlayIfindex: number; vxlanIfindex: number; vni: number }): Buffer {
  return Buffer.concat([u32(c.tunnel ? 1 : 0), u32(c.underlayIfindex), u32(c.vxlanIfindex), u32(c.vni)])
}

/** struct endpoint in bpf/cilium.c: __u32 ifindex, __u8 pod_mac[6], __u8 host_mac[6]. */
export function encodeEndpoint(e: { ifindex: number; podMac: string; hostMac: string }): Buffer {
  return Buffer.concat([u32(e.ifindex), macBytes(e.podMac), macBytes(e.hostMac)])
}

/** Per node, each program's counters: the proof that packets took the eBPF path. */
export async function ciliumInspect(plan: LabPlan, pods: EbpfPodAttachment = ciliumPods): Promise<InspectSection[]> {
  const sections: InspectSection[] = []
  for (const node of plan.nodes) {
    const devices = ['eth0', 'cilium_vxlan', ...plan.pods.filter((p) => p.node === node.name).map((p) => pods.hostDevice(plan, p))]
    const rows: string[][] = []
    for (const device of devices) {
      for (const p of await attachedPrograms(node.netns, device).catch(() => [])) {
        const c = await readCounters(p)
        const n = (i: number) => String(c[i] ?? 0)
        rows.push([`${device} ${p.direction}`, p.name, n(Counter.redirectPeer), n(Counter.redirectNeigh), n(Counter.encap), n(Counter.decap), n(Counter.pass), n(Counter.drop)])
      }
    }
    sections.push({ node: node.name, title: `eBPF programs on ${node.name}`, headers: ['ATTACHED', 'PROGRAM', 'REDIRECT_PEER', 'REDIRECT_NEIGH', 'ENCAP', 'DECAP', 'PASS', 'DROP'], rows })
  }
  return sections
}
