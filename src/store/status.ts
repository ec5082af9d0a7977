/** A run's status as a reader should see it: a 'running' run whose process is gone was interrupted (kill -9, power loss). */
import { isOurs } from '../exec/processes.js'
import type { RunRecord, RunStatus } from './db.js'

export async function statusOf(run: RunRecord): Promise<RunStatus> {
  if (run.status !== 'running') return run.status
  return run.owner && (await isOurs({ pid: run.owner.pid, startTime: run.owner.startTime, label: '', argv: [] })) ? 'running' : 'interrupted'
}
