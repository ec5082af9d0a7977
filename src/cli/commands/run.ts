/**
 * `cnibench run`: measure the matrix on lab datapaths, store every sample as it is taken, print the comparison.
 * `cnibench run --resume RUN` completes an interrupted run without measuring anything twice.
 */
import type { Command } from 'commander'
import { CnibenchError } from '../../errors.js'
import { isInterrupted } from '../../exec/run.js'
import { chooseEngine, engineAvailability, getEngine } from '../../engines/index.js'
import { getDatapath } from '../../lab/datapaths/index.js'
import { factsOf, resolveOptions } from '../../lab/datapath.js'
import { currentOwner } from '../../lab/state.js'
import { defaultDisturbanceRule } from '../../analysis/disturbances.js'
import { checkFlag, loadConfigFile, mergeConfig, parseDuration, parseEngineChoices, type RunConfig } from '../../measure/config.js'
import { acquireMeasurementLock, registerActivity } from '../../measure/lock.js'
import { planRun } from '../../measure/plan.js'
import { measureRun, newRunId, pinCpu } from '../../measure/runner.js'
import { testKinds, type TestKind } from '../../measure/tests.js'
import { nicProfiles, splitNicProfiles } from '../../lab/offloads.js'
import { loadReport } from '../../report/load.js'
import { renderers } from '../../report/renderers/index.js'
import { defaultReportPath, writeReport } from '../../report/write.js'
import { availabilityOf, probeHost, requireRoot, type HostReport } from '../../system/doctor.js'
import { fingerprint } from '../../system/environment.js'
import { version } from '../../version.js'
import type { ResultStore, RunRecord } from '../../store/db.js'
import { onInterrupt } from '../interrupt.js'
import { intOption, listOption, numberOption } from '../options.js'
import { createProgress } from '../progress.js'
import { statusOf } from '../../store/status.js'
import { openStore } from './results.js'

interface RunOptions {
  datapaths?: string[]
  tests?: string[]
  sizes?: string[]
  duration?: number
  warmup?: number
  samples?: number
  maxSamples?: number
  precision?: string
  maxTime?: string
  wait?: boolean
  allowConcurrent?: boolean
  parallel?: string[]
  placement?: string[]
  baseline?: string
  mtu?: number
  nicOffloads?: string[]
  engine?: string[]
  pin?: string
  seed?: number
  label?: string
  config?: string
  db?: string
  resume?: string
  report?: string | false
  json?: boolean
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('measure every datapath this host can run (or --datapaths) against the baseline; print the comparison')
    .option('--datapaths <list>', 'comma-separated datapaths (default: all that run here)', listOption)
    .option('--tests <list>', 'any of TCP_STREAM,UDP_STREAM,TCP_RR,UDP_RR,TCP_CRR, or "all" (default TCP_STREAM,TCP_RR,TCP_CRR)', listOption)
    .option('--sizes <list>', 'message sizes in bytes for every test (default auto: streams 10240, request/response 1024; the bank\'s bare-metal-vs-VM study used 512,1024,10240)', listOption)
    .option('--duration <s>', 'measured seconds per sample (default 1)', numberOption)
    .option('--warmup <s>', 'seconds of traffic before measuring, excluded (default 0.5)', numberOption)
    .option('--samples <n>', 'least samples per cell, taken in interleaved rounds (default 5)', intOption)
    .option('--precision <points>', 'after --samples, add rounds until every overhead\'s 95% CI is within ±points, or --max-time runs out; off: exactly --samples (default 5)')
    .option('--max-time <duration>', 'time budget for the rounds beyond --samples, e.g. 15m (default 12m)')
    .option('--max-samples <n>', 'most samples a cell takes while chasing --precision (default 30)', intOption)
    .option('--no-wait', 'if another measurement is running on this machine, refuse instead of waiting for it')
    .option('--allow-concurrent', 'measure even while another measurement runs (every sample is marked as contended)')
    .option('--parallel <list>', 'concurrent flows, e.g. 1,4 (default 1)', listOption)
    .option('--placement <list>', 'inter-node and/or intra-node (default inter-node)', listOption)
    .option('--baseline <datapath>', 'datapath every overhead is measured against (default host)')
    .option('--mtu <bytes>', 'underlay MTU of the labs (default 1500)', intOption)
    .option('--nic-offloads <list>', `NIC offload profiles of the nodes' eth0, each measured: ${Object.keys(nicProfiles).join(', ')}, custom:feature=on|off,... (default full)`, splitNicProfiles)
    .option('--engine <list>', 'engine per test, e.g. TCP_STREAM=iperf3,TCP_RR=sockperf (default: cnb-perf for every test)', listOption)
    .option('--pin <mode>', 'auto: single-flow tests run client and server on one CPU; none (default auto)')
    .option('--seed <n>', 'seed for the interleaving order and the bootstrap', intOption)
    .option('--label <text>', 'a note stored with the run (e.g. "bare metal, rack 3")')
    .option('--config <file>', 'YAML file with any of the options above (flags win)')
    .option('--db <file>', 'results database (default: $XDG_DATA_HOME/cnibench/results.db)')
    .option('--resume <run>', 'complete an interrupted run (same matrix, skips what is stored)')
    .option('--report <file>', 'where to write the HTML report (default: reports/<run>.html next to the database)')
    .option('--no-report', 'do not write a report file')
    .option('--json', 'print the results as JSON on stdout (progress stays on stderr)')
    .action(runCommand)
}

