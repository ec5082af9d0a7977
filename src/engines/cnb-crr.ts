/**
 * cnb-crr (tools/cnb-crr.c, built with clang) for TCP_CRR where netperf is absent: one TCP connection per
 * transaction, timed from socket() to close, histogram in cnibench's own log buckets.
 */
import { histogramMean, histogramQuantile, type LatencyHistogram } from '../analysis/histogram.js'
import { toolBinaryPath } from '../system/paths.js'
import { engineError, type Engine } from './engine.js'

export const CNB_CRR_PATH = toolBinaryPath('cnb-crr')

interface CrrJson {
  transactions: number
  errors: number
  seconds: number
  histogram: { base: number; unit: string; buckets: [number, number][] }
}

export const cnbCrr: Engine = {
  name: 'cnb-crr',
  requires: { builtFile: CNB_CRR_PATH },
  rank: (test) => (test === 'TCP_CRR' ? 1 : undefined),
  nativeParallel: false,
  warmup: 'connections made during the warm-up are not counted',
  listensOn: () => 'tcp',
  server: (spec, at) => [CNB_CRR_PATH, 'server', at.serverIp, String(at.port), String(spec.size)],
  client: (spec, at) => ({
    argv: [CNB_CRR_PATH, 'client', at.serverIp, String(at.port), String(spec.size), String(spec.durationS), String(spec.warmupS)],
  }),
  parse(out) {
    let json: CrrJson
    try {
      json = JSON.parse(out.stdout) as CrrJson
    } catch {
      throw engineError('cnb-crr', `output is not JSON (exit ${out.code})`, out)
    }
    if (out.code !== 0 || json.transactions === 0) throw engineError('cnb-crr', 'no transaction completed', out)
    if (json.histogram.base !== 1.01 || json.histogram.unit !== 'ns') throw engineError('cnb-crr', 'unexpected histogram format', out)
    const histogram: LatencyHistogram = new Map(json.histogram.buckets)
    const us = (ns: number) => ns / 1000
    return {
      metrics: {
        connections_per_s: json.transactions / json.seconds,
        latency_mean_us: us(histogramMean(histogram)),
        latency_p50_us: us(histogramQuantile(histogram, 0.5)),
        latency_p90_us: us(histogramQuantile(histogram, 0.9)),
        latency_p99_us: us(histogramQuantile(histogram, 0.99)),
      },
      histogram,
      measuredS: json.seconds,
    }
  },
}
