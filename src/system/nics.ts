/**
 * The network devices a result depends on, read only: the offloads a lab's underlay device (a veth) offers here, and
 * the host's own NICs with the NIC profile (lab/offloads.ts) each resembles. A VM's virtio-net usually has TSO and GRO
 * but no tunnel segmentation, which is `no-tunnel-offload`: the lab's default `full` then flatters VXLAN and IP-in-IP
 * compared with what pods on this very host would see. Nothing here changes a device.
 */
import { readdir, readlink } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { deviceOffloads, missingOffloads, nicProfiles, type OffloadState } from '../lab/offloads.js'

export interface HostNic {
  device: string
  driver: string
  offloads: OffloadState
  /** The profile whose settings this NIC's offloads match best. */
  resembles: string
}

/** Devices with a bus device behind them (PCI, virtio): the host's NICs, not bridges, veths or tunnels. */
export async function hostNics(): Promise<HostNic[]> {
  const names = await readdir('/sys/class/net').catch(() => [] as string[])
  const nics: HostNic[] = []
  for (const device of names) {
    const driver = await readlink(join('/sys/class/net', device, 'device', 'driver')).catch(() => '')
    if (!driver) continue
    const offloads = await deviceOffloads(undefined, device, true).catch(() => ({}))
    nics.push({ device, driver: basename(driver), offloads, resembles: resemblingProfile(offloads) })
  }
  return nics
}

const TUNNEL = ['tx-udp_tnl-segmentation', 'tx-udp_tnl-csum-segmentation', 'tx-ipxip4-segmentation']

/** none without TSO; no-tunnel-offload without tunnel segmentation; otherwise full. */
export function resemblingProfile(state: OffloadState): keyof typeof nicProfiles {
  if (state['tcp-segmentation-offload'] === false || state['tx-checksumming'] === false) return 'none'
  if (TUNNEL.some((f) => state[f] === false)) return 'no-tunnel-offload'
  return 'full'
}

/** One line per NIC for doctor: driver, the profile it resembles, and the segmentation offloads it lacks that veth has. */
export function describeNic(nic: HostNic, veth: OffloadState): string {
  const lacks = missingOffloads(nic.offloads, veth).filter((f) => f.includes('segmentation'))
  return `${nic.device} (${nic.driver}): resembles --nic-offloads ${nic.resembles}${lacks.length > 0 ? `; lacks ${lacks.join(', ')}` : ''}`
}
