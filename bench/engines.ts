/**
 * Engine fidelity: cnb-perf, cnibench's default engine, against the tools it replaces, on one lab path (calico-bgp
 * pod1 → pod2), pinned as runs pin, in interleaved rounds, each engine driven exactly as `cnibench run` drives it:
 *   - TCP_STREAM 10K: cnb-perf / iperf3 (target ≥ 1.15×) and / netperf where installed (target ≥ 0.97×);
 *   - UDP_STREAM 1K paced to a rate the sender sustains: receiver rate and loss against iperf3's (target within 3%);
 *   - TCP_RR and UDP_RR 1K: P50 and P99 against sockperf's (target: P50 within 1 µs), and netperf's where installed;
 *   - TCP_CRR 1K: against netperf where installed (target within ±3%);
 *   - wall time per sample of each engine, against duration + warm-up (target for request/response: ≤ +0.3 s).
 * Usage (root, after a build): node bench/engines.ts [rounds]. Prints figures and ratios; asserts nothing.
 */
import { engines } from '../dist/engines/index.js'
import type { Engine } from '../dist/engines/engine.js'
import { probeHost } from '../dist/system/doctor.js'
import type { TestKind } from '../dist/measure/tests.js'
import { fmt, interleave, median, withLab } from './lib.ts'

const rounds = Number(process.argv[2] ?? 7)
const DURATION = 1
const WARMUP = 0.5
const UDP_RATE = 300e6 // bits/s: below what one pinned sender of 1 KB datagrams sustains here, so neither engine is CPU-bound

const host = await probeHost()
const netperfInstalled = host.tools.some((t) => t.tool === 'netperf' && t.available)
const candidates: [string, Engine, TestKind, number][] = [
  ['cnb-perf TCP_STREAM', engines['cnb-perf'], 'TCP_STREAM', 10240],
  ['iperf3 TCP_STREAM', engines.iperf3, 'TCP_STREAM', 10240],
  ['cnb-perf UDP_STREAM', engines['cnb-perf'], 'UDP_STREAM', 1024],
  ['iperf3 UDP_STREAM', engines.iperf3, 'UDP_STREAM', 1024],
  ['cnb-perf TCP_RR', engines['cnb-perf'], 'TCP_RR', 1024],
  ['sockperf TCP_RR', engines.sockperf, 'TCP_RR', 1024],
  ['cnb-perf UDP_RR', engines['cnb-perf'], 'UDP_RR', 1024],
  ['sockperf UDP_RR', engines.sockperf, 'UDP_RR', 1024],
  ['cnb-perf TCP_CRR', engines['cnb-perf'], 'TCP_CRR', 1024],
  ...(netperfInstalled
    ? (['TCP_STREAM', 'TCP_RR', 'UDP_RR', 'TCP_CRR'] as const).map((k) => [`netperf ${k}`, engines.netperf, k, k === 'TCP_STREAM' ? 10240 : 1024] as [string, Engine, TestKind, number])
    : []),
]

type Figures = { rate: number[]; p50: number[]; p99: number[]; loss: number[]; wall: number[]; failed: number }
const figures = new Map<string, Figures>(candidates.map(([name]) => [name, { rate: [], p50: [], p99: [], loss: [], wall: [], failed: 0 }]))

