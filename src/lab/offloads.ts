/**
 * NIC offload profiles for the nodes' underlay devices. A lab's eth0 is a veth, which offers every offload the kernel
 * knows: TSO/GSO for plain TCP and for tunnelled packets (VXLAN, IP-in-IP), checksum offload, GRO. Real NICs differ,
 * and the difference decides what encapsulation costs: a published rerun of a CNI benchmark measured VXLAN at 3.4
 * Gbit/s without tunnel checksum offload against 21.6 with it, and the studies measured Flannel VXLAN far below the
 * host network on virtual NICs. A profile turns off on every node's eth0 what the emulated NIC lacks, so the kernel
 * segments and checksums in software exactly where a host with that NIC would.
 *
 * Measured on a 2-vCPU VM: turning off only tx-udp_tnl-csum-segmentation on the nodes' eth0 took flannel-vxlan to
 * 0.58× the host network while host and calico-bgp stayed at ≥ 0.94×; turning TSO/GSO off everywhere hurts routed
 * paths more than VXLAN, so `none` models an old or emulated NIC, not "a NIC without tunnel offload".
 *
 * Pure apart from `applyAndReadOffloads`, which runs ethtool inside the node namespaces (never the host's).
 */
import { CnibenchError } from '../errors.js'
import { inNetns } from '../exec/netns.js'
import { runJson } from '../exec/run.js'
import type { Script } from './script.js'

/** The part of a lab plan the profiles act on (structural, so the planner can hold a profile without a cycle). */
interface PlannedNodes {
  nodes: readonly { name: string; netns: string }[]
}

export interface NicProfile {
  /** full | no-tunnel-offload | none | custom:feature=on|off,... */
  name: string
  /** What it emulates, for docs, `run --help` and reports. */
  describe: string
  /** ethtool -K settings (feature name → on/off) applied to every node's underlay device. */
  features: Readonly<Record<string, 'on' | 'off'>>
}

/** Segmentation offloads for encapsulated packets: UDP tunnels (VXLAN, Geneve), IP-in-IP and GRE. */
const TUNNEL_SEGMENTATION = [
  'tx-udp_tnl-segmentation',
  'tx-udp_tnl-csum-segmentation',
  'tx-ipxip4-segmentation',
  'tx-ipxip6-segmentation',
  'tx-gre-segmentation',
  'tx-gre-csum-segmentation',
] as const

const off = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, 'off' as const]))

export const nicProfiles = {
  full: {
    name: 'full',
    describe: 'every offload veth offers, tunnel segmentation included (server NICs with VXLAN/IP-in-IP offload, SR-IOV VFs)',
    features: {},
  },
  'no-tunnel-offload': {
    name: 'no-tunnel-offload',
    describe:
      'TSO and checksum offload for plain traffic, no segmentation offload for UDP tunnels or IP-in-IP/GRE, GRO on ' +
      'receive: the sending node segments encapsulated packets in software and the receiving one merges them again, ' +
      'as with virtio-net and many cloud virtual NICs',
    // veth has GRO off (it normally receives unsegmented packets); a real NIC's driver has it on.
    features: { ...off(TUNNEL_SEGMENTATION), gro: 'on' },
  },
  none: {
    name: 'none',
    describe: 'no TSO, GSO, GRO or checksum offload: every packet crosses the stack on its own (emulated or old NICs, e.g. e1000)',
    features: off(['tx', 'rx', 'tso', 'gso', 'gro']),
  },
} as const satisfies Record<string, NicProfile>

export const DEFAULT_NIC_PROFILE = 'full'

/** The profile a user named, or a one-line error listing the choices. `custom:` takes any ethtool feature. */
export function parseNicProfile(text: string): NicProfile {
  const named = (nicProfiles as Record<string, NicProfile>)[text]
  if (named) return named
  if (text.startsWith('custom:')) {
    const features: Record<string, 'on' | 'off'> = {}
    for (const item of text.slice('custom:'.length).split(',')) {
      const m = /^([a-z0-9][a-z0-9_-]*)=(on|off)$/.exec(item.trim())
      if (!m) throw badProfile(text, `"${item}" is not feature=on|off`)
      features[m[1] as string] = m[2] as 'on' | 'off'
    }
    if (Object.keys(features).length === 0) throw badProfile(text, 'it names no feature')
    return { name: text, describe: 'custom ethtool settings on every node\'s underlay device', features }
  }
  throw badProfile(text, 'unknown profile')
}

