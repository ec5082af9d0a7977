/**
 * Curves against scale: for a treatment axis (policy rules, Services), each implementation's figure at each N, with
 * its 95% CI and its overhead against the same cell untreated (N = 0, the point every implementation shares); and, per
 * pair of implementations, where one stops being indistinguishable from the other or crosses it. "Indistinguishable"
 * means the two 95% CIs overlap: a crossing is only claimed where the order is clear on both sides of it. Pure.
 */
import { metricInfo } from '../measure/metrics.js'
import { baselineKeyOf, variantAxes, withoutAxes, type Variant } from '../measure/tests.js'
import { policyOf, servicesOf } from '../measure/treatments.js'
import type { Interval } from './stats.js'
import { latencyOverhead } from './precision.js'
import type { CellSummary, MetricSummary, Overhead, RunSummary } from './summary.js'

export type CurveAxis = 'policy' | 'services'

/** What a curve plots: a stored metric, or a pooled latency percentile. */
export type CurveMetric = 'throughput_bps' | 'transactions_per_s' | 'connections_per_s' | 'latency_p50' | 'latency_p99'

export interface CurvePoint {
  n: number
  value: number
  ci95: Interval | undefined
  /** Against the untreated cell (absent at N = 0, which is that cell). */
  overhead: Overhead | undefined
  samples: number
}

export interface CurveLine {
  /** The implementation, with ":established-first" when the run put an ESTABLISHED accept first. */
  implementation: string
  points: CurvePoint[]
}

export interface Crossing {
  a: string
  b: string
  /**
   * 'separate': indistinguishable, then `better` is clearly better from `at` to the largest count; 'cross': the other
   * one was clearly better, and `better` is from `between[1]` to the largest count; 'converge': they differ at some
   * smaller count (`better` was better up to `until`) but not at the largest; 'same': never told apart.
   */
  kind: 'cross' | 'separate' | 'converge' | 'same'
  better?: string
  at?: number
  between?: [number, number]
  until?: number
}

export interface Curve {
  axis: CurveAxis
  datapath: string
  /** The untreated cell's key: the curve's N = 0 point, and what identifies the curve. */
  baseKey: string
  /** The lab's own variant (NIC profile, underlay): the curve's cells share it. */
  labVariant: Variant
  test: string
  size: number
  parallel: number
  placement: string
  metric: CurveMetric
  unit: string
  better: 'higher' | 'lower'
  lines: CurveLine[]
  crossings: Crossing[]
}

/** The figures a curve shows per test: the throughput, P50/P99 and connection rate. */
const curveMetrics: Record<string, CurveMetric[]> = {
  TCP_STREAM: ['throughput_bps'],
  UDP_STREAM: ['throughput_bps'],
  TCP_RR: ['latency_p50', 'latency_p99', 'transactions_per_s'],
  UDP_RR: ['latency_p50', 'latency_p99', 'transactions_per_s'],
  TCP_CRR: ['connections_per_s', 'latency_p50', 'latency_p99'],
}

export function buildCurves(summary: RunSummary): Curve[] {
  const byKey = new Map(summary.cells.map((c) => [c.key, c]))
  const curves: Curve[] = []
  for (const axis of ['policy', 'services'] as const) {
    const treated = summary.cells.filter((c) => c.variant[axis] !== undefined && c.variant[axis] !== variantAxes[axis]?.default)
    const byBase = new Map<string, CellSummary[]>()
    for (const c of treated) {
      const baseKey = baselineKeyOf(c, summary.baseline)
      byBase.set(baseKey, [...(byBase.get(baseKey) ?? []), c])
    }
    for (const [baseKey, cells] of byBase) {
      const base = byKey.get(baseKey)
      for (const metric of curveMetrics[base?.test ?? cells[0]?.test ?? ''] ?? []) {
        const curve = curveOf(axis, metric, base, cells, baseKey)
        if (curve) curves.push(curve)
      }
    }
  }
  return curves
}

