/** Assertions that a lab, or cnibench as a whole, left nothing behind: namespaces, run directory, processes. */
import { existsSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { expect } from 'vitest'
import { listLinks, listNetns } from '../../src/exec/netns.js'
import { runJson } from '../../src/exec/run.js'
import { attachedPrograms } from '../../src/lab/bpf.js'
import type { LabView } from '../../src/lab/state.js'
import { isOurs, readPidRecords, type PidRecord } from '../../src/exec/processes.js'
import { labDir } from '../../src/lab/state.js'
import { labNetnsPrefix } from '../../src/lab/topology.js'

export async function expectLabGone(name: string, processes: PidRecord[] = [], bpfPrograms: number[] = []): Promise<void> {
  const namespaces = (await listNetns()).filter((ns) => ns.startsWith(labNetnsPrefix(name)))
  expect(namespaces, `namespaces of lab ${name}`).toEqual([])
  expect(existsSync(labDir(name)), `run directory of lab ${name}`).toBe(false)
  for (const record of processes) expect(await isOurs(record), `process ${record.label} (${record.pid})`).toBe(false)
  // The kernel destroys a deleted namespace's devices (and with them their tc programs) asynchronously.
  let loaded = new Set<number>()
  for (let attempt = 0; attempt < 100; attempt++) {
    loaded = new Set((await runJson<{ id: number }[]>(['bpftool', '-j', 'prog', 'show'])).map((p) => p.id))
    if (!bpfPrograms.some((id) => loaded.has(id))) break
    await sleep(100)
  }
  for (const id of bpfPrograms) expect(loaded.has(id), `BPF program ${id}`).toBe(false)
}

/** Ids of the tc BPF programs attached anywhere in a lab (to check they are unloaded after teardown). */
export async function labBpfPrograms(lab: LabView): Promise<number[]> {
  const ids: number[] = []
  const namespaces = [...new Set([...lab.nodes.map((n) => n.netns), ...lab.pods.map((p) => p.netns)])]
  for (const netns of namespaces) {
    for (const link of await listLinks(netns)) for (const p of await attachedPrograms(netns, link.ifname).catch(() => [])) ids.push(p.progId)
  }
  return ids
}

/** The pid records of a lab, read while it is up, to check later that every one of those processes is gone. */
export function labProcesses(name: string): Promise<PidRecord[]> {
  return readPidRecords(`${labDir(name)}/pids`)
}
