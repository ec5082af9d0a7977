/**
 * Findings: what a reader should know before trusting or comparing a figure, each with the figures it rests on.
 * They explain odd numbers (a datapath faster than its baseline, a tunnel's smaller MTU, UDP loss from a CPU-bound
 * receiver), say when a difference is not shown at all (a CI wider than the difference), and say when a figure
 * rests on something other than the real plugin's path (userspace OVS, eBPF IP-in-IP) or a baseline whose path
 * differs (an extra router hop). Pure.
 */
import { headlineOverhead } from './precision.js'
import type { Interval } from './stats.js'
import type { CellSummary, RunSummary } from './summary.js'

export type FindingKind =
  | 'mtu'
  | 'fragmentation-risk'
  | 'faster-than-baseline'
  | 'ci-wider-than-difference'
  | 'not-usual-implementation'
  | 'userspace-hop'
  | 'baseline-path-differs'
  | 'no-baseline'
  | 'udp-loss-cpu-bound'

export interface FigureRef {
  label: string
  value: number
  unit: string
  ci95?: Interval
}

export interface Finding {
  kind: FindingKind
  /** caution: read the figure with this in mind; info: an explanation. */
  severity: 'info' | 'caution'
  datapath: string
  test?: string
  title: string
  detail: string
  figures: FigureRef[]
}

/** What the findings need to know about each lab row beyond the cells. */
export interface RowFacts {
  datapath: string
  isBaseline: boolean
  viaRouter: boolean
  caveat: string | undefined
  implementation: string | undefined
}

/** Bytes each encapsulation adds to a packet on the underlay (outer headers). */
const ENCAP_BYTES: Record<string, number> = { ipip: 20, vxlan: 50, udp: 28 }

/** UDP loss above this (percent) means the receiver could not keep up with the sender. */
const UDP_LOSS_CPU_BOUND_PCT = 1

export function findFindings(summary: RunSummary, rows: readonly RowFacts[]): Finding[] {
  const nonBase = summary.cells.filter((c) => c.datapath !== summary.baseline)
  return [
    ...rows.flatMap((r) => implementationFindings(r)),
    ...rows.filter((r) => r.isBaseline && r.viaRouter).map((r) => routedBaseline(r, summary)),
    ...firstCellPerDatapath(nonBase).flatMap(mtuFindings),
    ...nonBase.flatMap((c) => overheadFindings(c, summary.baseline)),
    ...summary.cells.flatMap(udpLossFinding),
  ]
}

function implementationFindings(row: RowFacts): Finding[] {
  const implementation = row.implementation ?? ''
  const found: Finding[] = []
  if (row.caveat) {
    found.push({
      kind: 'not-usual-implementation',
      severity: 'caution',
      datapath: row.datapath,
      title: `${row.datapath} was not measured on the plugin's usual path (${row.caveat})`,
      detail: `This lab used ${implementation}, because this kernel lacks what the real plugin uses. Its figures show that implementation's cost, which may differ from the plugin's on a kernel that has it.`,
      figures: [],
    })
  }
  if (/userspace/i.test(implementation)) {
    found.push({
      kind: 'userspace-hop',
      severity: 'info',
      datapath: row.datapath,
      title: `${row.datapath} moves every packet through a userspace process`,
      detail: `${implementation}: each packet crosses from the kernel to a daemon and back, which costs far more CPU per packet than an in-kernel path; expect large throughput and latency overheads.`,
      figures: [],
    })
  }
  return found
}

function routedBaseline(row: RowFacts, summary: RunSummary): Finding {
  return {
    kind: 'baseline-path-differs',
    severity: 'info',
    datapath: row.datapath,
    title: `the baseline of routed datapaths crosses the lab's router`,
    detail: `Datapaths whose nodes sit in two subnets are compared with ${summary.baseline} measured across the same router, so their overhead is the datapath's own cost, not the router's. The router hop itself shows as the difference between the two ${summary.baseline} rows.`,
    figures: [],
  }
}

function firstCellPerDatapath(cells: CellSummary[]): CellSummary[] {
  const first = new Map<string, CellSummary>()
  for (const c of cells) if (!first.has(c.datapath)) first.set(c.datapath, c)
  return [...first.values()]
}

