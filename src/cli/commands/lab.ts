/** `cnibench lab up|exec|path|list|down|clean`: build a datapath lab, use it, trace it, remove it. */
import { spawn } from 'node:child_process'
import type { Command } from 'commander'
import { CnibenchError } from '../../errors.js'
import { inNetns } from '../../exec/netns.js'
import { getDatapath } from '../../lab/datapaths/index.js'
import { cleanLeftovers, createLab, destroyLab, labScript, listLabRecords, requireLab } from '../../lab/lifecycle.js'
import { formatPath, tracePath } from '../../lab/path.js'
import { inspectLab } from '../../lab/inspect.js'
import { labView, type LabRecord } from '../../lab/state.js'
import { nicProfiles, parseNicProfile } from '../../lab/offloads.js'
import { registerActivity, removeStaleMeasurementFiles } from '../../measure/lock.js'
import { planLab, underlays, type LabRequest, type Underlay } from '../../lab/topology.js'
import { probeHost, requireRoot } from '../../system/doctor.js'
import { resolveOptions } from '../../lab/datapath.js'
import { interruptSignal } from '../interrupt.js'
import { intOption, labDefaults } from '../options.js'
import { print, printJson, table } from '../output.js'

export function registerLab(program: Command): void {
  const lab = program.command('lab').description('build, use and remove emulated multi-node datapath labs')
  registerUp(lab)
  registerExec(lab)
  registerPath(lab)
  registerInspect(lab)
  registerList(lab)
  registerDown(lab)
  registerClean(lab)
}

interface UpOptions {
  datapath: string
  nodes: number
  podsPerNode: number
  name?: string
  mtu: number
  underlayCidr: string
  podCidr: string
  json?: boolean
  dryRun?: boolean
  opt: string[]
  bgp?: string
  underlay?: string
  nicOffloads?: string
}

function registerUp(lab: Command): void {
  lab
    .command('up')
    .description('build a lab: nodes and pods as network namespaces, wired as the datapath\'s plugin wires them')
    .requiredOption('-d, --datapath <name>', 'datapath to build (see `cnibench datapaths`)')
    .option('--nodes <n>', 'number of nodes', intOption, labDefaults.nodes)
    .option('--pods-per-node <m>', 'pods on each node', intOption, labDefaults.podsPerNode)
    .option('--name <name>', 'lab name (default: derived from the datapath and a random id)')
    .option('--mtu <bytes>', 'underlay MTU; pod MTU follows from the datapath', intOption, labDefaults.underlayMtu)
    .option('--underlay-cidr <cidr>', 'node network', labDefaults.underlayCidr)
    .option('--pod-cidr <cidr>', 'cluster pod network; each node gets a /24', labDefaults.podCidr)
    .option('--opt <key=value>', 'a datapath option (repeatable; see `cnibench datapaths`)', collectOption, [])
    .option('--bgp <mode>', 'calico-bgp: full-mesh or route-reflector (same as --opt bgp=MODE)')
    .option('--underlay <kind>', 'switched (one subnet) or routed (two subnets behind a router); default: what the datapath needs')
    .option('--nic-offloads <profile>', `offloads of every node's eth0: ${Object.keys(nicProfiles).join(', ')}, or custom:feature=on|off,... (default full)`)
    .option('--dry-run', 'print the commands that would build the lab, change nothing')
    .option('--json', 'print the lab as JSON')
    .action(async (opts: UpOptions) => {
      const datapath = getDatapath(opts.datapath)
      const request: LabRequest = {
        name: opts.name ?? generatedName(datapath.name),
        nodes: opts.nodes,
        podsPerNode: opts.podsPerNode,
        underlayCidr: opts.underlayCidr,
        podCidr: opts.podCidr,
        underlayMtu: opts.mtu,
        options: parseOptions(opts.opt, opts.bgp),
        ...(opts.underlay ? { underlay: parseUnderlay(opts.underlay) } : {}),
        ...(opts.nicOffloads ? { nicOffloads: parseNicProfile(opts.nicOffloads).name } : {}),
      }
      if (opts.dryRun) {
        const options = resolveOptions(datapath, request.options ?? {}, await probeHost())
        for (const line of labScript(planLab(request, datapath, options), datapath).toShell()) print(line)
        if (datapath.start) print(`# then ${datapath.name}'s start phase (daemons, maps) against the live lab`)
        return
      }
      requireRoot('cnibench lab up')
      const record = await createLab(request, datapath, { keep: true, signal: interruptSignal })
      if (opts.json) printJson(labView(record))
      else printLab(record)
    })
}

