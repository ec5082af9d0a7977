/**
 * Open vSwitch (as the eight-schemes namespace study builds it): each pod's veth and the node's eth0 are ports of br-int; OpenFlow rules send IP
 * and ARP for a local pod to its port and everything else out of eth0. Pods share one flat subnet across nodes.
 */
import type { Datapath } from '../datapath.js'
import { ovsCaveat, ovsDatapathOption, ovsImplementation, ovsPortsOption } from '../control/ovs.js'
import { ovsInspect, ovsSwitchFrame, ovsRequirements, podsOf, resolveOvsDatapath, startOvsLab } from '../ovs-lab.js'
import { hostIfName, podVeth } from '../wiring.js'

export const ovs: Datapath = {
  name: 'ovs',
  summary: 'Open vSwitch: pod veths and eth0 on br-int, OpenFlow rules per pod',
  plugin:
    'OVS-based plugins (OVN-Kubernetes, Antrea, Kube-OVN; the hand-built version of the eight-schemes namespace study): the pod\'s host veth and the ' +
    'node\'s physical port are ports of br-int (fail_mode secure); flows match IP and ARP for each local pod and output ' +
    'to its port, anything else goes out of the physical port.',
  packetPath: 'pod1 eth0 → vethXXXX → br-int (OpenFlow) (node1) → node1 eth0 → underlay → node2 eth0 → br-int (OpenFlow) → vethXXXX → pod2 eth0',
  options: { datapath: ovsDatapathOption, ports: ovsPortsOption },
  resolve: resolveOvsDatapath,
  requires: ovsRequirements,
  addressing: 'flat',
  bypassesNodeNetfilter: true,
  podMtu: (underlayMtu) => underlayMtu,
  facts: (options) => ({ encapsulation: 'none', implementation: ovsImplementation(options), podAttachment: 'veth on an OVS bridge', ...ovsCaveat(options) }),
  wire(plan, script) {
    for (const node of plan.nodes) script.ip(node.netns, 'link', 'set', 'eth0', 'promisc', 'on')
    for (const pod of plan.pods) podVeth(plan, pod, script, plan.podMtu, ['promisc', 'on'])
  },
  start: (plan, runtime) =>
    startOvsLab(plan, runtime, (node) => podsOf(plan, node).map((pod, i) => ({ device: hostIfName(plan, pod, 'veth'), ofport: i + 1, pods: [pod] }))),
  inspect: ovsInspect,
  switchFrame: ovsSwitchFrame,
}
