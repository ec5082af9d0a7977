/**
 * Policy and Service variants as data: the treatment axes' values, what a run asks for and the one-line errors for a
 * bad count or an unknown implementation, the planner's treated labs, the rule layouts the lab loads (kube-proxy's
 * iptables and nftables modes, policy in iptables-restore and nft syntax), the Service table and the curves with
 * their crossings.
 */
import { describe, expect, it } from 'vitest'
import { crossingOf, crossingsOf, type CurveLine } from '../../src/analysis/curves.js'
import { engines } from '../../src/engines/index.js'
import { iptablesPolicyText } from '../../src/lab/policy/iptables.js'
import { nftPolicyTable } from '../../src/lab/policy/nft.js'
import { UNLISTED_PORT, listedPort } from '../../src/lab/policy/policy.js'
import { kubeProxyIptablesText } from '../../src/lab/services/iptables.js'
import { kubeProxyNftablesText } from '../../src/lab/services/nftables.js'
import { serviceTable } from '../../src/lab/services/services.js'
import { encodeService } from '../../src/lab/services/bpf-maps.js'
import { checkFlag, mergeConfig, parseConfig } from '../../src/measure/config.js'
import { planRun } from '../../src/measure/plan.js'
import { SERVICE_PORT } from '../../src/measure/servers.js'
import { baselineKeyOf, cellKey, isTreated, variantTag } from '../../src/measure/tests.js'
import { MAX_POLICY_RULES, checkTreatmentConfig, policyOf, servicesOf, treatmentVariants } from '../../src/measure/treatments.js'

const oneLine = (fn: () => unknown): string => {
  try {
    fn()
  } catch (error) {
    return (error as { oneLine?(): string }).oneLine?.() ?? String(error)
  }
  throw new Error('did not throw')
}

describe('treatment values', () => {
  it('reads and writes IMPL:N[:established-first] and PROXY:N', () => {
    expect(policyOf({ policy: 'iptables-legacy:1000' })).toEqual({ impl: 'iptables-legacy', rules: 1000, establishedFirst: false })
    expect(policyOf({ policy: 'nft:10:established-first' })).toEqual({ impl: 'nft', rules: 10, establishedFirst: true })
    expect(servicesOf({ services: 'ebpf-socket:10000' })).toEqual({ proxy: 'ebpf-socket', services: 10000 })
    expect(policyOf({})).toBeUndefined()
    expect(oneLine(() => policyOf({ policy: 'pf:10' }))).toMatch(/is not IMPL:N\[:established-first\]; IMPL is one of iptables-legacy/)
  })
  it('crosses implementations with counts; a count of 0 is the untreated lab, always present', () => {
    const variants = treatmentVariants({ policyRules: [0, 100, 1000], policyImpl: ['iptables-legacy', 'ebpf'] })
    expect(variants).toEqual([{}, { policy: 'iptables-legacy:100' }, { policy: 'iptables-legacy:1000' }, { policy: 'ebpf:100' }, { policy: 'ebpf:1000' }])
    expect(treatmentVariants({ services: [1, 10], proxy: ['nftables'] })).toEqual([{}, { services: 'nftables:1' }, { services: 'nftables:10' }])
  })
  it('gives a treated cell the same cell untreated as its baseline, and tags it', () => {
    const cell = { datapath: 'calico-bgp', variant: { policy: 'nft:100' }, test: 'TCP_RR', size: 1024, parallel: 1, placement: 'inter-node' }
    expect(isTreated(cell.variant)).toBe(true)
    expect(baselineKeyOf(cell, 'host')).toBe(cellKey({ ...cell, variant: {} }))
    expect(variantTag({ services: 'nftables:10', nic: 'none' })).toBe('[nic=none,services=nftables:10]')
  })
})

describe('bad treatment input: one line naming the fix', () => {
  it.each([
    [() => checkFlag('policy-rules', [100, 'lots'], '--policy-rules'), /^--policy-rules item "lots" must be a whole number from 0 to 16,000/],
    [() => checkFlag('policy-rules', [20000], '--policy-rules'), /from 0 to 16,000/],
    [() => checkFlag('policy-impl', ['pf'], '--policy-impl'), /item "pf" must be one of iptables-legacy, iptables-nft, nft, nft-set, ipset, ebpf/],
    [() => checkFlag('proxy', ['ipvs'], '--proxy'), /item "ipvs" must be one of iptables-legacy, iptables-nft, nftables, ebpf-tc, ebpf-socket/],
    [() => checkTreatmentConfig({ services: [10] }), /--services needs --proxy/],
    [() => checkTreatmentConfig({ policyImpl: ['nft'] }), /--policy-impl needs --policy-rules/],
    [() => checkTreatmentConfig({ policyRules: [10], policyImpl: ['nft'], services: [1], proxy: ['nftables'] }), /policy and Service variants are measured in separate runs/],
  ])('%#', (fn, message) => {
    const line = oneLine(fn)
    expect(line).toMatch(message)
    expect(line.split('\n')).toHaveLength(1)
  })
  it('points at the config line', () => {
    expect(() => parseConfig('services: [1, -5]\n', 'svc.yaml')).toThrow(/^svc.yaml:1:11: "services" item -5 must be a whole number from 0 to 30,000/)
    expect(parseConfig('policy-rules: [0, 100]\npolicy-impl: [nft-set]\npolicy-established-first: true\nservices: [1]\nproxy: [ebpf-tc]\n')).toEqual({
      policyRules: [0, 100], policyImpl: ['nft-set'], policyEstablishedFirst: true, services: [1], proxy: ['ebpf-tc'],
    })
  })
})