function registerExec(lab: Command): void {
  lab
    .command('exec <name> <target> <command...>')
    .description('run a command inside a lab namespace: a pod (pod1), a node (node1) or the underlay')
    .usage('<name> <target> -- <command...>')
    .action(async (name: string, target: string, command: string[]) => {
      requireRoot('cnibench lab exec')
      const record = await requireLab(name)
      // Registered while it runs, so a measurement run records that this traffic shared the machine with its samples.
      const unregister = await registerActivity(`lab exec ${name} ${target} -- ${command.join(' ')}`)
      try {
        process.exitCode = await runInherited(inNetns(netnsOf(record, target), command))
      } finally {
        await unregister()
      }
    })
}

function registerPath(lab: Command): void {
  lab
    .command('path <name>')
    .description('trace the packet path between two pods from the devices actually built')
    .option('--from <pod>', 'source pod (default: the first pod on node1)')
    .option('--to <pod>', 'destination pod (default: the first pod on node2)')
    .option('--json', 'machine-readable hops')
    .action(async (name: string, opts: { from?: string; to?: string; json?: boolean }) => {
      requireRoot('cnibench lab path')
      const record = await requireLab(name)
      const from = opts.from ?? firstPodOn(record, 'node1')
      const to = opts.to ?? firstPodOn(record, 'node2')
      const path = await tracePath(record, from, to)
      if (opts.json) return printJson(path)
      print(`${record.name} (${record.datapath}) ${path.from.pod} ${path.from.ip} → ${path.to.pod} ${path.to.ip}` +
        (path.reachable ? '' : '  [UNREACHABLE: ping failed]'))
      print(formatPath(path))
    })
}

function registerInspect(lab: Command): void {
  lab
    .command('inspect <name>')
    .description('control-plane and datapath state per node: routes, and BGP peers, BPF counters or flows where the datapath has them')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      requireRoot('cnibench lab inspect')
      const record = await requireLab(name)
      const sections = await inspectLab(record)
      if (opts.json) return printJson({ lab: labView(record), sections })
      print(`${record.name}: ${record.datapath} (${record.facts.implementation})`)
      for (const s of sections) {
        print()
        print(s.title)
        print(s.rows.length > 0 ? table(s.headers, s.rows) : '  (none)')
      }
    })
}

function registerList(lab: Command): void {
  lab
    .command('list')
    .description('list labs')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const records = await listLabRecords()
      if (opts.json) return printJson(records.map(labView))
      if (records.length === 0) return print('no labs (build one with `cnibench lab up --datapath flannel-vxlan`)')
      print(
        table(
          ['name', 'datapath', 'status', 'nodes', 'pods', 'pod MTU', 'created'],
          records.map((r) => [r.name, r.datapath, r.status, String(r.plan.nodes.length), String(r.plan.pods.length),
            String(r.plan.podMtu), r.createdAt]),
        ),
      )
    })
}

function registerDown(lab: Command): void {
  lab
    .command('down [name]')
    .description('remove a lab (namespaces, devices, processes, files)')
    .option('--all', 'remove every lab')
    .action(async (name: string | undefined, opts: { all?: boolean }) => {
      requireRoot('cnibench lab down')
      if (!name && !opts.all) throw new CnibenchError('E_USAGE', 'lab down needs a lab name or --all', { hint: 'see `cnibench lab list`' })
      const names = opts.all ? (await listLabRecords()).map((r) => r.name) : [(await requireLab(name as string)).name]
      for (const n of names) {
        const removed = await destroyLab(n)
        print(`removed lab ${n} (${removed.namespaces.length} namespaces, ${removed.processes} processes)`)
      }
    })
}

