/**
 * Open vSwitch per node, never the system's: ovsdb-server and ovs-vswitchd run inside the node's namespace with their
 * database, sockets and logs in the lab's run directory (OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR point there for every
 * client call). The bridge uses the kernel datapath where the openvswitch module exists, otherwise the userspace
 * (netdev) datapath — recorded with the results, since the two perform very differently.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CnibenchError } from '../../errors.js'
import { run } from '../../exec/run.js'
import type { LabRuntime } from '../runtime.js'
import type { NodePlan } from '../topology.js'

export const OVS_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema'
export const BRIDGE = 'br-int'

export interface NodeOvs {
  node: NodePlan
  dir: string
  /** ovs-vsctl against this node's database. */
  vsctl(args: string[]): Promise<string>
  /** ovs-ofctl against this node's switch. */
  ofctl(args: string[], input?: string): Promise<string>
}

export function ovsDir(runDir: string, node: NodePlan): string {
  return join(runDir, `ovs-${node.name}`)
}

function env(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir, OVS_PKGDATADIR: '/usr/share/openvswitch' }
}

export function nodeOvs(runDir: string, node: NodePlan): NodeOvs {
  const dir = ovsDir(runDir, node)
  return {
    node,
    dir,
    vsctl: async (args) => (await run(['ovs-vsctl', `--db=unix:${join(dir, 'db.sock')}`, '--timeout=20', ...args], { env: env(dir) })).stdout,
    ofctl: async (args, input) => (await run(['ovs-ofctl', ...args], { env: env(dir), ...(input === undefined ? {} : { input }) })).stdout,
  }
}

/**
 * Create the database, start both daemons in the node's namespace, create br-int with `datapathType`. `userspaceTso`
 * (netdev only) lets the userspace datapath exchange TSO/checksum-offloaded packets with its AF_PACKET ports through
 * virtio-net headers instead of requiring senders to turn offloads off: 3.4 against 0.72 Gbit/s in the main job on a
 * 2-vCPU VM. It is read when ovs-vswitchd starts, so it is written to the database first.
 */
export async function startOvs(node: NodePlan, runtime: LabRuntime, datapathType: 'system' | 'netdev', userspaceTso = false): Promise<NodeOvs> {
  const ovs = nodeOvs(runtime.runDir, node)
  await runtime.writeFile(join(ovs.dir, '.keep'), '')
  const db = join(ovs.dir, 'conf.db')
  await run(['ovsdb-tool', 'create', db, OVS_SCHEMA], { env: env(ovs.dir) })
  await runtime.startDaemon(`ovsdb-server-${node.name}`, node.netns, [
    'ovsdb-server', db, `--remote=punix:${join(ovs.dir, 'db.sock')}`, `--unixctl=${join(ovs.dir, 'ovsdb-server.ctl')}`, '--no-chdir',
  ], { env: env(ovs.dir) })
  await waitForSocket(join(ovs.dir, 'db.sock'))
  await ovs.vsctl(['--no-wait', 'init'])
  if (userspaceTso) await ovs.vsctl(['--no-wait', 'set', 'Open_vSwitch', '.', 'other_config:userspace-tso-enable=true'])
  await runtime.startDaemon(`ovs-vswitchd-${node.name}`, node.netns, [
    'ovs-vswitchd', `unix:${join(ovs.dir, 'db.sock')}`, `--unixctl=${join(ovs.dir, 'ovs-vswitchd.ctl')}`, '--no-chdir',
  ], { env: env(ovs.dir) })
  await ovs.vsctl(['add-br', BRIDGE, '--', 'set', 'bridge', BRIDGE, `datapath_type=${datapathType}`, 'fail_mode=secure'])
  return ovs
}

/** Add `device` as OpenFlow port `ofport`; `type` is the OVS interface type (system = AF_PACKET in userspace, afxdp...). */
export async function addPort(ovs: NodeOvs, device: string, ofport: number, type = 'system'): Promise<void> {
  await ovs.vsctl(['--may-exist', 'add-port', BRIDGE, device, '--', 'set', 'interface', device, `ofport_request=${ofport}`, `type=${type}`])
}

