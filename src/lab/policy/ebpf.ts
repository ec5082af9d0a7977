/**
 * Policy as an eBPF dataplane keeps it (Cilium's policy map): a tc program on the server pod's interface with one
 * hash-map lookup per packet (bpf/policy.c). Connection state plays no part in the lookup, so an ESTABLISHED-first
 * accept has nothing to skip and is not added.
 */
import { bpfObjectPath } from '../../system/paths.js'
import { addrPortKey, attachTc, updateMaps } from '../bpf.js'
import { needsBuilt, needsFeature, needsTool } from '../datapath.js'
import { listedPort, type PolicyImplementation } from './policy.js'

export const ebpfPolicy: PolicyImplementation = {
  describe: (t) => `eBPF: a hash-map lookup in a tc program at ingress of ${t.podDevice} in ${t.podNetns}`,
  requires: [needsBuilt(bpfObjectPath('policy'), 'the eBPF policy program'), needsTool('bpftool'), needsFeature('tc-bpf')],
  async load(target, rules) {
    const program = await attachTc(target.podNetns, target.podDevice, 'ingress', 'policy', 'cnb_policy')
    const one = Buffer.from([1])
    await updateMaps(Array.from({ length: rules.count }, (_, i) => ({ program, map: 'blocked', key: addrPortKey(target.podIp, listedPort(i)), value: one })))
  },
}
