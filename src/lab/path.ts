/**
 * `lab path`: the packet path from one pod to another, read from the kernel of the lab actually built, not from the
 * datapath's description. At each namespace it asks the kernel where the packet goes (`ip route get ... iif`), then
 * follows the device: a veth to its peer (in whichever namespace), a bridge to the port its FDB names for the
 * destination MAC, a macvlan to its lower device, a VXLAN or IPIP device to the underlay and the decapsulating device
 * on the far node. Where the kernel's tables are bypassed it asks what bypasses them: cnibench's tc eBPF programs
 * (their live maps, see path-bpf.ts), the datapath's software switch (OVS flows), a TUN daemon (flannel-udp).
 * The notation of the Flannel-vs-Calico datapath study: pod1 eth0 → caliXXXX → node1 eth0 → … → pod2 eth0.
 */
import { run } from '../exec/run.js'
import { bridgeFdb, inNetns, ipJson, listLinks, type IpLink } from '../exec/netns.js'
import { CnibenchError } from '../errors.js'
import { attachedPrograms, type AttachedProgram } from './bpf.js'
import { ciliumIngress, hasIpipDecap, ipipEgress } from './path-bpf.js'
import { contains, parseCidr, parseIp } from './ipv4.js'
import { labDir, type LabRecord } from './state.js'
import type { Datapath } from './datapath.js'
import { getDatapath } from './datapaths/index.js'

export interface PathHop {
  /** Lab role of the namespace: pod1, node1, underlay. */
  where: string
  netns: string
  device: string
  /** veth, bridge, vxlan, macvlan, ipip, lo ... */
  kind: string
  /** What happens here: "VXLAN encap VNI 1 → 192.168.250.2", "deliver". */
  note?: string
  /** tc eBPF programs attached to the device ("ingress:cil_from_container"): they may redirect or encapsulate. */
  bpf?: string[]
}

export interface PacketPath {
  from: { pod: string; ip: string }
  to: { pod: string; ip: string }
  reachable: boolean
  hops: PathHop[]
}

/** A traced path as a run stores it with its testbed (or why tracing failed), for reports drawn later. */
export type StoredPath = { placement: string } & (PacketPath | { error: string })

interface RouteAnswer {
  type?: string
  dst: string
  dev: string
  gateway?: string
  prefsrc?: string
}

const MAX_HOPS = 40

export async function tracePath(record: LabRecord, fromPod: string, toPod: string): Promise<PacketPath> {
  const from = findPod(record, fromPod)
  const to = findPod(record, toPod)
  // One ping fills the neighbour tables the L2 steps read; its answer also says whether the path works at all.
  const ping = await run(inNetns(from.netns, ['ping', '-c', '1', '-W', '2', to.ip]), { allowFailure: true })
  const tracer = new Tracer(record)
  const hops = await tracer.trace(from.netns, from.ip, to.ip)
  for (const hop of hops) {
    if (hop.kind === 'lo' || hop.device === '-') continue
    const programs = await tracer.programsOn(hop.netns, hop.device)
    if (programs.length > 0) hop.bpf = programs.map((p) => `${p.direction}:${p.name}`)
  }
  return { from: { pod: from.name, ip: from.ip }, to: { pod: to.name, ip: to.ip }, reachable: ping.code === 0, hops }
}

function findPod(record: LabRecord, name: string) {
  const pod = record.plan.pods.find((p) => p.name === name)
  if (!pod) {
    throw new CnibenchError('E_USAGE', `lab ${record.name} has no pod "${name}"`, {
      hint: `choose one of: ${record.plan.pods.map((p) => p.name).join(', ')}`,
    })
  }
  return pod
}

