/** Number formatting shared by every renderer: units people read, signs that cannot be mistaken, CIs as ±. */
import type { Interval } from '../analysis/stats.js'
import type { CellSummary, Overhead } from '../analysis/summary.js'
import { variantTag, type Variant } from '../measure/tests.js'

const MINUS = '\u2212'

export function signedPercent(fraction: number, digits = 0): string {
  if (!Number.isFinite(fraction)) return '–'
  const pct = fraction * 100
  const text = Math.abs(pct).toFixed(digits)
  if (Number(text) === 0) return `${(0).toFixed(digits)}%`
  return `${pct < 0 ? MINUS : '+'}${text}%`
}

/** Half the width of a CI, as the "± x" people read. */
export function halfWidth(ci: Interval | undefined): number | undefined {
  return ci ? (ci[1] - ci[0]) / 2 : undefined
}

export function overheadText(o: Pick<Overhead, 'value' | 'ci95'> | undefined): string {
  if (!o) return '—'
  const hw = halfWidth(o.ci95)
  return hw === undefined ? signedPercent(o.value) : `${signedPercent(o.value)} ±${(hw * 100).toFixed(0)}%`
}

/** A figure with its CI half-width in the same unit: "12.3 ±0.2". */
export function withCi(value: number | undefined, ci: Interval | undefined, scale: number, digits: number): string {
  if (value === undefined || !Number.isFinite(value)) return '—'
  const hw = halfWidth(ci)
  const main = (value / scale).toFixed(digits)
  return hw === undefined ? main : `${main} ±${(hw / scale).toFixed(digits)}`
}

export function rate(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—'
  return value >= 10_000 ? `${(value / 1000).toFixed(1)}k` : value.toFixed(0)
}

export function us(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—'
  return value >= 100 ? value.toFixed(0) : value.toFixed(1)
}

/** "2 × Intel Xeon …, VM (kvm)" from a run's environment fingerprint. */
export function machineOf(environment: Readonly<Record<string, unknown>>): string {
  const e = environment
  const virt = e['virtualization'] === 'vm' ? `VM${e['hypervisor'] ? ` (${String(e['hypervisor'])})` : ''}` : 'bare metal'
  return `${String(e['cpuCount'] ?? '?')} × ${String(e['cpuModel'] ?? '?')}, ${virt}`
}

/**
 * A request/response cell's P50 or P99 round trip (µs) with its CI: pooled from the histograms, or the median of the
 * per-sample percentiles for engines without a histogram (netperf).
 */
export function latencyFigure(c: CellSummary, which: 'p50' | 'p99'): { value: number; ci: Interval | undefined } | undefined {
  if (c.latency) return { value: c.latency[which], ci: c.latency[`${which}Ci95`] }
  const m = c.metrics[`latency_${which}_us`]
  return m ? { value: m.median, ci: m.medianCi95 } : undefined
}

/** A metric's median with its CI, if the cell has it. */
export function metricFigure(c: CellSummary, name: string): { value: number; ci: Interval | undefined } | undefined {
  const m = c.metrics[name]
  return m ? { value: m.median, ci: m.medianCi95 } : undefined
}

/** Figures in report tables: three significant digits or so, "—" for what is not a number. */
export function figureText(v: number): string {
  if (!Number.isFinite(v)) return '—'
  if (Number.isInteger(v)) return String(v)
  const a = Math.abs(v)
  return a >= 1000 ? v.toFixed(0) : a >= 100 ? v.toFixed(1) : a >= 10 ? v.toFixed(2) : v.toFixed(3)
}

/** "2026-11-25 21:52:12" from an ISO timestamp. */
export function shortTime(iso: string): string {
  return iso.slice(0, 19).replace('T', ' ')
}

/** "flannel-vxlan[nic=none] TCP_RR 1K", with flows and placement when they are not the default one flow inter-node. */
export function cellLabel(c: { datapath: string; variant: Variant; test: string; size: number; parallel: number; placement: string }): string {
  const flows = c.parallel > 1 ? ` ×${c.parallel}` : ''
  const placement = c.placement !== 'inter-node' ? ` ${c.placement}` : ''
  return `${c.datapath}${variantTag(c.variant)} ${c.test} ${sizeLabel(c.size)}${flows}${placement}`
}

/** 10240 → "10K", 1024 → "1K", 512 → "512B": the bank's bare-metal-vs-VM study's way of naming sizes. */
export function sizeLabel(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024}K` : `${bytes}B`
}

/** A precision target (a fraction) as people read it: "±5 points" (beyond ±100% it is relative; see analysis/precision.ts). */
export function precisionLabel(target: number): string {
  return `±${Number((target * 100).toFixed(1))} points`
}
