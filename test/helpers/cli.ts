/** Run the built CLI as a user would (the same Node runtime, the same entry point), capturing its output. */
import { spawn, type SpawnOptions } from 'node:child_process'
import { join } from 'node:path'
import { packageRoot } from '../../src/system/paths.js'

export const cliPath = join(packageRoot, 'dist', 'cli', 'main.js')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

export function cnibench(args: string[], opts: SpawnOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { ...opts, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()))
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : 128), stdout, stderr }))
  })
}

/** Start the CLI without waiting for it (to interrupt it). */
export function startCnibench(args: string[]) {
  return spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
}

export async function cnibenchJson<T>(args: string[]): Promise<T> {
  const result = await cnibench(args)
  if (result.code !== 0) throw new Error(`cnibench ${args.join(' ')} failed (${result.code}): ${result.stderr}`)
  return JSON.parse(result.stdout) as T
}

let counter = 0
/** A lab name unique to this test process (lab names: lowercase, digits, '-', at most 24 characters). */
export function uniqueName(prefix: string): string {
  counter += 1
  return `${prefix}-${process.pid.toString(36)}${counter}`.slice(0, 24)
}
