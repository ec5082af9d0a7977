/**
 * Policy as one nftables set of (address . port) pairs and one rule that looks the packet up in it: a hashed lookup,
 * the layout that keeps nftables flat as the list grows.
 */
import { needsFeature, needsTool } from '../datapath.js'
import { loadNft, nftPolicyTable } from './nft.js'
import { listedPort, type PolicyImplementation } from './policy.js'

export const nftSetPolicy: PolicyImplementation = {
  describe: (t) => `nftables: one set lookup of (address . port) in a ${t.hook} base chain of ${t.netns}`,
  requires: [needsTool('nft'), needsFeature('nftables')],
  load(target, rules) {
    const elements = Array.from({ length: rules.count }, (_, i) => `${target.podIp} . ${listedPort(i)}`)
    const set = [`set blocked {`, `  type ipv4_addr . inet_service`, ...(elements.length > 0 ? [`  elements = { ${elements.join(', ')} }`] : []), `}`]
    return loadNft(target.netns, nftPolicyTable(target, rules, ['ip daddr . tcp dport @blocked drop'], set))
  },
}
