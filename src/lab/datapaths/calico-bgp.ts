/**
 * Calico in BGP mode (no encapsulation): routed veth per pod, /32 host routes, proxy ARP; every node's block is
 * announced by a real BIRD 2 daemon per node and learnt routes are installed in the kernel, full mesh or through
 * route reflectors.
 */
import { birdRoutes, bgpLayout, peerStatus, startBird, waitConverged } from '../control/bird.js'
import { needsFeature, needsTool, type Datapath } from '../datapath.js'
import { blackholeOwnBlocks, routedPod } from '../wiring.js'

export const calicoBgp: Datapath = {
  name: 'calico-bgp',
  summary: 'Calico BGP: routed veth, no encapsulation, node routes learnt over BGP (BIRD)',
  plugin:
    'Calico creates a veth per pod (caliXXXX on the host, eth0 with a /32 in the pod, default via 169.254.1.1 answered ' +
    'by proxy ARP); Felix adds a /32 route per pod and a blackhole for the node block; BIRD announces the block over ' +
    'BGP (full mesh, or route reflectors in large clusters) and installs the routes it learns.',
  packetPath: 'pod1 eth0 → caliXXXX (node1) → node1 eth0 → underlay → node2 eth0 → caliXXXX (node2) → pod2 eth0',
  options: {
    bgp: { choices: ['full-mesh', 'route-reflector'], default: 'full-mesh', describe: 'BGP topology' },
    reflectors: { choices: ['1', '2', '3'], default: '1', describe: 'route reflector nodes (with bgp=route-reflector)' },
  },
  requires: [needsFeature('veth'), needsTool('bird')],
  addressing: 'node-cidr',
  podMtu: (underlayMtu) => underlayMtu,
  facts: (options) => ({
    encapsulation: 'none',
    implementation: `kernel routing, BIRD BGP ${options['bgp'] === 'route-reflector' ? `with ${options['reflectors']} route reflector(s)` : 'full mesh'}`,
    podAttachment: 'routed veth',
  }),
  wire(plan, script) {
    for (const pod of plan.pods) routedPod(plan, pod, script, plan.podMtu)
    blackholeOwnBlocks(plan, script)
  },
  async start(plan, runtime) {
    for (const node of plan.nodes) await startBird(plan, node, runtime)
    await waitConverged(plan)
  },
  async inspect(plan, runDir) {
    const layout = bgpLayout(plan)
    const sections = []
    for (const node of plan.nodes) {
      const peers = await peerStatus(plan, node, runDir)
      const role = layout.reflectors.includes(node.name) ? ', route reflector' : ''
      sections.push({
        node: node.name,
        title: `BGP peers of ${node.name} (${node.underlayIp}, AS 64512, ${layout.mode}${role})`,
        headers: ['PEER ADDRESS', 'PEER TYPE', 'STATE', 'SINCE', 'INFO'],
        rows: peers.map((p) => [p.peerAddress, p.peerType, p.state, p.since, p.info]),
      })
      sections.push({
        node: node.name,
        title: `routes ${node.name} learnt over BGP`,
        headers: ['DESTINATION', 'GATEWAY', 'DEVICE'],
        rows: (await birdRoutes(node)).map((r) => [r.dst, r.gateway ?? '', r.dev ?? '']),
      })
    }
    return sections
  },
}
