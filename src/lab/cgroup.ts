/**
 * The one kind of object a lab may need outside its namespaces: a cgroup (v2) holding the measuring client, for
 * eBPF programs that attach to cgroups rather than devices (Cilium's socket-level load balancer, cgroup/connect4).
 * It is named `cnibench-<lab>` (the lab's name carries the run id), removed with the lab on every exit path, and
 * swept by `lab clean` when its lab is gone. Programs attached to it go with it.
 *
 * Loading such a program needs a pin in a BPF filesystem for a moment (bpftool loads into a pin): a bpffs is mounted
 * in the lab's directory for the load and unmounted straight after; removing a lab unmounts it too if a crash left it.
 */
import { mkdir, readFile, readdir, rmdir } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CnibenchError } from '../errors.js'
import { run } from '../exec/run.js'
import { isMountPoint, mountPointOf } from '../system/mounts.js'
import { labDir } from './state.js'

const PREFIX = 'cnibench-'

/** The name of lab `lab`'s cgroup, under the cgroup v2 root: `cnibench-<lab>`. */
export const labCgroupName = (lab: string) => `${PREFIX}${lab}`

/** Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host). */
export const cgroup2Root = () => mountPointOf('cgroup2')

async function labCgroupPath(lab: string): Promise<string> {
  const root = await cgroup2Root()
  if (!root) throw new CnibenchError('E_UNSUPPORTED', 'this host has no cgroup v2 hierarchy mounted, which socket-level load balancing attaches to', { hint: 'use --proxy ebpf-tc, or boot with the unified cgroup hierarchy' })
  return join(root, labCgroupName(lab))
}

export async function createLabCgroup(lab: string): Promise<string> {
  const path = await labCgroupPath(lab)
  await mkdir(path, { recursive: true })
  return path
}

/** argv that runs `argv` inside cgroup `path` (the shell moves itself in, then execs: the pid stays the tool's). */
export function inCgroup(path: string, argv: readonly string[]): string[] {
  return ['sh', '-c', 'echo $$ > "$0" && exec "$@"', join(path, 'cgroup.procs'), ...argv]
}

/**
 * Remove lab `lab`'s cgroup, if it has one. Only the lab's own clients are ever put in it, so whatever is still
 * inside was started by cnibench for this lab; it is killed by pid before the directory goes.
 */
export async function removeLabCgroup(lab: string): Promise<boolean> {
  const root = await cgroup2Root()
  if (!root) return false
  return removeCgroup(join(root, labCgroupName(lab)))
}

async function removeCgroup(path: string): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const procs = await readFile(join(path, 'cgroup.procs'), 'utf8').catch(() => undefined)
    if (procs === undefined) return false
    for (const pid of procs.split('\n').filter((p) => /^\d+$/.test(p))) {
      try {
        process.kill(Number(pid), 'SIGKILL')
      } catch {
        // already gone
      }
    }
    try {
      await rmdir(path)
      return true
    } catch {
      await sleep(20) // a killed process leaves the cgroup a moment after the signal
    }
  }
  throw new CnibenchError('E_RUN', `could not remove cgroup ${path}`, { hint: `remove it by hand: rmdir ${path}` })
}

/** Cgroups of labs that no longer exist (after a kill -9), for `lab clean`; `keep` names labs still in use. */
export async function removeOrphanCgroups(keep: ReadonlySet<string>): Promise<string[]> {
  const root = await cgroup2Root()
  if (!root) return []
  const removed: string[] = []
  for (const entry of await readdir(root).catch(() => [] as string[])) {
    if (!entry.startsWith(PREFIX) || keep.has(entry.slice(PREFIX.length))) continue
    if (await removeCgroup(join(root, entry))) removed.push(entry)
  }
  return removed
}

/** A bpffs mounted in the lab's directory for as long as `use` runs: bpftool pins a loaded program there. */
export async function withLabBpffs<T>(lab: string, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = join(labDir(lab), 'bpffs')
  await mkdir(dir, { recursive: true })
  await run(['mount', '-t', 'bpf', 'cnibench-bpffs', dir])
  try {
    return await use(dir)
  } finally {
    await unmountLabBpffs(lab)
  }
}

/** Unmount the lab's bpffs if it is mounted (a crash during a load); pins there go with it. */
export async function unmountLabBpffs(lab: string): Promise<void> {
  const dir = join(labDir(lab), 'bpffs')
  if (await isMountPoint(dir)) await run(['umount', dir], { allowFailure: true })
}
