/**
 * A workload in a cluster pod: every command is an exec through the Kubernetes API (k8s/exec.ts). A long-running
 * server is started in the background by a shell in the pod, which prints its pid; stopping it is another exec that
 * kills that pid. Listening is read from the pod's /proc/net; files are read and removed by exec; CPU counters are the
 * node's /proc/stat, which is not namespaced, as read from inside the pod. cnibench's own tools are where the engines
 * image puts them (deploy/Dockerfile).
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { CnibenchError } from '../errors.js'
import { interruptedError, shellQuote, type RunResult } from '../exec/run.js'
import { execInPod, type PodRef } from './exec.js'
import { packageRoot } from '../system/paths.js'
import { parseProcStat, type CpuTimes } from '../measure/cpu.js'
import { listens } from '../exec/listening.js'
import type { CpuChoice, Workload, WorkloadProcess, WorkloadRunOptions } from '../measure/workload.js'

/** Where deploy/Dockerfile installs cnibench's built tools (dist/bin) in the engines image. */
const IMAGE_ROOT = '/opt/cnibench'

/** Commands run with a recorded pid, counted per cnibench process: every workload of a run writes distinct pid files. */
let execsRecorded = 0

export class PodWorkload implements Workload {
  readonly key: string
  readonly workDir = '/tmp'


  constructor(
    private readonly kc: KubeConfig,
    private readonly ref: PodRef,
    readonly name: string,
    readonly ip: string,
    readonly bindIp: string,
    readonly node: string,
    /** An interrupt: polling loops stop (commands take it through their own options). */
    private readonly signal?: AbortSignal,
  ) {
    this.key = `${ref.namespace}/${ref.pod}`
  }

  /**
   * Closing an exec connection does not stop the command in a real pod, so a command that must stop on an interrupt
   * or a timeout (`opts.signal`, `opts.timeoutMs`: the engines' clients) records its pid first, and is killed by pid.
   */
  async run(argv: readonly string[], opts: WorkloadRunOptions): Promise<RunResult> {
    const execOpts = { ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.allowFailure ? { allowFailure: true } : {}), ...(opts.signal ? { signal: opts.signal } : {}) }
    if (!opts.signal && !opts.timeoutMs) return execInPod(this.kc, this.ref, this.commandLine(argv, opts.cpu), execOpts)
    const pidFile = `/tmp/cnibench-exec-${process.pid}-${++execsRecorded}.pid`
    const recorded = ['sh', '-c', 'echo $$ >"$0"; exec "$@"', pidFile, ...this.commandLine(argv, opts.cpu)]
    try {
      return await execInPod(this.kc, this.ref, recorded, execOpts)
    } catch (error) {
      await execInPod(this.kc, this.ref, ['sh', '-c', `kill -9 $(cat ${pidFile}) 2>/dev/null; rm -f ${pidFile}`], { allowFailure: true, timeoutMs: 10_000 }).catch(() => undefined)
      throw error
    }
    // The pid file of a command that ended stays (a few bytes in the pod's /tmp): removing it would be another exec
    // racing the next step of the sample.
  }

  /** Local tool paths become the image's. Cluster pods are never pinned (k8s/run.ts): `cpu` is not applied. */
  commandLine(argv: readonly string[], _cpu: CpuChoice): string[] {
    return argv.map((a) => (a.startsWith(`${packageRoot}/`) ? `${IMAGE_ROOT}/${a.slice(packageRoot.length + 1)}` : a))
  }

  async start(argv: readonly string[], opts: { cpu: CpuChoice; label: string; signal?: AbortSignal }): Promise<WorkloadProcess> {
    const log = `/tmp/${opts.label}.log`
    const line = shellQuote(this.commandLine(argv, opts.cpu))
    const started = await execInPod(this.kc, this.ref, ['sh', '-c', `${line} >${log} 2>&1 </dev/null & echo $!`], opts.signal ? { signal: opts.signal } : {})
    const pid = Number(started.stdout.trim())
    if (!Number.isInteger(pid) || pid <= 0) throw new CnibenchError('E_RUN', `${opts.label} did not start in pod ${this.key}: ${started.stderr.trim()}`)
    return new PodProcess(this, opts.label, pid, log)
  }

  async waitListening(process: WorkloadProcess, port: number, protocol: 'tcp' | 'udp', timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (this.signal?.aborted) throw interruptedError()
      const table = (await this.run(['cat', `/proc/net/${protocol}`], { cpu: 'inherit', allowFailure: true })).stdout
      if (listens(table, port, protocol)) return
      if (process.alive && !(await process.alive())) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const output = await (process as PodProcess).readLog()
    throw new CnibenchError('E_RUN', `${process.label} did not start listening on port ${port} in pod ${this.key}: ${output.trim().split('\n').slice(-2).join(' | ')}`)
  }

  async collectFile(path: string): Promise<string> {
    const result = await this.run(['sh', '-c', `cat ${shellQuote([path])} 2>/dev/null; rm -f ${shellQuote([path])}`], { cpu: 'inherit', allowFailure: true })
    return result.stdout
  }

  async readCpu(): Promise<CpuTimes> {
    return parseProcStat((await this.run(['cat', '/proc/stat'], { cpu: 'inherit' })).stdout)
  }
}

class PodProcess implements WorkloadProcess {
  private log = ''
  readonly exited: Promise<number>
  private markExited: (code: number) => void = () => {}

  constructor(
    private readonly workload: PodWorkload,
    readonly label: string,
    private readonly pid: number,
    private readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => (this.markExited = resolve))
  }

  output(): string {
    return this.log
  }

  async alive(): Promise<boolean> {
    const probe = await this.workload.run(['kill', '-0', String(this.pid)], { cpu: 'inherit', allowFailure: true }).catch(() => undefined)
    if (probe?.code === 0) return true
    this.markExited(probe?.code ?? 1)
    return false
  }

  async readLog(): Promise<string> {
    this.log = (await this.workload.run(['cat', this.logFile], { cpu: 'inherit', allowFailure: true })).stdout
    return this.log
  }

  /** SIGTERM, then wait (up to 5 s, then SIGKILL) in the same exec: the next server may need the port it held. */
  async stop(): Promise<void> {
    const pid = String(this.pid)
    const script = 'kill "$0" 2>/dev/null; i=0; while kill -0 "$0" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; kill -9 "$0" 2>/dev/null; true'
    await this.workload.run(['sh', '-c', script, pid], { cpu: 'inherit', allowFailure: true }).catch(() => undefined)
    this.markExited(143)
  }
}
