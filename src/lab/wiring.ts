/**
 * The building blocks datapaths are made of, each as the real plugin builds it (the eight-schemes namespace study gives the
 * commands): the underlay every lab shares, Calico's routed veth, the CNI bridge plugin's bridged veth (Flannel),
 * a VXLAN VTEP with static neighbour and FDB entries (what flanneld and Felix program), and native routes to the
 * other nodes' pod blocks (host-gw, Calico BGP). Pure: each appends steps to a Script.
 */
import { createHash } from 'node:crypto'
import { addressIn } from './ipv4.js'
import type { Script } from './script.js'
import type { LabPlan, NodePlan, PodPlan } from './topology.js'

/** Calico's pods reach the node through this link-local next hop, answered by proxy ARP on the host-side veth. */
export const CALICO_GATEWAY = '169.254.1.1'
/** Calico gives the host side of every pod veth this MAC. */
export const CALICO_HOST_MAC = 'ee:ee:ee:ee:ee:ee'

/**
 * Namespaces, the underlay switch(es) and the nodes' eth0. Each underlay subnet is a bridge (`br0`, `br1`) in the wire
 * namespace; the subnet's gateway (the "top of rack") is a router interface `gwN`, a veth whose peer is a port of that
 * bridge. Nodes get a default route via their gateway as a real node has, which Calico's proxy ARP relies on. With two
 * subnets the wire namespace routes between its gwN legs (CrossSubnet); with one it forwards nothing. Nothing in the
 * wire namespace leads outside the lab.
 *
 * Why a veth leg and not an address on the bridge: a packet routed out of a bridge device is checked against the
 * bridge's encapsulation offloads, and a bridge declares none, so every IP-in-IP or VXLAN super-packet the router
 * forwarded was cut into MTU-sized segments in software (calico-crosssubnet read −47 to −60% against −3 to −9% for
 * calico-ipip). A veth declares them, so the router passes tunnel packets on whole, as a hardware router hands them to
 * a NIC that segments them, and the receiving node merges them (GRO).
 */
export function underlay(plan: LabPlan, script: Script): void {
  const namespaces = [plan.wireNetns, ...plan.nodes.map((n) => n.netns), ...podNamespaces(plan)]
  for (const ns of namespaces) script.netns(ns)
  for (const ns of namespaces) quietNamespace(script, ns)
  script.ip(plan.wireNetns, 'link', 'set', 'lo', 'up')
  for (const subnet of plan.underlay.subnets) {
    const port = `${subnet.routerLeg}-port`
    script
      .ip(plan.wireNetns, 'link', 'add', subnet.bridge, 'type', 'bridge')
      .ip(plan.wireNetns, 'link', 'set', subnet.bridge, 'mtu', plan.underlay.mtu, 'up')
      .ip(plan.wireNetns, 'link', 'add', subnet.routerLeg, 'type', 'veth', 'peer', 'name', port)
      .ip(plan.wireNetns, 'link', 'set', port, 'master', subnet.bridge, 'mtu', plan.underlay.mtu, 'up')
      .ip(plan.wireNetns, 'link', 'set', subnet.routerLeg, 'mtu', plan.underlay.mtu, 'up')
      .ip(plan.wireNetns, 'addr', 'add', `${subnet.gateway}/${subnet.cidr.split('/')[1]}`, 'dev', subnet.routerLeg)
  }
  if (plan.underlay.subnets.length > 1) script.sysctl(plan.wireNetns, 'net.ipv4.ip_forward', 1)
  for (const node of plan.nodes) {
    const bridge = plan.underlay.subnets[node.subnet]?.bridge as string
    script
      .ip(plan.wireNetns, 'link', 'add', node.name, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.netns)
      .ip(plan.wireNetns, 'link', 'set', node.name, 'master', bridge, 'mtu', plan.underlay.mtu, 'up')
  }
  for (const node of plan.nodes) {
    script
      .ip(node.netns, 'link', 'set', 'lo', 'up')
      .ip(node.netns, 'link', 'set', 'eth0', 'mtu', plan.underlay.mtu, 'up')
      .ip(node.netns, 'addr', 'add', `${node.underlayIp}/${node.underlayPrefix}`, 'dev', 'eth0')
      .ip(node.netns, 'route', 'add', 'default', 'via', node.underlayGateway, 'dev', 'eth0')
      .sysctl(node.netns, 'net.ipv4.ip_forward', 1)
  }
  for (const pod of plan.pods.filter((p) => p.netns !== nodeOf(plan, p).netns)) {
    script.ip(pod.netns, 'link', 'set', 'lo', 'up')
  }
}