async function runCommand(opts: RunOptions): Promise<void> {
  requireRoot('cnibench run')
  const store = openStore(opts.db)
  const progress = createProgress()
  // Everything a user can get wrong is checked before waiting for the machine: a typo never waits ten minutes.
  const resumable = opts.resume ? await checkResumable(store, opts.resume) : undefined
  const planned = resumable ? undefined : await planNewRun(opts)
  const runId = resumable?.id ?? newRunId()
  const lock = await acquireMeasurementLock(`run ${runId}`, {
    wait: opts.wait !== false,
    allowConcurrent: opts.allowConcurrent === true,
    onWait: (holder) => progress.note(`waiting for another measurement to finish: ${holder.what} (pid ${holder.pid}, since ${holder.since}); --no-wait to refuse instead`),
  })
  const unregister = await registerActivity(`run ${runId}`)
  const stopWatchingLock = onInterrupt(async () => {
    await unregister()
    await lock.release()
  })
  try {
    const config = resumable ? await resume(store, resumable) : await createNewRun(store, runId, planned as PlannedRun, lock.contendedWith !== undefined)
    if (lock.contendedWith) progress.note(`measuring alongside ${lock.contendedWith.what} (pid ${lock.contendedWith.pid}): every sample is marked as contended`)
    progress.note(`run ${runId}: results go to ${store.path} as they are taken`)
    const stopWatching = onInterrupt(() => {
      store.updateRun(runId, { status: 'interrupted' })
      progress.finish()
      process.stderr.write(`cnibench: run ${runId} interrupted; what was measured is stored; continue with \`cnibench run --resume ${runId}\`\n`)
    })
    try {
      const deadline = config.maxTimeS === undefined ? undefined : Date.now() + config.maxTimeS * 1000
      const outcome = await measureRun(store, runId, config, { onLab: (m) => progress.note(m), onSample: (p) => progress.sample(p), onRound: (m) => progress.note(m) }, deadline)
      const run = store.requireRun(runId)
      store.updateRun(runId, { status: 'complete', finishedAt: new Date().toISOString(), notes: { ...run.notes, outcome: { ...outcome, at: new Date().toISOString() } } })
    } catch (error) {
      // An interrupt makes the work in flight fail too; that run was interrupted (and resumable), not failed.
      store.updateRun(runId, { status: isInterrupted() ? 'interrupted' : 'failed' })
      throw error
    } finally {
      stopWatching()
      progress.finish()
    }
    const model = loadReport(store, [runId])
    process.stdout.write(renderers[opts.json ? 'json' : 'terminal'].render(model))
    if (opts.report !== false) {
      const path = writeReport(opts.report ?? defaultReportPath(store.path, [runId], renderers.html), renderers.html, model)
      process.stderr.write(`cnibench: HTML report: ${path}\n`)
    }
  } finally {
    stopWatchingLock()
    await unregister()
    await lock.release()
    store.close()
  }
}

interface PlannedRun {
  config: RunConfig
  plan: ReturnType<typeof planRun>
  host: HostReport
}

/** The matrix from config file and flags, checked, with the datapaths and engines this host can run. Writes nothing. */
async function planNewRun(opts: RunOptions): Promise<PlannedRun> {
  const config = mergeConfig(opts.config ? loadConfigFile(opts.config) : {}, flagsToConfig(opts))
  const host = await probeHost()
  const isAvailable = (e: Parameters<typeof engineAvailability>[0]) => engineAvailability(e, host, version).available
  const plan = planRun(config, {
    unavailableReason: (dp) => {
      const a = availabilityOf(getDatapath(dp), host, config.datapathOptions?.[dp] ?? {})
      return a.available ? undefined : a.reason
    },
    engineFor: (test) => chooseEngine(test, isAvailable, config.engines?.[test]),
  })
  return { config, plan, host }
}

