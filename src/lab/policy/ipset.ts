/**
 * Policy as Calico's iptables dataplane keeps large selectors: an ipset of (address, port) pairs (hash:ip,port) and
 * one iptables rule matching it, so the rule count stays one whatever the set holds.
 */
import { needsFeature, needsTool } from '../datapath.js'
import { chainOf, iptablesPolicyText, restoreIn } from './iptables.js'
import { listedPort, type PolicyImplementation } from './policy.js'

const SET = 'cnibench-blocked'

export const ipsetPolicy: PolicyImplementation = {
  describe: (t) => `ipset hash:ip,port matched by one iptables (legacy) rule in the ${chainOf(t)} chain of ${t.netns}`,
  requires: [needsTool('ipset'), needsTool('iptables-legacy'), needsFeature('ipset'), needsFeature('iptables')],
  async load(target, rules) {
    const members = Array.from({ length: rules.count }, (_, i) => `add ${SET} ${target.podIp},tcp:${listedPort(i)}`)
    await restoreIn(target.netns, 'ipset', [`create ${SET} hash:ip,port maxelem ${Math.max(65536, rules.count)}`, ...members, ''].join('\n'))
    await restoreIn(target.netns, 'iptables-legacy-restore', iptablesPolicyText(target, rules, [`-m set --match-set ${SET} dst,dst`]))
  },
}
