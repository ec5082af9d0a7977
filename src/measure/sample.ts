/**
 * One sample of one cell: make sure the engine's server listens in the server workload (a fresh one, or the run's
 * long-lived one), run the reference probe, read the node's CPU counters and every process's CPU time, run the
 * client(s) in the client workload, read both again, probe again, stop per-sample servers, parse. Where the workloads
 * live (lab namespaces, cluster pods) is the workload's business (workload.ts); this file only orders the steps.
 */
import { mergeHistograms, histogramMean, histogramQuantile, serializeHistogram } from '../analysis/histogram.js'
import { median } from '../analysis/stats.js'
import type { ClientOutput, Engine, EngineResult } from '../engines/engine.js'
import { interruptedError } from '../exec/run.js'
import type { SampleConditions, SampleInput } from '../store/db.js'
import { cpuBetween, loadAverage1m } from './cpu.js'
import { otherActivities } from './lock.js'
import { parseProbe, PROBE_PATH, type ProbeReading } from './probe.js'
import { SERVICE_PORT, startServers, type ServerPool } from './servers.js'
import { rateMetrics } from './metrics.js'
import type { ForeignLoadMeter } from './testbed.js'
import { isStream, type TestSpec } from './tests.js'
import type { CpuChoice, Workload } from './workload.js'

export interface SampleContext {
  engine: Engine
  spec: TestSpec
  client: Workload
  /** The server the client aims at: its `ip` is a Service's ClusterIP when the server stands behind one. */
  server: Workload
  /** Where a stateless engine's servers run: a Service's endpoints (default: the server workload alone). */
  backends?: readonly Workload[]
  /** First port of this sample; flows use consecutive ports. */
  port: number
  /** The CPU client, per-sample servers and the probe run on: one CPU (pinned) or every CPU. */
  cpu: CpuChoice
  iteration: number
  /** CPU other programs used during the sample; absent where it cannot be read. */
  foreign?: ForeignLoadMeter
  /** Run the reference probe (tools/cnb-probe.c) before and after the sample; off where it was not built. */
  probe: boolean
  /** Long-lived engine servers of the run (cnb-perf), kept across samples. */
  servers: ServerPool
  /** An interrupt: nothing more starts, the client in flight is killed, and the sample fails as interrupted. */
  signal?: AbortSignal
}

export async function measureSample(ctx: SampleContext): Promise<SampleInput> {
  const { engine, spec } = ctx
  const flows = engine.nativeParallel ? 1 : spec.parallel
  const startedAt = new Date().toISOString()
  const request = { engine, spec, server: ctx.server, cpu: ctx.cpu, ...(ctx.signal ? { signal: ctx.signal } : {}) }
  // A long-lived server takes every flow on its one port; a stateless one (one per backend) every flow on the
  // Service's port; otherwise each flow gets its own server and port.
  const sharedPort = engine.longLived ? await ctx.servers.ensure(request) : engine.stateless ? SERVICE_PORT : undefined
  const ports = Array.from({ length: flows }, (_, i) => sharedPort ?? ctx.port + i)
  const servers = engine.longLived ? [] : await startServers(request, [...new Set(ports)], ctx.backends)
  try {
    const probeBefore = await runProbe(ctx)
    const load = await loadAverage1m()
    const processesBefore = await ctx.foreign?.snapshot()
    const before = await ctx.client.readCpu()
    // On a cluster the server's node is another machine: its CPU is read too (a lab's pods all share this host's).
    const serverBefore = ctx.server.node !== ctx.client.node ? await ctx.server.readCpu() : undefined
    const t0 = performance.now()
    const commands = ports.map((port) => engine.client(spec, { serverIp: ctx.server.ip, port }, ctx.client.workDir))
    const outputs = await Promise.all(commands.map((c) => runClient(ctx, c.argv, c.files ?? [])))
    const elapsedS = (performance.now() - t0) / 1000
    const cpu = cpuBetween(before, await ctx.client.readCpu())
    const serverCpu = serverBefore ? cpuBetween(serverBefore, await ctx.server.readCpu()) : undefined
    const foreign = ctx.foreign ? ctx.foreign.between(processesBefore, await ctx.foreign.snapshot()) : undefined
    const probeAfter = await runProbe(ctx)
    const conditions: SampleConditions = {
      ...(foreign ? { foreignCpu: { cores: foreign.cores, top: foreign.top } } : {}),
      concurrent: (await otherActivities()).map((a) => `${a.what} (pid ${a.pid})`),
      ...(probeBefore && probeAfter ? { probe: { before: probeBefore, after: probeAfter } } : {}),
    }
    const argv = ctx.client.commandLine(commands[0]?.argv ?? [], ctx.cpu)
    const raw = { argv, stdout: outputs.map((o) => o.stdout).join('\n'), stderr: outputs.map((o) => o.stderr).join('\n'), exitCode: Math.max(...outputs.map((o) => o.code)) }
    const result = combineFlows(outputs.map((o) => engine.parse(o, spec)))
    const metrics: Record<string, number> = { ...result.metrics, load_avg_1m: load, ...(foreign ? { foreign_cpu_cores: foreign.cores } : {}), ...cpuMetrics(cpu, serverCpu, result, spec), ...(serverCpu ? serverCpuMetrics(serverCpu) : {}) }
    return { iteration: ctx.iteration, startedAt, elapsedS, metrics, histogram: result.histogram ? serializeHistogram(result.histogram) : null, error: null, raw, conditions }
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
  }
}

