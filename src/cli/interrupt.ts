/**
 * Ctrl-C and SIGTERM: one path for both (as flent maps TERM to INT). The CLI owns the one AbortController; commands
 * pass its signal down to whatever they start (a run session, a lab build, a sample's client), so an interrupt stops
 * the work in flight and lets it unwind through its own cleanup: the run is marked interrupted, its labs removed,
 * the lock released. Hooks registered here (a dashboard's server) run at once. What has not unwound within a grace
 * period (a command that hung) is removed here, and the process exits 130 / 143. A second signal stops at once.
 * The library never installs signal handlers; only the CLI does, here.
 */
import { activeLabNames, destroyLab } from '../lab/lifecycle.js'

type Hook = () => Promise<void> | void
const hooks: Hook[] = []
const controller = new AbortController()
const GRACE_MS = 20_000

/** Aborted on Ctrl-C or SIGTERM; its reason is the signal's name. */
export const interruptSignal: AbortSignal = controller.signal

/** Run `hook` when this process is interrupted. */
export function onInterrupt(hook: Hook): () => void {
  hooks.push(hook)
  return () => {
    const i = hooks.indexOf(hook)
    if (i >= 0) hooks.splice(i, 1)
  }
}

export function installInterruptHandlers(): void {
  process.on('SIGINT', () => interrupt('SIGINT'))
  process.on('SIGTERM', () => interrupt('SIGTERM'))
}

/** 130 after Ctrl-C, 143 after SIGTERM, undefined when not interrupted. */
export function interruptExitCode(): number | undefined {
  if (!controller.signal.aborted) return undefined
  return controller.signal.reason === 'SIGTERM' ? 143 : 130
}

/**
 * After an interrupted command returned or failed, or when it did not unwind in time: remove any lab it still had,
 * ask the cluster to delete any namespace it created (without waiting: `cnibench k8s clean` finishes the job), then
 * exit with the signal's code.
 */
export async function exitInterrupted(): Promise<never> {
  await Promise.allSettled(activeLabNames().map((name) => destroyLab(name)))
  const { deleteOwnNamespacesNow } = await import('../k8s/cluster.js')
  const left = await deleteOwnNamespacesNow()
  if (left.length > 0) process.stderr.write(`cnibench: asked the cluster to delete ${left.join(', ')}; \`cnibench k8s clean\` waits for it\n`)
  process.exit(interruptExitCode() ?? 130)
}

function interrupt(signal: 'SIGINT' | 'SIGTERM'): void {
  if (controller.signal.aborted) return void exitInterrupted()
  process.stderr.write(`\ncnibench: ${signal}, removing what this process created…\n`)
  controller.abort(signal)
  for (const hook of [...hooks].reverse()) void Promise.resolve().then(hook).catch(() => {})
  setTimeout(() => void exitInterrupted(), GRACE_MS).unref()
}
