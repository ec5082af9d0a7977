/**
 * Policy as Calico's iptables dataplane keeps large selectors: an ipset of (address, port) pairs (hash:ip,port) and
 * one iptables rule matching it, so the rule count stays one whatever the set holds.
 */
import { inNetns } from '../../exec/netns.js'
import { run } from '../../exec/run.js'
import { needsFeature, needsTool } from '../datapath.js'
import { chainOf } from './iptables.js'
import { listedPort, type PolicyImplementation } from './policy.js'

const SET = 'cnibench-blocked'

export const ipsetPolicy: PolicyImplementation = {
  describe: (t) => `ipset hash:ip,port matched by one iptables (legacy) rule in the ${chainOf(t)} chain of ${t.netns}`,
  requires: [needsTool('ipset'), needsTool('iptables-legacy'), needsFeature('ipset'), needsFeature('iptables')],
  async load(target, rules) {
    const members = Array.from({ length: rules.count }, (_, i) => `add ${SET} ${target.podIp},tcp:${listedPort(i)}`)
    await run(inNetns(target.netns, ['ipset', 'restore']), { input: [`create ${SET} hash:ip,port maxelem ${Math.max(65536, rules.count)}`, ...members, ''].join('\n') })
    const chain = chainOf(target)
    const lines = ['*filter', `:${chain} ACCEPT [0:0]`]
    if (rules.establishedFirst) lines.push(`-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`)
    lines.push(`-A ${chain} -m set --match-set ${SET} dst,dst -j DROP`, `-A ${chain} -j ACCEPT`, 'COMMIT', '')
    await run(inNetns(target.netns, ['iptables-legacy-restore']), { input: lines.join('\n') })
  },
}
