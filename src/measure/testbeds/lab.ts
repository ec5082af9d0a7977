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
import { labDir, ownerAlive, readLabRecord, type LabRecord } from '../../lab/state.js'
import type { LabRequest, PodPlan, Underlay } from '../../lab/topology.js'
import type { CellRecord } from '../../store/db.js'
import type { RunConfig } from '../config.js'
import { foreignLoad, netnsInodes, snapshotProcesses, type ProcessSnapshot } from '../foreign.js'
import { PROBE_PATH } from '../probe.js'
import type { BuiltTestbed, Testbed, TestbedProvider } from '../testbed.js'
import { axisValue, testbedKey, type Placement } from '../tests.js'
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
    const lab = await createLab(request, getDatapath(cell.datapath), { keep: false, ...(this.signal ? { signal: this.signal } : {}) })
    const testbed = await labTestbed(key, lab)
    this.labs.set(key, testbed)
    const paths = await tracedPaths(lab, this.cells.filter((c) => testbedKey(c) === key))
    onBuilt({ key, datapath: cell.datapath, variant: cell.variant, facts: { ...labFacts(lab), paths } })
    await mkdir(workDirOf(lab.name), { recursive: true })
    return testbed
  }

  async close(): Promise<void> {
    for (const { lab } of this.labs.values()) await destroyLab(lab.name)
    this.labs.clear()
  }
}

/** A lab already built, as a testbed (the bench scripts build their own). */
export async function labTestbed(key: string, lab: LabRecord): Promise<Testbed & { lab: LabRecord }> {
  const namespaces = [lab.plan.wireNetns, ...lab.plan.nodes.map((n) => n.netns), ...lab.plan.pods.map((p) => p.netns)]
  // CPU used by processes in the lab's own namespaces is the sample's, not foreign load.
  const ownNetns = await netnsInodes([...new Set(namespaces)])
  const workload = (pod: PodPlan) => new NetnsWorkload(pod, workDirOf(lab.name), join(labDir(lab.name), 'pids'))
  return {
    key,
    lab,
    hasProbe: existsSync(PROBE_PATH),
    endpoints(placement) {
      const [client, server] = endpoints(lab, placement)
      return { client: workload(client), server: workload(server) }
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
    const [client, server] = endpoints(lab, placement)
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

/** Client: the first pod on node1. Server: the first pod on node2 (inter-node) or the second on node1 (intra-node). */
function endpoints(lab: LabRecord, placement: Placement): [PodPlan, PodPlan] {
  const pods = lab.plan.pods
  const client = pods.find((p) => p.node === 'node1')
  const server = placement === 'intra-node' ? pods.filter((p) => p.node === 'node1')[1] : pods.find((p) => p.node === 'node2')
  if (!client || !server) throw new Error(`lab ${lab.name} lacks pods for ${placement}`)
  return [client, server]
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
    podsPerNode: config.placements.includes('intra-node') ? 2 : 1,
    underlayCidr: '192.168.250.0/24',
    podCidr: '10.244.0.0/16',
    underlayMtu: config.mtu,
    options: config.datapathOptions?.[cell.datapath] ?? {},
    underlay: axisValue(cell.variant, 'underlay') as Underlay,
    nicOffloads: axisValue(cell.variant, 'nic'),
  }
}
