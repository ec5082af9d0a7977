/** The run matrix: YAML validation with positions, flag checks, planning and the interleaved schedule. */
import { describe, expect, it } from 'vitest'
import { defaultConfig, mergeConfig, parseConfig } from '../../src/measure/config.js'
import { planRun, schedule, sizesFor } from '../../src/measure/plan.js'
import { engines } from '../../src/engines/index.js'

describe('config file', () => {
  it('accepts every documented key', () => {
    const config = parseConfig('datapaths: [host, calico-bgp]\ntests: [TCP_RR]\nsizes: [512, 1024]\nduration: 2\nwarmup: 0\nsamples: 7\nparallel: [1, 4]\nplacements: [inter-node, intra-node]\nbaseline: host\nmtu: 9000\npin: none\nseed: 42\nlabel: rack 3\n')
    expect(config).toMatchObject({ datapaths: ['host', 'calico-bgp'], durationS: 2, warmupS: 0, samples: 7, mtu: 9000, seed: 42, label: 'rack 3' })
  })
  it.each([
    ['tests: [TCP_STREAM]\nsizes: [512, -3]\n', /^run.yaml:2:8: "sizes" item -3 must be a whole number/],
    ['sise: [512]\n', /^run.yaml:1:1: unknown key "sise" \(did you mean "sizes"\?\)/],
    ['tests: [TCP_STREEM]\n', /^run.yaml:1:8: "tests" item "TCP_STREEM" must be one of TCP_STREAM/],
    ['samples: five\n', /^run.yaml:1:10: "samples" must be a whole number/],
    ['tests: [TCP_RR\n', /^run.yaml:\d+:\d+: /],
    ['- a\n- b\n', /must be a mapping/],
  ])('points at the problem: %j', (text, message) => {
    expect(() => parseConfig(text, 'run.yaml')).toThrow(message)
  })
  it('layers defaults, file and flags, later winning', () => {
    const merged = mergeConfig({ samples: 9, durationS: 3 }, { samples: 2 })
    expect(merged).toMatchObject({ samples: 2, durationS: 3, tests: defaultConfig.tests })
    expect(Number.isInteger(merged.seed)).toBe(true)
  })
})

describe('planning', () => {
  const inputs = {
    unavailableReason: (dp: string) => (dp === 'calico-ipip' ? 'kernel has no IP-in-IP tunnels' : undefined),
    engineFor: (test: string) => (test.endsWith('STREAM') ? engines.iperf3 : test === 'TCP_CRR' ? engines['cnb-crr'] : engines.sockperf),
  }
  it('measures every runnable datapath and says why the others are skipped', () => {
    const plan = planRun(mergeConfig({ seed: 1 }), inputs)
    expect(plan.datapaths).toContain('flannel-vxlan')
    expect(plan.skipped).toEqual([{ datapath: 'calico-ipip', reason: 'kernel has no IP-in-IP tunnels' }])
    expect(plan.cells.find((c) => c.test === 'TCP_STREAM')?.size).toBe(10240)
    expect(plan.cells.find((c) => c.test === 'TCP_RR')?.size).toBe(1024)
  })
  it('refuses an explicitly requested datapath that cannot run, and unknown names', () => {
    expect(() => planRun(mergeConfig({ datapaths: ['calico-ipip'] }), inputs)).toThrow(/calico-ipip cannot run here/)
    expect(() => planRun(mergeConfig({ datapaths: ['weave'] }), inputs)).toThrow(/unknown datapath "weave"/)
  })
  it('adds the baseline when it is not listed', () => {
    const plan = planRun(mergeConfig({ datapaths: ['canal'], tests: ['TCP_RR'] }), inputs)
    expect(plan.datapaths).toEqual(['host', 'canal'])
    expect(plan.notes[0]).toMatch(/added the baseline host/)
  })
  it('uses the given sizes for every test, or the seed pairing for auto', () => {
    expect(sizesFor('UDP_STREAM', { sizes: 'auto' })).toEqual([10240])
    expect(sizesFor('TCP_CRR', { sizes: [512, 10240] })).toEqual([512, 10240])
  })
  it('schedules rounds that each visit every cell once, shuffled reproducibly', () => {
    const keys = ['a', 'b', 'c', 'd', 'e']
    const order = schedule(keys, 3, 11)
    expect(order).toHaveLength(15)
    for (let round = 1; round <= 3; round++) expect(order.filter((o) => o.iteration === round).map((o) => o.key).sort()).toEqual(keys)
    expect(schedule(keys, 3, 11)).toEqual(order)
    expect(order.slice(0, 5).map((o) => o.key)).not.toEqual(order.slice(5, 10).map((o) => o.key))
  })
})

describe('bundled configs', () => {
  it('every file in configs/ is valid', async () => {
    const { readdirSync } = await import('node:fs')
    const { join } = await import('node:path')
    const { packageRoot } = await import('../../src/system/paths.js')
    const { loadConfigFile } = await import('../../src/measure/config.js')
    const files = readdirSync(join(packageRoot, 'configs')).filter((f) => f.endsWith('.yaml'))
    expect(files.length).toBeGreaterThan(0)
    for (const f of files) expect(() => loadConfigFile(join(packageRoot, 'configs', f)), f).not.toThrow()
  })
})
