/**
 * kube-proxy's nftables mode, in its layout: one verdict map from (ClusterIP . protocol . port) to a per-Service
 * chain, which picks an endpoint chain with `numgen random`, which DNATs. The Service lookup is one hash probe
 * whatever N is; the cost is in loading (a chain per Service and per endpoint).
 */
import { needsFeature, needsTool } from '../datapath.js'
import { loadNft } from '../policy/nft.js'
import { needsNodeNetfilter, type ServiceEntry, type ServiceProxy, type ServicesTarget } from './services.js'

const KUBE_PROXY_TABLE = 'cnibench-kube-proxy'

/** The `nft -f` input for `services` (pure). */
export function kubeProxyNftablesText(target: ServicesTarget, services: readonly ServiceEntry[]): string {
  const hook = target.hook === 'prerouting' ? 'prerouting priority dstnat' : 'output priority -100'
  const lines = [
    `table ip ${KUBE_PROXY_TABLE} {`,
    '  chain mark-for-masquerade {',
    '    meta mark set meta mark | 0x4000',
    '  }',
    '  chain masquerading {',
    '    meta mark & 0x4000 == 0 return',
    '    meta mark set meta mark ^ 0x4000',
    '    masquerade fully-random',
    '  }',
  ]
  const elements: string[] = []
  services.forEach((svc, i) => {
    elements.push(`${svc.ip} . tcp . ${svc.port} : goto service-${i}`)
    const picks = svc.endpoints.map((_, k) => `${k} : goto endpoint-${i}-${k}`).join(', ')
    svc.endpoints.forEach((ep, k) => {
      lines.push(`  chain endpoint-${i}-${k} {`, `    ip saddr ${ep.ip} jump mark-for-masquerade`, `    meta l4proto tcp dnat to ${ep.ip}:${ep.port}`, '  }')
    })
    lines.push(`  chain service-${i} {`, `    numgen random mod ${svc.endpoints.length} vmap { ${picks} }`, '  }')
  })
  // Everything a rule refers to is declared before it: endpoint chains, Service chains, the map, then the hooks.
  lines.push('  map service-ips {', '    type ipv4_addr . inet_proto . inet_service : verdict', ...(elements.length > 0 ? [`    elements = { ${elements.join(', ')} }`] : []), '  }')
  lines.push('  chain services {', '    ip daddr . meta l4proto . th dport vmap @service-ips', '  }')
  lines.push(`  chain nat-${target.hook} {`, `    type nat hook ${hook}; policy accept;`, '    jump services', '  }')
  lines.push('  chain nat-postrouting {', '    type nat hook postrouting priority srcnat; policy accept;', '    jump masquerading', '  }', '}', '')
  return lines.join('\n')
}

export const kubeProxyNftables: ServiceProxy = {
  describe: (t) => `kube-proxy nftables mode: one verdict-map lookup, in the nat ${t.hook} hook of ${t.nodeNetns}`,
  requires: [needsTool('nft'), needsFeature('nftables')],
  problem: needsNodeNetfilter,
  async load(target, services) {
    await loadNft(target.nodeNetns, kubeProxyNftablesText(target, services))
    return {}
  },
}
