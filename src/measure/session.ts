/**
 * A run session, from a planned matrix (or a stored run to resume) to a finished run in the store: take the
 * measurement lock, register as an activity, store the run and its cells, measure (runner.ts), and record how it
 * ended — complete, failed, or interrupted (resumable) when `signal` aborts. The CLI parses flags, shows progress
 * and renders; everything between is here, so any front end (the CLI, a cluster runner) runs the same session.
 */
import { defaultDisturbanceRule } from '../analysis/disturbances.js'
import { chooseEngine, engineAvailability, getEngine } from '../engines/index.js'
import { CnibenchError } from '../errors.js'
import { factsOf, resolveOptions } from '../lab/datapath.js'
import { getDatapath } from '../lab/datapaths/index.js'
import { treatmentProblem } from '../lab/treatments.js'
import { currentOwner } from '../lab/state.js'
import type { CellRecord, ResultStore, RunRecord } from '../store/db.js'
import { statusOf } from '../store/status.js'
import { availabilityOf, probeHost } from '../system/doctor.js'
import { fingerprint } from '../system/environment.js'
import { version } from '../version.js'
import type { RunConfig } from './config.js'
import { acquireMeasurementLock, registerActivity } from './lock.js'
import { planRun } from './plan.js'
import { measureRun, newRunId, pinCpu, type RunnerHooks } from './runner.js'
import type { TestbedProvider } from './testbed.js'
import { treatmentsOf } from './treatments.js'

export interface SessionHooks extends RunnerHooks {
  /** Something a person watching should know (waiting for the machine, where results go, an interruption). */
  note(message: string): void
}

export interface SessionOptions {
  /** Wait for another measurement on this machine to finish (else refuse). */
  wait: boolean
  /** Measure alongside another measurement, marking every sample as contended. */
  allowConcurrent: boolean
  hooks: SessionHooks
  /** An interrupt (Ctrl-C, SIGTERM): the sample in flight stops, the run is marked interrupted, testbeds are removed. */
  signal?: AbortSignal
  /** Where to measure: labs on this host unless given (a cluster run gives its ClusterTestbeds). */
  testbeds?: (runId: string, cells: CellRecord[], config: RunConfig) => TestbedProvider
  /** A run id chosen by the caller (a cluster run names its namespace after it before the session starts). */
  runId?: string
}

/** Run a new plan or resume a stored run to its end; returns the run id. */
export async function runSession(store: ResultStore, target: { plan?: PlannedRun; resume?: RunRecord }, opts: SessionOptions): Promise<string> {
  const { hooks, signal } = opts
  const runId = target.resume?.id ?? opts.runId ?? newRunId()
  const lock = await acquireMeasurementLock(`run ${runId}`, {
    wait: opts.wait,
    ...(signal ? { signal } : {}),
    allowConcurrent: opts.allowConcurrent,
    onWait: (holder) => hooks.note(`waiting for another measurement to finish: ${holder.what} (pid ${holder.pid}, since ${holder.since}); --no-wait to refuse instead`),
  })
  const unregister = await registerActivity(`run ${runId}`)
  try {
    const config = target.resume ? await resume(store, target.resume) : await createNewRun(store, runId, target.plan as PlannedRun, lock.contendedWith !== undefined)
    if (lock.contendedWith) hooks.note(`measuring alongside ${lock.contendedWith.what} (pid ${lock.contendedWith.pid}): every sample is marked as contended`)
    hooks.note(`run ${runId}: results go to ${store.path} as they are taken`)
    try {
      const deadline = config.maxTimeS === undefined ? undefined : Date.now() + config.maxTimeS * 1000
      const testbeds = opts.testbeds?.(runId, store.cells(runId), config)
      const outcome = await measureRun(store, runId, config, { hooks, ...(deadline === undefined ? {} : { deadline }), ...(signal ? { signal } : {}), ...(testbeds ? { testbeds } : {}) })
      const run = store.requireRun(runId)
      store.updateRun(runId, { status: 'complete', finishedAt: new Date().toISOString(), notes: { ...run.notes, outcome: { ...outcome, at: new Date().toISOString() } } })
    } catch (error) {
      // An interrupt makes the work in flight fail too; that run was interrupted (and resumable), not failed.
      const interrupted = signal?.aborted === true
      store.updateRun(runId, { status: interrupted ? 'interrupted' : 'failed' })
      const resume = store.requireRun(runId).kind === 'lab' ? `continue with \`cnibench run --resume ${runId}\`` : 'start a new run for the rest'
      if (interrupted) hooks.note(`run ${runId} interrupted; what was measured is stored; ${resume}`)
      throw error
    }
    return runId
  } finally {
    await unregister()
    await lock.release()
  }
}

