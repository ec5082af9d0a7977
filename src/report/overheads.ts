/** Each datapath's headline overheads against its baseline, one row per cell: what `compare RUN` shows. Pure. */
import type { Overhead } from '../analysis/summary.js'
import { rateMetricOf } from '../measure/metrics.js'
import type { RunReport } from './model.js'

export interface OverheadRow {
  datapath: string
  test: string
  size: number
  rate: Overhead | undefined
  latencyP50: Overhead | undefined
  latencyP99: Overhead | undefined
}

/** Untreated cells only: a policy or Service variant's overhead is against its own N = 0, shown as a curve. */
export function overheadRows(report: RunReport): OverheadRow[] {
  return report.groups
    .flatMap((g) => g.cells)
    .filter((c) => c.datapath !== report.summary.baseline)
    .map((c) => {
      const rateName = rateMetricOf(c.metrics)
      return {
        datapath: c.datapath,
        test: c.test,
        size: c.size,
        rate: rateName ? c.metrics[rateName]?.overhead : undefined,
        latencyP50: c.latency?.p50Overhead,
        latencyP99: c.latency?.p99Overhead,
      }
    })
}
