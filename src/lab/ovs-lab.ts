/**
 * What the two OVS datapaths share: pods on a flat subnet, OVS per node with the node's eth0 as uplink port, the
 * OpenFlow rules, and flow counters for `lab inspect`.
 */
import { inNetns } from '../exec/netns.js'
import { run } from '../exec/run.js'
import { addPort, flowStats, nodeOvs, podFlows, setFlows, startOvs, UPLINK_PORT, type NodeOvs } from './control/ovs.js'
import { needsFeature, needsTool, type DatapathOptions, type InspectSection, type Requirement } from './datapath.js'
import type { LabRuntime } from './runtime.js'
import type { LabPlan, PodPlan } from './topology.js'
import type { HostReport } from '../system/doctor.js'

export function resolveOvsDatapath(options: DatapathOptions, host: HostReport): DatapathOptions {
  if (options['datapath'] !== 'auto') return options
  const kernel = host.features.find((f) => f.feature === 'openvswitch')?.available ?? false
  return { ...options, datapath: kernel ? 'system' : 'netdev' }
}

export function ovsRequirements(options: DatapathOptions): Requirement[] {
  return [needsFeature('veth'), needsTool('ovs-vswitchd'), ...(options['datapath'] === 'system' ? [needsFeature('openvswitch')] : [])]
}

export const podsOf = (plan: LabPlan, node: string): PodPlan[] => plan.pods.filter((p) => p.node === node)

/**
 * Start OVS on every node, attach `ports(node)` plus eth0 as the uplink, install the flows. The userspace
 * datapath with AF_PACKET ports runs with userspace TSO, so senders keep their offloads (packet sockets otherwise
 * never complete a checksum left to offload). Its AF_XDP ports cannot take offloaded packets at all, so with them the
 * pods' transmit checksum offload is turned off (what the OVS AF_XDP guide prescribes).
 */
export async function startOvsLab(
  plan: LabPlan,
  runtime: LabRuntime,
  ports: (node: string) => { device: string; ofport: number; pods: PodPlan[] }[],
): Promise<void> {
  const type = plan.options['datapath'] === 'system' ? 'system' : 'netdev'
  const portType = type === 'netdev' && plan.options['ports'] !== 'afpacket' ? (plan.options['ports'] as string) : 'system'
  for (const node of plan.nodes) {
    const ovs = await startOvs(node, runtime, type, type === 'netdev' && portType === 'system')
    const nodePorts = ports(node.name)
    for (const port of nodePorts) await addPort(ovs, port.device, port.ofport, portType)
    await addPort(ovs, 'eth0', UPLINK_PORT, portType)
    const portOf = (ip: string) => nodePorts.find((p) => p.pods.some((pod) => pod.ip === ip))?.ofport ?? UPLINK_PORT
    await setFlows(ovs, podFlows(podsOf(plan, node.name).map((p) => p.ip), portOf))
    if (portType !== 'system') for (const pod of podsOf(plan, node.name)) await run(inNetns(pod.netns, ['ethtool', '-K', 'eth0', 'tx', 'off']))
  }
}

/** Follow br-int's flows for a frame to `dst` arriving on `device` (see Datapath.switchFrame). */
export async function ovsSwitchFrame(plan: LabPlan, runDir: string, netns: string, device: string, dst: string) {
  const node = plan.nodes.find((n) => n.netns === netns)
  if (!node) return undefined
  const ovs = nodeOvs(runDir, node)
  const table = JSON.parse(await ovs.vsctl(['--format=json', '--columns=name,ofport', 'list', 'interface'])) as { data: [string, number][] }
  const ports = new Map(table.data.map(([name, ofport]) => [name, ofport]))
  if (!ports.has(device)) return undefined
  const flows = await flowStats(ovs)
  const match = flows.find((f) => f.flow.includes(`nw_dst=${dst} `) || f.flow.includes(`nw_dst=${dst},`)) ?? flows.find((f) => /^priority=99\b/.test(f.flow))
  const ofport = Number(/actions=output:(\d+)/.exec(match?.flow ?? '')?.[1])
  const out = [...ports].find(([, p]) => p === ofport)?.[0]
  return out ? { bridge: 'br-int', out, note: `OpenFlow: ${match?.flow ?? ''}` } : undefined
}

export async function ovsInspect(plan: LabPlan, runDir: string): Promise<InspectSection[]> {
  const sections: InspectSection[] = []
  for (const node of plan.nodes) {
    const ovs: NodeOvs = nodeOvs(runDir, node)
    const flows = await flowStats(ovs).catch(() => [])
    sections.push({ node: node.name, title: `OpenFlow rules of br-int on ${node.name}`, headers: ['PACKETS', 'BYTES', 'FLOW'], rows: flows.map((f) => [String(f.packets), String(f.bytes), f.flow]) })
  }
  return sections
}
