/**
 * The comparison table the main job prints, as text shared by the terminal and Markdown renderers: one row per
 * datapath, the headline figure of each test with its 95% CI, and the overhead against the baseline with its CI.
 */
import { latencyOverhead } from '../analysis/precision.js'
import type { CellSummary } from '../analysis/summary.js'
import { rowKeyOf, type CellGroup, type RowInfo, type RunReport } from './model.js'
import { table } from './text-table.js'
import { latencyFigure, overheadText, rate, sizeLabel, us, withCi } from './format.js'

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
  { test: 'TCP_RR', header: 'vs base', overhead: true, cell: (c) => overheadText(latencyOverhead(c, 'p50')) },
  { test: 'UDP_RR', header: 'UDP_RR p50/p99 µs', cell: (c) => latency(c) },
  { test: 'UDP_RR', header: 'vs base', overhead: true, cell: (c) => overheadText(latencyOverhead(c, 'p50')) },
  { test: 'TCP_CRR', header: 'CRR conn/s', cell: (c) => rate(c.metrics['connections_per_s']?.median) },
  { test: 'TCP_CRR', header: 'vs base', overhead: true, cell: (c) => overheadText(c.metrics['connections_per_s']?.overhead) },
]

export interface TableBlock {
  title: string
  headers: string[]
  rows: string[][]
}

/** The comparison as text blocks, one per group of the model, one row per lab with the baseline first. */
export function comparisonBlocks(report: RunReport): TableBlock[] {
  return report.groups.map((group) => {
    const { cells } = group
    const shown = columns.filter((col) => cells.some((c) => c.test === col.test))
    const rows = report.rows
      .filter((row) => cells.some((c) => rowKeyOf(c) === row.key))
      .map((row) => [
        rowLabel(row),
        ...shown.map((col) => {
          const cell = cells.find((c) => rowKeyOf(c) === row.key && c.test === col.test)
          if (!cell || (col.overhead && row.isBaseline)) return '—'
          return col.cell(cell)
        }),
      ])
    const header = (col: Column) => {
      const size = cells.find((c) => c.test === col.test)?.size
      return group.size !== undefined || col.overhead || size === undefined ? col.header : `${col.header} (${sizeLabel(size)})`
    }
    return { title: groupTitle(group), headers: ['datapath', ...shown.map(header)], rows }
  })
}

/** "host (base)", "host (base, via router)", "ovs [userspace]": the caveat travels with the name. */
export function rowLabel(row: RowInfo): string {
  const notes = [...(row.isBaseline ? ['base'] : []), ...(row.viaRouter ? ['via router'] : [])]
  return `${row.datapath}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}${row.caveat ? ` [${row.caveat}]` : ''}`
}

export function groupTitle(g: CellGroup): string {
  const flows = `${g.parallel} flow${g.parallel > 1 ? 's' : ''}, ${g.placement}, NIC offloads ${g.nic}`
  return g.size !== undefined ? `${sizeLabel(g.size)} messages, ${flows}` : flows
}

export function renderTable(report: RunReport): string {
  const blocks = comparisonBlocks(report).map((b) => `${b.title}\n${table(b.headers, b.rows, { alignRight: b.headers.map((_, i) => i).slice(1) })}\n`)
  return [...blocks, legend(report)].join('\n')
}

function latency(c: CellSummary): string {
  const [p50, p99] = [latencyFigure(c, 'p50')?.value, latencyFigure(c, 'p99')?.value]
  return p50 === undefined ? '—' : `${us(p50)} / ${us(p99)}`
}

function fixed(v: number | undefined, digits: number): string {
  return v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits)
}

function percent(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(1)}%`
}


/** One line per datapath whose figures rest on something other than the real plugin's usual path. */
function caveatLines(report: RunReport): string[] {
  return report.rows.filter((r) => r.caveat).map((r) => `Not the plugin's usual path: ${r.datapath} [${r.caveat}]: ${String(r.implementation)}.`)
}

/** Sample counts, what "vs base" means, the engines, the caveats: what a reader needs beside the table. */
export function legend(report: RunReport): string {
  const { summary } = report
  const engines = new Map<string, string>()
  for (const c of summary.cells) engines.set(c.test, `${c.engine} ${c.engineVersion}`)
  const counts = summary.cells.map((c) => c.samples)
  const lo = Math.min(...counts)
  const hi = Math.max(...counts)
  const excluded = summary.cells.reduce((n, c) => n + c.excluded.length, 0)
  return [
    `Medians of ${lo === hi ? lo : `${lo}–${hi}`} samples per cell ± half the 95% CI; latency = round trip, percentiles pooled over all samples.`,
    ...(excluded > 0 ? [`${excluded} sample(s) hit by a dip or by other programs' load were excluded and re-taken (see the notes).`] : []),
    `"vs base" = overhead against ${summary.baseline} in this run (less throughput / more latency = positive) ± 95% CI.`,
    `Engines: ${[...engines].map(([t, e]) => `${t} ${e}`).join(', ')}.`,
    ...caveatLines(report),
  ].join('\n')
}
