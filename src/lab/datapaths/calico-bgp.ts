/**
 * Calico in BGP mode (no encapsulation): routed veth per pod, /32 host routes, proxy ARP, and each node's block
 * routed natively via the owning node. Here the node routes are written statically, as BIRD would install them.
 */
import { needsFeature, type Datapath } from '../datapath.js'
import { blackholeOwnBlocks, nativeRoutes, routedPod } from '../wiring.js'

export const calicoBgp: Datapath = {
  name: 'calico-bgp',
  summary: 'Calico BGP: routed veth, no encapsulation, node routes to every pod block',
  plugin:
    'Calico creates a veth per pod (caliXXXX on the host, eth0 with a /32 in the pod, default via 169.254.1.1 answered ' +
    'by proxy ARP); Felix adds a /32 route per pod; BIRD announces each node block over BGP so every node routes it ' +
    'via the owning node.',
  packetPath: 'pod1 eth0 → caliXXXX (node1) → node1 eth0 → underlay → node2 eth0 → caliXXXX (node2) → pod2 eth0',
  requires: [needsFeature('veth')],
  addressing: 'node-cidr',
  podMtu: (underlayMtu) => underlayMtu,
  facts: { encapsulation: 'none', implementation: 'kernel routing, static node routes', podAttachment: 'routed veth' },
  wire(plan, script) {
    for (const pod of plan.pods) routedPod(plan, pod, script, plan.podMtu)
    blackholeOwnBlocks(plan, script)
    nativeRoutes(plan, script)
  },
}