/** Store the new run and its cells (under the measurement lock). */
async function createNewRun(store: ResultStore, runId: string, { config, plan, host }: PlannedRun, contended: boolean): Promise<RunConfig> {
  // The rule is stored with the run, so the run is always read the way it was measured.
  config.disturbances = { ...defaultDisturbanceRule, excludeForeignLoad: !contended }
  store.createRun({
    id: runId,
    createdAt: new Date().toISOString(),
    status: 'running',
    kind: 'lab',
    label: config.label ?? null,
    cnibenchVersion: version,
    config,
    environment: { ...(await fingerprint(host)) },
    owner: await currentOwner(),
    notes: { skipped: plan.skipped, warnings: plan.notes },
  })
  store.ensureCells(
    runId,
    plan.cells.map((cell) => {
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
    }),
  )
  for (const s of plan.skipped) process.stderr.write(`cnibench: not measuring ${s.datapath}: ${s.reason}\n`)
  return config
}

/** The stored run `id`, if it can be resumed; a one-line error if it is complete or still running. */
async function checkResumable(store: ResultStore, id: string): Promise<RunRecord> {
  const run = store.requireRun(id)
  const status = await statusOf(run)
  if (status === 'complete') throw new CnibenchError('E_USAGE', `run ${run.id} is already complete`, { hint: `see it with \`cnibench results show ${run.id}\`` })
  if (status === 'running') {
    throw new CnibenchError('E_USAGE', `run ${run.id} is still running (pid ${run.owner?.pid})`, { hint: 'wait for it, or stop that process first' })
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

function expandTests(tests: string[]): TestKind[] {
  return tests.flatMap((t) => (t.toLowerCase() === 'all' ? [...testKinds] : [t.toUpperCase() as TestKind]))
}

/** Command-line flags as a partial config, each checked like the same key in a config file. */
function flagsToConfig(opts: RunOptions): Partial<RunConfig> {
  const numbers = (list: string[] | undefined, flag: string) => {
    if (!list) return undefined
    const values = list.map((v) => (/^\d+$/.test(v) ? Number(v) : Number.NaN))
    checkFlag(flag === '--sizes' ? 'sizes' : 'parallel', values, flag)
    return values
  }
  const config: Partial<RunConfig> = {
    ...(opts.datapaths ? { datapaths: opts.datapaths } : {}),
    ...(opts.tests ? { tests: expandTests(opts.tests) } : {}),
    sizes: opts.sizes?.[0] === 'auto' ? 'auto' : numbers(opts.sizes, '--sizes'),
    parallel: numbers(opts.parallel, '--parallel'),
    ...(opts.placement ? { placements: opts.placement as RunConfig['placements'] } : {}),
    durationS: opts.duration,
    warmupS: opts.warmup,
    samples: opts.samples,
    maxSamples: opts.maxSamples,
    precision: opts.precision === undefined ? undefined : opts.precision === 'off' ? 'off' : Number(opts.precision.replace(/%$/, '')),
    maxTimeS: opts.maxTime === undefined ? undefined : parseDuration(opts.maxTime, '--max-time'),
    baseline: opts.baseline,
    mtu: opts.mtu,
    nicOffloads: opts.nicOffloads,
    engines: opts.engine ? parseEngineChoices(opts.engine) : undefined,
    pin: opts.pin as RunConfig['pin'] | undefined,
    seed: opts.seed,
    label: opts.label,
  }
  const checks: [string, unknown, string][] = [
    ['tests', config.tests, '--tests'],
    ['placements', config.placements, '--placement'],
    ['duration', config.durationS, '--duration'],
    ['warmup', config.warmupS, '--warmup'],
    ['samples', config.samples, '--samples'],
    ['max-samples', config.maxSamples, '--max-samples'],
    ['precision', config.precision, '--precision'],
    ['mtu', config.mtu, '--mtu'],
    ['nic-offloads', config.nicOffloads, '--nic-offloads'],
    ['pin', config.pin, '--pin'],
  ]
  for (const [key, value, flag] of checks) if (value !== undefined) checkFlag(key as never, value, flag)
  return config
}
