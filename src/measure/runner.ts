/**
 * A measurement run from start (or resume) to finish: build one lab per testbed (datapath and lab variant), take
 * samples in interleaved rounds until every cell has its minimum of undisturbed samples and, with a precision target,
 * until every overhead is known well enough or the time budget runs out; store each sample the moment it is taken;
 * remove the labs. The store is the only output; tables and reports are rendered from it afterwards.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { availableParallelism } from 'node:os'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { median } from '../analysis/stats.js'
import { CnibenchError } from '../errors.js'
import { run } from '../exec/run.js'
import { getEngine } from '../engines/index.js'
import { getDatapath } from '../lab/datapaths/index.js'
import { createLab, destroyLab } from '../lab/lifecycle.js'
import { tracePath, type StoredPath } from '../lab/path.js'
import { labDir, ownerAlive, readLabRecord, type LabRecord } from '../lab/state.js'
import type { LabRequest, PodPlan, Underlay } from '../lab/topology.js'
import type { CellRecord, ResultStore, SampleInput } from '../store/db.js'
import type { RunConfig } from './config.js'
import { netnsInodes } from './foreign.js'
import { decideNext } from './rounds.js'
import { PROBE_PATH } from './probe.js'
import { measureSample } from './sample.js'
import { ServerPool } from './servers.js'
import { testbedKey, variantDefaults, type Placement, type TestKind, type TestSpec } from './tests.js'

export interface Progress {
  done: number
  /** Samples planned so far (grows when a round is added). */
  total: number
  round: number
  cell: CellRecord
  iteration: number
  sample: SampleInput
}

export interface RunnerHooks {
  onLab?(message: string): void
  onSample?(progress: Progress): void
  onRound?(message: string): void
}

