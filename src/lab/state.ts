/**
 * The on-disk record of each lab: /run/cnibench/labs/<name>/lab.json, next to the lab's pid files and logs. Any
 * cnibench process can list, enter, trace or remove a lab from this record alone. Also the lab's stable JSON view
 * (`lab up --json`, `lab list --json`): field names there are an interface; add fields, never rename them.
 */
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readStartTime } from '../exec/processes.js'
import { runRoot } from '../system/paths.js'
import type { DatapathFacts } from './datapath.js'
import type { OffloadReadback } from './offloads.js'
import type { LabPlan } from './topology.js'

export type LabStatus = 'building' | 'ready' | 'removing'

export interface LabRecord {
  name: string
  datapath: string
  status: LabStatus
  /** Left up on purpose (`lab up`); false for the labs a measurement run builds and removes itself. */
  keep: boolean
  /** The cnibench process that built the lab; a lab in 'building' whose owner is gone was interrupted. */
  owner: { pid: number; startTime: string }
  createdAt: string
  plan: LabPlan
  facts: DatapathFacts
  /** Every node's eth0 offloads, read back once the lab was built (absent while building). */
  offloads?: OffloadReadback
}

export function labsDir(): string {
  return join(runRoot(), 'labs')
}

export function labDir(name: string): string {
  return join(labsDir(), name)
}

export async function writeLabRecord(record: LabRecord): Promise<void> {
  const dir = labDir(record.name)
  await mkdir(dir, { recursive: true })
  // Write-then-rename: a kill -9 mid-write leaves the old record, never half a file.
  await writeFile(join(dir, 'lab.json.tmp'), JSON.stringify(record, null, 2))
  await rename(join(dir, 'lab.json.tmp'), join(dir, 'lab.json'))
}

export async function readLabRecord(name: string): Promise<LabRecord | undefined> {
  try {
    return JSON.parse(await readFile(join(labDir(name), 'lab.json'), 'utf8')) as LabRecord
  } catch {
    return undefined
  }
}

/** Names of every lab directory, including ones whose record is missing or unreadable. */
export async function listLabDirs(): Promise<string[]> {
  try {
    return (await readdir(labsDir(), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name)
  } catch {
    return []
  }
}

export async function ownerAlive(record: LabRecord): Promise<boolean> {
  const now = await readStartTime(record.owner.pid)
  return now !== '' && now === record.owner.startTime
}

export async function currentOwner(): Promise<LabRecord['owner']> {
  return { pid: process.pid, startTime: await readStartTime(process.pid) }
}

/** The stable JSON view of a lab. */
export interface LabView {
  name: string
  datapath: string
  status: LabStatus
  createdAt: string
  mtu: { underlay: number; pod: number }
  /** switched (one subnet) or routed (two subnets behind a router). */
  underlay: string
  facts: DatapathFacts
  /** The NIC offload profile and, per node device, the features it left off (full state in `lab.json`). */
  nicOffloads: { profile: string; off: Record<string, string[]>; notApplied: string[] }
  nodes: { name: string; netns: string; underlayIPs: string[]; podCidr: string }[]
  pods: { name: string; node: string; netns: string; ip: string }[]
}

export function labView(record: LabRecord): LabView {
  const { plan } = record
  return {
    name: record.name,
    datapath: record.datapath,
    status: record.status,
    createdAt: record.createdAt,
    mtu: { underlay: plan.underlay.mtu, pod: plan.podMtu },
    underlay: plan.underlay.kind,
    facts: record.facts,
    nicOffloads: {
      profile: plan.nicOffloads.name,
      off: Object.fromEntries(Object.entries(record.offloads?.devices ?? {}).map(([dev, state]) => [dev, Object.keys(state).filter((f) => !state[f])])),
      notApplied: record.offloads?.notApplied ?? [],
    },
    nodes: plan.nodes.map((n) => ({ name: n.name, netns: n.netns, underlayIPs: [n.underlayIp], podCidr: n.podCidr })),
    pods: plan.pods.map((p) => ({ name: p.name, node: p.node, netns: p.netns, ip: p.ip })),
  }
}
