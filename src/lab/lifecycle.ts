/**
 * A lab's life: preflight, build (underlay, datapath wiring, datapath start), and removal, plus `clean` for what a
 * kill -9 left behind. Everything a lab owns is found from its name alone (namespaces `cnb-<name>.*`, the run
 * directory, pid files in it), so removal is the same code path after success, error, Ctrl-C, SIGTERM or a crash.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { CnibenchError } from '../errors.js'
import { interruptedError } from '../exec/run.js'
import { batch, listNetns, netnsPids } from '../exec/netns.js'
import { readStartTime, stopAllRecorded, stopRecord } from '../exec/processes.js'
import { assertCanRun, probeHost } from '../system/doctor.js'
import { factsOf, resolveOptions, type Datapath } from './datapath.js'
import { labCgroupName, removeLabCgroup, removeOrphanCgroups, unmountLabBpffs } from './cgroup.js'
import { createRuntime } from './runtime.js'
import { executeScript, Script } from './script.js'
import {
  currentOwner,
  labDir,
  listLabDirs,
  ownerAlive,
  readLabRecord,
  writeLabRecord,
  type LabRecord,
} from './state.js'
import { NETNS_PREFIX, labNetnsPrefix, planLab, type LabPlan, type LabRequest } from './topology.js'
import { offloadSteps, readOffloads } from './offloads.js'
import { underlay } from './wiring.js'

/** Labs this process is building or using and must remove if it is interrupted. */
const activeLabs = new Set<string>()

export function activeLabNames(): string[] {
  return [...activeLabs]
}

/** The full wiring of a lab as a Script (underlay + datapath), without touching anything: for --dry-run and tests. */
export function labScript(plan: LabPlan, datapath: Datapath): Script {
  const script = new Script()
  underlay(plan, script)
  offloadSteps(plan, plan.nicOffloads, script)
  datapath.wire(plan, script)
  return script
}

export interface CreateOptions {
  /** Leave the lab up when this process exits (`lab up`); otherwise the caller removes it. */
  keep: boolean
  /** An interrupt: building stops, what was built is removed, and the call fails as interrupted. */
  signal?: AbortSignal
}

/** Check, plan and build a lab. On any failure, everything built so far is removed before the error propagates. */
export async function createLab(request: LabRequest, datapath: Datapath, opts: CreateOptions): Promise<LabRecord> {
  const options = resolveOptions(datapath, request.options ?? {}, await probeHost())
  const plan = planLab(request, datapath, options)
  await assertCanRun(datapath, options)
  await assertNameFree(plan.name)
  const record: LabRecord = {
    name: plan.name,
    datapath: datapath.name,
    status: 'building',
    keep: opts.keep,
    owner: await currentOwner(),
    createdAt: new Date().toISOString(),
    plan,
    facts: factsOf(datapath, options),
  }
  activeLabs.add(plan.name)
  try {
    await writeLabRecord(record) // first, so a kill -9 from here on leaves something `lab clean` can find
    await executeScript(labScript(plan, datapath), opts.signal)
    await datapath.start?.(plan, createRuntime(labDir(plan.name)))
    if (opts.signal?.aborted) throw interruptedError()
    record.offloads = await readOffloads(plan, plan.nicOffloads)
    record.status = 'ready'
    await writeLabRecord(record)
    if (opts.keep) activeLabs.delete(plan.name)
    return record
  } catch (error) {
    await destroyLab(plan.name)
    throw error
  }
}

async function assertNameFree(name: string): Promise<void> {
  const prefix = labNetnsPrefix(name)
  const clash = (await readLabRecord(name)) ?? (await listNetns()).find((ns) => ns.startsWith(prefix))
  if (clash) {
    throw new CnibenchError('E_LAB_EXISTS', `a lab named "${name}" already exists`, {
      hint: `choose another --name, or remove it with \`cnibench lab down ${name}\``,
    })
  }
}

export async function requireLab(name: string): Promise<LabRecord> {
  const record = await readLabRecord(name)
  if (!record) {
    throw new CnibenchError('E_LAB_NOT_FOUND', `no lab named "${name}"`, { hint: 'see `cnibench lab list` for the labs that exist' })
  }
  return record
}