/** How a run ended its measuring: every cell done, the time budget, or the sample cap. */
export interface RunOutcome {
  stoppedBy: 'complete' | 'time-budget'
  rounds: number
  /** With a precision target: the cells that did not reach it, with the half-width they reached. */
  unmet: { key: string; halfWidth: number }[]
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
 * Measure `runId` until it is done. Called for a new run and for `--resume` alike: every decision is taken from what
 * the store holds, so a resumed run carries on where the stored samples leave it and measures nothing twice.
 * `deadline` (ms since the epoch) is when the time budget (--max-time) runs out.
 */
export async function measureRun(store: ResultStore, runId: string, config: RunConfig, hooks: RunnerHooks = {}, deadline?: number): Promise<RunOutcome> {
  const cells = store.cells(runId)
  const byKey = new Map(cells.map((c) => [c.key, c]))
  const labs = new Map<string, { lab: LabRecord; ownNetns: Set<number> }>()
  const seconds = new Map<string, number[]>() // wall time of each sample taken here, per cell: for the time budget
  const servers = new ServerPool()
  await keepOffMeasurementCpu(config)
  let port = FIRST_PORT
  let done = 0
  let total = 0
  let rounds = 0
  try {
    for (;;) {
      const samples = store.samples(runId)
      const decision = decideNext({
        run: store.requireRun(runId),
        cells,
        samples,
        config,
        now: Date.now(),
        deadline,
        secondsPerSample: (key) => estimateSeconds(seconds.get(key), config),
      })
      if (decision.kind === 'stop') return { stoppedBy: decision.stoppedBy, rounds, unmet: decision.unmet }
      await buildLabs(store, runId, cells, decision.keys.map((k) => byKey.get(k) as CellRecord), config, labs, hooks)
      rounds++
      total = done + decision.keys.length
      const short = decision.unmet && decision.unmet.length > 0 ? ` (${decision.unmet.length} overheads short of ±${config.precision} points)` : ''
      if (decision.number > 1) hooks.onRound?.(`round ${decision.number}: ${decision.keys.length} samples${short}`)
      for (const key of decision.keys) {
        const cell = byKey.get(key) as CellRecord
        const testbed = labs.get(testbedKey(cell)) as { lab: LabRecord; ownNetns: Set<number> }
        const iteration = (decision.attempts.get(key) ?? 0) + 1 // a cell is visited once per round
        const t0 = performance.now()
        const sample = await takeSample(cell, testbed, iteration, config, port, servers)
        seconds.set(key, [...(seconds.get(key) ?? []), (performance.now() - t0) / 1000])
        port = FIRST_PORT + ((port - FIRST_PORT + cell.parallel + 1) % PORT_SPAN)
        store.insertSample(cell.id, sample)
        done++
        hooks.onSample?.({ done, total, round: decision.number, cell, iteration, sample })
      }
    }
  } finally {
    await servers.stopAll()
    for (const { lab } of labs.values()) await destroyLab(lab.name)
  }
}

/**
 * Pinned samples run client, server and the probe on the last CPU; cnibench's own work between them (parsing, the
 * /proc snapshots, garbage collection) then goes to the other CPUs instead of preempting them. Seen without it: the
 * probe just after a sample read 37–57% slow as Node finished its bookkeeping on the same CPU.
 */
async function keepOffMeasurementCpu(config: RunConfig): Promise<void> {
  const cpus = availableParallelism()
  if (config.pin === 'none' || cpus < 2) return
  await run(['taskset', '--all-tasks', '--pid', '--cpu-list', `0-${cpus - 2}`, String(process.pid)], { allowFailure: true })
}

/** Seconds a sample of this cell takes: the median of those taken so far, or a guess from the test's duration. */
function estimateSeconds(taken: number[] | undefined, config: RunConfig): number {
  return taken && taken.length > 0 ? median(taken) : config.durationS + config.warmupS + 2
}

/** Build (once) the labs the next round needs, numbered over all of the run's testbeds so a resume reuses names. */
async function buildLabs(
  store: ResultStore,
  runId: string,
  cells: CellRecord[],
  round: CellRecord[],
  config: RunConfig,
  labs: Map<string, { lab: LabRecord; ownNetns: Set<number> }>,
  hooks: RunnerHooks,
): Promise<void> {
  const all = [...new Map(cells.map((c) => [testbedKey(c), c])).values()]
  const needed = new Set(round.map((c) => testbedKey(c)))
  for (const [index, cell] of all.entries()) {
    const key = testbedKey(cell)
    if (!needed.has(key) || labs.has(key)) continue
    hooks.onLab?.(`building ${key}`)
    const request = labRequest(runId, index, cell, config)
    await removeStaleLab(request.name)
    const lab = await createLab(request, getDatapath(cell.datapath), { keep: false })
    const namespaces = [lab.plan.wireNetns, ...lab.plan.nodes.map((n) => n.netns), ...lab.plan.pods.map((p) => p.netns)]
    labs.set(key, { lab, ownNetns: await netnsInodes([...new Set(namespaces)]) })
    const paths = await tracedPaths(lab, cells.filter((c) => testbedKey(c) === key))
    store.saveTestbed({ runId, key, datapath: cell.datapath, variant: cell.variant, builtAt: new Date().toISOString(), facts: { ...testbedFacts(lab), paths } })
    await mkdir(workDirOf(request.name), { recursive: true })
  }
}

/**
 * The packet path between the pods each placement measures, traced from the lab as built and stored with the run, so
 * a report draws what was measured without rebuilding anything. A trace that fails costs the run nothing: the error
 * is stored in the path's place.
 */
async function tracedPaths(lab: LabRecord, cells: CellRecord[]): Promise<StoredPath[]> {
  const paths: StoredPath[] = []
  for (const placement of new Set(cells.map((c) => c.placement as Placement))) {
    const [client, server] = endpoints(lab, placement)
    try {
      paths.push({ placement, ...(await tracePath(lab, client.name, server.name)) })
    } catch (error) {
      paths.push({ placement, error: error instanceof Error ? error.message : String(error) })
    }
  }
  return paths
}

/** What a lab was built as, stored with the run: underlay, MTUs, implementation, NIC offloads read back per device. */
function testbedFacts(lab: LabRecord): Record<string, unknown> {
  return {
    lab: lab.name,
    underlay: lab.plan.underlay.kind,
    underlayMtu: lab.plan.underlay.mtu,
    podMtu: lab.plan.podMtu,
    options: lab.plan.options,
    ...lab.facts,
    nicOffloads: lab.offloads ?? null,
  }
}

/** One sample, retried once: a server that lost a race for its port should not cost the cell a sample. */
async function takeSample(
  cell: CellRecord,
  testbed: { lab: LabRecord; ownNetns: Set<number> },
  iteration: number,
  config: RunConfig,
  port: number,
  servers: ServerPool,
): Promise<SampleInput> {
  const { lab, ownNetns } = testbed
  const spec = testSpec(cell, config)
  const [client, server] = endpoints(lab, cell.placement as Placement)
  // Servers' pid files and engine logs live in the lab's own directory, so removing the lab (after success, error,
  // interrupt, or `lab clean` after a kill -9) removes them too.
  const ctx = {
    engine: getEngine(cell.engine),
    spec,
    client,
    server,
    port,
    workDir: workDirOf(lab.name),
    pidDir: join(labDir(lab.name), 'pids'),
    iteration,
    pinCpu: pinCpu(cell, config),
    ownNetns,
    probe: existsSync(PROBE_PATH),
    servers,
  }
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
  const cpu = pinCpu(cell, config)
  return { kind: cell.test as TestKind, size: cell.size, durationS: config.durationS, warmupS: config.warmupS, parallel: cell.parallel, ...(cpu === undefined ? {} : { serverCpu: cpu }) }
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

/** A lab per testbed, named `<run>-<n>-<datapath>` (cut to the 24 characters a lab name may have). */
function labRequest(runId: string, index: number, cell: CellRecord, config: RunConfig): LabRequest {
  return {
    name: `${runId}-${index + 1}-${cell.datapath}`.slice(0, 24).replace(/-$/, ''),
    nodes: 2,
    podsPerNode: config.placements.includes('intra-node') ? 2 : 1,
    underlayCidr: '192.168.250.0/24',
    podCidr: '10.244.0.0/16',
    underlayMtu: config.mtu,
    options: config.datapathOptions?.[cell.datapath] ?? {},
    underlay: (cell.variant['underlay'] ?? variantDefaults['underlay']) as Underlay,
    nicOffloads: cell.variant['nic'] ?? variantDefaults['nic'],
  }
}
