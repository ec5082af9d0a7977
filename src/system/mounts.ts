/** Where a filesystem type is mounted on this host, read from /proc/self/mountinfo (read only). */
import { readFile } from 'node:fs/promises'

/** The first mount point of `fstype` (e.g. cgroup2: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host). */
export async function mountPointOf(fstype: string): Promise<string | undefined> {
  const mounts = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '')
  for (const line of mounts.split('\n')) {
    // fields: id parent major:minor root mountpoint options ... - fstype source superoptions
    const [before, after] = line.split(' - ')
    if (after?.split(' ')[0] === fstype) return before?.split(' ')[4]
  }
  return undefined
}

/** Whether `path` is a mount point. */
export async function isMountPoint(path: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '')
  return mounts.split('\n').some((line) => line.split(' ')[4] === path)
}
