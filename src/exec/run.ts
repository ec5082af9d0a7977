/**
 * The one place cnibench starts short-lived commands (ip, tc, bridge, sysctl, tool probes). It owns: turning a
 * spawn failure into a one-line CnibenchError, and stopping a child when the caller's AbortSignal fires (Ctrl-C,
 * SIGTERM: the CLI aborts, and whatever was started with its signal is killed and fails as interrupted).
 * It must not know about namespaces or labs; see netns.ts for that.
 */
import { spawn } from 'node:child_process'
import { CnibenchError } from '../errors.js'
import { installHint } from '../system/packages.js'

export interface RunOptions {
  /** Written to the child's stdin, then stdin is closed (used for `ip -batch -`). */
  input?: string
  /** Resolve with the result instead of throwing when the exit code is non-zero. */
  allowFailure?: boolean
  /** Kill the child (SIGKILL) after this many milliseconds. */
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
  /** Refuse to start once aborted; kill the child (SIGKILL) when it aborts. Fails with E_INTERRUPTED either way. */
  signal?: AbortSignal
}

export interface RunResult {
  argv: readonly string[]
  stdout: string
  stderr: string
  /** Exit code; 128+n when killed by signal n. */
  code: number
}

/** Run a command to completion and collect its output. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv
  if (!file) throw new Error('run: empty argv')
  if (opts.signal?.aborted) return Promise.reject(interruptedError())
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, ...(opts.signal ? { signal: opts.signal, killSignal: 'SIGKILL' as const } : {}) })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer)
      reject(e.name === 'AbortError' ? interruptedError() : e.code === 'ENOENT' ? missingTool(file) : e)
    })
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer)
      if (opts.signal?.aborted) return reject(interruptedError())
      const result: RunResult = {
        argv,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code: code ?? 128 + signalNumber(signal),
      }
      if (result.code !== 0 && !opts.allowFailure) reject(commandFailed(result))
      else resolve(result)
    })
    child.stdin.on('error', () => {}) // a child that exits before reading stdin must not crash us
    child.stdin.end(opts.input ?? '')
  })
}

/** Run and parse stdout as JSON (for `ip -json`, `tc -json`, `bridge -json`, `iperf3 -J`). */
export async function runJson<T>(argv: readonly string[], opts: RunOptions = {}): Promise<T> {
  const result = await run(argv, opts)
  const text = result.stdout.trim()
  try {
    return JSON.parse(text === '' ? 'null' : text) as T
  } catch (cause) {
    throw new CnibenchError('E_PARSE', `\`${argv.join(' ')}\` did not print JSON: ${excerpt(text)}`, { cause })
  }
}

export function interruptedError(): CnibenchError {
  return new CnibenchError('E_INTERRUPTED', 'interrupted')
}

export function commandFailed(result: RunResult): CnibenchError {
  const why = firstLine(result.stderr) || firstLine(result.stdout) || `exit code ${result.code}`
  return new CnibenchError('E_COMMAND', `\`${shellQuote(result.argv)}\` failed: ${why}`)
}

export function missingTool(file: string): CnibenchError {
  return new CnibenchError('E_MISSING_TOOL', `${file} is not installed`, { hint: installHint(file) })
}

export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  )
}

function excerpt(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text || '(empty)'
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }
  return (signal && numbers[signal]) ?? 1
}
