/** The words of a run's live progress: what each sample measured, and how long the rest will take. Pure. */
import type { Progress } from '../measure/runner.js'
import { testbedKey } from '../measure/tests.js'

/** "[12/45] flannel-vxlan TCP_RR 1024B #3 p50 21.4 µs · ETA 2m10s", the lab's variant tagged ("calico-bgp[policy=nft:100]"). */
export function progressLine(p: Progress, etaMs: number): string {
  const what = `${testbedKey(p.cell)} ${p.cell.test} ${p.cell.size}B #${p.iteration}`
  const status = p.sample.error ? `FAILED: ${p.sample.error.slice(0, 80)}` : headline(p)
  return `[${p.done}/${p.total}] ${what} ${status} · ETA ${formatDuration(etaMs)}`
}

function headline(p: Progress): string {
  const m = p.sample.metrics
  if (m['throughput_bps'] !== undefined) return `${(m['throughput_bps'] / 1e9).toFixed(2)} Gbit/s`
  if (m['latency_p50_us'] !== undefined && m['connections_per_s'] === undefined) return `p50 ${m['latency_p50_us'].toFixed(1)} µs`
  if (m['connections_per_s'] !== undefined) return `${m['connections_per_s'].toFixed(0)} conn/s`
  return ''
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`
}
