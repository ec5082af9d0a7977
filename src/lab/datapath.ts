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
import { CnibenchError } from '../errors.js'
import type { HostReport } from '../system/doctor.js'
import type { Feature } from '../system/features.js'
import type { LabRuntime } from './runtime.js'
import type { Script } from './script.js'
import type { Addressing, DatapathShape, LabPlan } from './topology.js'

export type Requirement =
  | { kind: 'feature'; feature: Feature }
  | { kind: 'tool'; tool: string }
  /** A file cnibench builds (a BPF object, a C helper): absent when clang was missing at build time. */
  | { kind: 'built'; file: string; what: string }

export const needsFeature = (feature: Feature): Requirement => ({ kind: 'feature', feature })
export const needsTool = (tool: string): Requirement => ({ kind: 'tool', tool })
export const needsBuilt = (file: string, what: string): Requirement => ({ kind: 'built', file, what })

/** A datapath's own knob (`lab up --opt key=value`, or `datapathOptions` in a run config). */
export interface OptionSpec {
  choices: readonly string[]
  default: string
  describe: string
}

/** Resolved option values: every declared key present, no 'auto' left. */
export type DatapathOptions = Readonly<Record<string, string>>

/** Facts stored with every result so runs from different machines stay comparable. */
export interface DatapathFacts {
  /** none | vxlan | ipip | udp | geneve ... */
  encapsulation: string
  /** Which implementation ran, e.g. "kernel vxlan", "eBPF tc IP-in-IP (no ipip module)". */
  implementation: string
  /** What connects the pod to its node: routed veth, bridge, macvlan, ovs... */
  podAttachment: string
  /**
   * Set when the figures rest on something other than the real plugin's usual path, in a few words shown beside the
   * datapath's name wherever its figures are ("userspace": OVS without its kernel module; "eBPF IP-in-IP": Calico's
   * tunnel without the ipip module). Absent when the lab builds what the plugin builds.
   */
  caveat?: string
}

export interface Datapath extends DatapathShape {
  /** Knobs of this datapath, e.g. calico-bgp's `bgp: full-mesh | route-reflector`. */
  options?: Readonly<Record<string, OptionSpec>>
  /** Turn 'auto' choices into what this host can do (e.g. kernel ipip, else eBPF IP-in-IP). */
  resolve?(options: DatapathOptions, host: HostReport): DatapathOptions
  /** kebab-case; equals the file name and the registry key. */
  name: string
  /** One line for tables. */
  summary: string
  /** What the real CNI plugin does, which this datapath reproduces. */
  plugin: string
  /** Packet path in the notation of the Flannel-vs-Calico datapath study, pod1 on node1 to pod2 on node2. */
  packetPath: string
  /** What the kernel and host must provide, for the given (resolved) options. */
  requires: readonly Requirement[] | ((options: DatapathOptions) => readonly Requirement[])
  addressing: Addressing
  /**
   * True when pod packets never cross the node's netfilter hooks (macvlan: the pod's own device on the wire; OVS and
   * a bridge: switched, not routed; Cilium: redirected by eBPF). Policy rules then go in the pod's own namespace, and
   * kube-proxy's rules cannot serve its pods (lab/treatments.ts).
   */
  bypassesNodeNetfilter?: boolean
  facts: DatapathFacts | ((options: DatapathOptions) => DatapathFacts)
  /** Append the wiring steps for `plan` (the underlay and the namespaces already exist). Pure. */
  wire(plan: LabPlan, script: Script): void
  /** Work that needs the live lab (daemons, maps, conditional devices). Runs after `wire`'s steps. */
  start?(plan: LabPlan, runtime: LabRuntime): Promise<void>
  /**
   * For datapaths that switch frames in software the kernel cannot see (OVS): where a frame for `dst` arriving on
   * `device` in `netns` leaves, so `lab path` can follow it. Undefined when `device` is not one of its ports.
   */
  switchFrame?(plan: LabPlan, runDir: string, netns: string, device: string, dst: string): Promise<{ bridge: string; out: string; note: string } | undefined>
  /** Control-plane and datapath state per node for `lab inspect` (BGP peers, BPF counters, OpenFlow flows...). */
  inspect?(plan: LabPlan, runDir: string): Promise<InspectSection[]>
}

/** One table of `lab inspect` output. */
export interface InspectSection {
  node: string
  title: string
  headers: string[]
  rows: string[][]
}

export function requirementsOf(datapath: Datapath, options: DatapathOptions): readonly Requirement[] {
  return typeof datapath.requires === 'function' ? datapath.requires(options) : datapath.requires
}

export function factsOf(datapath: Datapath, options: DatapathOptions): DatapathFacts {
  return typeof datapath.facts === 'function' ? datapath.facts(options) : datapath.facts
}

/**
 * Check `given` against the datapath's declared options (one-line error naming the choices), fill defaults, and let
 * the datapath resolve 'auto' for this host.
 */
export function resolveOptions(datapath: Datapath, given: Readonly<Record<string, string>>, host: HostReport | undefined): DatapathOptions {
  const specs = datapath.options ?? {}
  for (const [key, value] of Object.entries(given)) {
    const spec = specs[key]
    if (!spec) {
      const known = Object.keys(specs)
      throw new CnibenchError('E_USAGE', `datapath ${datapath.name} has no option "${key}"`, {
        hint: known.length > 0 ? `its options are: ${known.join(', ')}` : 'it takes no options',
      })
    }
    if (!spec.choices.includes(value)) {
      throw new CnibenchError('E_USAGE', `option ${key}=${value} is not valid for ${datapath.name}`, { hint: `choose one of: ${spec.choices.join(', ')}` })
    }
  }
  const withDefaults = Object.fromEntries(Object.entries(specs).map(([k, spec]) => [k, given[k] ?? spec.default]))
  return host && datapath.resolve ? datapath.resolve(withDefaults, host) : withDefaults
}
