/** Number formatting shared by every renderer: units people read, signs that cannot be mistaken, CIs as ±. */
import type { Interval } from '../analysis/stats.js'
import type { Overhead } from '../analysis/summary.js'

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
