/**
 * Lab variants as data: NIC offload profiles (parsing, the ethtool steps, which profile a real NIC resembles), the
 * routed underlay and its router legs, the baseline rule (a routed datapath's baseline crosses the same router), the
 * planner's testbeds, foreign-load accounting, and how cross-run comparison flags cells measured differently.
 */
import { describe, expect, it } from 'vitest'
import { differences } from '../../src/analysis/compare.js'
import { getDatapath } from '../../src/lab/datapaths/index.js'
import { labScript } from '../../src/lab/lifecycle.js'
import { nicProfiles, parseNicProfile, splitNicProfiles } from '../../src/lab/offloads.js'
import { planLab, type LabRequest } from '../../src/lab/topology.js'
import { mergeConfig, parseConfig, parseEngineChoices } from '../../src/measure/config.js'
import { foreignLoad, parseStat, type ProcessSnapshot } from '../../src/measure/foreign.js'
import { planRun } from '../../src/measure/plan.js'
import { axisValue, baselineKeyOf, canonicalVariant, cellKey, sameShapeExcept, variantAxes, variantTag } from '../../src/measure/tests.js'
import { engines } from '../../src/engines/index.js'
import { resemblingProfile } from '../../src/system/nics.js'
import type { CellRecord } from '../../src/store/db.js'

const request: LabRequest = { name: 'lab1', nodes: 2, podsPerNode: 1, underlayCidr: '192.168.250.0/24', podCidr: '10.244.0.0/16', underlayMtu: 1500 }

describe('NIC offload profiles', () => {
  it('turns off tunnel segmentation (and turns GRO on, as a real driver has it) for no-tunnel-offload', () => {
    const profile = parseNicProfile('no-tunnel-offload')
    expect(profile.features).toMatchObject({ 'tx-udp_tnl-segmentation': 'off', 'tx-udp_tnl-csum-segmentation': 'off', 'tx-ipxip4-segmentation': 'off', gro: 'on' })
    expect(profile.features).not.toHaveProperty('tso')
    expect(parseNicProfile('none').features).toMatchObject({ tso: 'off', gso: 'off', gro: 'off', tx: 'off', rx: 'off' })
    expect(parseNicProfile('full').features).toEqual({})
  })
  it('takes custom ethtool settings, also inside a comma-separated list of profiles', () => {
    expect(parseNicProfile('custom:tx-udp_tnl-csum-segmentation=off,gso=off').features).toEqual({ 'tx-udp_tnl-csum-segmentation': 'off', gso: 'off' })
    expect(splitNicProfiles('full,custom:tso=off,gro=on,none')).toEqual(['full', 'custom:tso=off,gro=on', 'none'])
  })
  it.each(['fast', 'custom:', 'custom:tso', 'custom:tso=maybe'])('refuses %j in one line naming the choices', (text) => {
    expect(() => parseNicProfile(text)).toThrow(/--nic-offloads .*: .*/)
    try {
      parseNicProfile(text)
    } catch (error) {
      expect((error as { oneLine(): string }).oneLine()).toMatch(/use full, no-tunnel-offload, none, or custom:feature=on\|off/)
    }
  })
  it('applies a profile to every node\'s eth0 as ethtool steps of the lab\'s script, and nothing for full', () => {
    const plan = planLab({ ...request, nicOffloads: 'no-tunnel-offload' }, getDatapath('flannel-vxlan'))
    const lines = labScript(plan, getDatapath('flannel-vxlan')).toShell().filter((l) => l.includes('ethtool'))
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/^ip netns exec cnb-lab1\.node1 ethtool -K eth0 .*tx-udp_tnl-segmentation off/)
    const full = planLab(request, getDatapath('flannel-vxlan'))
    expect(labScript(full, getDatapath('flannel-vxlan')).toShell().some((l) => l.includes('ethtool'))).toBe(false)
  })
  it('says which profile a real NIC resembles', () => {
    const virtio = { 'tcp-segmentation-offload': true, 'tx-checksumming': true, 'tx-udp_tnl-segmentation': false, 'tx-ipxip4-segmentation': false }
    expect(resemblingProfile(virtio)).toBe('no-tunnel-offload')
    expect(resemblingProfile({ ...virtio, 'tx-udp_tnl-segmentation': true, 'tx-udp_tnl-csum-segmentation': true, 'tx-ipxip4-segmentation': true })).toBe('full')
    expect(resemblingProfile({ 'tcp-segmentation-offload': false })).toBe('none')
    expect(Object.keys(nicProfiles)).toEqual(['full', 'no-tunnel-offload', 'none'])
  })
})

