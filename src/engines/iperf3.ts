/**
 * iperf3 for TCP_STREAM and UDP_STREAM: `-J` JSON, receiver-side throughput, TCP retransmits, UDP loss and jitter.
 * Warm-up is iperf3's own `--omit`: those seconds are sent but left out of every figure.
 */
import { engineError, parseJsonOutput, type Engine } from './engine.js'

interface Iperf3Json {
  error?: string
  end?: {
    sum_sent?: { bytes: number; seconds: number; bits_per_second: number; retransmits?: number }
    sum_received?: { bytes: number; seconds: number; bits_per_second: number }
    sum?: { bits_per_second: number; seconds: number; jitter_ms?: number; lost_percent?: number }
  }
}

export const iperf3: Engine = {
  name: 'iperf3',
  requires: { tool: 'iperf3' },
  rank: (test) => (test === 'TCP_STREAM' || test === 'UDP_STREAM' ? 1 : undefined),
  nativeParallel: true,
  warmup: 'iperf3 --omit: warm-up seconds are sent and excluded',
  listensOn: () => 'tcp',
  server: (_spec, at) => ['iperf3', '-s', '-1', '-B', at.serverIp, '-p', String(at.port)],
  client(spec, at) {
    const argv = ['iperf3', '-c', at.serverIp, '-p', String(at.port), '-t', String(Math.ceil(spec.durationS)), '-O', String(Math.ceil(spec.warmupS))]
    argv.push('-l', String(spec.size), '-P', String(spec.parallel), '-J')
    // Unlimited unless paced: as fast as the path takes, like netperf.
    if (spec.kind === 'UDP_STREAM') argv.push('-u', '-b', String(spec.udpRateBps ?? 0))
    return { argv }
  },
  parse(out, spec) {
    const json = parseJsonOutput<Iperf3Json>('iperf3', out)
    if (json.error) throw engineError('iperf3', json.error, out)
    const received = json.end?.sum_received
    if (out.code !== 0 || !received) throw engineError('iperf3', `no receiver summary (exit ${out.code})`, out)
    if (spec.kind === 'UDP_STREAM') {
      const sum = json.end?.sum
      return {
        metrics: {
          throughput_bps: received.bits_per_second,
          ...(sum?.lost_percent === undefined ? {} : { udp_loss_pct: sum.lost_percent }),
          ...(sum?.jitter_ms === undefined ? {} : { jitter_us: sum.jitter_ms * 1000 }),
        },
        measuredS: received.seconds,
      }
    }
    const retransmits = json.end?.sum_sent?.retransmits
    return {
      metrics: { throughput_bps: received.bits_per_second, ...(retransmits === undefined ? {} : { retransmits }) },
      measuredS: received.seconds,
    }
  },
}
