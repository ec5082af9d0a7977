/**
 * macvlan in bridge mode: each pod gets a macvlan sub-interface of the node's underlay eth0 and a static address on
 * the underlay subnet. Frames leave through eth0 without touching the node's IP stack (and its policy).
 */
import { needsFeature, type Datapath } from '../datapath.js'
import { nodeOf } from '../wiring.js'

export const macvlan: Datapath = {
  name: 'macvlan',
  summary: 'macvlan bridge mode: pods on the underlay subnet, bypassing the node stack',
  plugin:
    'The macvlan CNI plugin creates a macvlan device (mode bridge) on the node\'s physical interface, moves it into the ' +
    'pod as eth0 and gives it a static address on the physical subnet. The node cannot reach its own pods this way.',
  packetPath: 'pod1 eth0 (macvlan) → node1 eth0 → underlay → node2 eth0 → pod2 eth0 (macvlan)',
  requires: [needsFeature('macvlan')],
  addressing: 'underlay',
  bypassesNodeNetfilter: true,
  podMtu: (underlayMtu) => underlayMtu,
  facts: { encapsulation: 'none', implementation: 'kernel macvlan, bridge mode', podAttachment: 'macvlan on eth0' },
  wire(plan, script) {
    for (const node of plan.nodes) script.ip(node.netns, 'link', 'set', 'eth0', 'promisc', 'on')
    for (const pod of plan.pods) {
      const node = nodeOf(plan, pod)
      script
        .ip(node.netns, 'link', 'add', 'link', 'eth0', 'name', 'eth0', 'netns', pod.netns, 'type', 'macvlan', 'mode', 'bridge')
        .ip(pod.netns, 'link', 'set', 'eth0', 'mtu', plan.podMtu, 'up')
        .ip(pod.netns, 'addr', 'add', `${pod.ip}/${pod.prefixLen}`, 'dev', 'eth0')
        .ip(pod.netns, 'route', 'add', 'default', 'via', node.underlayGateway, 'dev', 'eth0')
    }
  },
}
