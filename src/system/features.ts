/**
 * Kernel features the datapaths need, each probed by trying it: create the device (or attach the program) in a
 * throw-away namespace and see whether the kernel accepts it. Version numbers and config files lie (backports,
 * modules built in or missing, containers); trying does not.
 */
import { join } from 'node:path'
import { existsSync } from 'node:fs'
import { batch } from '../exec/netns.js'
import { run } from '../exec/run.js'
import { mountPointOf } from './mounts.js'
import { bpfObjectPath } from './paths.js'

export const features = [
  'veth',
  'bridge',
  'vxlan',
  'vxlan-external',
  'macvlan',
  'ipvlan',
  'ipip',
  'gre',
  'geneve',
  'wireguard',
  'vrf',
  'tun',
  'openvswitch',
  'tc-bpf',
  'iptables',
  'nftables',
  'ipset',
  'ipvs',
  'cgroup2',
] as const
export type Feature = (typeof features)[number]

export interface FeatureProbe {
  feature: Feature
  available: boolean
  /** Why not, in the kernel's or tool's own words (empty when available). */
  reason: string
  /** The fix, for a user who needs this feature. */
  fix: string
}

interface ProbeSpec {
  /** `ip` batch line (run inside the probe namespace) that only succeeds when the feature exists. */
  ipLine?: string
  kconfig: string
  module: string
  what: string
}

/** The veth the probe creates, left in the scratch namespace for other readings (its offloads). */
export const VETH_PROBE_DEVICE = 'cnbp0'

const specs: Record<Exclude<Feature, 'tc-bpf' | 'tun' | 'iptables' | 'nftables' | 'ipset' | 'ipvs' | 'cgroup2'>, ProbeSpec> = {
  veth: { ipLine: 'link add cnbp0 type veth peer name cnbp1', kconfig: 'CONFIG_VETH', module: 'veth', what: 'veth pairs' },
  bridge: { ipLine: 'link add cnbbr type bridge', kconfig: 'CONFIG_BRIDGE', module: 'bridge', what: 'Linux bridges' },
  vxlan: { ipLine: 'link add cnbvx type vxlan id 1 dstport 8472', kconfig: 'CONFIG_VXLAN', module: 'vxlan', what: 'VXLAN' },
  'vxlan-external': {
    ipLine: 'link add cnbvxe type vxlan external dstport 8473',
    kconfig: 'CONFIG_VXLAN',
    module: 'vxlan',
    what: 'VXLAN in external (collect_md) mode',
  },
  macvlan: {
    ipLine: 'link add link cnbp0 name cnbmv type macvlan mode bridge',
    kconfig: 'CONFIG_MACVLAN',
    module: 'macvlan',
    what: 'macvlan',
  },
  ipvlan: { ipLine: 'link add link cnbp0 name cnbiv type ipvlan mode l2', kconfig: 'CONFIG_IPVLAN', module: 'ipvlan', what: 'ipvlan' },
  ipip: {
    ipLine: 'link add cnbipip type ipip local 10.255.0.1 remote 10.255.0.2',
    kconfig: 'CONFIG_NET_IPIP',
    module: 'ipip',
    what: 'IP-in-IP tunnels',
  },
  gre: {
    ipLine: 'link add cnbgre type gre local 10.255.0.1 remote 10.255.0.2',
    kconfig: 'CONFIG_NET_IPGRE',
    module: 'ip_gre',
    what: 'GRE tunnels',
  },
  geneve: { ipLine: 'link add cnbgnv type geneve id 1 remote 10.255.0.2', kconfig: 'CONFIG_GENEVE', module: 'geneve', what: 'Geneve' },
  wireguard: { ipLine: 'link add cnbwg type wireguard', kconfig: 'CONFIG_WIREGUARD', module: 'wireguard', what: 'WireGuard' },
  vrf: { ipLine: 'link add cnbvrf type vrf table 10', kconfig: 'CONFIG_NET_VRF', module: 'vrf', what: 'VRF devices' },
  openvswitch: {
    ipLine: 'link add cnbovs type openvswitch',
    kconfig: 'CONFIG_OPENVSWITCH',
    module: 'openvswitch',
    what: 'Open vSwitch kernel datapath',
  },
}

/** Probe every feature inside `netns` (a fresh, empty namespace the caller owns and deletes). */
export async function probeFeatures(netns: string): Promise<FeatureProbe[]> {
  const results: FeatureProbe[] = []
  // veth first: macvlan and ipvlan need its device as their lower link.
  for (const feature of Object.keys(specs) as (keyof typeof specs)[]) {
    results.push(await probeLink(netns, feature, specs[feature]))
  }
  results.push(await probeTun(netns))
  results.push(await probeTcBpf(netns))
  for (const probe of netfilterProbes) results.push(await probeByTool(netns, probe))
  results.push(await probeCgroup2())
  return results
}

interface ToolProbeSpec {
  feature: Feature
  /** Run inside the probe namespace; succeeds only when the kernel has the feature. */
  argv: string[]
  kconfig: string
  module: string
  what: string
  /** What cnibench uses it for, said when it is missing. */
  usedFor: string
  /** The fix, when it is not "install the tool or load the module". */
  fix?: string
}

