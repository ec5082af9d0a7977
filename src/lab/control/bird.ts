/**
 * Calico's BGP control plane, as Calico runs it: one BIRD 2 daemon per node (in the node's namespace, with a private
 * config, control socket and log in the lab's run directory) announcing the node's pod block, and a kernel protocol
 * installing what it learns as routes ("proto bird"). Full mesh (every node peers with every other, n·(n−1)/2
 * sessions) or route reflectors (clients peer only with the reflectors, as Calico does past ~100 nodes).
 */
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CnibenchError } from '../../errors.js'
import { ipJson } from '../../exec/netns.js'
import type { ManagedProcess } from '../../exec/processes.js'
import { run } from '../../exec/run.js'
import type { LabRuntime } from '../runtime.js'
import type { LabPlan, NodePlan } from '../topology.js'

/** Calico's default AS number. */
export const CALICO_AS = 64512
/** Routes BIRD installs carry rtnetlink protocol 12 ("bird" in /etc/iproute2/rt_protos). */
export const BIRD_PROTO = '12'

export type BgpMode = 'full-mesh' | 'route-reflector'

export interface BgpLayout {
  mode: BgpMode
  /** Nodes acting as route reflectors (empty in a full mesh). */
  reflectors: string[]
}

export function bgpLayout(plan: LabPlan): BgpLayout {
  const mode = (plan.options['bgp'] ?? 'full-mesh') as BgpMode
  const count = Math.min(Number(plan.options['reflectors'] ?? 1), plan.nodes.length - 1)
  return { mode, reflectors: mode === 'route-reflector' ? plan.nodes.slice(0, count).map((n) => n.name) : [] }
}

/** Who `node` peers with, and whether each peer is its route-reflector client. */
export function peersOf(plan: LabPlan, node: NodePlan): { peer: NodePlan; rrClient: boolean }[] {
  const layout = bgpLayout(plan)
  const others = plan.nodes.filter((n) => n !== node)
  if (layout.mode === 'full-mesh') return others.map((peer) => ({ peer, rrClient: false }))
  const isReflector = layout.reflectors.includes(node.name)
  if (!isReflector) return others.filter((p) => layout.reflectors.includes(p.name)).map((peer) => ({ peer, rrClient: false }))
  return others.map((peer) => ({ peer, rrClient: !layout.reflectors.includes(peer.name) }))
}

/** The node's bird.conf. Pure. */
export function birdConfig(plan: LabPlan, node: NodePlan): string {
  const layout = bgpLayout(plan)
  const isReflector = layout.reflectors.includes(node.name)
  const clusterId = plan.nodes.find((n) => n.name === layout.reflectors[0])?.underlayIp
  const sessions = peersOf(plan, node).map(({ peer, rrClient }) =>
    [
      `protocol bgp ${peer.name} from calico {`,
      `  neighbor ${peer.underlayIp} as ${CALICO_AS};`,
      ...(rrClient ? ['  rr client;', `  rr cluster id ${clusterId};`] : []),
      '}',
    ].join('\n'),
  )
  return `# cnibench: Calico-style BIRD for ${node.name} of lab ${plan.name} (${layout.mode})
log stderr all;
router id ${node.underlayIp};

protocol device { scan time 2; }

# Install what BGP learnt; Felix's own routes (the /32s and the block blackhole) are not BIRD's to touch.
protocol kernel {
  ipv4 { import none; export where source = RTS_BGP; };
  merge paths on;
  scan time 2;
}

# The node's IPAM block, announced to the peers (Calico announces its blocks the same way).
protocol static blocks {
  ipv4;
  route ${node.podCidr} blackhole;
}

template bgp calico {
  local ${node.underlayIp} as ${CALICO_AS};
  direct;
  hold time 9;
  keepalive time 3;
  connect delay time 1;
  connect retry time 2;
  error wait time 1, 4;
  ipv4 {
    import all;
    gateway direct;
    export ${isReflector ? 'where source ~ [ RTS_STATIC, RTS_BGP ]' : 'where proto = "blocks"'};
  };
}

${sessions.join('\n\n')}
`
}

