/**
 * The report model: everything any output shows about one or more stored runs, as numbers with their units, CIs,
 * overheads and notes, and no formatted strings. Built once from the analysed runs; every renderer (terminal, JSON,
 * CSV, Markdown, HTML) reads only this, so the same figure can never read differently in two outputs. Pure.
 */
import { advise, type Advice } from '../advice/advise.js'
import type { RunData } from '../analysis/run-data.js'
import { compareRuns, type CellComparison } from '../analysis/compare.js'
import { buildCurves, type Curve } from '../analysis/curves.js'
import { findFindings, type Finding } from '../analysis/findings.js'
import { histogramCdf, mergeHistograms, parseHistogram } from '../analysis/histogram.js'
import { assessPrecision, type CellPrecision } from '../analysis/precision.js'
import type { CellSummary, RunSummary } from '../analysis/summary.js'
import { caveatOf, datapathNames, getDatapath } from '../lab/datapaths/index.js'
import type { StoredPath } from '../lab/path.js'
import { precisionTarget, type RunConfig } from '../measure/config.js'
import { axisValue, isTreated, type Variant } from '../measure/tests.js'
import { version } from '../version.js'
import { referenceStudies, type ReferenceStudy } from './reference.js'

export interface ReportModel {
  generatedAt: string
  cnibenchVersion: string
  /** In the order asked for; with several, the first is the reference the others are compared with. */
  runs: RunReport[]
  /** Every later run against the first, cell by cell (empty with one run). */
  changes: CellComparison[]
  /** Published results shown beside the runs as labelled reference; never part of their statistics. */
  reference: ReferenceStudy[]
  /** Navigation the page is served with (the dashboard's), if any. */
  links?: { label: string; href: string }[]
}

export interface RunReport {
  summary: RunSummary
  /** Every sample as stored, failed and excluded ones included (the CSV and the distributions read them). */
  samples: SampleRow[]
  /** One row per lab: the baseline first, then datapaths in registry order. */
  rows: RowInfo[]
  /** Cells grouped as the comparison table shows them: one group per flows/placement/NIC profile (and size). */
  groups: CellGroup[]
  /** With a precision target: whether each headline overhead met it, and why measuring stopped. */
  precision: { target: number; cells: CellPrecision[]; stoppedBy: string | undefined } | undefined
  /** Pooled round-trip latency distribution of each request/response cell (key → [µs, cumulative fraction]). */
  latencyCdfs: Record<string, [number, number][]>
  /** What to know before trusting or comparing a figure, each with the figures it rests on. */
  findings: Finding[]
  /** The packet path of each lab as traced when it was built (runs stored before cnibench kept paths have none). */
  paths: TestbedPath[]
  /** The measured datapaths ranked per scenario, with reasons. */
  advice: Advice
  /**
   * Policy and Service variants as curves against N, per implementation, with where they cross (the comparison
   * table, findings and advice cover the untreated cells; a treated cell's overhead is against its own N = 0).
   */
  curves: Curve[]
}

export interface TestbedPath {
  testbed: string
  datapath: string
  /** The row of the comparison this lab is. */
  row: string
  path: StoredPath
}

export interface SampleRow {
  cellKey: string
  iteration: number
  startedAt: string
  metrics: Readonly<Record<string, number>>
  error: string | null
  /** The disturbance rule's reason when it excluded the sample. */
  excluded: string | null
}

export interface RowInfo {
  /** datapath/underlay: unique within a group. */
  key: string
  datapath: string
  variant: Variant
  isBaseline: boolean
  /** A datapath measured across the lab's router though its own underlay is switched (a CrossSubnet baseline). */
  viaRouter: boolean
  /** Short tag when the figures rest on something other than the plugin's usual path ("userspace"). */
  caveat: string | undefined
  /** What the lab used in its place, in words. */
  implementation: string | undefined
}

export interface CellGroup {
  /** Present when a test was measured at several sizes: then each size is a group of its own. */
  size: number | undefined
  parallel: number
  placement: string
  nic: string
  cells: CellSummary[]
}

export function buildReportModel(runs: RunData[], now = new Date()): ReportModel {
  const [reference, ...others] = runs
  return {
    generatedAt: now.toISOString(),
    cnibenchVersion: version,
    runs: runs.map(buildRunReport),
    changes: reference ? others.flatMap((o) => compareRuns(reference, o)) : [],
    reference: referenceStudies(),
  }
}

