/** A lab for the length of a test: `lab up --json` with the given arguments, then `lab down`, proving nothing is left. */
import { expect } from 'vitest'
import type { LabView } from '../../src/lab/state.js'
import { cnibench, uniqueName } from './cli.js'
import { expectLabGone, labProcesses } from './leftovers.js'

export async function withLab(prefix: string, args: string[], body: (lab: LabView) => Promise<void>): Promise<void> {
  const name = uniqueName(prefix)
  const up = await cnibench(['lab', 'up', '--name', name, '--json', ...args])
  expect(up.code, up.stderr).toBe(0)
  try {
    await body(JSON.parse(up.stdout) as LabView)
  } finally {
    const processes = await labProcesses(name)
    await cnibench(['lab', 'down', name])
    await expectLabGone(name, processes)
  }
}
