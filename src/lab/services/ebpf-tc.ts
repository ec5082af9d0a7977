/**
 * Cilium's kube-proxy replacement as the packets of a pod see it: a tc program at the client pod's interface looks up
 * (ClusterIP, port) in a hash map and rewrites the destination to a backend, and rewrites replies back (bpf/lb.c).
 * No conntrack entry and no rule walk: one hash probe per packet whatever N is.
 */
import { bpfObjectPath } from '../../system/paths.js'
import { addrPortKey, attachTc, updateMaps } from '../bpf.js'
import { needsBuilt, needsFeature, needsTool } from '../datapath.js'
import { serviceUpdates } from './bpf-maps.js'
import type { ServiceProxy } from './services.js'

export const ebpfTcProxy: ServiceProxy = {
  describe: (t) => `eBPF at tc: a hash-map lookup and DNAT at egress of ${t.clientDevice} in ${t.clientNetns}, reverse NAT at its ingress`,
  requires: [needsBuilt(bpfObjectPath('lb'), 'the eBPF Service program'), needsTool('bpftool'), needsFeature('tc-bpf')],
  problem(datapath) {
    if (datapath.addressing === 'host') return 'a host-network client has no pod interface for the tc program (Cilium serves it with socket-level load balancing: --proxy ebpf-socket)'
    if (datapath.addressing === 'underlay') return `${datapath.name}'s pods reach a ClusterIP through the underlay's router, which the rewritten packets would never leave (use --proxy ebpf-socket)`
    if (datapath.addressing === 'flat') return `${datapath.name}'s pods sit on one L2 segment with no route to a ClusterIP for the tc program to rewrite (use --proxy ebpf-socket)`
    return undefined
  },
  async load(target, services) {
    const dnat = await attachTc(target.clientNetns, target.clientDevice, 'egress', 'lb', 'cnb_lb_dnat')
    const rev = await attachTc(target.clientNetns, target.clientDevice, 'ingress', 'lb', 'cnb_lb_rev')
    const reverse = services.flatMap((svc) => svc.endpoints.map((ep) => ({ program: rev, map: 'rev_nat', key: addrPortKey(ep.ip, ep.port), value: addrPortKey(svc.ip, svc.port) })))
    await updateMaps([...serviceUpdates(dnat, services), ...reverse])
    return {}
  },
}
