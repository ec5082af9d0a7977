/**
 * Advice by scenario: the datapaths a run measured, ranked for each scenario profile (data/scenarios.json) by a
 * weighted sum of their measured overheads, after the scenario's hard requirements are checked against the sourced
 * feature table of the real plugins (data/plugins.json). Every reason names the measured figure or the sourced fact
 * it rests on; a datapath the run did not measure is never ranked, and what the run could not show is said. Pure
 * apart from reading the two data files.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { headlineOverhead, halfWidthOf } from '../analysis/precision.js'
import type { CellSummary, Overhead, RunSummary } from '../analysis/summary.js'
import { CnibenchError } from '../errors.js'
import { caveatOf } from '../lab/datapaths/index.js'
import { packageRoot } from '../system/paths.js'

export type Criterion = 'throughput' | 'latencyP50' | 'latencyP99' | 'connectionRate' | 'cpuPerUnit'

export interface Scenario {
  title: string
  summary: string
  from: string
  weights: Record<Criterion, number>
  requires: { networkPolicy: string | null; crossSubnet: boolean | null }
  prefers: { operationalComplexity: 'low' | null; encapsulation: 'none' | null }
  why: string
}

interface Fact<T = unknown> {
  value: T | null
  source: string | null
  note?: string
}

export interface PluginFacts {
  plugin: string
  mode: string
  facts: Record<string, Fact>
}

interface Source {
  title: string
  url: string | null
  publisher?: string
}

/** A reason in plain words and what it rests on: a measured figure of this run, or a sourced fact. */
export interface Reason {
  text: string
  /** The source's own qualification of a fact, for a reader who wants it. */
  note?: string
  rests: { kind: 'measured'; cell: string; metric: string; value: number; ci95: [number, number] | null } | { kind: 'fact'; fact: string; source: Source | null }
}

export interface Ranked {
  rank: number
  datapath: string
  plugin: string
  mode: string
  /** Weighted overhead against the baseline (fraction; lower is better), plus preference penalties. */
  score: number
  reasons: Reason[]
  /** Set when its score is within the CIs of the one ranked above: the order between them is not shown. */
  tiedWith: string | undefined
}

export interface ScenarioAdvice {
  id: string
  title: string
  summary: string
  why: string
  from: string
  ranking: Ranked[]
  excluded: { datapath: string; reasons: Reason[] }[]
  notShown: string[]
}

export interface Advice {
  baseline: string
  scenarios: ScenarioAdvice[]
}

interface Catalog {
  scenarios: Record<string, Scenario>
  plugins: Record<string, PluginFacts>
  sources: Record<string, Source>
}

let catalog: Catalog | undefined
function loadCatalog(): Catalog {
  if (catalog) return catalog
  const read = (name: string) => JSON.parse(readFileSync(join(packageRoot, 'data', name), 'utf8')) as Record<string, never>
  const plugins = read('plugins.json') as unknown as { plugins: Record<string, PluginFacts>; sources: Record<string, Source> }
  catalog = { scenarios: (read('scenarios.json') as unknown as { scenarios: Record<string, Scenario> }).scenarios, plugins: plugins.plugins, sources: plugins.sources }
  return catalog
}

export function scenarioNames(): string[] {
  return Object.keys(loadCatalog().scenarios)
}

export function pluginFacts(datapath: string): PluginFacts | undefined {
  return loadCatalog().plugins[datapath]
}

export function sourceOf(id: string | null): Source | null {
  return id === null ? null : (loadCatalog().sources[id] ?? null)
}

const criterionWords: Record<Criterion, string> = {
  throughput: 'TCP throughput',
  latencyP50: 'median round trip',
  latencyP99: 'P99 round trip',
  connectionRate: 'connections per second',
  cpuPerUnit: 'CPU per unit of traffic',
}

/** Penalties a preference adds to the score (fractions, like the overheads they are added to). */
const PENALTY = { perComplexityLevel: 0.05, encapsulation: 0.05 }

export function advise(summary: RunSummary, only?: string): Advice {
  const { scenarios } = loadCatalog()
  if (only !== undefined && !scenarios[only]) {
    throw new CnibenchError('E_USAGE', `unknown scenario "${only}"`, { hint: `choose one of: ${Object.keys(scenarios).join(', ')}` })
  }
  const ids = only === undefined ? Object.keys(scenarios) : [only]
  return { baseline: summary.baseline, scenarios: ids.map((id) => adviseScenario(id, scenarios[id] as Scenario, summary)) }
}

