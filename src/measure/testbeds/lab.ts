/**
 * Labs as testbeds: one lab per datapath and variant, built when a round first needs it, numbered over all of the
 * run's testbeds so a resume reuses names, its packet paths traced right after the build, removed at the end.
 * Servers' pid files and engine logs live in the lab's own directory, so removing the lab (after success, error,
 * interrupt, or `lab clean` after a kill -9) removes them too.
 */
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { getDatapath } from '../../lab/datapaths/index.js'
import { createLab, destroyLab } from '../../lab/lifecycle.js'
import { tracePath, type StoredPath } from '../../lab/path.js'
import { applyTreatments, type TreatedLab, type Treatments } from '../../lab/treatments.js'
import { labDir, ownerAlive, readLabRecord, type LabRecord } from '../../lab/state.js'
import { measuredPods, type LabRequest, type PodPlan, type Underlay } from '../../lab/topology.js'
import type { CellRecord } from '../../store/db.js'
import type { RunConfig } from '../config.js'
import { foreignLoad, netnsInodes, snapshotProcesses, type ProcessSnapshot } from '../foreign.js'
import { PROBE_PATH } from '../probe.js'
import type { BuiltTestbed, Testbed, TestbedProvider } from '../testbed.js'
import { axisValue, testbedKey, type Placement } from '../tests.js'
import { hasServices, treatmentsOf } from '../treatments.js'
import { NetnsWorkload } from '../workloads/netns.js'

export class LabTestbeds implements TestbedProvider {
  private readonly labs = new Map<string, Testbed & { lab: LabRecord }>()

  constructor(
    private readonly runId: string,
    /** Every cell of the run: numbering and the placements to trace cover all of them, not just a round's. */
    private readonly cells: CellRecord[],
    private readonly config: RunConfig,
    private readonly onLab: (message: string) => void = () => {},
    private readonly signal?: AbortSignal,
  ) {}

  async open(cell: CellRecord, onBuilt: (built: BuiltTestbed) => void): Promise<Testbed> {
    const key = testbedKey(cell)
    const existing = this.labs.get(key)
    if (existing) return existing
    this.onLab(`building ${key}`)
    const index = [...new Set(this.cells.map((c) => testbedKey(c)))].indexOf(key)
    const request = labRequest(this.runId, index, cell, this.config)
    await removeStaleLab(request.name)
    const { testbed, treated } = await buildTestbed(key, request, cell.datapath, treatmentsOf(cell.variant), this.signal)
    const { lab } = testbed
    this.labs.set(key, testbed)
    const paths = await tracedPaths(lab, this.cells.filter((c) => testbedKey(c) === key))
    onBuilt({ key, datapath: cell.datapath, variant: cell.variant, facts: { ...labFacts(lab), ...treated.facts, paths } })
    await mkdir(workDirOf(lab.name), { recursive: true })
    return testbed
  }

  async close(): Promise<void> {
    for (const { lab } of this.labs.values()) await destroyLab(lab.name)
    this.labs.clear()
  }
}

/**
 * Build a lab, load its treatments and check them, as a testbed; a lab that fails its checks is not measured, and is
 * removed before the error propagates. Runs and the bench scripts build testbeds this way.
 */
export async function buildTestbed(key: string, request: LabRequest, datapathName: string, treatments: Treatments, signal?: AbortSignal): Promise<{ testbed: Testbed & { lab: LabRecord }; treated: TreatedLab }> {
  const datapath = getDatapath(datapathName)
  const lab = await createLab(request, datapath, { keep: false, ...(signal ? { signal } : {}) })
  try {
    const treated = await applyTreatments(lab, datapath, treatments, signal)
    return { testbed: await labTestbed(key, lab, treated), treated }
  } catch (error) {
    await destroyLab(lab.name)
    throw error
  }
}

/**
 * A lab already built, as a testbed (buildTestbed builds one). On a lab with a Service, the client aims at
 * the ClusterIP and the servers run on its endpoints; with socket-level load balancing the client runs in the lab's
 * cgroup.
 */
