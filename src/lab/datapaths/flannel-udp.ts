/**
 * Flannel's UDP backend: cni0 bridge per node, and a TUN device flannel0 whose packets a userspace daemon carries to
 * the other nodes, one IP packet per UDP datagram on port 8285 (tools/cnb-flannel-udp.c, the same packet loop
 * flanneld's udp backend ran). Every packet crosses user/kernel twice per node: this datapath shows that cost.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { CnibenchError } from '../../errors.js'
import { toolBinaryPath } from '../../system/paths.js'
import { needsBuilt, needsFeature, type Datapath } from '../datapath.js'
import type { LabRuntime } from '../runtime.js'
import type { NodePlan } from '../topology.js'
import { bridgedPods } from '../wiring.js'

export const FLANNEL_UDP_PORT = 8285
/** Outer IPv4 20 + UDP 8: flannel0 and the pods get underlay MTU − 28. */
const UDP_OVERHEAD = 28
const DAEMON = toolBinaryPath('cnb-flannel-udp')

export const flannelUdp: Datapath = {
  name: 'flannel-udp',
  summary: 'Flannel UDP: bridge cni0 + TUN flannel0 + userspace encapsulation (UDP 8285)',
  plugin:
    'flanneld\'s original backend: routes send other nodes\' pod traffic into the TUN device flannel0 (with the cluster ' +
    '/16); flanneld reads each packet, wraps it in UDP to the owning node\'s port 8285, and writes what it receives back ' +
    'into flannel0. Slow by design of its user/kernel crossings; kept for comparison.',
  packetPath:
    'pod1 eth0 → vethXXXX → cni0 (node1) → flannel0 (TUN) → flanneld (userspace, UDP 8285) → node1 eth0 → underlay → ' +
    'node2 eth0 → flanneld → flannel0 → cni0 → vethXXXX → pod2 eth0',
  requires: [needsFeature('veth'), needsFeature('bridge'), needsFeature('tun'), needsBuilt(DAEMON, 'the flannel-udp daemon (tools/cnb-flannel-udp.c)')],
  addressing: 'node-cidr',
  podMtu: (underlayMtu) => underlayMtu - UDP_OVERHEAD,
  facts: { encapsulation: 'udp', implementation: `userspace UDP encapsulation (cnb-flannel-udp, port ${FLANNEL_UDP_PORT})`, podAttachment: 'linux bridge cni0' },
  wire(plan, script) {
    bridgedPods(plan, script, plan.podMtu)
    const clusterPrefix = plan.podCidr.split('/')[1]
    for (const node of plan.nodes) {
      script
        .ip(node.netns, 'tuntap', 'add', 'dev', 'flannel0', 'mode', 'tun')
        .ip(node.netns, 'link', 'set', 'flannel0', 'mtu', plan.podMtu, 'up')
        // The cluster block on flannel0 routes every other node's pods into the tunnel; the node's own /24 on cni0 wins.
        .ip(node.netns, 'addr', 'add', `${node.podGateway}/${clusterPrefix}`, 'dev', 'flannel0')
    }
  },
  async start(plan, runtime) {
    for (const node of plan.nodes) {
      const routes = plan.nodes.filter((n) => n !== node).map((peer) => `${peer.podCidr}=${peer.underlayIp}`)
      await runtime.startDaemon(`flanneld-udp-${node.name}`, node.netns, [DAEMON, 'flannel0', node.underlayIp, String(FLANNEL_UDP_PORT), ...routes])
    }
    for (const node of plan.nodes) await waitAttached(node, runtime)
  },
}

/** A TUN device gets its carrier when a process attaches to it. */
async function waitAttached(node: NodePlan, runtime: LabRuntime, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const tun = (await runtime.links(node.netns)).find((l) => l.ifname === 'flannel0')
    if (tun?.flags.includes('LOWER_UP')) return
    await sleep(20)
  }
  throw new CnibenchError('E_RUN', `the flannel-udp daemon of ${node.name} did not attach to flannel0`, { hint: `see flanneld-udp-${node.name}.log in the lab's run directory` })
}
