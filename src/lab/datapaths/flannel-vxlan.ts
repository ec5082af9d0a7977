/** Flannel VXLAN: cni0 bridge per node and the flannel.1 VTEP (VNI 1, UDP 8472) with static ARP and FDB entries. */
import { needsFeature, type Datapath } from '../datapath.js'
import { bridgedPods, vxlanMesh } from '../wiring.js'

/** VXLAN adds 50 bytes: outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8. */
export const VXLAN_OVERHEAD = 50

export const flannelVxlan: Datapath = {
  name: 'flannel-vxlan',
  summary: 'Flannel VXLAN: bridge cni0 + flannel.1 kernel VTEP (UDP 8472)',
  plugin:
    'The CNI bridge plugin attaches pods to cni0; flanneld creates the VXLAN device flannel.1 (VNI 1, port 8472, no ' +
    'learning) and, for every other node, writes an ARP entry for its VTEP, an FDB entry to its IP, and a route to ' +
    'its block via flannel.1. MTU is the underlay MTU minus 50.',
  packetPath:
    'pod1 eth0 → vethXXXX → cni0 (node1) → flannel.1 (VXLAN encap) → node1 eth0 → underlay → node2 eth0 → ' +
    'flannel.1 (decap) → cni0 → vethXXXX → pod2 eth0',
  requires: [needsFeature('veth'), needsFeature('bridge'), needsFeature('vxlan')],
  addressing: 'node-cidr',
  podMtu: (underlayMtu) => underlayMtu - VXLAN_OVERHEAD,
  facts: { encapsulation: 'vxlan', implementation: 'kernel vxlan, VNI 1, UDP 8472', podAttachment: 'linux bridge cni0' },
  wire(plan, script) {
    bridgedPods(plan, script, plan.podMtu)
    vxlanMesh(plan, script, { device: 'flannel.1', vni: 1, port: 8472, mtu: plan.podMtu })
  },
}