/** One line in the notation of the Flannel-vs-Calico datapath study. The underlay switch's ports are left out: "underlay br0" says it. */
export function formatPath(path: PacketPath): string {
  return path.hops
    .filter((h) => !(h.where === 'underlay' && h.kind !== 'bridge'))
    .map((h) => {
      const name =
        h.device === 'eth0' || h.kind === 'lo' || h.where === 'underlay' ? `${h.where} ${h.device}` : `${h.device} (${h.where})`
      // Attached programs are listed unless the note already says what one of them did.
      const programs = h.bpf && !h.note?.startsWith('eBPF') ? [`eBPF ${h.bpf.join(', ')}`] : []
      const notes = [...(h.note ? [h.note] : []), ...programs]
      return notes.length > 0 ? `${name} [${notes.join('; ')}]` : name
    })
    .join(' → ')
}

class Tracer {
  private readonly links = new Map<string, Promise<IpLink[]>>()
  private readonly nsids = new Map<string, Promise<{ nsid: number; name?: string }[]>>()
  private readonly programs = new Map<string, Promise<AttachedProgram[]>>()
  private readonly labels = new Map<string, string>()
  private readonly namespaces: string[]
  private readonly plan: LabRecord['plan']
  private readonly runDir: string
  private readonly datapath: Datapath
  readonly hops: PathHop[] = []

  constructor(record: LabRecord) {
    const { plan } = record
    this.labels.set(plan.wireNetns, 'underlay')
    for (const pod of plan.pods) this.labels.set(pod.netns, pod.name)
    for (const node of plan.nodes) this.labels.set(node.netns, node.name) // hostNetwork pods are their node
    this.namespaces = [...this.labels.keys()]
    this.plan = plan
    this.runDir = labDir(record.name)
    this.datapath = getDatapath(record.datapath)
  }

  async trace(netns: string, src: string, dst: string): Promise<PathHop[]> {
    await this.walkL3(netns, undefined, src, dst)
    return this.hops
  }

  /** Route the packet (src → dst) hop by hop from `netns` until it is delivered locally; returns where. */
  private async walkL3(
    netns: string,
    iif: string | undefined,
    src: string,
    dst: string,
    arrivalNote: string | null = 'deliver',
  ): Promise<{ netns: string; dev: string }> {
    let here = { netns, iif }
    for (let guard = 0; guard < MAX_HOPS; guard++) {
      const redirected = here.iif ? await this.bpfIngress(here.netns, here.iif, dst) : undefined
      if (redirected) {
        here = redirected
        continue
      }
      const route = await this.routeGet(here.netns, dst, src, here.iif)
      if (!route) {
        this.push(here.netns, here.iif ?? '-', '-', 'no route')
        return { netns: here.netns, dev: here.iif ?? '-' }
      }
      if (route.type === 'local') {
        if (!here.iif) this.push(here.netns, 'lo', 'lo', arrivalNote ?? undefined)
        else if (arrivalNote) this.note(here.netns, here.iif, arrivalNote)
        return { netns: here.netns, dev: here.iif ?? 'lo' }
      }
      if (route.type === 'blackhole' || route.type === 'unreachable') {
        this.push(here.netns, route.dev ?? '-', route.type, 'dropped')
        return { netns: here.netns, dev: '-' }
      }
      const out = await this.link(here.netns, route.dev)
      const kind = kindOf(out)
      const nextHop = route.gateway ?? dst
      this.push(here.netns, out.ifname, kind)
      const ebpfRemote = await ipipEgress(await this.programsOn(here.netns, out.ifname), dst)
      if (ebpfRemote) {
        here = await this.carry(here.netns, out, ebpfRemote, `eBPF IP-in-IP encap → ${ebpfRemote}`, 'ipip')
        continue
      }
      if (kind === 'vxlan' || kind === 'ipip') {
        here = await this.tunnel(here.netns, out, kind, nextHop)
        continue
      }
      if (kind === 'tun') {
        here = await this.userspaceTunnel(here.netns, out, dst)
        continue
      }
      const arrival = await this.transmit(here.netns, out, nextHop, dst)
      if (!arrival) return { netns: here.netns, dev: out.ifname }
      here = { netns: arrival.netns, iif: arrival.dev }
    }
    throw new Error('packet path did not end within 40 hops')
  }

  /** Send out of `out` to the L2 neighbour `nextHop` and follow the frame to whoever takes it in. */
  private async transmit(netns: string, out: IpLink, nextHop: string, dst: string) {
    return this.walkL2(netns, out, await this.neighbourMac(netns, out.ifname, nextHop), dst)
  }

