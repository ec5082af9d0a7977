/**
 * The contract every datapath module fulfils. A datapath is one file in ./datapaths exporting one `Datapath` object;
 * registering it in ./datapaths/index.ts is the only other change needed to add one.
 *
 * A datapath describes itself (for `cnibench datapaths`, doctor and stored results), declares what it needs from the
 * kernel and the host, and wires a planned lab in two phases:
 *  - `wire` appends iproute2/sysctl steps to a Script: pure, so it can be unit-tested and shown by --dry-run;
 *  - `start` (optional) does what needs a live lab: daemons (BIRD, flanneld-udp, OVS), BPF maps filled from the
 *    ifindexes the kernel chose, devices that may or may not pre-exist.
 * Everything it creates must live inside the lab's namespaces or its run directory, so teardown is generic.
 */
import type { Feature } from '../system/features.js'
import type { LabRuntime } from './runtime.js'
import type { Script } from './script.js'
import type { Addressing, DatapathShape, LabPlan } from './topology.js'

export type Requirement = { kind: 'feature'; feature: Feature } | { kind: 'tool'; tool: string }

export const needsFeature = (feature: Feature): Requirement => ({ kind: 'feature', feature })
export const needsTool = (tool: string): Requirement => ({ kind: 'tool', tool })

/** Facts stored with every result so runs from different machines stay comparable. */
export interface DatapathFacts {
  /** none | vxlan | ipip | udp | geneve ... */
  encapsulation: string
  /** Which implementation ran, e.g. "kernel vxlan", "eBPF tc IP-in-IP (no ipip module)". */
  implementation: string
  /** What connects the pod to its node: routed veth, bridge, macvlan, ovs... */
  podAttachment: string
}

export interface Datapath extends DatapathShape {
  /** kebab-case; equals the file name and the registry key. */
  name: string
  /** One line for tables. */
  summary: string
  /** What the real CNI plugin does, which this datapath reproduces. */
  plugin: string
  /** Seed-style packet path, pod1 on node1 to pod2 on node2. */
  packetPath: string
  requires: readonly Requirement[]
  addressing: Addressing
  facts: DatapathFacts
  /** Append the wiring steps for `plan` (the underlay and the namespaces already exist). Pure. */
  wire(plan: LabPlan, script: Script): void
  /** Work that needs the live lab (daemons, maps, conditional devices). Runs after `wire`'s steps. */
  start?(plan: LabPlan, runtime: LabRuntime): Promise<void>
}
