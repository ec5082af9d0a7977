/** Flannel host-gw: the CNI bridge cni0 per node, pod blocks routed natively via each node's underlay IP. */
import { needsFeature, type Datapath } from '../datapath.js'
import { bridgedPods, nativeRoutes } from '../wiring.js'

export const flannelHostGw: Datapath = {
  name: 'flannel-host-gw',
  summary: 'Flannel host-gw: bridge cni0, routes to each node (needs one L2 segment)',
  plugin:
    'The CNI bridge plugin attaches each pod by a veth to bridge cni0 (the node block\'s first address); flanneld adds ' +
    'a route to every other node\'s block via that node\'s IP, which requires all nodes on one L2 segment.',
  packetPath: 'pod1 eth0 → vethXXXX → cni0 (node1) → node1 eth0 → underlay → node2 eth0 → cni0 → vethXXXX → pod2 eth0',
  requires: [needsFeature('veth'), needsFeature('bridge')],
  addressing: 'node-cidr',
  podMtu: (underlayMtu) => underlayMtu,
  facts: { encapsulation: 'none', implementation: 'kernel routing', podAttachment: 'linux bridge cni0' },
  wire(plan, script) {
    bridgedPods(plan, script, plan.podMtu)
    nativeRoutes(plan, script)
  },
}