/** The reference probe in the client's workload, on the sample's CPU; undefined when it is not built. */
async function runProbe(ctx: SampleContext): Promise<ProbeReading | undefined> {
  if (!ctx.probe) return undefined
  if (ctx.signal?.aborted) throw interruptedError()
  const result = await ctx.client.run([PROBE_PATH], { cpu: ctx.cpu, timeoutMs: 10_000, ...signalOf(ctx) })
  return parseProbe(result.stdout)
}

async function runClient(ctx: SampleContext, argv: string[], files: string[]): Promise<ClientOutput> {
  if (ctx.signal?.aborted) throw interruptedError()
  const timeoutMs = (ctx.spec.durationS + ctx.spec.warmupS + 30) * 1000
  const result = await ctx.client.run(argv, { cpu: ctx.cpu, allowFailure: true, timeoutMs, ...signalOf(ctx) })
  const contents: Record<string, string> = {}
  // A second of ping-pong logs ~1 MB; the histogram keeps what matters, so the workload removes the file.
  for (const file of files) contents[file] = await ctx.client.collectFile(file)
  return { stdout: result.stdout, stderr: result.stderr, code: result.code, files: contents }
}

const signalOf = (ctx: SampleContext) => (ctx.signal ? { signal: ctx.signal } : {})

/** Several flows of one sample as one result: rates add up, latency histograms merge, the rest take the median. */
export function combineFlows(results: EngineResult[]): EngineResult {
  if (results.length === 1) return results[0] as EngineResult
  const additive = new Set<string>([...rateMetrics, 'retransmits'])
  const names = new Set(results.flatMap((r) => Object.keys(r.metrics)))
  const metrics: Record<string, number> = {}
  for (const name of names) {
    const values = results.map((r) => (r.metrics as Record<string, number>)[name]).filter((v): v is number => v !== undefined)
    metrics[name] = additive.has(name) ? values.reduce((a, b) => a + b, 0) : median(values)
  }
  const histograms = results.flatMap((r) => (r.histogram ? [r.histogram] : []))
  const combined: EngineResult = { metrics, measuredS: median(results.map((r) => r.measuredS)) }
  if (histograms.length === results.length) {
    const merged = mergeHistograms(histograms)
    combined.histogram = merged
    Object.assign(metrics, {
      latency_mean_us: histogramMean(merged) / 1000,
      latency_p50_us: histogramQuantile(merged, 0.5) / 1000,
      latency_p90_us: histogramQuantile(merged, 0.9) / 1000,
      latency_p99_us: histogramQuantile(merged, 0.99) / 1000,
    })
  }
  return combined
}

/** The server node's busy cores by mode, when it is another machine than the client's. */
function serverCpuMetrics(cpu: ReturnType<typeof cpuBetween>): Record<string, number> {
  return { server_cpu_busy_cores: cpu.busyCores, server_cpu_user_cores: cpu.userCores, server_cpu_system_cores: cpu.systemCores, server_cpu_softirq_cores: cpu.softirqCores }
}

/**
 * Busy cores by mode, and the service demand: CPU-s per Gbit (streams) or CPU-µs per transaction, of both ends: when
 * the server's node is another machine (a cluster), its busy cores count too, as one host's counters count both ends
 * of a lab.
 */
function cpuMetrics(cpu: ReturnType<typeof cpuBetween>, serverCpu: ReturnType<typeof cpuBetween> | undefined, result: EngineResult, spec: TestSpec): Record<string, number> {
  const metrics: Record<string, number> = {
    cpu_busy_cores: cpu.busyCores,
    cpu_user_cores: cpu.userCores,
    cpu_system_cores: cpu.systemCores,
    cpu_softirq_cores: cpu.softirqCores,
    cpu_irq_cores: cpu.irqCores,
    cpu_steal_cores: cpu.stealCores,
  }
  const m = result.metrics
  const busy = cpu.busyCores + (serverCpu?.busyCores ?? 0)
  if (isStream(spec.kind) && m.throughput_bps) metrics['cpu_s_per_gbit'] = busy / (m.throughput_bps / 1e9)
  const rate = m.transactions_per_s ?? m.connections_per_s
  if (!isStream(spec.kind) && rate) metrics['cpu_us_per_transaction'] = (busy * 1e6) / rate
  return metrics
}
