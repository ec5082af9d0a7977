/**
 * OVS + Linux bridge (as the eight-schemes namespace study builds it): pods hang off a Linux bridge (linux-br), which reaches br-int through one
 * veth pair (ovs-br ↔ br-ovs); eth0 is br-int's uplink. The extra bridge and veth hop is what it costs (26% in the
 * seed) — the layout of plugins that keep a Linux bridge per node for iptables-based policy next to OVS.
 */
import type { Datapath } from '../datapath.js'
import { ovsCaveat, ovsDatapathOption, ovsImplementation, ovsPortsOption } from '../control/ovs.js'
import { ovsInspect, ovsSwitchFrame, ovsRequirements, podsOf, resolveOvsDatapath, startOvsLab } from '../ovs-lab.js'
import { podVeth } from '../wiring.js'

export const ovsBridge: Datapath = {
  name: 'ovs-bridge',
  summary: 'OVS + Linux bridge: pods on linux-br, linked to br-int by a veth pair',
  plugin:
    'As the eight-schemes namespace study builds it: pods attach to a Linux bridge (linux-br); a veth pair (ovs-br on the bridge, br-ovs on OVS) ' +
    'joins it to br-int, whose flows send IP/ARP for local pods to br-ovs and the rest out of eth0.',
  packetPath: 'pod1 eth0 → vethXXXX → linux-br → ovs-br → br-ovs → br-int (OpenFlow) (node1) → node1 eth0 → underlay → node2 eth0 → br-int → br-ovs → ovs-br → linux-br → vethXXXX → pod2 eth0',
  options: { datapath: ovsDatapathOption, ports: ovsPortsOption },
  resolve: resolveOvsDatapath,
  requires: (options) => [...ovsRequirements(options), { kind: 'feature', feature: 'bridge' }],
  addressing: 'flat',
  bypassesNodeNetfilter: true,
  podMtu: (underlayMtu) => underlayMtu,
  facts: (options) => ({ encapsulation: 'none', implementation: `${ovsImplementation(options)} + Linux bridge`, podAttachment: 'veth on a Linux bridge, bridge on OVS', ...ovsCaveat(options) }),
  wire(plan, script) {
    for (const node of plan.nodes) {
      script
        .ip(node.netns, 'link', 'set', 'eth0', 'promisc', 'on')
        .ip(node.netns, 'link', 'add', 'linux-br', 'type', 'bridge')
        .ip(node.netns, 'link', 'set', 'linux-br', 'mtu', plan.podMtu, 'up')
        .ip(node.netns, 'link', 'add', 'ovs-br', 'mtu', plan.podMtu, 'type', 'veth', 'peer', 'name', 'br-ovs', 'mtu', plan.podMtu)
        .ip(node.netns, 'link', 'set', 'ovs-br', 'master', 'linux-br', 'promisc', 'on', 'up')
        .ip(node.netns, 'link', 'set', 'br-ovs', 'promisc', 'on', 'up')
    }
    for (const pod of plan.pods) podVeth(plan, pod, script, plan.podMtu, ['master', 'linux-br'])
  },
  start: (plan, runtime) => startOvsLab(plan, runtime, (node) => [{ device: 'br-ovs', ofport: 1, pods: podsOf(plan, node) }]),
  inspect: ovsInspect,
  switchFrame: ovsSwitchFrame,
}
