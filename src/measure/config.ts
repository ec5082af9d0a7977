/**
 * A run's matrix: defaults, the YAML config file (validated, errors point at file:line:column), and command-line
 * overrides, merged into one RunConfig. Pure apart from reading the file.
 */
import { readFileSync } from 'node:fs'
import { LineCounter, parseDocument, isMap, isScalar, type Node as YamlNode } from 'yaml'
import { CnibenchError } from '../errors.js'
import type { DisturbanceRule } from '../analysis/disturbances.js'
import { engineNames } from '../engines/names.js'
import { nicProfiles, parseNicProfile } from '../lab/offloads.js'
import { placements, testKinds, type Placement, type TestKind } from './tests.js'
import { MAX_POLICY_RULES, MAX_SERVICES, policyImpls, proxyImpls, type TreatmentConfig } from './treatments.js'

export interface RunConfig extends TreatmentConfig {
  /** Datapath names, or 'all': every datapath this host can run. */
  datapaths: string[] | 'all'
  tests: TestKind[]
  /** Message sizes for every test, or 'auto': streams at 10240 bytes (the 10K of the bank's bare-metal-vs-VM study), request/response at 1024. */
  sizes: number[] | 'auto'
  durationS: number
  warmupS: number
  samples: number
  parallel: number[]
  placements: Placement[]
  baseline: string
  /** Underlay MTU of the lab. */
  mtu: number
  /** 'auto': single-flow tests pin client and server to one CPU (see runner.pinCpu for why); 'none': never. */
  pin: 'auto' | 'none'
  /** Seeds the interleaving order and the bootstrap, so a run (and its resume) is reproducible. */
  seed: number
  label?: string
  /** Most samples a cell may keep while chasing the precision target. */
  maxSamples: number
  /** Precision target in percentage points: half-width of every headline overhead's 95% CI (analysis/precision.ts). */
  precision?: number | 'off'
  /** Time budget, seconds from the start (or resume) of the run, for rounds beyond the minimum of samples. */
  maxTimeS?: number
  /** The rule that decides which samples a disturbance hit (analysis/disturbances.ts); set when the run is created. */
  disturbances?: DisturbanceRule
  /** The engine per test where the user chose one (`--engine TCP_RR=sockperf`); others get the best available. */
  engines?: Partial<Record<TestKind, string>>
  /** NIC offload profiles of the nodes' underlay devices (lab/offloads.ts); more than one measures each. */
  nicOffloads: string[]
  /** Per-datapath options, e.g. { 'calico-bgp': { bgp: 'route-reflector' } } (YAML key `datapath-options`). */
  datapathOptions?: Record<string, Record<string, string>>
}

/**
 * The main job's matrix, sized so that on a 2-vCPU machine with every datapath it finishes in about 15 minutes
 * including set-up from a fresh machine: the three tests behind the headline figures (TCP_STREAM: throughput and CPU
 * per Gbit; TCP_RR: P50/P99 latency; TCP_CRR: connections per second), streams at the 10K of the bank's bare-metal-vs-VM study and
 * request/response at 1024 bytes, samples of 1 s after 0.5 s of warm-up, at least 5 per cell, then more rounds for
 * the overheads not yet known to ±5 points until 12 minutes have passed. The full matrix of the bank's bare-metal-vs-VM study is
 * `--tests all --sizes 512,1024,10240` (configs/seed.yaml).
 */
export const defaultConfig: Omit<RunConfig, 'seed'> = {
  datapaths: 'all',
  tests: ['TCP_STREAM', 'TCP_RR', 'TCP_CRR'],
  sizes: 'auto',
  durationS: 1,
  warmupS: 0.5,
  samples: 5,
  maxSamples: 30,
  precision: 5,
  maxTimeS: 12 * 60,
  parallel: [1],
  placements: ['inter-node'],
  baseline: 'host',
  mtu: 1500,
  pin: 'auto',
  nicOffloads: ['full'],
}

type Field = keyof RunConfig
type Check = (value: unknown) => string | undefined

const positiveInt = (max: number): Check => (v) =>
  Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max ? undefined : `must be a whole number from 1 to ${max}`
const count = (max: number): Check => (v) =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max ? undefined : `must be a whole number from 0 to ${max.toLocaleString('en-US')}`
const seconds = (min: number, max: number): Check => (v) =>
  typeof v === 'number' && v >= min && v <= max ? undefined : `must be a number of seconds from ${min} to ${max}`
