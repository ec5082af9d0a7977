/**
 * Calico IPIP: Calico's routed veth per pod; node blocks routed via tunl0, the kernel's IP-in-IP device, with the peer
 * node's IP as next hop (tunl0 has no fixed remote, so the route's gateway becomes the outer destination).
 */
import { needsFeature, type Datapath } from '../datapath.js'
import { blackholeOwnBlocks, routedPod } from '../wiring.js'

/** Calico's manifest default for IPIP pools (veth_mtu 1440, seed 003); newer Calico auto-detects underlay − 20. */
const IPIP_POD_MTU_MARGIN = 60

export const calicoIpip: Datapath = {
  name: 'calico-ipip',
  summary: 'Calico IPIP: routed veth + kernel tunl0 IP-in-IP (protocol 4)',
  plugin:
    'Calico\'s routed veth per pod; with CALICO_IPV4POOL_IPIP=Always, routes to other nodes\' blocks point at tunl0 ' +
    '(the ipip module\'s fallback device, MTU 1440) with the peer node IP as gateway, so packets leave as IP protocol 4.',
  packetPath:
    'pod1 eth0 → caliXXXX (node1) → tunl0 (IPIP encap) → node1 eth0 → underlay → node2 eth0 → tunl0 (decap) → ' +
    'caliXXXX → pod2 eth0',
  requires: [needsFeature('veth'), needsFeature('ipip')],
  addressing: 'node-cidr',
  podMtu: (underlayMtu) => underlayMtu - IPIP_POD_MTU_MARGIN,
  facts: { encapsulation: 'ipip', implementation: 'kernel ipip (tunl0)', podAttachment: 'routed veth' },
  wire(plan, script) {
    for (const pod of plan.pods) routedPod(plan, pod, script, plan.podMtu)
    blackholeOwnBlocks(plan, script)
  },
  async start(plan, runtime) {
    for (const node of plan.nodes) {
      // The ipip module creates tunl0 in every namespace unless net.core.fb_tunnels_only_for_init_net says otherwise.
      const hasTunl0 = (await runtime.links(node.netns)).some((l) => l.ifname === 'tunl0')
      await runtime.apply((script) => {
        if (!hasTunl0) script.ip(node.netns, 'link', 'add', 'tunl0', 'type', 'ipip')
        script
          .ip(node.netns, 'link', 'set', 'tunl0', 'mtu', plan.podMtu, 'up')
          .ip(node.netns, 'addr', 'add', `${node.podGateway}/32`, 'dev', 'tunl0')
        for (const peer of plan.nodes.filter((p) => p !== node)) {
          script.ip(node.netns, 'route', 'add', peer.podCidr, 'via', peer.underlayIp, 'dev', 'tunl0', 'onlink')
        }
      })
    }
  },
}
