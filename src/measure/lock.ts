/**
 * One measurement at a time per machine. Two runs measuring at once each take half the CPUs from the other and both
 * publish wrong figures, without a word. A run holds `/run/cnibench/measure.lock` (pid and start time, like every pid
 * file here, so a lock left by a killed process is recognised and taken over); a second run waits for it, saying so,
 * or refuses with a one-line error. `--allow-concurrent` measures anyway, and every sample it takes records the
 * contention.
 *
 * Besides the lock, every process that makes traffic in a lab registers itself under /run/cnibench/activity/ (a run,
 * a `lab exec` command), so a run can record, per sample, what else was going on.
 */
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CnibenchError } from '../errors.js'
import { interruptedError } from '../exec/run.js'
import { isOurs, readStartTime } from '../exec/processes.js'
import { runRoot } from '../system/paths.js'

export interface Activity {
  pid: number
  startTime: string
  /** What it is, for people: "run r1a2b3c4", "lab exec demo pod1 -- iperf3 -c ...". */
  what: string
  since: string
}

const lockPath = () => join(runRoot(), 'measure.lock')
const activityDir = () => join(runRoot(), 'activity')

export interface LockOptions {
  /** Wait for the holder to finish (true) or refuse at once (false). */
  wait: boolean
  /** Measure even though another run holds the lock; the samples are then marked as taken under contention. */
  allowConcurrent: boolean
  onWait?(holder: Activity): void
  /** An interrupt while waiting: stop waiting and fail as interrupted. */
  signal?: AbortSignal
}

export interface MeasurementLock {
  /** Set when measuring alongside another run (--allow-concurrent). */
  contendedWith: Activity | undefined
  release(): Promise<void>
}

/** Take the machine's measurement lock for `what`, as `opts` says. */
export async function acquireMeasurementLock(what: string, opts: LockOptions): Promise<MeasurementLock> {
  await mkdir(runRoot(), { recursive: true })
  const me = await self(what)
  let told = false
  for (;;) {
    if (await tryCreate(lockPath(), me)) return { contendedWith: undefined, release: () => releaseIfMine(me) }
    const holder = await readActivity(lockPath())
    if (!holder || !(await alive(holder))) {
      await rm(lockPath(), { force: true }) // left by a process that is gone (kill -9, reboot)
      continue
    }
    if (opts.allowConcurrent) return { contendedWith: holder, release: async () => {} }
    if (!opts.wait) {
      throw new CnibenchError('E_BUSY', `another measurement is running on this machine: ${holder.what} (pid ${holder.pid}, since ${holder.since})`, {
        hint: 'wait for it (drop --no-wait), or pass --allow-concurrent to measure anyway with every sample marked as contended',
      })
    }
    if (!told) opts.onWait?.(holder)
    told = true
    if (opts.signal?.aborted) throw interruptedError()
    await sleep(1000)
    if (opts.signal?.aborted) throw interruptedError()
  }
}

async function tryCreate(path: string, content: Activity): Promise<boolean> {
  try {
    await writeFile(path, JSON.stringify(content), { flag: 'wx' })
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
}

async function releaseIfMine(me: Activity): Promise<void> {
  const holder = await readActivity(lockPath())
  if (holder?.pid === me.pid && holder.startTime === me.startTime) await rm(lockPath(), { force: true })
}

/** The process that wrote `activity` is still running (same pid and start time). */
function alive(activity: Activity): Promise<boolean> {
  return isOurs({ ...activity, label: '', argv: [] })
}

async function self(what: string): Promise<Activity> {
  return { pid: process.pid, startTime: await readStartTime(process.pid), what, since: new Date().toISOString() }
}

async function readActivity(path: string): Promise<Activity | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Activity
  } catch {
    return undefined
  }
}

/** Register this process as making traffic (`what` says how) until the returned function is called. */
export async function registerActivity(what: string): Promise<() => Promise<void>> {
  await mkdir(activityDir(), { recursive: true })
  const me = await self(what)
  const path = join(activityDir(), `${me.pid}.json`)
  await writeFile(path, JSON.stringify(me))
  return () => rm(path, { force: true })
}

/** Live activities other than this process's (stale files of dead processes are removed on the way). */
export async function otherActivities(): Promise<Activity[]> {
  const names = await readdir(activityDir()).catch(() => [] as string[])
  const found: Activity[] = []
  for (const name of names) {
    const activity = await readActivity(join(activityDir(), name))
    if (!activity) continue
    if (!(await alive(activity))) {
      await rm(join(activityDir(), name), { force: true })
      continue
    }
    if (activity.pid !== process.pid) found.push(activity)
  }
  return found
}

/** `lab clean`: the lock and activity files of processes that are gone (kill -9). Returns how many were removed. */
export async function removeStaleMeasurementFiles(): Promise<number> {
  let removed = 0
  const holder = await readActivity(lockPath())
  if (holder && !(await alive(holder))) {
    await rm(lockPath(), { force: true })
    removed++
  }
  const before = (await readdir(activityDir()).catch(() => [] as string[])).length
  await otherActivities() // removes the stale ones on the way
  const after = (await readdir(activityDir()).catch(() => [] as string[])).length
  return removed + before - after
}
