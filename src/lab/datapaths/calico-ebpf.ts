/**
 * Calico's eBPF dataplane, native routing: Calico's pod attachment (caliXXXX routed veth, /32 routes, proxy ARP) and
 * BGP (a real BIRD per node), with the kernel's forwarding path replaced by tc programs: one at ingress of each cali
 * device for packets leaving a pod, one at ingress of eth0 for packets arriving for a local pod. They redirect with
 * bpf_redirect_neigh (out of eth0, next hop from the routes BIRD installed) and bpf_redirect_peer (straight into the
 * pod), so pod traffic skips iptables and the node's forward path, as Felix's BPF programs make it. Policy and
 * Services go in BPF maps as well: `--policy-impl ebpf`, `--proxy ebpf-tc` or `ebpf-socket` on this datapath.
 */
import { ciliumInspect, ciliumRequirements, startEbpfHostRouting, type EbpfPodAttachment } from '../cilium.js'
import { needsTool, type Datapath } from '../datapath.js'
import { CALICO_HOST_MAC, hostIfName } from '../wiring.js'
import { calicoBgp } from './calico-bgp.js'

const caliPods: EbpfPodAttachment = {
  hostDevice: (plan, pod) => hostIfName(plan, pod, 'cali'),
  async macs(_plan, pod, runtime) {
    const eth0 = (await runtime.links(pod.netns)).find((l) => l.ifname === 'eth0')
    if (!eth0?.address) throw new Error(`pod ${pod.name} has no eth0 MAC`)
    return { podMac: eth0.address, hostMac: CALICO_HOST_MAC }
  },
}

export const calicoEbpf: Datapath = {
  name: 'calico-ebpf',
  summary: 'Calico eBPF dataplane: routed veth, BGP routes, tc programs instead of the forward path (no encapsulation)',
  plugin:
    'With bpfEnabled, Felix attaches tc programs to every caliXXXX device and to the host interfaces and replaces ' +
    'iptables and kube-proxy: packets from a pod are routed in BPF (FIB lookup, bpf_redirect out of the host ' +
    'interface), packets for a local pod are delivered straight to its device; policy, NAT for Services and ' +
    'connection tracking live in BPF maps. Routes between nodes still come from BGP (BIRD) in native routing.',
  packetPath: 'pod1 eth0 → caliXXXX (eBPF: redirect_neigh) → node1 eth0 → underlay → node2 eth0 (eBPF: redirect_peer) → pod2 eth0',
  requires: [...ciliumRequirements('native'), needsTool('bird')],
  addressing: 'node-cidr',
  bypassesNodeNetfilter: true,
  podMtu: (underlayMtu) => underlayMtu,
  facts: {
    encapsulation: 'none',
    implementation: "eBPF tc (bpf_redirect_peer, bpf_redirect_neigh) on cali devices and eth0, BIRD BGP routes; cnibench's host-routing programs (bpf/cilium.c), not Felix's own, which also track connections",
    podAttachment: 'routed veth with eBPF',
  },
  // Calico's attachment and BGP as in calico-bgp (full mesh), then the programs on top.
  wire: (plan, script) => calicoBgp.wire(plan, script),
  async start(plan, runtime) {
    await calicoBgp.start?.(plan, runtime)
    await startEbpfHostRouting(plan, runtime, 'native', caliPods)
  },
  async inspect(plan, runDir) {
    return [...(await ciliumInspect(plan, caliPods)), ...((await calicoBgp.inspect?.(plan, runDir)) ?? [])]
  },
}
