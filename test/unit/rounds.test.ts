/**
 * Statistics that survive the VM's dips, and the precision target, on constructed series: a baseline and a datapath
 * that both dip by 30% for a stretch keep the overhead and CI their undipped series give (and, without the rule, do
 * not: the test can fail); the round planner stops early on a quiet series and at the time budget on a noisy one.
 */
import { describe, expect, it } from 'vitest'
import { defaultDisturbanceRule, findDisturbances } from '../../src/analysis/disturbances.js'
import { halfWidthOf, headlineOverhead } from '../../src/analysis/precision.js'
import { seededRandom } from '../../src/analysis/stats.js'
import { summarizeRun, type CellSummary } from '../../src/analysis/summary.js'
import { mergeConfig, type RunConfig } from '../../src/measure/config.js'
import { decideNext } from '../../src/measure/rounds.js'
import type { CellRecord, RunRecord, SampleConditions, SampleRecord } from '../../src/store/db.js'

const USUAL_PROBE = { cpu_ms: 6.5, lo_rr_us: 13.6, lo_crr_us: 56 }
const slowProbe = (factor: number) => ({ cpu_ms: 6.5 * factor, lo_rr_us: 13.6 * factor, lo_crr_us: 56 * factor })

function run(config: Partial<RunConfig>): RunRecord {
  return { id: 'rtest', createdAt: '', finishedAt: null, status: 'running', kind: 'lab', label: null, cnibenchVersion: '0', config: mergeConfig({ seed: 7, ...config }), environment: {}, owner: null, notes: {} }
}

function cell(id: number, datapath: string): CellRecord {
  return { id, runId: 'rtest', key: `${datapath}/TCP_STREAM/10240/1/inter-node`, datapath, variant: {}, test: 'TCP_STREAM', size: 10240, parallel: 1, placement: 'inter-node', engine: 'cnb-perf', engineVersion: '1', context: { pinnedCpu: 1 } }
}

const cells = [cell(1, 'host'), cell(2, 'calico-bgp')]
let nextId = 1
function sample(cellId: number, iteration: number, gbps: number, conditions: SampleConditions = { probe: { before: USUAL_PROBE, after: USUAL_PROBE } }): SampleRecord {
  return { id: nextId++, cellId, iteration, startedAt: '', elapsedS: 1.6, metrics: { throughput_bps: gbps * 1e9 }, histogram: null, error: null, conditions }
}

/** 12 samples per cell around 10 and 8 Gbit/s (±1%); `dipped` iterations read 30% slower, with probes that say so. */
function series(dipped: { host: number[]; datapath: number[] }): SampleRecord[] {
  const random = seededRandom(3)
  const noise = () => 1 + (random() - 0.5) * 0.02
  const samples: SampleRecord[] = []
  for (let i = 1; i <= 12; i++) {
    for (const [c, gbps, hits] of [[1, 10, dipped.host], [2, 8, dipped.datapath]] as const) {
      const dip = hits.includes(i)
      samples.push(sample(c, i, gbps * noise() * (dip ? 0.7 : 1), { probe: { before: dip ? slowProbe(1.3) : USUAL_PROBE, after: dip ? slowProbe(1.3) : USUAL_PROBE } }))
    }
  }
  return samples
}

const overheadOf = (cs: CellSummary[]) => headlineOverhead(cs.find((c) => c.datapath === 'calico-bgp') as CellSummary)!.overhead