function curveOf(axis: CurveAxis, metric: CurveMetric, base: CellSummary | undefined, cells: CellSummary[], baseKey: string): Curve | undefined {
  const first = cells[0] as CellSummary
  const lines = new Map<string, CurvePoint[]>()
  for (const c of cells) {
    const { implementation, n } = treatmentOf(axis, c)
    const point = pointOf(c, metric, n)
    if (point) lines.set(implementation, [...(lines.get(implementation) ?? []), point])
  }
  if (lines.size === 0) return undefined
  const zero = base ? pointOf(base, metric, 0, false) : undefined
  const curveLines = [...lines].map(([implementation, points]) => ({ implementation, points: [...(zero ? [zero] : []), ...points.sort((a, b) => a.n - b.n)] }))
  const info = metricInfo(metric === 'latency_p50' || metric === 'latency_p99' ? 'latency_p50_us' : metric)
  const better = info.better === 'higher' ? 'higher' : 'lower'
  return {
    axis,
    datapath: first.datapath,
    baseKey,
    labVariant: withoutAxes(first.variant, [axis]),
    test: first.test,
    size: first.size,
    parallel: first.parallel,
    placement: first.placement,
    metric,
    unit: info.unit,
    better,
    lines: curveLines,
    crossings: crossingsOf(curveLines, better),
  }
}

function treatmentOf(axis: CurveAxis, c: CellSummary): { implementation: string; n: number } {
  if (axis === 'policy') {
    const p = policyOf(c.variant) as NonNullable<ReturnType<typeof policyOf>>
    return { implementation: p.establishedFirst ? `${p.impl}:established-first` : p.impl, n: p.rules }
  }
  const s = servicesOf(c.variant) as NonNullable<ReturnType<typeof servicesOf>>
  return { implementation: s.proxy, n: s.services }
}

function pointOf(c: CellSummary, metric: CurveMetric, n: number, withOverhead = true): CurvePoint | undefined {
  if (metric === 'latency_p50' || metric === 'latency_p99') {
    const field = metric === 'latency_p50' ? 'p50' : 'p99'
    const overhead = withOverhead ? latencyOverhead(c, field) : undefined
    // Pooled over the samples' histograms; engines without one (netperf) report the percentile per sample.
    if (c.latency) return { n, value: c.latency[field], ci95: c.latency[`${field}Ci95`], overhead, samples: c.samples }
    const m = c.metrics[`latency_${field}_us`]
    return m ? { n, value: m.median, ci95: m.medianCi95, overhead, samples: c.samples } : undefined
  }
  const m: MetricSummary | undefined = c.metrics[metric]
  if (!m) return undefined
  return { n, value: m.median, ci95: m.medianCi95, overhead: withOverhead ? m.overhead : undefined, samples: c.samples }
}

/**
 * For each pair of implementations, compared at the counts both have (N > 0): +1 where a is clearly better, -1 where
 * b is, 0 where their CIs overlap. A sign change is a crossing; zeros then a sign is a separation.
 */
export function crossingsOf(lines: CurveLine[], better: 'higher' | 'lower'): Crossing[] {
  const crossings: Crossing[] = []
  for (let i = 0; i < lines.length; i++)
    for (let j = i + 1; j < lines.length; j++) {
      const a = lines[i] as CurveLine
      const b = lines[j] as CurveLine
      const shared = a.points.filter((p) => p.n > 0 && b.points.some((q) => q.n === p.n)).map((p) => [p, b.points.find((q) => q.n === p.n) as CurvePoint] as const)
      if (shared.length === 0) continue
      const signs = shared.map(([p, q]) => order(p, q, better))
      crossings.push(crossingOf(a.implementation, b.implementation, shared.map(([p]) => p.n), signs))
    }
  return crossings
}

/**
 * An order is claimed only where it holds to the largest count: `better` is the one clearly ahead there, from the
 * first count after which the sign never changes. Earlier, the other one clearly ahead makes it a crossing.
 */
export function crossingOf(a: string, b: string, ns: number[], signs: number[]): Crossing {
  const final = signs.at(-1) ?? 0
  const who = (sign: number) => (sign > 0 ? a : b)
  if (final === 0) {
    const lastApart = signs.findLastIndex((s) => s !== 0)
    return lastApart < 0 ? { a, b, kind: 'same' } : { a, b, kind: 'converge', better: who(signs[lastApart] as number), until: ns[lastApart] as number }
  }
  let from = signs.length - 1
  while (from > 0 && signs[from - 1] === final) from--
  const opposite = signs.findLastIndex((s, k) => k < from && s === -final)
  if (opposite >= 0) return { a, b, kind: 'cross', better: who(final), between: [ns[opposite] as number, ns[from] as number] }
  return { a, b, kind: 'separate', better: who(final), at: ns[from] as number }
}

/** +1: p clearly better than q; -1: q clearly better; 0: their CIs overlap (or one has none). */
function order(p: CurvePoint, q: CurvePoint, better: 'higher' | 'lower'): number {
  if (!p.ci95 || !q.ci95) return 0
  const sign = better === 'higher' ? 1 : -1
  if (p.ci95[0] > q.ci95[1]) return sign
  if (q.ci95[0] > p.ci95[1]) return -sign
  return 0
}
