/**
 * Curves against scale (analysis/curves.ts) in words and table cells, shared by the terminal, Markdown and HTML
 * renderers: the title of a curve, each point with its CI and its cost against N = 0, how each implementation ends
 * up at the largest N (flat, or how far it fell), and where implementations cross.
 */
import type { Crossing, Curve, CurvePoint } from '../analysis/curves.js'
import { cellLabel, overheadText, withCi } from './format.js'

const metricNames: Record<Curve['metric'], string> = {
  throughput_bps: 'throughput (Gbit/s)',
  transactions_per_s: 'transactions/s',
  connections_per_s: 'connections/s',
  latency_p50: 'P50 round trip (µs)',
  latency_p99: 'P99 round trip (µs)',
}

const axisNames: Record<Curve['axis'], string> = { policy: 'policy rules', services: 'Services' }
const axisUnits: Record<Curve['axis'], [string, string]> = { policy: ['policy rule', 'policy rules'], services: ['Service', 'Services'] }

/** "1 Service", "10,000 policy rules". */
const counted = (c: Pick<Curve, 'axis'>, n: number) => `${countLabel(n)} ${axisUnits[c.axis][n === 1 ? 0 : 1]}`

export function curveTitle(c: Curve): string {
  return `${cellLabel({ ...c, variant: c.labVariant })}: ${metricNames[c.metric]} against ${axisNames[c.axis]}`
}

/** "12,000" for a count on an axis. */
export const countLabel = (n: number) => n.toLocaleString('en-US')

/** The scale a curve's figures are shown at: Gbit/s for throughput, as measured for the rest. */
export function curveScale(c: Pick<Curve, 'metric'>): { scale: number; digits: number } {
  if (c.metric === 'throughput_bps') return { scale: 1e9, digits: 2 }
  if (c.metric === 'transactions_per_s' || c.metric === 'connections_per_s') return { scale: 1, digits: 0 }
  return { scale: 1, digits: 1 }
}

/** A point as a table cell: "9.52 ±0.10 (+4% ±2%)", the bracket its cost against N = 0 (positive = worse); N = 0 has none. */
function pointText(c: Curve, p: CurvePoint | undefined): string {
  if (!p) return '—'
  const { scale, digits } = curveScale(c)
  const figure = withCi(p.value, p.ci95, scale, digits)
  return p.overhead ? `${figure} (${overheadText(p.overhead)})` : figure
}

/** Every count any line has, in order (the table's columns). */
export function curveCounts(c: Curve): number[] {
  return [...new Set(c.lines.flatMap((l) => l.points.map((p) => p.n)))].sort((a, b) => a - b)
}

/** Rows of a curve's table: implementation, then one cell per count. */
export function curveRows(c: Curve): string[][] {
  const counts = curveCounts(c)
  return c.lines.map((l) => [l.implementation, ...counts.map((n) => pointText(c, l.points.find((p) => p.n === n)))])
}

/**
 * How each implementation ends up at its largest N against N = 0: "flat" when the change's CI includes zero, else the
 * change ("falls away" for a loss of more than half), so a reader sees linear lists fall and hashed lookups stay put.
 */
function endpointSentences(c: Curve): string[] {
  return c.lines.flatMap((l) => {
    const last = l.points.at(-1)
    if (!last?.overhead) return []
    const o = last.overhead
    const flat = o.ci95 ? o.ci95[0] <= 0 && o.ci95[1] >= 0 : Math.abs(o.value) < 0.02
    const verdict = flat ? 'flat: within its CI of N = 0' : o.value > 0.5 ? (c.better === 'higher' ? 'falls away' : 'climbs steeply') : o.value > 0 ? 'costs' : 'gains'
    return [`${l.implementation} at ${counted(c, last.n)}: costs ${overheadText(o)} against none (${verdict})`]
  })
}

function crossingSentence(c: Curve, x: Crossing): string {
  const other = x.better === x.a ? x.b : x.a
  if (x.kind === 'same') return `${x.a} and ${x.b}: indistinguishable at every N measured (95% CIs overlap)`
  if (x.kind === 'converge') return `${x.better} was better than ${other} up to ${counted(c, x.until as number)}; indistinguishable at the largest N`
  if (x.kind === 'separate') return `${x.better} is better than ${other} from ${counted(c, x.at as number)} on (indistinguishable below)`
  const [from, to] = x.between as [number, number]
  return `${x.a} and ${x.b} cross between ${countLabel(from)} and ${counted(c, to)}: ${x.better} is better from ${countLabel(to)} on`
}

/**
 * What a reader needs of a curve's pairs, grouped: one line per implementation others overtake ("nft-set, ipset and
 * ebpf are better than iptables-legacy from 100 policy rules on"), one per crossing; indistinguishable pairs are
 * left out.
 */
function crossingSentences(c: Curve): string[] {
  const separations = new Map<string, string[]>()
  const lines: string[] = []
  for (const x of c.crossings) {
    if (x.kind === 'cross' || x.kind === 'converge') lines.push(crossingSentence(c, x))
    if (x.kind !== 'separate') continue
    const loser = x.better === x.a ? x.b : x.a
    const key = `${loser}\u0000${x.at}`
    separations.set(key, [...(separations.get(key) ?? []), x.better as string])
  }
  const grouped = [...separations].map(([key, winners]) => {
    const [loser, at] = key.split('\u0000') as [string, string]
    const who = winners.length === 1 ? `${winners[0]} is` : `${winners.slice(0, -1).join(', ')} and ${winners.at(-1)} are`
    return `${who} better than ${loser} from ${counted(c, Number(at))} on (indistinguishable below)`
  })
  return [...grouped, ...lines]
}

/** Everything said under a curve: how each implementation ends, then who overtakes or crosses whom. */
export const curveSentences = (c: Curve) => [...endpointSentences(c), ...crossingSentences(c)]

/** How to read a curve's table, said once above the curves. */
export const CURVE_LEGEND = 'median ± half the 95% CI; in brackets the cost against the same lab with none (N = 0): positive = worse (less throughput or rate, more latency), ± half its 95% CI'