async function labTestbed(key: string, lab: LabRecord, treated: Omit<TreatedLab, 'facts'>): Promise<Testbed & { lab: LabRecord }> {
  const namespaces = [lab.plan.wireNetns, ...lab.plan.nodes.map((n) => n.netns), ...lab.plan.pods.map((p) => p.netns)]
  // CPU used by processes in the lab's own namespaces is the sample's, not foreign load.
  const ownNetns = await netnsInodes([...new Set(namespaces)])
  const workload = (pod: PodPlan, opts: { target?: string; cgroup?: string } = {}) => new NetnsWorkload(pod, workDirOf(lab.name), join(labDir(lab.name), 'pids'), opts)
  const { service } = treated
  return {
    key,
    lab,
    hasProbe: existsSync(PROBE_PATH),
    endpoints(placement) {
      const [client, server] = measuredPods(lab.plan, placement)
      const clientWorkload = workload(client, treated.clientCgroup ? { cgroup: treated.clientCgroup } : {})
      if (!service) return { client: clientWorkload, server: workload(server) }
      return { client: clientWorkload, server: workload(server, { target: service.ip }), backends: service.backends.map((b) => workload(b)) }
    },
    foreign: {
      snapshot: () => snapshotProcesses(),
      between: (before, after) => foreignLoad(before as ProcessSnapshot, after as ProcessSnapshot, ownNetns),
    },
  }
}

/**
 * The packet path between the pods each placement measures, traced from the lab as built and stored with the run, so
 * a report draws what was measured without rebuilding anything. A trace that fails costs the run nothing: the error
 * is stored in the path's place.
 */
async function tracedPaths(lab: LabRecord, cells: CellRecord[]): Promise<StoredPath[]> {
  const paths: StoredPath[] = []
  for (const placement of new Set(cells.map((c) => c.placement as Placement))) {
    const [client, server] = measuredPods(lab.plan, placement)
    try {
      paths.push({ placement, ...(await tracePath(lab, client.name, server.name)) })
    } catch (error) {
      paths.push({ placement, error: error instanceof Error ? error.message : String(error) })
    }
  }
  return paths
}

/** What a lab was built as, stored with the run: underlay, MTUs, implementation, NIC offloads read back per device. */
function labFacts(lab: LabRecord): Record<string, unknown> {
  return {
    lab: lab.name,
    underlay: lab.plan.underlay.kind,
    underlayMtu: lab.plan.underlay.mtu,
    podMtu: lab.plan.podMtu,
    options: lab.plan.options,
    ...lab.facts,
    nicOffloads: lab.offloads ?? null,
  }
}


const workDirOf = (lab: string) => join(labDir(lab), 'work')

/** A lab of this run left by a process that was killed (resume after kill -9) is rebuilt, not reused. */
async function removeStaleLab(name: string): Promise<void> {
  const record = await readLabRecord(name)
  if (record && !(await ownerAlive(record))) await destroyLab(name)
}

/** A lab per testbed, named `<run>-<n>-<datapath>` (cut to the 24 characters a lab name may have). */
function labRequest(runId: string, index: number, cell: CellRecord, config: RunConfig): LabRequest {
  return {
    name: `${runId}-${index + 1}-${cell.datapath}`.slice(0, 24).replace(/-$/, ''),
    nodes: 2,
    // A Services run gives its untreated labs the endpoint pods too, so every point of a curve has the same lab.
    podsPerNode: hasServices(config) || config.placements.includes('intra-node') ? 2 : 1,
    underlayCidr: '192.168.250.0/24',
    podCidr: '10.244.0.0/16',
    underlayMtu: config.mtu,
    options: config.datapathOptions?.[cell.datapath] ?? {},
    underlay: axisValue(cell.variant, 'underlay') as Underlay,
    nicOffloads: axisValue(cell.variant, 'nic'),
  }
}
