/**
 * The comparison table the main job prints: one row per datapath, the headline figure of each test with its 95% CI,
 * and the overhead against the baseline with its CI. Pure: (RunSummary) => string.
 */
import type { CellSummary, RunSummary } from '../analysis/summary.js'
import { datapathNames } from '../lab/datapaths/index.js'
import { table } from './text-table.js'
import { overheadText, rate, us, withCi } from './format.js'

interface Column {
  test: string
  header: string
  /** Overhead columns say nothing for the baseline's own row. */
  overhead?: boolean
  cell(c: CellSummary): string
}

const columns: Column[] = [
  { test: 'TCP_STREAM', header: 'TCP Gbit/s', cell: (c) => withCi(c.metrics['throughput_bps']?.median, c.metrics['throughput_bps']?.medianCi95, 1e9, 2) },
  { test: 'TCP_STREAM', header: 'vs base', overhead: true, cell: (c) => overheadText(c.metrics['throughput_bps']?.overhead) },
  { test: 'TCP_STREAM', header: 'CPU s/Gbit', cell: (c) => fixed(c.metrics['cpu_s_per_gbit']?.median, 3) },
  { test: 'UDP_STREAM', header: 'UDP Gbit/s', cell: (c) => withCi(c.metrics['throughput_bps']?.median, c.metrics['throughput_bps']?.medianCi95, 1e9, 2) },
  { test: 'UDP_STREAM', header: 'loss', cell: (c) => percent(c.metrics['udp_loss_pct']?.median) },
  { test: 'TCP_RR', header: 'TCP_RR p50/p99 µs', cell: (c) => latency(c) },
  { test: 'TCP_RR', header: 'vs base', overhead: true, cell: (c) => overheadText(c.latency?.p50Overhead) },
  { test: 'UDP_RR', header: 'UDP_RR p50/p99 µs', cell: (c) => latency(c) },
  { test: 'UDP_RR', header: 'vs base', overhead: true, cell: (c) => overheadText(c.latency?.p50Overhead) },
  { test: 'TCP_CRR', header: 'CRR conn/s', cell: (c) => rate(c.metrics['connections_per_s']?.median) },
  { test: 'TCP_CRR', header: 'vs base', overhead: true, cell: (c) => overheadText(c.metrics['connections_per_s']?.overhead) },
]

export interface TableBlock {
  title: string
  headers: string[]
  rows: string[][]
}

/**
 * The comparison as data, one row per datapath with the baseline first. When each test has one message size (the
 * default matrix), everything fits one block and headers carry the size; otherwise one block per size.
 */
export function comparisonBlocks(summary: RunSummary): TableBlock[] {
  const sizesPerTest = new Map<string, Set<number>>()
  for (const c of summary.cells) sizesPerTest.set(c.test, (sizesPerTest.get(c.test) ?? new Set()).add(c.size))
  const bySize = [...sizesPerTest.values()].some((sizes) => sizes.size > 1)
  return [...groupCells(summary.cells, bySize)].map(([title, cells]) => {
    const shown = columns.filter((col) => cells.some((c) => c.test === col.test))
    const datapaths = orderDatapaths([...new Set(cells.map((c) => c.datapath))], summary.baseline)
    const rows = datapaths.map((dp) => [
      dp === summary.baseline ? `${dp} (base)` : dp,
      ...shown.map((col) => {
        const cell = cells.find((c) => c.datapath === dp && c.test === col.test)
        if (!cell || (col.overhead && dp === summary.baseline)) return '—'
        return col.cell(cell)
      }),
    ])
    const header = (col: Column) => {
      const size = cells.find((c) => c.test === col.test)?.size
      return bySize || col.overhead || size === undefined ? col.header : `${col.header} (${sizeLabel(size)})`
    }
    return { title, headers: ['datapath', ...shown.map(header)], rows }
  })
}

export function renderTable(summary: RunSummary): string {
  const blocks = comparisonBlocks(summary).map((b) => `${b.title}\n${table(b.headers, b.rows, { alignRight: b.headers.map((_, i) => i).slice(1) })}\n`)
  return [...blocks, legend(summary)].join('\n')
}

function latency(c: CellSummary): string {
  return c.latency ? `${us(c.latency.p50)} / ${us(c.latency.p99)}` : '—'
}

function fixed(v: number | undefined, digits: number): string {
  return v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits)
}

function percent(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(1)}%`
}

function groupCells(cells: CellSummary[], bySize: boolean): Map<string, CellSummary[]> {
  const groups = new Map<string, CellSummary[]>()
  for (const c of cells) {
    const flows = `${c.parallel} flow${c.parallel > 1 ? 's' : ''}, ${c.placement}`
    const title = bySize ? `${sizeLabel(c.size)} messages, ${flows}` : flows
    groups.set(title, [...(groups.get(title) ?? []), c])
  }
  return groups
}

/** 10240 → "10K", 1024 → "1K", 512 → "512B": the seed's way of naming sizes. */
export function sizeLabel(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024}K` : `${bytes}B`
}

function orderDatapaths(names: string[], baseline: string): string[] {
  const order = (n: string) => (n === baseline ? -1 : datapathNames.indexOf(n as never))
  return names.sort((a, b) => order(a) - order(b))
}

export function legend(summary: RunSummary): string {
  const engines = new Map<string, string>()
  for (const c of summary.cells) engines.set(c.test, `${c.engine} ${c.engineVersion}`)
  const samples = Math.max(0, ...summary.cells.map((c) => c.samples))
  return [
    `Medians of ${samples} samples ± half the 95% CI; latency = round trip, percentiles pooled over all samples.`,
    `"vs base" = overhead against ${summary.baseline} in this run (less throughput / more latency = positive) ± 95% CI.`,
    `Engines: ${[...engines].map(([t, e]) => `${t} ${e}`).join(', ')}.`,
  ].join('\n')
}
