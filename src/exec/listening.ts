/**
 * Whether a socket is ready for a client, read from /proc/PID/net/{tcp,udp}: that file shows the sockets of the
 * namespace the process is in, so it is exact and needs no tool. (Before `ip netns exec` has switched namespace it
 * shows the host's, where the port is simply not found yet.)
 */
import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { CnibenchError } from '../errors.js'
import type { ManagedProcess } from './processes.js'

/** Whether a /proc/net/{tcp,udp} table has a socket on `port` ready for a client: listening (TCP) or bound (UDP). */
export function listens(table: string, port: number, protocol: 'tcp' | 'udp'): boolean {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`
  const wanted = protocol === 'tcp' ? '0A' : '07' // TCP_LISTEN, TCP_CLOSE (an unconnected UDP socket)
  return table.split('\n').some((line) => {
    const fields = line.trim().split(/\s+/)
    return fields[1]?.endsWith(hexPort) === true && fields[3] === wanted
  })
}

/** Wait until `process` listens on `port` (or is bound, for UDP); a one-line error with its last output otherwise. */
export async function waitUntilListening(process: Pick<ManagedProcess, 'pid' | 'label' | 'exited' | 'output'>, port: number, protocol: 'tcp' | 'udp', timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let exited: number | undefined
  void process.exited.then((code) => (exited = code))
  while (Date.now() < deadline) {
    const table = await readFile(`/proc/${process.pid}/net/${protocol}`, 'utf8').catch(() => '')
    if (listens(table, port, protocol)) return
    if (exited !== undefined) break
    await sleep(5)
  }
  throw new CnibenchError('E_RUN', `${process.label} did not start listening on port ${port}${exited === undefined ? '' : ` (exited ${exited})`}: ${process.output().trim().split('\n').slice(-2).join(' | ')}`)
}