await withLab('calico-bgp', async (lab) => {
  const items = Object.fromEntries(
    candidates.map(([name, engine, kind, size]) => [
      name,
      async () => {
        const f = figures.get(name) as Figures
        try {
          const s = await lab.sample(engine, { kind, size, durationS: DURATION, warmupS: WARMUP, parallel: 1, ...(kind === 'UDP_STREAM' ? { udpRateBps: UDP_RATE } : {}) })
          const m = s.metrics
          f.rate.push(m['throughput_bps'] ?? m['transactions_per_s'] ?? m['connections_per_s'] ?? Number.NaN)
          if (m['latency_p50_us'] !== undefined) f.p50.push(m['latency_p50_us'])
          if (m['latency_p99_us'] !== undefined) f.p99.push(m['latency_p99_us'])
          if (m['udp_loss_pct'] !== undefined) f.loss.push(m['udp_loss_pct'])
          f.wall.push(s.wallS)
        } catch (error) {
          f.failed++
          process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`)
        }
      },
    ]),
  )
  await interleave(rounds, items)
})

const m = (name: string, key: keyof Omit<Figures, 'failed'>) => median(figures.get(name)?.[key] ?? [])
console.log(`engine fidelity on calico-bgp pod1 → pod2, pinned to one CPU, ${rounds} interleaved rounds, ${DURATION} s samples after ${WARMUP} s warm-up (medians)`)
console.log(`TCP_STREAM 10K: cnb-perf ${fmt(m('cnb-perf TCP_STREAM', 'rate') / 1e9, 3)} Gbit/s, iperf3 ${fmt(m('iperf3 TCP_STREAM', 'rate') / 1e9, 3)} Gbit/s → ratio ${fmt(m('cnb-perf TCP_STREAM', 'rate') / m('iperf3 TCP_STREAM', 'rate'), 3)} (target ≥ 1.15)`)
console.log(`UDP_STREAM 1K at ${UDP_RATE / 1e6} Mbit/s: receiver rate cnb-perf/iperf3 ${fmt(m('cnb-perf UDP_STREAM', 'rate') / m('iperf3 UDP_STREAM', 'rate'), 3)} (target 0.97–1.03); loss cnb-perf ${fmt(m('cnb-perf UDP_STREAM', 'loss'), 2)}% vs iperf3 ${fmt(m('iperf3 UDP_STREAM', 'loss'), 2)}%`)
for (const kind of ['TCP_RR', 'UDP_RR']) {
  const [mine, ref] = [`cnb-perf ${kind}`, `sockperf ${kind}`]
  console.log(`${kind} 1K: P50 cnb-perf ${fmt(m(mine, 'p50'))} µs vs sockperf ${fmt(m(ref, 'p50'))} µs → ${fmt(m(mine, 'p50') - m(ref, 'p50'))} µs (target |Δ| ≤ 1); P99 ${fmt(m(mine, 'p99'))} vs ${fmt(m(ref, 'p99'))} µs; rate ratio ${fmt(m(mine, 'rate') / m(ref, 'rate'), 3)}`)
}
if (netperfInstalled) {
  console.log(`netperf: TCP_STREAM ratio ${fmt(m('cnb-perf TCP_STREAM', 'rate') / m('netperf TCP_STREAM', 'rate'), 3)} (target ≥ 0.97), TCP_CRR ratio ${fmt(m('cnb-perf TCP_CRR', 'rate') / m('netperf TCP_CRR', 'rate'), 3)} (target 0.97–1.03), TCP_RR P50 Δ ${fmt(m('cnb-perf TCP_RR', 'p50') - m('netperf TCP_RR', 'p50'))} µs, UDP_RR P50 Δ ${fmt(m('cnb-perf UDP_RR', 'p50') - m('netperf UDP_RR', 'p50'))} µs`)
} else {
  console.log('netperf: not installed here (it is not in Debian main), so no netperf comparison in this run')
}
console.log(`TCP_CRR 1K: cnb-perf ${fmt(m('cnb-perf TCP_CRR', 'rate'), 0)} conn/s`)
console.log(`wall time per sample (measured ${DURATION} s + warm-up ${WARMUP} s = ${DURATION + WARMUP} s; target for request/response ≤ ${DURATION + WARMUP + 0.3} s):`)
for (const [name] of candidates) console.log(`  ${name.padEnd(22)} ${fmt(m(name, 'wall'))} s${figures.get(name)?.failed ? ` (${figures.get(name)?.failed} failed)` : ''}`)
