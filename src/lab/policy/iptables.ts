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

/** The iptables-restore input for `rules` (pure): N linear rules, or the `matches` given instead (ipset's one). */
export function iptablesPolicyText(target: PolicyTarget, rules: PolicyRules, matches?: string[]): string {
  const chain = chainOf(target)
  const lines = ['*filter', `:${chain} ACCEPT [0:0]`]
  if (rules.establishedFirst) lines.push(`-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`)
  const drops = matches ?? Array.from({ length: rules.count }, (_, i) => `-d ${target.podIp}/32 -p tcp -m tcp --dport ${listedPort(i)}`)
  for (const match of drops) lines.push(`-A ${chain} ${match} -j DROP`)
  lines.push(`-A ${chain} -j ACCEPT`, 'COMMIT', '')
  return lines.join('\n')
}

/**
 * Load an iptables-restore (or ipset restore) text into `netns` in one transaction. `-w` waits for the xtables lock,
 * which is one per host: another program holding it (a container runtime, a firewall) must not fail the load.
 */
export async function restoreIn(netns: string, tool: 'iptables-legacy-restore' | 'iptables-nft-restore' | 'ipset', text: string): Promise<void> {
  await run(inNetns(netns, tool === 'ipset' ? ['ipset', 'restore'] : [tool, '-w']), { input: text })
}

function iptablesPolicy(backend: 'legacy' | 'nft'): PolicyImplementation {
  const restore = `iptables-${backend}-restore` as const
  return {
    describe: (t) => `iptables (${backend === 'legacy' ? 'legacy x_tables' : 'nf_tables back end'}): a linear list in the ${chainOf(t)} chain of ${t.netns}`,
    requires: [needsTool(`iptables-${backend}`), needsFeature(backend === 'legacy' ? 'iptables' : 'nftables')],
    load: (target, rules) => restoreIn(target.netns, restore, iptablesPolicyText(target, rules)),
  }
}

export const iptablesLegacyPolicy = iptablesPolicy('legacy')
export const iptablesNftPolicy = iptablesPolicy('nft')