const list = (item: Check): Check => (v) => {
  if (!Array.isArray(v) || v.length === 0) return 'must be a non-empty list'
  for (const x of v) {
    const problem = item(x)
    if (problem) return `item ${JSON.stringify(x)} ${problem}`
  }
  return undefined
}
const oneOf = (choices: readonly string[]): Check => (v) =>
  typeof v === 'string' && choices.includes(v) ? undefined : `must be one of ${choices.join(', ')}`
const name: Check = (v) => (typeof v === 'string' && /^[a-z][a-z0-9-]*$/.test(v) ? undefined : 'must be a datapath name')

/** Every config field: its YAML key and its check. Datapath names are checked against the registry later. */
const fields: Record<string, { field: Field; check: Check }> = {
  datapaths: { field: 'datapaths', check: (v) => (v === 'all' ? undefined : list(name)(v)) },
  tests: { field: 'tests', check: list(oneOf(testKinds)) },
  sizes: { field: 'sizes', check: (v) => (v === 'auto' ? undefined : list(positiveInt(65_000))(v)) },
  duration: { field: 'durationS', check: seconds(0.1, 3600) },
  warmup: { field: 'warmupS', check: seconds(0, 600) },
  samples: { field: 'samples', check: positiveInt(1000) },
  'max-samples': { field: 'maxSamples', check: positiveInt(1000) },
  precision: { field: 'precision', check: (v) => (v === 'off' || (typeof v === 'number' && v > 0 && v <= 100) ? undefined : 'must be percentage points between 0 and 100 (e.g. 5), or off') },
  'max-time': { field: 'maxTimeS', check: positiveInt(7 * 24 * 3600) },
  parallel: { field: 'parallel', check: list(positiveInt(64)) },
  placements: { field: 'placements', check: list(oneOf(placements)) },
  baseline: { field: 'baseline', check: name },
  mtu: { field: 'mtu', check: (v) => (Number.isInteger(v) && (v as number) >= 1280 && (v as number) <= 9000 ? undefined : 'must be from 1280 to 9000') },
  pin: { field: 'pin', check: oneOf(['auto', 'none']) },
  seed: { field: 'seed', check: (v) => (Number.isInteger(v) && (v as number) >= 0 ? undefined : 'must be a whole number') },
  label: { field: 'label', check: (v) => (typeof v === 'string' ? undefined : 'must be text') },
  'datapath-options': { field: 'datapathOptions', check: optionsMap },
  'nic-offloads': { field: 'nicOffloads', check: list(nicProfile) },
  engines: { field: 'engines', check: engineChoices },
  'policy-rules': { field: 'policyRules', check: list(count(MAX_POLICY_RULES)) },
  'policy-impl': { field: 'policyImpl', check: list(oneOf(policyImpls)) },
  'policy-established-first': { field: 'policyEstablishedFirst', check: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false') },
  services: { field: 'services', check: list(count(MAX_SERVICES)) },
  proxy: { field: 'proxy', check: list(oneOf(proxyImpls)) },
}

function nicProfile(v: unknown): string | undefined {
  if (typeof v !== 'string') return 'must be a profile name'
  try {
    parseNicProfile(v)
    return undefined
  } catch (error) {
    return error instanceof CnibenchError ? `is not a NIC profile (${Object.keys(nicProfiles).join(', ')}, or custom:feature=on|off,...)` : String(error)
  }
}

function engineChoices(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must map test names to engines, e.g. {TCP_RR: sockperf}'
  for (const [test, engine] of Object.entries(v)) {
    if (!(testKinds as readonly string[]).includes(test)) return `names an unknown test "${test}" (one of ${testKinds.join(', ')})`
    if (typeof engine !== 'string' || !(engineNames as readonly string[]).includes(engine)) return `has an unknown engine for ${test}: "${String(engine)}" (one of ${engineNames.join(', ')})`
  }
  return undefined
}

/** "TCP_STREAM=iperf3,TCP_RR=sockperf" → { TCP_STREAM: 'iperf3', TCP_RR: 'sockperf' } (checked like the config key). */
export function parseEngineChoices(pairs: string[]): Partial<Record<TestKind, string>> {
  const choices: Record<string, string> = {}
  for (const pair of pairs) {
    const [test, engine, ...rest] = pair.split('=')
    if (!test || !engine || rest.length > 0) throw new CnibenchError('E_USAGE', `--engine ${pair} is not TEST=ENGINE`, { hint: 'e.g. --engine TCP_STREAM=iperf3,TCP_RR=sockperf' })
    choices[test.toUpperCase()] = engine
  }
  checkFlag('engines', choices, '--engine')
  return choices
}

function optionsMap(v: unknown): string | undefined {
  const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)
  if (!isRecord(v)) return 'must map datapath names to their options'
  for (const [name, options] of Object.entries(v)) {
    if (!isRecord(options) || Object.values(options).some((o) => typeof o !== 'string')) return `"${name}" must map option names to values`
  }
  return undefined
}

