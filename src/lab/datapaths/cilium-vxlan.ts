/**
 * Cilium in tunnel mode: the same eBPF host routing, with other nodes reached through cilium_vxlan, a VXLAN device in
 * external (collect_md) mode whose tunnel key (remote node, VNI) the program sets per packet.
 */
import type { Datapath } from '../datapath.js'
import { CILIUM_VXLAN_PORT, ciliumInspect, ciliumRequirements, ciliumStart, ciliumWire } from '../cilium.js'
import { VXLAN_OVERHEAD } from './flannel-vxlan.js'

export const ciliumVxlan: Datapath = {
  name: 'cilium-vxlan',
  summary: 'Cilium eBPF, VXLAN tunnel mode (cilium_vxlan, collect_md, UDP 8472)',
  plugin:
    'Cilium\'s default tunnel mode: cil_from_container sets the tunnel key (remote node IP, VNI) with ' +
    'bpf_skb_set_tunnel_key and redirects to cilium_vxlan, a VXLAN device in external (collect_md) mode; on the ' +
    'receiving node cil_from_overlay redirects the decapsulated packet into the pod. Pod MTU is underlay − 50.',
  packetPath:
    'pod1 eth0 → lxcXXXX (eBPF: tunnel key, redirect) → cilium_vxlan (VXLAN encap) → node1 eth0 → underlay → node2 eth0 → ' +
    'cilium_vxlan (decap; eBPF: redirect_peer) → pod2 eth0',
  requires: ciliumRequirements('vxlan'),
  addressing: 'node-cidr',
  bypassesNodeNetfilter: true,
  podMtu: (underlayMtu) => underlayMtu - VXLAN_OVERHEAD,
  facts: { encapsulation: 'vxlan', implementation: `eBPF tc + kernel vxlan in collect_md mode, UDP ${CILIUM_VXLAN_PORT}`, podAttachment: 'veth with eBPF' },
  wire: (plan, script) => ciliumWire(plan, script, 'vxlan'),
  start: (plan, runtime) => ciliumStart(plan, runtime, 'vxlan'),
  inspect: (plan) => ciliumInspect(plan),
}
