/**
 * The engine servers of a sample's server pod. Most engines get a fresh server per sample, started just before the
 * client and stopped after. A long-lived engine (cnb-perf) gets one server per lab and server pod, started on the
 * first sample that needs it and kept until the run ends; its sessions pin themselves, so the server is not pinned.
 * Every server has a pid file in the lab's directory, so lab removal stops it whatever happens.
 */
import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Engine } from '../engines/engine.js'
import { CnibenchError } from '../errors.js'
import { inNetns } from '../exec/netns.js'
import { startProcess, type ManagedProcess } from '../exec/processes.js'
import type { PodPlan } from '../lab/topology.js'
import type { TestSpec } from './tests.js'

/** Port of a long-lived server, below the range per-sample servers rotate through. */
export const LONG_LIVED_PORT = 19_999

export interface ServerRequest {
  engine: Engine
  spec: TestSpec
  server: PodPlan
  pidDir: string
  /** argv → argv with the sample's pinning (taskset) applied. */
  pin(argv: string[]): string[]
}

/** Long-lived servers of one run, by engine and server pod. */
export class ServerPool {
  private readonly running = new Map<string, ManagedProcess>()

  /** The port of `engine`'s long-lived server in `server`'s pod, starting it (or restarting a dead one) if needed. */
  async ensure(request: Omit<ServerRequest, 'pin'>): Promise<number> {
    const { engine, server } = request
    const key = `${engine.name}@${server.netns}/${server.ip}`
    const existing = this.running.get(key)
    if (existing && (await isRunning(existing))) return LONG_LIVED_PORT
    const argv = engine.server(request.spec, { serverIp: server.ip, port: LONG_LIVED_PORT }) as string[]
    const process = await startProcess({ argv: inNetns(server.netns, argv), label: `${engine.name}-server-${server.name}`, pidDir: request.pidDir, capture: true })
    try {
      await waitListening(process, LONG_LIVED_PORT, engine.listensOn(request.spec.kind))
    } catch (error) {
      await process.stop()
      throw error
    }
    this.running.set(key, process)
    return LONG_LIVED_PORT
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((p) => p.stop()))
    this.running.clear()
  }
}

async function isRunning(process: ManagedProcess): Promise<boolean> {
  return Promise.race([process.exited.then(() => false), sleep(0).then(() => true)])
}

/** Per-sample servers, one per port; stopped by the caller after the sample. */
export async function startServers(request: ServerRequest, ports: number[]): Promise<ManagedProcess[]> {
  const servers: ManagedProcess[] = []
  try {
    for (const port of ports) {
      const argv = request.engine.server(request.spec, { serverIp: request.server.ip, port })
      if (!argv) continue
      const server = await startProcess({
        argv: inNetns(request.server.netns, request.pin(argv)),
        label: `${request.engine.name}-server-${port}`,
        pidDir: request.pidDir,
        capture: true,
      })
      servers.push(server)
      await waitListening(server, port, request.engine.listensOn(request.spec.kind))
    }
    return servers
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()))
    throw error
  }
}

/**
 * Wait until `server` has a socket on `port`, read from /proc/PID/net/{tcp,udp}: that file shows the sockets of the
 * namespace the process is in, so it is exact and needs no tool. (Before `ip netns exec` has switched namespace the
 * file shows the host's, where the port is simply not found yet.)
 */
export async function waitListening(server: ManagedProcess, port: number, protocol: 'tcp' | 'udp', timeoutMs = 10_000): Promise<void> {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`
  const wanted = protocol === 'tcp' ? '0A' : '07' // TCP_LISTEN, TCP_CLOSE (an unconnected UDP socket)
  const deadline = Date.now() + timeoutMs
  let exited: number | undefined
  void server.exited.then((code) => (exited = code))
  while (Date.now() < deadline) {
    const table = await readFile(`/proc/${server.pid}/net/${protocol}`, 'utf8').catch(() => '')
    if (table.split('\n').some((l) => { const f = l.trim().split(/\s+/); return f[1]?.endsWith(hexPort) && f[3] === wanted })) return
    if (exited !== undefined) break
    await sleep(5)
  }
  throw new CnibenchError('E_RUN', `${server.label} did not start listening on port ${port}${exited === undefined ? '' : ` (exited ${exited})`}: ${server.output().trim().split('\n').slice(-2).join(' | ')}`)
}

