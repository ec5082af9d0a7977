/**
 * The engine servers of a sample's server workload. Most engines get a fresh server per sample, started just before
 * the client and stopped after. A long-lived engine (cnb-perf) gets one server per server workload, started on the
 * first sample that needs it and kept until the run ends; its sessions pin themselves, so the server is not pinned.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Engine } from '../engines/engine.js'
import type { TestSpec } from './tests.js'
import type { CpuChoice, Workload, WorkloadProcess } from './workload.js'

/** Port of a long-lived server, below the range per-sample servers rotate through. */
export const LONG_LIVED_PORT = 19_999
/**
 * Port of a stateless engine's servers (one per backend) and of the Service in front of them: fixed, as a Service's
 * port is, and below the ports other servers use, so policy rules and Services never catch another sample's traffic.
 */
export const SERVICE_PORT = 18_080

export interface ServerRequest {
  engine: Engine
  spec: TestSpec
  server: Workload
  /** The sample's CPU (per-sample servers run where the client does). */
  cpu: CpuChoice
  signal?: AbortSignal
}

/** Long-lived servers of one run, by engine and server workload. */
export class ServerPool {
  private readonly running = new Map<string, WorkloadProcess>()

  /** The port of `engine`'s long-lived server in `server`'s workload, starting it (or restarting a dead one) if needed. */
  async ensure(request: Omit<ServerRequest, 'cpu'>): Promise<number> {
    const { engine, server } = request
    const key = `${engine.name}@${server.key}`
    const existing = this.running.get(key)
    if (existing && (await isRunning(existing))) return LONG_LIVED_PORT
    const argv = engine.server(request.spec, { serverIp: server.bindIp, port: LONG_LIVED_PORT }) as string[]
    const process = await server.start(argv, { cpu: 'inherit', label: `${engine.name}-server-${server.name}`, ...(request.signal ? { signal: request.signal } : {}) })
    try {
      await server.waitListening(process, LONG_LIVED_PORT, engine.listensOn(request.spec.kind))
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

async function isRunning(process: WorkloadProcess): Promise<boolean> {
  if (process.alive) return process.alive()
  return Promise.race([process.exited.then(() => false), sleep(0).then(() => true)])
}

/**
 * Per-sample servers, one per port in each of `backends` (the server workload alone, or a Service's endpoints);
 * stopped by the caller after the sample.
 */
export async function startServers(request: ServerRequest, ports: number[], backends: readonly Workload[] = [request.server]): Promise<WorkloadProcess[]> {
  const servers: WorkloadProcess[] = []
  try {
    for (const backend of backends)
      for (const port of ports) {
        const argv = request.engine.server(request.spec, { serverIp: backend.bindIp, port })
        if (!argv) continue
        const server = await backend.start(argv, { cpu: request.cpu, label: `${request.engine.name}-server-${backend.name}-${port}`, ...(request.signal ? { signal: request.signal } : {}) })
        servers.push(server)
        await backend.waitListening(server, port, request.engine.listensOn(request.spec.kind))
      }
    return servers
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()))
    throw error
  }
}
