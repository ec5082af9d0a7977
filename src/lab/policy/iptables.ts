/**
 * Policy as Calico's iptables dataplane keeps it: rules in the filter table, walked in order, in the chain the
 * server's packets cross. Two back ends of the same iptables: the legacy x_tables one and iptables-nft (nf_tables
 * underneath, with compat expressions for the matches), loaded with iptables-restore in one transaction.
 */
import { inNetns } from '../../exec/netns.js'
import { run } from '../../exec/run.js'
import { needsFeature, needsTool } from '../datapath.js'
import { listedPort, type PolicyImplementation, type PolicyRules, type PolicyTarget } from './policy.js'

export const chainOf = (target: PolicyTarget) => (target.hook === 'forward' ? 'FORWARD' : 'INPUT')

/** The iptables-restore input for `rules` (pure). */
export function iptablesPolicyText(target: PolicyTarget, rules: PolicyRules): string {
  const chain = chainOf(target)
  const lines = ['*filter', `:${chain} ACCEPT [0:0]`]
  if (rules.establishedFirst) lines.push(`-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`)
  for (let i = 0; i < rules.count; i++) lines.push(`-A ${chain} -d ${target.podIp}/32 -p tcp -m tcp --dport ${listedPort(i)} -j DROP`)
  lines.push(`-A ${chain} -j ACCEPT`, 'COMMIT', '')
  return lines.join('\n')
}

function iptablesPolicy(backend: 'legacy' | 'nft'): PolicyImplementation {
  const restore = `iptables-${backend}-restore`
  return {
    describe: (t) => `iptables (${backend === 'legacy' ? 'legacy x_tables' : 'nf_tables back end'}): a linear list in the ${chainOf(t)} chain of ${t.netns}`,
    requires: [needsTool(`iptables-${backend}`), needsFeature(backend === 'legacy' ? 'iptables' : 'nftables')],
    load: async (target, rules) => {
      await run(inNetns(target.netns, [restore]), { input: iptablesPolicyText(target, rules) })
    },
  }
}

export const iptablesLegacyPolicy = iptablesPolicy('legacy')
export const iptablesNftPolicy = iptablesPolicy('nft')