function adviseScenario(id: string, scenario: Scenario, summary: RunSummary): ScenarioAdvice {
  const measured = [...new Set(summary.cells.filter((c) => c.datapath !== summary.baseline && c.samples > 0).map((c) => c.datapath))]
  const excluded: ScenarioAdvice['excluded'] = []
  const candidates: Omit<Ranked, 'rank' | 'tiedWith'>[] = []
  const missing = new Set<Criterion>()
  for (const datapath of measured) {
    const facts = pluginFacts(datapath)
    const failed = requirementFailures(scenario, facts)
    if (failed.length > 0) {
      excluded.push({ datapath, reasons: failed })
      continue
    }
    const cells = summary.cells.filter((c) => c.datapath === datapath && c.variant['nic'] === undefined)
    const figures = criteria(cells)
    let weighted = 0
    let weights = 0
    const reasons: Reason[] = []
    for (const [criterion, weight] of Object.entries(scenario.weights) as [Criterion, number][]) {
      if (weight <= 0) continue
      const figure = figures[criterion]
      if (!figure) {
        missing.add(criterion)
        continue
      }
      weighted += weight * figure.overhead.value
      weights += weight
      reasons.push(measuredReason(criterion, figure, summary.baseline, weight))
    }
    if (weights === 0) {
      excluded.push({ datapath, reasons: [{ text: 'none of the figures this scenario weighs was measured for it in this run', rests: { kind: 'fact', fact: 'measured cells', source: null } }] })
      continue
    }
    const { penalty, reasons: preferenceReasons } = preferences(scenario, facts)
    reasons.push(...preferenceReasons, ...requirementReasons(scenario, facts))
    candidates.push({ datapath, plugin: facts?.plugin ?? datapath, mode: facts?.mode ?? '', score: weighted / weights + penalty, reasons })
  }
  const sorted = candidates.sort((a, b) => a.score - b.score)
  const ranking = sorted.map((c, i) => ({ ...c, rank: i + 1, tiedWith: i > 0 && tied(summary, sorted[i - 1]!.datapath, c.datapath, scenario) ? sorted[i - 1]!.datapath : undefined }))
  return {
    id,
    title: scenario.title,
    summary: scenario.summary,
    why: scenario.why,
    from: scenario.from,
    ranking,
    excluded,
    notShown: notShown(summary, missing),
  }
}

interface CriterionFigure {
  cell: CellSummary
  metric: string
  overhead: Overhead
}

/** Each criterion's overhead from the run's cells (default lab; the first size measured when there are several). */
function criteria(cells: CellSummary[]): Partial<Record<Criterion, CriterionFigure>> {
  const pick = (test: string, metric: string, get: (c: CellSummary) => Overhead | undefined): CriterionFigure | undefined => {
    // The datapath's own underlay first (a routed lab only when that is all there is).
    const ordered = cells.filter((c) => c.test === test).sort((x, y) => Number(x.variant['underlay'] !== undefined) - Number(y.variant['underlay'] !== undefined))
    for (const cell of ordered) {
      const overhead = get(cell)
      if (overhead) return { cell, metric, overhead }
    }
    return undefined
  }
  const out: Partial<Record<Criterion, CriterionFigure>> = {}
  const set = (k: Criterion, f: CriterionFigure | undefined) => f && (out[k] = f)
  set('throughput', pick('TCP_STREAM', 'throughput', (c) => c.metrics['throughput_bps']?.overhead))
  set('latencyP50', pick('TCP_RR', 'P50 round trip', (c) => c.latency?.p50Overhead) ?? pick('UDP_RR', 'P50 round trip', (c) => c.latency?.p50Overhead))
  set('latencyP99', pick('TCP_RR', 'P99 round trip', (c) => c.latency?.p99Overhead) ?? pick('UDP_RR', 'P99 round trip', (c) => c.latency?.p99Overhead))
  set('connectionRate', pick('TCP_CRR', 'connections per second', (c) => c.metrics['connections_per_s']?.overhead))
  set('cpuPerUnit', pick('TCP_STREAM', 'CPU per Gbit', (c) => c.metrics['cpu_s_per_gbit']?.overhead) ?? pick('TCP_RR', 'CPU per transaction', (c) => c.metrics['cpu_us_per_transaction']?.overhead))
  return out
}

function measuredReason(criterion: Criterion, f: CriterionFigure, baseline: string, weight: number): Reason {
  const half = halfWidthOf(f.overhead)
  const value = f.overhead.value
  const ci = Number.isFinite(half) ? ` ±${(half * 100).toFixed(0)}` : ''
  const where = `${f.cell.test} ${f.cell.size} B, weight ${weight}`
  const spansZero = f.overhead.ci95 !== undefined && f.overhead.ci95[0] <= 0 && f.overhead.ci95[1] >= 0
  const verdict = spansZero
    ? `no different from ${baseline} at 95% (${value >= 0 ? '+' : '−'}${Math.abs(value * 100).toFixed(0)}%${ci} points)`
    : `${Math.abs(value * 100).toFixed(0)}%${ci} ${value >= 0 ? 'worse' : 'better'} than ${baseline}`
  return {
    text: `${criterionWords[criterion]} ${verdict} (${where})`,
    rests: { kind: 'measured', cell: f.cell.key, metric: f.metric, value: f.overhead.value, ci95: f.overhead.ci95 ?? null },
  }
}

const POLICY_LEVELS = ['none', 'L3-L4', 'L3-L7']

