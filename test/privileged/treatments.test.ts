/**
 * Policy and Service variants on real labs: for every policy implementation at a small N a listed port is really
 * dropped and an unlisted one passes; for every proxy the Service's address reaches both endpoints; a run stores its
 * curves; nothing is left (rules live in the lab's namespaces, the socket-LB cgroup and the BPF programs
 * go) after success, an error, Ctrl-C, and kill -9 followed by `lab clean`; a bad N or implementation gets one line.
 */
import { existsSync, mkdtempSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { listNetns } from '../../src/exec/netns.js'
import { cgroup2Root } from '../../src/lab/cgroup.js'
import { getDatapath } from '../../src/lab/datapaths/index.js'
import { policyImpls } from '../../src/lab/policy/names.js'
import { UNLISTED_PORT, listedPort } from '../../src/lab/policy/policy.js'
import { tryConnect } from '../../src/lab/reach.js'
import { proxyImpls } from '../../src/lab/services/names.js'
import { readLabRecord } from '../../src/lab/state.js'
import { applyTreatments, policyTarget } from '../../src/lab/treatments.js'
import { measuredPods } from '../../src/lab/topology.js'
import { mergeConfig } from '../../src/measure/config.js'
import { SERVICE_PORT } from '../../src/measure/servers.js'
import { LabTestbeds } from '../../src/measure/testbeds/lab.js'
import type { CellRecord } from '../../src/store/db.js'
import { cnibench, cnibenchJson, startCnibench } from '../helpers/cli.js'
import { launchBrowser, openWatched, screenshot } from '../helpers/browser.js'
import { withLab } from '../helpers/labs.js'
import { ResultStore } from '../../src/store/db.js'

const tempDir = () => mkdtempSync(join(tmpdir(), 'cnibench-treat-'))

/** Cgroups cnibench made (cnibench-<lab>) that still exist. */
async function ourCgroups(): Promise<string[]> {
  const root = await cgroup2Root()
  return root ? (await readdir(root)).filter((e) => e.startsWith('cnibench-')) : []
}

describe('policy variants', () => {
  it.each(policyImpls)('%s at N = 20: the last listed port is dropped, an unlisted one passes, on the forward path', async (impl) => {
    await withLab('pol', ['--datapath', 'calico-bgp'], async (view) => {
      const lab = await readLabRecord(view.name)
      if (!lab) throw new Error('no lab record')
      const datapath = getDatapath('calico-bgp')
      const treated = await applyTreatments(lab, datapath, { policy: { impl, rules: 20, establishedFirst: false } })
      const target = policyTarget(lab.plan, datapath)
      expect(target.hook).toBe('forward')
      const [client] = measuredPods(lab.plan, 'inter-node')
      // Checked here again, independently of the checks applyTreatments made before returning.
      expect(await tryConnect(client.netns, target.podIp, listedPort(19), 1000)).toBe('timeout')
      expect(await tryConnect(client.netns, target.podIp, listedPort(0), 1000)).toBe('timeout')
      expect(await tryConnect(client.netns, target.podIp, UNLISTED_PORT, 1000)).toBe('refused')
      expect(await tryConnect(client.netns, target.podIp, listedPort(20), 1000)).toBe('refused') // one past the list
      expect(treated.facts['policy']).toMatchObject({ impl, rules: 20, check: { listed: 'timeout', unlisted: 'refused' } })
      expect((treated.facts['policy'] as { loadSeconds: number }).loadSeconds).toBeGreaterThan(0)
    })
  })

  it('goes in the pod\'s own namespace where pod packets skip the node\'s netfilter (macvlan), and still drops', async () => {
    await withLab('polmv', ['--datapath', 'macvlan'], async (view) => {
      const lab = (await readLabRecord(view.name)) as NonNullable<Awaited<ReturnType<typeof readLabRecord>>>
      const treated = await applyTreatments(lab, getDatapath('macvlan'), { policy: { impl: 'nft', rules: 5, establishedFirst: true } })
      expect(treated.facts['policy']).toMatchObject({ placement: expect.stringMatching(/server pod's own namespace/), check: { listed: 'timeout' } })
    })
  })
})

describe('Service variants', () => {
  it.each(proxyImpls)('%s with 20 Services: the last one reaches both endpoints', async (proxy) => {
    await withLab('svc', ['--datapath', 'calico-bgp', '--pods-per-node', '2'], async (view) => {
      const lab = (await readLabRecord(view.name)) as NonNullable<Awaited<ReturnType<typeof readLabRecord>>>
      const treated = await applyTreatments(lab, getDatapath('calico-bgp'), { services: { proxy, services: 20, port: SERVICE_PORT } })
      const facts = treated.facts['services'] as { balance: Record<string, number>; backends: string[]; clusterIp: string }
      expect(facts.backends).toHaveLength(2)
      expect(Object.keys(facts.balance).sort()).toEqual([...facts.backends].sort())
      expect(Object.values(facts.balance).reduce((a, b) => a + b, 0)).toBe(200)
      expect(Math.min(...Object.values(facts.balance))).toBeGreaterThanOrEqual(50) // each endpoint a quarter at least
      expect(facts.clusterIp).toBe('10.96.0.29')
      if (proxy === 'ebpf-socket') expect(await ourCgroups()).toContain(`cnibench-${view.name}`)
      else expect(treated.clientCgroup).toBeUndefined()
    })
    expect(await ourCgroups()).toEqual([])
  })

  it('a lab that fails its check is removed with everything it made, and the error is one line', async () => {
    // ebpf-tc cannot serve macvlan pods (the planner refuses it); forced here, the balance check must catch it.
    const config = mergeConfig({ datapaths: ['macvlan'], tests: ['TCP_CRR'] })
    const cell = { id: 1, runId: 'rtest01', key: 'k', datapath: 'macvlan', variant: { services: 'ebpf-socket:3' }, test: 'TCP_CRR', size: 64, parallel: 1, placement: 'inter-node', engine: 'cnb-perf-direct', engineVersion: '', context: {} } as CellRecord
    const broken = { ...cell, variant: { services: 'ebpf-tc:3' } }
    const testbeds = new LabTestbeds('rtest01', [cell, broken], config)
    try {
      await expect(testbeds.open(broken, () => {})).rejects.toThrow(/on macvlan: endpoint \S+ took 0 of 200 connections/)
      expect((await listNetns()).filter((ns) => ns.startsWith('cnb-rtest01-2'))).toEqual([])
      // The socket-LB lab of the same run builds, makes its cgroup, and close() removes both.
      await testbeds.open(cell, () => {})
      expect(await ourCgroups()).toEqual(['cnibench-rtest01-1-macvlan'])
    } finally {
      await testbeds.close()
    }
    expect(await ourCgroups()).toEqual([])
    expect((await listNetns()).filter((ns) => ns.startsWith('cnb-rtest01'))).toEqual([])
  })
})

describe('doctor', () => {
  it('probes the netfilter back ends, ipset, IPVS and cgroup v2 by trying them, with a reason for what is missing', async () => {
    const doctor = await cnibenchJson<{ features: { feature: string; available: boolean; reason: string }[] }>(['doctor', '--json'])
    const feature = (name: string) => doctor.features.find((f) => f.feature === name)
    for (const name of ['iptables', 'nftables', 'ipset', 'cgroup2']) expect(feature(name)?.available, name).toBe(true)
    const ipvs = feature('ipvs')
    expect(ipvs).toBeDefined()
    if (!ipvs?.available) expect(ipvs?.reason).toMatch(/no IPVS here \(CONFIG_IP_VS\), needed for kube-proxy's IPVS mode/)
  })
})

describe('cnibench run with treatments', () => {
  const SERVICES = ['--datapaths', 'calico-bgp', '--tests', 'TCP_CRR', '--services', '0,5', '--proxy', 'ebpf-socket,iptables-legacy', '--duration', '0.5', '--warmup', '0', '--precision', 'off', '--no-report']

  it('stores treated cells and their curves, and leaves no namespace or cgroup', async () => {
    const db = join(tempDir(), 'results.db')
    const json = await cnibenchJson<{ runId: string; testbeds: { key: string; facts: Record<string, unknown> }[]; curves: { axis: string; metric: string; lines: { implementation: string; points: { n: number; value: number }[] }[] }[] }>(['run', ...SERVICES, '--samples', '2', '--db', db, '--json'])
    const curve = json.curves.find((c) => c.metric === 'connections_per_s')
    expect(curve?.axis).toBe('services')
    expect(curve?.lines.map((l) => l.implementation).sort()).toEqual(['ebpf-socket', 'iptables-legacy'])
    for (const line of curve?.lines ?? []) {
      expect(line.points.map((p) => p.n)).toEqual([0, 5])
      expect(line.points.every((p) => p.value > 100)).toBe(true)
    }
    const socket = json.testbeds.find((t) => t.key === 'calico-bgp[services=ebpf-socket:5]')
    expect(socket?.facts['services']).toMatchObject({ proxy: 'ebpf-socket', services: 5, clusterIp: '10.96.0.14' })
    expect((await listNetns()).filter((ns) => ns.startsWith(`cnb-${json.runId}`))).toEqual([])
    expect(await ourCgroups()).toEqual([])

    // The curves as a person sees them: the report's scale section in Chromium, charts drawn, nothing fetched.
    const html = join(tempDir(), 'report.html')
    const report = await cnibench(['report', json.runId, '--db', db, '--html', html])
    expect(report.code, report.stderr).toBe(0)
    const browser = await launchBrowser()
    try {
      const { page, errors, requests } = await openWatched(browser)
      await page.goto(`file://${html}`)
      const section = page.locator(`h2[id="${json.runId}-scale"]`)
      expect(await section.textContent()).toBe('Policy and Services at scale')
      expect(await page.locator('h3', { hasText: 'connections/s against Services' }).count()).toBe(1)
      // One chart per curve (TCP_CRR: connections/s, P50, P99), each with a line per proxy in its legend.
      const scaleCharts = (await page.evaluate("[...document.querySelectorAll('h3')].filter((h) => h.textContent.includes('against Services')).map((h) => h.nextElementSibling?.querySelector('svg')?.textContent ?? '')")) as string[]
      expect(scaleCharts).toHaveLength(3)
      for (const svg of scaleCharts) expect(svg).toMatch(/ebpf-socket[\s\S]*iptables-legacy|iptables-legacy[\s\S]*ebpf-socket/)
      await section.scrollIntoViewIfNeeded()
      await screenshot(page, 'report-services-scale')
      expect(errors).toEqual([])
      expect(requests).toEqual([`file://${html}`])
    } finally {
      await browser.close()
    }
  })

  it('Ctrl-C in a run with socket LB leaves no cgroup; kill -9 leaves one that `lab clean` removes', async () => {
    for (const signal of ['SIGINT', 'SIGKILL'] as const) {
      const db = join(tempDir(), 'results.db') // one each: the second must wait for a sample of its own
      const child = startCnibench(['run', ...SERVICES, '--proxy', 'ebpf-socket', '--samples', '3', '--db', db])
      const exited = new Promise<void>((resolve) => child.on('close', () => resolve()))
      await waitFor(async () => (await ourCgroups()).length > 0 && (await sampleCount(db)) > 0)
      child.kill(signal)
      await exited
      if (signal === 'SIGKILL') {
        expect(await ourCgroups()).not.toEqual([])
        const clean = await cnibenchJson<{ cgroups: string[] }>(['lab', 'clean', '--json'])
        expect(clean.cgroups.length).toBeGreaterThan(0)
      }
      expect(await ourCgroups()).toEqual([])
      expect((await listNetns()).filter((ns) => ns.startsWith('cnb-r'))).toEqual([])
    }
  })

  it('a bad count or an unknown implementation gets a one-line error naming the fix', async () => {
    for (const [args, message] of [
      [['--policy-rules', '10,many', '--policy-impl', 'nft'], /--policy-rules item "many" must be a whole number from 0 to 16,000/],
      [['--policy-rules', '10', '--policy-impl', 'bpfilter'], /--policy-impl item "bpfilter" must be one of/],
      [['--services', '10', '--proxy', 'ipvs'], /--proxy item "ipvs" must be one of iptables-legacy/],
      [['--services', '10'], /--services needs --proxy/],
    ] as const) {
      const result = await cnibench(['run', '--datapaths', 'calico-bgp', ...args, '--db', join(tempDir(), 'r.db')])
      expect(result.code, result.stderr).toBe(2)
      expect(result.stderr).toMatch(message)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
    }
  })
})

async function sampleCount(db: string): Promise<number> {
  if (!existsSync(db)) return 0
  try {
    const store = ResultStore.open(db)
    try {
      return store.listRuns().reduce((n, r) => n + store.samples(r.id).length, 0)
    } finally {
      store.close()
    }
  } catch {
    return 0 // the run is still creating the file
  }
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(200)) if (await condition()) return
  throw new Error('timed out waiting')
}
