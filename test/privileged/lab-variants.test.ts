/**
 * What a lab variant changes, proven on real devices: the router of a two-subnet lab passes IP-in-IP super-packets on
 * whole (seen on the wire of its egress port, not inferred from a timing), and every NIC offload profile is applied to
 * every node's eth0 and reads back so with `ethtool -k`, in the lab's JSON too.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { inNetns } from '../../src/exec/netns.js'
import { startProcess } from '../../src/exec/processes.js'
import { runJson } from '../../src/exec/run.js'
import type { LabView } from '../../src/lab/state.js'
import { cnibench, uniqueName } from '../helpers/cli.js'
import { expectLabGone } from '../helpers/leftovers.js'
import { withLab } from '../helpers/labs.js'
import { iperfTcp } from '../helpers/traffic.js'


/** Every feature's active state of `device` in `netns`, as ethtool reports it (JSON). */
async function ethtool(netns: string, device: string): Promise<Record<string, boolean>> {
  const [entry] = await runJson<Record<string, { active: boolean } | string>[]>(inNetns(netns, ['ethtool', '--json', '-k', device]))
  return Object.fromEntries(Object.entries(entry ?? {}).flatMap(([k, v]) => (typeof v === 'object' ? [[k, v.active]] : [])))
}

describe('the router of a two-subnet lab', () => {
  it('forwards IP-in-IP super-packets whole: the wire toward the far node carries packets far larger than the MTU', async () => {
    await withLab('var', ['--datapath', 'calico-crosssubnet'], async (lab) => {
      const [pod1, pod2] = lab.pods as [LabView['pods'][number], LabView['pods'][number]]
      const pidDir = mkdtempSync(join(tmpdir(), 'cnibench-router-'))
      const wire = `cnb-${lab.name}.wire`
      // node2's port on the second subnet's switch, toward node2: what the router's egress put on that wire.
      const node2 = lab.nodes[1]?.underlayIPs[0] as string
      const filter = `ip proto 4 and dst host ${node2}`
      const tcpdump = await startProcess({ argv: inNetns(wire, ['tcpdump', '-l', '-nn', '-c', '400', '-i', 'node2', filter]), label: 'test-tcpdump', pidDir, capture: true })
      try {
        await new Promise((r) => setTimeout(r, 500))
        await iperfTcp(pod1.netns, pod2.netns, pod2.ip, pidDir)
        await Promise.race([tcpdump.exited, new Promise((r) => setTimeout(r, 3000))])
      } finally {
        await tcpdump.stop()
      }
      // "IP 192.168.250.1 > 192.168.251.1: IP 10.244.1.2.x > 10.244.2.2.5299: Flags [.], ..., length N": the inner
      // TCP payload length; data segments only (the pure ACKs of the handshake carry none).
      const lengths = tcpdump
        .output()
        .split('\n')
        .map((l) => Number(/length (\d+)/.exec(l)?.[1] ?? 0))
        .filter((n) => n > 0)
      expect(lengths.length, 'IP-in-IP packets seen on the router\'s egress').toBeGreaterThan(50)
      const large = lengths.filter((n) => n > 1500)
      // With the address on the bridge, every packet here was cut to ~1388 bytes in software.
      expect(large.length / lengths.length).toBeGreaterThan(0.5)
      expect(Math.max(...lengths)).toBeGreaterThan(10_000)
    })
  })
})

describe('NIC offload profiles', () => {
  const off = (state: Record<string, boolean>, features: string[]) => features.filter((f) => state[f] === false)
  const tunnel = ['tx-udp_tnl-segmentation', 'tx-udp_tnl-csum-segmentation', 'tx-ipxip4-segmentation']

  it.each([
    ['full', [] as string[], tunnel],
    ['no-tunnel-offload', tunnel, ['tcp-segmentation-offload', 'tx-checksumming']],
    ['none', ['tcp-segmentation-offload', 'generic-segmentation-offload', 'generic-receive-offload', 'tx-checksumming', 'rx-checksumming'], []],
    ['custom:tx-udp_tnl-csum-segmentation=off,gro=on', ['tx-udp_tnl-csum-segmentation'], ['tx-udp_tnl-segmentation', 'generic-receive-offload']],
  ])('%s: applied to every node\'s eth0 and read back with ethtool -k', async (profile, offFeatures, onFeatures) => {
    await withLab('var', ['--datapath', 'flannel-vxlan', '--nic-offloads', profile], async (lab) => {
      expect(lab.nicOffloads.profile).toBe(profile)
      expect(lab.nicOffloads.notApplied).toEqual([])
      for (const node of lab.nodes) {
        const state = await ethtool(node.netns, 'eth0')
        expect(off(state, offFeatures), `${node.name} ${profile}`).toEqual(offFeatures)
        expect(off(state, onFeatures), `${node.name} ${profile}`).toEqual([])
        expect(lab.nicOffloads.off[`${node.name}:eth0`]).toEqual(expect.arrayContaining(offFeatures))
      }
      if (profile.startsWith('custom')) expect((await ethtool(lab.nodes[0]!.netns, 'eth0'))['generic-receive-offload']).toBe(true)
    })
  })
  it('refuses an unknown profile in one line, before building anything', async () => {
    const name = uniqueName('var')
    const result = await cnibench(['lab', 'up', '--datapath', 'host', '--name', name, '--nic-offloads', 'turbo'])
    expect(result.code).toBe(2)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/--nic-offloads turbo: unknown profile; use full, no-tunnel-offload, none/)
    await expectLabGone(name)
  })
})
