/**
 * Long-running processes cnibench starts (traffic servers, BIRD, OVS, the flannel-udp daemon) and the pid files that
 * let any later cnibench process stop exactly those, even after a kill -9 of the one that started them.
 *
 * A pid file is JSON {pid, startTime, argv, label}. `startTime` is field 22 of /proc/PID/stat (clock ticks since
 * boot): a recycled pid has a different start time, so we never signal a process we did not start. Processes are
 * never found or stopped by name.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, open, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { interruptedError, missingTool } from './run.js'

export interface PidRecord {
  pid: number
  startTime: string
  label: string
  argv: string[]
}

export interface ManagedProcess {
  pid: number
  label: string
  /** Resolves with the exit code (128+signal when killed) once the process ends. Only for children of this process. */
  exited: Promise<number>
  /** stdout captured so far (only when started with `capture: true`). */
  output(): string
  stop(): Promise<void>
}

export interface StartOptions {
  argv: string[]
  label: string
  /** Directory for the pid file (the lab's or run's `pids/`). */
  pidDir: string
  /** Append stdout and stderr here; otherwise they are discarded unless captured. */
  logFile?: string
  /** Keep stdout in memory (servers whose report we parse, e.g. iperf3 -s -J). */
  capture?: boolean
  /** Survive this process's exit (daemons of a lab left up by `lab up`). */
  detached?: boolean
  env?: NodeJS.ProcessEnv
  /** Refuse to start once aborted (an interrupt's teardown would miss what starts after it). */
  signal?: AbortSignal
}

export async function startProcess(opts: StartOptions): Promise<ManagedProcess> {
  await mkdir(opts.pidDir, { recursive: true })
  if (opts.signal?.aborted) throw interruptedError() // teardown has begun: anything started now would be missed by it
  const [file, ...args] = opts.argv
  if (!file) throw new Error('startProcess: empty argv')
  const log = opts.logFile ? await open(opts.logFile, 'a') : undefined
  const stdout = opts.capture ? 'pipe' : (log?.fd ?? 'ignore')
  const child = spawn(file, args, {
    stdio: ['ignore', stdout, log?.fd ?? (opts.capture ? 'pipe' : 'ignore')],
    detached: opts.detached ?? false,
    env: opts.env ?? process.env,
  })
  const outcome = spawnOutcome(child, file) // listen before any await: 'spawn' fires on the next tick
  await log?.close() // the child has its own copy of the descriptor
  const spawned = await outcome
  const pidFile = join(opts.pidDir, `${opts.label}.json`)
  const record: PidRecord = { pid: spawned, startTime: await readStartTime(spawned), label: opts.label, argv: opts.argv }
  await writeFile(pidFile, JSON.stringify(record))
  if (opts.detached) child.unref()
  const chunks: Buffer[] = []
  child.stdout?.on('data', (b: Buffer) => chunks.push(b))
  child.stderr?.on('data', (b: Buffer) => chunks.push(b))
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : signal === 'SIGTERM' ? 143 : 129))),
  )
  return {
    pid: spawned,
    label: opts.label,
    exited,
    output: () => Buffer.concat(chunks).toString('utf8'),
    stop: async () => {
      await stopRecord(record)
      await rm(pidFile, { force: true })
    },
  }
}

/** Resolve with the pid once the child is running, or reject (missing program) if it could not start. */
function spawnOutcome(child: ChildProcess, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid as number))
    child.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? missingTool(file) : e))
  })
}

/** Field 22 of /proc/PID/stat, or '' when the process is already gone. */
export async function readStartTime(pid: number): Promise<string> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // comm (field 2) may contain spaces and parentheses; fields after the last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[19] ?? ''
  } catch {
    return ''
  }
}

/** True when `record.pid` is alive and is still the process we started. */
export async function isOurs(record: PidRecord): Promise<boolean> {
  const now = await readStartTime(record.pid)
  return now !== '' && now === record.startTime
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL; only if the pid is still the process we started. */
export async function stopRecord(record: PidRecord, graceMs = 2000): Promise<void> {
  if (!(await isOurs(record))) return
  signal(record.pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!(await isOurs(record))) return
    await sleep(20)
  }
  if (await isOurs(record)) signal(record.pid, 'SIGKILL')
  while (await isOurs(record)) await sleep(10)
}

/** Stop every process recorded in `pidDir` and remove the pid files. Returns what was stopped. */
export async function stopAllRecorded(pidDir: string): Promise<PidRecord[]> {
  const records = await readPidRecords(pidDir)
  await Promise.all(records.map((r) => stopRecord(r)))
  await Promise.all(records.map((r) => rm(join(pidDir, `${r.label}.json`), { force: true })))
  return records
}

export async function readPidRecords(pidDir: string): Promise<PidRecord[]> {
  let names: string[]
  try {
    names = await readdir(pidDir)
  } catch {
    return []
  }
  const records: PidRecord[] = []
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      records.push(JSON.parse(await readFile(join(pidDir, name), 'utf8')) as PidRecord)
    } catch {
      // A pid file cut short by kill -9 while being written holds nothing we could safely act on.
    }
  }
  return records
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch {
    // Already gone.
  }
}
