/**
 * Running a command in a pod through the Kubernetes exec API (WebSocket, the v5/v4 channel protocol that
 * @kubernetes/client-node speaks): stdout and stderr collected, the exit code read from the status channel, a
 * dropped connection or an API error turned into a one-line error naming the pod.
 */
import { Writable } from 'node:stream'
import type { KubeConfig, V1Status } from '@kubernetes/client-node'
import { CnibenchError } from '../errors.js'
import { interruptedError, type RunResult } from '../exec/run.js'

export interface PodRef {
  namespace: string
  pod: string
  container: string
}

export interface ExecOptions {
  /** Default 120 s: a stalled connection must not hang a run. */
  timeoutMs?: number
  allowFailure?: boolean
  signal?: AbortSignal
}

export async function execInPod(kc: KubeConfig, ref: PodRef, argv: readonly string[], opts: ExecOptions = {}): Promise<RunResult> {
  if (opts.signal?.aborted) throw interruptedError()
  const { Exec } = await import('@kubernetes/client-node')
  const out: Buffer[] = []
  const err: Buffer[] = []
  const sink = (into: Buffer[]) => new Writable({ write: (chunk: Buffer, _e, done) => (into.push(Buffer.from(chunk)), done()) })
  let status: V1Status | undefined
  const where = `pod ${ref.namespace}/${ref.pod}`
  const ws = await new Exec(kc).exec(ref.namespace, ref.pod, ref.container, [...argv], sink(out), sink(err), null, false, (s) => (status = s)).catch((error: unknown) => {
    throw new CnibenchError('E_RUN', `exec in ${where} failed: ${messageOf(error)}`)
  })
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const code = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => (ws.close(), reject(new CnibenchError('E_RUN', `exec in ${where} timed out after ${timeoutMs} ms: ${argv.join(' ')}`))), timeoutMs)
    const onAbort = () => (ws.close(), reject(interruptedError()))
    if (opts.signal?.aborted) return onAbort() // aborted while connecting
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    ws.on('error', (e: Error) => reject(new CnibenchError('E_RUN', `exec in ${where} dropped: ${e.message}`)))
    ws.on('close', () => {
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
      if (!status) return reject(new CnibenchError('E_RUN', `exec in ${where} dropped before the command finished: ${argv.join(' ')}`))
      // A failure without an exit code (the binary is not in the image, the container is gone) rejects, never throws here.
      try {
        resolve(exitCodeOf(status, where))
      } catch (error) {
        reject(error)
      }
    })
  })
  const result = { argv, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code }
  if (code !== 0 && !opts.allowFailure) throw new CnibenchError('E_COMMAND', `\`${argv.join(' ')}\` in ${where} failed (exit ${code}): ${result.stderr.trim().split('\n')[0] ?? ''}`)
  return result
}

const DEFAULT_TIMEOUT_MS = 120_000

/** The API server's status: Success, or Failure with an ExitCode cause (anything else is an error of the exec itself). */
function exitCodeOf(status: V1Status, where: string): number {
  if (status.status === 'Success') return 0
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode')
  if (cause?.message !== undefined) return Number(cause.message)
  throw new CnibenchError('E_RUN', `exec in ${where} failed: ${status.message ?? status.reason ?? 'unknown failure'}`)
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
