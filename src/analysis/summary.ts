/**
 * From a stored run to what tables and reports show: per cell and metric the median, mean, standard deviation and
 * 95% CIs; latency percentiles pooled across samples (histograms merged, never averaged); and the overhead of each
 * datapath against the baseline measured in the same run, with a bootstrap CI, its n and the rule that made it.
 * Samples the run's disturbance rule excludes (analysis/disturbances.ts) count in no figure and are named in the
 * warnings. Pure: rows in, summaries out.
 */
import type { CellRecord, RunRecord, SampleRecord, TestbedRecord } from '../store/db.js'
import { metricInfo, overhead, rateMetricOf } from '../measure/metrics.js'
import { baselineKeyOf, variantTag } from '../measure/tests.js'
import { findDisturbances, type DisturbanceRule, type Exclusion } from './disturbances.js'
import { histogramCount, histogramMean, histogramQuantile, mergeHistograms, parseHistogram, type LatencyHistogram } from './histogram.js'
import { bootstrapCi95, bootstrapCi95Two, cv, mean, meanCi95, median, outlierIndices, stddev, type Interval } from './stats.js'

export interface Overhead {
  /** Fraction; positive = costs more than the baseline (less throughput, more latency or CPU). */
  value: number
  ci95: Interval | undefined
  /** Samples behind it: the baseline's and the datapath's (kept ones only). */
  n: { baseline: number; datapath: number }
  /** How it was computed, for a reader checking it: estimator, interval, exclusion rule. */
  method: string
}

export interface MetricSummary {
  unit: string
  n: number
  median: number
  mean: number
  stddev: number
  /** 95% CI of the mean (Student's t). */
  meanCi95: Interval | undefined
  /** 95% CI of the median (percentile bootstrap). */
  medianCi95: Interval | undefined
  overhead?: Overhead
}

export interface PooledLatency {
  /** Round trips behind the figures, all samples together. */
  observations: number
  p50: number
  p90: number
  p99: number
  mean: number
  /** Bootstrap over samples (resample whole samples, merge, take the percentile). */
  p50Ci95: Interval | undefined
  p99Ci95: Interval | undefined
  p50Overhead?: Overhead
  p99Overhead?: Overhead
}

/** A stored cell (without its database ids) with its statistics. */
export interface CellSummary extends Omit<CellRecord, 'id' | 'runId'> {
  /** Samples behind the figures: taken, not failed, not excluded. */
  samples: number
  failed: number
  /** Samples the disturbance rule excluded (and the run re-took), with why. */
  excluded: Exclusion[]
  /** Samples taken while another measurement ran (--allow-concurrent, or `lab exec` traffic). */
  contended: number
  metrics: Record<string, MetricSummary>
  latency?: PooledLatency
}

export interface RunSummary {
  run: RunRecord
  baseline: string
  /** The labs the run measured on, as built (NIC offloads read back, MTUs, underlay). */
  testbeds: TestbedRecord[]
  cells: CellSummary[]
  warnings: string[]
}

const BOOTSTRAP = { resamples: 1000 }

/** The rule a run's exclusions follow, as stored in its config (absent in runs made before there was one). */
export function disturbanceRuleOf(run: RunRecord): DisturbanceRule | undefined {
  return (run.config as { disturbances?: DisturbanceRule }).disturbances
}

export function summarizeRun(run: RunRecord, cells: CellRecord[], samples: SampleRecord[], baseline: string, testbeds: TestbedRecord[] = []): RunSummary {
  const rule = disturbanceRuleOf(run)
  const exclusions = findDisturbances(cells, samples, rule)
  const byCell = groupBy(samples, (s) => s.cellId)
  const kept = groupBy(samples.filter((s) => s.error === null && !exclusions.has(s.id)), (s) => s.cellId)
  const seed = Number((run.config as { seed?: number }).seed ?? 1)
  const summaries = cells.map((cell) => summarizeCell(cell, byCell.get(cell.id) ?? [], kept.get(cell.id) ?? [], exclusions, seed))
  const method = overheadMethod(rule)
  for (const summary of summaries) addOverheads(summary, summaries, kept, cells, baseline, seed, method)
  const warnings = cellWarnings(summaries.flatMap((c) => cellFindings(c, byCell.get(cellIdOf(cells, c.key)) ?? [], kept.get(cellIdOf(cells, c.key)) ?? [])))
  return { run, baseline, testbeds, cells: summaries, warnings }
}