/** Netfilter back ends and IPVS, tried with their own tools inside the probe namespace (rules die with it). */
const netfilterProbes: ToolProbeSpec[] = [
  { feature: 'iptables', argv: ['iptables-legacy', '-w', '-t', 'nat', '-N', 'CNB-PROBE'], kconfig: 'CONFIG_IP_NF_IPTABLES, CONFIG_IP_NF_NAT', module: 'ip_tables', what: 'legacy iptables (x_tables) with NAT', usedFor: 'policy and Services as iptables-legacy' },
  { feature: 'nftables', argv: ['nft', 'add table ip cnbprobe; add chain ip cnbprobe c { type nat hook prerouting priority dstnat; }'], kconfig: 'CONFIG_NF_TABLES, CONFIG_NFT_NAT', module: 'nf_tables', what: 'nftables with NAT', usedFor: 'policy as nft/nft-set/iptables-nft, Services as nftables/iptables-nft' },
  { feature: 'ipset', argv: ['ipset', 'create', 'cnbprobe', 'hash:ip,port'], kconfig: 'CONFIG_IP_SET_HASH_IPPORT', module: 'ip_set_hash_ipport', what: 'ipset hash:ip,port', usedFor: 'policy as ipset' },
  // ipvsadm is not installed for this alone: the proc file exists once IPVS is loaded, else the module must exist
  // (nothing is loaded to find out).
  { feature: 'ipvs', argv: ['sh', '-c', 'test -e /proc/net/ip_vs || modinfo -F filename ip_vs >/dev/null 2>&1'], kconfig: 'CONFIG_IP_VS', module: 'ip_vs', what: 'IPVS', usedFor: "kube-proxy's IPVS mode, which cnibench therefore does not offer", fix: 'use a kernel built with CONFIG_IP_VS (the ip_vs module)' },
]

async function probeByTool(netns: string, spec: ToolProbeSpec): Promise<FeatureProbe> {
  const result = await run(['ip', 'netns', 'exec', netns, ...spec.argv], { allowFailure: true }).catch((e: unknown) => ({ code: -1, stdout: '', stderr: e instanceof Error ? e.message : String(e) }))
  const ok = result.code === 0
  const why = result.stderr.split('\n').find((l) => l.trim())?.trim() ?? `exit ${result.code}`
  return {
    feature: spec.feature,
    available: ok,
    reason: ok ? '' : `no ${spec.what} here (${spec.kconfig}), needed for ${spec.usedFor}: ${why}`,
    fix: ok ? '' : (spec.fix ?? `install the tool (scripts/bootstrap.sh does) or load the module (\`modprobe ${spec.module}\`), or use a kernel built with ${spec.kconfig}`),
  }
}

/** A mounted cgroup v2 hierarchy: what socket-level load balancing (cgroup/connect4) attaches to. */
async function probeCgroup2(): Promise<FeatureProbe> {
  const root = await mountPointOf('cgroup2')
  return {
    feature: 'cgroup2',
    available: root !== undefined,
    reason: root ? '' : 'no cgroup v2 hierarchy is mounted, which socket-level load balancing (--proxy ebpf-socket) attaches to',
    fix: root ? '' : 'boot with the unified or hybrid cgroup hierarchy (systemd.unified_cgroup_hierarchy), or mount cgroup2',
  }
}

async function probeLink(netns: string, feature: keyof typeof specs, spec: ProbeSpec): Promise<FeatureProbe> {
  const result = await batch('ip', netns, [spec.ipLine as string], { allowFailure: true })
  const error = result.stderr.split('\n')[0]?.trim() ?? ''
  // The OVS rtnl kind exists only to be listed; creating one through rtnetlink is refused even when the module is
  // loaded. "Unknown device type" is what tells us the module is absent.
  const available = result.code === 0 || (feature === 'openvswitch' && !/unknown device type/i.test(error))
  return {
    feature,
    available,
    reason: available ? '' : `kernel has no ${spec.what} (${spec.kconfig}): ${error.replace(/^Error:\s*/, '').replace(/\.$/, '')}`,
    fix: available ? '' : `load the module (\`modprobe ${spec.module}\`) or use a kernel built with ${spec.kconfig}`,
  }
}

async function probeTun(netns: string): Promise<FeatureProbe> {
  const result = await run(['ip', '-n', netns, 'tuntap', 'add', 'dev', 'cnbtun', 'mode', 'tun'], { allowFailure: true })
  const ok = result.code === 0
  return {
    feature: 'tun',
    available: ok,
    reason: ok ? '' : `cannot create TUN devices: ${result.stderr.trim()}`,
    fix: ok ? '' : 'load the tun module (`modprobe tun`) and make /dev/net/tun available',
  }
}

/** clsact qdisc plus a tc eBPF program that calls bpf_redirect: what every eBPF datapath builds on. */
async function probeTcBpf(netns: string): Promise<FeatureProbe> {
  const object = bpfObjectPath('probe')
  if (!existsSync(object)) {
    return {
      feature: 'tc-bpf',
      available: false,
      reason: `BPF object ${object} was not built (clang or libbpf-dev missing at build time)`,
      fix: 'run ./scripts/bootstrap.sh, which installs clang and libbpf-dev and builds the BPF objects',
    }
  }
  const result = await batch(
    'tc',
    netns,
    ['qdisc add dev cnbp0 clsact', `filter add dev cnbp0 ingress bpf direct-action obj ${join(object)} sec tc`],
    { allowFailure: true },
  )
  const ok = result.code === 0
  return {
    feature: 'tc-bpf',
    available: ok,
    reason: ok ? '' : `tc could not attach an eBPF program: ${result.stderr.split('\n').find((l) => l.trim()) ?? ''}`,
    fix: ok ? '' : 'use a kernel with CONFIG_NET_CLS_BPF, CONFIG_NET_SCH_INGRESS and CONFIG_BPF_SYSCALL',
  }
}
