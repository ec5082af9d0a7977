/**
 * Comparing runs (the question of the bank's bare-metal-vs-VM study: the same datapaths on bare metal and on a VM): for every cell two runs share,
 * the relative change of throughput (or transaction / connection rate), pooled P50 and P99 latency and CPU cost, each
 * with a bootstrap 95% CI that resamples the samples of both runs. Pure.
 */
import { rateMetricOf } from '../measure/metrics.js'
import { axisValue, sameShapeExcept, type CellShape } from '../measure/tests.js'
import type { CellRecord, SampleRecord } from '../store/db.js'
import { mergeHistograms, histogramQuantile, parseHistogram, type LatencyHistogram } from './histogram.js'
import type { RunData } from './run-data.js'
import { bootstrapCi95Two, median, type Interval } from './stats.js'

export interface Change {
  /** (other − reference) / reference */
  value: number
  ci95: Interval | undefined
}

/** The other run's cell (its variant: NIC profile, routed underlay; {} for the default lab) against the reference's. */
export interface CellComparison extends CellShape {
  reference: string
  other: string
  rateMetric: string | undefined
  /** How the two cells were not measured alike (NIC offload profile, engine): the change includes that difference. */
  differences: string[]
  rate?: Change
  latencyP50?: Change
  latencyP99?: Change
  cpu?: Change
}

const CPU_METRICS = ['cpu_s_per_gbit', 'cpu_us_per_transaction']
const relative = (ref: number, x: number) => (x - ref) / ref

export function compareRuns(reference: RunData, other: RunData): CellComparison[] {
  const seed = Number((reference.summary.run.config as { seed?: number }).seed ?? 1)
  const comparisons: CellComparison[] = []
  for (const cell of other.cells) {
    // The same cell, or, measured under another NIC profile, the same cell but for that (flagged in `differences`).
    const refCell = reference.cells.find((c) => c.key === cell.key) ?? reference.cells.find((c) => sameShapeExcept(c, cell, ['nic']))
    if (!refCell) continue
    const refSamples = okSamples(reference, refCell)
    const samples = okSamples(other, cell)
    if (refSamples.length === 0 || samples.length === 0) continue
    const rateMetric = samples.map((s) => rateMetricOf(s.metrics)).find((m) => m !== undefined)
    const cpuMetric = CPU_METRICS.find((m) => samples.some((s) => s.metrics[m] !== undefined))
    const comparison: CellComparison = {
      datapath: cell.datapath,
      variant: cell.variant,
      test: cell.test,
      size: cell.size,
      parallel: cell.parallel,
      placement: cell.placement,
      reference: reference.summary.run.id,
      other: other.summary.run.id,
      rateMetric,
      differences: differences(refCell, cell),
    }
    if (rateMetric) comparison.rate = metricChange(refSamples, samples, rateMetric, seed)
    if (cpuMetric) comparison.cpu = metricChange(refSamples, samples, cpuMetric, seed)
    const refHist = histograms(refSamples)
    const hist = histograms(samples)
    if (refHist.length > 0 && hist.length > 0) {
      comparison.latencyP50 = latencyChange(refHist, hist, 0.5, seed)
      comparison.latencyP99 = latencyChange(refHist, hist, 0.99, seed)
    }
    comparisons.push(comparison)
  }
  return comparisons
}

export function differences(reference: CellRecord, other: CellRecord): string[] {
  const nic = (c: CellRecord) => axisValue(c.variant, 'nic')
  const found: string[] = []
  if (nic(reference) !== nic(other)) found.push(`NIC offloads ${nic(reference)} vs ${nic(other)}`)
  if (reference.engine !== other.engine) found.push(`engine ${reference.engine} vs ${other.engine}`)
  else if (reference.engineVersion !== other.engineVersion) found.push(`${reference.engine} ${reference.engineVersion} vs ${other.engineVersion}`)
  return found
}

function okSamples(data: RunData, cell: CellRecord): SampleRecord[] {
  return data.samples.filter((s) => s.cellId === cell.id && s.error === null)
}

function metricChange(ref: SampleRecord[], other: SampleRecord[], metric: string, seed: number): Change | undefined {
  const a = ref.map((s) => s.metrics[metric]).filter((v): v is number => v !== undefined)
  const b = other.map((s) => s.metrics[metric]).filter((v): v is number => v !== undefined)
  if (a.length === 0 || b.length === 0) return undefined
  return { value: relative(median(a), median(b)), ci95: bootstrapCi95Two(a, b, relative, { seed, resamples: 1000 }) }
}

function latencyChange(ref: LatencyHistogram[], other: LatencyHistogram[], q: number, seed: number): Change {
  const stat = (hs: LatencyHistogram[]) => histogramQuantile(mergeHistograms(hs), q)
  return { value: relative(stat(ref), stat(other)), ci95: bootstrapCi95Two(ref, other, relative, { seed, resamples: 1000, statistic: stat }) }
}

function histograms(samples: SampleRecord[]): LatencyHistogram[] {
  return samples.flatMap((s) => (s.histogram ? [parseHistogram(s.histogram)] : []))
}
