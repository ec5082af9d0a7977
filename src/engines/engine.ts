/**
 * The contract every traffic engine fulfils. An engine builds argv and parses output; it never runs anything itself
 * (k8s-netperf's driver shape, with `run` turned into data): the runner executes the argv inside a lab namespace, or
 * later inside a Kubernetes pod, and hands the output back. Adding an engine = one file here + one registry line.
 */
import { CnibenchError } from '../errors.js'
import type { LatencyHistogram } from '../analysis/histogram.js'
import type { MetricName } from '../measure/metrics.js'
import type { TestKind, TestSpec } from '../measure/tests.js'

export interface Endpoint {
  serverIp: string
  port: number
}

export interface ClientOutput {
  stdout: string
  stderr: string
  code: number
  /** Contents of the files the engine asked to collect (e.g. sockperf's --full-log), by the path it gave. */
  files: Record<string, string>
}

export interface EngineResult {
  metrics: Partial<Record<MetricName, number>>
  /** Per-transaction latency, for pooling percentiles across samples; absent for stream tests. */
  histogram?: LatencyHistogram
  /** Seconds the figures cover (after warm-up). */
  measuredS: number
}

export interface ClientCommand {
  argv: string[]
  /** Files the client writes that `parse` needs. */
  files?: string[]
}

export interface Engine {
  name: string
  /** What to probe for availability and version: a tool on PATH or a file cnibench builds. */
  requires: { tool: string } | { builtFile: string }
  /** Preference for a test, 0 best; undefined when the engine cannot run it. */
  rank(test: TestKind): number | undefined
  /** True when one client drives `parallel` flows itself (iperf3 -P); otherwise the runner starts N pairs. */
  nativeParallel: boolean
  /**
   * True when one server serves many samples (cnb-perf): the runner starts it once per lab and server pod, and every
   * sample's clients (all flows) connect to its one port. Otherwise a server is started and stopped per sample.
   */
  longLived?: boolean
  /**
   * True when the server needs no control channel and serves every connection on one fixed port, each standing alone
   * (cnb-perf-direct): what a server behind a load balancer must do. The runner then starts one server per backend
   * (both endpoints of a Service) on the Service's port, per sample, and aims the clients at the Service's address.
   */
  stateless?: boolean
  /** What the engine says about warm-up, shown in docs and stored per cell. */
  warmup: string
  server(spec: TestSpec, at: Endpoint): string[] | undefined
  /** The socket the server opens first, which tells the runner it is ready (iperf3's control channel is TCP). */
  listensOn(test: TestKind): 'tcp' | 'udp'
  client(spec: TestSpec, at: Endpoint, workDir: string): ClientCommand
  /** Pure. Throws a CnibenchError (E_PARSE) for a failed run or unreadable output; never returns zeros for a failure. */
  parse(out: ClientOutput, spec: TestSpec): EngineResult
}

export function engineError(engine: string, message: string, out: ClientOutput): CnibenchError {
  const excerpt = (out.stderr || out.stdout).trim().split('\n').slice(-3).join(' | ').slice(0, 300)
  return new CnibenchError('E_PARSE', `${engine}: ${message}${excerpt ? ` (${excerpt})` : ''}`)
}

/** The engine's JSON output, or an engine error (with the tail of its output) when it printed none. */
export function parseJsonOutput<T>(engine: string, out: ClientOutput): T {
  try {
    return JSON.parse(out.stdout) as T
  } catch {
    throw engineError(engine, `printed no JSON (exit ${out.code})`, out)
  }
}