function factReason(text: string, name: string, fact: Fact | undefined): Reason {
  return { text, ...(fact?.note ? { note: fact.note } : {}), rests: { kind: 'fact', fact: name, source: sourceOf(fact?.source ?? null) } }
}

function requirementFailures(scenario: Scenario, facts: PluginFacts | undefined): Reason[] {
  const failures: Reason[] = []
  const policy = facts?.facts['networkPolicy']
  if (scenario.requires.networkPolicy && typeof policy?.value === 'string' && POLICY_LEVELS.indexOf(policy.value) < POLICY_LEVELS.indexOf(scenario.requires.networkPolicy)) {
    failures.push(factReason(`enforces no ${scenario.requires.networkPolicy} network policy (${policy.value}), which this scenario requires`, 'networkPolicy', policy))
  }
  const cross = facts?.facts['crossSubnet']
  if (scenario.requires.crossSubnet && cross?.value === false) {
    failures.push(factReason('cannot span nodes in different subnets, which this scenario requires', 'crossSubnet', cross))
  }
  return failures
}

/** Requirements met, said as reasons (and requirements no public source settles, said as such). */
function requirementReasons(scenario: Scenario, facts: PluginFacts | undefined): Reason[] {
  const out: Reason[] = []
  const policy = facts?.facts['networkPolicy']
  if (scenario.requires.networkPolicy) {
    out.push(policy?.value ? factReason(`network policy ${String(policy.value)}`, 'networkPolicy', policy) : factReason('network policy support not established by a public source', 'networkPolicy', policy))
  }
  const cross = facts?.facts['crossSubnet']
  if (scenario.requires.crossSubnet) {
    out.push(cross?.value ? factReason('works across subnets', 'crossSubnet', cross) : factReason('cross-subnet support not established by a public source', 'crossSubnet', cross))
  }
  return out
}

function preferences(scenario: Scenario, facts: PluginFacts | undefined): { penalty: number; reasons: Reason[] } {
  let penalty = 0
  const reasons: Reason[] = []
  const complexity = facts?.facts['operationalComplexity']
  if (scenario.prefers.operationalComplexity === 'low' && typeof complexity?.value === 'number') {
    const points = (complexity.value - 1) * PENALTY.perComplexityLevel
    penalty += points
    reasons.push(factReason(`operational complexity ${complexity.value} of 3${points > 0 ? ` (+${points * 100} points: this scenario prefers simple)` : ''}`, 'operationalComplexity', complexity))
  }
  const encapsulation = facts?.facts['encapsulation']
  if (scenario.prefers.encapsulation === 'none' && typeof encapsulation?.value === 'string') {
    if (encapsulation.value !== 'none') penalty += PENALTY.encapsulation
    reasons.push(factReason(encapsulation.value === 'none' ? 'no encapsulation' : `encapsulates (${encapsulation.value}; +${PENALTY.encapsulation * 100} points: this scenario prefers none)`, 'encapsulation', encapsulation))
  }
  return { penalty, reasons }
}

/** Two datapaths are tied when the CIs of the scenario's heaviest measured criterion overlap. */
function tied(summary: RunSummary, a: string, b: string, scenario: Scenario): boolean {
  const heaviest = (Object.entries(scenario.weights) as [Criterion, number][]).sort((x, y) => y[1] - x[1])
  for (const [criterion] of heaviest) {
    const fa = criteria(summary.cells.filter((c) => c.datapath === a))[criterion]
    const fb = criteria(summary.cells.filter((c) => c.datapath === b))[criterion]
    if (!fa || !fb) continue
    const [la, ha] = fa.overhead.ci95 ?? [fa.overhead.value, fa.overhead.value]
    const [lb, hb] = fb.overhead.ci95 ?? [fb.overhead.value, fb.overhead.value]
    return la <= hb && lb <= ha
  }
  return false
}

/** What this run cannot tell the scenario: unmeasured criteria, and figures from another implementation. */
function notShown(summary: RunSummary, missing: Set<Criterion>): string[] {
  const out = [...missing].map((c) => `${criterionWords[c]}: not measured in this run (add the test that measures it, e.g. --tests all)`)
  const caveats = new Map<string, string>()
  for (const c of summary.cells) {
    const caveat = caveatOf(c.datapath, c.context)
    if (caveat) caveats.set(c.datapath, `${c.datapath}: measured as ${String(c.context['implementation'])} [${caveat}], not the plugin's usual path`)
  }
  out.push(...caveats.values())
  out.push('Encryption, L7 policy, Service handling at scale and agent memory are not measured by this run; they enter only as sourced facts.')
  const headline = summary.cells.flatMap((c) => (headlineOverhead(c) ? [headlineOverhead(c) as { overhead: Overhead }] : []))
  if (headline.some((h) => halfWidthOf(h.overhead) > 0.1)) out.push('Some overheads are known only to more than ±10 points; rankings between close datapaths are marked as ties.')
  return out
}
