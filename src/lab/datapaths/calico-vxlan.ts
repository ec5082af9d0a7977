/** Calico VXLAN: Calico's routed veth per pod, node blocks reached through the vxlan.calico VTEP (VNI 4096, 4789). */
import { needsFeature, type Datapath } from '../datapath.js'
import { blackholeOwnBlocks, routedPod, vxlanMesh } from '../wiring.js'
import { VXLAN_OVERHEAD } from './flannel-vxlan.js'

export const calicoVxlan: Datapath = {
  name: 'calico-vxlan',
  summary: 'Calico VXLAN: routed veth + vxlan.calico kernel VTEP (UDP 4789)',
  plugin:
    'Calico\'s routed veth per pod (/32 routes, proxy ARP); Felix creates vxlan.calico (VNI 4096, port 4789) and ' +
    'programs, for every other node, its VTEP\'s ARP and FDB entries and a route to its block via vxlan.calico.',
  packetPath:
    'pod1 eth0 → caliXXXX (node1) → vxlan.calico (VXLAN encap) → node1 eth0 → underlay → node2 eth0 → ' +
    'vxlan.calico (decap) → caliXXXX → pod2 eth0',
  requires: [needsFeature('veth'), needsFeature('vxlan')],
  addressing: 'node-cidr',
  podMtu: (underlayMtu) => underlayMtu - VXLAN_OVERHEAD,
  facts: { encapsulation: 'vxlan', implementation: 'kernel vxlan, VNI 4096, UDP 4789', podAttachment: 'routed veth' },
  wire(plan, script) {
    for (const pod of plan.pods) routedPod(plan, pod, script, plan.podMtu)
    blackholeOwnBlocks(plan, script)
    vxlanMesh(plan, script, { device: 'vxlan.calico', vni: 4096, port: 4789, mtu: plan.podMtu })
  },
}
