/**
 * A lab's life beyond the happy path: bad input gets one line that names the fix and leaves nothing; a build that
 * fails half way, a SIGTERM or Ctrl-C mid-build, and a kill -9 followed by `lab clean` all leave nothing either.
 */
import { describe, expect, it } from 'vitest'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { listNetns } from '../../src/exec/netns.js'
import { calicoBgp } from '../../src/lab/datapaths/calico-bgp.js'
import { createLab } from '../../src/lab/lifecycle.js'
import { labDir } from '../../src/lab/state.js'
import { labNetnsPrefix } from '../../src/lab/topology.js'
import type { Datapath } from '../../src/lab/datapath.js'
import { cnibench, cnibenchJson, startCnibench, uniqueName } from '../helpers/cli.js'
import { expectLabGone, labProcesses } from '../helpers/leftovers.js'
import { isOurs } from '../../src/exec/processes.js'

const NOBODY = 65534

async function cnbNamespaces(): Promise<string[]> {
  return (await listNetns()).filter((ns) => ns.startsWith('cnb-'))
}

/** The error contract: non-zero exit, exactly one line on stderr, nothing on stdout, no namespace created. */
async function expectOneLineError(args: string[], code: number, pattern: RegExp, spawnOpts = {}): Promise<string> {
  const before = await cnbNamespaces()
  const result = await cnibench(args, spawnOpts)
  expect(result.code, result.stderr).toBe(code)
  expect(result.stdout).toBe('')
  const lines = result.stderr.split('\n').filter((l) => l !== '')
  expect(lines, result.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^cnibench: error: /)
  expect(lines[0]).toMatch(pattern)
  expect(await cnbNamespaces()).toEqual(before)
  return lines[0] as string
}

describe('bad input: one line naming the fix, a non-zero exit, nothing left behind', () => {
  it('unknown datapath', async () => {
    const line = await expectOneLineError(['lab', 'up', '--datapath', 'weave', '--name', uniqueName('bad')], 2, /unknown datapath "weave"/)
    expect(line).toContain('cnibench datapaths')
    expect(line).toContain('flannel-vxlan')
  })

  it('a datapath whose kernel feature is missing', async (ctx) => {
    // Datapaths with an eBPF fallback run anyway, so ask for the kernel implementation explicitly.
    const doctor = await cnibenchJson<{ features: { feature: string; available: boolean }[] }>(['doctor', '--json'])
    const missing = (f: string) => doctor.features.some((x) => x.feature === f && !x.available)
    const candidate = missing('ipip') ? ['calico-ipip', 'ipip=kernel', 'IP-in-IP'] : missing('openvswitch') ? ['ovs', 'datapath=system', 'Open vSwitch'] : undefined
    if (!candidate) return ctx.skip('this kernel has ipip and openvswitch: no datapath lacks its kernel feature here')
    const [datapath, option, what] = candidate as [string, string, string]
    const line = await expectOneLineError(['lab', 'up', '--datapath', datapath, '--opt', option, '--name', uniqueName('nofeat')], 4, /cannot run here/)
    expect(line).toContain(`kernel has no ${what}`)
    expect(line).toMatch(/modprobe|CONFIG_/)
  })

  it('an unknown datapath option', async () => {
    const line = await expectOneLineError(['lab', 'up', '--datapath', 'calico-bgp', '--opt', 'bgp=ospf', '--name', uniqueName('badopt')], 2, /bgp=ospf is not valid/)
    expect(line).toContain('full-mesh, route-reflector')
  })

  it('not root', async () => {
    const line = await expectOneLineError(['lab', 'up', '--datapath', 'calico-bgp', '--name', uniqueName('nonroot')], 1, /needs root/, {
      uid: NOBODY,
      gid: NOBODY,
    })
    expect(line).toContain('sudo')
  })

  it('overlapping CIDRs', async () => {
    const args = ['lab', 'up', '--datapath', 'calico-bgp', '--name', uniqueName('overlap')]
    const line = await expectOneLineError([...args, '--underlay-cidr', '10.244.3.0/24', '--pod-cidr', '10.244.0.0/16'], 2, /overlaps/)
    expect(line).toMatch(/--underlay-cidr .* --pod-cidr/)
  })

  it('a lab name already in use, leaving the existing lab untouched', async () => {
    const name = uniqueName('dup')
    expect((await cnibench(['lab', 'up', '--datapath', 'calico-bgp', '--name', name])).code).toBe(0)
    try {
      const namespaces = (await listNetns()).filter((ns) => ns.startsWith(labNetnsPrefix(name)))
      const result = await cnibench(['lab', 'up', '--datapath', 'flannel-vxlan', '--name', name])
      expect(result.code).toBe(1)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(result.stderr).toContain(`lab down ${name}`)
      expect((await listNetns()).filter((ns) => ns.startsWith(labNetnsPrefix(name)))).toEqual(namespaces)
      const list = await cnibenchJson<{ name: string; datapath: string; status: string }[]>(['lab', 'list', '--json'])
      expect(list.find((l) => l.name === name)).toMatchObject({ datapath: 'calico-bgp', status: 'ready' })
    } finally {
      await cnibench(['lab', 'down', name])
      await expectLabGone(name)
    }
  })

  it('an invalid lab name', async () => {
    await expectOneLineError(['lab', 'up', '--datapath', 'host', '--name', 'Bad.Name'], 2, /invalid lab name/)
  })
})