/** Replace the bridge's flows with `flows` (ovs-ofctl flow syntax, one per line). */
export async function setFlows(ovs: NodeOvs, flows: string[]): Promise<void> {
  await ovs.ofctl(['replace-flows', BRIDGE, '-'], flows.join('\n') + '\n')
}

export interface FlowStats {
  flow: string
  packets: number
  bytes: number
}

/**
 * Per-flow packet counts. ovs-ofctl 3.1 has no machine-readable output for flows; its dump is one flow per line of
 * comma-separated key=value fields, which this reads by key.
 */
export async function flowStats(ovs: NodeOvs): Promise<FlowStats[]> {
  const dump = await ovs.ofctl(['dump-flows', BRIDGE])
  return dump
    .split('\n')
    .filter((line) => line.includes('actions='))
    .map((line) => {
      const count = (key: string) => Number(new RegExp(`\\b${key}=(\\d+)`).exec(line)?.[1] ?? 0)
      // The match and actions follow the statistics fields, from the table (or priority) onwards.
      const flow = /\b(?:table=\d+, )?(priority=.*)$/.exec(line.trim())?.[1] ?? line.trim()
      return { flow, packets: count('n_packets'), bytes: count('n_bytes') }
    })
}

async function waitForSocket(path: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new CnibenchError('E_RUN', `ovsdb-server did not create ${path}`, { hint: "see its log in the lab's run directory" })
    await sleep(20)
  }
}

/** OpenFlow port of the node's uplink (eth0) on br-int; pods take 1, 2, ... as in the eight-schemes namespace study. */
export const UPLINK_PORT = 100

/**
 * The flows of the eight-schemes namespace study: IP and ARP for a local pod go to its port, everything else leaves through the uplink.
 * `portOf(ip)` is the OpenFlow port behind which that pod sits.
 */
export function podFlows(podIps: string[], portOf: (ip: string) => number): string[] {
  return [
    ...podIps.flatMap((ip) => [
      `priority=100, ip, nw_dst=${ip}, actions=output:${portOf(ip)}`,
      `priority=100, arp, arp_tpa=${ip}, actions=output:${portOf(ip)}`,
    ]),
    `priority=99, actions=output:${UPLINK_PORT}`,
  ]
}

export const ovsDatapathOption = {
  choices: ['auto', 'system', 'netdev'],
  default: 'auto',
  describe: 'OVS datapath: the kernel module (system) where it exists, else userspace (netdev)',
} as const

/**
 * How the userspace datapath reads and writes its ports: AF_PACKET sockets with userspace TSO (default), or AF_XDP
 * sockets, polled by the main thread (afxdp-nonpmd) or by a busy-polling thread that takes a whole CPU (afxdp, which
 * on a 2-vCPU machine distorts every other figure). Where the kernel has the openvswitch module, `datapath=system`
 * makes this moot.
 */
export const ovsPortsOption = {
  choices: ['afpacket', 'afxdp-nonpmd', 'afxdp'],
  default: 'afpacket',
  describe: 'userspace datapath ports: AF_PACKET with userspace TSO, or AF_XDP (afxdp-nonpmd, or afxdp: busy-polls a CPU)',
} as const

export function ovsImplementation(options: Readonly<Record<string, string>>): string {
  if (options['datapath'] === 'system') return 'Open vSwitch kernel datapath'
  const ports = options['ports'] === 'afpacket' || options['ports'] === undefined ? 'AF_PACKET ports with userspace TSO' : `${options['ports']} (AF_XDP) ports`
  return `Open vSwitch userspace (netdev) datapath, ${ports} (no openvswitch module)`
}

/** OVS userspace is not OVS as plugins run it (the kernel datapath): every figure of it says so. */
export function ovsCaveat(options: Readonly<Record<string, string>>): { caveat?: string } {
  return options['datapath'] === 'system' ? {} : { caveat: 'userspace' }
}
