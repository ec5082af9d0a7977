/**
 * Registry completeness (flent's test_runners style): every datapath is named like its file, describes itself, and
 * its wiring for a 3-node, 2-pod lab stays inside the lab's namespaces with interface names the kernel accepts.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { datapaths, getDatapath } from '../../src/lab/datapaths/index.js'
import { labScript } from '../../src/lab/lifecycle.js'
import { groupSteps } from '../../src/lab/script.js'
import { planLab } from '../../src/lab/topology.js'
import { packageRoot } from '../../src/system/paths.js'

const plan = (name: string) =>
  planLab({ name: 'unit', nodes: 3, podsPerNode: 2, underlayCidr: '192.168.250.0/24', podCidr: '10.244.0.0/16', underlayMtu: 1500 }, getDatapath(name))

describe('datapath registry', () => {
  it('has one module file per datapath, named as its key', () => {
    const files = readdirSync(join(packageRoot, 'src', 'lab', 'datapaths')).filter((f) => f !== 'index.ts').map((f) => f.replace(/\.ts$/, ''))
    expect(Object.keys(datapaths).sort()).toEqual(files.sort())
    for (const [key, d] of Object.entries(datapaths)) expect(d.name).toBe(key)
  })

  it('names the fix for an unknown datapath', () => {
    expect(() => getDatapath('weave')).toThrow(/unknown datapath "weave"/)
  })

  for (const [name, d] of Object.entries(datapaths)) {
    it(`${name}: describes itself and wires only inside its lab`, () => {
      expect(d.summary.length).toBeGreaterThan(10)
      expect(d.plugin.length).toBeGreaterThan(20)
      expect(d.packetPath).toMatch(/→/)
      const p = plan(name)
      const script = labScript(p, d)
      const namespaces = new Set(script.steps.map((s) => s.netns))
      for (const ns of namespaces) expect(ns.startsWith('cnb-unit.')).toBe(true)
      for (const step of script.steps) {
        if (step.tool !== 'ip' || step.args[0] !== 'link' || step.args[1] !== 'add') continue
        for (const flag of ['name', 'add']) {
          const i = step.args.indexOf(flag)
          const ifname = step.args[i + 1] ?? ''
          if (i >= 0 && ifname !== 'link') expect(ifname.length, ifname).toBeLessThanOrEqual(15)
        }
      }
    })
  }
})

describe('script', () => {
  it('folds consecutive steps of one tool and namespace into one batch, keeping order', () => {
    const script = labScript(plan('flannel-vxlan'), getDatapath('flannel-vxlan'))
    const groups = groupSteps(script.steps)
    expect(groups.length).toBeLessThan(script.steps.length / 2)
    expect(groups.flatMap((g) => g.steps)).toEqual(script.steps)
    expect(script.toShell()[0]).toBe('ip netns add cnb-unit.wire')
    expect(script.toShell()).toContain('bridge -n cnb-unit.node1 fdb append 0e:cb:00:00:00:02 dev flannel.1 dst 192.168.250.2')
  })
})
