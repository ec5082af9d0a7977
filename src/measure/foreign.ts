/**
 * Who else used the CPUs while a sample was taken. Steal time reads 0 on the VMs this was built on, so another
 * program's load is invisible in /proc/stat's totals; per-process CPU time is not. Every process's user + system time
 * is read from /proc/PID/stat before and after the sample, and what the sample's own processes did is set aside:
 * processes in the namespaces of the lab being measured (client, server, the datapath's daemons), cnibench itself
 * and its children, and kernel threads (softirq work the traffic itself causes runs there). What remains is foreign
 * load, e.g. a compiler, another benchmark, a server a user started with `lab exec` in another lab.
 *
 * Limits: a process that starts and ends within one sample is not seen (it was not there at either reading).
 * Clock ticks are 1/100 s (USER_HZ on Linux), so loads below ~0.01 core over a one-second sample read as 0.
 */
import { readFile, readdir, readlink, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** Kernel threads carry PF_KTHREAD in the flags field of /proc/PID/stat. */
const PF_KTHREAD = 0x00200000
const CLOCK_TICKS_PER_SECOND = 100

interface ProcessCpu {
  pid: number
  ppid: number
  command: string
  /** user + system, clock ticks */
  ticks: number
  kernelThread: boolean
  /** Inode of the network namespace, or 0 when unreadable. */
  netns: number
}

export interface ProcessSnapshot {
  at: number
  processes: Map<number, ProcessCpu>
}

export async function snapshotProcesses(): Promise<ProcessSnapshot> {
  const at = performance.now()
  const processes = new Map<number, ProcessCpu>()
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number)
  await Promise.all(
    pids.map(async (pid) => {
      const [statText, ns] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''), readlink(`/proc/${pid}/ns/net`).catch(() => '')])
      const parsed = parseStat(pid, statText)
      if (parsed) processes.set(pid, { ...parsed, netns: Number(/\[(\d+)\]/.exec(ns)?.[1] ?? 0) })
    }),
  )
  return { at, processes }
}

/** Fields of /proc/PID/stat after the command (which may contain spaces and parentheses). */
export function parseStat(pid: number, text: string): Omit<ProcessCpu, 'netns'> | undefined {
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 0 || close < 0) return undefined
  const fields = text.slice(close + 2).split(' ')
  // fields[0] is state (field 3): ppid is field 4, flags field 9, utime 14, stime 15.
  const num = (field: number) => Number(fields[field - 3])
  return { pid, ppid: num(4), command: text.slice(open + 1, close), ticks: num(14) + num(15), kernelThread: (num(9) & PF_KTHREAD) !== 0 }
}

/** Inodes of the namespaces `names` (from /run/netns), the sample's own. */
export async function netnsInodes(names: readonly string[]): Promise<Set<number>> {
  const inodes = await Promise.all(names.map((n) => stat(join('/run/netns', n)).then((s) => s.ino, () => 0)))
  return new Set(inodes.filter((i) => i > 0))
}

export interface ForeignLoad {
  /** Average cores used by foreign processes between the two snapshots. */
  cores: number
  /** The largest foreign users. */
  top: { pid: number; command: string; cores: number }[]
}

/** CPU used between `before` and `after` by processes that are not the sample's (see the module comment). */
export function foreignLoad(before: ProcessSnapshot, after: ProcessSnapshot, ownNetns: Set<number>, self = process.pid): ForeignLoad {
  const seconds = (after.at - before.at) / 1000
  const ours = (p: ProcessCpu): boolean => p.kernelThread || ownNetns.has(p.netns) || descendsFrom(p, self, after.processes)
  const users: ForeignLoad['top'] = []
  for (const p of after.processes.values()) {
    if (ours(p)) continue
    const ticks = p.ticks - (before.processes.get(p.pid)?.ticks ?? 0) // a process absent before started since: all its time counts
    if (ticks > 0) users.push({ pid: p.pid, command: p.command, cores: ticks / CLOCK_TICKS_PER_SECOND / seconds })
  }
  users.sort((a, b) => b.cores - a.cores)
  return { cores: seconds > 0 ? users.reduce((s, u) => s + u.cores, 0) : 0, top: users.slice(0, 3) }
}

function descendsFrom(p: ProcessCpu, ancestor: number, all: Map<number, ProcessCpu>): boolean {
  let current: ProcessCpu | undefined = p
  for (let depth = 0; current && depth < 64; depth++) {
    if (current.pid === ancestor) return true
    current = all.get(current.ppid)
  }
  return false
}
