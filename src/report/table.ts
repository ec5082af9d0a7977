/**
 * The comparison table the main job prints: one row per datapath, the headline figure of each test with its 95% CI,
 * and the overhead against the baseline with its CI. Pure: (RunSummary) => string.
 */
import type { CellSummary, RunSummary } from '../analysis/summary.js'
import { datapathNames, getDatapath } from '../lab/datapaths/index.js'
import { variantDefaults } from '../measure/tests.js'
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
    const rowKeys = orderRows([...new Map(cells.map((c) => [rowKey(c), c])).values()], summary.baseline)
    const rows = rowKeys.map((first) => {
      const isBase = first.datapath === summary.baseline
      return [
        rowLabel(first, summary.baseline),
        ...shown.map((col) => {
          const cell = cells.find((c) => rowKey(c) === rowKey(first) && c.test === col.test)
          if (!cell || (col.overhead && isBase)) return '—'
          return col.cell(cell)
        }),
      ]
    })
    const header = (col: Column) => {
      const size = cells.find((c) => c.test === col.test)?.size
      return bySize || col.overhead || size === undefined ? col.header : `${col.header} (${sizeLabel(size)})`
    }
    return { title, headers: ['datapath', ...shown.map(header)], rows }
  })
}

/** A row is one lab within a block: the datapath and, when it is not the datapath's own, its underlay. */
const rowKey = (c: CellSummary) => `${c.datapath}/${c.variant['underlay'] ?? ''}`

/** "host (base)", "host (base, via router)", "ovs [userspace]": the caveat travels with the name. */
function rowLabel(c: CellSummary, baseline: string): string {
  const routed = c.variant['underlay'] === 'routed' && (getDatapath(c.datapath).underlays ?? ['switched'])[0] !== 'routed'
  const notes = [...(c.datapath === baseline ? ['base'] : []), ...(routed ? ['via router'] : [])]
  const caveat = typeof c.context['caveat'] === 'string' ? ` [${c.context['caveat']}]` : ''
  return `${c.datapath}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}${caveat}`
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
    const flows = `${c.parallel} flow${c.parallel > 1 ? 's' : ''}, ${c.placement}, NIC offloads ${c.variant['nic'] ?? variantDefaults['nic']}`
    const title = bySize ? `${sizeLabel(c.size)} messages, ${flows}` : flows
    groups.set(title, [...(groups.get(title) ?? []), c])
  }
  return groups
}

/** 10240 → "10K", 1024 → "1K", 512 → "512B": the seed's way of naming sizes. */
export function sizeLabel(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024}K` : `${bytes}B`
}

/** The baseline first (on its own underlay, then via the router), then datapaths in registry order. */
function orderRows(cells: CellSummary[], baseline: string): CellSummary[] {
  const order = (c: CellSummary) => (c.datapath === baseline ? -2 + (c.variant['underlay'] === 'routed' ? 0.5 : 0) : datapathNames.indexOf(c.datapath as never))
  return cells.sort((a, b) => order(a) - order(b))
}

/** One line per datapath whose figures rest on something other than the real plugin's usual path. */
function caveats(summary: RunSummary): string[] {
  const seen = new Map<string, string>()
  for (const c of summary.cells) if (typeof c.context['caveat'] === 'string') seen.set(c.datapath, `${c.datapath} [${c.context['caveat']}]: ${String(c.context['implementation'])}`)
  return [...seen.values()].map((line) => `Not the plugin's usual path: ${line}.`)
}

export function legend(summary: RunSummary): string {
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
    ...caveats(summary),
  ].join('\n')
}
