/**
 * External programs cnibench can use, probed by running them. The version each one reports is stored with every
 * result, because flags and defaults drift between versions of the same tool.
 */
import { run } from '../exec/run.js'
import { installHint } from './packages.js'

export const tools = ['ip', 'tc', 'iperf3', 'sockperf', 'netperf', 'bird', 'clang', 'bpftool', 'ovs-vswitchd', 'tcpdump', 'ping', 'iptables-legacy', 'iptables-nft', 'nft', 'ipset'] as const
export type Tool = (typeof tools)[number]

export interface ToolProbe {
  tool: Tool
  available: boolean
  version: string
  reason: string
  fix: string
}

/** How to ask each tool its version, and the pattern that finds the version in its answer. */
const versionQuery: Record<Tool, { argv: string[]; pattern: RegExp }> = {
  ip: { argv: ['ip', '-V'], pattern: /iproute2-([\w.]+)/ },
  tc: { argv: ['tc', '-V'], pattern: /iproute2-([\w.]+)/ },
  iperf3: { argv: ['iperf3', '--version'], pattern: /iperf ([\d.]+)/ },
  sockperf: { argv: ['sockperf', '--version'], pattern: /version ([\w.-]+)/ },
  netperf: { argv: ['netperf', '-V'], pattern: /Netperf version ([\d.]+)/i },
  bird: { argv: ['bird', '--version'], pattern: /BIRD version ([\d.]+)/ },
  clang: { argv: ['clang', '--version'], pattern: /clang version ([\d.]+)/ },
  bpftool: { argv: ['bpftool', 'version'], pattern: /v([\d.]+)/ },
  'ovs-vswitchd': { argv: ['ovs-vswitchd', '--version'], pattern: /\) ([\d.]+)/ },
  tcpdump: { argv: ['tcpdump', '--version'], pattern: /tcpdump version ([\d.]+)/ },
  ping: { argv: ['ping', '-V'], pattern: /(iputils[-\w.]+|s\d+)/ },
  'iptables-legacy': { argv: ['iptables-legacy', '--version'], pattern: /v([\d.]+)/ },
  'iptables-nft': { argv: ['iptables-nft', '--version'], pattern: /v([\d.]+)/ },
  nft: { argv: ['nft', '--version'], pattern: /v([\d.]+)/ },
  ipset: { argv: ['ipset', '--version'], pattern: /v([\d.]+)/ },
}

export async function probeTool(tool: Tool): Promise<ToolProbe> {
  const query = versionQuery[tool]
  try {
    const result = await run(query.argv, { allowFailure: true, timeoutMs: 5000 })
    const text = `${result.stdout}\n${result.stderr}`
    const version = query.pattern.exec(text)?.[1] ?? 'unknown'
    return { tool, available: true, version, reason: '', fix: '' }
  } catch {
    return { tool, available: false, version: '', reason: `${tool} is not installed`, fix: installHint(tool) }
  }
}

export function probeTools(): Promise<ToolProbe[]> {
  return Promise.all(tools.map(probeTool))
}
