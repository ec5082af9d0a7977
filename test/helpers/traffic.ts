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

/**
 * Count the packets matching a tcpdump `filter` on `device` while `during` runs (at most `max`, so the capture ends
 * by itself under load). The proof that, for example, protocol 4 really went over the underlay.
 */
export async function capture(netns: string, device: string, filter: string, pidDir: string, during: () => Promise<unknown>, max = 20): Promise<string[]> {
  const tcpdump = await startProcess({
    argv: inNetns(netns, ['tcpdump', '-l', '-nn', '-c', String(max), '-i', device, filter]),
    label: `test-tcpdump-${device}`,
    pidDir,
    capture: true,
  })
  try {
    const deadline = Date.now() + 5000
    while (!/listening on/.test(tcpdump.output()) && Date.now() < deadline) await sleep(20)
    await during()
    await Promise.race([tcpdump.exited, sleep(3000)])
  } finally {
    await tcpdump.stop()
  }
  return tcpdump.output().split('\n').filter((l) => /^\d\d:\d\d:\d\d/.test(l))
}
