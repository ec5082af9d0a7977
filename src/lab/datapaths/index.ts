/**
 * The datapath registry: an explicit list, so the set of datapaths is visible in one place and type-checked.
 * Adding a datapath = one file in this folder + one line here.
 */
import { CnibenchError } from '../../errors.js'
import { factsOf, type Datapath, type DatapathOptions } from '../datapath.js'
import { calicoBgp } from './calico-bgp.js'
import { calicoEbpf } from './calico-ebpf.js'
import { calicoCrosssubnet } from './calico-crosssubnet.js'
import { calicoIpip } from './calico-ipip.js'
import { calicoVxlan } from './calico-vxlan.js'
import { canal } from './canal.js'
import { ciliumNative } from './cilium-native.js'
import { ciliumVxlan } from './cilium-vxlan.js'
import { flannelHostGw } from './flannel-host-gw.js'
import { flannelUdp } from './flannel-udp.js'
import { flannelVxlan } from './flannel-vxlan.js'
import { host } from './host.js'
import { macvlan } from './macvlan.js'
import { ovs } from './ovs.js'
import { ovsBridge } from './ovs-bridge.js'

export const datapaths = {
  host,
  'calico-bgp': calicoBgp,
  'calico-ipip': calicoIpip,
  'calico-vxlan': calicoVxlan,
  'calico-crosssubnet': calicoCrosssubnet,
  'calico-ebpf': calicoEbpf,
  'flannel-host-gw': flannelHostGw,
  'flannel-vxlan': flannelVxlan,
  'flannel-udp': flannelUdp,
  canal,
  'cilium-native': ciliumNative,
  'cilium-vxlan': ciliumVxlan,
  macvlan,
  ovs,
  'ovs-bridge': ovsBridge,
} as const satisfies Record<string, Datapath>

export type DatapathName = keyof typeof datapaths

export const datapathNames = Object.keys(datapaths) as DatapathName[]

export function getDatapath(name: string): Datapath {
  const found = (datapaths as Record<string, Datapath>)[name]
  if (!found) {
    throw new CnibenchError('E_UNKNOWN_DATAPATH', `unknown datapath "${name}"`, {
      hint: `choose one of: ${datapathNames.join(', ')} (see \`cnibench datapaths\`)`,
    })
  }
  return found
}

/**
 * The caveat of a measured cell: as stored with it, or, for runs stored before caveats were, the datapath's own facts
 * under the options the run stored (the function that would have stored it).
 */
export function caveatOf(datapath: string, context: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof context['caveat'] === 'string') return context['caveat']
  if (!datapathNames.includes(datapath as DatapathName)) return undefined
  return factsOf(getDatapath(datapath), (context['options'] ?? {}) as DatapathOptions).caveat
}