/**
 * Remove everything of lab `name`: its processes (by pid file), any other process inside its namespaces (a server a
 * user started with `lab exec`; a namespace with a process in it would outlive `ip netns del`), its namespaces (which
 * takes their devices, routes, qdiscs, netfilter tables and attached BPF programs with them), its cgroup if a Service
 * variant made one (with the socket-LB program attached to it), and its run directory.
 */
export async function destroyLab(name: string): Promise<{ namespaces: string[]; processes: number; cgroup: boolean }> {
  const dir = labDir(name)
  const record = await readLabRecord(name)
  if (record && record.status !== 'removing') await writeLabRecord({ ...record, status: 'removing' }).catch(() => {})
  const stopped = await stopAllRecorded(join(dir, 'pids'))
  const namespaces = (await listNetns()).filter((ns) => ns.startsWith(labNetnsPrefix(name)))
  const strays = await killProcessesIn(namespaces)
  if (namespaces.length > 0) await batch('ip', undefined, namespaces.map((ns) => `netns del ${ns}`), { allowFailure: true })
  const cgroup = await removeLabCgroup(name)
  await unmountLabBpffs(name)
  await rm(dir, { recursive: true, force: true })
  activeLabs.delete(name)
  return { namespaces, processes: stopped.length + strays, cgroup }
}

async function killProcessesIn(namespaces: string[]): Promise<number> {
  let count = 0
  for (const ns of namespaces) {
    for (const pid of await netnsPids(ns)) {
      if (pid === process.pid) continue
      // No pid file for these, so record their identity now and stop only that process.
      const startTime = await readStartTime(pid)
      if (startTime === '') continue
      await stopRecord({ pid, startTime, label: `netns ${ns}`, argv: [] }, 1000)
      count++
    }
  }
  return count
}

export interface CleanReport {
  labs: string[]
  namespaces: string[]
  processes: number
  /** Cgroups removed: those of the labs removed, and any whose lab was already gone (cnibench-<lab>). */
  cgroups: string[]
}

/**
 * Remove what cnibench left behind after a crash or kill -9: labs still 'building' or 'removing', labs of runs whose
 * process is gone, and any `cnb-` namespace that no kept lab owns. Labs left up on purpose by `lab up` stay.
 */
export async function cleanLeftovers(): Promise<CleanReport> {
  const report: CleanReport = { labs: [], namespaces: [], processes: 0, cgroups: [] }
  const kept = new Set<string>()
  for (const name of await listLabDirs()) {
    const record = await readLabRecord(name)
    if (record && (await isKeptOrLive(record))) {
      kept.add(name)
      continue
    }
    const removed = await destroyLab(name)
    report.labs.push(name)
    report.namespaces.push(...removed.namespaces)
    report.processes += removed.processes
    if (removed.cgroup) report.cgroups.push(labCgroupName(name))
  }
  const orphans = (await listNetns()).filter((ns) => ns.startsWith(NETNS_PREFIX) && !kept.has(labNameOf(ns)))
  report.processes += await killProcessesIn(orphans)
  if (orphans.length > 0) await batch('ip', undefined, orphans.map((ns) => `netns del ${ns}`), { allowFailure: true })
  report.namespaces.push(...orphans)
  report.cgroups.push(...(await removeOrphanCgroups(kept)))
  return report
}

/** A lab another live cnibench process is working on, or one `lab up` finished and left up on purpose. */
async function isKeptOrLive(record: LabRecord): Promise<boolean> {
  return (await ownerAlive(record)) || (record.keep && record.status === 'ready')
}

/** `cnb-<lab>.<role>` → `<lab>` */
export function labNameOf(netns: string): string {
  const rest = netns.slice(NETNS_PREFIX.length)
  const dot = rest.indexOf('.')
  return dot < 0 ? rest : rest.slice(0, dot)
}

/** Every kept lab (for `lab down --all`). */
export async function listLabRecords(): Promise<LabRecord[]> {
  const records: LabRecord[] = []
  for (const name of await listLabDirs()) {
    const record = await readLabRecord(name)
    if (record) records.push(record)
  }
  return records
}