describe('routed underlay', () => {
  it('puts each subnet\'s gateway on a router leg (a veth), never on the bridge', () => {
    const plan = planLab(request, getDatapath('calico-crosssubnet'))
    expect(plan.underlay.kind).toBe('routed')
    const shell = labScript(plan, getDatapath('calico-crosssubnet')).toShell()
    expect(shell).toContain('ip -n cnb-lab1.wire link add gw1 type veth peer name gw1-port')
    expect(shell).toContain('ip -n cnb-lab1.wire addr add 192.168.251.254/24 dev gw1')
    expect(shell.some((l) => /addr add .* dev br\d/.test(l))).toBe(false)
  })
  it('runs the host baseline routed on request, and refuses a routed underlay to a datapath that needs one L2', () => {
    expect(planLab({ ...request, underlay: 'routed' }, getDatapath('host')).nodes.map((n) => n.underlayIp)).toEqual(['192.168.250.1', '192.168.251.1'])
    expect(() => planLab({ ...request, underlay: 'routed' }, getDatapath('flannel-host-gw'))).toThrow(/cannot run on a routed underlay/)
  })
})

describe('cells, variants and their baselines', () => {
  const inputs = { unavailableReason: () => undefined, engineFor: () => engines['cnb-perf'] }
  it('keeps the keys of default labs, tags variants, and gives a routed datapath a baseline through the same router', () => {
    const plan = planRun(mergeConfig({ seed: 1, datapaths: ['calico-crosssubnet', 'calico-bgp'], tests: ['TCP_RR'], nicOffloads: ['full', 'none'] }), inputs)
    const keys = plan.cells.map((c) => c.key).sort()
    expect(keys).toEqual([
      'calico-bgp/TCP_RR/1024/1/inter-node',
      'calico-bgp[nic=none]/TCP_RR/1024/1/inter-node',
      'calico-crosssubnet[nic=none,underlay=routed]/TCP_RR/1024/1/inter-node',
      'calico-crosssubnet[underlay=routed]/TCP_RR/1024/1/inter-node',
      'host/TCP_RR/1024/1/inter-node',
      'host[nic=none,underlay=routed]/TCP_RR/1024/1/inter-node',
      'host[nic=none]/TCP_RR/1024/1/inter-node',
      'host[underlay=routed]/TCP_RR/1024/1/inter-node',
    ])
    const routed = plan.cells.find((c) => c.key.startsWith('calico-crosssubnet[underlay=routed]'))!
    expect(baselineKeyOf(routed, 'host')).toBe('host[underlay=routed]/TCP_RR/1024/1/inter-node')
    expect(variantTag({ nic: 'full', underlay: 'switched' })).toBe('')
    expect(cellKey({ datapath: 'host', variant: {}, test: 'TCP_RR', size: 1024, parallel: 1, placement: 'inter-node' })).toBe('host/TCP_RR/1024/1/inter-node')
  })
  it('says when the baseline cannot take a datapath\'s underlay', () => {
    const plan = planRun(mergeConfig({ seed: 1, datapaths: ['calico-crosssubnet'], tests: ['TCP_RR'], baseline: 'calico-bgp' }), inputs)
    expect(plan.notes.join(' ')).toMatch(/calico-crosssubnet runs on a routed underlay, which the baseline calico-bgp cannot/)
  })
  it('flags a comparison of cells measured under other NIC profiles or engines', () => {
    const base: CellRecord = { id: 1, runId: 'a', key: 'k', datapath: 'host', variant: {}, test: 'TCP_RR', size: 1024, parallel: 1, placement: 'inter-node', engine: 'cnb-perf', engineVersion: '1', context: {} }
    expect(differences(base, { ...base, variant: { nic: 'none' }, engine: 'sockperf', engineVersion: '3.7' })).toEqual(['NIC offloads full vs none', 'engine cnb-perf vs sockperf'])
    expect(differences(base, base)).toEqual([])
  })
})