/** IPv6 off: its router solicitations and MLD reports would move the counters that prove a packet path. */
function quietNamespace(script: Script, netns: string): void {
  script.sysctl(netns, 'net.ipv6.conf.all.disable_ipv6', 1).sysctl(netns, 'net.ipv6.conf.default.disable_ipv6', 1)
}

function podNamespaces(plan: LabPlan): string[] {
  const nodeNamespaces = new Set(plan.nodes.map((n) => n.netns))
  return plan.pods.map((p) => p.netns).filter((ns) => !nodeNamespaces.has(ns))
}

export function nodeOf(plan: LabPlan, pod: PodPlan): NodePlan {
  const node = plan.nodes.find((n) => n.name === pod.node)
  if (!node) throw new Error(`pod ${pod.name} names unknown node ${pod.node}`)
  return node
}

/** Hex digits each plugin puts after its prefix: Calico cali + 11, Cilium lxc + 12 (15-character names), CNI bridge veth + 8. */
const IFNAME_HEX = { cali: 11, lxc: 12, veth: 8 } as const

/** Stable per-pod host-side interface name in the plugin's style. */
export function hostIfName(plan: LabPlan, pod: PodPlan, prefix: keyof typeof IFNAME_HEX): string {
  const hex = createHash('sha1').update(`${plan.name}/${pod.name}`).digest('hex')
  return prefix + hex.slice(0, IFNAME_HEX[prefix])
}

/**
 * Calico's pod attachment: a veth whose pod end holds a /32 and a default route via 169.254.1.1; the host end has no
 * address, answers ARP for anything by proxy, and the node routes the pod's /32 to it.
 */
export function routedPod(plan: LabPlan, pod: PodPlan, script: Script, mtu: number): void {
  const node = nodeOf(plan, pod)
  const cali = hostIfName(plan, pod, 'cali')
  script
    .ip(node.netns, 'link', 'add', cali, 'mtu', mtu, 'type', 'veth', 'peer', 'name', 'eth0', 'mtu', mtu, 'netns', pod.netns)
    .ip(node.netns, 'link', 'set', cali, 'address', CALICO_HOST_MAC, 'up')
    .ip(node.netns, 'route', 'add', `${pod.ip}/32`, 'dev', cali, 'scope', 'link')
    .sysctl(node.netns, `net.ipv4.conf.${cali}.proxy_arp`, 1)
    // Without this the first proxy ARP answer waits up to 0.8 s (neigh proxy_delay).
    .sysctl(node.netns, `net.ipv4.neigh.${cali}.proxy_delay`, 0)
    .ip(pod.netns, 'addr', 'add', `${pod.ip}/32`, 'dev', 'eth0')
    .ip(pod.netns, 'link', 'set', 'eth0', 'up')
    .ip(pod.netns, 'route', 'add', CALICO_GATEWAY, 'dev', 'eth0', 'scope', 'link')
    .ip(pod.netns, 'route', 'add', 'default', 'via', CALICO_GATEWAY, 'dev', 'eth0')
}

/** Calico installs a blackhole for each block it owns, so traffic to unallocated pod IPs dies on the owning node. */
export function blackholeOwnBlocks(plan: LabPlan, script: Script): void {
  for (const node of plan.nodes) script.ip(node.netns, 'route', 'add', 'blackhole', node.podCidr)
}

