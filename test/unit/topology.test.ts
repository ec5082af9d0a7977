import { describe, expect, it } from 'vitest'
import { CnibenchError } from '../../src/errors.js'
import { addressIn, formatIp, overlaps, parseCidr, parseIp, subnet } from '../../src/lab/ipv4.js'
import { planLab, type LabRequest } from '../../src/lab/topology.js'
import { getDatapath } from '../../src/lab/datapaths/index.js'

const request: LabRequest = { name: 'lab1', nodes: 3, podsPerNode: 2, underlayCidr: '192.168.250.0/24', podCidr: '10.244.0.0/16', underlayMtu: 1500 }

describe('ipv4', () => {
  it('parses and formats', () => {
    expect(formatIp(parseIp('10.244.1.2'))).toBe('10.244.1.2')
    expect(formatIp(parseIp('255.255.255.255'))).toBe('255.255.255.255')
    expect(() => parseIp('10.0.0.256')).toThrow(CnibenchError)
    expect(() => parseCidr('10.244.1.0/16')).toThrow(/host bits set/)
  })
  it('carves subnets and detects overlap', () => {
    expect(subnet(parseCidr('10.244.0.0/16'), 24, 3)).toEqual(parseCidr('10.244.3.0/24'))
    expect(() => subnet(parseCidr('10.244.0.0/23'), 24, 2)).toThrow(/only 2/)
    expect(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.244.0.0/16'))).toBe(true)
    expect(overlaps(parseCidr('10.244.0.0/24'), parseCidr('10.244.1.0/24'))).toBe(false)
    expect(addressIn('10.244.1.0/24', 1)).toBe('10.244.1.1')
  })
})

describe('planLab', () => {
  it('names every namespace cnb-<lab>.<role> and numbers pods across nodes', () => {
    const plan = planLab(request, getDatapath('calico-bgp'))
    expect(plan.wireNetns).toBe('cnb-lab1.wire')
    expect(plan.nodes.map((n) => [n.name, n.netns, n.underlayIp, n.podCidr])).toEqual([
      ['node1', 'cnb-lab1.node1', '192.168.250.1', '10.244.1.0/24'],
      ['node2', 'cnb-lab1.node2', '192.168.250.2', '10.244.2.0/24'],
      ['node3', 'cnb-lab1.node3', '192.168.250.3', '10.244.3.0/24'],
    ])
    expect(plan.pods.map((p) => `${p.name}@${p.node}=${p.ip}`)).toEqual([
      'pod1@node1=10.244.1.2', 'pod2@node1=10.244.1.3', 'pod3@node2=10.244.2.2',
      'pod4@node2=10.244.2.3', 'pod5@node3=10.244.3.2', 'pod6@node3=10.244.3.3',
    ])
    expect(plan.underlay.gateway).toBe('192.168.250.254')
  })

  it('puts hostNetwork pods in their node and macvlan pods on the underlay', () => {
    const hostPlan = planLab(request, getDatapath('host'))
    expect(hostPlan.pods[2]).toMatchObject({ node: 'node2', netns: 'cnb-lab1.node2', ip: '192.168.250.2' })
    const macvlanPlan = planLab(request, getDatapath('macvlan'))
    expect(macvlanPlan.pods.map((p) => p.ip)).toEqual(['192.168.250.4', '192.168.250.5', '192.168.250.6', '192.168.250.7', '192.168.250.8', '192.168.250.9'])
  })

  it('sets the pod MTU as each plugin does', () => {
    const mtu = (d: string, underlay = 1500) => planLab({ ...request, underlayMtu: underlay }, getDatapath(d)).podMtu
    expect(mtu('flannel-vxlan')).toBe(1450)
    expect(mtu('calico-vxlan', 9000)).toBe(8950)
    expect(mtu('calico-bgp')).toBe(1500)
    expect(mtu('calico-ipip')).toBe(1440)
  })

  it.each([
    [{ underlayCidr: '10.244.7.0/24' }, /overlaps/],
    [{ nodes: 1 }, /--nodes must be/],
    [{ podsPerNode: 0 }, /--pods-per-node/],
    [{ name: 'UPPER' }, /invalid lab name/],
    [{ name: 'a.b' }, /invalid lab name/],
    [{ podCidr: '10.244.0.0/24' }, /too small/],
    [{ underlayMtu: 100 }, /--mtu/],
  ])('rejects %o', (change, message) => {
    expect(() => planLab({ ...request, ...change }, getDatapath('calico-bgp'))).toThrow(message)
  })
})
