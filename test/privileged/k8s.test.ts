/**
 * `cnibench k8s run` end to end against a Kubernetes API server written for the tests (test/helpers/fake-kube.ts),
 * whose pods are bound to a real lab's namespaces so exec runs the real engines over a real datapath: the run lands
 * in the same store as a lab run, with the hostNetwork pair as its baseline, and its overheads compare with a lab run
 * of the same datapath. Failure cases: an unknown node, RBAC forbidden, a pod stuck Pending, an exec dropped
 * mid-sample, Ctrl-C; the namespace is deleted (and waited for) at the end of every one.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDatapath } from '../../src/lab/datapaths/index.js'
import { createLab, destroyLab } from '../../src/lab/lifecycle.js'
import type { LabRecord } from '../../src/lab/state.js'
import { cnibench, cnibenchJson, startCnibench, uniqueName } from '../helpers/cli.js'
import { startFakeKube, type FakeKube, type FakeKubeOptions } from '../helpers/fake-kube.js'

const dir = mkdtempSync(join(tmpdir(), 'cnibench-k8s-'))
const db = join(dir, 'results.db')
const QUICK = ['--duration', '0.5', '--warmup', '0.2', '--precision', 'off', '--no-report', '--db', db]

interface RunJson {
  runId: string
  status: string
  environment: Record<string, unknown>
  testbeds: { key: string; facts: Record<string, unknown> }[]
  cells: { datapath: string; test: string; placement: string; engine: string; samples: number; failed: number; excluded: { reason: string; detail: string }[]; metrics: Record<string, { median: number }>; latency: { p50: number; p50Overhead: { value: number } | null } | null }[]
}

let lab: LabRecord
const fakes: FakeKube[] = []

async function fake(extra: Partial<FakeKubeOptions> = {}): Promise<{ kube: FakeKube; kubeconfig: string }> {
  const kube = await startFakeKube({ lab, ...extra })
  fakes.push(kube)
  const kubeconfig = join(dir, `kubeconfig-${fakes.length}`)
  writeFileSync(kubeconfig, kube.kubeconfig())
  return { kube, kubeconfig }
}

beforeAll(async () => {
  lab = await createLab({ name: uniqueName('k8s'), nodes: 2, podsPerNode: 2, underlayCidr: '192.168.250.0/24', podCidr: '10.244.0.0/16', underlayMtu: 1500 }, getDatapath('calico-bgp'), { keep: false })
}, 120_000)

afterAll(async () => {
  for (const f of fakes) await f.close()
  if (lab) await destroyLab(lab.name)
})

describe('cnibench k8s run', () => {
  it('measures the pod-to-Service path through the ClusterIP with the stateless engine (TCP_RR and TCP_CRR only)', async () => {
    const { kubeconfig } = await fake()
    // A database of its own: the other tests count the runs in theirs.
    const own = ['--duration', '0.5', '--warmup', '0.2', '--precision', 'off', '--no-report', '--db', join(dir, 'service.db')]
    const run = await cnibenchJson<RunJson>(['k8s', 'run', '--kubeconfig', kubeconfig, '--paths', 'pod-service', '--tests', 'TCP_STREAM,TCP_RR,TCP_CRR', '--samples', '2', ...own, '--json'])
    const service = run.cells.filter((c) => c.datapath === 'pod-service')
    expect(service.map((c) => c.test).sort()).toEqual(['TCP_CRR', 'TCP_RR'])
    for (const c of service) {
      expect(c.engine).toBe('cnb-perf-direct')
      expect(c.failed).toBe(0)
      expect(c.samples).toBeGreaterThanOrEqual(1)
    }
    expect(service.find((c) => c.test === 'TCP_CRR')?.metrics['connections_per_s']?.median).toBeGreaterThan(100)
  })

  it('measures pod-to-pod against the hostNetwork pair through the API, stores it like a lab run, and deletes its namespace', async () => {
    const { kube, kubeconfig } = await fake()
    const run = await cnibenchJson<RunJson>(['k8s', 'run', '--kubeconfig', kubeconfig, '--paths', 'pod', '--placement', 'inter-node,intra-node', '--tests', 'TCP_RR', '--samples', '4', ...QUICK, '--json'])
    expect(run.status).toBe('complete')
    expect(run.environment['kind']).toBe('kubernetes')
    expect(run.environment['cni']).toMatch(/^Calico \(calico\/node/)
    expect(run.environment['kubernetesVersion']).toBe('v1.31.0-cnibench-fake')
    const cell = (datapath: string, placement = 'inter-node') => run.cells.find((c) => c.datapath === datapath && c.placement === placement)!
    // Four kept samples each, or fewer where the disturbance rule excluded more than the run could re-take. Here the
    // test's API server, its exec streams and cnibench share the pods' two CPUs, and a probe beside a sample reads a
    // dip about one time in five (against one in twenty in a lab run, where cnibench keeps off the sample's CPU).
    for (const c of [cell('host'), cell('pod'), cell('pod', 'intra-node')]) expect(c.samples, JSON.stringify({ cell: `${c.datapath} ${c.placement}`, failed: c.failed, excluded: c.excluded })).toBeGreaterThanOrEqual(2)
    expect(cell('host').latency?.p50).toBeGreaterThan(0)
    // CPU per node without Prometheus: the client's node and, across nodes, the server's, with softirq on its own.
    expect(cell('pod').metrics['cpu_softirq_cores']?.median).toBeGreaterThanOrEqual(0)
    expect(cell('pod').metrics['server_cpu_busy_cores']?.median).toBeGreaterThan(0)
    expect(cell('pod', 'intra-node').metrics['server_cpu_busy_cores']).toBeUndefined() // one node: read once
    const clusterOverhead = cell('pod').latency?.p50Overhead?.value as number
    expect(Number.isFinite(clusterOverhead)).toBe(true)
    const facts = run.testbeds.find((t) => t.key === 'pod')!.facts
    expect(facts['serverNode']).toBeTruthy()
    expect(facts['podMtu']).toBe(1500) // calico-bgp's pod MTU in the lab the pods were bound to
    expect(facts['cniMode']).toMatch(/ipipMode Never, vxlanMode Never/)
    const agent = (facts['cniAgent'] as Record<string, Record<string, { memoryMiB: number }>>)[facts['serverNode'] as string]!
    expect(Object.values(agent)[0]?.memoryMiB).toBe(150)
    const node = (facts['nodeFacts'] as Record<string, { nodeMtu: number; machine: string; nicOffloads: unknown }>)[facts['clientNode'] as string]!
    expect(node.nodeMtu).toBe(1500)
    expect(typeof node.nicOffloads).toBe('object')
    expect(kube.namespaces()).toEqual([])

    // The same datapath as a lab run: the pods of the cluster run sat on a calico-bgp lab, so the overheads agree.
    // Unpinned, as cluster pods always are: a pinned lab run's round trips stay on one CPU and compare less closely.
    const labRun = await cnibenchJson<RunJson>(['run', '--datapaths', 'calico-bgp', '--tests', 'TCP_RR', '--samples', '3', '--pin', 'none', ...QUICK, '--json'])
    const labOverhead = labRun.cells.find((c) => c.datapath === 'calico-bgp')?.latency?.p50Overhead?.value as number
    expect(node.machine).toBe(labRun.environment['virtualization']) // the pods sat on this machine: the same answer from inside them
    expect(Math.abs(clusterOverhead - labOverhead)).toBeLessThan(0.25)
    const compared = await cnibench(['results', 'list', '--db', db, '--json'])
    expect(JSON.parse(compared.stdout).map((r: { kind: string }) => r.kind).sort()).toEqual(['k8s', 'lab'])
  })

  it('a re-run into a namespace still terminating from an earlier run waits for it, then runs', async () => {
    const { kube, kubeconfig } = await fake()
    kube.terminating('cnibench-fixed', 2500)
    const result = await cnibench(['k8s', 'run', '--kubeconfig', kubeconfig, '-n', 'cnibench-fixed', '--paths', 'pod', '--tests', 'TCP_RR', '--samples', '1', ...QUICK])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toMatch(/namespace cnibench-fixed is still terminating from an earlier run; waiting until it is gone/)
    expect(kube.namespaces()).toEqual([])
  })

  it('never deletes a namespace it did not create', async () => {
    const { kube, kubeconfig } = await fake()
    kube.leftover('team-prod')
    const refused = await cnibench(['k8s', 'run', '--kubeconfig', kubeconfig, '-n', 'team-prod', '--paths', 'pod', '--tests', 'TCP_RR', '--samples', '1', ...QUICK])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/namespace team-prod already exists; give another -n/)
    expect(kube.namespaces()).toEqual(['team-prod'])
  })

  it('an unknown node and an RBAC refusal each get a one-line error naming what to fix', async () => {
    const { kubeconfig } = await fake()
    const unknown = await cnibench(['k8s', 'run', '--kubeconfig', kubeconfig, '--server-node', 'nosuch', ...QUICK])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1)
    expect(unknown.stderr).toMatch(/node "nosuch" does not exist; choose from: node1, node2/)
    const forbidden = await fake({ forbid: { verb: 'create', resource: 'pods' } })
    const refused = await cnibench(['k8s', 'run', '--kubeconfig', forbidden.kubeconfig, '--paths', 'pod', '--tests', 'TCP_RR', '--samples', '1', ...QUICK])
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/forbidden to create pod server: .*cannot create resource "pods".*deploy\/rbac\.yaml/)
    expect(forbidden.kube.namespaces()).toEqual([])
  })

  it('a pod stuck Pending times out naming the pod and its last event', async () => {
    const { kube, kubeconfig } = await fake({ startDelayMs: 3_600_000 })
    const stuck = await cnibench(['k8s', 'run', '--kubeconfig', kubeconfig, '--paths', 'pod', '--tests', 'TCP_RR', '--samples', '1', ...QUICK], { env: { ...process.env, CNIBENCH_K8S_POD_TIMEOUT_S: '2' } })
    expect(stuck.code).not.toBe(0)
    expect(stuck.stderr).toMatch(/pod cnibench-\w+\/server is Pending after 2 s \(last event /)
    expect(kube.namespaces()).toEqual([])
  })

  it('an exec dropped mid-sample stores the sample as failed and the run goes on', async () => {
    const { kubeconfig } = await fake({ dropExec: /cnb-perf client .*TCP_STREAM/ })
    const run = await cnibenchJson<RunJson>(['k8s', 'run', '--kubeconfig', kubeconfig, '--paths', 'pod', '--tests', 'TCP_STREAM,TCP_RR', '--samples', '1', ...QUICK, '--json'])
    expect(run.status).toBe('complete')
    const stream = run.cells.find((c) => c.datapath === 'pod' && c.test === 'TCP_STREAM')!
    expect(stream.failed).toBeGreaterThanOrEqual(1) // stored as failed (and re-tried in later rounds, failing again)
    expect(stream.samples).toBe(0)
    expect(run.cells.find((c) => c.datapath === 'pod' && c.test === 'TCP_RR')!.samples).toBe(1)
  })

  it('`k8s clean` removes namespaces a killed run left, by their run label', async () => {
    const { kube, kubeconfig } = await fake()
    kube.leftover('cnibench-leftover') // labelled like a run's namespace, as a kill -9 leaves it
    kube.terminating('cnibench-going', 1500) // and one already terminating: a second delete is a conflict, waited out
    const cleaned = await cnibench(['k8s', 'clean', '--kubeconfig', kubeconfig])
    expect(cleaned.code, cleaned.stderr).toBe(0)
    expect(cleaned.stdout).toMatch(/removed cnibench-leftover, cnibench-going/)
    expect(kube.namespaces()).toEqual([])
  })

  it('Ctrl-C deletes the namespace before exiting', async () => {
    const { kube, kubeconfig } = await fake()
    const child = startCnibench(['k8s', 'run', '--kubeconfig', kubeconfig, '--paths', 'pod', '--tests', 'TCP_RR', '--samples', '20', ...QUICK])
    const exited = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)))
    const deadline = Date.now() + 60_000
    while (kube.namespaces().length === 0 && Date.now() < deadline) await sleep(100)
    await sleep(3000)
    child.kill('SIGINT')
    expect(await exited).toBe(130)
    expect(kube.namespaces()).toEqual([])
  })
})
