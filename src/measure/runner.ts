/**
 * A measurement run from start (or resume) to finish: build one lab per datapath, take the scheduled samples in
 * interleaved order, store each sample the moment it is taken, remove the labs. The store is the only output; the
 * tables and reports are rendered from it afterwards.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { availableParallelism } from 'node:os'
import { randomBytes } from 'node:crypto'
import { CnibenchError } from '../errors.js'
import { getEngine } from '../engines/index.js'
import { getDatapath } from '../lab/datapaths/index.js'
import { createLab, destroyLab } from '../lab/lifecycle.js'
import { labDir, ownerAlive, readLabRecord, type LabRecord } from '../lab/state.js'
import type { PodPlan } from '../lab/topology.js'
import type { CellRecord, ResultStore, SampleInput } from '../store/db.js'
import type { RunConfig } from './config.js'
import { schedule } from './plan.js'
import { measureSample } from './sample.js'
import type { Placement, TestKind, TestSpec } from './tests.js'

export interface Progress {
  done: number
  total: number
  cell: CellRecord
  iteration: number
  sample: SampleInput
}

export interface RunnerHooks {
  onLab?(message: string): void
  onSample?(progress: Progress): void
}

/** Run ids start with a letter and are short enough to prefix lab names: r + 7 base-36 characters. */
export function newRunId(): string {
  const n = randomBytes(6).readUIntBE(0, 6)
  return `r${n.toString(36).padStart(7, '0').slice(-7)}`
}

/** Ports rotate per sample: sockperf cannot reuse a port still in TIME_WAIT. */
const FIRST_PORT = 20_000
const PORT_SPAN = 20_000

/**
 * Take every scheduled sample of `runId` that the store does not have yet. Called for a new run and for
 * `--resume` alike: what is already stored is skipped, so nothing is measured twice.
 */
export async function measureRun(store: ResultStore, runId: string, config: RunConfig, hooks: RunnerHooks = {}): Promise<void> {
  const cells = store.cells(runId)
  const byKey = new Map(cells.map((c) => [c.key, c]))
  const stored = new Set(store.samples(runId).map((s) => `${s.cellId}#${s.iteration}`))
  const todo = schedule(cells.map((c) => c.key), config.samples, config.seed).filter(
    (s) => !stored.has(`${byKey.get(s.key)?.id}#${s.iteration}`),
  )
  if (todo.length === 0) return
  const labs = new Map<string, LabRecord>()
  try {
    for (const datapath of new Set(todo.map((t) => byKey.get(t.key)?.datapath as string))) {
      hooks.onLab?.(`building ${datapath}`)
      const request = labRequest(runId, datapath, config)
      await removeStaleLab(request.name)
      labs.set(datapath, await createLab(request, getDatapath(datapath), { keep: false }))
      await mkdir(workDirOf(request.name), { recursive: true })
    }
    let port = FIRST_PORT
    for (const [i, item] of todo.entries()) {
      const cell = byKey.get(item.key) as CellRecord
      const lab = labs.get(cell.datapath) as LabRecord
      const sample = await takeSample(cell, lab, item.iteration, config, port)
      port = FIRST_PORT + ((port - FIRST_PORT + cell.parallel + 1) % PORT_SPAN)
      store.insertSample(cell.id, sample)
      hooks.onSample?.({ done: i + 1, total: todo.length, cell, iteration: item.iteration, sample })
    }
  } finally {
    for (const lab of labs.values()) await destroyLab(lab.name)
  }
}

/** One sample, retried once: a server that lost a race for its port should not cost the cell a sample. */
async function takeSample(cell: CellRecord, lab: LabRecord, iteration: number, config: RunConfig, port: number): Promise<SampleInput> {
  const spec = testSpec(cell, config)
  const [client, server] = endpoints(lab, cell.placement as Placement)
  // Servers' pid files and engine logs live in the lab's own directory, so removing the lab (after success, error,
  // interrupt, or `lab clean` after a kill -9) removes them too.
  const ctx = { engine: getEngine(cell.engine), spec, client, server, port, workDir: workDirOf(lab.name), pidDir: join(labDir(lab.name), 'pids'), iteration, pinCpu: pinCpu(cell, config) }
  let lastError: unknown
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      return await measureSample({ ...ctx, port: port + attempt * 7919 })
    } catch (error) {
      if (!(error instanceof CnibenchError) || !['E_PARSE', 'E_RUN', 'E_COMMAND'].includes(error.code)) throw error
      lastError = error
    }
  }
  const message = lastError instanceof Error ? lastError.message : String(lastError)
  return { iteration, startedAt: new Date().toISOString(), elapsedS: 0, metrics: {}, histogram: null, error: message, raw: { argv: [], stdout: '', stderr: message, exitCode: -1 } }
}

export function testSpec(cell: Pick<CellRecord, 'test' | 'size' | 'parallel'>, config: RunConfig): TestSpec {
  return { kind: cell.test as TestKind, size: cell.size, durationS: config.durationS, warmupS: config.warmupS, parallel: cell.parallel }
}

/**
 * Under `pin: auto`, single-flow tests run client and server on the same (last) CPU. On a small VM the alternative is
 * dominated by scheduling, not by the datapath: a cross-CPU wake-up costs several µs and varies with the host's load,
 * and unpinned streams even inverted the ranking here (host 2.4–2.8 Gbit/s vs flannel-vxlan 3.6–4.2; pinned 4.8–5.2
 * vs 4.3–4.7). On one CPU every byte's per-hop cost shows. Multi-flow tests stay unpinned: they are about using cores.
 */
export function pinCpu(cell: Pick<CellRecord, 'test' | 'parallel'>, config: RunConfig): number | undefined {
  if (config.pin === 'none' || cell.parallel > 1) return undefined
  return availableParallelism() - 1
}

/** Client: the first pod on node1. Server: the first pod on node2 (inter-node) or the second on node1 (intra-node). */
function endpoints(lab: LabRecord, placement: Placement): [PodPlan, PodPlan] {
  const pods = lab.plan.pods
  const client = pods.find((p) => p.node === 'node1')
  const server = placement === 'intra-node' ? pods.filter((p) => p.node === 'node1')[1] : pods.find((p) => p.node === 'node2')
  if (!client || !server) throw new Error(`lab ${lab.name} lacks pods for ${placement}`)
  return [client, server]
}

const workDirOf = (lab: string) => join(labDir(lab), 'work')

/** A lab of this run left by a process that was killed (resume after kill -9) is rebuilt, not reused. */
async function removeStaleLab(name: string): Promise<void> {
  const record = await readLabRecord(name)
  if (record && !(await ownerAlive(record))) await destroyLab(name)
}

function labRequest(runId: string, datapath: string, config: RunConfig) {
  return {
    name: `${runId}-${datapath}`.slice(0, 24).replace(/-$/, ''),
    nodes: 2,
    podsPerNode: config.placements.includes('intra-node') ? 2 : 1,
    underlayCidr: '192.168.250.0/24',
    podCidr: '10.244.0.0/16',
    underlayMtu: config.mtu,
    options: config.datapathOptions?.[datapath] ?? {},
  }
}
