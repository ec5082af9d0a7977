/** hostNetwork: client and server run in the node namespaces themselves. The baseline every overhead is against. */
import type { Datapath } from '../datapath.js'

export const host: Datapath = {
  name: 'host',
  summary: 'hostNetwork pods: the bare node network, the baseline',
  plugin: 'No CNI: pods with hostNetwork: true share the node network namespace and its eth0.',
  packetPath: 'node1 eth0 → underlay → node2 eth0',
  requires: [],
  addressing: 'host',
  // 'routed': the nodes in two subnets behind the router, the baseline for datapaths that cross one (CrossSubnet).
  underlays: ['switched', 'routed'],
  podMtu: (underlayMtu) => underlayMtu,
  facts: { encapsulation: 'none', implementation: 'node network stack', podAttachment: 'none (hostNetwork)' },
  wire: () => {},
}
