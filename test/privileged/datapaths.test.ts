/**
 * Every datapath, for real: build it with `cnibench lab up`, send TCP pod to pod across nodes, prove from the device
 * counters that the traffic crossed the datapath's distinctive device (and not the others), check `lab path` names
 * the same devices, then `lab down` and prove nothing is left. A datapath this kernel cannot build is skipped with
 * the reason `cnibench datapaths` gives.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import type { LabView } from '../../src/lab/state.js'
import type { PacketPath } from '../../src/lab/path.js'
import { cnibench, cnibenchJson, uniqueName } from '../helpers/cli.js'
import { expectLabGone, labBpfPrograms, labProcesses } from '../helpers/leftovers.js'
import { capture, counters, delta, iperfTcp, type Counters } from '../helpers/traffic.js'
import type { InspectSection } from '../../src/lab/datapath.js'

type DeviceCounters = Map<string, Counters & { kind: string }>

interface Observed {
  lab: LabView
  bytes: number
  node1: { before: DeviceCounters; after: DeviceCounters }
  node2: { before: DeviceCounters; after: DeviceCounters }
  path: PacketPath
  /** Lines tcpdump printed on node1's eth0 for the datapath's capture filter, during the traffic. */
  captured: string[]
  /** `lab inspect --json` after the traffic: BPF counters, OpenFlow flows, BGP sessions. */
  inspect: InspectSection[]
}

/** What to capture on node1's eth0 while traffic flows: the encapsulation each datapath must put on the wire. */
const wireCapture: Record<string, string> = {
  'calico-ipip': 'ip proto 4',
  'calico-crosssubnet': 'ip proto 4',
  'calico-vxlan': 'udp port 4789',
  'flannel-vxlan': 'udp port 8472',
  canal: 'udp port 8472',
  'cilium-vxlan': 'udp port 8472',
  'flannel-udp': 'udp port 8285',
  'calico-bgp': 'tcp and host 10.244.2.2', // the pods' own addresses, unencapsulated
  'cilium-native': 'tcp and host 10.244.2.2',
  'calico-ebpf': 'tcp and host 10.244.2.2',
}

/** Sum of a numeric column of the inspect sections whose title matches, for one node. */
function inspectTotal(o: Observed, node: string, title: RegExp, column: string): number {
  return o.inspect
    .filter((s) => s.node === node && title.test(s.title))
    .flatMap((s) => s.rows.map((r) => Number(r[s.headers.indexOf(column)] ?? 0)))
    .reduce((a, b) => a + b, 0)
}

const kindsOn = (c: DeviceCounters) => new Set([...c.values()].map((d) => d.kind))
const namesOn = (c: DeviceCounters) => [...c.keys()]
const pathDevices = (o: Observed) => o.path.hops.map((h) => `${h.where}:${h.device}`)

/** Most of the payload must have crossed `device` (headers make the counter larger, never smaller). */
function expectCarried(o: Observed, node: 'node1' | 'node2', device: string, dir: 'rx' | 'tx'): void {
  const moved = delta(o[node].before, o[node].after, device)[dir]
  expect(moved, `${node} ${device} ${dir} bytes`).toBeGreaterThan(o.bytes * 0.9)
}

