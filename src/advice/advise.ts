/**
 * Advice by scenario: the datapaths a run measured, ranked for each scenario profile (data/scenarios.json) by a
 * weighted sum of their measured overheads, after the scenario's hard requirements are checked against the sourced
 * feature table of the real plugins (data/plugins.json). Every reason names the measured figure or the sourced fact
 * it rests on; a datapath the run did not measure is never ranked, and what the run could not show is said. Pure
 * apart from reading the two data files.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { headlineOverhead, halfWidthOf, latencyOverhead } from '../analysis/precision.js'
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

function pluginFacts(datapath: string): PluginFacts | undefined {
  return loadCatalog().plugins[datapath]
}

function sourceOf(id: string | null): Source | null {
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
  const measured = [...new Set(summary.cells.filter((c) => c.datapath !== summary.baseline && c.datapath !== 'host' && c.samples > 0).map((c) => c.datapath))]
  const excluded: ScenarioAdvice['excluded'] = []
  const eligible: { datapath: string; facts: PluginFacts | undefined; figures: Partial<Record<Criterion, CriterionFigure>> }[] = []
  for (const datapath of measured) {
    const facts = pluginFacts(datapath)
    const failed = requirementFailures(scenario, facts)
    if (failed.length > 0) excluded.push({ datapath, reasons: failed })
    else eligible.push({ datapath, facts, figures: criteria(summary, datapath) })
  }
  // Every datapath is ranked on the same criteria: those the run measured for all of them.
  const weighted = (Object.entries(scenario.weights) as [Criterion, number][]).filter(([, w]) => w > 0)
  const common = weighted.filter(([c]) => eligible.every((e) => e.figures[c]))
  const dropped = weighted
    .filter(([c]) => !common.some(([k]) => k === c))
    .map(([c]) => {
      const lacking = eligible.filter((e) => !e.figures[c]).map((e) => e.datapath)
      return { criterion: c, lacking: lacking.length === eligible.length ? [] : lacking }
    })
  const weights = common.reduce((sum, [, w]) => sum + w, 0)
  const candidates = weights === 0 ? [] : eligible.map((e) => {
    const reasons = common.map(([c, w]) => measuredReason(c, e.figures[c] as CriterionFigure, summary.baseline, w))
    const score = common.reduce((sum, [c, w]) => sum + w * (e.figures[c] as CriterionFigure).overhead.value, 0) / weights
    const { penalty, reasons: preferenceReasons } = preferences(scenario, e.facts)
    return { datapath: e.datapath, plugin: e.facts?.plugin ?? e.datapath, mode: e.facts?.mode ?? '', score: score + penalty, reasons: [...reasons, ...preferenceReasons, ...requirementReasons(scenario, e.facts)] }
  })
  const sorted = candidates.sort((a, b) => a.score - b.score)
  const heaviest = [...common].sort((a, b) => b[1] - a[1])[0]?.[0]
  const ranking = sorted.map((c, i) => {
    const above = sorted[i - 1]
    return { ...c, rank: i + 1, tiedWith: above && heaviest && tied(summary, above.datapath, c.datapath, heaviest) ? above.datapath : undefined }
  })
  return {
    id,
    title: scenario.title,
    summary: scenario.summary,
    why: scenario.why,
    from: scenario.from,
    ranking,
    excluded,
    notShown: notShown(summary, dropped),
  }
}

interface CriterionFigure {
  cell: CellSummary
  metric: string
  overhead: Overhead
}

/**
 * The one cell each test is judged on, the same for every datapath: default NIC profile, one flow, inter-node, the
 * datapath's own underlay first; streams at their largest size, request/response at 1 KiB where measured, else the
 * smallest. A datapath whose cell failed simply lacks the criterion (it is never judged on another cell).
 */
export function judgedCell(summary: RunSummary, datapath: string, test: string): CellSummary | undefined {
  const all = summary.cells.filter((c) => c.test === test && c.variant['nic'] === undefined && c.parallel === 1 && c.placement === 'inter-node')
  const sizes = [...new Set(all.map((c) => c.size))].sort((a, b) => a - b)
  const size = test.endsWith('STREAM') ? sizes.at(-1) : sizes.includes(1024) ? 1024 : sizes[0]
  const mine = all.filter((c) => c.datapath === datapath && c.size === size)
  return mine.find((c) => c.variant['underlay'] === undefined) ?? mine[0]
}

