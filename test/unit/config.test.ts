/** The run matrix: YAML validation with positions, flag checks, planning and the interleaved schedule. */
import { describe, expect, it } from 'vitest'
import { defaultConfig, mergeConfig, parseConfig } from '../../src/measure/config.js'
import { planRun, sizesFor } from '../../src/measure/plan.js'
import { nextRound, shuffleRound } from '../../src/measure/rounds.js'
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
    engineFor: () => engines['cnb-perf'],
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
  it("uses the given sizes for every test, or the bank's study's pairing for auto", () => {
    expect(sizesFor('UDP_STREAM', { sizes: 'auto' })).toEqual([10240])
    expect(sizesFor('TCP_CRR', { sizes: [512, 10240] })).toEqual([512, 10240])
  })
  it('shuffles each round reproducibly, differently from round to round', () => {
    const keys = ['a', 'b', 'c', 'd', 'e']
    const first = shuffleRound(keys, 11, 1)
    expect([...first].sort()).toEqual(keys)
    expect(shuffleRound(keys, 11, 1)).toEqual(first)
    expect([1, 2, 3, 4].map((r) => shuffleRound(keys, 11, r).join(''))).not.toEqual(Array(4).fill(first.join('')))
  })
})

describe('rounds', () => {
  const cell = (datapath: string, test = 'TCP_RR') => {
    const shape = { datapath, variant: {}, test, size: 1024, parallel: 1, placement: 'inter-node' }
    return { ...shape, key: `${datapath}/${test}/1024/1/inter-node` }
  }
  const cells = [cell('host'), cell('calico-bgp'), cell('flannel-vxlan')]
  const progress = (entries: [string, number, number][]) => new Map(entries.map(([d, kept, attempts]) => [`${d}/TCP_RR/1024/1/inter-node`, { kept, attempts }]))
  const base = { cells, baseline: 'host', minSamples: 3, maxSamples: 6 }

  it('visits every cell until each keeps the minimum, then stops', () => {
    expect(nextRound({ ...base, progress: new Map() })).toHaveLength(3)
    expect(nextRound({ ...base, progress: progress([['host', 3, 3], ['calico-bgp', 3, 3], ['flannel-vxlan', 3, 3]]) })).toEqual([])
  })
  it('re-takes a cell whose sample a disturbance excluded, with its baseline, up to as many re-takes as the minimum', () => {
    const round = nextRound({ ...base, progress: progress([['host', 3, 3], ['calico-bgp', 2, 3], ['flannel-vxlan', 3, 3]]) })
    expect(round.sort()).toEqual(['calico-bgp/TCP_RR/1024/1/inter-node', 'host/TCP_RR/1024/1/inter-node'])
    expect(nextRound({ ...base, progress: progress([['host', 3, 3], ['calico-bgp', 2, 6], ['flannel-vxlan', 3, 3]]) })).toEqual([])
  })
  it('keeps measuring what is short of the precision target, up to the sample cap', () => {
    const done = progress([['host', 3, 3], ['calico-bgp', 3, 3], ['flannel-vxlan', 3, 3]])
    const unmet = new Set(['flannel-vxlan/TCP_RR/1024/1/inter-node'])
    expect(nextRound({ ...base, progress: done, unmet }).sort()).toEqual(['flannel-vxlan/TCP_RR/1024/1/inter-node', 'host/TCP_RR/1024/1/inter-node'])
    const capped = progress([['host', 6, 6], ['calico-bgp', 3, 3], ['flannel-vxlan', 6, 6]])
    expect(nextRound({ ...base, progress: capped, unmet })).toEqual([])
  })
})
