/**
 * CPU accounting from /proc/stat: system-wide busy time by mode (user, system, softirq, ...) over a test, and from it
 * the cost per unit of work, netperf's "service demand": CPU-seconds per Gbit for streams, CPU-µs per transaction for
 * request/response. System-wide on purpose: in the lab both "nodes", the softirq work of every hop and the traffic
 * tools share these CPUs, and all of it is the datapath's cost.
 */
import { readFile } from 'node:fs/promises'

const MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const
type Mode = (typeof MODES)[number]

export interface CpuTimes {
  /** Ticks per mode, summed over all CPUs (the aggregate "cpu" line). */
  ticks: Record<Mode, number>
  cpus: number
}

export async function readCpuTimes(): Promise<CpuTimes> {
  return parseProcStat(await readFile('/proc/stat', 'utf8'))
}

export function parseProcStat(text: string): CpuTimes {
  const lines = text.split('\n')
  const total = lines.find((l) => l.startsWith('cpu '))
  if (!total) throw new Error('/proc/stat has no aggregate cpu line')
  const fields = total.trim().split(/\s+/).slice(1).map(Number)
  const ticks = Object.fromEntries(MODES.map((m, i) => [m, fields[i] ?? 0])) as Record<Mode, number>
  return { ticks, cpus: lines.filter((l) => /^cpu\d+ /.test(l)).length }
}

export interface CpuUse {
  busyCores: number
  userCores: number
  systemCores: number
  softirqCores: number
  irqCores: number
  stealCores: number
}

/** Average cores busy in each mode between two readings (cores = fraction of all ticks × number of CPUs). */
export function cpuBetween(before: CpuTimes, after: CpuTimes): CpuUse {
  const d = (m: Mode) => after.ticks[m] - before.ticks[m]
  const all = MODES.reduce((acc, m) => acc + d(m), 0)
  const cores = (ticks: number) => (all > 0 ? (ticks / all) * after.cpus : 0)
  return {
    busyCores: cores(all - d('idle') - d('iowait')),
    userCores: cores(d('user') + d('nice')),
    systemCores: cores(d('system')),
    softirqCores: cores(d('softirq')),
    irqCores: cores(d('irq')),
    stealCores: cores(d('steal')),
  }
}

export async function loadAverage1m(): Promise<number> {
  return Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0])
}
