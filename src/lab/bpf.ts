/**
 * Loading cnibench's eBPF programs the way tc does it for Cilium: `tc filter add ... bpf direct-action obj X.o sec S`
 * on a clsact qdisc, inside the lab namespace. Each attached program gets its own maps; this module finds them by id
 * (`tc -json filter show` → `bpftool prog show` → `bpftool map show`), fills them with `bpftool batch`, and reads the
 * per-CPU counters back (`lab inspect` shows those of the host-routing and IP-in-IP programs; the policy and Service
 * programs count too, but nothing reads theirs yet). Nothing is pinned: programs and maps disappear with the devices
 * when the lab's namespaces are deleted. The one exception is socket-level LB (services/ebpf-socket.ts), pinned for
 * the moment of attaching it to the lab's cgroup on a bpffs in the lab's directory (lab/cgroup.ts), then unpinned.
 *
 * The byte layouts below must match the structs in bpf/lib/*.h and bpf/*.c (little-endian x86_64/arm64 hosts;
 * addresses in network byte order, as the programs compare them with packet fields).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CnibenchError } from '../errors.js'
import { batch } from '../exec/netns.js'
import { run, runJson } from '../exec/run.js'
import { bpfObjectPath } from '../system/paths.js'
import { parseCidr, parseIp } from './ipv4.js'

export interface AttachedProgram {
  netns: string
  device: string
  direction: 'ingress' | 'egress'
  progId: number
  name: string
  /** Map name (as in the C source) → map id. */
  maps: Record<string, number>
}

/** Counter indices, as enum cnb_counter in bpf/lib/common.h. */
export const Counter = { pass: 0, redirectPeer: 1, redirectNeigh: 2, encap: 3, decap: 4, drop: 5, nat: 6 } as const

/** Attach function `program` of bpf/<object>.c (section "tc") to `device` in `netns`, and find its maps. */
export async function attachTc(netns: string, device: string, direction: 'ingress' | 'egress', object: string, program: string): Promise<AttachedProgram> {
  const obj = bpfObjectPath(object)
  await batch('tc', netns, [`qdisc replace dev ${device} clsact`, `filter add dev ${device} ${direction} bpf direct-action obj ${obj} sec tc program ${program}`])
  // The kernel keeps 15 characters of a name; bpftool shows the full one when the object has BTF.
  const attached = (await attachedPrograms(netns, device)).filter((p) => p.direction === direction && program.startsWith(p.name))
  const found = attached.at(-1)
  if (!found) throw new CnibenchError('E_RUN', `tc attached no program ${program} to ${device} ${direction} in ${netns}`)
  return found
}

interface TcFilter {
  options?: { prog?: { id: number; name: string } }
}

export interface MapUpdate {
  /** Only its name (for errors) and map ids are read: a program attached to a cgroup, not a device, does too. */
  program: Pick<AttachedProgram, 'name' | 'maps'>
  map: string
  key: Buffer
  value: Buffer
}

/** Write map entries with one bpftool process. */
export async function updateMaps(updates: MapUpdate[]): Promise<void> {
  if (updates.length === 0) return
  const lines = updates.map((u) => {
    const id = u.program.maps[u.map]
    if (id === undefined) throw new Error(`program ${u.program.name} has no map ${u.map} (has ${Object.keys(u.program.maps).join(', ')})`)
    return `map update id ${id} key hex ${hex(u.key)} value hex ${hex(u.value)}`
  })
  const dir = await mkdtemp(join(tmpdir(), 'cnibench-bpftool-'))
  try {
    await writeFile(join(dir, 'batch'), lines.join('\n') + '\n')
    await run(['bpftool', 'batch', 'file', join(dir, 'batch')])
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Sum over CPUs of each counter of a program's `stats` map (bpftool's BTF-`formatted` view of it). */
export async function readCounters(program: Pick<AttachedProgram, 'maps'>): Promise<number[]> {
  const id = program.maps['stats']
  if (id === undefined) return []
  const entries = await runJson<{ formatted?: { key: number; values: { cpu: number; value: number }[] } }[]>(['bpftool', '-j', 'map', 'dump', 'id', String(id)])
  const totals: number[] = []
  for (const { formatted } of entries) {
    if (!formatted) throw new CnibenchError('E_RUN', `bpftool printed map ${id} without BTF formatting`, { hint: 'rebuild the BPF objects with clang -g (scripts/build-native.sh does)' })
    totals[formatted.key] = formatted.values.reduce((a, v) => a + Number(v.value), 0)
  }
  return totals
}

/** Programs cnibench attached to a device (by tc), with their maps: for `lab inspect` and `lab path`. */
export async function attachedPrograms(netns: string, device: string): Promise<AttachedProgram[]> {
  const found: AttachedProgram[] = []
  for (const direction of ['ingress', 'egress'] as const) {
    const filters = await runJson<TcFilter[] | null>(['tc', '-n', netns, '-json', 'filter', 'show', 'dev', device, direction]).catch(() => null)
    for (const prog of (filters ?? []).map((f) => f.options?.prog).filter((p) => p !== undefined)) {
      found.push({ netns, device, direction, ...(await loadedProgram(['id', String(prog.id)])) })
    }
  }
  return found
}

/** A loaded program's id, name and maps by name, found by `bpftool prog show` ('id N' or 'pinned PATH'). */
export async function loadedProgram(selector: ['id' | 'pinned', string]): Promise<Pick<AttachedProgram, 'progId' | 'name' | 'maps'>> {
  const info = await runJson<{ id: number; name: string; map_ids?: number[] }>(['bpftool', '-j', 'prog', 'show', ...selector])
  const maps: Record<string, number> = {}
  for (const id of info.map_ids ?? []) maps[(await runJson<{ name: string }>(['bpftool', '-j', 'map', 'show', 'id', String(id)])).name] = id
  return { progId: info.id, name: info.name, maps }
}

/** A map entry as bpftool formats it from BTF, or undefined when the key is absent. */
export async function lookupMap<T>(mapId: number, key: Buffer): Promise<T | undefined> {
  const result = await run(['bpftool', '-j', 'map', 'lookup', 'id', String(mapId), 'key', 'hex', ...[...key].map((x) => x.toString(16).padStart(2, '0'))], { allowFailure: true })
  if (result.code !== 0) return undefined
  const entry = JSON.parse(result.stdout) as { formatted?: { value: T } } | null
  return entry?.formatted?.value
}

// --- encoders (little-endian host; addresses in network byte order) ---

export function u32(value: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(value)
  return b
}

/** An IPv4 address as the 4 bytes it has on the wire. */
export function ipBytes(ip: string): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(parseIp(ip))
  return b
}

/** struct addr_port of bpf/lib/common.h: address and port in network byte order, two bytes of padding. */
export function addrPortKey(ip: string, port: number): Buffer {
  const key = Buffer.alloc(8)
  ipBytes(ip).copy(key, 0)
  key.writeUInt16BE(port, 4)
  return key
}

/** struct lpm_v4_key { __u32 prefixlen; __u32 addr; } for a CIDR. */
export function lpmKey(cidr: string): Buffer {
  const c = parseCidr(cidr)
  const b = Buffer.alloc(8)
  b.writeUInt32LE(c.prefix, 0)
  b.writeUInt32BE(c.network, 4)
  return b
}

export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((x) => parseInt(x, 16)))
}

function hex(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ')
}
