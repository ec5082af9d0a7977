/** Assertions that a lab, or cnibench as a whole, left nothing behind: namespaces, run directory, processes. */
import { existsSync } from 'node:fs'
import { expect } from 'vitest'
import { listNetns } from '../../src/exec/netns.js'
import { isOurs, readPidRecords, type PidRecord } from '../../src/exec/processes.js'
import { labDir } from '../../src/lab/state.js'
import { labNetnsPrefix } from '../../src/lab/topology.js'

export async function expectLabGone(name: string, processes: PidRecord[] = []): Promise<void> {
  const namespaces = (await listNetns()).filter((ns) => ns.startsWith(labNetnsPrefix(name)))
  expect(namespaces, `namespaces of lab ${name}`).toEqual([])
  expect(existsSync(labDir(name)), `run directory of lab ${name}`).toBe(false)
  for (const record of processes) expect(await isOurs(record), `process ${record.label} (${record.pid})`).toBe(false)
}

/** The pid records of a lab, read while it is up, to check later that every one of those processes is gone. */
export function labProcesses(name: string): Promise<PidRecord[]> {
  return readPidRecords(`${labDir(name)}/pids`)
}