  /** A Cilium program on the ingress device may take the packet before routing does; follow what its maps say. */
  private async bpfIngress(netns: string, iif: string, dst: string): Promise<{ netns: string; iif: string } | undefined> {
    const decision = await ciliumIngress(await this.programsOn(netns, iif), dst)
    if (!decision) return undefined
    this.note(netns, iif, decision.note)
    if (decision.kind === 'peer') {
      const veth = (await this.listLinks(netns)).find((l) => l.ifindex === decision.ifindex)
      if (!veth) throw new Error(`no device with index ${decision.ifindex} in ${netns}`)
      const pod = await this.peerOrLower(netns, veth)
      this.push(pod.netns, pod.dev.ifname, kindOf(pod.dev))
      return { netns: pod.netns, iif: pod.dev.ifname }
    }
    if (decision.kind === 'neigh') {
      const route = await this.routeGet(netns, dst)
      const out = await this.link(netns, route?.dev ?? 'eth0')
      this.push(netns, out.ifname, kindOf(out))
      const arrival = await this.transmit(netns, out, route?.gateway ?? dst, dst)
      return arrival && { netns: arrival.netns, iif: arrival.dev }
    }
    const vxlan = (await this.listLinks(netns)).find((l) => kindOf(l) === 'vxlan')
    if (!vxlan) throw new Error(`no VXLAN device in ${netns}`)
    this.push(netns, vxlan.ifname, 'vxlan')
    const port = vxlan.linkinfo?.info_data?.['port']
    return this.carry(netns, vxlan, decision.remote, `VXLAN encap UDP ${String(port)} → ${decision.remote}`, 'vxlan')
  }

  /**
   * The outer packet of an encapsulation done at `dev` (by the kernel or by eBPF): walk it from this node to
   * `remote`, then find what decapsulates it there (a device of the same kind and port, or eth0 with ipip_decap).
   */
  private async carry(netns: string, dev: IpLink, remote: string, note: string, kind: 'vxlan' | 'ipip') {
    this.note(netns, dev.ifname, note)
    const local = String(dev.linkinfo?.info_data?.['local'] ?? '') || (await this.routeGet(netns, remote))?.prefsrc || ''
    const arrival = await this.walkL3(netns, undefined, local, remote, null) // the outer packet arrives, nothing is delivered yet
    if (kind === 'ipip' && hasIpipDecap(await this.programsOn(arrival.netns, arrival.dev))) {
      this.note(arrival.netns, arrival.dev, 'eBPF IP-in-IP decap')
      return { netns: arrival.netns, iif: arrival.dev }
    }
    const port = dev.linkinfo?.info_data?.['port']
    const decap = (await this.listLinks(arrival.netns)).find((l) => kindOf(l) === kind && (kind !== 'vxlan' || l.linkinfo?.info_data?.['port'] === port))
    if (!decap) throw new Error(`nothing in ${arrival.netns} decapsulates ${kind}`)
    this.push(arrival.netns, decap.ifname, kind, 'decap')
    return { netns: arrival.netns, iif: decap.ifname }
  }

  /**
   * A TUN device: a userspace daemon (flannel-udp) reads the packet and sends it in UDP to the node owning `dst`; on
   * that node the daemon writes it into its own TUN device, where routing resumes.
   */
  private async userspaceTunnel(netns: string, tun: IpLink, dst: string) {
    const owner = this.plan.nodes.find((n) => contains(parseCidr(n.podCidr), parseIp(dst)))
    if (!owner) throw new Error(`no node owns ${dst}`)
    this.note(netns, tun.ifname, `userspace daemon: UDP → ${owner.underlayIp}`)
    const from = this.plan.nodes.find((n) => n.netns === netns)?.underlayIp ?? ''
    const arrival = await this.walkL3(netns, undefined, from, owner.underlayIp, null)
    this.note(arrival.netns, arrival.dev, 'to the userspace daemon')
    this.push(owner.netns, tun.ifname, 'tun', 'written back by the daemon')
    return { netns: owner.netns, iif: tun.ifname }
  }