const expectations: Record<string, (o: Observed) => void> = {
  host(o) {
    expect(o.lab.pods[0]?.netns).toBe(o.lab.nodes[0]?.netns) // hostNetwork: the pod is its node
    expectCarried(o, 'node1', 'eth0', 'tx')
    expect(pathDevices(o)).toEqual(['node1:eth0', 'underlay:node1', 'underlay:br0', 'underlay:node2', 'node2:eth0'])
  },
  'calico-bgp'(o) {
    expectations['calico-bgp#bird']?.(o)
    expect(o.captured.length).toBeGreaterThan(0)
    const cali = namesOn(o.node1.after).find((n) => n.startsWith('cali')) as string
    expectCarried(o, 'node1', cali, 'rx') // from the pod into the node: routed veth, no bridge
    expectCarried(o, 'node1', 'eth0', 'tx')
    expect(kindsOn(o.node1.after).has('vxlan')).toBe(false)
    expect(kindsOn(o.node1.after).has('bridge')).toBe(false)
    expect(pathDevices(o)).toContain(`node1:${cali}`)
  },
  'calico-bgp#bird'(o) {
    const peers = o.inspect.filter((s) => s.title.startsWith('BGP peers'))
    expect(peers.flatMap((s) => s.rows.map((r) => r[4]))).toEqual(['Established', 'Established'])
  },
  'calico-ipip'(o) {
    expect(o.captured.length, 'IP-in-IP packets on node1 eth0').toBeGreaterThan(0)
    expect(o.captured[0]).toMatch(/192\.168\.250\.1 > 192\.168\.250\.2: IP 10\.244\.1\.2\.\d+ > 10\.244\.2\.2/)
    if (o.lab.facts.implementation.startsWith('eBPF')) {
      expect(inspectTotal(o, 'node1', /IP-in-IP/, 'ENCAP')).toBeGreaterThan(100)
      expect(inspectTotal(o, 'node2', /IP-in-IP/, 'DECAP')).toBeGreaterThan(100)
    } else {
      expectCarried(o, 'node1', 'tunl0', 'tx')
    }
  },
  'calico-crosssubnet'(o) {
    // With two nodes, node1 and node2 sit in different subnets: the pair is encapsulated, and crosses the router.
    expect(o.lab.nodes[1]?.underlayIPs[0]).toMatch(/^192\.168\.251\./)
    expect(o.captured.length).toBeGreaterThan(0)
    expect(pathDevices(o)).toEqual(expect.arrayContaining(['underlay:br0', 'underlay:br1']))
  },
  'cilium-native'(o) {
    expect(o.captured.length, 'unencapsulated pod traffic on node1 eth0').toBeGreaterThan(0)
    expect(inspectTotal(o, 'node1', /eBPF programs/, 'REDIRECT_NEIGH')).toBeGreaterThan(100)
    expect(inspectTotal(o, 'node2', /eBPF programs/, 'REDIRECT_PEER')).toBeGreaterThan(100)
    // The node's stack is bypassed: node2's eth0 received the traffic, but nothing was forwarded through its routes.
    expect(o.path.hops.some((h) => h.note?.includes('redirect_peer'))).toBe(true)
  },
  'calico-ebpf'(o) {
    // Calico's attachment and BGP routes, with the forward path replaced by the tc programs on cali and eth0.
    expect(o.captured.length, 'unencapsulated pod traffic on node1 eth0').toBeGreaterThan(0)
    expect(inspectTotal(o, 'node1', /eBPF programs/, 'REDIRECT_NEIGH')).toBeGreaterThan(100)
    expect(inspectTotal(o, 'node2', /eBPF programs/, 'REDIRECT_PEER')).toBeGreaterThan(100)
    expect(o.inspect.some((s) => /routes node1 learnt over BGP/.test(s.title) && s.rows.length > 0)).toBe(true)
    expect(o.path.hops.some((h) => h.note?.includes('redirect_peer'))).toBe(true)
  },
  'cilium-vxlan'(o) {
    expect(o.captured.length, 'VXLAN on node1 eth0').toBeGreaterThan(0)
    expect(inspectTotal(o, 'node1', /eBPF programs/, 'ENCAP')).toBeGreaterThan(100)
    expect(inspectTotal(o, 'node2', /eBPF programs/, 'DECAP')).toBeGreaterThan(100)
    expectCarried(o, 'node1', 'cilium_vxlan', 'tx')
  },
  'flannel-udp'(o) {
    expect(o.captured.length, 'UDP 8285 on node1 eth0').toBeGreaterThan(0)
    expectCarried(o, 'node1', 'flannel0', 'tx')
    expectCarried(o, 'node2', 'flannel0', 'rx')
  },
  ovs(o) {
    expect(inspectTotal(o, 'node2', /OpenFlow/, 'PACKETS')).toBeGreaterThan(100)
    expect(pathDevices(o)).toEqual(expect.arrayContaining(['node1:br-int', 'node2:br-int']))
  },
  'ovs-bridge'(o) {
    expect(inspectTotal(o, 'node2', /OpenFlow/, 'PACKETS')).toBeGreaterThan(100)
    expect(pathDevices(o)).toEqual(expect.arrayContaining(['node1:linux-br', 'node1:br-int', 'node2:br-int', 'node2:linux-br']))
  },
  'flannel-host-gw'(o) {
    expectCarried(o, 'node1', 'cni0', 'rx') // routed by the node after the bridge
    expectCarried(o, 'node1', 'eth0', 'tx')
    expect(kindsOn(o.node1.after).has('vxlan')).toBe(false)
    expect(pathDevices(o)).toContain('node1:cni0')
  },
  'flannel-vxlan'(o) {
    expect(o.captured.length, 'VXLAN on node1 eth0').toBeGreaterThan(0)
    expectCarried(o, 'node1', 'flannel.1', 'tx')
    expectCarried(o, 'node2', 'flannel.1', 'rx')
    expectCarried(o, 'node1', 'cni0', 'rx')
    expect(pathDevices(o)).toEqual(expect.arrayContaining(['node1:cni0', 'node1:flannel.1', 'node2:flannel.1', 'node2:cni0']))
  },
  'calico-vxlan'(o) {
    expect(o.captured.length, 'VXLAN on node1 eth0').toBeGreaterThan(0)
    expectCarried(o, 'node1', 'vxlan.calico', 'tx')
    expectCarried(o, 'node2', 'vxlan.calico', 'rx')
    expect(kindsOn(o.node1.after).has('bridge')).toBe(false)
    expect(pathDevices(o)).toEqual(expect.arrayContaining(['node1:vxlan.calico', 'node2:vxlan.calico']))
  },
  canal(o) {
    expect(o.captured.length).toBeGreaterThan(0)
    expectCarried(o, 'node1', 'flannel.1', 'tx')
    expectCarried(o, 'node2', 'flannel.1', 'rx')
    expect(kindsOn(o.node1.after).has('bridge')).toBe(false) // Calico's veth, not Flannel's cni0
    expect(pathDevices(o).some((d) => d.startsWith('node1:cali'))).toBe(true)
  },
  macvlan(o) {
    expectCarried(o, 'node1', 'eth0', 'tx')
    // Nothing in the node but eth0: the pod's frames never meet the node's IP stack.
    expect(namesOn(o.node1.after).sort()).toEqual(['eth0', 'lo'])
    expect(o.path.hops[0]?.kind).toBe('macvlan')
    expect(pathDevices(o)).toEqual(['pod1:eth0', 'node1:eth0', 'underlay:node1', 'underlay:br0', 'underlay:node2', 'node2:eth0', 'pod2:eth0'])
  },
}

