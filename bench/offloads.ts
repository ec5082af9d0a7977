/**
 * What a NIC without tunnel offload does to each datapath: one `cnibench run` measuring host, calico-bgp,
 * flannel-vxlan, calico-crosssubnet and ovs under `--nic-offloads full,no-tunnel-offload`, interleaved, each overhead
 * against the host network under the same profile (CrossSubnet's through the same router). Prints, per datapath and
 * test, the overhead with its 95% CI under each profile; the studies found VXLAN far below the host network on
 * virtual NICs, which `no-tunnel-offload` should show and `full` hides.
 * Usage (root, after a build): node bench/offloads.ts [samples]. Asserts nothing.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fmt } from './lib.ts'

const samples = process.argv[2] ?? '7'
const db = join(mkdtempSync(join(tmpdir(), 'cnibench-bench-')), 'offloads.db')
const cli = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js')
const args = ['run', '--datapaths', 'host,calico-bgp,flannel-vxlan,calico-crosssubnet,ovs', '--tests', 'TCP_STREAM,TCP_RR', '--nic-offloads', 'full,no-tunnel-offload']
args.push('--samples', samples, '--precision', 'off', '--db', db, '--no-report', '--json')
const started = Date.now()
const result = spawnSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 })
if (result.status !== 0) throw new Error(`cnibench run failed (${result.status})`)

interface Overhead { value: number; ci95: [number, number] | null; n: { baseline: number; datapath: number } }
interface Cell { datapath: string; variant: Record<string, string>; test: string; metrics: Record<string, { overhead: Overhead | null }>; latency: { p50Overhead: Overhead | null } | null }
const json = JSON.parse(result.stdout.toString()) as { runId: string; cells: Cell[] }
const text = (o: Overhead | null | undefined) => (o ? `${o.value >= 0 ? '+' : '−'}${fmt(Math.abs(o.value) * 100, 1)}% ±${o.ci95 ? fmt(((o.ci95[1] - o.ci95[0]) / 2) * 100, 1) : '?'} (n ${o.n.baseline}/${o.n.datapath})` : '—')
const overheadOf = (c: Cell | undefined) => (c?.test === 'TCP_STREAM' ? c.metrics['throughput_bps']?.overhead : c?.latency?.p50Overhead)

console.log(`run ${json.runId} (${db}), ${samples} samples per cell, ${((Date.now() - started) / 60000).toFixed(1)} min; overhead against host under the same NIC profile, ± half the 95% CI`)
console.log(`${'datapath'.padEnd(20)} ${'test'.padEnd(11)} ${'full'.padEnd(28)} no-tunnel-offload`)
for (const datapath of ['calico-bgp', 'flannel-vxlan', 'calico-crosssubnet', 'ovs']) {
  for (const test of ['TCP_STREAM', 'TCP_RR']) {
    const cell = (nic: string | undefined) => json.cells.find((c) => c.datapath === datapath && c.test === test && c.variant['nic'] === nic)
    console.log(`${datapath.padEnd(20)} ${test.padEnd(11)} ${text(overheadOf(cell(undefined))).padEnd(28)} ${text(overheadOf(cell('no-tunnel-offload')))}`)
  }
}