/** The estimator, its interval and the exclusion rule, in words stored with every overhead. */
function overheadMethod(rule: DisturbanceRule | undefined): string {
  const exclusion = rule ? `samples excluded by rule ${rule.name}` : 'no samples excluded (run recorded before the disturbance rule)'
  return `ratio of medians (pooled percentiles for latency), 95% percentile bootstrap over both cells' samples, ${BOOTSTRAP.resamples} resamples; ${exclusion}`
}

function summarizeCell(cell: CellRecord, samples: SampleRecord[], ok: SampleRecord[], exclusions: Map<number, Exclusion>, seed: number): CellSummary {
  const metrics: Record<string, MetricSummary> = {}
  for (const name of new Set(ok.flatMap((s) => Object.keys(s.metrics)))) {
    const values = ok.map((s) => s.metrics[name]).filter((v): v is number => v !== undefined)
    metrics[name] = {
      unit: metricInfo(name).unit,
      n: values.length,
      median: median(values),
      mean: mean(values),
      stddev: stddev(values),
      meanCi95: meanCi95(values),
      medianCi95: bootstrapCi95(values, median, { ...BOOTSTRAP, seed }),
    }
  }
  const { id: _id, runId: _runId, ...shape } = cell
  const excluded = samples.flatMap((s) => exclusions.get(s.id) ?? [])
  const summary: CellSummary = {
    ...shape,
    samples: ok.length,
    failed: samples.filter((s) => s.error !== null).length,
    excluded,
    contended: samples.filter((s) => (s.conditions.concurrent ?? []).length > 0).length,
    metrics,
  }
  const histograms = ok.flatMap((s) => (s.histogram ? [parseHistogram(s.histogram)] : []))
  if (histograms.length > 0) summary.latency = pooledLatency(histograms, seed)
  return summary
}

const percentileUs = (q: number) => (hs: LatencyHistogram[]) => histogramQuantile(mergeHistograms(hs), q) / 1000

function pooledLatency(histograms: LatencyHistogram[], seed: number): PooledLatency {
  const merged = mergeHistograms(histograms)
  return {
    observations: histogramCount(merged),
    p50: histogramQuantile(merged, 0.5) / 1000,
    p90: histogramQuantile(merged, 0.9) / 1000,
    p99: histogramQuantile(merged, 0.99) / 1000,
    mean: histogramMean(merged) / 1000,
    p50Ci95: bootstrapCi95(histograms, percentileUs(0.5), { ...BOOTSTRAP, seed }),
    p99Ci95: bootstrapCi95(histograms, percentileUs(0.99), { ...BOOTSTRAP, seed }),
  }
}

/** Overhead against the baseline cell measured the same way on the same kind of lab (tests.baselineKeyOf). */
function addOverheads(
  summary: CellSummary,
  all: CellSummary[],
  kept: Map<number, SampleRecord[]>,
  cells: CellRecord[],
  baseline: string,
  seed: number,
  method: string,
): void {
  const base = all.find((c) => c.key === baselineKeyOf(summary, baseline))
  if (!base || base.key === summary.key) return // the baseline has no overhead against itself
  const keptOf = (key: string) => kept.get(cellIdOf(cells, key)) ?? []
  const mine = keptOf(summary.key)
  const theirs = keptOf(base.key)
  const n = { baseline: theirs.length, datapath: mine.length }
  for (const [name, m] of Object.entries(summary.metrics)) {
    const b = base.metrics[name]
    if (!b || metricInfo(name).better === 'neither') continue
    const values = (samples: SampleRecord[]) => samples.map((s) => s.metrics[name]).filter((v): v is number => v !== undefined)
    m.overhead = {
      value: overhead(name, b.median, m.median),
      ci95: bootstrapCi95Two(values(theirs), values(mine), (bs, xs) => overhead(name, bs, xs), { ...BOOTSTRAP, seed }),
      n,
      method,
    }
  }
  if (summary.latency && base.latency) {
    const hist = (samples: SampleRecord[]) => samples.flatMap((s) => (s.histogram ? [parseHistogram(s.histogram)] : []))
    for (const [q, field] of [[0.5, 'p50'], [0.99, 'p99']] as const) {
      const stat = percentileUs(q)
      summary.latency[`${field}Overhead`] = {
        value: overhead('latency_p50_us', base.latency[field], summary.latency[field]),
        ci95: bootstrapCi95Two(hist(theirs), hist(mine), (bs, xs) => overhead('latency_p50_us', bs, xs), { ...BOOTSTRAP, seed, statistic: stat }),
        n,
        method,
      }
    }
  }
}

