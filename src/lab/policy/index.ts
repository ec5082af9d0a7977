/** The policy implementations, by the name `--policy-impl` takes (measure/treatments.ts lists the names). */
import type { PolicyImpl } from './names.js'
import { ebpfPolicy } from './ebpf.js'
import { iptablesLegacyPolicy, iptablesNftPolicy } from './iptables.js'
import { ipsetPolicy } from './ipset.js'
import { nftPolicy } from './nft.js'
import { nftSetPolicy } from './nft-set.js'
import type { PolicyImplementation } from './policy.js'

export const policyImplementations: Readonly<Record<PolicyImpl, PolicyImplementation>> = {
  'iptables-legacy': iptablesLegacyPolicy,
  'iptables-nft': iptablesNftPolicy,
  nft: nftPolicy,
  'nft-set': nftSetPolicy,
  ipset: ipsetPolicy,
  ebpf: ebpfPolicy,
}
