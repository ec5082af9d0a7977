/**
 * Where an engine runs. A sample needs the same few things wherever its pods live: run a command to completion,
 * start a long-running one (a server) and wait until it listens, collect a file the engine wrote, and read the CPU
 * counters of the node. A lab pod does these in a network namespace (workloads/netns.ts), a cluster pod through the
 * Kubernetes exec API (k8s/pod-workload.ts). Measurement code (sample.ts, servers.ts) knows only this interface.
 */
import type { RunResult } from '../exec/run.js'
import type { CpuTimes } from './cpu.js'

/** The CPU a command runs on: one CPU (a pinned sample), every CPU, or whatever it inherits (long-lived servers). */
export type CpuChoice = number | 'all' | 'inherit'

export interface WorkloadRunOptions {
  cpu: CpuChoice
  timeoutMs?: number
  /** Resolve with the result instead of throwing on a non-zero exit code. */
  allowFailure?: boolean
  /** An interrupt: the command is stopped, or not started, and the call fails as interrupted. */
  signal?: AbortSignal
}

export interface WorkloadProcess {
  readonly label: string
  /** Resolves with the exit code once the process ends. */
  readonly exited: Promise<number>
  /** What it printed so far. */
  output(): string
  /** Whether it still runs, where `exited` cannot tell (a process started through an exec that has returned). */
  alive?(): Promise<boolean>
  stop(): Promise<void>
}

export interface Workload {
  /** The pod's name within its testbed (pod1, pod2). */
  readonly name: string
  /** The address a client targets to reach a server here (a Service's ClusterIP, for the pod-to-Service path). */
  readonly ip: string
  /** The address a server here binds to (the pod's own IP). */
  readonly bindIp: string
  /** The machine it runs on: workloads with one `node` share its CPU counters (every lab pod is on this host). */
  readonly node: string
  /** Identity across samples: long-lived servers are kept per engine and `key`. */
  readonly key: string
  /** Where engines write files this workload can collect (sockperf's log). */
  readonly workDir: string
  run(argv: readonly string[], opts: WorkloadRunOptions): Promise<RunResult>
  /** `argv` as it runs here on `cpu` (with its pinning), as stored with a sample for a person to re-run. */
  commandLine(argv: readonly string[], cpu: CpuChoice): string[]
  start(argv: readonly string[], opts: { cpu: CpuChoice; label: string; signal?: AbortSignal }): Promise<WorkloadProcess>
  /** Wait until `process` has a listening socket on `port`; a one-line error (with its last output) otherwise. */
  waitListening(process: WorkloadProcess, port: number, protocol: 'tcp' | 'udp', timeoutMs?: number): Promise<void>
  /** The contents of a file an engine wrote here (removed after reading: logs can be large); '' if absent. */
  collectFile(path: string): Promise<string>
  /** CPU time counters of the node this workload runs on (/proc/stat). */
  readCpu(): Promise<CpuTimes>
}