/** The CNI bridge plugin as Flannel uses it: bridge cni0 holding the node's first pod address, one veth per pod. */
export function bridgedPods(plan: LabPlan, script: Script, mtu: number): void {
  const prefix = (cidr: string) => cidr.split('/')[1]
  for (const node of plan.nodes) {
    const gateway = addressIn(node.podCidr, 1)
    script
      .ip(node.netns, 'link', 'add', 'cni0', 'type', 'bridge')
      .ip(node.netns, 'link', 'set', 'cni0', 'mtu', mtu, 'up')
      .ip(node.netns, 'addr', 'add', `${gateway}/${prefix(node.podCidr)}`, 'dev', 'cni0')
  }
  for (const pod of plan.pods) {
    podVeth(plan, pod, script, mtu, ['master', 'cni0'])
    script.ip(pod.netns, 'route', 'add', 'default', 'via', addressIn(nodeOf(plan, pod).podCidr, 1), 'dev', 'eth0')
  }
}

/**
 * A pod on a switch: veth `vethXXXXXXXX` in the node (with `hostSide` settings, e.g. a bridge master) and eth0 with the
 * pod's address in the pod (the CNI bridge plugin; OVS ports). Routes are the caller's.
 */
export function podVeth(plan: LabPlan, pod: PodPlan, script: Script, mtu: number, hostSide: (string | number)[]): string {
  const node = nodeOf(plan, pod)
  const veth = hostIfName(plan, pod, 'veth')
  script
    .ip(node.netns, 'link', 'add', veth, 'mtu', mtu, 'type', 'veth', 'peer', 'name', 'eth0', 'mtu', mtu, 'netns', pod.netns)
    .ip(node.netns, 'link', 'set', veth, ...hostSide, 'up')
    .ip(pod.netns, 'addr', 'add', `${pod.ip}/${pod.prefixLen}`, 'dev', 'eth0')
    .ip(pod.netns, 'link', 'set', 'eth0', 'up')
  return veth
}

export interface VtepOptions {
  device: string
  vni: number
  port: number
  mtu: number
}

/**
 * A VXLAN VTEP per node and the static state flanneld (or Felix) writes for every other node: an ARP entry for the
 * peer's VTEP address, an FDB entry sending that MAC to the peer's underlay IP, and the peer's pod block routed via
 * its VTEP address "onlink". No multicast, no learning: exactly the commands of the eight-schemes namespace study.
 */
export function vxlanMesh(
  plan: LabPlan,
  script: Script,
  vtep: VtepOptions,
  peersOf: (node: NodePlan) => NodePlan[] = (node) => plan.nodes.filter((p) => p !== node),
): void {
  for (const node of plan.nodes) {
    script
      .ip(node.netns, 'link', 'add', vtep.device, 'type', 'vxlan', 'id', vtep.vni, 'local', node.underlayIp, 'dev', 'eth0',
        'dstport', vtep.port, 'nolearning')
      .ip(node.netns, 'link', 'set', vtep.device, 'address', node.vtepMac, 'mtu', vtep.mtu, 'up')
      .ip(node.netns, 'addr', 'add', `${node.podGateway}/32`, 'dev', vtep.device)
    for (const peer of peersOf(node)) {
      script
        .ip(node.netns, 'neigh', 'add', peer.podGateway, 'lladdr', peer.vtepMac, 'dev', vtep.device, 'nud', 'permanent')
        .bridge(node.netns, 'fdb', 'append', peer.vtepMac, 'dev', vtep.device, 'dst', peer.underlayIp)
        .ip(node.netns, 'route', 'add', peer.podCidr, 'via', peer.podGateway, 'dev', vtep.device, 'onlink')
    }
  }
}

/** Each node routes other nodes' pod blocks via their underlay IPs (host-gw; Cilium's direct node routes). */
export function nativeRoutes(
  plan: LabPlan,
  script: Script,
  peersOf: (node: NodePlan) => NodePlan[] = (node) => plan.nodes.filter((p) => p !== node),
): void {
  for (const node of plan.nodes) {
    for (const peer of peersOf(node)) {
      script.ip(node.netns, 'route', 'add', peer.podCidr, 'via', peer.underlayIp, 'dev', 'eth0')
    }
  }
}
