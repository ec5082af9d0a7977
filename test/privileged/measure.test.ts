/**
 * The measurement engine and the rules around it, for real: cnb-perf runs every test kind end to end in a lab (figures
 * present, histograms pooled, errors counted, failures never zeros), its long-lived server outlives a client killed
 * mid-sample, `--engine` picks per test (stored and shown) and refuses in one line what cannot run; one measurement at
 * a time per machine (a second run waits, refuses with --no-wait, or with --allow-concurrent marks its samples); NIC
 * profiles and the routed baseline are stored, exported and flagged by compare.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { CNB_PERF_PATH } from '../../src/engines/cnb-perf.js'
import { inNetns } from '../../src/exec/netns.js'
import { startProcess } from '../../src/exec/processes.js'
import { run } from '../../src/exec/run.js'
import type { LabView } from '../../src/lab/state.js'
import { ResultStore } from '../../src/store/db.js'
import { cnibench, cnibenchJson, startCnibench, uniqueName } from '../helpers/cli.js'
import { expectLabGone } from '../helpers/leftovers.js'

const tempDir = () => mkdtempSync(join(tmpdir(), 'cnibench-measure-'))
const QUICK = ['--duration', '0.5', '--warmup', '0.2', '--precision', 'off', '--no-report']

interface CellJson {
  datapath: string
  variant: Record<string, string>
  test: string
  engine: string
  samples: number
  excluded: { sampleId: number; reason: string }[]
  metrics: Record<string, { median: number; overhead: { value: number; n: { baseline: number; datapath: number }; method: string } | null }>
  latency: { observations: number; p50: number; p99: number } | null
}
interface RunJson {
  runId: string
  cells: CellJson[]
  testbeds: { key: string; facts: { underlay: string; nicOffloads: { profile: string; devices: Record<string, Record<string, boolean>> } } }[]
}

describe('cnb-perf, the default engine', () => {
  it('runs every test kind end to end: figures present, histograms pooled over samples, UDP loss counted', async () => {
    const db = join(tempDir(), 'r.db')
    const json = await cnibenchJson<RunJson>(['run', '--datapaths', 'calico-bgp', '--tests', 'all', '--samples', '2', ...QUICK, '--db', db, '--json'])
    const of = (datapath: string, test: string) => json.cells.find((c) => c.datapath === datapath && c.test === test) as CellJson
    for (const c of json.cells) expect(c.engine).toBe('cnb-perf')
    expect(of('calico-bgp', 'TCP_STREAM').metrics['throughput_bps']?.median).toBeGreaterThan(1e8)
    expect(of('calico-bgp', 'TCP_STREAM').metrics['throughput_bps']?.overhead?.n).toEqual({ baseline: 2, datapath: 2 })
    const udp = of('calico-bgp', 'UDP_STREAM').metrics
    expect(udp['throughput_bps']?.median).toBeGreaterThan(1e7)
    expect(udp['udp_loss_pct']?.median).toBeGreaterThanOrEqual(0)
    expect(udp['udp_datagrams_sent']?.median).toBeGreaterThanOrEqual(udp['udp_datagrams_received']?.median ?? Infinity)
    for (const test of ['TCP_RR', 'UDP_RR', 'TCP_CRR']) {
      const cell = of('calico-bgp', test)
      const rate = test === 'TCP_CRR' ? 'connections_per_s' : 'transactions_per_s'
      expect(cell.metrics[rate]?.median, test).toBeGreaterThan(100)
      expect(cell.metrics['errors']?.median, test).toBe(0)
      expect(cell.latency?.p99, test).toBeGreaterThanOrEqual(cell.latency?.p50 ?? Infinity)
    }
    // Pooled: the cell's percentiles rest on every transaction of its kept samples, not on an average of them.
    const store = ResultStore.open(db)
    try {
      const rr = store.cells(json.runId).find((c) => c.datapath === 'calico-bgp' && c.test === 'TCP_RR')!
      const excluded = new Set(of('calico-bgp', 'TCP_RR').excluded.map((e) => e.sampleId))
      const kept = store.samples(json.runId).filter((s) => s.cellId === rr.id && !excluded.has(s.id))
      expect(kept).toHaveLength(2)
      const perSample = kept.map((s) => JSON.parse(s.histogram ?? '[]') as [number, number][])
      const total = perSample.flat().reduce((n, [, count]) => n + count, 0)
      expect(of('calico-bgp', 'TCP_RR').latency?.observations).toBe(total)
    } finally {
      store.close()
    }
    const shown = await cnibench(['results', 'show', json.runId, '--db', db])
    expect(shown.stdout).toMatch(/Engines: .*TCP_STREAM cnb-perf/)
  })

  it('keeps serving after a client is killed mid-sample, and fails a refused or unreachable sample with its message', async () => {
    const name = uniqueName('eng')
    const up = await cnibench(['lab', 'up', '--datapath', 'host', '--name', name, '--json'])
    expect(up.code, up.stderr).toBe(0)
    const lab = JSON.parse(up.stdout) as LabView
    const [client, server] = lab.pods as [LabView['pods'][number], LabView['pods'][number]]
    const pidDir = tempDir()
    const perf = await startProcess({ argv: inNetns(server.netns, [CNB_PERF_PATH, 'server', '--port', '7400']), label: 'test-cnb-perf', pidDir })
    try {
      await sleep(300)
      const clientArgs = (test: string, port = 7400) => inNetns(client.netns, [CNB_PERF_PATH, 'client', '--server', server.ip, '--port', String(port), '--test', test, '--size', '1024', '--duration', '0.5'])
      const doomed = await startProcess({ argv: inNetns(client.netns, [CNB_PERF_PATH, 'client', '--server', server.ip, '--port', '7400', '--test', 'TCP_STREAM', '--size', '10240', '--duration', '5']), label: 'test-doomed', pidDir })
      await sleep(500)
      process.kill(doomed.pid, 'SIGKILL')
      await doomed.exited
      const next = await run(clientArgs('TCP_RR'), { allowFailure: true })
      expect(next.code, next.stderr).toBe(0)
      expect((JSON.parse(next.stdout) as { transactions: number }).transactions).toBeGreaterThan(100)

      const refused = await run(clientArgs('TCP_RR', 7401), { allowFailure: true })
      expect(refused.code).toBe(2)
      expect(refused.stderr).toMatch(/cnb-perf: cannot reach the server at .*:7401: Connection refused/)
      const unreachable = await run(inNetns(client.netns, [CNB_PERF_PATH, 'client', '--server', '192.168.250.77', '--port', '7400', '--test', 'TCP_RR', '--size', '64', '--duration', '0.5']), { allowFailure: true })
      expect(unreachable.code).toBe(2)
      expect(unreachable.stderr).toMatch(/cannot reach the server at 192\.168\.250\.77:7400: (No route to host|Connection timed out)/)
    } finally {
      await perf.stop()
      await cnibench(['lab', 'down', name])
      await expectLabGone(name)
    }
  })

  it('takes another engine per test, stores and shows it; refuses an unknown or unavailable one in one line', async () => {
    const dir = tempDir()
    const json = await cnibenchJson<RunJson>(['run', '--datapaths', 'host', '--tests', 'TCP_STREAM,TCP_RR', '--engine', 'TCP_RR=sockperf', '--samples', '1', ...QUICK, '--db', join(dir, 'r.db'), '--json'])
    expect(Object.fromEntries(json.cells.map((c) => [c.test, c.engine]))).toEqual({ TCP_STREAM: 'cnb-perf', TCP_RR: 'sockperf' })
    const shown = await cnibench(['results', 'show', json.runId, '--db', join(dir, 'r.db')])
    expect(shown.stdout).toMatch(/TCP_RR sockperf/)
    for (const [engine, message] of [['TCP_RR=ping', /unknown engine for TCP_RR: "ping"/], ['TCP_CRR=iperf3', /engine iperf3 cannot run TCP_CRR/], ['TCP_RR=netperf', /engine netperf \(asked for TCP_RR\) is not available here/]] as const) {
      const bad = await cnibench(['run', '--datapaths', 'host', '--tests', 'TCP_RR,TCP_CRR', '--engine', engine, '--db', join(dir, 'bad.db')])
      expect(bad.code, engine).not.toBe(0)
      expect(bad.stderr.trim().split('\n'), engine).toHaveLength(1)
      expect(bad.stderr, engine).toMatch(message)
    }
  })
})

describe('one measurement at a time', () => {
  it('a second run waits (saying so) or refuses with --no-wait; --allow-concurrent marks its samples as contended', async () => {
    const dir = tempDir()
    const args = (db: string) => ['run', '--datapaths', 'host', '--tests', 'TCP_RR', '--samples', '3', ...QUICK, '--db', join(dir, db)]
    const first = startCnibench(args('a.db'))
    let firstDone = false
    const firstExit = new Promise<number>((resolve) => first.on('close', (code) => ((firstDone = true), resolve(code ?? -1))))
    await waitForSample(join(dir, 'a.db'))

    const refused = await cnibench([...args('b.db'), '--no-wait'])
    expect(refused.code).toBe(1)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(refused.stderr).toMatch(/another measurement is running on this machine: run r[0-9a-z]{7} \(pid \d+/)

    const contended = await cnibenchJson<RunJson & { warnings: string[] }>([...args('c.db'), '--allow-concurrent', '--samples', '1', '--json'])
    expect(contended.warnings.join('\n')).toMatch(/samples taken while another measurement ran \(contended, kept\)/)

    const waiting = startCnibench(args('d.db'))
    let stderr = ''
    waiting.stderr?.on('data', (b: Buffer) => (stderr += b.toString()))
    const waitingExit = new Promise<number>((resolve) => waiting.on('close', (code) => resolve(code ?? -1)))
    expect(await firstExit).toBe(0)
    expect(await waitingExit).toBe(0)
    expect(stderr).toMatch(/waiting for another measurement to finish: run r[0-9a-z]{7} \(pid \d+/)
    expect(firstDone).toBe(true)
  })
})

describe('lab variants in runs', () => {
  it('measures under each NIC profile, with CrossSubnet\'s baseline through the same router; stores, exports and compares them', async () => {
    const dir = tempDir()
    const db = join(dir, 'r.db')
    const json = await cnibenchJson<RunJson>(['run', '--datapaths', 'calico-crosssubnet,flannel-vxlan', '--tests', 'TCP_RR', '--nic-offloads', 'full,no-tunnel-offload', '--samples', '1', ...QUICK, '--db', db, '--json'])
    const keys = json.cells.map((c) => `${c.datapath}${Object.entries(c.variant).map(([k, v]) => `,${k}=${v}`).join('')}`).sort()
    expect(keys).toEqual([
      'calico-crosssubnet,nic=no-tunnel-offload,underlay=routed',
      'calico-crosssubnet,underlay=routed',
      'flannel-vxlan',
      'flannel-vxlan,nic=no-tunnel-offload',
      'host',
      'host,nic=no-tunnel-offload',
      'host,nic=no-tunnel-offload,underlay=routed',
      'host,underlay=routed',
    ])
    const cross = json.cells.find((c) => c.datapath === 'calico-crosssubnet' && !c.variant['nic'])!
    expect(cross.latency).not.toBeNull()
    const testbed = json.testbeds.find((t) => t.key === 'flannel-vxlan[nic=no-tunnel-offload]')!
    expect(testbed.facts.nicOffloads.profile).toBe('no-tunnel-offload')
    expect(testbed.facts.nicOffloads.devices['node1:eth0']?.['tx-udp_tnl-segmentation']).toBe(false)
    expect(json.testbeds.find((t) => t.key === 'host[underlay=routed]')?.facts.underlay).toBe('routed')

    const shown = await cnibench(['results', 'show', json.runId, '--db', db])
    expect(shown.stdout).toMatch(/NIC offloads no-tunnel-offload/)
    expect(shown.stdout).toMatch(/host \(base, via router\)/)
    const csv = await cnibench(['results', 'export', json.runId, '--format', 'csv', '--db', db])
    expect(csv.stdout).toMatch(/,"\[nic=no-tunnel-offload,underlay=routed\]",/)

    const other = await cnibenchJson<RunJson>(['run', '--datapaths', 'flannel-vxlan', '--tests', 'TCP_RR', '--nic-offloads', 'none', '--samples', '1', ...QUICK, '--db', db, '--json'])
    const compared = await cnibench(['compare', json.runId, other.runId, '--db', db])
    expect(compared.code, compared.stderr).toBe(0)
    expect(compared.stdout).toMatch(/NIC offloads full vs none/)
  })
})

/** Poll the database until a run has at least one sample. */
async function waitForSample(db: string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    await sleep(200)
    try {
      const store = ResultStore.open(db)
      try {
        const [run] = store.listRuns()
        if (run && store.sampleCount(run.id) > 0) return
      } finally {
        store.close()
      }
    } catch {
      // not created yet
    }
  }
  throw new Error('no sample within a minute')
}
