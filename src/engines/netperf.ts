/**
 * netperf, where installed (it is not in Debian main): the tool of the bank's bare-metal-vs-VM study, selectable per test (`--engine
 * TCP_CRR=netperf`) and the reference cnb-perf is held against (bench/engines.ts). Omni output with `-k` selectors: key=value lines, machine-readable.
 * Latency percentiles need a netperf built with --enable-histogram (k8s-netperf's build has it); otherwise they
 * print as -1 and are left out. netperf has no warm-up: its figures include the first moments of the test.
 */
import { engineError, type Engine } from './engine.js'

export const NETPERF_SELECTORS = [
  'THROUGHPUT', 'THROUGHPUT_UNITS', 'MIN_LATENCY', 'MAX_LATENCY', 'P50_LATENCY', 'P90_LATENCY', 'P99_LATENCY',
  'MEAN_LATENCY', 'STDDEV_LATENCY', 'TRANSACTION_RATE', 'LOCAL_TRANSPORT_RETRANS', 'PROTOCOL', 'DIRECTION',
  'ELAPSED_TIME', 'REQUEST_SIZE', 'RESPONSE_SIZE', 'LOCAL_SEND_SIZE',
].join(',')

export const netperf: Engine = {
  name: 'netperf',
  requires: { tool: 'netperf' },
  rank: () => 2,
  nativeParallel: false,
  warmup: 'none: netperf has no warm-up phase',
  listensOn: () => 'tcp',
  server: (_spec, at) => ['netserver', '-D', '-4', '-L', at.serverIp, '-p', String(at.port)],
  client(spec, at) {
    const testArgs = spec.kind.endsWith('STREAM') ? ['-m', String(spec.size)] : ['-r', `${spec.size},${spec.size}`]
    return {
      argv: ['netperf', '-H', at.serverIp, '-p', String(at.port), '-l', String(Math.ceil(spec.durationS)), '-t', spec.kind, '--', ...testArgs, '-k', NETPERF_SELECTORS],
    }
  },
  parse(out, spec) {
    const values = parseKeyValues(out.stdout)
    const throughput = Number(values['THROUGHPUT'])
    if (out.code !== 0 || !Number.isFinite(throughput)) throw engineError('netperf', `no THROUGHPUT (exit ${out.code})`, out)
    const measuredS = Number(values['ELAPSED_TIME'] ?? spec.durationS)
    const known = (key: string) => {
      const v = Number(values[key])
      return Number.isFinite(v) && v >= 0 ? v : undefined
    }
    const latency = {
      ...optional('latency_mean_us', known('MEAN_LATENCY')),
      ...optional('latency_p50_us', known('P50_LATENCY')),
      ...optional('latency_p90_us', known('P90_LATENCY')),
      ...optional('latency_p99_us', known('P99_LATENCY')),
    }
    if (spec.kind.endsWith('STREAM')) {
      const units = values['THROUGHPUT_UNITS'] ?? ''
      const scale = units.startsWith('10^9') ? 1e9 : units.startsWith('10^6') ? 1e6 : units.startsWith('10^3') ? 1e3 : 1
      return { metrics: { throughput_bps: throughput * scale, ...optional('retransmits', known('LOCAL_TRANSPORT_RETRANS')) }, measuredS }
    }
    const rate = spec.kind === 'TCP_CRR' ? 'connections_per_s' : 'transactions_per_s'
    return { metrics: { [rate]: throughput, ...latency }, measuredS }
  },
}

/** netperf -k output: one banner line, then KEY=VALUE lines. */
export function parseKeyValues(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (m) values[m[1] as string] = (m[2] as string).trim()
  }
  return values
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>)
}
