/** The policy implementations' names, without their code: what configuration checks against (registry: ./index.ts). */
export const policyImpls = ['iptables-legacy', 'iptables-nft', 'nft', 'nft-set', 'ipset', 'ebpf'] as const
export type PolicyImpl = (typeof policyImpls)[number]
