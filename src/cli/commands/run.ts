/**
 * `cnibench run`: measure the matrix on lab datapaths, store every sample as it is taken, print the comparison.
 * `cnibench run --resume RUN` completes an interrupted run without measuring anything twice. This file parses flags,
 * shows progress and renders; the session itself is measure/session.ts.
 */
import type { Command } from 'commander'
import { nicProfiles, splitNicProfiles } from '../../lab/offloads.js'
import { checkFlag, loadConfigFile, mergeConfig, parseDuration, parseEngineChoices, type RunConfig } from '../../measure/config.js'
import { checkResumable, planNewRun, runSession } from '../../measure/session.js'
import { testKinds, type TestKind } from '../../measure/tests.js'
import { loadReport } from '../../report/load.js'
import { renderers } from '../../report/renderers/index.js'
import { defaultReportPath, writeReport } from '../../report/write.js'
import { requireRoot } from '../../system/doctor.js'
import { interruptSignal } from '../interrupt.js'
import { intOption, listOption, numberOption } from '../options.js'
import { createProgress } from '../progress.js'
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
  try {
    // Everything a user can get wrong is checked before waiting for the machine: a typo never waits ten minutes.
    const target = opts.resume
      ? { resume: await checkResumable(store, opts.resume) }
      : { plan: await planNewRun(mergeConfig(opts.config ? loadConfigFile(opts.config) : {}, flagsToConfig(opts))) }
    for (const s of target.plan?.plan.skipped ?? []) progress.note(`not measuring ${s.datapath}: ${s.reason}`)
    const runId = await runSession(store, target, {
      wait: opts.wait !== false,
      allowConcurrent: opts.allowConcurrent === true,
      signal: interruptSignal,
      hooks: { note: (m) => progress.note(m), onLab: (m) => progress.note(m), onSample: (p) => progress.sample(p), onRound: (m) => progress.note(m) },
    }).finally(() => progress.finish())
    const model = loadReport(store, [runId])
    process.stdout.write(renderers[opts.json ? 'json' : 'terminal'].render(model))
    if (opts.report !== false) {
      const path = writeReport(opts.report ?? defaultReportPath(store.path, [runId], renderers.html), renderers.html, model)
      process.stderr.write(`cnibench: HTML report: ${path}\n`)
    }
  } finally {
    store.close()
  }
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
