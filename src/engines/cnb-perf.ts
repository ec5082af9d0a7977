/**
 * cnb-perf (tools/cnb-perf.c), cnibench's own engine for every test of the netperf matrix and the default for each:
 * netperf's semantics, a tight loop with no allocation or formatting while measuring, and a long-lived server that
 * forks a session per sample, so a sample costs its duration and warm-up, not a tool's start-up. Its command line and
 * JSON are documented in docs/engine.md (cluster mode runs the same binary in pods).
 */
import { histogramMean, histogramQuantile, type LatencyHistogram } from '../analysis/histogram.js'
import { toolBinaryPath } from '../system/paths.js'
import { engineError, parseJsonOutput, type Engine, type EngineResult } from './engine.js'

export const CNB_PERF_PATH = toolBinaryPath('cnb-perf')

/** One sample's output: the client's view, and the server session's report of the measured window. */
export interface CnbPerfJson {
  engine: 'cnb-perf'
  version: number
  test: string
  seconds: number
  transactions: number
  errors: number
  bytes_sent: number
  datagrams_sent: number
  retransmits?: number
  server: { seconds?: number; bytes?: number; datagrams?: number; first_seq?: number; last_seq?: number } | null
  histogram?: { base: number; unit: string; buckets: [number, number][] }
}

export const cnbPerf: Engine = {
  name: 'cnb-perf',
  requires: { builtFile: CNB_PERF_PATH },
  rank: () => 0,
  nativeParallel: false,
  longLived: true,
  warmup: 'traffic flows during the warm-up; the measured window starts after it (receiver counts between marks)',
  listensOn: () => 'tcp',
  server: (_spec, at) => [CNB_PERF_PATH, 'server', '--bind', at.serverIp, '--port', String(at.port)],
  client(spec, at) {
    const argv = [CNB_PERF_PATH, 'client', '--server', at.serverIp, '--port', String(at.port), '--test', spec.kind, '--size', String(spec.size)]
    argv.push('--duration', String(spec.durationS), '--warmup', String(spec.warmupS))
    if (spec.serverCpu !== undefined) argv.push('--server-cpu', String(spec.serverCpu))
    if (spec.kind === 'UDP_STREAM' && spec.udpRateBps) argv.push('--rate', String(spec.udpRateBps))
    return { argv }
  },
  parse(out, spec) {
    const json = parseJsonOutput<CnbPerfJson>('cnb-perf', out)
    if (json.engine !== 'cnb-perf' || json.version !== 1) throw engineError('cnb-perf', `unexpected output version ${json.version}`, out)
    if (spec.kind === 'TCP_STREAM' || spec.kind === 'UDP_STREAM') return streamResult(json, out)
    return transactionResult(json, spec.kind, out)
  },
}

/** Throughput is what the receiver got in the measured window; UDP loss is counted from sequence numbers there. */
function streamResult(json: CnbPerfJson, out: Parameters<Engine['parse']>[0]): EngineResult {
  const server = json.server
  if (out.code !== 0 || !server?.seconds || server.bytes === undefined) throw engineError('cnb-perf', `the server reported no measured window (exit ${out.code})`, out)
  if (server.bytes === 0) throw engineError('cnb-perf', 'the receiver got nothing in the measured window', out)
  const throughput = (server.bytes * 8) / server.seconds
  if (json.test === 'UDP_STREAM') {
    const expected = (server.last_seq ?? 0) - (server.first_seq ?? 0)
    const received = server.datagrams ?? 0
    const lost = Math.max(0, expected - received)
    return {
      metrics: {
        throughput_bps: throughput,
        sender_bps: (json.bytes_sent * 8) / json.seconds,
        udp_datagrams_sent: expected,
        udp_datagrams_received: received,
        udp_loss_pct: expected > 0 ? (lost / expected) * 100 : 0,
        errors: json.errors,
      },
      measuredS: server.seconds,
    }
  }
  return {
    metrics: { throughput_bps: throughput, sender_bps: (json.bytes_sent * 8) / json.seconds, ...(json.retransmits === undefined ? {} : { retransmits: json.retransmits }) },
    measuredS: server.seconds,
  }
}

function transactionResult(json: CnbPerfJson, kind: string, out: Parameters<Engine['parse']>[0]): EngineResult {
  if (out.code !== 0 || json.transactions === 0) throw engineError('cnb-perf', `no transaction completed (${json.errors} errors, exit ${out.code})`, out)
  if (json.histogram?.base !== 1.01 || json.histogram.unit !== 'ns') throw engineError('cnb-perf', 'unexpected histogram format', out)
  const histogram: LatencyHistogram = new Map(json.histogram.buckets)
  const us = (ns: number) => ns / 1000
  const rate = kind === 'TCP_CRR' ? 'connections_per_s' : 'transactions_per_s'
  return {
    metrics: {
      [rate]: json.transactions / json.seconds,
      errors: json.errors,
      latency_mean_us: us(histogramMean(histogram)),
      latency_p50_us: us(histogramQuantile(histogram, 0.5)),
      latency_p90_us: us(histogramQuantile(histogram, 0.9)),
      latency_p99_us: us(histogramQuantile(histogram, 0.99)),
    },
    histogram,
    measuredS: json.seconds,
  }
}
