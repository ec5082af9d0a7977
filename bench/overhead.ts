/**
 * How much does cnibench's own machinery (namespace exec, pinning, the reference probe, CPU and per-process
 * accounting, parsing) change what it measures? On one lab path, interleaved rounds of a sample taken as
 * `cnibench run` takes it against the bare engine run by hand with the same arguments and pinning:
 *   - TCP_STREAM 10K: throughput ratio (goal ≥ 0.97);
 *   - TCP_RR 1K: P50 difference (goal ≤ +1 µs);
 *   - TCP_CRR 1K: connection-rate ratio (goal ≥ 0.97).
 * Usage (root, after a build): node bench/overhead.ts [rounds]. Prints figures and ratios; asserts nothing.
 */
import { CNB_PERF_PATH, type CnbPerfJson } from '../dist/engines/cnb-perf.js'
import { engines } from '../dist/engines/index.js'
import { inNetns } from '../dist/exec/netns.js'
import { startProcess } from '../dist/exec/processes.js'
import { run } from '../dist/exec/run.js'
import { labDir } from '../dist/lab/state.js'
import { histogramQuantile } from '../dist/analysis/histogram.js'
import { join } from 'node:path'
import { figures, fmt, interleave, PIN_CPU, withLab } from './lib.ts'

const rounds = Number(process.argv[2] ?? 7)
const spec = { durationS: 1, warmupS: 0.5, parallel: 1 }
const tests = [['TCP_STREAM', 10240], ['TCP_RR', 1024], ['TCP_CRR', 1024]] as const
const { push, median: m } = figures()

await withLab('calico-bgp', async (lab) => {
  const [client, server] = lab.lab.plan.pods as [(typeof lab.lab.plan.pods)[number], (typeof lab.lab.plan.pods)[number]]
  const raw = await startProcess({ argv: inNetns(server.netns, [CNB_PERF_PATH, 'server', '--port', '7600']), label: 'bench-raw-server', pidDir: join(labDir(lab.lab.name), 'pids') })
  try {
    const items: Record<string, () => Promise<void>> = {}
    for (const [kind, size] of tests) {
      items[`cnibench ${kind}`] = async () => {
        const s = await lab.sample(engines['cnb-perf'], { ...spec, kind, size })
        push(`cnibench ${kind}`, kind === 'TCP_RR' ? (s.metrics['latency_p50_us'] as number) : (s.metrics['throughput_bps'] ?? s.metrics['connections_per_s']) as number)
      }
      items[`raw ${kind}`] = async () => {
        const argv = ['taskset', '-c', String(PIN_CPU), CNB_PERF_PATH, 'client', '--server', server.ip, '--port', '7600', '--test', kind, '--size', String(size)]
        argv.push('--duration', String(spec.durationS), '--warmup', String(spec.warmupS), '--server-cpu', String(PIN_CPU))
        const json = JSON.parse((await run(inNetns(client.netns, argv))).stdout) as CnbPerfJson
        if (kind === 'TCP_STREAM') push(`raw ${kind}`, ((json.server?.bytes ?? 0) * 8) / (json.server?.seconds ?? 1))
        else if (kind === 'TCP_RR') push(`raw ${kind}`, histogramQuantile(new Map(json.histogram?.buckets ?? []), 0.5) / 1000)
        else push(`raw ${kind}`, json.transactions / json.seconds)
      }
    }
    await interleave(rounds, items)
  } finally {
    await raw.stop()
  }
})

console.log(`cnibench's own overhead on calico-bgp pod1 → pod2 (cnb-perf), ${rounds} interleaved rounds (medians)`)
console.log(`TCP_STREAM 10K: raw ${fmt(m('raw TCP_STREAM') / 1e9, 3)} Gbit/s, cnibench ${fmt(m('cnibench TCP_STREAM') / 1e9, 3)} Gbit/s, ratio ${fmt(m('cnibench TCP_STREAM') / m('raw TCP_STREAM'), 3)} (goal ≥ 0.97)`)
console.log(`TCP_RR 1K P50: raw ${fmt(m('raw TCP_RR'))} µs, cnibench ${fmt(m('cnibench TCP_RR'))} µs, difference ${fmt(m('cnibench TCP_RR') - m('raw TCP_RR'))} µs (goal ≤ +1 µs)`)
console.log(`TCP_CRR 1K: raw ${fmt(m('raw TCP_CRR'), 0)} conn/s, cnibench ${fmt(m('cnibench TCP_CRR'), 0)} conn/s, ratio ${fmt(m('cnibench TCP_CRR') / m('raw TCP_CRR'), 3)} (goal ≥ 0.97)`)
