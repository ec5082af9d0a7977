/**
 * What a cluster run stores about the cluster once its pods run, read from inside them and through the API:
 * per node, bare metal or VM (the DMI vendor and product, the CPU's hypervisor flag), the node NIC's MTU and offloads
 * (ethtool from the hostNetwork pod), the pod's MTU; the CNI's mode where its configuration is readable (Calico
 * IPPools, Cilium's and Flannel's ConfigMaps); and the CNI agent's own CPU and memory on each node from the kubelet's
 * summary API. Each fact that cannot be read says why instead of being left out or guessed.
 */
import type { CoreV1Api, KubeConfig } from '@kubernetes/client-node'
import type { RunResult } from '../exec/run.js'
import { offloadStateOf } from '../lab/offloads.js'

type Exec = (pod: string, argv: string[]) => Promise<RunResult>

/** The node a hostNetwork pod runs on, as seen from inside it. */
export async function nodeFacts(exec: Exec, hostPod: string): Promise<Record<string, unknown>> {
  const sh = async (script: string) => (await exec(hostPod, ['sh', '-c', script]).catch((e: Error) => ({ stdout: '', stderr: e.message, code: -1 }))).stdout.trim()
  const vendor = await sh('cat /sys/class/dmi/id/sys_vendor 2>/dev/null')
  const product = await sh('cat /sys/class/dmi/id/product_name 2>/dev/null')
  const hypervisorFlag = (await sh("grep -m1 -c -w hypervisor /proc/cpuinfo 2>/dev/null")) === '1'
  const nic = await sh("awk '$2==\"00000000\"{print $1; exit}' /proc/net/route")
  const mtu = nic ? Number(await sh(`cat /sys/class/net/${nic}/mtu`)) : Number.NaN
  const offloadsJson = nic ? await sh(`ethtool --json -k ${nic} 2>/dev/null`) : ''
  return {
    machine: hypervisorFlag ? 'vm' : vendor || product ? 'bare-metal' : 'unknown', // as a lab run's `virtualization`
    dmi: vendor || product ? `${vendor} ${product}`.trim() : 'not readable (no /sys/class/dmi in the pod)',
    nic: nic || 'not found (no default route)',
    nodeMtu: Number.isFinite(mtu) ? mtu : null,
    nicOffloads: offloadsJson ? activeOffloads(offloadsJson) : 'not read (ethtool missing in the image, or no permission)',
  }
}

/** A real NIC's offloads, fixed ones included: for a real NIC what the driver fixes off is the point. */
function activeOffloads(json: string): Record<string, boolean> | string {
  const parsed = parseJson(json)
  return parsed === undefined ? 'not readable' : offloadStateOf(parsed as Parameters<typeof offloadStateOf>[0], true)
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

export async function podMtu(exec: Exec, pod: string): Promise<number | null> {
  const out = await exec(pod, ['cat', '/sys/class/net/eth0/mtu']).catch(() => undefined)
  const mtu = Number(out?.stdout.trim())
  return Number.isFinite(mtu) && mtu > 0 ? mtu : null
}

/** The CNI's mode from its own configuration objects; one line per source read, or why not. */
export async function cniMode(kc: KubeConfig, core: CoreV1Api, cni: string): Promise<string> {
  const { CustomObjectsApi } = await import('@kubernetes/client-node')
  if (/^(Calico|Canal)/.test(cni)) {
    const pools = await kc.makeApiClient(CustomObjectsApi).listClusterCustomObject({ group: 'crd.projectcalico.org', version: 'v1', plural: 'ippools' }).catch((e: Error) => e)
    if (pools instanceof Error) return `not read (IPPools: ${pools.message})`
    const items = (pools as { items?: { metadata?: { name?: string }; spec?: { ipipMode?: string; vxlanMode?: string; cidr?: string } }[] }).items ?? []
    return items.map((p) => `IPPool ${p.metadata?.name} ${p.spec?.cidr}: ipipMode ${p.spec?.ipipMode ?? 'Never'}, vxlanMode ${p.spec?.vxlanMode ?? 'Never'}`).join('; ') || 'no IPPools'
  }
  if (/^Cilium/.test(cni)) {
    const cm = await core.readNamespacedConfigMap({ name: 'cilium-config', namespace: 'kube-system' }).catch((e: Error) => e)
    if (cm instanceof Error) return `not read (cilium-config: ${cm.message})`
    const d = cm.data ?? {}
    return `routing-mode ${d['routing-mode'] ?? d['tunnel'] ?? '?'}, tunnel-protocol ${d['tunnel-protocol'] ?? '?'}, kube-proxy-replacement ${d['kube-proxy-replacement'] ?? '?'}`
  }
  if (/^Flannel/.test(cni)) {
    const cm = await core.readNamespacedConfigMap({ name: 'kube-flannel-cfg', namespace: 'kube-flannel' }).catch(() => core.readNamespacedConfigMap({ name: 'kube-flannel-cfg', namespace: 'kube-system' })).catch((e: Error) => e)
    if (cm instanceof Error) return `not read (kube-flannel-cfg: ${cm.message})`
    const conf = parseJson(cm.data?.['net-conf.json'] ?? '{}') as { Backend?: { Type?: string } } | undefined
    return conf ? `backend ${conf.Backend?.Type ?? '?'}` : 'not read (net-conf.json is not JSON)'
  }
  return 'not read (no known configuration for this CNI)'
}

/**
 * The CNI agent's CPU (cores) and memory (MiB, working set) on a node, from the kubelet's summary API through the
 * API server's node proxy: measured, not quoted ("Cilium agent ~300 MB vs calico-node ~150 MB").
 */
export async function agentUsage(core: CoreV1Api, node: string, agent: RegExp): Promise<Record<string, unknown>> {
  const text = await core.connectGetNodeProxyWithPath({ name: node, path: 'stats/summary' }).catch((e: Error) => e)
  if (text instanceof Error) return { error: `kubelet summary not read: ${text.message}` }
  const summary = (typeof text === 'string' ? (parseJson(text) ?? {}) : text) as { pods?: { podRef: { name: string; namespace: string }; cpu?: { usageNanoCores?: number }; memory?: { workingSetBytes?: number } }[] }
  const pods = (summary.pods ?? []).filter((p) => agent.test(p.podRef.name))
  if (pods.length === 0) return { error: 'no CNI agent pod in the kubelet summary' }
  return Object.fromEntries(pods.map((p) => [`${p.podRef.namespace}/${p.podRef.name}`, { cpuCores: (p.cpu?.usageNanoCores ?? Number.NaN) / 1e9, memoryMiB: (p.memory?.workingSetBytes ?? Number.NaN) / 2 ** 20 }]))
}