describe('planning treated labs', () => {
  const inputs = { unavailableReason: () => undefined, engineFor: (_test: string, wanted?: string) => engines[(wanted ?? 'cnb-perf') as keyof typeof engines] }
  it('treats the datapaths asked for (not the added baseline), inter-node only', () => {
    const plan = planRun(mergeConfig({ datapaths: ['calico-bgp'], tests: ['TCP_RR'], placements: ['inter-node', 'intra-node'], policyRules: [0, 10], policyImpl: ['nft', 'ebpf'] }), inputs)
    const treated = plan.cells.filter((c) => isTreated(c.variant))
    expect(treated.map((c) => c.key).sort()).toEqual(['calico-bgp[policy=ebpf:10]/TCP_RR/1024/1/inter-node', 'calico-bgp[policy=nft:10]/TCP_RR/1024/1/inter-node'])
    expect(plan.cells.some((c) => c.datapath === 'host' && isTreated(c.variant))).toBe(false)
    expect(plan.notes.join(' ')).toMatch(/inter-node only/)
  })
  it('measures every cell of a Services run with the stateless engine, and refuses streams and other engines', () => {
    const plan = planRun(mergeConfig({ datapaths: ['calico-bgp'], tests: ['TCP_CRR'], services: [1, 10], proxy: ['nftables'] }), inputs)
    expect(new Set(plan.cells.map((c) => c.engine))).toEqual(new Set(['cnb-perf-direct']))
    expect(() => planRun(mergeConfig({ datapaths: ['calico-bgp'], tests: ['TCP_STREAM'], services: [1], proxy: ['nftables'] }), inputs)).toThrow(/Services variants measure TCP_RR and TCP_CRR, not TCP_STREAM/)
    expect(() => planRun(mergeConfig({ datapaths: ['calico-bgp'], tests: ['TCP_RR'], engines: { TCP_RR: 'sockperf' }, services: [1], proxy: ['nftables'] }), inputs)).toThrow(/sockperf cannot stand behind a Service/)
  })
  it('refuses a proxy that cannot serve the datapath, in one line', () => {
    const config = mergeConfig({ datapaths: ['macvlan'], tests: ['TCP_CRR'], services: [1], proxy: ['iptables-legacy'] })
    const withProblem = { ...inputs, treatmentProblem: () => "macvlan's pod packets do not cross the node's netfilter hooks" }
    expect(() => planRun(config, withProblem)).toThrow(/macvlan\[services=iptables-legacy:1\] cannot run here: macvlan's pod packets/)
  })
})

describe('rule layouts', () => {
  const target = { netns: 'cnb-x.node2', hook: 'forward' as const, podIp: '10.244.2.2', podNetns: 'cnb-x.pod2', podDevice: 'eth0' }
  it('writes N linear iptables rules on the forward path with the header matching, ESTABLISHED first on request', () => {
    const text = iptablesPolicyText(target, { count: 3, establishedFirst: true })
    expect(text.split('\n')).toEqual([
      '*filter',
      ':FORWARD ACCEPT [0:0]',
      '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A FORWARD -d 10.244.2.2/32 -p tcp -m tcp --dport 1024 -j DROP',
      '-A FORWARD -d 10.244.2.2/32 -p tcp -m tcp --dport 1025 -j DROP',
      '-A FORWARD -d 10.244.2.2/32 -p tcp -m tcp --dport 1026 -j DROP',
      '-A FORWARD -j ACCEPT',
      'COMMIT',
      '',
    ])
    expect(iptablesPolicyText({ ...target, hook: 'input' }, { count: 1, establishedFirst: false })).toMatch(/^-A INPUT -d/m)
  })
  it('keeps listed ports below every port a sample uses', () => {
    expect(listedPort(MAX_POLICY_RULES - 1)).toBeLessThan(Math.min(SERVICE_PORT, UNLISTED_PORT))
  })
  it('writes an nft base chain on the target hook', () => {
    const text = nftPolicyTable(target, { count: 0, establishedFirst: false }, ['ip daddr 10.244.2.2 tcp dport 1024 drop'])
    expect(text).toContain('type filter hook forward priority filter; policy accept;')
    expect(text.indexOf('tcp dport 1024 drop')).toBeLessThan(text.indexOf('    accept'))
  })
  const services = serviceTable(3, ['10.244.2.2', '10.244.2.3'], SERVICE_PORT)
  it('puts the measured Service last, with the two server pods as endpoints', () => {
    expect(services.at(-1)).toEqual({ name: 'svc-2', ip: '10.96.0.12', port: SERVICE_PORT, endpoints: [{ ip: '10.244.2.2', port: SERVICE_PORT }, { ip: '10.244.2.3', port: SERVICE_PORT }] })
    expect(services[0]?.endpoints.map((e) => e.ip)).toEqual(['10.240.0.0', '10.240.0.1'])
  })
  it("lays Services out as kube-proxy's iptables mode: KUBE-SERVICES in order, statistic 1/2, DNAT per endpoint", () => {
    const text = kubeProxyIptablesText({ nodeNetns: 'n', hook: 'prerouting', clientNetns: 'c', clientDevice: 'eth0', lab: 'l' }, services)
    const lines = text.split('\n')
    const serviceRules = lines.filter((l) => l.startsWith('-A KUBE-SERVICES'))
    expect(serviceRules).toHaveLength(3)
    expect(serviceRules[2]).toMatch(new RegExp(`-d 10.96.0.12/32 -p tcp .* --dport ${SERVICE_PORT} -j KUBE-SVC-2$`))
    expect(lines).toContain('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
    expect(lines.filter((l) => l.startsWith('-A KUBE-SVC-2'))[0]).toMatch(/--probability 0.50000000000 -j KUBE-SEP-2-0$/)
    expect(lines).toContain(`-A KUBE-SEP-2-1 -p tcp -m comment --comment "default/svc-2:http" -m tcp -j DNAT --to-destination 10.244.2.3:${SERVICE_PORT}`)
  })
  it("lays Services out as kube-proxy's nftables mode: a verdict map, numgen per Service, declared before use", () => {
    const text = kubeProxyNftablesText({ nodeNetns: 'n', hook: 'output', clientNetns: 'c', clientDevice: 'eth0', lab: 'l' }, services)
    expect(text).toContain(`10.96.0.12 . tcp . ${SERVICE_PORT} : goto service-2`)
    expect(text).toContain('numgen random mod 2 vmap { 0 : goto endpoint-2-0, 1 : goto endpoint-2-1 }')
    expect(text).toContain('type nat hook output priority -100; policy accept;')
    expect(text.indexOf('chain endpoint-2-0')).toBeLessThan(text.indexOf('map service-ips'))
    expect(text.indexOf('map service-ips')).toBeLessThan(text.indexOf('chain services'))
  })
  it('encodes a Service for the eBPF maps as struct service', () => {
    const value = encodeService(services.at(-1) as (typeof services)[number])
    expect(value).toHaveLength(36)
    expect(value.readUInt32LE(0)).toBe(2)
    expect([...value.subarray(4, 10)]).toEqual([10, 244, 2, 2, SERVICE_PORT >> 8, SERVICE_PORT & 0xff])
  })
})

describe('crossings', () => {
  const line = (implementation: string, points: [number, number, number][]): CurveLine => ({
    implementation,
    points: points.map(([n, lo, hi]) => ({ n, value: (lo + hi) / 2, ci95: [lo, hi], overhead: undefined, samples: 5 })),
  })
  it('says where a better line stops being better (higher is better)', () => {
    const a = line('iptables-legacy', [[0, 9, 10], [100, 9, 10], [1000, 8, 9.5], [10000, 1, 2]])
    const b = line('nft-set', [[0, 9, 10], [100, 9, 10], [1000, 9, 10], [10000, 9, 10]])
    expect(crossingsOf([a, b], 'higher')).toEqual([{ a: 'iptables-legacy', b: 'nft-set', kind: 'separate', better: 'nft-set', at: 10000 }])
  })
  it('finds a crossing only where the order is clear on both sides', () => {
    const a = line('a', [[1, 10, 11], [100, 12, 13], [1000, 20, 21]])
    const b = line('b', [[1, 14, 15], [100, 12.5, 13.5], [1000, 15, 16]])
    expect(crossingsOf([a, b], 'lower')).toEqual([{ a: 'a', b: 'b', kind: 'cross', better: 'b', between: [1, 1000] }])
    expect(crossingsOf([a, line('c', [[1, 10, 11], [100, 12, 13], [1000, 20, 21]])], 'lower')[0]?.kind).toBe('same')
  })
  it.each([
    [[1, 0, 0], { kind: 'converge', better: 'a', until: 1 }],
    [[-1, 1, 0], { kind: 'converge', better: 'a', until: 100 }],
    [[1, 0, 1], { kind: 'separate', better: 'a', at: 1000 }],
    [[0, 1, 1], { kind: 'separate', better: 'a', at: 100 }],
    [[-1, 0, 1], { kind: 'cross', better: 'a', between: [1, 1000] }],
    [[1, -1, -1], { kind: 'cross', better: 'b', between: [1, 100] }],
  ])('claims an order only where it holds to the largest N: %j', (signs, expected) => {
    expect(crossingOf('a', 'b', [1, 100, 1000], signs)).toEqual({ a: 'a', b: 'b', ...expected })
  })
})