/** "full,custom:a=off,b=on" → ["full", "custom:a=off,b=on"]: a custom profile's settings are separated by commas too. */
export function splitNicProfiles(text: string): string[] {
  const items: string[] = []
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const last = items.at(-1)
    if (last?.startsWith('custom:') && part.includes('=') && !part.startsWith('custom:')) items[items.length - 1] = `${last},${part}`
    else items.push(part)
  }
  return items
}

function badProfile(text: string, why: string): CnibenchError {
  return new CnibenchError('E_USAGE', `--nic-offloads ${text}: ${why}`, {
    hint: `use ${Object.keys(nicProfiles).join(', ')}, or custom:feature=on|off,... with names from \`ethtool -k\``,
  })
}

/** The ethtool step for each node's eth0 (nothing for `full`). Pure: part of the lab's Script, shown by --dry-run. */
export function offloadSteps(plan: PlannedNodes, profile: NicProfile, script: Script): void {
  const settings = Object.entries(profile.features).flatMap(([feature, state]) => [feature, state])
  if (settings.length === 0) return
  for (const node of plan.nodes) script.ethtool(node.netns, '-K', 'eth0', ...settings)
}

/** One device's changeable offloads (the driver's fixed ones left out) as `ethtool --json -k` reports them: feature → active. */
export type OffloadState = Record<string, boolean>

export interface OffloadReadback {
  profile: string
  /** "node1:eth0" → every feature's state after the profile was applied. */
  devices: Record<string, OffloadState>
  /** Requested settings the device did not take (a feature fixed by the driver), per device. */
  notApplied: string[]
}

/** ethtool's short names → the feature its JSON reports them under. */
const SHORT_NAMES: Record<string, string> = {
  tx: 'tx-checksumming',
  rx: 'rx-checksumming',
  sg: 'scatter-gather',
  tso: 'tcp-segmentation-offload',
  gso: 'generic-segmentation-offload',
  gro: 'generic-receive-offload',
  lro: 'large-receive-offload',
}

/** Read every node's eth0 offloads back and check the profile took. */
export async function readOffloads(plan: PlannedNodes, profile: NicProfile): Promise<OffloadReadback> {
  const devices: Record<string, OffloadState> = {}
  const notApplied: string[] = []
  for (const node of plan.nodes) {
    const state = await deviceOffloads(node.netns, 'eth0')
    devices[`${node.name}:eth0`] = state
    for (const [feature, wanted] of Object.entries(profile.features)) {
      const reported = state[SHORT_NAMES[feature] ?? feature]
      if (reported === undefined) notApplied.push(`${node.name}:eth0 has no feature ${feature}`)
      else if (reported !== (wanted === 'on')) notApplied.push(`${node.name}:eth0 ${feature} stayed ${reported ? 'on' : 'off'}`)
    }
  }
  return { profile: profile.name, devices, notApplied }
}

/**
 * `ethtool --json -k DEV` inside `netns` (or the host's namespace when `netns` is undefined: read-only). Features the
 * driver fixes are left out unless `includeFixed`: a lab's veth can change them, a real NIC cannot, and for a real
 * NIC what is fixed off is the point.
 */
export async function deviceOffloads(netns: string | undefined, device: string, includeFixed = false): Promise<OffloadState> {
  const argv = ['ethtool', '--json', '-k', device]
  return offloadStateOf(await runJson<EthtoolFeatures>(netns ? inNetns(netns, argv) : argv), includeFixed)
}

type EthtoolFeatures = { [feature: string]: { active?: boolean; fixed?: boolean | null } | string }[] | null

/** `ethtool --json -k` output as feature → active (fixed features only with `includeFixed`). */
export function offloadStateOf(parsed: EthtoolFeatures, includeFixed: boolean): OffloadState {
  const entry = parsed?.[0] ?? {}
  const state: OffloadState = {}
  for (const [feature, value] of Object.entries(entry)) {
    if (typeof value === 'object' && typeof value.active === 'boolean' && (includeFixed || value.fixed !== true)) state[feature] = value.active
  }
  return state
}

/** The features of `state` that `full` (veth) has on and this device has off: what a profile or a real NIC lacks. */
export function missingOffloads(state: OffloadState, reference: OffloadState): string[] {
  return Object.keys(reference).filter((f) => reference[f] === true && state[f] === false)
}
