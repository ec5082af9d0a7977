/**
 * A measurement run from start (or resume) to finish: build one testbed per datapath and lab variant (a lab by
 * default, testbeds/lab.ts), take samples in interleaved rounds until every cell has its minimum of undisturbed
 * samples and, with a precision target, until every overhead is known well enough or the time budget runs out; store
 * each sample the moment it is taken; close the testbeds. The store is the only output; tables and reports are
 * rendered from it afterwards.
 */
import { availableParallelism } from 'node:os'
import { randomBytes } from 'node:crypto'
import { median } from '../analysis/stats.js'
import { CnibenchError } from '../errors.js'
import { run } from '../exec/run.js'
import { getEngine } from '../engines/index.js'
import type { CellRecord, ResultStore, SampleInput } from '../store/db.js'
import type { RunConfig } from './config.js'
import { decideNext } from './rounds.js'
import { measureSample } from './sample.js'
import { ServerPool } from './servers.js'
import type { BuiltTestbed, Testbed, TestbedProvider } from './testbed.js'
import { LabTestbeds } from './testbeds/lab.js'
import type { Placement, TestKind, TestSpec } from './tests.js'

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
 * `deadline` (ms since the epoch) is when the time budget (--max-time) runs out; `signal` is an interrupt.
 */
export async function measureRun(
  store: ResultStore,
  runId: string,
  config: RunConfig,
  opts: { hooks?: RunnerHooks; deadline?: number; signal?: AbortSignal; testbeds?: TestbedProvider } = {},
): Promise<RunOutcome> {
  const { hooks = {}, deadline, signal } = opts
  const testbeds = opts.testbeds ?? new LabTestbeds(runId, store.cells(runId), config, hooks.onLab, signal)
  const cells = store.cells(runId)
  const byKey = new Map(cells.map((c) => [c.key, c]))
  const saveTestbed = (t: BuiltTestbed) => store.saveTestbed({ runId, ...t, builtAt: new Date().toISOString() })
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
      // Build what this round needs before measuring any of it: a build must not fall between two samples.
      for (const key of decision.keys) await testbeds.open(byKey.get(key) as CellRecord, saveTestbed)
      rounds++
      total = done + decision.keys.length
      const short = decision.unmet && decision.unmet.length > 0 ? ` (${decision.unmet.length} overheads short of ±${config.precision} points)` : ''
      if (decision.number > 1) hooks.onRound?.(`round ${decision.number}: ${decision.keys.length} samples${short}`)
      for (const key of decision.keys) {
        const cell = byKey.get(key) as CellRecord
        const testbed = await testbeds.open(cell, saveTestbed)
        const iteration = (decision.attempts.get(key) ?? 0) + 1 // a cell is visited once per round
        const t0 = performance.now()
        const sample = await takeSample(cell, testbed, iteration, config, port, servers, signal)
        seconds.set(key, [...(seconds.get(key) ?? []), (performance.now() - t0) / 1000])
        port = FIRST_PORT + ((port - FIRST_PORT + cell.parallel + 1) % PORT_SPAN)
        store.insertSample(cell.id, sample)
        done++
        hooks.onSample?.({ done, total, round: decision.number, cell, iteration, sample })
      }
    }
  } finally {
    await servers.stopAll()
    await testbeds.close()
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

/** One sample, retried once: a server that lost a race for its port should not cost the cell a sample. */
async function takeSample(cell: CellRecord, testbed: Testbed, iteration: number, config: RunConfig, port: number, servers: ServerPool, signal: AbortSignal | undefined): Promise<SampleInput> {
  const { client, server, backends } = testbed.endpoints(cell.placement as Placement)
  const ctx = {
    engine: getEngine(cell.engine),
    spec: testSpec(cell, config),
    client,
    server,
    ...(backends ? { backends } : {}),
    port,
    cpu: pinCpu(cell, config) ?? ('all' as const),
    iteration,
    ...(testbed.foreign ? { foreign: testbed.foreign } : {}),
    probe: testbed.hasProbe,
    servers,
    ...(signal ? { signal } : {}),
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
