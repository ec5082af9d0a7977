/**
 * `cnibench compare RUN [RUN...]`: with one run, each datapath against the run's baseline; with several, every later
 * run against the first (e.g. the same datapaths on bare metal, then on a VM), seed-style:
 * "throughput −47% ± 3%, latency +83% ± 5%".
 */
import type { Command } from 'commander'
import { compareRuns, type CellComparison, type Change } from '../../analysis/compare.js'
import type { CellSummary } from '../../analysis/summary.js'
import { rateMetricOf } from '../../measure/metrics.js'
import { halfWidth, signedPercent } from '../../report/format.js'
import { print, printJson, table } from '../output.js'
import { loadRunData, openStore } from './results.js'

export function registerCompare(program: Command): void {
  program
    .command('compare <runs...>')
    .description('one run: each datapath against its baseline; several: each run against the first, with 95% CIs')
    .option('--db <file>', 'results database')
    .option('--json', 'machine-readable output')
    .action((ids: string[], opts: { db?: string; json?: boolean }) => {
      const store = openStore(opts.db)
      try {
        const runs = ids.map((id) => {
          const data = loadRunData(store, store.requireRun(id).id)
          return { run: data.summary.run, cells: data.cells, samples: data.samples, summary: data.summary }
        })
        const [reference, ...others] = runs
        if (!reference) return
        if (others.length === 0) return showOverheads(reference.summary.cells, reference.summary.baseline, opts.json)
        const comparisons = others.flatMap((o) => compareRuns(reference, o))
        if (opts.json) return printJson(comparisons)
        for (const other of others) {
          print(`${other.run.id} against ${reference.run.id}  (relative change, ± half the 95% CI)`)
          const rows = comparisons.filter((c) => c.other === other.run.id)
          print(table(['datapath', 'test', 'size', 'rate', 'p50', 'p99', 'CPU/unit', 'measured differently'], rows.map((c) => [
            c.datapath, c.test, String(c.size), change(c.rate), change(c.latencyP50), change(c.latencyP99), change(c.cpu), c.differences.join('; ') || '—'])))
          const unlike = rows.filter((c) => c.differences.length > 0)
          if (unlike.length > 0) print(`note: ${unlike.length} of ${rows.length} cells were measured differently in the two runs; their change includes that difference`)
          print()
          for (const line of sentences(rows)) print(line)
          print()
        }
      } finally {
        store.close()
      }
    })
}

function change(c: Change | undefined): string {
  if (!c) return '—'
  const hw = halfWidth(c.ci95)
  return hw === undefined ? signedPercent(c.value) : `${signedPercent(c.value)} ± ${(hw * 100).toFixed(0)}%`
}

/** Per datapath, the seed's sentence: stream throughput change and request/response latency change. */
function sentences(rows: CellComparison[]): string[] {
  const datapaths = [...new Set(rows.map((r) => r.datapath))]
  return datapaths.map((dp) => {
    const mine = rows.filter((r) => r.datapath === dp)
    const stream = mine.find((r) => r.test === 'TCP_STREAM') ?? mine.find((r) => r.rateMetric === 'throughput_bps')
    const rr = mine.find((r) => r.test === 'TCP_RR') ?? mine.find((r) => r.latencyP50)
    const parts = [
      ...(stream?.rate ? [`throughput ${change(stream.rate)}`] : []),
      ...(rr?.latencyP50 ? [`latency ${change(rr.latencyP50)}`] : []),
    ]
    return `${dp}: ${parts.join(', ') || 'no common tests'}`
  })
}

function showOverheads(cells: CellSummary[], baseline: string, json: boolean | undefined): void {
  const rows = cells
    .filter((c) => c.datapath !== baseline)
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
  if (json) return printJson({ baseline, overheads: rows })
  print(`overhead against ${baseline} (positive = costs more: less throughput, more latency), ± half the 95% CI`)
  print(table(['datapath', 'test', 'size', 'rate', 'p50', 'p99'], rows.map((r) => [r.datapath, r.test, String(r.size), change(r.rate), change(r.latencyP50), change(r.latencyP99)])))
}