/** Each criterion's overhead from the judged cells; absent where the run has no such figure for this datapath. */
function criteria(summary: RunSummary, datapath: string): Partial<Record<Criterion, CriterionFigure>> {
  const from = (test: string, metric: string, get: (c: CellSummary) => Overhead | undefined): CriterionFigure | undefined => {
    const cell = judgedCell(summary, datapath, test)
    const overhead = cell ? get(cell) : undefined
    return cell && overhead ? { cell, metric, overhead } : undefined
  }
  const rr = judgedCell(summary, datapath, 'TCP_RR') ? 'TCP_RR' : 'UDP_RR'
  const figures: Partial<Record<Criterion, CriterionFigure>> = {
    throughput: from('TCP_STREAM', 'throughput', (c) => c.metrics['throughput_bps']?.overhead),
    latencyP50: from(rr, 'P50 round trip', (c) => latencyOverhead(c, 'p50')),
    latencyP99: from(rr, 'P99 round trip', (c) => latencyOverhead(c, 'p99')),
    connectionRate: from('TCP_CRR', 'connections per second', (c) => c.metrics['connections_per_s']?.overhead),
    // CPU per Gbit only: CPU per transaction is another quantity, and the two never share one ranking.
    cpuPerUnit: from('TCP_STREAM', 'CPU per Gbit', (c) => c.metrics['cpu_s_per_gbit']?.overhead),
  }
  return Object.fromEntries(Object.entries(figures).filter(([, f]) => f !== undefined))
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

/**
 * A requirement not met, or not established by a public source, excludes the datapath: a scenario that requires
 * policy isolation is never advised a datapath on the hope that it has it.
 */
function requirementFailures(scenario: Scenario, facts: PluginFacts | undefined): Reason[] {
  const failures: Reason[] = []
  const required = scenario.requires.networkPolicy
  const policy = facts?.facts['networkPolicy']
  if (required) {
    if (typeof policy?.value !== 'string') failures.push(factReason(`whether it enforces ${required} network policy, which this scenario requires, is not established by a public source`, 'networkPolicy', policy))
    else if (POLICY_LEVELS.indexOf(policy.value) < POLICY_LEVELS.indexOf(required)) failures.push(factReason(`enforces no ${required} network policy (${policy.value}), which this scenario requires`, 'networkPolicy', policy))
  }
  const cross = facts?.facts['crossSubnet']
  if (scenario.requires.crossSubnet) {
    if (typeof cross?.value !== 'boolean') failures.push(factReason('whether it spans subnets, which this scenario requires, is not established by a public source', 'crossSubnet', cross))
    else if (!cross.value) failures.push(factReason('cannot span nodes in different subnets, which this scenario requires', 'crossSubnet', cross))
  }
  return failures
}

/** Requirements met, said as reasons with their sources. */
function requirementReasons(scenario: Scenario, facts: PluginFacts | undefined): Reason[] {
  const policy = facts?.facts['networkPolicy']
  const cross = facts?.facts['crossSubnet']
  return [
    ...(scenario.requires.networkPolicy ? [factReason(`network policy ${String(policy?.value)}`, 'networkPolicy', policy)] : []),
    ...(scenario.requires.crossSubnet ? [factReason('works across subnets', 'crossSubnet', cross)] : []),
  ]
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

/** Two datapaths are tied when the CIs of the scenario's heaviest criterion, on the judged cells, overlap. */
function tied(summary: RunSummary, a: string, b: string, criterion: Criterion): boolean {
  const fa = criteria(summary, a)[criterion]
  const fb = criteria(summary, b)[criterion]
  if (!fa || !fb) return false
  const [la, ha] = fa.overhead.ci95 ?? [fa.overhead.value, fa.overhead.value]
  const [lb, hb] = fb.overhead.ci95 ?? [fb.overhead.value, fb.overhead.value]
  return la <= hb && lb <= ha
}

/**
 * What this run cannot tell the scenario: criteria left out (not measured at all, or missing for some datapaths,
 * named), and figures that rest on another implementation than the plugin's.
 */
function notShown(summary: RunSummary, dropped: { criterion: Criterion; lacking: string[] }[]): string[] {
  const out = dropped.map(({ criterion, lacking }) =>
    lacking.length === 0
      ? `${criterionWords[criterion]}: not measured in this run (add the test that measures it, e.g. --tests all)`
      : `${criterionWords[criterion]}: left out of the ranking for every datapath, because the run has no figure for ${lacking.join(', ')}`,
  )
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
