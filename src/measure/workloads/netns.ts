/**
 * A workload in a lab pod: commands run in the pod's network namespace (`ip netns exec`), pinned with taskset;
 * servers are started with pid files in the lab's directory, so removing the lab stops them whatever happens; files
 * are local; CPU counters are the host's, which is every node of a lab.
 */
import { availableParallelism } from 'node:os'
import { readFile, rm } from 'node:fs/promises'
import { inNetns } from '../../exec/netns.js'
import { inCgroup } from '../../lab/cgroup.js'
import { startProcess, type ManagedProcess } from '../../exec/processes.js'
import { run, type RunResult } from '../../exec/run.js'
import type { PodPlan } from '../../lab/topology.js'
import { readCpuTimes, type CpuTimes } from '../cpu.js'
import { waitUntilListening } from '../../exec/listening.js'
import type { CpuChoice, Workload, WorkloadProcess, WorkloadRunOptions } from '../workload.js'

export class NetnsWorkload implements Workload {
  readonly name: string
  readonly ip: string
  readonly bindIp: string
  readonly key: string
  /** Every node of a lab is a namespace of this host, which has one set of CPU counters. */
  readonly node = 'this host'

  /**
   * `target`: the address clients aim at to reach this pod, when it is not the pod's own (a Service's ClusterIP).
   * `cgroup`: a cgroup every command runs in (the lab's, for socket-level load balancing).
   */
  constructor(
    private readonly pod: PodPlan,
    readonly workDir: string,
    private readonly pidDir: string,
    private readonly opts: { target?: string; cgroup?: string } = {},
  ) {
    this.name = pod.name
    this.ip = opts.target ?? pod.ip
    this.bindIp = pod.ip
    this.key = `${pod.netns}/${pod.ip}`
  }

  /** `argv` as run here: in the pod's namespace, on `cpu`, inside the lab's cgroup if there is one. */
  private wrap(argv: readonly string[], cpu: CpuChoice): string[] {
    const inPod = inNetns(this.pod.netns, onCpu(cpu, argv))
    return this.opts.cgroup ? inCgroup(this.opts.cgroup, inPod) : inPod
  }

  run(argv: readonly string[], opts: WorkloadRunOptions): Promise<RunResult> {
    return run(this.wrap(argv, opts.cpu), {
      allowFailure: opts.allowFailure === true,
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    })
  }

  commandLine(argv: readonly string[], cpu: CpuChoice): string[] {
    const pinned = onCpu(cpu, argv)
    return this.opts.cgroup ? inCgroup(this.opts.cgroup, pinned) : pinned
  }

  start(argv: readonly string[], opts: { cpu: CpuChoice; label: string; signal?: AbortSignal }): Promise<WorkloadProcess> {
    return startProcess({ argv: this.wrap(argv, opts.cpu), label: opts.label, pidDir: this.pidDir, capture: true, ...(opts.signal ? { signal: opts.signal } : {}) })
  }

  async waitListening(process: WorkloadProcess, port: number, protocol: 'tcp' | 'udp', timeoutMs = 10_000): Promise<void> {
    await waitUntilListening(process as ManagedProcess, port, protocol, timeoutMs)
  }

  async collectFile(path: string): Promise<string> {
    const text = await readFile(path, 'utf8').catch(() => '')
    await rm(path, { force: true })
    return text
  }

  readCpu(): Promise<CpuTimes> {
    return readCpuTimes()
  }
}

/**
 * `argv` on one CPU, on every CPU, or as inherited. "Every CPU" is explicit because cnibench keeps itself off the
 * measurement CPU during a run (runner.keepOffMeasurementCpu) and its children would otherwise inherit that.
 */
function onCpu(cpu: CpuChoice, argv: readonly string[]): string[] {
  if (cpu === 'inherit') return [...argv]
  return ['taskset', '-c', cpu === 'all' ? `0-${availableParallelism() - 1}` : String(cpu), ...argv]
}
