/**
 * Policy and Services at scale, the claim of the Calico-vs-Cilium study in two pairs, measured in one run:
 *   - policy on calico-bgp: a linear iptables list against an eBPF hash map, at N = 0 and 10,000 rules: TCP_STREAM 10K
 *     throughput ratio (N = 10,000 over N = 0: linear iptables fell to ~0.04 here with 10 KB writes, ~6× with
 *     iptables' 128 KB ones in the kernel notes; eBPF stayed flat) and TCP_RR 1K P50 round-trip difference
 *     (~+250 µs for the linear list: ~+110 µs each way);
 *   - Services on calico-bgp: kube-proxy's iptables mode against its nftables mode, at N = 0 (client to the pod) and
 *     10,000 Services: TCP_CRR 1K connection-rate ratio (iptables-legacy fell to ~0.55, nftables ~0.87).
 * Last run here: stream ratio 0.037 (iptables-legacy) vs 0.972 (eBPF), P50 +256 µs vs +0.2 µs; conn/s ratio 0.541 vs
 * 0.865.
 * Usage (root, after a build): node bench/scale.ts [rounds]. Prints figures and ratios; asserts nothing.
 */
import { engines } from '../dist/engines/index.js'
import { SERVICE_PORT } from '../dist/measure/servers.js'
import type { Treatments } from '../dist/lab/treatments.js'
import { figures, fmt, interleave, withLab, type Sampler } from './lib.ts'

const rounds = Number(process.argv[2] ?? 5)
const N = 10_000
const spec = { durationS: 1, warmupS: 0.5, parallel: 1 }
const { push, median: m } = figures()

// One untreated lab is N = 0 for both pairs: its streams and round trips for policy, its connection rate for Services.
const labs: [string, Treatments][] = [
  ['none', {}],
  ['policy iptables-legacy', { policy: { impl: 'iptables-legacy', rules: N, establishedFirst: false } }],
  ['policy ebpf', { policy: { impl: 'ebpf', rules: N, establishedFirst: false } }],
  ['services iptables-legacy', { services: { proxy: 'iptables-legacy', services: N, port: SERVICE_PORT } }],
  ['services nftables', { services: { proxy: 'nftables', services: N, port: SERVICE_PORT } }],
]

/** Build every lab (nested, so all are up at once and every one is removed), then interleave their samples. */
async function withLabs(i: number, samplers: Record<string, Sampler>): Promise<void> {
  const entry = labs[i]
  if (!entry) return measure(samplers)
  const [name, treatments] = entry
  process.stderr.write(`building ${name}\n`)
  await withLab('calico-bgp', (s) => withLabs(i + 1, { ...samplers, [name]: s }), { treatments })
}

async function measure(s: Record<string, Sampler>): Promise<void> {
  const items: Record<string, () => Promise<void>> = {}
  for (const name of labs.map(([n]) => n)) {
    const sampler = s[name] as Sampler
    if (!name.startsWith('services')) {
      items[`${name} stream`] = async () => push(`${name} stream`, (await sampler.sample(engines['cnb-perf'], { ...spec, kind: 'TCP_STREAM', size: 10240 })).metrics['throughput_bps'])
      items[`${name} rr`] = async () => push(`${name} rr`, (await sampler.sample(engines['cnb-perf'], { ...spec, kind: 'TCP_RR', size: 1024 })).metrics['latency_p50_us'])
    }
    if (!name.startsWith('policy')) {
      items[`${name} crr`] = async () => push(`${name} crr`, (await sampler.sample(engines['cnb-perf-direct'], { ...spec, kind: 'TCP_CRR', size: 1024 })).metrics['connections_per_s'])
    }
  }
  await interleave(rounds, items)
}

await withLabs(0, {})

console.log(`policy and Services at N = 0 and ${N.toLocaleString('en-US')} on calico-bgp, ${rounds} interleaved rounds (medians)`)
for (const impl of ['iptables-legacy', 'ebpf']) {
  const ratio = m(`policy ${impl} stream`) / m('none stream')
  console.log(`policy ${impl}: TCP_STREAM 10K ${fmt(m('none stream') / 1e9)} → ${fmt(m(`policy ${impl} stream`) / 1e9)} Gbit/s, ratio ${fmt(ratio, 3)}; TCP_RR 1K P50 ${fmt(m('none rr'))} → ${fmt(m(`policy ${impl} rr`))} µs, difference ${fmt(m(`policy ${impl} rr`) - m('none rr'))} µs`)
}
for (const proxy of ['iptables-legacy', 'nftables']) {
  console.log(`services ${proxy}: TCP_CRR 1K ${fmt(m('none crr'), 0)} → ${fmt(m(`services ${proxy} crr`), 0)} conn/s, ratio ${fmt(m(`services ${proxy} crr`) / m('none crr'), 3)}`)
}
console.log(`linear iptables against eBPF at ${N}: throughput ratio ${fmt(m('policy iptables-legacy stream') / m('policy ebpf stream'), 3)}; kube-proxy iptables against nftables: connection-rate ratio ${fmt(m('services iptables-legacy crr') / m('services nftables crr'), 3)}`)
