/**
 * Control planes that shape the datapath: Calico's BGP (BIRD per node, full mesh and route reflectors; routes only
 * once converged; a killed BIRD's routes withdrawn) and CrossSubnet (native within a subnet, encapsulated across).
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { inNetns } from '../../src/exec/netns.js'
import { run } from '../../src/exec/run.js'
import { birdRoutes, startBird, waitConverged } from '../../src/lab/control/bird.js'
import type { InspectSection } from '../../src/lab/datapath.js'
import type { PacketPath } from '../../src/lab/path.js'
import { createRuntime } from '../../src/lab/runtime.js'
import { labDir, readLabRecord, type LabView } from '../../src/lab/state.js'
import { cnibenchJson } from '../helpers/cli.js'
import { labProcesses } from '../helpers/leftovers.js'
import { withLab } from '../helpers/labs.js'
import { capture, iperfTcp } from '../helpers/traffic.js'

async function reachable(from: string, ip: string): Promise<boolean> {
  return (await run(inNetns(from, ['ping', '-c', '1', '-W', '1', ip]), { allowFailure: true })).code === 0
}


const peersOf = (sections: InspectSection[], node: string) => sections.find((s) => s.node === node && s.title.startsWith('BGP peers'))?.rows ?? []

describe('Calico BGP with BIRD', () => {
  it('full mesh: every pair peers, routes come from BGP, a killed BIRD is withdrawn, a restarted one reconverges', async () => {
    await withLab('cp', ['--datapath', 'calico-bgp', '--nodes', '3'], async (lab) => {
      const { sections } = await cnibenchJson<{ sections: InspectSection[] }>(['lab', 'inspect', lab.name, '--json'])
      for (const node of ['node1', 'node2', 'node3']) {
        expect(peersOf(sections, node).map((r) => [r[1], r[4]])).toEqual([['node-to-node mesh', 'Established'], ['node-to-node mesh', 'Established']])
      }
      const [pod1, pod2] = lab.pods as [LabView['pods'][number], LabView['pods'][number]]
      expect(await reachable(pod1.netns, pod2.ip)).toBe(true)

      const record = await readLabRecord(lab.name)
      if (!record) throw new Error('no lab record')
      const [node1, node2] = record.plan.nodes as [(typeof record.plan.nodes)[number], (typeof record.plan.nodes)[number]]
      const bird2 = (await labProcesses(lab.name)).find((p) => p.label === 'bird-node2')
      expect(bird2).toBeDefined()
      process.kill(bird2!.pid, 'SIGKILL')
      const deadline = Date.now() + 20_000
      while ((await birdRoutes(node1)).some((r) => r.dst === node2.podCidr) && Date.now() < deadline) await sleep(100)
      expect((await birdRoutes(node1)).map((r) => r.dst)).not.toContain(node2.podCidr)
      expect(await reachable(pod1.netns, pod2.ip)).toBe(false)

      await startBird(record.plan, node2, createRuntime(labDir(lab.name)))
      await waitConverged(record.plan)
      expect(await reachable(pod1.netns, pod2.ip)).toBe(true)
    })
  })

  it('route reflector: clients peer only with the reflector and still learn every block, with the originator as next hop', async () => {
    await withLab('cp', ['--datapath', 'calico-bgp', '--nodes', '4', '--bgp', 'route-reflector'], async (lab) => {
      const { sections } = await cnibenchJson<{ sections: InspectSection[] }>(['lab', 'inspect', lab.name, '--json'])
      expect(peersOf(sections, 'node1').map((r) => r[1])).toEqual(['route-reflector client', 'route-reflector client', 'route-reflector client'])
      for (const client of ['node2', 'node3', 'node4']) {
        expect(peersOf(sections, client).map((r) => [r[0], r[1], r[4]])).toEqual([['192.168.250.1', 'route reflector', 'Established']])
      }
      const learnt = sections.find((s) => s.node === 'node3' && s.title.startsWith('routes node3 learnt'))?.rows ?? []
      expect(learnt).toEqual(expect.arrayContaining([['10.244.2.0/24', '192.168.250.2', 'eth0'], ['10.244.4.0/24', '192.168.250.4', 'eth0']]))
      const pod2 = lab.pods.find((p) => p.node === 'node2')!
      const pod4 = lab.pods.find((p) => p.node === 'node4')!
      expect(await reachable(pod2.netns, pod4.ip)).toBe(true)
    })
  })
})

describe('Calico CrossSubnet', () => {
  for (const [encap, filter] of [['ipip', 'ip proto 4'], ['vxlan', 'udp port 4789']] as const) {
    it(`${encap}: native within a subnet, encapsulated across the router`, async () => {
      await withLab('cp', ['--datapath', 'calico-crosssubnet', '--nodes', '3', '--opt', `encap=${encap}`], async (lab) => {
        const [node1, node2, node3] = lab.nodes
        expect(node1?.underlayIPs[0]).toBe('192.168.250.1')
        expect(node2?.underlayIPs[0]).toBe('192.168.250.2')
        expect(node3?.underlayIPs[0]).toBe('192.168.251.1')
        const [pod1, pod2, pod3] = lab.pods as [LabView['pods'][number], LabView['pods'][number], LabView['pods'][number]]
        const pidDir = mkdtempSync(join(tmpdir(), 'cnibench-cs-'))

        const same = await cnibenchJson<PacketPath>(['lab', 'path', lab.name, '--from', 'pod1', '--to', 'pod2', '--json'])
        expect(same.reachable).toBe(true)
        expect(same.hops.some((h) => /encap/i.test(h.note ?? ''))).toBe(false)
        expect(same.hops.map((h) => h.device)).not.toContain('br1')
        const tunnelled = await capture(node1!.netns, 'eth0', filter, pidDir, () => iperfTcp(pod1.netns, pod2.netns, pod2.ip, pidDir))
        expect(tunnelled, 'encapsulated packets between nodes of one subnet').toEqual([])

        const across = await cnibenchJson<PacketPath>(['lab', 'path', lab.name, '--from', 'pod1', '--to', 'pod3', '--json'])
        expect(across.reachable).toBe(true)
        expect(across.hops.some((h) => /encap/i.test(h.note ?? ''))).toBe(true)
        expect(across.hops.filter((h) => h.where === 'underlay').map((h) => h.device)).toEqual(expect.arrayContaining(['br0', 'br1']))
        const encapsulated = await capture(node1!.netns, 'eth0', filter, pidDir, () => iperfTcp(pod1.netns, pod3.netns, pod3.ip, pidDir))
        expect(encapsulated.length, 'encapsulated packets across subnets').toBeGreaterThan(0)
      })
    })
  }
})