describe('teardown on every exit path', () => {
  it('a build that fails half way removes what it built and reports the failing command', async () => {
    const broken: Datapath = {
      ...calicoBgp,
      name: 'broken',
      wire(plan, script) {
        calicoBgp.wire(plan, script)
        script.ip(plan.nodes[0]?.netns as string, 'link', 'set', 'nosuchdev0', 'up')
      },
    }
    const name = uniqueName('broken')
    const request = { name, nodes: 2, podsPerNode: 1, underlayCidr: '192.168.250.0/24', podCidr: '10.244.0.0/16', underlayMtu: 1500 }
    await expect(createLab(request, broken, { keep: true })).rejects.toThrow(/nosuchdev0/)
    await expectLabGone(name)
  })

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${signal} during lab up removes the half-built lab`, async () => {
      const name = uniqueName(signal.toLowerCase())
      const child = startCnibench(['lab', 'up', '--datapath', 'calico-bgp', '--nodes', '16', '--pods-per-node', '8', '--name', name])
      const exited = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)))
      await waitUntilBuilding(name)
      child.kill(signal)
      expect(await exited).toBe(code)
      await expectLabGone(name)
    })
  }

  it('kill -9 during lab up, then `lab clean`, leaves nothing', async () => {
    const name = uniqueName('kill9')
    const child = startCnibench(['lab', 'up', '--datapath', 'flannel-vxlan', '--nodes', '16', '--pods-per-node', '8', '--name', name])
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()))
    await waitUntilBuilding(name)
    child.kill('SIGKILL')
    await exited
    // The kill must really have left something, or this test proves nothing.
    expect((await listNetns()).some((ns) => ns.startsWith(labNetnsPrefix(name)))).toBe(true)
    const clean = await cnibench(['lab', 'clean', '--json'])
    expect(clean.code).toBe(0)
    expect((JSON.parse(clean.stdout) as { labs: string[] }).labs).toContain(name)
    await expectLabGone(name)
  })

  it('kill -9 while daemons run (BIRD), then `lab clean`, stops them by their pid files', async () => {
    const name = uniqueName('kill9d')
    const child = startCnibench(['lab', 'up', '--datapath', 'calico-bgp', '--nodes', '6', '--name', name])
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()))
    const deadline = Date.now() + 30_000
    let daemons = await labProcesses(name)
    while (daemons.length < 2 && Date.now() < deadline) {
      await sleep(10)
      daemons = await labProcesses(name)
    }
    child.kill('SIGKILL')
    await exited
    daemons = await labProcesses(name)
    expect(daemons.length).toBeGreaterThanOrEqual(2)
    for (const d of daemons) expect(await isOurs(d), `${d.label} still running before clean`).toBe(true)
    expect((await cnibench(['lab', 'clean'])).code).toBe(0)
    await expectLabGone(name, daemons)
  })

  it('`lab clean` keeps labs left up on purpose', async () => {
    const name = uniqueName('keep')
    expect((await cnibench(['lab', 'up', '--datapath', 'host', '--name', name])).code).toBe(0)
    try {
      await cnibench(['lab', 'clean'])
      const list = await cnibenchJson<{ name: string }[]>(['lab', 'list', '--json'])
      expect(list.map((l) => l.name)).toContain(name)
    } finally {
      await cnibench(['lab', 'down', name])
      await expectLabGone(name)
    }
  })
})

/** Wait until the lab's record says 'building' and some of its namespaces exist. */
async function waitUntilBuilding(name: string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    const record = await readFile(join(labDir(name), 'lab.json'), 'utf8').catch(() => '')
    const building = record !== '' && (JSON.parse(record) as { status: string }).status === 'building'
    const namespaces = (await listNetns()).filter((ns) => ns.startsWith(labNetnsPrefix(name)))
    if (building && namespaces.length > 4) return
    await sleep(5)
  }
  throw new Error(`lab ${name} never reached 'building'`)
}
