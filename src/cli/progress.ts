/**
 * Live progress of a run on stderr (stdout stays clean for --json): on a terminal one line rewritten in place with
 * the cell, the sample, k of n and the ETA; otherwise plain lines, one per sample, for logs and CI.
 */
import type { Progress } from '../measure/runner.js'

export interface ProgressDisplay {
  note(message: string): void
  sample(p: Progress): void
  finish(): void
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  const tty = stream.isTTY === true
  const started = Date.now()
  let lineOpen = false
  const clear = () => {
    if (tty && lineOpen) stream.write('\r\x1b[2K')
    lineOpen = false
  }
  return {
    note(message) {
      clear()
      stream.write(`cnibench: ${message}\n`)
    },
    sample(p) {
      const perSample = (Date.now() - started) / p.done
      const eta = formatDuration(perSample * (p.total - p.done))
      const what = `${p.cell.datapath} ${p.cell.test} ${p.cell.size}B #${p.iteration}`
      const status = p.sample.error ? `FAILED: ${p.sample.error.slice(0, 80)}` : headline(p)
      const text = `[${p.done}/${p.total}] ${what} ${status} · ETA ${eta}`
      if (tty) {
        clear()
        stream.write(text.slice(0, (stream.columns ?? 120) - 1))
        lineOpen = true
      } else {
        stream.write(`${text}\n`)
      }
    },
    finish() {
      clear()
    },
  }
}

function headline(p: Progress): string {
  const m = p.sample.metrics
  if (m['throughput_bps'] !== undefined) return `${(m['throughput_bps'] / 1e9).toFixed(2)} Gbit/s`
  if (m['latency_p50_us'] !== undefined && m['connections_per_s'] === undefined) return `p50 ${m['latency_p50_us'].toFixed(1)} µs`
  if (m['connections_per_s'] !== undefined) return `${m['connections_per_s'].toFixed(0)} conn/s`
  return ''
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`
}
