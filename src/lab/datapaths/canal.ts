/** Canal: Calico's routed veth for pods (and its policy), Flannel's flannel.1 VXLAN between nodes. */
import { needsFeature, type Datapath } from '../datapath.js'
import { routedPod, vxlanMesh } from '../wiring.js'
import { VXLAN_OVERHEAD } from './flannel-vxlan.js'

export const canal: Datapath = {
  name: 'canal',
  summary: 'Canal: Calico routed veth + Flannel flannel.1 VXLAN (UDP 8472)',
  plugin:
    'Calico\'s CNI plugin attaches pods with routed veths (/32 routes, proxy ARP, no bridge); flanneld provides the ' +
    'inter-node network with flannel.1 VXLAN, static ARP/FDB entries and a route per remote block.',
  packetPath:
    'pod1 eth0 → caliXXXX (node1) → flannel.1 (VXLAN encap) → node1 eth0 → underlay → node2 eth0 → flannel.1 (decap) → ' +
    'caliXXXX → pod2 eth0',
  requires: [needsFeature('veth'), needsFeature('vxlan')],
  addressing: 'node-cidr',
  podMtu: (underlayMtu) => underlayMtu - VXLAN_OVERHEAD,
  facts: { encapsulation: 'vxlan', implementation: 'kernel vxlan, VNI 1, UDP 8472', podAttachment: 'routed veth' },
  wire(plan, script) {
    for (const pod of plan.pods) routedPod(plan, pod, script, plan.podMtu)
    vxlanMesh(plan, script, { device: 'flannel.1', vni: 1, port: 8472, mtu: plan.podMtu })
  },
}