/** Read and validate a YAML config file; returns only the fields it sets. */
export function loadConfigFile(path: string): Partial<RunConfig> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    throw new CnibenchError('E_CONFIG', `cannot read config file ${path}`, { hint: 'check the path given to --config' })
  }
  return parseConfig(text, path)
}

export function parseConfig(text: string, path = 'config'): Partial<RunConfig> {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false })
  const at = (node: YamlNode | null | undefined, offset?: number) => {
    const pos = lineCounter.linePos(offset ?? node?.range?.[0] ?? 0)
    return `${path}:${pos.line}:${pos.col}`
  }
  const syntax = doc.errors[0]
  if (syntax) throw configError(`${at(null, syntax.pos[0])}: ${syntax.message.split('\n')[0]}`)
  if (doc.contents === null) return {}
  if (!isMap(doc.contents)) throw configError(`${at(doc.contents)}: the config must be a mapping of keys to values`)
  const config: Record<string, unknown> = {}
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : ''
    const spec = fields[key]
    if (!spec) {
      const guess = closest(key, Object.keys(fields))
      throw configError(`${at(pair.key as YamlNode)}: unknown key "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}`)
    }
    const value = (pair.value as YamlNode | null)?.toJSON?.() ?? (isScalar(pair.value) ? pair.value.value : null)
    const problem = spec.check(value)
    if (problem) throw configError(`${at(pair.value as YamlNode)}: "${key}" ${problem}`)
    config[spec.field] = value
  }
  return config as Partial<RunConfig>
}

function configError(message: string): CnibenchError {
  return new CnibenchError('E_CONFIG', message, { hint: 'fix the config file (see configs/ for examples)' })
}

/** Defaults, then the config file, then command-line flags; each later one wins. */
export function mergeConfig(...layers: Partial<RunConfig>[]): RunConfig {
  const merged = Object.assign({}, defaultConfig, ...layers.map(withoutUndefined)) as RunConfig
  merged.seed ??= Math.floor(Math.random() * 2 ** 31)
  return merged
}

/** The precision target as a fraction (0.05 for ±5 points), or undefined when the run takes a fixed count. */
export function precisionTarget(config: Pick<RunConfig, 'precision'>): number | undefined {
  return config.precision === undefined || config.precision === 'off' ? undefined : config.precision / 100
}

/** "15m", "90s", "1h", or seconds: the time budget's forms. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim())
  if (!m) throw new CnibenchError('E_USAGE', `${flag} ${text} is not a duration`, { hint: 'e.g. 15m, 90s or 1h' })
  const seconds = Number(m[1]) * ({ s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'] ?? 1)
  if (!(seconds >= 1)) throw new CnibenchError('E_USAGE', `${flag} ${text} is too short`, { hint: 'give at least 1s' })
  return Math.round(seconds)
}

/** Validate command-line values with the same checks as the file (the CLI has no line numbers, only the flag). */
export function checkFlag(key: keyof typeof fields, value: unknown, flag: string): void {
  const problem = fields[key]?.check(value)
  if (problem) throw new CnibenchError('E_USAGE', `${flag} ${problem}`, { hint: 'see `cnibench run --help`' })
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** The candidate at the smallest edit distance, if it is close enough to be a plausible typo. */
function closest(word: string, candidates: string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
    for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) {
        const row = d[i] as number[]
        const prev = d[i - 1] as number[]
        row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1))
      }
    return (d[a.length] as number[])[b.length] as number
  }
  const best = candidates.map((c) => ({ c, d: distance(word, c) })).sort((x, y) => x.d - y.d)[0]
  return best && best.d <= 2 ? best.c : undefined
}
