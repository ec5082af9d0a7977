/**
 * What a datapath's `start` phase may use: the lab's run directory and a way to start daemons that teardown will
 * find again by their pid files. Deliberately small: anything else a datapath does goes through Script steps.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { inNetns, listLinks, type IpLink } from '../exec/netns.js'
import { startProcess, type ManagedProcess } from '../exec/processes.js'
import { executeScript, Script } from './script.js'

export interface LabRuntime {
  /** The lab's private directory (configs, sockets, logs); removed at teardown. */
  runDir: string
  /** Start a long-running process inside `netns`; it outlives this process when the lab is left up. */
  startDaemon(label: string, netns: string, argv: string[], opts?: { env?: NodeJS.ProcessEnv }): Promise<ManagedProcess>
  /** Run more wiring steps now (e.g. ones that depend on what the kernel already has). */
  apply(build: (script: Script) => void): Promise<void>
  links(netns: string): Promise<IpLink[]>
  /** Write a file (a daemon's config) inside the run directory. */
  writeFile(path: string, text: string): Promise<void>
}

export function createRuntime(runDir: string): LabRuntime {
  return {
    runDir,
    startDaemon: (label, netns, argv, opts = {}) =>
      startProcess({
        argv: inNetns(netns, argv),
        label,
        pidDir: join(runDir, 'pids'),
        logFile: join(runDir, `${label}.log`),
        detached: true,
        ...(opts.env ? { env: opts.env } : {}),
      }),
    apply: async (build) => {
      const script = new Script()
      build(script)
      await executeScript(script)
    },
    links: listLinks,
    writeFile: async (path, text) => {
      await mkdir(dirname(path), { recursive: true })
      await writeFile(path, text)
    },
  }
}