function buildRunReport(data: RunData): RunReport {
  const { summary } = data
  const keyOf = new Map(data.cells.map((c) => [c.id, c.key]))
  const excluded = new Map(summary.cells.flatMap((c) => c.excluded.map((e) => [e.sampleId, e.reason] as const)))
  const samples = data.samples.map((s) => ({
    cellKey: keyOf.get(s.cellId) ?? '',
    iteration: s.iteration,
    startedAt: s.startedAt,
    metrics: s.metrics,
    error: s.error,
    excluded: excluded.get(s.id) ?? null,
    histogram: s.histogram,
  }))
  const latencyCdfs: Record<string, [number, number][]> = {}
  for (const cell of summary.cells) {
    const kept = samples.filter((s) => s.cellKey === cell.key && s.error === null && s.excluded === null && s.histogram)
    if (kept.length > 0) latencyCdfs[cell.key] = histogramCdf(mergeHistograms(kept.map((s) => parseHistogram(s.histogram as string))))
  }
  const untreated = { ...summary, cells: summary.cells.filter((c) => !isTreated(c.variant)) }
  const rows = rowsOf(untreated)
  return {
    summary,
    samples: samples.map(({ histogram: _h, ...row }) => row),
    rows,
    groups: groupsOf(untreated.cells),
    precision: precisionOf(summary),
    latencyCdfs,
    findings: findFindings(untreated, rows),
    advice: advise(untreated),
    curves: buildCurves(summary),
    // A treated lab's path is its untreated lab's: drawn once.
    paths: summary.testbeds.filter((t) => !isTreated(t.variant)).flatMap((t) =>
      ((t.facts['paths'] ?? []) as StoredPath[]).map((path) => ({ testbed: t.key, datapath: t.datapath, row: rowKeyOf(t), path })),
    ),
  }
}

/** A row is one lab within a group: the datapath and, when it is not the datapath's own, its underlay. */
export const rowKeyOf = (c: Pick<CellSummary, 'datapath' | 'variant'>) => `${c.datapath}/${c.variant['underlay'] ?? ''}`

function rowsOf(summary: RunSummary): RowInfo[] {
  const first = new Map(summary.cells.map((c) => [rowKeyOf(c), c]))
  const rows = [...first.values()].map((c) => ({
    key: rowKeyOf(c),
    datapath: c.datapath,
    variant: c.variant,
    isBaseline: c.datapath === summary.baseline,
    viaRouter: c.variant['underlay'] === 'routed' && ownUnderlay(c.datapath) !== 'routed',
    caveat: caveatOf(c.datapath, c.context),
    implementation: typeof c.context['implementation'] === 'string' ? c.context['implementation'] : undefined,
  }))
  // The baseline first (on its own underlay, then via the router), then datapaths in registry order.
  const order = (r: RowInfo) => (r.isBaseline ? -2 + (r.viaRouter ? 0.5 : 0) : datapathNames.indexOf(r.datapath as never))
  return rows.sort((a, b) => order(a) - order(b))
}

/** The underlay a datapath is built on by default ('switched' for one this version no longer has). */
function ownUnderlay(datapath: string): string {
  return datapathNames.includes(datapath as never) ? ((getDatapath(datapath).underlays ?? ['switched'])[0] as string) : 'switched'
}

/** When each test has one message size (the default matrix) one group holds every test; otherwise one per size. */
function groupsOf(cells: CellSummary[]): CellGroup[] {
  const sizesPerTest = new Map<string, Set<number>>()
  for (const c of cells) sizesPerTest.set(c.test, (sizesPerTest.get(c.test) ?? new Set()).add(c.size))
  const bySize = [...sizesPerTest.values()].some((sizes) => sizes.size > 1)
  const groups = new Map<string, CellGroup>()
  for (const c of cells) {
    const nic = axisValue(c.variant, 'nic')
    const size = bySize ? c.size : undefined
    const id = `${size}/${c.parallel}/${c.placement}/${nic}`
    const group = groups.get(id) ?? { size, parallel: c.parallel, placement: c.placement, nic, cells: [] }
    group.cells.push(c)
    groups.set(id, group)
  }
  return [...groups.values()]
}

function precisionOf(summary: RunSummary): RunReport['precision'] {
  const target = precisionTarget(summary.run.config as Partial<RunConfig>)
  if (target === undefined) return undefined
  return { target, cells: assessPrecision(summary, target), stoppedBy: summary.run.notes.outcome?.stoppedBy }
}
