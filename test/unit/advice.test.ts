/**
 * Advice and findings on a real stored run (the main job on a 2-vCPU VM): a clearly slower datapath is never ranked
 * first where throughput weighs most, every reason rests on a measured figure or a sourced fact, requirements exclude
 * with the fact named, and findings explain what the run's figures rest on.
 */
import { describe, expect, it } from 'vitest'
import { advise, scenarioNames } from '../../src/advice/advise.js'
import { findFindings } from '../../src/analysis/findings.js'
import type { RunSummary } from '../../src/analysis/summary.js'
import { CnibenchError } from '../../src/errors.js'
import { fixtureModel } from '../helpers/fixture-run.js'

const report = fixtureModel().runs[0]!
const summary = report.summary
const streamOverhead = (dp: string) => summary.cells.find((c) => c.datapath === dp && c.test === 'TCP_STREAM')!.metrics['throughput_bps']!.overhead!.value

describe('advice', () => {
  const advice = advise(summary)

  it('covers the four scenarios the studies name', () => {
    expect(scenarioNames()).toEqual(expect.arrayContaining(['finance', 'ecommerce', 'edge', 'small-cluster']))
    expect(advice.scenarios.map((s) => s.id)).toEqual(scenarioNames())
  })

  it('never ranks a clearly slower datapath first where throughput weighs most', () => {
    const ecommerce = advice.scenarios.find((s) => s.id === 'ecommerce')!
    const slow = ['flannel-udp', 'ovs', 'ovs-bridge']
    for (const dp of slow) expect(streamOverhead(dp)).toBeGreaterThan(0.5) // the fixture's facts: these lose over half
    const first = ecommerce.ranking[0]!
    expect(slow).not.toContain(first.datapath)
    const rankOf = (dp: string) => ecommerce.ranking.find((r) => r.datapath === dp)?.rank ?? Infinity
    const fast = ecommerce.ranking.filter((r) => streamOverhead(r.datapath) < 0.1).map((r) => r.rank)
    for (const dp of slow) for (const rank of fast) expect(rankOf(dp)).toBeGreaterThan(rank)
  })

  it('ranks only measured datapaths, never the baseline, and never one the run did not measure', () => {
    const measured = new Set(summary.cells.map((c) => c.datapath))
    for (const s of advice.scenarios) for (const r of s.ranking) {
      expect(measured.has(r.datapath)).toBe(true)
      expect(r.datapath).not.toBe(summary.baseline)
    }
    const three = new Set(['host', 'calico-bgp', 'flannel-vxlan', 'cilium-native'])
    const partial: RunSummary = { ...summary, cells: summary.cells.filter((c) => three.has(c.datapath)) }
    for (const s of advise(partial).scenarios) for (const r of [...s.ranking, ...s.excluded]) expect(three.has(r.datapath)).toBe(true)
  })

  it('every reason names a measured figure (with its value and test) or a fact with its source', () => {
    for (const s of advice.scenarios) for (const r of s.ranking) {
      expect(r.reasons.some((x) => x.rests.kind === 'measured')).toBe(true)
      for (const reason of r.reasons) {
        if (reason.rests.kind === 'measured') {
          expect(Number.isFinite(reason.rests.value)).toBe(true)
          expect(reason.text).toMatch(/\d+%.*(TCP_STREAM|TCP_RR|UDP_RR|TCP_CRR) \d+ B/)
        } else {
          expect(reason.rests.source === null ? reason.text : reason.rests.source.title).toBeTruthy()
          if (reason.rests.source === null) expect(reason.text).toMatch(/not established|measured cells/)
        }
      }
    }
  })

  it('excludes on requirements, naming the fact: finance needs policy, edge needs cross-subnet', () => {
    const finance = advice.scenarios.find((s) => s.id === 'finance')!
    const flannel = finance.excluded.find((e) => e.datapath === 'flannel-vxlan')!
    expect(flannel.reasons[0]!.text).toMatch(/network policy/)
    expect(flannel.reasons[0]!.rests).toMatchObject({ kind: 'fact', fact: 'networkPolicy', source: { url: expect.stringMatching(/^https:/) } })
    const edge = advice.scenarios.find((s) => s.id === 'edge')!
    expect(edge.excluded.find((e) => e.datapath === 'flannel-host-gw')?.reasons[0]?.text).toMatch(/subnets/)
    expect(edge.notShown.join('\n')).toMatch(/ovs: measured as .*userspace/)
  })

  it('an unknown scenario is a one-line usage error naming the choices', () => {
    expect(() => advise(summary, 'banking')).toThrow(CnibenchError)
    expect(() => advise(summary, 'banking')).toThrow(/unknown scenario "banking"/)
  })
})

describe('findings', () => {
  const kinds = (dp: string) => report.findings.filter((f) => f.datapath === dp).map((f) => f.kind)

  it('names implementations that are not the plugin\'s usual path, and userspace hops', () => {
    expect(kinds('ovs')).toEqual(expect.arrayContaining(['not-usual-implementation', 'userspace-hop']))
    expect(kinds('calico-ipip')).toContain('not-usual-implementation')
    expect(kinds('flannel-udp')).toContain('userspace-hop')
    expect(kinds('calico-bgp')).not.toContain('not-usual-implementation')
  })

  it('explains a tunnel\'s smaller MTU with the figures, and flags a CI wider than the overhead', () => {
    const mtu = report.findings.find((f) => f.datapath === 'flannel-vxlan' && f.kind === 'mtu')!
    expect(mtu.figures).toEqual(expect.arrayContaining([{ label: 'pod MTU', value: 1450, unit: 'bytes' }]))
    const unclear = report.findings.filter((x) => x.kind === 'ci-wider-than-difference')
    expect(unclear.length).toBeGreaterThan(0) // the fixture has overheads its CIs do not separate from zero
    for (const f of unclear) {
      const [lo, hi] = f.figures[0]!.ci95!
      expect(lo).toBeLessThanOrEqual(0)
      expect(hi).toBeGreaterThanOrEqual(0)
    }
  })

  it('warns of fragmentation when an encapsulated pod MTU does not fit the underlay, and of CPU-bound UDP loss', () => {
    const cell = summary.cells.find((c) => c.datapath === 'flannel-vxlan' && c.test === 'TCP_STREAM')!
    const big = { ...cell, context: { ...cell.context, podMtu: 1500 } }
    const udp = { ...cell, test: 'UDP_STREAM', metrics: { ...cell.metrics, udp_loss_pct: { ...cell.metrics['throughput_bps']!, unit: '%', median: 12, medianCi95: [10, 14] as [number, number] } } }
    const found = findFindings({ ...summary, cells: [big, udp] }, [])
    expect(found.find((f) => f.kind === 'fragmentation-risk')?.severity).toBe('caution')
    expect(found.find((f) => f.kind === 'udp-loss-cpu-bound')?.figures[0]).toMatchObject({ label: 'UDP loss', value: 12 })
  })
})
