/**
 * kube-proxy's iptables mode, in its layout: the nat table's KUBE-SERVICES chain holds one rule per Service port
 * (walked in order by a connection's first packet), each jumping to a KUBE-SVC chain that picks an endpoint with the
 * statistic match, then to a KUBE-SEP chain that DNATs to it. Later packets follow conntrack, so N shows in
 * connection setup. Two back ends: legacy x_tables and iptables-nft, loaded with iptables-restore.
 */
import { restoreIn } from '../policy/iptables.js'
import { needsFeature, needsTool } from '../datapath.js'
import { needsNodeNetfilter, type ServiceEntry, type ServiceProxy, type ServicesTarget } from './services.js'

/** The iptables-restore input for `services` (pure). */
export function kubeProxyIptablesText(target: ServicesTarget, services: readonly ServiceEntry[]): string {
  const chains = ['KUBE-SERVICES', 'KUBE-MARK-MASQ', 'KUBE-POSTROUTING']
  const rules: string[] = [
    `-A ${target.hook === 'prerouting' ? 'PREROUTING' : 'OUTPUT'} -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  ]
  services.forEach((svc, i) => {
    const svcChain = `KUBE-SVC-${i}`
    chains.push(svcChain)
    rules.push(`-A KUBE-SERVICES -d ${svc.ip}/32 -p tcp -m comment --comment "default/${svc.name}:http cluster IP" -m tcp --dport ${svc.port} -j ${svcChain}`)
    svc.endpoints.forEach((ep, k) => {
      const sepChain = `KUBE-SEP-${i}-${k}`
      chains.push(sepChain)
      const remaining = svc.endpoints.length - k
      // The statistic match's probability makes each endpoint equally likely: 1/2, then the rest for the last one.
      const pick = remaining > 1 ? ` -m statistic --mode random --probability ${(1 / remaining).toFixed(11)}` : ''
      rules.push(`-A ${svcChain} -m comment --comment "default/${svc.name}:http -> ${ep.ip}:${ep.port}"${pick} -j ${sepChain}`)
      rules.push(`-A ${sepChain} -s ${ep.ip}/32 -m comment --comment "default/${svc.name}:http" -j KUBE-MARK-MASQ`)
      rules.push(`-A ${sepChain} -p tcp -m comment --comment "default/${svc.name}:http" -m tcp -j DNAT --to-destination ${ep.ip}:${ep.port}`)
    })
  })
  return ['*nat', ...chains.map((c) => `:${c} - [0:0]`), ...rules, 'COMMIT', ''].join('\n')
}

function kubeProxyIptables(backend: 'legacy' | 'nft'): ServiceProxy {
  return {
    describe: (t) => `kube-proxy iptables mode (${backend === 'legacy' ? 'legacy x_tables' : 'nf_tables back end'}): KUBE-SERVICES walked in order, in the nat ${t.hook} hook of ${t.nodeNetns}`,
    requires: [needsTool(`iptables-${backend}`), needsFeature(backend === 'legacy' ? 'iptables' : 'nftables')],
    problem: needsNodeNetfilter,
    async load(target, services) {
      await restoreIn(target.nodeNetns, `iptables-${backend}-restore`, kubeProxyIptablesText(target, services))
      return {}
    },
  }
}

export const kubeProxyIptablesLegacy = kubeProxyIptables('legacy')
export const kubeProxyIptablesNft = kubeProxyIptables('nft')