describe('configuration of engines and precision', () => {
  it('takes --engine TEST=ENGINE pairs and the same as a config key, with one-line errors', () => {
    expect(parseEngineChoices(['TCP_STREAM=iperf3', 'tcp_rr=sockperf'])).toEqual({ TCP_STREAM: 'iperf3', TCP_RR: 'sockperf' })
    expect(() => parseEngineChoices(['TCP_RR'])).toThrow(/--engine TCP_RR is not TEST=ENGINE/)
    expect(() => parseEngineChoices(['TCP_RR=ping'])).toThrow(/unknown engine for TCP_RR: "ping"/)
    expect(parseConfig('engines:\n  TCP_CRR: netperf\nprecision: off\nmax-time: 600\nwarmup: 0.5\n')).toMatchObject({ engines: { TCP_CRR: 'netperf' }, precision: 'off', maxTimeS: 600, warmupS: 0.5 })
    expect(() => parseConfig('engines:\n  TCP_SRTEAM: iperf3\n', 'r.yaml')).toThrow(/^r.yaml:2:3: "engines" names an unknown test "TCP_SRTEAM"/)
  })
})

describe('foreign load', () => {
  const proc = (pid: number, ppid: number, ticks: number, netns = 1, command = 'x', kernelThread = false) => ({ pid, ppid, command, ticks, kernelThread, netns })
  const snap = (at: number, list: ReturnType<typeof proc>[]): ProcessSnapshot => ({ at, processes: new Map(list.map((p) => [p.pid, p])) })

  it('reads /proc/PID/stat with spaces and parentheses in the command', () => {
    const text = '812 (cc1 (plus) x) R 811 812 811 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 1 0 123 0 0'
    expect(parseStat(812, text)).toEqual({ pid: 812, ppid: 811, command: 'cc1 (plus) x', ticks: 300, kernelThread: false })
  })
  it('counts only processes outside the sample\'s namespaces, not cnibench\'s children nor kernel threads', () => {
    const before = snap(0, [proc(10, 1, 0), proc(20, 1, 0, 7), proc(30, 99, 0), proc(2, 0, 0, 1, 'ksoftirqd/1', true)])
    const after = snap(1000, [proc(10, 1, 50, 1, 'cc1plus'), proc(20, 1, 90, 7), proc(30, 99, 80), proc(2, 0, 70, 1, 'ksoftirqd/1', true), proc(99, 1, 0), proc(40, 1, 20, 1, 'new')])
    const load = foreignLoad(before, after, new Set([7]), 99)
    expect(load.cores).toBeCloseTo(0.7, 6)
    expect(load.top.map((t) => t.command)).toEqual(['cc1plus', 'new'])
  })
})

describe('variant axes: one rule for a cell\'s baseline', () => {
  const shape = { test: 'TCP_RR', size: 1024, parallel: 1, placement: 'inter-node' }
  // A treatment axis as issue-style variants will register it (e.g. N policy rules): the rule takes any registry.
  const axes = { ...variantAxes, policy: { kind: 'treatment' as const, default: 'none:0', describe: 'N policy rules' } }

  it('a lab axis: the baseline datapath on the same kind of lab', () => {
    const cell = { ...shape, datapath: 'flannel-vxlan', variant: { nic: 'none' } }
    expect(baselineKeyOf(cell, 'host', axes)).toBe(cellKey({ ...cell, datapath: 'host' }))
  })

  it('a treatment axis: the same datapath untreated, on the same lab', () => {
    const cell = { ...shape, datapath: 'calico-bgp', variant: { nic: 'none', policy: 'iptables-legacy:1000' } }
    expect(baselineKeyOf(cell, 'host', axes)).toBe(cellKey({ ...cell, variant: { nic: 'none' } }))
    // An untreated cell is stored without the axis (its default is never stored), and is measured against the
    // baseline datapath as before.
    expect(canonicalVariant({ nic: 'none', policy: 'none:0' }, axes)).toEqual({ nic: 'none' })
    const untreated = { ...cell, variant: { nic: 'none' } }
    expect(baselineKeyOf(untreated, 'host', axes)).toBe(cellKey({ ...shape, datapath: 'host', variant: { nic: 'none' } }))
  })

  it('same shape but for some axes; defaults are never stored', () => {
    const a = { ...shape, datapath: 'canal', variant: { nic: 'none' } }
    const b = { ...shape, datapath: 'canal', variant: {} }
    expect(sameShapeExcept(a, b, ['nic'])).toBe(true)
    expect(sameShapeExcept(a, { ...b, test: 'TCP_CRR' }, ['nic'])).toBe(false)
    expect(canonicalVariant({ nic: 'full', underlay: 'routed' })).toEqual({ underlay: 'routed' })
    expect(axisValue({}, 'nic')).toBe('full')
  })
})
