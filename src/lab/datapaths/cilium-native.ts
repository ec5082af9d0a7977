/**
 * Cilium with eBPF host routing and native (direct) routing: tc programs on each pod's host veth and on the node's
 * eth0 move packets with bpf_redirect_peer / bpf_redirect_neigh, bypassing the node's IP stack and iptables.
 */
import type { Datapath } from '../datapath.js'
import { ciliumInspect, ciliumRequirements, ciliumStart, ciliumWire } from '../cilium.js'

export const ciliumNative: Datapath = {
  name: 'cilium-native',
  summary: 'Cilium eBPF host routing, native routing (bpf_redirect_peer / bpf_redirect_neigh)',
  plugin:
    'Cilium attaches eBPF programs to each pod\'s host veth (lxcXXXX, cil_from_container) and to the node\'s devices ' +
    '(cil_from_netdev). With BPF host routing a packet for a local pod is redirected straight into its namespace ' +
    '(bpf_redirect_peer) and one for another node\'s block leaves through eth0 via bpf_redirect_neigh, without the ' +
    'node\'s stack; auto-direct-node-routes gives each node a route to the other blocks.',
  packetPath: 'pod1 eth0 → lxcXXXX (eBPF: redirect_neigh) → node1 eth0 → underlay → node2 eth0 (eBPF: redirect_peer) → pod2 eth0',
  requires: ciliumRequirements('native'),
  addressing: 'node-cidr',
  bypassesNodeNetfilter: true,
  podMtu: (underlayMtu) => underlayMtu,
  facts: { encapsulation: 'none', implementation: 'eBPF tc (bpf_redirect_peer, bpf_redirect_neigh), direct routing', podAttachment: 'veth with eBPF' },
  wire: (plan, script) => ciliumWire(plan, script, 'native'),
  start: (plan, runtime) => ciliumStart(plan, runtime, 'native'),
  inspect: (plan) => ciliumInspect(plan),
}
