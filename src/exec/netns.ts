/**
 * Reading and changing network namespaces through iproute2's machine interfaces: `-json` for reads, `-batch` for
 * writes. Every helper takes the namespace explicitly; nothing here ever runs in the host's own namespace unless the
 * caller passes `undefined` on purpose (only `ip netns` management does).
 */
import { run, runJson, type RunOptions } from './run.js'

/** argv that runs `argv` inside namespace `netns` (ip netns exec execs, so the pid is the tool's own). */
export function inNetns(netns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', netns, ...argv]
}

/** `ip -n NS -json ARGS...` parsed. */
export function ipJson<T>(netns: string, args: readonly string[]): Promise<T> {
  return runJson<T>(['ip', '-n', netns, '-json', ...args])
}

/** `ip -n NS -json -details link show` */
export function listLinks(netns: string): Promise<IpLink[]> {
  return ipJson<IpLink[]>(netns, ['-details', '-statistics', 'link', 'show'])
}

export async function listNetns(): Promise<string[]> {
  const entries = (await runJson<{ name: string }[] | null>(['ip', '-json', 'netns', 'list'])) ?? []
  return entries.map((e) => e.name)
}

/** Pids of every process whose network namespace is `netns`. */
export async function netnsPids(netns: string): Promise<number[]> {
  const result = await run(['ip', 'netns', 'pids', netns], { allowFailure: true })
  return result.stdout
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number)
}

/** Feed lines to `TOOL [-n NS] -batch -`; iproute2 stops at the first failing line and names it. */
export function batch(tool: 'ip' | 'tc' | 'bridge', netns: string | undefined, lines: readonly string[], opts: RunOptions = {}) {
  const argv = netns === undefined ? [tool, '-batch', '-'] : [tool, '-n', netns, '-batch', '-']
  return run(argv, { ...opts, input: lines.join('\n') + '\n' })
}

/** Set sysctls inside a namespace in one process. Keys use '/' separators so device names may contain dots. */
export function setSysctls(netns: string, values: readonly { key: string; value: string }[]) {
  const assignments = values.map(({ key, value }) => `${key.replace(/\./g, '/')}=${value}`)
  return run(inNetns(netns, ['sysctl', '-q', '-w', ...assignments]))
}

export interface FdbEntry {
  mac: string
  ifname: string
  /** Remote VTEP for VXLAN entries. */
  dst?: string
  master?: string
}

/** `bridge -n NS -json fdb show [br BRIDGE] [dev DEV]` */
export async function bridgeFdb(netns: string, filter: { bridge?: string; dev?: string }): Promise<FdbEntry[]> {
  const args = ['fdb', 'show', ...(filter.bridge ? ['br', filter.bridge] : []), ...(filter.dev ? ['dev', filter.dev] : [])]
  return (await runJson<FdbEntry[] | null>(['bridge', '-n', netns, '-json', ...args])) ?? []
}

/** The subset of `ip -json -details -statistics link show` cnibench reads. */
export interface IpLink {
  ifindex: number
  ifname: string
  flags: string[]
  mtu: number
  operstate?: string
  link_type?: string
  address?: string
  master?: string
  /** Index of the peer (veth) or lower (macvlan, vxlan) device; in `link_netnsid`'s namespace when that is set. */
  link_index?: number
  link?: string
  link_netnsid?: number
  promiscuity?: number
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown>; info_slave_kind?: string }
  stats64?: { rx: LinkCounters; tx: LinkCounters }
}

export interface LinkCounters {
  bytes: number
  packets: number
  errors: number
  dropped: number
}