  /** A kernel tunnel device: its remote comes from the FDB (VXLAN) or the route's gateway (tunl0). */
  private async tunnel(netns: string, dev: IpLink, kind: 'vxlan' | 'ipip', nextHop: string) {
    const data = dev.linkinfo?.info_data ?? {}
    const remote = kind === 'vxlan' ? await this.vxlanRemote(netns, dev, nextHop) : nextHop
    const what = kind === 'vxlan' ? `VXLAN encap VNI ${String(data['id'])} UDP ${String(data['port'])}` : 'IPIP encap'
    return this.carry(netns, dev, remote, `${what} → ${remote}`, kind)
  }

  /** Follow a frame for `mac` (carrying a packet for `dst`) sent out of `dev` until a device that owns the MAC takes it. */
  private async walkL2(netns: string, dev: IpLink, mac: string | undefined, dst: string): Promise<{ netns: string; dev: string } | undefined> {
    let here = { netns, dev }
    for (let guard = 0; guard < MAX_HOPS; guard++) {
      const kind = kindOf(here.dev)
      if (kind === 'bridge') {
        const port = await this.bridgePort(here.netns, here.dev, mac)
        if (!port) return undefined
        this.push(here.netns, port.ifname, kindOf(port))
        here = { netns: here.netns, dev: port }
      } else if (kind === 'macvlan') {
        const lower = await this.peerOrLower(here.netns, here.dev)
        this.push(lower.netns, lower.dev.ifname, kindOf(lower.dev))
        here = lower
      } else if (kind === 'veth') {
        const peer = await this.peerOrLower(here.netns, here.dev)
        const received = await this.receive(peer.netns, peer.dev, mac, dst)
        if (received.deliveredTo) return received.deliveredTo
        here = received.next ?? peer
        if (!received.next) return undefined
      } else {
        return undefined
      }
    }
    return undefined
  }

  /**
   * A frame arrives on `dev`: a software switch port (OVS) forwards it by its flows, a bridge port hands it to its
   * bridge, a matching MAC takes it up, a macvlan child may.
   */
  private async receive(netns: string, dev: IpLink, mac: string | undefined, dst: string) {
    this.push(netns, dev.ifname, kindOf(dev))
    const switched = await this.datapath.switchFrame?.(this.plan, this.runDir, netns, dev.ifname, dst)
    if (switched) {
      this.push(netns, switched.bridge, 'ovs', switched.note)
      const out = await this.link(netns, switched.out)
      this.push(netns, out.ifname, kindOf(out))
      return { next: { netns, dev: out } }
    }
    if (dev.master) {
      const bridge = await this.link(netns, dev.master)
      this.push(netns, bridge.ifname, 'bridge')
      if (bridge.address === mac) return { deliveredTo: { netns, dev: bridge.ifname } }
      const port = await this.bridgePort(netns, bridge, mac)
      if (!port) return {}
      this.push(netns, port.ifname, kindOf(port))
      return { next: { netns, dev: port } }
    }
    if (!mac || dev.address === mac) return { deliveredTo: { netns, dev: dev.ifname } }
    const child = await this.macvlanOwning(mac)
    if (child) {
      this.push(child.netns, child.dev.ifname, 'macvlan')
      return { deliveredTo: { netns: child.netns, dev: child.dev.ifname } }
    }
    return { deliveredTo: { netns, dev: dev.ifname } }
  }

  private async bridgePort(netns: string, bridge: IpLink, mac: string | undefined): Promise<IpLink | undefined> {
    const fdb = await bridgeFdb(netns, { bridge: bridge.ifname })
    const entry = fdb.find((e) => e.mac === mac && e.ifname !== bridge.ifname)
    return entry ? this.link(netns, entry.ifname) : undefined
  }

  private async macvlanOwning(mac: string): Promise<{ netns: string; dev: IpLink } | undefined> {
    for (const ns of this.namespaces) {
      const dev = (await this.listLinks(ns)).find((l) => kindOf(l) === 'macvlan' && l.address === mac)
      if (dev) return { netns: ns, dev }
    }
    return undefined
  }

