/**
 * What cnibench's own tc eBPF programs do to a packet, read from their maps, so `lab path` can follow packets that
 * never consult a kernel route: Cilium's redirects (into a pod, out of eth0, into cilium_vxlan) and the eBPF IP-in-IP
 * encapsulation. Decisions mirror the C in bpf/cilium.c and bpf/ipip.c and are read from the live maps.
 */
import { ipBytes, lookupMap, lpmKey, type AttachedProgram } from './bpf.js'
import { formatIp } from './ipv4.js'

export type IngressDecision =
  | { kind: 'peer'; ifindex: number; note: string }
  | { kind: 'neigh'; note: string }
  | { kind: 'tunnel'; remote: string; note: string }

/** What a Cilium program among a device's `programs` does on ingress with a packet for `dst`, if one is attached. */
export async function ciliumIngress(programs: AttachedProgram[], dst: string): Promise<IngressDecision | undefined> {
  const program = programs.find((p) => p.direction === 'ingress' && p.name.startsWith('cil_from'))
  if (!program) return undefined
  const endpoint = await mapValue<{ ifindex: number }>(program, 'endpoints', ipBytes(dst))
  if (endpoint) return { kind: 'peer', ifindex: endpoint.ifindex, note: `eBPF ${program.name}: redirect_peer` }
  const remote = await remoteOf(program, 'remote_blocks', dst)
  if (!remote) return undefined
  const config = await mapValue<{ tunnel: number; vni: number }>(program, 'config', Buffer.alloc(4))
  return config?.tunnel
    ? { kind: 'tunnel', remote, note: `eBPF ${program.name}: tunnel key VNI ${config.vni} → ${remote}, redirect to cilium_vxlan` }
    : { kind: 'neigh', note: `eBPF ${program.name}: redirect_neigh` }
}

/** The remote node the eBPF IP-in-IP program among a device's `programs` sends `dst` to on egress, if it does. */
export async function ipipEgress(programs: AttachedProgram[], dst: string): Promise<string | undefined> {
  const program = programs.find((p) => p.direction === 'egress' && p.name === 'ipip_encap')
  return program ? remoteOf(program, 'routes', dst) : undefined
}

export function hasIpipDecap(programs: AttachedProgram[]): boolean {
  return programs.some((p) => p.direction === 'ingress' && p.name === 'ipip_decap')
}

async function remoteOf(program: AttachedProgram, map: string, dst: string): Promise<string | undefined> {
  const value = await mapValue<number>(program, map, lpmKey(`${dst}/32`))
  // A __u32 holding an address in network byte order, formatted by bpftool as a little-endian integer.
  return value === undefined ? undefined : formatIp(swap32(value))
}

async function mapValue<T>(program: AttachedProgram, map: string, key: Buffer): Promise<T | undefined> {
  const id = program.maps[map]
  return id === undefined ? undefined : lookupMap<T>(id, key)
}

function swap32(n: number): number {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n >>> 0)
  return b.readUInt32BE()
}