interface CellFinding {
  kind: 'failed' | 'noisy' | 'outliers' | 'dip' | 'foreign-load' | 'contended'
  label: string
  detail: string
}

function cellFindings(summary: CellSummary, samples: SampleRecord[], kept: SampleRecord[]): CellFinding[] {
  const findings: CellFinding[] = []
  const label = `${summary.datapath}${variantTag(summary.variant)} ${summary.test}`
  for (const e of summary.excluded) {
    const iteration = samples.find((s) => s.id === e.sampleId)?.iteration
    findings.push({ kind: e.reason, label: `${label} #${iteration}`, detail: e.detail })
  }
  if (summary.contended > 0) findings.push({ kind: 'contended', label, detail: `${summary.contended} of ${samples.length}` })
  if (summary.failed > 0) {
    const error = samples.find((s) => s.error)?.error ?? ''
    findings.push({ kind: 'failed', label, detail: `${summary.failed} failed: ${error.slice(0, 160)}` })
  }
  const rateOf = (s: SampleRecord) => s.metrics[rateMetricOf(s.metrics) ?? ''] ?? Number.NaN
  const values = kept.map(rateOf).filter(Number.isFinite)
  if (values.length >= 3 && cv(values) > 0.1) findings.push({ kind: 'noisy', label, detail: `${(cv(values) * 100).toFixed(0)}%` })
  const outliers = values.length >= 5 ? outlierIndices(values).length : 0
  if (outliers > 0) findings.push({ kind: 'outliers', label, detail: String(outliers) })
  return findings
}

/** One line per kind of finding, so a 14-datapath run does not print forty notes. */
function cellWarnings(findings: CellFinding[]): string[] {
  const of = (kind: CellFinding['kind']) => findings.filter((f) => f.kind === kind)
  const list = (fs: CellFinding[]) => fs.map((f) => `${f.label} (${f.detail})`).join(', ')
  return [
    ...of('failed').map((f) => `${f.label}: ${f.detail}`),
    ...(of('dip').length > 0 ? [`the machine ran slow (a dip) during ${of('dip').length} sample(s), excluded and re-taken: ${list(of('dip'))}`] : []),
    ...(of('foreign-load').length > 0 ? [`other programs loaded the CPUs during ${of('foreign-load').length} sample(s), excluded and re-taken: ${list(of('foreign-load'))}`] : []),
    ...(of('contended').length > 0 ? [`samples taken while another measurement ran (contended, kept): ${list(of('contended'))}`] : []),
    ...(of('noisy').length > 0 ? [`samples vary by more than 10% (coefficient of variation) in ${list(of('noisy'))}; more --samples or a quieter machine narrow the CI`] : []),
    ...(of('outliers').length > 0 ? [`outlier samples (modified z-score > 3.5) in ${list(of('outliers'))}`] : []),
  ]
}

function cellIdOf(cells: CellRecord[], key: string): number {
  return cells.find((c) => c.key === key)?.id ?? -1
}

function groupBy<T, K>(xs: T[], key: (x: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>()
  for (const x of xs) map.set(key(x), [...(map.get(key(x)) ?? []), x])
  return map
}
