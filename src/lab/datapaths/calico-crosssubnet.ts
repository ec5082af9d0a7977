/**
 * Calico CrossSubnet: the nodes sit in two underlay subnets joined by a router. Traffic between nodes of one subnet is
 * routed natively, like Calico BGP; traffic to a node in the other subnet is encapsulated (IP-in-IP, or VXLAN with
 * vxlanMode CrossSubnet), so the router never sees pod addresses. Node routes are written as BIRD/Felix would.
 */
import { needsFeature, type Datapath } from '../datapath.js'
import { ipipCaveat, ipipEbpfInspect, ipipEbpfRoutes, ipipImplementationLabel, ipipOption, ipipRequirements, resolveIpip, startIpipEbpf, startIpipKernel } from '../encap.js'
import type { LabPlan, NodePlan } from '../topology.js'
import { blackholeOwnBlocks, nativeRoutes, routedPod, vxlanMesh } from '../wiring.js'
import { VXLAN_OVERHEAD } from './flannel-vxlan.js'

const sameSubnet = (plan: LabPlan) => (node: NodePlan) => plan.nodes.filter((p) => p !== node && p.subnet === node.subnet)
const otherSubnet = (plan: LabPlan) => (node: NodePlan) => plan.nodes.filter((p) => p.subnet !== node.subnet)

export const calicoCrosssubnet: Datapath = {
  name: 'calico-crosssubnet',
  summary: 'Calico CrossSubnet: native routing within a subnet, IP-in-IP (or VXLAN) across subnets',
  plugin:
    'Calico with ipipMode (or vxlanMode) CrossSubnet: routes to nodes in the same subnet go straight out of eth0 like ' +
    'BGP mode; routes to nodes behind a router go through the tunnel. What the bank\'s bare-metal-vs-VM study advises for edge and hybrid sites.',
  packetPath:
    'same subnet: pod1 eth0 → caliXXXX → node1 eth0 → node2 eth0 → caliXXXX → pod2; other subnet: pod1 eth0 → caliXXXX → ' +
    'tunl0 (IPIP encap) → node1 eth0 → router → node3 eth0 → tunl0 (decap) → caliXXXX → pod3',
  options: {
    encap: { choices: ['ipip', 'vxlan'], default: 'ipip', describe: 'encapsulation across subnets (the IP pool setting)' },
    ipip: ipipOption,
  },
  resolve: resolveIpip,
  underlays: ['routed'],
  requires: (options) => [needsFeature('veth'), ...(options['encap'] === 'vxlan' ? [needsFeature('vxlan')] : ipipRequirements(options['ipip'] as string))],
  addressing: 'node-cidr',
  podMtu: (underlayMtu, options) => underlayMtu - (options['encap'] === 'vxlan' ? VXLAN_OVERHEAD : 60),
  facts: (options) => ({
    encapsulation: `none within a subnet, ${options['encap']} across`,
    implementation: options['encap'] === 'vxlan' ? 'kernel vxlan (vxlan.calico) across subnets' : ipipImplementationLabel(options['ipip'] as string),
    podAttachment: 'routed veth',
    ...(options['encap'] === 'vxlan' ? {} : ipipCaveat(options['ipip'] as string)),
  }),
  wire(plan, script) {
    for (const pod of plan.pods) routedPod(plan, pod, script, plan.podMtu)
    blackholeOwnBlocks(plan, script)
    nativeRoutes(plan, script, sameSubnet(plan))
    if (plan.options['encap'] === 'vxlan') vxlanMesh(plan, script, { device: 'vxlan.calico', vni: 4096, port: 4789, mtu: plan.podMtu }, otherSubnet(plan))
    else if (plan.options['ipip'] === 'ebpf') ipipEbpfRoutes(plan, script, otherSubnet(plan))
  },
  async start(plan, runtime) {
    if (plan.options['encap'] === 'vxlan') return
    if (plan.options['ipip'] === 'ebpf') await startIpipEbpf(plan, otherSubnet(plan))
    else await startIpipKernel(plan, runtime, otherSubnet(plan))
  },
  inspect: (plan) => (plan.options['encap'] !== 'vxlan' && plan.options['ipip'] === 'ebpf' ? ipipEbpfInspect(plan) : Promise.resolve([])),
}