  /** The veth peer or the macvlan/vxlan lower device, which may be in another namespace. */
  private async peerOrLower(netns: string, dev: IpLink): Promise<{ netns: string; dev: IpLink }> {
    let target = netns
    if (dev.link_netnsid !== undefined) {
      const ids = await this.nsidsOf(netns)
      const name = ids.find((i) => i.nsid === dev.link_netnsid)?.name
      if (!name) throw new Error(`cannot resolve namespace id ${dev.link_netnsid} seen from ${netns}`)
      target = name
    }
    // A peer in the same namespace is named (`link`), one elsewhere is numbered (`link_index` in `link_netnsid`).
    const links = await this.listLinks(target)
    const peer = dev.link_index === undefined ? links.find((l) => l.ifname === dev.link) : links.find((l) => l.ifindex === dev.link_index)
    if (!peer) throw new Error(`no peer ${dev.link ?? dev.link_index} of ${dev.ifname} in ${target}`)
    return { netns: target, dev: peer }
  }

  private async vxlanRemote(netns: string, dev: IpLink, nextHop: string): Promise<string> {
    const mac = await this.neighbourMac(netns, dev.ifname, nextHop)
    const fdb = await bridgeFdb(netns, { dev: dev.ifname })
    const entry = fdb.find((e) => e.mac === mac && e.dst)
    return entry?.dst ?? String(dev.linkinfo?.info_data?.['group'] ?? dev.linkinfo?.info_data?.['remote'] ?? '?')
  }

  private async neighbourMac(netns: string, dev: string, ip: string): Promise<string | undefined> {
    const entries = await ipJson<{ dst: string; lladdr?: string }[]>(netns, ['neigh', 'show', 'dev', dev])
    return entries.find((e) => e.dst === ip)?.lladdr
  }

  private async routeGet(netns: string, dst: string, src?: string, iif?: string): Promise<RouteAnswer | undefined> {
    const args = ['route', 'get', dst, ...(iif && src ? ['from', src, 'iif', iif] : [])]
    try {
      return (await ipJson<RouteAnswer[]>(netns, args))[0]
    } catch {
      return undefined
    }
  }

  private push(netns: string, device: string, kind: string, note?: string): void {
    const last = this.hops.at(-1)
    if (last && last.netns === netns && last.device === device) {
      if (note) last.note = note
      return
    }
    this.hops.push({ where: this.labels.get(netns) ?? netns, netns, device, kind, ...(note ? { note } : {}) })
  }

  private note(netns: string, device: string, note: string): void {
    const hop = [...this.hops].reverse().find((h) => h.netns === netns && h.device === device)
    if (hop) hop.note = note
  }

  private link(netns: string, name: string): Promise<IpLink> {
    return this.listLinks(netns).then((links) => {
      const link = links.find((l) => l.ifname === name)
      if (!link) throw new Error(`no device ${name} in ${netns}`)
      return link
    })
  }

  /** The tc programs on a device, read once per trace (each read is a tc and several bpftool calls). */
  programsOn(netns: string, device: string): Promise<AttachedProgram[]> {
    const key = `${netns}/${device}`
    let cached = this.programs.get(key)
    if (!cached) this.programs.set(key, (cached = attachedPrograms(netns, device)))
    return cached
  }

  private listLinks(netns: string): Promise<IpLink[]> {
    let cached = this.links.get(netns)
    if (!cached) this.links.set(netns, (cached = listLinks(netns)))
    return cached
  }

  private nsidsOf(netns: string) {
    let cached = this.nsids.get(netns)
    if (!cached) this.nsids.set(netns, (cached = ipJson<{ nsid: number; name?: string }[]>(netns, ['netns', 'list-id'])))
    return cached
  }
}

function kindOf(link: IpLink): string {
  if (link.ifname === 'lo') return 'lo'
  return link.linkinfo?.info_kind ?? (link.link_type === 'none' ? 'tun' : 'device')
}
