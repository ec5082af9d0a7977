/** The Service proxies, by the name `--proxy` takes (measure/treatments.ts lists the names). */
import type { ProxyImpl } from './names.js'
import { ebpfSocketProxy } from './ebpf-socket.js'
import { ebpfTcProxy } from './ebpf-tc.js'
import { kubeProxyIptablesLegacy, kubeProxyIptablesNft } from './iptables.js'
import { kubeProxyNftables } from './nftables.js'
import type { ServiceProxy } from './services.js'

export const serviceProxies: Readonly<Record<ProxyImpl, ServiceProxy>> = {
  'iptables-legacy': kubeProxyIptablesLegacy,
  'iptables-nft': kubeProxyIptablesNft,
  nftables: kubeProxyNftables,
  'ebpf-tc': ebpfTcProxy,
  'ebpf-socket': ebpfSocketProxy,
}
