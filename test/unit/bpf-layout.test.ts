/**
 * The map layouts TypeScript writes must be the ones the BPF C declares: read the structs' sizes and member offsets
 * from the objects' BTF (bpftool reads a file without privileges) and compare with what the encoders produce.
 */
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { runJson } from '../../src/exec/run.js'
import { addrPortKey, ipBytes, lpmKey } from '../../src/lab/bpf.js'
import { encodeCiliumConfig, encodeEndpoint } from '../../src/lab/cilium.js'
import { encodeService } from '../../src/lab/services/bpf-maps.js'
import { bpfObjectPath } from '../../src/system/paths.js'

interface BtfStruct {
  kind: string
  name: string
  size: number
  members: { name: string; bits_offset: number }[]
}

async function structs(object: string): Promise<Map<string, BtfStruct>> {
  const btf = await runJson<{ types: BtfStruct[] }>(['bpftool', '-j', 'btf', 'dump', 'file', bpfObjectPath(object)])
  return new Map(btf.types.filter((t) => t.kind === 'STRUCT').map((t) => [t.name, t]))
}

const offsets = (s: BtfStruct | undefined) => Object.fromEntries((s?.members ?? []).map((m) => [m.name, m.bits_offset / 8]))

describe.skipIf(!existsSync(bpfObjectPath('cilium')))('BPF map layouts match their TypeScript encoders', () => {
  it('cilium.o: struct endpoint and struct cilium_config', async () => {
    const types = await structs('cilium')
    const endpoint = encodeEndpoint({ ifindex: 7, podMac: '0e:cb:02:00:01:02', hostMac: '0e:cb:02:00:01:01' })
    expect(types.get('endpoint')?.size).toBe(endpoint.length)
    expect(offsets(types.get('endpoint'))).toEqual({ ifindex: 0, pod_mac: 4, host_mac: 10 })
    expect(endpoint.readUInt32LE(0)).toBe(7)
    expect([...endpoint.subarray(4, 10)]).toEqual([0x0e, 0xcb, 2, 0, 1, 2])
    const config = encodeCiliumConfig({ tunnel: true, underlayIfindex: 2, vxlanIfindex: 5, vni: 2 })
    expect(types.get('cilium_config')?.size).toBe(config.length)
    expect(offsets(types.get('cilium_config'))).toEqual({ tunnel: 0, underlay_ifindex: 4, vxlan_ifindex: 8, vni: 12 })
  })
  it('lb.o and sock_lb.o: struct addr_port and struct service, as the Service table is encoded', async () => {
    const svc = { name: 's', ip: '10.96.0.10', port: 18080, endpoints: [{ ip: '10.244.2.2', port: 18080 }, { ip: '10.244.2.3', port: 18080 }] }
    for (const object of ['lb', 'sock_lb', 'policy']) {
      const types = await structs(object)
      expect(types.get('addr_port')?.size, object).toBe(addrPortKey('10.96.0.10', 80).length)
      expect(offsets(types.get('addr_port'))).toEqual({ addr: 0, port: 4, pad: 6 })
      if (object !== 'policy') {
        expect(types.get('service')?.size, object).toBe(encodeService(svc).length)
        expect(offsets(types.get('service'))).toEqual({ count: 0, backends: 4 })
      }
    }
    expect([...addrPortKey('10.96.0.10', 80)]).toEqual([10, 96, 0, 10, 0, 80, 0, 0])
  })
  it('lpm_v4_key and addresses in network byte order', async () => {
    const types = await structs('ipip')
    expect(types.get('lpm_v4_key')?.size).toBe(lpmKey('10.244.2.0/24').length)
    expect([...lpmKey('10.244.2.0/24')]).toEqual([24, 0, 0, 0, 10, 244, 2, 0])
    expect([...ipBytes('192.168.250.2')]).toEqual([192, 168, 250, 2])
  })
})
