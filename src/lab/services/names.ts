/** The Service proxies' names, without their code: what configuration checks against (registry: ./index.ts). */
export const proxyImpls = ['iptables-legacy', 'iptables-nft', 'nftables', 'ebpf-tc', 'ebpf-socket'] as const
export type ProxyImpl = (typeof proxyImpls)[number]
