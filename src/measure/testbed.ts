/**
 * What a run measures on. A testbed is one datapath and variant, built once and used by every cell that names it: it
 * gives the client and server workloads for a placement, accounts the CPU other programs use meanwhile, and is closed
 * at the end. A provider builds testbeds as the rounds first need them: labs on this host (testbeds/lab.ts), or a
 * cluster's pods created through the Kubernetes API (k8s/cluster.ts).
 */
import type { CellRecord } from '../store/db.js'
import type { ForeignLoad } from './foreign.js'
import type { Placement } from './tests.js'
import type { Workload } from './workload.js'

export interface Testbed {
  readonly key: string
  /** Client and server of a placement; `backends`: a Service's endpoints, where the server stands behind one. */
  endpoints(placement: Placement): { client: Workload; server: Workload; backends?: readonly Workload[] }
  /**
   * CPU used by programs that are not part of this testbed, between two snapshots (foreign load); absent where it
   * cannot be read (a cluster node's other pods), and then not recorded rather than recorded as zero.
   */
  readonly foreign?: ForeignLoadMeter
  /** Whether the reference probe can run in its client workloads. */
  readonly hasProbe: boolean
}

export interface ForeignLoadMeter {
  snapshot(): Promise<unknown>
  between(before: unknown, after: unknown): ForeignLoad
}

/** A testbed just built: what the run stores about it (what it was built as, the traced packet paths). */
export interface BuiltTestbed {
  key: string
  datapath: string
  variant: CellRecord['variant']
  facts: Record<string, unknown>
}

export interface TestbedProvider {
  /** The testbed `cell` is measured on, built on first use (`onBuilt` then hears what to store about it). */
  open(cell: CellRecord, onBuilt: (built: BuiltTestbed) => void): Promise<Testbed>
  /** Remove every testbed this provider built. */
  close(): Promise<void>
}