interface DatapathListing {
  name: string
  available: boolean
  reason: string
}

let listing: DatapathListing[] = []

beforeAll(async () => {
  listing = await cnibenchJson<DatapathListing[]>(['datapaths', '--json'])
})

describe('every datapath carries pod-to-pod TCP across nodes through its own devices', () => {
  const datapathNames = () => Object.keys(expectations).filter((k) => !k.includes('#'))

  it('has an expectation for every registered datapath', () => {
    expect(datapathNames().sort()).toEqual(listing.map((d) => d.name).sort())
  })

  for (const name of Object.keys(expectations).filter((k) => !k.includes('#'))) {
    it(name, async (ctx) => {
      const entry = listing.find((d) => d.name === name)
      if (!entry?.available) ctx.skip(`${name} cannot run on this host: ${entry?.reason ?? 'not listed'}`)
      const labName = uniqueName(name.replace(/[^a-z]/g, '').slice(0, 10))
      const up = await cnibench(['lab', 'up', '--datapath', name, '--name', labName, '--json'])
      expect(up.stderr).toBe('')
      expect(up.code).toBe(0)
      const lab = JSON.parse(up.stdout) as LabView
      try {
        expect(lab).toMatchObject({ name: labName, datapath: name, status: 'ready' })
        expect(lab.nodes.map((n) => n.name)).toEqual(['node1', 'node2'])
        const [pod1, pod2] = lab.pods
        if (!pod1 || !pod2) throw new Error('expected two pods')
        expect(pod1.node).toBe('node1')
        expect(pod2.node).toBe('node2')
        const [n1, n2] = lab.nodes.map((n) => n.netns) as [string, string]
        const observed = { lab } as Observed
        const before = await Promise.all([counters(n1), counters(n2)])
        const pidDir = mkdtempSync(join(tmpdir(), 'cnibench-test-'))
        const traffic = async () => (observed.bytes = await iperfTcp(pod1.netns, pod2.netns, pod2.ip, pidDir))
        const filter = wireCapture[name]
        observed.captured = filter ? await capture(n1, 'eth0', filter, pidDir, traffic) : (await traffic(), [])
        const after = await Promise.all([counters(n1), counters(n2)])
        observed.node1 = { before: before[0], after: after[0] }
        observed.node2 = { before: before[1], after: after[1] }
        expect(observed.bytes).toBeGreaterThan(1_000_000)
        observed.path = await cnibenchJson<PacketPath>(['lab', 'path', labName, '--json'])
        observed.inspect = (await cnibenchJson<{ sections: InspectSection[] }>(['lab', 'inspect', labName, '--json'])).sections
        expect(observed.path.reachable).toBe(true)
        expect(observed.path.hops.at(-1)).toMatchObject({ where: name === 'host' ? 'node2' : 'pod2', note: 'deliver' })
        expectations[name]?.(observed)
      } finally {
        const processes = await labProcesses(labName)
        const programs = await labBpfPrograms(lab)
        const down = await cnibench(['lab', 'down', labName])
        expect(down.code).toBe(0)
        await expectLabGone(labName, processes, programs)
      }
    })
  }
})
