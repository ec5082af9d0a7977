/**
 * The measurement matrix as command-line options, shared by `run` and `k8s run` / `k8s plan`: which tests, sizes,
 * flows and placements, how long and how many samples, which engine, and the config file they can all come from.
 * Each flag is checked like the same key in a config file, with a one-line error naming the fix.
 */
import type { Command } from 'commander'
import { checkFlag, loadConfigFile, mergeConfig, parseDuration, parseEngineChoices, type RunConfig } from '../measure/config.js'
import { testKinds, type TestKind } from '../measure/tests.js'
import { intOption, listOption, numberOption } from './options.js'

export interface MatrixOptions {
  datapaths?: string[]
  tests?: string[]
  sizes?: string[]
  duration?: number
  warmup?: number
  samples?: number
  maxSamples?: number
  precision?: string
  maxTime?: string
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
  policyRules?: string[]
  policyImpl?: string[]
  policyEstablishedFirst?: boolean
  services?: string[]
  proxy?: string[]
}

export function addMatrixOptions(command: Command): Command {
  return command
    .option('--tests <list>', 'any of TCP_STREAM,UDP_STREAM,TCP_RR,UDP_RR,TCP_CRR, or "all" (default TCP_STREAM,TCP_RR,TCP_CRR)', listOption)
    .option('--sizes <list>', 'message sizes in bytes for every test (default auto: streams 10240, request/response 1024; the bank\'s bare-metal-vs-VM study used 512,1024,10240)', listOption)
    .option('--duration <s>', 'measured seconds per sample (default 1)', numberOption)
    .option('--warmup <s>', 'seconds of traffic before measuring, excluded (default 0.5)', numberOption)
    .option('--samples <n>', 'least samples per cell, taken in interleaved rounds (default 5)', intOption)
    .option('--precision <points>', 'after --samples, add rounds until every overhead\'s 95% CI is within ±points, or --max-time runs out; off: exactly --samples (default 5)')
    .option('--max-time <duration>', 'time budget for the rounds beyond --samples, e.g. 15m (default 12m)')
    .option('--max-samples <n>', 'most samples a cell takes while chasing --precision (default 30)', intOption)
    .option('--parallel <list>', 'concurrent flows, e.g. 1,4 (default 1)', listOption)
    .option('--placement <list>', 'inter-node and/or intra-node (default inter-node)', listOption)
    .option('--engine <list>', 'engine per test, e.g. TCP_STREAM=iperf3,TCP_RR=sockperf (default: cnb-perf for every test)', listOption)
    .option('--pin <mode>', 'auto: single-flow tests run client and server on one CPU; none (default auto)')
    .option('--seed <n>', 'seed for the interleaving order and the bootstrap', intOption)
    .option('--label <text>', 'a note stored with the run (e.g. "bare metal, rack 3")')
    .option('--config <file>', 'YAML file with any of these options (flags win)')
}

/** The run's config: defaults, then the config file, then the flags. */
export function matrixConfig(opts: MatrixOptions): RunConfig {
  return mergeConfig(opts.config ? loadConfigFile(opts.config) : {}, flagsToConfig(opts))
}

function expandTests(tests: string[]): TestKind[] {
  return tests.flatMap((t) => (t.toLowerCase() === 'all' ? [...testKinds] : [t.toUpperCase() as TestKind]))
}

/** Command-line flags as a partial config, each checked like the same key in a config file. */
function flagsToConfig(opts: MatrixOptions): Partial<RunConfig> {
  const numbers = (list: string[] | undefined, flag: string) => {
    if (!list) return undefined
    const values = list.map((v) => (/^\d+$/.test(v.replace(/_/g, '')) ? Number(v.replace(/_/g, '')) : v))
    checkFlag(flag.slice(2) as never, values, flag)
    return values as number[]
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
    policyRules: numbers(opts.policyRules, '--policy-rules'),
    policyImpl: opts.policyImpl as RunConfig['policyImpl'],
    policyEstablishedFirst: opts.policyEstablishedFirst,
    services: numbers(opts.services, '--services'),
    proxy: opts.proxy as RunConfig['proxy'],
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
    ['policy-impl', config.policyImpl, '--policy-impl'],
    ['proxy', config.proxy, '--proxy'],
  ]
  for (const [key, value, flag] of checks) if (value !== undefined) checkFlag(key as never, value, flag)
  return config
}
