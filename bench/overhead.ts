/**
 * How much does cnibench's own machinery (namespace exec, pinning, CPU accounting, parsing) change what it measures?
 * On one lab path, interleaved rounds of:
 *   - TCP_STREAM: cnibench's sample vs a raw `iperf3 -J` with the same arguments → ratio (goal ≥ 0.97);
 *   - TCP_RR: cnibench's P50 vs a raw `sockperf ping-pong` P50 with the same pinning → difference (goal ≤ +1 µs);
 *   - TCP_CRR: the cnb-crr engine vs a Node connect loop (the engine cnibench does not use, and why) → ratio.
 * Run as root after a build: `node bench/overhead.ts [rounds]`. Prints the figures and the ratios; no pass/fail.
 */
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { median } from '../dist/analysis/stats.js'
import { CNB_CRR_PATH } from '../dist/engines/cnb-crr.js'
import { engines } from '../dist/engines/index.js'
import { inNetns } from '../dist/exec/netns.js'
import { startProcess } from '../dist/exec/processes.js'
import { run } from '../dist/exec/run.js'
import { getDatapath } from '../dist/lab/datapaths/index.js'
import { createLab, destroyLab } from '../dist/lab/lifecycle.js'
import { labDir } from '../dist/lab/state.js'
import { measureSample } from '../dist/measure/sample.js'

const rounds = Number(process.argv[2] ?? 5)
const cpu = availableParallelism() - 1
const lab = await createLab(
  { name: `bench-${process.pid}`, nodes: 2, podsPerNode: 1, underlayCidr: '192.168.250.0/24', podCidr: '10.244.0.0/16', underlayMtu: 1500 },
  getDatapath('calico-bgp'),
  { keep: false },
)
const [client, server] = lab.plan.pods as [(typeof lab.plan.pods)[number], (typeof lab.plan.pods)[number]]
const dir = labDir(lab.name)
let port = 30_000

try {
  const rows = { stream: { raw: [] as number[], cnibench: [] as number[] }, rr: { raw: [] as number[], cnibench: [] as number[] }, crr: { node: [] as number[], engine: [] as number[] } }
  for (let round = 1; round <= rounds; round++) {
    rows.stream.raw.push(await rawIperf3())
    rows.stream.cnibench.push((await sample('TCP_STREAM', 10240, undefined)).metrics['throughput_bps'] as number)
    rows.rr.raw.push(await rawSockperfP50())
    rows.rr.cnibench.push((await sample('TCP_RR', 1024, cpu)).metrics['latency_p50_us'] as number)
    rows.crr.engine.push((await sample('TCP_CRR', 1024, cpu)).metrics['connections_per_s'] as number)
    rows.crr.node.push(await nodeConnectLoop())
    process.stderr.write(`round ${round}/${rounds} done\n`)
  }
  const m = (xs: number[]) => median(xs)
  console.log(`cnibench overhead on calico-bgp pod1 → pod2, ${rounds} interleaved rounds (medians)`)
  console.log(`TCP_STREAM 10K: raw iperf3 ${(m(rows.stream.raw) / 1e9).toFixed(3)} Gbit/s, cnibench ${(m(rows.stream.cnibench) / 1e9).toFixed(3)} Gbit/s, ratio ${(m(rows.stream.cnibench) / m(rows.stream.raw)).toFixed(3)} (goal ≥ 0.97)`)
  console.log(`TCP_RR 1K p50: raw sockperf ${m(rows.rr.raw).toFixed(2)} µs, cnibench ${m(rows.rr.cnibench).toFixed(2)} µs, difference ${(m(rows.rr.cnibench) - m(rows.rr.raw)).toFixed(2)} µs (goal ≤ +1 µs)`)
  console.log(`TCP_CRR 1K: Node connect loop ${m(rows.crr.node).toFixed(0)} conn/s, cnb-crr ${m(rows.crr.engine).toFixed(0)} conn/s, ratio ${(m(rows.crr.engine) / m(rows.crr.node)).toFixed(2)}`)
} finally {
  await destroyLab(lab.name)
}

async function sample(kind: 'TCP_STREAM' | 'TCP_RR' | 'TCP_CRR', size: number, pinCpu: number | undefined) {
  const engine = kind === 'TCP_STREAM' ? engines.iperf3 : kind === 'TCP_RR' ? engines.sockperf : engines['cnb-crr']
  port += 3
  return measureSample({
    engine,
    spec: { kind, size, durationS: 2, warmupS: 0, parallel: 1 },
    client,
    server,
    port,
    pinCpu,
    workDir: dir,
    pidDir: join(dir, 'pids'),
    iteration: 1,
  })
}

async function withServer<T>(argv: string[], body: () => Promise<T>): Promise<T> {
  const proc = await startProcess({ argv: inNetns(server.netns, argv), label: `bench-server-${port}`, pidDir: join(dir, 'pids') })
  try {
    await new Promise((r) => setTimeout(r, 300))
    return await body()
  } finally {
    await proc.stop()
  }
}

async function rawIperf3(): Promise<number> {
  port += 3
  return withServer(['iperf3', '-s', '-1', '-p', String(port)], async () => {
    const out = await run(inNetns(client.netns, ['iperf3', '-c', server.ip, '-p', String(port), '-t', '2', '-O', '0', '-l', '10240', '-P', '1', '-J']))
    return JSON.parse(out.stdout).end.sum_received.bits_per_second as number
  })
}

async function rawSockperfP50(): Promise<number> {
  port += 3
  const pin = ['taskset', '-c', String(cpu)]
  return withServer([...pin, 'sockperf', 'server', '--tcp', '-i', server.ip, '-p', String(port)], async () => {
    const out = await run(inNetns(client.netns, [...pin, 'sockperf', 'ping-pong', '--tcp', '-i', server.ip, '-p', String(port), '-m', '1024', '-t', '2', '--full-rtt']))
    return Number(/percentile 50\.000 =\s*([\d.]+)/.exec(out.stdout)?.[1])
  })
}

/** The same connect/request/response/close loop as cnb-crr, written in Node and run in the client pod. */
async function nodeConnectLoop(): Promise<number> {
  port += 3
  const script = `
    const net = require('node:net'); const req = Buffer.alloc(1024, 120); let n = 0; const end = Date.now() + 2000
    function one() {
      if (Date.now() >= end) { console.log(n / 2); return }
      const s = net.connect(${port}, '${server.ip}', () => s.write(req)); let got = 0
      s.on('data', (b) => { got += b.length }); s.on('end', () => { if (got >= 1024) n++; s.end(); one() }); s.on('error', () => one())
    }
    one()`
  return withServer(['taskset', '-c', String(cpu), CNB_CRR_PATH, 'server', server.ip, String(port), '1024'], async () => {
    const out = await run(inNetns(client.netns, ['taskset', '-c', String(cpu), process.execPath, '-e', script]))
    return Number(out.stdout.trim())
  })
}

