/**
 * Calico IPIP: Calico's routed veth per pod; other nodes' blocks reached through IP-in-IP. With the kernel's ipip
 * module this is tunl0 (routes via tunl0, the peer node IP as gateway); without it, tc eBPF programs on eth0 put the
 * same protocol-4 packets on the wire. Which one ran is recorded with every result.
 */
import { needsFeature, type Datapath } from '../datapath.js'
import { ipipEbpfInspect, ipipEbpfRoutes, ipipCaveat, ipipImplementationLabel, ipipOption, ipipRequirements, resolveIpip, startIpipEbpf, startIpipKernel } from '../encap.js'
import { blackholeOwnBlocks, routedPod } from '../wiring.js'

/** Calico's manifest default for IPIP pools (veth_mtu 1440, as the Flannel-vs-Calico datapath study shows); newer Calico auto-detects underlay − 20. */
const IPIP_POD_MTU_MARGIN = 60

export const calicoIpip: Datapath = {
  name: 'calico-ipip',
  summary: 'Calico IPIP: routed veth + IP-in-IP (kernel tunl0, or eBPF where the module is missing)',
  plugin:
    'Calico\'s routed veth per pod; with CALICO_IPV4POOL_IPIP=Always, routes to other nodes\' blocks point at tunl0 ' +
    '(the ipip module\'s fallback device, MTU 1440) with the peer node IP as gateway, so packets leave as IP protocol 4.',
  packetPath:
    'pod1 eth0 → caliXXXX (node1) → tunl0 (IPIP encap) → node1 eth0 → underlay → node2 eth0 → tunl0 (decap) → ' +
    'caliXXXX → pod2 eth0',
  options: { ipip: ipipOption },
  resolve: resolveIpip,
  requires: (options) => [needsFeature('veth'), ...ipipRequirements(options['ipip'] as string)],
  addressing: 'node-cidr',
  podMtu: (underlayMtu) => underlayMtu - IPIP_POD_MTU_MARGIN,
  facts: (options) => ({ encapsulation: 'ipip', implementation: ipipImplementationLabel(options['ipip'] as string), podAttachment: 'routed veth', ...ipipCaveat(options['ipip'] as string) }),
  wire(plan, script) {
    for (const pod of plan.pods) routedPod(plan, pod, script, plan.podMtu)
    blackholeOwnBlocks(plan, script)
    if (plan.options['ipip'] === 'ebpf') ipipEbpfRoutes(plan, script, (node) => plan.nodes.filter((n) => n !== node))
  },
  async start(plan, runtime) {
    const everyPeer = (node: (typeof plan.nodes)[number]) => plan.nodes.filter((n) => n !== node)
    if (plan.options['ipip'] === 'ebpf') await startIpipEbpf(plan, everyPeer)
    else await startIpipKernel(plan, runtime, everyPeer)
  },
  inspect: (plan) => (plan.options['ipip'] === 'ebpf' ? ipipEbpfInspect(plan) : Promise.resolve([])),
}