describe('a dip that hits baseline and datapath unequally', () => {
  const undipped = summarizeRun(run({ disturbances: defaultDisturbanceRule }), cells, series({ host: [], datapath: [] }), 'host')
  const dips = { host: [4, 5, 6, 7], datapath: [8] }

  it('is excluded by the rule: overhead and CI stay where the undipped series put them', () => {
    const summary = summarizeRun(run({ disturbances: defaultDisturbanceRule }), cells, series(dips), 'host')
    const clean = overheadOf(undipped.cells)
    const kept = overheadOf(summary.cells)
    expect(kept.value).toBeCloseTo(clean.value, 2)
    expect(Math.abs(halfWidthOf(kept) - halfWidthOf(clean))).toBeLessThan(0.01)
    expect(kept.n).toEqual({ baseline: 8, datapath: 11 })
    expect(kept.method).toContain(defaultDisturbanceRule.name)
    expect(summary.cells.flatMap((c) => c.excluded.map((e) => e.reason))).toEqual(['dip', 'dip', 'dip', 'dip', 'dip'])
    expect(summary.warnings.join('\n')).toMatch(/ran slow \(a dip\) during 5 sample\(s\), excluded and re-taken: host TCP_STREAM #4 \(reference probe \+30% before/)
  })
  it('without the rule (a run stored before it), the same series gives a wrong overhead or a wide CI', () => {
    const summary = summarizeRun(run({}), cells, series(dips), 'host')
    const clean = overheadOf(undipped.cells)
    const raw = overheadOf(summary.cells)
    expect(Math.abs(raw.value - clean.value) > 0.02 || halfWidthOf(raw) > 2 * halfWidthOf(clean)).toBe(true)
    expect(summary.cells.every((c) => c.excluded.length === 0)).toBe(true)
  })
  it('a probe 10% slow on one side only is not a dip; foreign load is excluded unless the run allowed it', () => {
    const hiccup = sample(1, 1, 10, { probe: { before: slowProbe(1.1), after: USUAL_PROBE } })
    const loaded = sample(1, 2, 10, { probe: { before: USUAL_PROBE, after: USUAL_PROBE }, foreignCpu: { cores: 0.6, top: [{ pid: 42, command: 'cc1plus', cores: 0.6 }] } })
    const plain = [sample(1, 3, 10), sample(1, 4, 10)]
    const found = findDisturbances(cells, [hiccup, loaded, ...plain], defaultDisturbanceRule)
    expect([...found.values()].map((e) => [e.sampleId, e.reason])).toEqual([[loaded.id, 'foreign-load']])
    expect(found.get(loaded.id)?.detail).toMatch(/0\.60 cores .*cc1plus \(pid 42\)/)
    expect(findDisturbances(cells, [loaded, ...plain], { ...defaultDisturbanceRule, excludeForeignLoad: false }).size).toBe(0)
  })
})

describe('probes taken in different places', () => {
  // The host cell's client sits in the node's namespace, whose netfilter hooks make every loopback connection 12%
  // dearer than in the pods' namespaces: a steady difference of place, not a dip.
  const placed = (rule = defaultDisturbanceRule) => {
    const samples: SampleRecord[] = []
    for (let i = 1; i <= 6; i++) samples.push(sample(1, i, 10, { probe: { before: { ...USUAL_PROBE, lo_crr_us: 56 * 1.12 }, after: { ...USUAL_PROBE, lo_crr_us: 56 * 1.12 } } }))
    for (let i = 1; i <= 6; i++) for (const c of [2, 3]) samples.push(sample(c, i, 8))
    const dipped = sample(1, 7, 7, { probe: { before: { ...USUAL_PROBE, lo_crr_us: 56 * 1.12 * 1.2 }, after: USUAL_PROBE } })
    return { found: findDisturbances([...cells, cell(3, 'flannel-vxlan')], [...samples, dipped], rule), dipped }
  }
  it('compare with the probes of their own place: a steady difference is no dip, a dip there still is', () => {
    const { found, dipped } = placed()
    expect([...found.keys()]).toEqual([dipped.id])
    expect(found.get(dipped.id)?.detail).toMatch(/\+20% before \(lo_crr_us\)/)
  })
  it('under rule v1 (one usual per pinning, kept for runs stored with it) every sample of the other place was a dip', () => {
    const { found } = placed({ ...defaultDisturbanceRule, name: 'probe-and-foreign-load-v1', probesComparedWithin: 'pinning' })
    expect(found.size).toBe(7)
  })
})

describe('the precision target', () => {
  /** Run the planner against generated samples on a fake clock; returns how it stopped and after how many rounds. */
  function simulate(cv: number, budgetS: number) {
    const config = { samples: 5, precision: 5, maxSamples: 30, disturbances: defaultDisturbanceRule } as const
    const random = seededRandom(11)
    const samples: SampleRecord[] = []
    let now = 0
    for (let rounds = 0; rounds < 100; rounds++) {
      const decision = decideNext({ run: run(config), cells, samples, config: run(config).config as RunConfig, now, deadline: budgetS * 1000, secondsPerSample: () => 1.6 })
      if (decision.kind === 'stop') return { ...decision, rounds, perCell: samples.length / 2 }
      for (const key of decision.keys) {
        const c = cells.find((x) => x.key === key) as CellRecord
        const base = c.datapath === 'host' ? 10 : 8
        const iteration = samples.filter((s) => s.cellId === c.id).length + 1
        samples.push(sample(c.id, iteration, base * (1 + (random() - 0.5) * 2 * cv * Math.sqrt(3))))
        now += 1600
      }
    }
    throw new Error('the planner never stopped')
  }

  it('stops after the minimum on a quiet series', () => {
    const quiet = simulate(0.01, 600)
    expect(quiet).toMatchObject({ kind: 'stop', stoppedBy: 'complete', unmet: [] })
    expect(quiet.rounds).toBe(5)
  })
  it('keeps adding rounds on a noisy one, then stops at the time budget and names the overhead short of the target', () => {
    const noisy = simulate(0.3, 60)
    expect(noisy.stoppedBy).toBe('time-budget')
    expect(noisy.rounds).toBeGreaterThan(5)
    expect(noisy.unmet.map((u) => u.key)).toEqual(['calico-bgp/TCP_STREAM/10240/1/inter-node'])
    expect(noisy.unmet[0]?.halfWidth).toBeGreaterThan(0.05)
  })
  it('never stops short of the minimum, whatever the budget', () => {
    const rushed = simulate(0.3, 1)
    expect(rushed.rounds).toBe(5)
    expect(rushed.perCell).toBe(5)
  })
})