function mtuFindings(cell: CellSummary): Finding[] {
  const podMtu = Number(cell.context['podMtu'])
  const underlayMtu = Number(cell.context['underlayMtu'])
  const encapsulation = String(cell.context['encapsulation'] ?? 'none')
  const extra = Object.entries(ENCAP_BYTES).find(([name]) => encapsulation.includes(name))?.[1]
  if (!Number.isFinite(podMtu) || !Number.isFinite(underlayMtu) || extra === undefined) return []
  const figures = [
    { label: 'pod MTU', value: podMtu, unit: 'bytes' },
    { label: 'underlay MTU', value: underlayMtu, unit: 'bytes' },
    { label: 'encapsulation headers', value: extra, unit: 'bytes' },
  ]
  if (podMtu + extra > underlayMtu) {
    return [{
      kind: 'fragmentation-risk',
      severity: 'caution',
      datapath: cell.datapath,
      title: `${cell.datapath}: pod MTU ${podMtu} + ${extra} bytes of ${encapsulation} exceeds the underlay's ${underlayMtu}`,
      detail: 'Full-size pod packets no longer fit the underlay once encapsulated: they are fragmented or dropped. Lower the pod MTU to the underlay MTU minus the encapsulation headers.',
      figures,
    }]
  }
  const room = underlayMtu - podMtu
  const why = room === extra
    ? `so that ${extra} bytes of outer headers fit the underlay's ${underlayMtu}`
    : `, leaving ${room} bytes for outer headers where ${encapsulation} needs ${extra} (the plugin's configured default)`
  return [{
    kind: 'mtu',
    severity: 'info',
    datapath: cell.datapath,
    title: `${cell.datapath} carries ${room} bytes less payload per packet (${encapsulation})`,
    detail: `The pod MTU is ${podMtu}${why.startsWith(',') ? '' : ' '}${why}: more packets, and more per-packet work, for the same data. A larger underlay MTU (e.g. 9000, as the Ducastel benchmarks used) shrinks this share.`,
    figures,
  }]
}


function overheadFindings(cell: CellSummary, baseline: string): Finding[] {
  const headline = headlineOverhead(cell)
  if (!headline) {
    return cell.samples > 0
      ? [{ kind: 'no-baseline', severity: 'caution', datapath: cell.datapath, test: cell.test, title: `${cell.datapath} ${cell.test} has no overhead`, detail: `No ${baseline} cell was measured the same way on the same kind of lab, so no overhead can be stated; see the run's notes.`, figures: [] }]
      : []
  }
  const { overhead, metric } = headline
  const figure: FigureRef = { label: `overhead (${metric})`, value: overhead.value * 100, unit: '%', ...(overhead.ci95 ? { ci95: [overhead.ci95[0] * 100, overhead.ci95[1] * 100] as Interval } : {}) }
  if (overhead.ci95 && overhead.ci95[0] <= 0 && overhead.ci95[1] >= 0) {
    return [{
      kind: 'ci-wider-than-difference',
      severity: 'caution',
      datapath: cell.datapath,
      test: cell.test,
      title: `${cell.datapath} ${cell.test}: not distinguishable from ${baseline}`,
      detail: `The overhead's 95% CI (${(overhead.ci95[0] * 100).toFixed(1)}% to ${(overhead.ci95[1] * 100).toFixed(1)}%) includes zero: this run does not show that it differs from ${baseline} (measured ${(overhead.value * 100).toFixed(1)}%). More samples or a quieter machine narrow it.`,
      figures: [figure],
    }]
  }
  if (overhead.ci95 && overhead.ci95[1] < 0) {
    return [{
      kind: 'faster-than-baseline',
      severity: 'info',
      datapath: cell.datapath,
      test: cell.test,
      title: `${cell.datapath} ${cell.test} measured better than ${baseline}`,
      detail: `A datapath can beat ${baseline} when its path skips work the baseline's does (a pod's own namespace with fewer netfilter hooks, a redirect that bypasses the node's routing, or a different MTU). Read its packet path before taking this as a gain the plugin would give on real hardware.`,
      figures: [figure],
    }]
  }
  return []
}

function udpLossFinding(cell: CellSummary): Finding[] {
  const loss = cell.metrics['udp_loss_pct']
  if (cell.test !== 'UDP_STREAM' || !loss || loss.median <= UDP_LOSS_CPU_BOUND_PCT) return []
  const sent = cell.metrics['sender_bps']
  const received = cell.metrics['throughput_bps']
  return [{
    kind: 'udp-loss-cpu-bound',
    severity: 'info',
    datapath: cell.datapath,
    test: cell.test,
    title: `${cell.datapath} UDP_STREAM lost ${loss.median.toFixed(1)}% of datagrams`,
    detail: 'The sender (unpaced, as netperf) offers more than the receiving side processes; on a lab with no physical link this almost always means the receive path ran out of CPU. The throughput shown is what arrived: it measures the receive path\'s capacity, not a network fault.',
    figures: [
      { label: 'UDP loss', value: loss.median, unit: '%', ...(loss.medianCi95 ? { ci95: loss.medianCi95 } : {}) },
      ...(sent ? [{ label: 'sent', value: sent.median / 1e9, unit: 'Gbit/s' }] : []),
      ...(received ? [{ label: 'received', value: received.median / 1e9, unit: 'Gbit/s' }] : []),
    ],
  }]
}