/** A run ready to be stored: its kind, config, environment, fully described cells, and what it will not measure. */
export interface PlannedRun {
  kind: 'lab' | 'k8s'
  config: RunConfig
  environment: Record<string, unknown>
  cells: Omit<CellRecord, 'id' | 'runId'>[]
  skipped: { datapath: string; reason: string }[]
  notes: string[]
}

/** The lab matrix, with the datapaths and engines this host can run, each cell with its datapath's facts. Writes nothing. */
export async function planNewRun(config: RunConfig): Promise<PlannedRun> {
  const host = await probeHost()
  const isAvailable = (e: Parameters<typeof engineAvailability>[0]) => engineAvailability(e, host, version).available
  const plan = planRun(config, {
    unavailableReason: (dp) => {
      const a = availabilityOf(getDatapath(dp), host, config.datapathOptions?.[dp] ?? {})
      return a.available ? undefined : a.reason
    },
    engineFor: (test, wanted) => chooseEngine(test, isAvailable, wanted ?? config.engines?.[test]),
    treatmentProblem: (dp, variant) => treatmentProblem(getDatapath(dp), treatmentsOf(variant), host),
  })
  const cells = plan.cells.map((cell) => {
    const datapath = getDatapath(cell.datapath)
    const engine = getEngine(cell.engine)
    const options = resolveOptions(datapath, config.datapathOptions?.[cell.datapath] ?? {}, host)
    return {
      ...cell,
      engineVersion: engineAvailability(engine, host, version).version,
      context: {
        ...factsOf(datapath, options),
        options,
        underlayMtu: config.mtu,
        podMtu: datapath.podMtu(config.mtu, options),
        pinnedCpu: pinCpu(cell, config) ?? null,
        warmup: engine.warmup,
      },
    }
  })
  return { kind: 'lab', config, environment: { ...(await fingerprint(host)) }, cells, skipped: plan.skipped, notes: plan.notes }
}

/** Store the new run and its cells (under the measurement lock). */
async function createNewRun(store: ResultStore, runId: string, planned: PlannedRun, contended: boolean): Promise<RunConfig> {
  const { config } = planned
  // The rule is stored with the run, so the run is always read the way it was measured.
  config.disturbances = { ...defaultDisturbanceRule, excludeForeignLoad: !contended }
  store.createRun({
    id: runId,
    createdAt: new Date().toISOString(),
    status: 'running',
    kind: planned.kind,
    label: config.label ?? null,
    cnibenchVersion: version,
    config,
    environment: planned.environment,
    owner: await currentOwner(),
    notes: { skipped: planned.skipped, warnings: planned.notes },
  })
  store.ensureCells(runId, planned.cells)
  return config
}

/** The stored run `id`, if it can be resumed; a one-line error if it is complete or still running. */
export async function checkResumable(store: ResultStore, id: string): Promise<RunRecord> {
  const run = store.requireRun(id)
  const status = await statusOf(run)
  if (status === 'complete') throw new CnibenchError('E_USAGE', `run ${run.id} is already complete`, { hint: `see it with \`cnibench results show ${run.id}\`` })
  if (status === 'running') {
    throw new CnibenchError('E_USAGE', `run ${run.id} is still running (pid ${run.owner?.pid})`, { hint: 'wait for it, or stop that process first' })
  }
  if (run.kind !== 'lab') {
    throw new CnibenchError('E_USAGE', `run ${run.id} was measured on a cluster; \`run --resume\` resumes lab runs only`, { hint: 'what it measured is stored; start a new `cnibench k8s run` for the rest' })
  }
  return run
}

/** Mark `run` running again under this process, noting the resume and the environment it resumes in. */
async function resume(store: ResultStore, run: RunRecord): Promise<RunConfig> {
  const host = await probeHost()
  const resumes = [...(run.notes.resumes ?? []), { at: new Date().toISOString(), environment: { ...(await fingerprint(host)) } }]
  store.updateRun(run.id, { status: 'running', finishedAt: null, owner: await currentOwner(), notes: { ...run.notes, resumes } })
  return run.config as RunConfig
}

