/**
 * The precision target (`--precision P`): a run keeps adding interleaved rounds until every datapath's headline
 * overhead is known to ±P, then says which cells reached it and which did not. Pure.
 *
 * Headline overhead per test: throughput for streams, P50 round trip for request/response, connections per second
 * for TCP_CRR (the figures the table shows). ±P means P percentage points of overhead; beyond ±100% it means P percent
 * of the overhead itself (a "+1100% ± 40%" ranks as surely as a "+10% ± 4%", and no 1-second sample of a userspace
 * datapath gives ±5 points on a twelvefold latency).
 */
import { isStream } from '../measure/tests.js'
import type { CellSummary, Overhead, RunSummary } from './summary.js'

export interface HeadlineOverhead {
  metric: string
  overhead: Overhead
}

/**
 * A request/response cell's latency overhead: from the pooled histograms, or, for engines that report percentiles
 * without a histogram (netperf), from the per-sample percentile metric.
 */
export function latencyOverhead(cell: CellSummary, which: 'p50' | 'p99'): Overhead | undefined {
  return cell.latency?.[`${which}Overhead`] ?? cell.metrics[`latency_${which}_us`]?.overhead
}

/** The overhead the table shows for this cell's test, if it has one (a baseline cell has none). */
export function headlineOverhead(cell: CellSummary): HeadlineOverhead | undefined {
  const pick = (metric: string, overhead: Overhead | undefined) => (overhead ? { metric, overhead } : undefined)
  if (isStream(cell.test as never)) return pick('throughput_bps', cell.metrics['throughput_bps']?.overhead)
  if (cell.test === 'TCP_CRR') return pick('connections_per_s', cell.metrics['connections_per_s']?.overhead)
  return pick('latency_p50_us', latencyOverhead(cell, 'p50'))
}

/** Half-width of the overhead's 95% CI, as a fraction (Infinity when there is no interval yet). */
export function halfWidthOf(o: Overhead): number {
  return o.ci95 ? (o.ci95[1] - o.ci95[0]) / 2 : Infinity
}

/** Whether `o` is known to ±`target` (a fraction): points up to ±100%, relative beyond (see the module comment). */
export function meetsTarget(o: Overhead, target: number): boolean {
  return halfWidthOf(o) <= target * Math.max(1, Math.abs(o.value))
}

export interface CellPrecision {
  key: string
  metric: string
  value: number
  halfWidth: number
  met: boolean
}

/** Every cell with a headline overhead, and whether it meets `target`. */
export function assessPrecision(summary: RunSummary, target: number): CellPrecision[] {
  return summary.cells.flatMap((cell) => {
    const headline = headlineOverhead(cell)
    if (!headline) return []
    const { overhead } = headline
    return [{ key: cell.key, metric: headline.metric, value: overhead.value, halfWidth: halfWidthOf(overhead), met: meetsTarget(overhead, target) }]
  })
}
