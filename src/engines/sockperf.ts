/**
 * sockperf for TCP_RR and UDP_RR: ping-pong, one request in flight, full round-trip times (`--full-rtt`; sockperf
 * otherwise reports half). Every round trip comes from `--full-log` (CSV: packet, txTime, rxTime, rtt), so the
 * percentiles are exact per sample and pool exactly across samples. sockperf discards its own first 400 ms; a longer
 * warm-up is cut from the log by transmit time.
 */
import { join } from 'node:path'
import { histogramOf } from '../analysis/histogram.js'
import { quantile } from '../analysis/stats.js'
import { engineError, type Engine } from './engine.js'

/** sockperf's built-in warm-up, seconds. */
const SOCKPERF_WARMUP_S = 0.4

export const sockperf: Engine = {
  name: 'sockperf',
  requires: { tool: 'sockperf' },
  rank: (test) => (test === 'TCP_RR' || test === 'UDP_RR' ? 1 : undefined),
  nativeParallel: false,
  warmup: 'sockperf discards its first 400 ms; cnibench drops log rows within the rest of the warm-up',
  listensOn: (test) => (test === 'TCP_RR' ? 'tcp' : 'udp'),
  server: (spec, at) => ['sockperf', 'server', '-i', at.serverIp, '-p', String(at.port), ...(spec.kind === 'TCP_RR' ? ['--tcp'] : [])],
  client(spec, at, workDir) {
    const log = join(workDir, `sockperf-${at.port}.csv`)
    const argv = ['sockperf', 'ping-pong', '-i', at.serverIp, '-p', String(at.port), ...(spec.kind === 'TCP_RR' ? ['--tcp'] : [])]
    argv.push('-m', String(spec.size), '-t', String(Math.ceil(spec.durationS + spec.warmupS)), '--full-rtt', '--full-log', log)
    return { argv, files: [log] }
  },
  parse(out, spec) {
    const log = Object.values(out.files)[0]
    if (out.code !== 0 || !log) throw engineError('sockperf', `failed (exit ${out.code})`, out)
    const rows = parseFullLog(log)
    if (rows.length === 0) throw engineError('sockperf', 'no round trips in --full-log', out)
    const first = rows[0] as LogRow
    const cut = first.tx + Math.max(0, spec.warmupS - SOCKPERF_WARMUP_S)
    const kept = rows.filter((r) => r.tx >= cut)
    const measuredS = (kept.at(-1) as LogRow).rx - (kept[0] as LogRow).tx
    const rttUs = kept.map((r) => r.rttUs)
    return {
      metrics: {
        transactions_per_s: kept.length / measuredS,
        latency_mean_us: rttUs.reduce((a, b) => a + b, 0) / rttUs.length,
        latency_p50_us: quantile(rttUs, 0.5),
        latency_p90_us: quantile(rttUs, 0.9),
        latency_p99_us: quantile(rttUs, 0.99),
      },
      histogram: histogramOf(rttUs.map((us) => us * 1000)),
      measuredS,
    }
  },
}

interface LogRow {
  tx: number
  rx: number
  rttUs: number
}

/** "packet, txTime(sec), rxTime(sec), rtt(usec)" rows after sockperf's text preamble. */
export function parseFullLog(text: string): LogRow[] {
  const rows: LogRow[] = []
  let inTable = false
  for (const line of text.split('\n')) {
    if (!inTable) {
      inTable = line.startsWith('packet,')
      continue
    }
    const [, tx, rx, rtt] = line.split(',').map((f) => Number(f.trim()))
    if (tx !== undefined && rx !== undefined && rtt !== undefined && Number.isFinite(rtt)) rows.push({ tx, rx, rttUs: rtt })
  }
  return rows
}