function registerClean(lab: Command): void {
  lab
    .command('clean')
    .description('remove anything cnibench left behind after a crash or kill -9 (keeps labs left up by `lab up`)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      requireRoot('cnibench lab clean')
      const report = { ...(await cleanLeftovers()), files: await removeStaleMeasurementFiles() }
      if (opts.json) return printJson(report)
      if (report.labs.length + report.namespaces.length + report.cgroups.length + report.files === 0) return print('nothing to clean')
      print(`removed ${report.labs.length} lab(s) [${report.labs.join(', ')}], ${report.namespaces.length} namespace(s), ` +
        `${report.processes} process(es), ${report.cgroups.length} cgroup(s), ${report.files} stale lock/activity file(s)`)
    })
}

function printLab(record: LabRecord): void {
  const { plan } = record
  print(`lab ${record.name} is up: ${record.datapath}, ${plan.nodes.length} nodes, ${plan.pods.length} pods, ` +
    `underlay MTU ${plan.underlay.mtu}, pod MTU ${plan.podMtu} (${record.facts.implementation})`)
  if (plan.underlay.kind === 'routed') print(`nodes in ${plan.underlay.subnets.map((s) => s.cidr).join(' and ')}, joined by a router`)
  print(`NIC offloads of every node's eth0: ${plan.nicOffloads.name}${nicSummary(record)}`)
  print()
  print(table(['pod', 'node', 'ip', 'netns'], plan.pods.map((p) => [p.name, p.node, p.ip, p.netns])))
  const [a, b] = [plan.pods[0], plan.pods.find((p) => p.node !== plan.pods[0]?.node)]
  if (a && b) {
    print()
    print('try:')
    print(`  cnibench lab path ${record.name}`)
    print(`  cnibench lab exec ${record.name} ${b.name} -- iperf3 -s -D -1`)
    print(`  cnibench lab exec ${record.name} ${a.name} -- iperf3 -c ${b.ip} -t 5`)
    print(`  cnibench lab down ${record.name}`)
  }
}

/** What the profile turned off (and anything it could not), in one parenthesis. */
function nicSummary(record: LabRecord): string {
  const changed = Object.entries(record.plan.nicOffloads.features).map(([f, state]) => `${f} ${state}`)
  const failed = record.offloads?.notApplied ?? []
  return changed.length + failed.length === 0 ? '' : ` (${[...changed, ...failed.map((f) => `NOT APPLIED: ${f}`)].join(', ')})`
}

function parseUnderlay(value: string): Underlay {
  if ((underlays as readonly string[]).includes(value)) return value as Underlay
  throw new CnibenchError('E_USAGE', `--underlay ${value} is not an underlay`, { hint: `choose one of: ${underlays.join(', ')}` })
}

function collectOption(value: string, previous: string[]): string[] {
  return [...previous, value]
}

function parseOptions(pairs: string[], bgp: string | undefined): Record<string, string> {
  const options: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new CnibenchError('E_USAGE', `--opt ${pair} is not key=value`, { hint: 'e.g. --opt encap=vxlan' })
    options[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  if (bgp) options['bgp'] = bgp
  return options
}

function netnsOf(record: LabRecord, target: string): string {
  if (target === 'underlay' || target === 'wire') return record.plan.wireNetns
  const found = record.plan.pods.find((p) => p.name === target) ?? record.plan.nodes.find((n) => n.name === target)
  if (!found) {
    const names = [...record.plan.pods.map((p) => p.name), ...record.plan.nodes.map((n) => n.name), 'underlay']
    throw new CnibenchError('E_USAGE', `lab ${record.name} has no pod or node "${target}"`, { hint: `choose one of: ${names.join(', ')}` })
  }
  return found.netns
}

function firstPodOn(record: LabRecord, node: string): string {
  const pod = record.plan.pods.find((p) => p.node === node)
  if (!pod) throw new CnibenchError('E_USAGE', `lab ${record.name} has no pod on ${node}`, { hint: 'pass --from and --to' })
  return pod.name
}

function generatedName(datapath: string): string {
  const initials = datapath.split('-').map((w) => w[0]).join('')
  return `${initials}-${Math.random().toString(36).slice(2, 8)}`
}

function runInherited(argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = argv
    // An interrupt of cnibench (SIGTERM, or Ctrl-C reaching only us) stops the command too.
    const child = spawn(file as string, args, { stdio: 'inherit', signal: interruptSignal, killSignal: 'SIGTERM' })
    child.on('error', (e) => (e.name === 'AbortError' ? undefined : reject(e)))
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
  })
}