export function birdSocket(runDir: string, node: NodePlan): string {
  return join(runDir, `bird-${node.name}.ctl`)
}

export async function startBird(plan: LabPlan, node: NodePlan, runtime: LabRuntime): Promise<ManagedProcess> {
  const config = join(runtime.runDir, `bird-${node.name}.conf`)
  await runtime.writeFile(config, birdConfig(plan, node))
  return runtime.startDaemon(`bird-${node.name}`, node.netns, ['bird', '-f', '-c', config, '-s', birdSocket(runtime.runDir, node)])
}

/** Kernel routes BIRD installed in `node`, by destination. */
export async function birdRoutes(node: NodePlan): Promise<{ dst: string; gateway?: string; dev?: string }[]> {
  return ipJson(node.netns, ['route', 'show', 'proto', BIRD_PROTO])
}

/** Wait until every node has a BGP-learnt route to every other node's block. */
export async function waitConverged(plan: LabPlan, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const missing: string[] = []
    for (const node of plan.nodes) {
      const have = new Set((await birdRoutes(node)).map((r) => r.dst))
      for (const peer of plan.nodes) if (peer !== node && !have.has(peer.podCidr)) missing.push(`${node.name} lacks ${peer.podCidr}`)
    }
    if (missing.length === 0) return
    if (Date.now() > deadline) {
      throw new CnibenchError('E_RUN', `BGP did not converge within ${timeoutMs / 1000} s (${missing.slice(0, 3).join(', ')})`, {
        hint: `see the BIRD logs in the lab's run directory, or \`cnibench lab inspect ${plan.name}\``,
      })
    }
    await sleep(100)
  }
}

export interface PeerStatus {
  name: string
  peerAddress: string
  peerType: string
  state: string
  since: string
  info: string
}

/**
 * What `calicoctl node status` shows, from `birdc show protocols`. BIRD has no machine-readable output; its protocol
 * table is fixed columns under a header line, read here by the header's column positions.
 */
export async function peerStatus(plan: LabPlan, node: NodePlan, runDir: string): Promise<PeerStatus[]> {
  const result = await run(['birdc', '-s', birdSocket(runDir, node), 'show', 'protocols'], { allowFailure: true })
  if (result.code !== 0) {
    return peersOf(plan, node).map(({ peer }) => ({ name: peer.name, peerAddress: peer.underlayIp, peerType: peerType(plan, node, peer), state: 'down', since: '', info: `BIRD not answering: ${result.stdout.trim() || result.stderr.trim()}` }))
  }
  const rows = parseProtocolTable(result.stdout)
  return peersOf(plan, node).map(({ peer }) => {
    const row = rows.find((r) => r['Name'] === peer.name)
    return {
      name: peer.name,
      peerAddress: peer.underlayIp,
      peerType: peerType(plan, node, peer),
      state: row?.['State'] ?? 'unknown',
      since: row?.['Since'] ?? '',
      info: row?.['Info'] ?? '',
    }
  })
}

function peerType(plan: LabPlan, node: NodePlan, peer: NodePlan): string {
  const layout = bgpLayout(plan)
  if (layout.mode === 'full-mesh') return 'node-to-node mesh'
  if (layout.reflectors.includes(peer.name)) return 'route reflector'
  return layout.reflectors.includes(node.name) ? 'route-reflector client' : 'node'
}

/** Rows of BIRD's protocol table keyed by its header words. */
export function parseProtocolTable(text: string): Record<string, string>[] {
  const lines = text.split('\n')
  const headerIndex = lines.findIndex((l) => /^Name\s+Proto\s+Table\s+State\s+Since\s+Info/.test(l))
  if (headerIndex < 0) return []
  const header = lines[headerIndex] as string
  const columns = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0], start: m.index ?? 0 }))
  return lines
    .slice(headerIndex + 1)
    .filter((l) => l.trim() !== '')
    .map((line) =>
      Object.fromEntries(
        columns.map((c, i) => {
          const end = i + 1 < columns.length ? (columns[i + 1] as { start: number }).start : line.length
          return [c.name, line.slice(c.start, end).trim()]
        }),
      ),
    )
}
