/** Real TCP traffic between two lab namespaces with iperf3, and the device counters that show where it went. */
import { setTimeout as sleep } from 'node:timers/promises'
import { inNetns, ipJson, type IpLink } from '../../src/exec/netns.js'
import { startProcess } from '../../src/exec/processes.js'
import { run } from '../../src/exec/run.js'

/** Send TCP from `clientNetns` to `serverIp` (served in `serverNetns`) for `seconds`; returns bytes received. */
export async function iperfTcp(clientNetns: string, serverNetns: string, serverIp: string, pidDir: string, seconds = 1): Promise<number> {
  const server = await startProcess({ argv: inNetns(serverNetns, ['iperf3', '-s', '-1', '-p', '5299']), label: 'test-iperf3-server', pidDir })
  try {
    for (let attempt = 0; ; attempt++) {
      const client = await run(inNetns(clientNetns, ['iperf3', '-c', serverIp, '-p', '5299', '-t', String(seconds), '-J']), {
        allowFailure: true,
      })
      const report = JSON.parse(client.stdout || '{}') as { error?: string; end?: { sum_received?: { bytes: number } } }
      if (client.code === 0 && report.end?.sum_received) return report.end.sum_received.bytes
      if (attempt > 40 || !/refused/i.test(report.error ?? '')) throw new Error(`iperf3 failed: ${report.error ?? client.stderr}`)
      await sleep(50) // the server is not listening yet
    }
  } finally {
    await server.stop()
  }
}

export interface Counters {
  rx: number
  tx: number
}

/** Byte counters of every device in a namespace, by name. */
export async function counters(netns: string): Promise<Map<string, Counters & { kind: string }>> {
  const links = await ipJson<IpLink[]>(netns, ['-details', '-statistics', 'link', 'show'])
  return new Map(
    links.map((l) => [l.ifname, { rx: l.stats64?.rx.bytes ?? 0, tx: l.stats64?.tx.bytes ?? 0, kind: l.linkinfo?.info_kind ?? '' }]),
  )
}

export function delta(before: Map<string, Counters>, after: Map<string, Counters>, device: string): Counters {
  const a = after.get(device)
  const b = before.get(device)
  if (!a || !b) throw new Error(`device ${device} not found`)
  return { rx: a.rx - b.rx, tx: a.tx - b.tx }
}
