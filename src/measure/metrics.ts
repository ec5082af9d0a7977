/**
 * Every metric cnibench records, with its unit and which direction is better, so analysis can compute overhead
 * against the baseline with the right sign: (base − x) / base where higher is better (throughput, rates) and
 * (x − base) / base where lower is better (latency, CPU cost). Positive overhead always means "costs more".
 */

export type Better = 'higher' | 'lower' | 'neither'

export interface MetricInfo {
  unit: string
  better: Better
  label: string
}

export const metricCatalog = {
  throughput_bps: { unit: 'bit/s', better: 'higher', label: 'throughput (receiver)' },
  retransmits: { unit: 'count', better: 'lower', label: 'TCP retransmits' },
  udp_loss_pct: { unit: '%', better: 'lower', label: 'UDP loss' },
  jitter_us: { unit: 'µs', better: 'lower', label: 'UDP jitter' },
  sender_bps: { unit: 'bit/s', better: 'neither', label: 'rate the sender sent at' },
  udp_datagrams_sent: { unit: 'count', better: 'neither', label: 'UDP datagrams sent in the measured window' },
  udp_datagrams_received: { unit: 'count', better: 'neither', label: 'UDP datagrams received in the measured window' },
  errors: { unit: 'count', better: 'lower', label: 'failed transactions (lost UDP request/response, failed connection)' },
  transactions_per_s: { unit: '1/s', better: 'higher', label: 'transactions per second' },
  connections_per_s: { unit: '1/s', better: 'higher', label: 'connections per second' },
  latency_mean_us: { unit: 'µs', better: 'lower', label: 'mean round-trip latency' },
  latency_p50_us: { unit: 'µs', better: 'lower', label: 'P50 round-trip latency' },
  latency_p90_us: { unit: 'µs', better: 'lower', label: 'P90 round-trip latency' },
  latency_p99_us: { unit: 'µs', better: 'lower', label: 'P99 round-trip latency' },
  cpu_busy_cores: { unit: 'cores', better: 'lower', label: 'CPU busy (all modes, the client\'s machine: this host in a lab, the client node in a cluster)' },
  cpu_user_cores: { unit: 'cores', better: 'neither', label: 'CPU in user mode' },
  cpu_system_cores: { unit: 'cores', better: 'neither', label: 'CPU in kernel mode' },
  cpu_softirq_cores: { unit: 'cores', better: 'neither', label: 'CPU in softirq' },
  cpu_irq_cores: { unit: 'cores', better: 'neither', label: 'CPU in hardirq' },
  cpu_steal_cores: { unit: 'cores', better: 'neither', label: 'CPU stolen by the hypervisor' },
  server_cpu_busy_cores: { unit: 'cores', better: 'lower', label: 'CPU busy on the server\'s node (cluster runs, all modes)' },
  server_cpu_user_cores: { unit: 'cores', better: 'neither', label: 'CPU in user mode on the server\'s node' },
  server_cpu_system_cores: { unit: 'cores', better: 'neither', label: 'CPU in kernel mode on the server\'s node' },
  server_cpu_softirq_cores: { unit: 'cores', better: 'neither', label: 'CPU in softirq on the server\'s node' },
  cpu_s_per_gbit: { unit: 'CPU·s/Gbit', better: 'lower', label: 'CPU per Gbit (service demand)' },
  cpu_us_per_transaction: { unit: 'CPU·µs/trans', better: 'lower', label: 'CPU per transaction (service demand)' },
  load_avg_1m: { unit: '', better: 'neither', label: '1-minute load average at start' },
  foreign_cpu_cores: { unit: 'cores', better: 'neither', label: 'CPU used by other programs during the sample' },
} as const satisfies Record<string, MetricInfo>

export type MetricName = keyof typeof metricCatalog

export const metricInfo = (name: string): MetricInfo =>
  (metricCatalog as Record<string, MetricInfo>)[name] ?? { unit: '', better: 'neither', label: name }

/** Overhead of `value` against `base` as a fraction; positive = worse than the baseline. */
export function overhead(metric: string, base: number, value: number): number {
  const better = metricInfo(metric).better
  if (better === 'higher') return (base - value) / base
  if (better === 'lower') return (value - base) / base
  return Number.NaN
}

/** The rate each test is about (at most one is present in a sample): streams, request/response, connections. */
export const rateMetrics = ['throughput_bps', 'transactions_per_s', 'connections_per_s'] as const satisfies readonly MetricName[]

/** The name of the rate metric present in `metrics`, if any. */
export function rateMetricOf(metrics: Readonly<Record<string, unknown>>): (typeof rateMetrics)[number] | undefined {
  return rateMetrics.find((m) => metrics[m] !== undefined)
}
